// forktest: fork N children, each ending with its own status, and wait for them all.
//
//   forktest [N]      (default 5, at most 32)
//
// Each child i prints its pid and parent and exits with 10 + i. The parent waits for
// every child, checks that each status comes back exactly once, and that one more
// wait finds no child. Prints "forktest: ok" and exits 0 if all is well.

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>

#define MAX_CHILDREN 32

// Run as child i: report and end with status 10 + i.
static void
child(int i)
{
  printf("forktest: child %d is pid %ld, parent %ld\n", i, getpid(), getppid());
  exit(10 + i);
}

// Wait for n children, recording which statuses came back in seen. Returns the
// number of problems found.
static int
reap(long pids[], int n, int seen[])
{
  int bad = 0, status;
  long pid;

  for (int k = 0; k < n; k++) {
    pid = wait(&status);
    int i = WEXITSTATUS(status) - 10;
    if (pid < 0 || !WIFEXITED(status) || i < 0 || i >= n || pids[i] != pid || seen[i]) {
      printf("forktest: bad wait: pid %ld status %d\n", pid, status);
      bad++;
      continue;
    }
    seen[i] = 1;
  }
  return bad;
}

int
main(int argc, char *argv[])
{
  int n = argc > 1 ? atoi(argv[1]) : 5;
  long pids[MAX_CHILDREN];
  int seen[MAX_CHILDREN] = {0};
  int bad;
  long last;

  if (n < 1 || n > MAX_CHILDREN) {
    printf("usage: forktest [N], 1 <= N <= %d\n", MAX_CHILDREN);
    return 2;
  }
  for (int i = 0; i < n; i++) {
    pids[i] = fork();
    if (pids[i] == 0)
      child(i);
    if (pids[i] < 0) {
      printf("forktest: fork failed: %ld\n", pids[i]);
      return 1;
    }
  }
  bad = reap(pids, n, seen);
  last = wait(NULL);
  printf("forktest: reaped %d children, %d bad, then wait returned %ld\n", n, bad, last);
  if (bad != 0 || last != -ECHILD)
    return 1;
  printf("forktest: ok\n");
  return 0;
}
