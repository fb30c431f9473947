// forkstack: a forked child gets the stack below its stack pointer only as it touches
// it (fork.c), and both processes keep their own stacks.
//
// The parent fills a deep stack frame (DEPTH_PAGES pages of a local array) with one
// pattern and returns, then forks. The child calls the same deep function with another
// pattern: its pages below the page fork copied (the one holding fork's frame) are
// fresh and zeroed, not the parent's old ones, so it sees old bytes in one page at most. It prints how many stack pages its fault handler added, whether
// they came zeroed, and whether its pattern reads back. The parent, after waiting, runs
// the deep function again and checks its own stack is its own.

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <lamina/proc.h>

#define DEPTH_PAGES 6

// Fill a frame of DEPTH_PAGES pages with byte, after counting the bytes of it that
// were already zero (a fresh page reads as zeros; an old one as what was left there).
// Returns the count of bytes that were not zero, and whether the fill reads back.
static __attribute__((noinline)) long
deep(unsigned char byte, int *reads_back)
{
  volatile unsigned char frame[DEPTH_PAGES * PAGE_SIZE];
  long nonzero = 0;

  for (unsigned long i = 0; i < sizeof frame; i += 64)
    nonzero += frame[i] != 0;
  for (unsigned long i = 0; i < sizeof frame; i++)
    frame[i] = byte;
  *reads_back = 1;
  for (unsigned long i = 0; i < sizeof frame; i += 64)
    *reads_back &= frame[i] == byte;
  return nonzero;
}

int
main(void)
{
  int ok, status;
  long pid;

  deep(0xAA, &ok);  // the parent's stack below here now holds 0xAA
  pid = fork();
  if (pid < 0) {
    printf("forkstack: fork failed: %ld\n", pid);
    return 1;
  }
  if (pid == 0) {
    long old = deep(0x55, &ok);
    printf("forkstack: child saw %ld old bytes below its stack pointer\n", old);
    printf("forkstack: child added %lu stack pages\n", proc_info()->stack_pages_added);
    printf("forkstack: child reads back %s\n", ok ? "yes" : "no");
    return ok && old <= PAGE_SIZE / 64 ? 0 : 1;  // deep() samples every 64th byte
  }
  if (waitpid(pid, &status, 0) != pid) {
    printf("forkstack: wait failed\n");
    return 1;
  }
  long mine = deep(0xAA, &ok);
  printf("forkstack: parent still sees its own stack: %s\n", mine > 0 && ok ? "yes" : "no");
  printf("forkstack: child exit %d\n", WEXITSTATUS(status));
  return WIFEXITED(status) && WEXITSTATUS(status) == 0 && ok ? 0 : 1;
}
