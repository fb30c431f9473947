// rawwrite N: write a 13-byte line to the console N times with the raw system call,
// no C library in between. The bloat study's bottom layer for console output.
// A first line, written whatever N is, mirrors printwrite's.

#include <stdlib.h>
#include <lamina/syscall.h>

int
main(int argc, char *argv[])
{
  long n = argc > 1 ? atol(argv[1]) : 1;

  sys_console_write("ready\n", 6);
  for (long i = 0; i < n; i++)
    sys_console_write("hello, world\n", 13);
  return 0;
}
