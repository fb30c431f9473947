// badjump: jump to 0x30000000, an address nothing is mapped at: an instruction page
// fault (the fault address is the new pc itself).

#include <stdio.h>

#define UNMAPPED_ADDRESS 0x30000000UL

int
main(void)
{
  void (*target)(void) = (void (*)(void))UNMAPPED_ADDRESS;

  printf("badjump: jumping to %p\n", (void *)target);
  target();
  printf("badjump: survived\n");
  return 1;
}
