// ebreak: execute a breakpoint instruction, as a debugger would plant one.

#include <stdio.h>

int
main(void)
{
  printf("ebreak: executing ebreak\n");
  asm volatile("ebreak");
  printf("ebreak: survived\n");
  return 1;
}
