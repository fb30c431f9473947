// forkexit N [PAGES [FILL]]: N times, fork a child that exits at once and wait for it.
// With PAGES, first map that many heap pages (writing one byte in each, or FILL bytes
// of each): fork's cost grows with the pages mapped, not with the bytes in them. The
// bloat study's "fork and exit" workload, and the benchmark suite's fork figures.

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>
#include <sys/wait.h>

// Map pages of heap and write fill bytes (at least one) into each, so fork must share them.
static void
grow_heap(long pages, long fill)
{
  for (long i = 0; i < pages; i++) {
    char *page = malloc(4096 - 64);
    if (page == 0) {
      printf("forkexit: out of memory\n");
      exit(1);
    }
    memset(page, 1, fill > 0 ? fill : 1);
  }
}

int
main(int argc, char *argv[])
{
  long n = argc > 1 ? atol(argv[1]) : 1;
  int status;

  grow_heap(argc > 2 ? atol(argv[2]) : 0, argc > 3 ? atol(argv[3]) : 1);

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
