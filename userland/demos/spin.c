// spin N: run N iterations of a fixed computation, then print its checksum.
//
//   $ spin 1000
//   spin: checksum 0xf517ff66df0cbea9
//
// This is the instruction-counting benchmark: spin_loop() is one loop whose body is a
// fixed number of instructions, and everything outside it is written so that its
// instruction count does not depend on N (only on how many digits the argument has):
// the argument is parsed one digit at a time with no early exits, and the checksum is
// printed as exactly 16 hex digits by a loop without data-dependent branches. So for
// N >= 1 the count for "spin N" is a + d * D + b * N, with D the number of digits in
// the argument and b the loop body's length. (N = 0 skips the loop's setup as well as
// the loop, so it is a few instructions off the line.)

#include <stdio.h>
#include <stdlib.h>

// Step a 64-bit linear congruential generator (Knuth's MMIX constants) n times from 1.
// noinline and no unrolling: the loop must stay one visible loop in the disassembly.
__attribute__((noinline)) unsigned long
spin_loop(unsigned long n)
{
  unsigned long x = 1;

#pragma clang loop unroll(disable)
  for (unsigned long i = 0; i < n; i++)
    x = x * 6364136223846793005UL + 1442695040888963407UL;
  return x;
}

// Parse the decimal digits of s into *n. Returns 0, or -1 if s is empty or has a non-digit.
// Every digit takes the same path, so the cost depends only on the number of digits.
static int
parse_count(const char *s, unsigned long *n)
{
  unsigned long value = 0;

  if (*s == '\0')
    return -1;
  for (; *s != '\0'; s++) {
    if (*s < '0' || *s > '9')
      return -1;
    value = value * 10 + (*s - '0');
  }
  *n = value;
  return 0;
}

// Write x as 16 lowercase hex digits and a NUL into text. Branch-free per digit: the
// letters a-f are reached by adding 39 when the digit is above 9, not by an if.
static void
format_hex64(unsigned long x, char text[17])
{
  for (int i = 0; i < 16; i++) {
    unsigned long digit = (x >> (60 - 4 * i)) & 0xf;
    text[i] = (char)('0' + digit + (digit > 9) * ('a' - '0' - 10));
  }
  text[16] = '\0';
}

int
main(int argc, char *argv[])
{
  unsigned long n;
  char text[17];

  if (argc != 2 || parse_count(argv[1], &n) < 0) {
    printf("usage: spin N (N a decimal number of iterations)\n");
    return 2;
  }
  format_hex64(spin_loop(n), text);
  printf("spin: checksum 0x%s\n", text);
  return 0;
}
