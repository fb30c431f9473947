// copybench: what memcpy costs, and whether it is right.
//
//   copybench
//
// Copies between every pair of source and destination offsets 0..7 for lengths
// around the word and block sizes, checking every byte copied and the bytes on
// either side (copy.wrong = the copies that went wrong), then counts the instructions
// one 4 KiB copy takes with rdinstret: page-aligned (copy.page_instructions) and with
// the source and destination a byte apart (copy.unaligned_instructions). The C
// library copies every page a read, a fork's copy-on-write fault or a pipe moves, so
// this is the figure lab bloat's optimisation is graded on.

#include <stdio.h>
#include <string.h>
#include <lamina/report.h>

#define PAGE 4096

static unsigned char src[2 * PAGE] __attribute__((aligned(PAGE)));
static unsigned char dst[2 * PAGE] __attribute__((aligned(PAGE)));

static unsigned long
instret(void)
{
  unsigned long n;

  __asm__ volatile("rdinstret %0" : "=r"(n));
  return n;
}

// Copy n bytes from src+so to dst+dof; 1 if any byte copied, or any of the 8 bytes on
// either side, is wrong.
static int
check(size_t so, size_t dof, size_t n)
{
  size_t lo = dof + 8, hi = lo + n + 8;

  memset(dst, 0xEE, hi + 8);
  if (memcpy(dst + lo, src + so, n) != dst + lo)
    return 1;
  for (size_t i = dof; i < hi + 8; i++) {
    unsigned char want = i >= lo && i < lo + n ? src[so + i - lo] : 0xEE;
    if (dst[i] != want)
      return 1;
  }
  return 0;
}

// The instructions of one n-byte copy (the second of two: the first warms nothing
// up in the emulator, but keeps the count free of a first-touch page fault).
static long
cost(unsigned char *to, const unsigned char *from, size_t n)
{
  unsigned long before;

  memcpy(to, from, n);
  before = instret();
  memcpy(to, from, n);
  return (long)(instret() - before);
}

int
main(void)
{
  static const size_t lengths[] = {0, 1, 7, 8, 9, 15, 63, 64, 65, 127, 200, 1000, PAGE + 13};
  long wrong = 0;

  for (size_t i = 0; i < 2 * PAGE; i++)
    src[i] = (unsigned char)(i * 7 + i / 251);
  for (size_t so = 0; so < 8; so++)  // every alignment of each, relative to a word
    for (size_t dof = 0; dof < 8; dof++)
      for (size_t k = 0; k < sizeof lengths / sizeof lengths[0]; k++)
        wrong += check(so, dof, lengths[k]);
  report("copy.wrong", wrong);
  report("copy.page_instructions", cost(dst, src, PAGE));
  report("copy.unaligned_instructions", cost(dst + 1, src, PAGE));
  return 0;
}
