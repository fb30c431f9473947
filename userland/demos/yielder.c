// yielder N: give up the CPU N times, then exit 0. Two of them side by side switch
// domains at every call: the benchmark suite's context-switch measurement.
//
//   $ yielder 1000
//   yielder: 1000 yields

#include <stdio.h>
#include <stdlib.h>
#include <lamina/syscall.h>

int
main(int argc, char *argv[])
{
  long n = argc > 1 ? atol(argv[1]) : 1000;

  for (long i = 0; i < n; i++)
    sys_yield();
  printf("yielder: %ld yields\n", n);
  return 0;
}
