// malloc.c: the heap: malloc, free, calloc and realloc.
//
// The heap is one contiguous run of pages that starts at the first page boundary after
// the program's bss (_end, from userland/user.ld) and grows upward with page_alloc,
// toward the stack. Free blocks sit on a circular list sorted by address; free() merges
// a block with its free neighbours, so freed space coalesces back into large blocks.
// This is Kernighan and Ritchie's allocator (as in xv6's umalloc.c): first fit, with
// the search starting where the last one ended.

#include <stdlib.h>
#include <string.h>
#include <lamina/proc.h>
#include <lamina/syscall.h>

// Every block, free or in use, starts with a header. Sizes are counted in header units
// of 16 bytes, which keeps every block, and so every pointer malloc returns, 16-byte
// aligned.
struct header {
  struct header *next;  // next free block by address (meaningful only while free)
  size_t units;         // size of this block in header units, header included
};

#define UNIT sizeof(struct header)

// Grow the heap by at least this many pages at a time: fewer system calls.
#define GROW_PAGES 16

// The heap may not grow into the stack's pages.
#define HEAP_LIMIT ((unsigned long)USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE)

extern char _end[];  // end of bss, defined by userland/user.ld

static struct header base;    // a block of size 0 that anchors the free list
static struct header *freep;  // where the next search starts; NULL until first use
static char *heap_end;        // first byte past the heap's pages; NULL until first use

// Round a up to a multiple of PAGE_SIZE.
static unsigned long
page_round_up(unsigned long a)
{
  return (a + PAGE_SIZE - 1) & ~(unsigned long)(PAGE_SIZE - 1);
}

// Return a block to the free list, merging it with the free blocks on either side.
void
free(void *ptr)
{
  struct header *block;
  struct header *p;

  if (ptr == NULL)
    return;
  block = (struct header *)ptr - 1;
  // Find p, the free block just below block. The list is circular, so the wrap from
  // the highest free block back to the lowest needs its own test.
  for (p = freep; !(block > p && block < p->next); p = p->next) {
    if (p >= p->next && (block > p || block < p->next))
      break;
  }
  if (block + block->units == p->next) {
    block->units += p->next->units;  // absorb the free block just above
    block->next = p->next->next;
  } else {
    block->next = p->next;
  }
  if (p + p->units == block) {
    p->units += block->units;  // let the free block just below absorb this one
    p->next = block->next;
  } else {
    p->next = block;
  }
  freep = p;
}

// Map npages more pages at the top of the heap. Returns 0 or -errno.
static long
grow_heap(unsigned long npages)
{
  unsigned long bytes = npages * PAGE_SIZE;
  struct header *block = (struct header *)heap_end;
  long err;

  if ((unsigned long)heap_end + bytes > HEAP_LIMIT)
    return -ENOMEM;
  err = sys_page_alloc(0, heap_end, npages, PERM_R | PERM_W);  // dom 0: this domain
  if (err < 0)
    return err;
  block->units = bytes / UNIT;
  heap_end += bytes;
  free(block + 1);
  return 0;
}

// Grow the heap enough for a block of units; GROW_PAGES at a time if the kernel
// allows, else exactly what is needed. Returns the free list, or NULL if out of memory.
static struct header *
more_core(size_t units)
{
  unsigned long npages = page_round_up(units * UNIT) / PAGE_SIZE;

  if (heap_end == NULL)
    heap_end = (char *)page_round_up((unsigned long)_end);
  if (npages < GROW_PAGES && grow_heap(GROW_PAGES) == 0)
    return freep;
  if (grow_heap(npages) == 0)
    return freep;
  return NULL;
}

// The first address past the heap's pages: where fork and exec find the image's end.
unsigned long
heap_top(void)
{
  return heap_end ? (unsigned long)heap_end : page_round_up((unsigned long)_end);
}

// Allocate size bytes, 16-byte aligned. Returns NULL if the heap cannot grow enough.
void *
malloc(size_t size)
{
  struct header *prev;
  struct header *p;
  size_t units;

  if (size >= HEAP_LIMIT)
    return NULL;  // also keeps the arithmetic below from overflowing
  units = (size + UNIT - 1) / UNIT + 1;
  if (freep == NULL) {
    base.next = &base;
    base.units = 0;
    freep = &base;
  }
  prev = freep;
  for (p = prev->next;; prev = p, p = p->next) {
    if (p->units >= units) {
      if (p->units == units) {
        prev->next = p->next;  // an exact fit leaves the list
      } else {
        p->units -= units;     // otherwise hand out the tail of the block
        p += p->units;
        p->units = units;
      }
      freep = prev;
      return p + 1;
    }
    if (p == freep) {
      // Searched the whole list without a fit.
      p = more_core(units);
      if (p == NULL)
        return NULL;
    }
  }
}

// Allocate zeroed space for count objects of size bytes. NULL if out of memory or
// count * size overflows.
void *
calloc(size_t count, size_t size)
{
  void *p;

  if (size != 0 && count > HEAP_LIMIT / size)
    return NULL;
  p = malloc(count * size);
  if (p != NULL)
    memset(p, 0, count * size);
  return p;
}

// Resize the block at ptr to size bytes, keeping its contents (up to the smaller size).
// Returns the block's new address, or NULL (leaving ptr untouched) if out of memory.
// realloc(NULL, n) is malloc(n); realloc(ptr, 0) frees ptr and returns NULL.
void *
realloc(void *ptr, size_t size)
{
  struct header *block;
  size_t capacity;
  void *moved;

  if (ptr == NULL)
    return malloc(size);
  if (size == 0) {
    free(ptr);
    return NULL;
  }
  block = (struct header *)ptr - 1;
  capacity = (block->units - 1) * UNIT;
  if (size <= capacity)
    return ptr;
  moved = malloc(size);
  if (moved == NULL)
    return NULL;
  memcpy(moved, ptr, capacity);
  free(ptr);
  return moved;
}
