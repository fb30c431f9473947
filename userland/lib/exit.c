// exit.c: ending a program.

#include <stdio.h>
#include <stdlib.h>
#include <lamina/syscall.h>

// End the program with status, after writing out any buffered console output.
// crt0.S calls this with main's return value.
void
exit(int status)
{
  console_flush();
  sys_exit(status);
}
