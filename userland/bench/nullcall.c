// nullcall N: make N getid system calls, the cheapest there is, and exit 0.
// The benchmark suite times it to measure one kernel crossing.
//
//   $ nullcall 1000
//   nullcall: 1000 calls, last id 1

#include <stdio.h>
#include <stdlib.h>
#include <lamina/syscall.h>

int
main(int argc, char *argv[])
{
  long n = argc > 1 ? atol(argv[1]) : 1000;
  long id = 0;

  for (long i = 0; i < n; i++)
    id = sys_getid();
  printf("nullcall: %ld calls, last id %ld\n", n, id);
  return 0;
}
