// writetext: store into this program's own code (the first instruction of main).
// Text pages are mapped read+execute, so this is a store page fault.

#include <stdio.h>

int
main(void)
{
  volatile unsigned int *code = (volatile unsigned int *)(unsigned long)main;

  printf("writetext: storing to main's code at %p\n", (void *)code);
  *code = 0x00000013;  // addi zero, zero, 0: a nop
  printf("writetext: survived\n");
  return 1;
}
