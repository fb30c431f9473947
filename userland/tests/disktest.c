// disktest SECTOR: write a pattern to 8 sectors at SECTOR, read them back, compare,
// flush, and print what the disk said. Exercises the disk binding, DMA and the
// completion notifications.
//
//   $ disktest 100
//   disktest: 65536 sectors
//   disktest: wrote, read back and flushed 8 sectors at 100: ok

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
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

int
main(int argc, char *argv[])
{
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
