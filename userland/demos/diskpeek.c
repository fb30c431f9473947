// diskpeek: reach for the disk directly, bypassing the file server: read the ext2
// superblock's magic number and, with -w, overwrite the superblock with zeros.
//
//   diskpeek [-w]
//
// A domain without a disk binding gets EPERM for each step (tests/test_fileserver.py
// checks that, and that the file system is unharmed). Prints one line per step.

#include <stdio.h>
#include <string.h>
#include <lamina/fs.h>
#include <lamina/ipc.h>
#include <lamina/syscall.h>

#define SUPER_SECTOR 2  // the superblock is at byte 1024
#define MAGIC_OFFSET 56  // s_magic, within the superblock

static unsigned char sectors[2 * SECTOR_SIZE];

// Queue one transfer and wait for its completion. 0 or -errno.
static long
transfer(long op, void *buf)
{
  struct ipc_msg msg;
  long err = sys_disk_io(op, SUPER_SECTOR, 2, buf);

  if (err < 0)
    return err;
  while (ipc_recv(NULL, &msg) != 0 || !(msg.w[0] & NOTIFY_DISK))
    ;
  return 0;
}

// Print a step's result: its error's name, or "ok".
static void
report(const char *what, long result)
{
  printf("diskpeek: %s = %s\n", what, result < 0 ? fs_errname(result) : "ok");
}

int
main(int argc, char *argv[])
{
  long err;

  report("disk_info", sys_disk_info());
  err = transfer(DISK_OP_READ, sectors);
  report("read superblock", err);
  if (err == 0)
    printf("diskpeek: magic 0x%x\n", sectors[MAGIC_OFFSET] | sectors[MAGIC_OFFSET + 1] << 8);
  if (argc > 1 && strcmp(argv[1], "-w") == 0) {
    memset(sectors, 0, sizeof(sectors));
    report("overwrite superblock", transfer(DISK_OP_WRITE, sectors));
  }
  return 0;
}
