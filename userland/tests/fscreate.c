// fscreate SERVER N: create N empty files /f0, /f1, ... through the file server, then
// shut it down. The bloat study's file-creation workload.

#include <stdio.h>
#include <stdlib.h>
#include <lamina/fs.h>

int
main(int argc, char *argv[])
{
  long server = argc > 1 ? atol(argv[1]) : 1;
  long n = argc > 2 ? atol(argv[2]) : 1;
  char path[32];

  for (long i = 0; i < n; i++) {
    snprintf(path, sizeof path, "/f%ld", i);
    long fd = fs_open(server, path, FS_O_CREAT | FS_O_WRONLY, 0644);
    if (fd < 0) {
      printf("fscreate: %s: %s\n", path, fs_errname(fd));
      return 1;
    }
    fs_close(server, fd);
  }
  fs_shutdown(server);
  return 0;
}
