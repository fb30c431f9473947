// fork.c: fork with copy-on-write, at user level, as in MIT's JOS.
//
// fork makes a child domain with domain_create (exofork: an empty address space and
// a copy of the registers) and fills it from the parent's memory a region at a time,
// with the range calls (one crossing for many pages):
//   - read-only pages (text, read-only data) are mapped into the child as they are;
//   - writable pages (data, bss, heap, stack) become copy-on-write: mapped read-only
//     and marked (PERM_MARK, a bit the kernel keeps in the mapping for the library)
//     into the child, and narrowed the same way in the parent; the first store to
//     one, in either process, is a store page fault that cow_fault answers by giving
//     the writer a page of its own;
//   - the stack page in use is copied at once: both processes write it the moment
//     fork returns, and two faults would cost more than one copy; the stack below it
//     holds nothing live (the RISC-V ABI keeps nothing below sp), so the child gets
//     those pages only when it touches them, fresh and zeroed, from its fault handler;
//   - the library's own pages are the child's from the start: a fresh process record
//     (the fault handler writes it), a fresh exception stack; pipe pages are shared
//     writable, as they are (pipe.c, through fd_fork).
// Policy stays here: the kernel only maps, narrows, marks and moves what it is told.

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <lamina/child.h>
#include <lamina/fault.h>
#include <lamina/proc.h>
#include <lamina/syscall.h>

#define PERM_RWX (PERM_R | PERM_W | PERM_X)
#define STACK_BOTTOM (USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE)
// Frames the subtree must still be able to take once a child is built, or fork fails
// with -ENOMEM: room for the first copy-on-write copies both processes make at once
// (the stack pages in use, the console buffer), so that neither dies of a fault the
// quota cannot pay for the moment fork returns.
#define FORK_RESERVE 16
// Pages fork asks about in one page_query_range (a byte each, on the stack).
#define QUERY_PAGES 256
// page_query_range's byte of a page fork must make copy-on-write: writable, or
// already marked by an earlier fork and not yet written since.
#define COW_PAGE(q) (((q) & (PERM_W | PERM_MARK)) != 0)

// Make the copy-on-write page at va, whose rights are `rights` (page_query's
// answer), writable for this process alone. A page nobody else maps any more is
// simply taken back (the kernel lets a domain widen a frame it alone maps);
// otherwise a fresh frame is filled at COW_SCRATCH_VA and moved over va. 0 or -errno.
static long
cow_take(unsigned long va, long rights)
{
  /* BEGIN LAB cow: (void)va; (void)rights; return -ENOSYS; */
  void *scratch = (void *)COW_SCRATCH_VA;
  int perm = (int)(rights & PERM_RWX) | PERM_W;  // the mark goes: the page is private now
  long err;

  if ((rights & PAGE_OWNED) && !(rights & PAGE_SHARED)) {
    err = sys_page_map(0, (void *)va, 0, (void *)va, perm);
    if (err == 0)
      proc_info()->cow_reclaimed++;
    return err;
  }
  err = sys_page_alloc(0, scratch, 1, perm);
  if (err < 0)
    return err;
  memcpy(scratch, (void *)va, PAGE_SIZE);
  err = sys_page_map_range(0, scratch, 0, (void *)va, 1, perm | PAGE_MOVE);
  if (err < 0) {
    sys_page_unmap(0, scratch);
    return err;
  }
  proc_info()->cow_copies++;
  return 0;
  /* END LAB cow */
}

// Whether va is a page of the stack.
static int
in_stack(unsigned long va)
{
  return va >= STACK_BOTTOM && va < USER_STACK_TOP;
}

static fault_handler_fn *before_fork;  // the fault handler fork found installed
static int cow_installed;              // cow_fault is installed (perhaps behind another)

// The fault handler of a process that has forked: a store to a marked page gets the
// writer its own page, and a touch of a stack page fork did not give gets a fresh
// one. Any other fault goes to the handler installed before (sigalarm's, say), or, if
// none, is not the library's to mend: the handler removes itself, so the faulting
// instruction, run again, ends the process as the kernel ends any unhandled fault
// (status 139, with its log line).
static void
cow_fault(struct fault_frame *frame)
{
  unsigned long va = frame->tval & ~(unsigned long)(PAGE_SIZE - 1);
  long rights;

  if (frame->cause == CAUSE_REVOKE)
    return;  // let the kernel take the pages it wants
  if (frame->cause == CAUSE_STORE_PAGE_FAULT || frame->cause == CAUSE_LOAD_PAGE_FAULT) {
    rights = sys_page_query(0, (void *)va);
    if (rights == -ENOENT && in_stack(va) && sys_page_alloc(0, (void *)va, 1, PERM_R | PERM_W) == 0) {
      proc_info()->stack_pages_added++;
      return;
    }
    if (frame->cause == CAUSE_STORE_PAGE_FAULT && rights >= 0 && (rights & PERM_MARK) && cow_take(va, rights) == 0)
      return;
  }
  if (before_fork != NULL)
    before_fork(frame);
  else
    fault_handler_install(NULL);
}

