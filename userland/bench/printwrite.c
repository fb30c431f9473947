// printwrite N: print the same 13-byte line N times with printf, through the C
// library's formatting and buffering. The bloat study's library layer for output.
// A first line, printed whatever N is, pays the one-time costs (the descriptor
// layer's start-up) so that the study's difference of two runs is the steady state.

#include <stdio.h>
#include <stdlib.h>

int
main(int argc, char *argv[])
{
  long n = argc > 1 ? atol(argv[1]) : 1;

  printf("ready\n");
  for (long i = 0; i < n; i++)
    printf("hello, %s\n", "world");
  return 0;
}
