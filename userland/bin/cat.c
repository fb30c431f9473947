// cat: copy files, or the console's input, to standard output, through file
// descriptors.
//
//   cat [-F SERVER] [PATH...]
//
// SERVER is the file server's domain id (in a configuration: "-F @fsd"); without
// paths, cat copies standard input (the console) until its end.

#include <fcntl.h>
#include <stdio.h>
#include <unistd.h>
#include <lamina/fs.h>
#include <lamina/proc.h>

static char buf[PAGE_SIZE];

// Copy descriptor fd to standard output until its end. 0 or -errno.
static long
copy(int fd)
{
  long n, put;

  while ((n = read(fd, buf, sizeof buf)) > 0) {
    put = write(STDOUT_FILENO, buf, (size_t)n);
    if (put < 0)
      return put;
  }
  return n;
}

// Copy the file at path to standard output. 0 or -errno.
static long
cat_path(const char *path)
{
  long fd = open(path, O_RDONLY, 0);
  long err;

  if (fd < 0)
    return fd;
  err = copy((int)fd);
  close((int)fd);
  return err;
}

int
main(int argc, char *argv[])
{
  int status = 0;
  long err;

  argc = proc_args(argc, &argv);
  if (argc < 2)
    return copy(STDIN_FILENO) < 0;
  for (int i = 1; i < argc; i++) {
    err = cat_path(argv[i]);
    if (err < 0) {
      printf("cat: %s: %s\n", argv[i], fs_errname(err));
      status = 1;
    }
  }
  return status;
}
