// malloctest: exercise malloc, free, calloc and realloc with a few hundred blocks,
// checking every byte. Prints "malloc ok" and exits 0, or names the first mismatch
// and exits 1.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define NBLOCKS 300
#define MAX_SIZE 2000
#define BIG_SIZE (200 * 1024)

static unsigned char *blocks[NBLOCKS];
static unsigned long sizes[NBLOCKS];
static unsigned long seed = 12345;
static unsigned long high_water;  // highest block end ever handed out

// A deterministic pseudo-random number in [0, limit).
static unsigned long
next_random(unsigned long limit)
{
  seed = seed * 6364136223846793005UL + 1442695040888963407UL;
  return (seed >> 33) % limit;
}

// The byte expected at offset i of block k: different for every block and offset.
static unsigned char
pattern(int k, unsigned long i)
{
  return (unsigned char)(k * 31 + i * 7 + 1);
}

// Fill block k with its pattern, and note how high in memory it reaches.
static void
fill(int k)
{
  if ((unsigned long)blocks[k] + sizes[k] > high_water)
    high_water = (unsigned long)blocks[k] + sizes[k];
  for (unsigned long i = 0; i < sizes[k]; i++)
    blocks[k][i] = pattern(k, i);
}

// Stop the test: print what went wrong and exit 1.
static void
fail(const char *what, int k)
{
  printf("malloctest: %s (block %d)\n", what, k);
  exit(1);
}

// Check that block k still holds its pattern.
static void
check(int k)
{
  if (((unsigned long)blocks[k] & 15) != 0)
    fail("block not 16-byte aligned", k);
  for (unsigned long i = 0; i < sizes[k]; i++) {
    if (blocks[k][i] != pattern(k, i))
      fail("contents changed", k);
  }
}

// Allocate block k with a random size and fill it.
static void
allocate(int k)
{
  sizes[k] = 1 + next_random(MAX_SIZE);
  blocks[k] = malloc(sizes[k]);
  if (blocks[k] == NULL)
    fail("malloc returned NULL", k);
  fill(k);
}

// Check every live block.
static void
check_all(void)
{
  for (int k = 0; k < NBLOCKS; k++) {
    if (blocks[k] != NULL)
      check(k);
  }
}

// Grow or shrink every live block with realloc; the old contents must survive.
static void
resize_all(void)
{
  for (int k = 0; k < NBLOCKS; k++) {
    if (blocks[k] == NULL)
      continue;
    unsigned long keep = sizes[k];
    unsigned long size = 1 + next_random(2 * MAX_SIZE);
    unsigned char *p = realloc(blocks[k], size);
    if (p == NULL)
      fail("realloc returned NULL", k);
    blocks[k] = p;
    sizes[k] = size < keep ? size : keep;
    check(k);
    sizes[k] = size;
    fill(k);
  }
}

// calloc must hand out zeroed memory even when it reuses freed (dirty) blocks.
static void
check_calloc(void)
{
  for (int k = 0; k < 20; k++) {
    unsigned long count = 1 + next_random(100);
    unsigned char *p = calloc(count, 8);
    if (p == NULL)
      fail("calloc returned NULL", k);
    for (unsigned long i = 0; i < count * 8; i++) {
      if (p[i] != 0)
        fail("calloc memory not zero", k);
    }
    memset(p, 0xaa, count * 8);
    free(p);
  }
}

// Free everything, then ask for one block bigger than any single growth of the heap.
// Only if free() coalesced neighbours can it start below the old high-water mark;
// otherwise malloc must map fresh pages above everything used so far.
static void
check_coalescing(void)
{
  unsigned char *big;

  for (int k = 0; k < NBLOCKS; k++) {
    free(blocks[k]);
    blocks[k] = NULL;
  }
  big = malloc(BIG_SIZE);
  if (big == NULL)
    fail("big malloc returned NULL", -1);
  if ((unsigned long)big >= high_water)
    fail("freed blocks were not coalesced", -1);
  memset(big, 0x5a, BIG_SIZE);
  free(big);
}

int
main(void)
{
  for (int k = 0; k < NBLOCKS; k++)
    allocate(k);
  check_all();
  for (int k = 0; k < NBLOCKS; k += 2) {
    free(blocks[k]);
    blocks[k] = NULL;
  }
  check_all();
  check_calloc();
  resize_all();
  for (int k = 0; k < NBLOCKS; k += 2)
    allocate(k);
  check_all();
  check_coalescing();
  printf("malloc ok\n");
  return 0;
}
