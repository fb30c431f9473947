// rawread N: read 4 KiB (8 sectors) from the start of the disk N times with disk_io,
// waiting for each completion: a file's bytes with no file system at all. The bloat
// study's bottom layer for reading.

#include <stdio.h>
#include <stdlib.h>
#include <lamina/syscall.h>

static char block[4096] __attribute__((aligned(4096)));

int
main(int argc, char *argv[])
{
  long n = argc > 1 ? atol(argv[1]) : 1;

  for (long i = 0; i < n; i++) {
    if (sys_disk_io(DISK_OP_READ, 0, 8, block) < 0) {
      printf("rawread: disk_io failed\n");
      return 1;
    }
    sys_ipc_recv(0);  // the completion notification
  }
  return 0;
}
