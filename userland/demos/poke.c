// poke ADDR VALUE: store the 64-bit VALUE at ADDR (each hex with 0x, or decimal), then
// print "poked". Isolation tests point it at memory it must not be able to write.
//
//   $ poke 0x20000 42
//   poke: writing 0x2a to 0x20000
//   poked

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

  if (argc != 3) {
    printf("usage: poke ADDR VALUE\n");
    return 2;
  }
  if (parse_number(argv[1], &addr) < 0 || parse_number(argv[2], &value) < 0) {
    printf("poke: bad number\n");
    return 2;
  }
  printf("poke: writing 0x%lx to 0x%lx\n", value, addr);
  *(volatile unsigned long *)addr = value;
  printf("poked\n");
  return 0;
}
