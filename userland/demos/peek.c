// peek ADDR: read the 64-bit word at ADDR (hex with 0x, or decimal) and print it.
// Isolation tests point it at memory it must not be able to read.
//
//   $ peek 0x10000
//   peek: reading 0x10000
//   peek: 0x10000 = 0x8001819300004197   (the first two instructions of _start)

#include <stdio.h>
#include <stdlib.h>

// Parse s as a number (hex with 0x, or decimal) into *n. Returns 0, or -1 if s is not one.
static int
parse_number(const char *s, unsigned long *n)
{
  char *end;

  *n = strtoul(s, &end, 0);
  if (end == s || *end != '\0')
    return -1;
  return 0;
}

int
main(int argc, char *argv[])
{
  unsigned long addr;
  unsigned long value;

  if (argc != 2) {
    printf("usage: peek ADDR\n");
    return 2;
  }
  if (parse_number(argv[1], &addr) < 0) {
    printf("peek: bad address '%s'\n", argv[1]);
    return 2;
  }
  printf("peek: reading 0x%lx\n", addr);
  value = *(volatile unsigned long *)addr;
  printf("peek: 0x%lx = 0x%016lx\n", addr, value);
  return 0;
}
