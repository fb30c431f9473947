// fsbench SERVER PATH N: read the first 4 KiB of PATH through the file server N times
// (seek back, read), then shut the server down. The benchmark suite's file-read figure.
//
//   $ fsbench 1 /4k.bin 100
//   fsbench: 100 reads of 4096 bytes

#include <stdio.h>
#include <stdlib.h>
#include <lamina/fs.h>

static char buf[4096];

int
main(int argc, char *argv[])
{
  long server, fd, n;

  if (argc != 4) {
    printf("usage: fsbench SERVER PATH N\n");
    return 2;
  }
  server = atol(argv[1]);
  n = atol(argv[3]);
  fd = fs_open(server, argv[2], FS_O_RDONLY, 0);
  if (fd < 0) {
    printf("fsbench: %s: %s\n", argv[2], fs_errname(fd));
    return 1;
  }
  for (long i = 0; i < n; i++) {
    if (fs_seek(server, fd, 0, FS_SEEK_SET) < 0 || fs_read(server, fd, buf, sizeof buf) != sizeof buf) {
      printf("fsbench: read %ld failed\n", i);
      return 1;
    }
  }
  printf("fsbench: %ld reads of %lu bytes\n", n, (unsigned long)sizeof buf);
  fs_close(server, fd);
  fs_shutdown(server);
  return 0;
}
