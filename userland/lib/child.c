// child.c: a child domain running one function of this program (see <lamina/child.h>).
//
// This is exofork as in MIT's Aegis and JOS: domain_create gives an empty address
// space, and the parent fills it page by page with the memory calls, sets the
// child's registers, and leaves it stopped for the caller to start.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/child.h>
#include <lamina/syscall.h>

// A page of the parent's address space, unused otherwise, through which it fills the
// child's private copies: above the stack and the exception stack (<lamina/fault.h>).
#define SCRATCH_VA ((void *)(USER_STACK_TOP + 4 * PAGE_SIZE))

extern char _end[];  // end of bss, defined by userland/user.ld

// A fresh zeroed page at the scratch address, readable, writable and executable, for
// the caller to fill and hand to a child with child_give_scratch; NULL if none.
void *
child_scratch(void)
{
  return sys_page_alloc(0, SCRATCH_VA, 1, PERM_R | PERM_W | PERM_X) < 0 ? NULL : SCRATCH_VA;
}

// Move the scratch page to va in child with rights perm: the frame changes hands
// (and its charge moves to the child), nothing is copied. 0 or -errno; the scratch
// page is gone either way.
long
child_give_scratch(long child, void *va, int perm)
{
  long moved = sys_page_map_range(0, SCRATCH_VA, child, va, 1, perm | PAGE_MOVE);

  if (moved < 0)
    sys_page_unmap(0, SCRATCH_VA);
  return moved < 0 ? moved : 0;
}

// Give the child a private copy of the caller's page at va, with rights perm: filled
// in the scratch page and moved over, two crossings. Returns 0 or -errno.
long
child_copy_page(long child, void *va, int perm)
{
  void *scratch = child_scratch();

  if (scratch == NULL)
    return -ENOMEM;
  memcpy(scratch, va, PAGE_SIZE);
  return child_give_scratch(child, va, perm);
}

// Give the child the parent's page at va: the same frame if it is read-only,
// a copy if it is writable. Returns 0 or -errno.
static long
give_page(long child, char *va, long rights)
{
  int perm = rights & (PERM_R | PERM_W | PERM_X);

  if (perm & PERM_W)
    return child_copy_page(child, va, perm);
  return sys_page_map(0, va, child, va, perm);
}

// Give the child the program image (text to _end) and the heap, which runs on from
// the page after _end for as long as pages are mapped. Returns 0 or -errno.
long
child_give_image(long child)
{
  char *image_end = (char *)(((unsigned long)_end + PAGE_SIZE - 1) & ~(unsigned long)(PAGE_SIZE - 1));
  long rights;
  long err;

  for (char *va = (char *)USER_TEXT_BASE;; va += PAGE_SIZE) {
    rights = sys_page_query(0, va);
    if (rights == -ENOENT && va < image_end)
      continue;  // a hole inside the image
    if (rights < 0)
      return 0;  // the first unmapped page past the image ends the heap
    err = give_page(child, va, rights);
    if (err < 0)
      return err;
  }
}

// Read the global pointer, which the child's code needs as much as the parent's.
static unsigned long
global_pointer(void)
{
  unsigned long gp;

  asm("mv %0, gp" : "=r"(gp));
  return gp;
}

// Give the child a fresh stack and set its registers to call fn(arg), returning into
// exit(). Returns 0 or -errno.
static long
give_stack_and_registers(long child, int (*fn)(long), long arg)
{
  struct user_regs regs;
  long err;

  err = sys_page_alloc(child, (void *)(USER_STACK_TOP - CHILD_STACK_PAGES * PAGE_SIZE),
                       CHILD_STACK_PAGES, PERM_R | PERM_W);
  if (err < 0)
    return err;
  memset(&regs, 0, sizeof regs);
  regs.x[1] = (unsigned long)exit;  // ra: fn's return value is exit's status
  regs.x[2] = USER_STACK_TOP;       // sp
  regs.x[3] = global_pointer();     // gp
  regs.x[10] = arg;                 // a0
  regs.pc = (unsigned long)fn;
  return sys_domain_set_regs(child, &regs);
}

// Create a stopped child that will run fn(arg). Returns its id or -errno.
long
child_create(int (*fn)(long), long arg)
{
  long child;
  long err;

  console_flush();  // else the child's copy of the buffer would print it again
  child = sys_domain_create();
  if (child < 0)
    return child;
  err = child_give_image(child);
  if (err == 0)
    err = give_stack_and_registers(child, fn, arg);
  if (err < 0) {
    sys_domain_destroy(child);
    return err;
  }
  return child;
}
