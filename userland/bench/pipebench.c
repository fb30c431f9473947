// pipebench N: a child writes N blocks of 4 KiB into a pipe and the parent reads them
// all. The bloat study's "pipe transfer" workload (per 4 KiB moved).

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

static char block[4096];

// Read exactly n bytes from fd into buf (a pipe returns what it has). 0, or -1.
static int
read_all(int fd, char *buf, long n)
{
  while (n > 0) {
    long got = read(fd, buf, n);
    if (got <= 0)
      return -1;
    buf += got;
    n -= got;
  }
  return 0;
}

int
main(int argc, char *argv[])
{
  long n = argc > 1 ? atol(argv[1]) : 1;
  int fds[2], status;
  long pid;

  if (pipe(fds) < 0 || (pid = fork()) < 0) {
    printf("pipebench: pipe or fork failed\n");
    return 1;
  }
  if (pid == 0) {
    close(fds[0]);
    for (long i = 0; i < n; i++)
      if (write(fds[1], block, sizeof block) != sizeof block)
        _exit(1);
    _exit(0);
  }
  close(fds[1]);
  for (long i = 0; i < n; i++)
    if (read_all(fds[0], block, sizeof block) < 0) {
      printf("pipebench: short read at block %ld\n", i);
      return 1;
    }
  waitpid(pid, &status, 0);
  return 0;
}
