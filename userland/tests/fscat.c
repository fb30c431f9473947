// fscat: print files through the file server.
//
//   fscat SERVER PATH...
//
// SERVER is the file server's domain id (in a configuration: "@fsd").

#include <stdio.h>
#include <stdlib.h>
#include <lamina/fs.h>
#include <lamina/syscall.h>

static char buf[FS_IO_MAX];

// Copy the file at path to the console. 0 or -errno.
static long
cat(long server, const char *path)
{
  long fd = fs_open(server, path, FS_O_RDONLY, 0);
  long n;

  if (fd < 0)
    return fd;
  console_flush();  // what printf buffered goes first
  while ((n = fs_read(server, fd, buf, sizeof(buf))) > 0)
    sys_console_write(buf, (unsigned long)n);
  fs_close(server, fd);
  return n;
}

int
main(int argc, char *argv[])
{
  long server, err;
  int status = 0;

  if (argc < 3) {
    printf("usage: fscat SERVER PATH...\n");
    return 2;
  }
  server = atol(argv[1]);
  for (int i = 2; i < argc; i++) {
    err = cat(server, argv[i]);
    if (err < 0) {
      printf("fscat: %s: %s\n", argv[i], fs_errname(err));
      status = 1;
    }
  }
  return status;
}
