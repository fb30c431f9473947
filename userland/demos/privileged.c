// privileged: write the satp CSR (the page-table root), which only supervisor mode
// may touch. From user mode it is an illegal-instruction trap.

#include <stdio.h>

int
main(void)
{
  printf("privileged: writing satp from user mode\n");
  asm volatile("csrw satp, zero");
  printf("privileged: survived\n");
  return 1;
}
