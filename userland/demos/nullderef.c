// nullderef: load from address 0, which no program has mapped: a load page fault.
// Prints a line first, so a test can see the program ran up to the fault.

#include <stdio.h>

int
main(void)
{
  // volatile: the compiler must emit the load, not reason that it cannot happen.
  volatile unsigned long *null = (volatile unsigned long *)0;
  unsigned long value;

  printf("nullderef: loading from address 0\n");
  value = *null;
  printf("nullderef: survived, read 0x%lx\n", value);
  return 1;
}
