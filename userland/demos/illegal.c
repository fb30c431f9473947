// illegal: execute the all-zero word, which RISC-V defines to be an illegal
// instruction: an illegal-instruction trap.

#include <stdio.h>

int
main(void)
{
  printf("illegal: executing the word 0x00000000\n");
  asm volatile(".word 0x00000000");
  printf("illegal: survived\n");
  return 1;
}