// Give child npages pages from va, which are all copy-on-write pages or all not
// (holes may be among them). Returns the pages made copy-on-write, or -errno.
static long
fork_run(long child, unsigned long va, unsigned long npages, int cow)
{
  /* BEGIN LAB cow: (void)child; (void)va; (void)npages; (void)cow; return -ENOSYS; */
  int mask = PERM_R | PERM_X | (cow ? PERM_MARK : 0);  // never W: only narrows
  long placed = sys_page_map_range(0, (void *)va, child, (void *)va, npages, mask);

  if (placed > 0 && cow)
    placed = sys_page_map_range(0, (void *)va, 0, (void *)va, npages, mask);
  return cow || placed < 0 ? placed : 0;
  /* END LAB cow */
}

// Give child the pages of [lo, hi): each maximal run of read-only pages shared as it
// is, each run of copy-on-write pages marked in both. 0 or -errno.
static long
fork_region(long child, unsigned long lo, unsigned long hi)
{
  unsigned char q[QUERY_PAGES];

  for (unsigned long base = lo; base < hi; base += QUERY_PAGES * PAGE_SIZE) {
    unsigned long n = (hi - base) / PAGE_SIZE < QUERY_PAGES ? (hi - base) / PAGE_SIZE : QUERY_PAGES;
    long mapped = sys_page_query_range(0, (void *)base, n, q);
    if (mapped < 0)
      return mapped;
    for (unsigned long i = 0, j; mapped > 0 && i < n; i = j) {
      if (q[i] == 0) {
        j = i + 1;  // a hole: no run starts here
        continue;
      }
      for (j = i + 1; j < n && (q[j] == 0 || COW_PAGE(q[j]) == COW_PAGE(q[i])); j++)
        ;
      long made = fork_run(child, base + i * PAGE_SIZE, j - i, COW_PAGE(q[i]));
      if (made < 0)
        return made;
      proc_info()->cow_marked += (unsigned long)made;
    }
  }
  return 0;
}

// Give child the program image and heap, and the stack above hot, the stack page in
// use: all copy-on-write but hot itself, which it gets a copy of now. 0 or -errno.
static long
fork_memory(long child, unsigned long hot)
{
  long err = fork_region(child, USER_TEXT_BASE, heap_top());

  if (err == 0)
    err = fork_region(child, hot + PAGE_SIZE, USER_STACK_TOP);
  if (err == 0)
    err = child_copy_page(child, (void *)hot, PERM_R | PERM_W);
  return err;
}

// Give child the library's pages: its own process record, a fresh exception stack
// with the COW handler, and the console if the parent has it. 0 or -errno.
static long
fork_library(long child)
{
  long err = proc_give_record(child);

  if (err == 0)
    err = sys_page_alloc(child, (void *)(FAULT_XSTACK_TOP - XSTACK_SIZE), 1, PERM_R | PERM_W);
  if (err == 0)
    err = sys_set_fault_handler(child, __fault_entry, (void *)FAULT_XSTACK_TOP);
  if (err == 0)
    err = sys_bind_grant(child, DEVICE_CONSOLE, 0, 0);
  return err == -EPERM ? 0 : err;  // a parent without the console has none to give
}

// Whether this process's subtree can still take FORK_RESERVE frames.
static int
reserve_left(void)
{
  struct domain_info info;

  return sys_domain_info(0, &info) == 0 && info.pages + FORK_RESERVE <= info.page_quota;
}

// A free slot in the table of children, or -1.
static int
free_child_slot(struct proc_info *p)
{
  for (int i = 0; i < PROC_MAX_CHILDREN; i++)
    if (p->children[i] == 0)
      return i;
  return -1;
}

// Make a copy of this process. Returns the child's pid in the parent, 0 in the child,
// or -errno (-EAGAIN: too many children not yet waited for).
long
fork(void)
{
  struct proc_info *p = proc_info();
  long child, err;
  int slot;

  if (p == NULL)
    return -ENOMEM;
  slot = free_child_slot(p);
  if (slot < 0)
    return -EAGAIN;
  if (!cow_installed) {
    before_fork = __fault_handler;
    err = fault_handler_install(cow_fault);
    if (err < 0)
      return err;
    cow_installed = 1;
  }
  console_flush();  // else the child's copy of the buffer would print it again
  child = sys_domain_create();
  if (child <= 0)
    return child;  // 0: this is the child, started by its parent; or -errno
  err = fork_memory(child, (unsigned long)&slot & ~(unsigned long)(PAGE_SIZE - 1));  // fork's frame
  if (err == 0)
    err = fork_library(child);
  if (err == 0)
    err = fd_fork(child);
  if (err == 0 && !reserve_left())
    err = -ENOMEM;  // the pages both now share could not all be copied
  if (err == 0)
    err = sys_domain_set_state(child, DOM_STATE_RUNNABLE);
  if (err < 0) {
    sys_domain_destroy(child);
    return err;
  }
  p->children[slot] = child;
  return child;
}
