// forkexit N: N times, fork a child that exits at once and wait for it. The bloat
// study's "fork and exit" workload on the process personality (library OS).

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

int
main(int argc, char *argv[])
{
  long n = argc > 1 ? atol(argv[1]) : 1;
  int status;

  for (long i = 0; i < n; i++) {
    long pid = fork();
    if (pid < 0) {
      printf("forkexit: fork failed: %ld\n", pid);
      return 1;
    }
    if (pid == 0)
      _exit(0);
    if (waitpid(pid, &status, 0) != pid) {
      printf("forkexit: wait failed\n");
      return 1;
    }
  }
  return 0;
}
