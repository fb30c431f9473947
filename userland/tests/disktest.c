// disktest SECTOR: write a pattern to 8 sectors at SECTOR, read them back, compare,
// flush, and print what the disk said. Exercises the disk binding, DMA and the
// completion notifications.
//
//   $ disktest 100
//   disktest: 65536 sectors
//   disktest: wrote, read back and flushed 8 sectors at 100: ok
//   $ disktest -e       the calls' results at the edges docs/abi.md gives them, as
//                       "name = value" lines (tests/test_disk.py)

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

#define COUNT 8

static char out[COUNT * SECTOR_SIZE] __attribute__((aligned(4096)));
static char in[COUNT * SECTOR_SIZE] __attribute__((aligned(4096)));

// Queue one request and wait for its completion notification. 0, or -errno.
static long
disk_wait(long op, unsigned long sector, unsigned long count, void *buf)
{
  long r = sys_disk_io(op, sector, count, buf);

  if (r < 0)
    return r;
  sys_ipc_recv(0);  // returns when the NOTIFY_DISK notification arrives
  return 0;
}

static char most[DISK_IO_MAX_SECTORS * SECTOR_SIZE] __attribute__((aligned(4096)));

// Every result of disk_info and disk_io at its edges (a disk of any size; the caller's
// binding, if any, covers all of it), then two requests outstanding at once.
static int
edges(void)
{
  long sectors = sys_disk_info();
  long first, second;

  report("info", sectors);
  report("bad_op", sys_disk_io(3, 0, 1, in));
  report("flush", sys_disk_io(DISK_OP_FLUSH, 0, 0, 0));  // what the call itself returns
  if (sectors > 0)
    sys_ipc_recv(0);  // its completion
  report("count_0", sys_disk_io(DISK_OP_READ, 0, 0, in));
  report("count_max", disk_wait(DISK_OP_READ, 0, DISK_IO_MAX_SECTORS, most));
  report("count_above_max", sys_disk_io(DISK_OP_READ, 0, DISK_IO_MAX_SECTORS + 1, most));
  report("last_sector", disk_wait(DISK_OP_READ, sectors - 1, 1, in));
  report("past_the_end", sys_disk_io(DISK_OP_READ, sectors - 1, 2, in));
  report("read_into_read_only", sys_disk_io(DISK_OP_READ, 0, 1, (void *)edges));
  report("write_from_read_only", disk_wait(DISK_OP_WRITE, 0, 1, (void *)edges));
  report("write_from_unmapped", sys_disk_io(DISK_OP_WRITE, 0, 1, (void *)0x30000000UL));
  // Two requests in flight: each completes, in order, with its own data.
  memset(out, 0x5a, SECTOR_SIZE);
  memset(out + SECTOR_SIZE, 0xa5, SECTOR_SIZE);
  first = sys_disk_io(DISK_OP_WRITE, 10, 1, out);
  second = sys_disk_io(DISK_OP_WRITE, 11, 1, out + SECTOR_SIZE);
  report("two.submitted", first == 0 && second == 0);
  if (first != 0 || second != 0)
    return 0;  // no disk, or no binding: nothing will complete
  sys_ipc_recv(0);
  sys_ipc_recv(0);
  report("two.read_back", disk_wait(DISK_OP_READ, 10, 2, in));
  report("two.match", memcmp(in, out, 2 * SECTOR_SIZE) == 0);
  report("flush_again", disk_wait(DISK_OP_FLUSH, 0, 0, 0));
  return 0;
}

int
main(int argc, char *argv[])
{
  if (argc > 1 && strcmp(argv[1], "-e") == 0)
    return edges();

  unsigned long sector = argc > 1 ? strtoul(argv[1], 0, 0) : 100;
  long sectors = sys_disk_info();
  long r;

  if (sectors < 0) {
    printf("disktest: disk_info: error %ld\n", -sectors);
    return 1;
  }
  printf("disktest: %ld sectors\n", sectors);
  for (int i = 0; i < COUNT * SECTOR_SIZE; i++)
    out[i] = (char)(i * 7 + sector);
  if ((r = disk_wait(DISK_OP_WRITE, sector, COUNT, out)) < 0 ||
      (r = disk_wait(DISK_OP_READ, sector, COUNT, in)) < 0 ||
      (r = disk_wait(DISK_OP_FLUSH, 0, 0, 0)) < 0) {
    printf("disktest: disk_io: error %ld\n", -r);
    return 1;
  }
  printf("disktest: wrote, read back and flushed %d sectors at %lu: %s\n", COUNT, sector,
         memcmp(in, out, sizeof in) == 0 ? "ok" : "MISMATCH");
  return memcmp(in, out, sizeof in) != 0;
}
