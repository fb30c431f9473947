// fork.c: fork with copy-on-write, at user level, as in MIT's JOS.
//
// fork makes a child domain with domain_create (exofork: an empty address space and
// a copy of the registers) and fills it from the parent's pages:
//   - read-only pages (text, read-only data) are mapped into the child as they are;
//   - writable pages (data, bss, heap, stack) are marked copy-on-write in the COW map
//     (<lamina/proc.h>), mapped read-only into the child, and narrowed to read-only
//     in the parent too; the first store to one, in either process, is a store page
//     fault that cow_fault answers by giving the writer a private copy;
//   - the library's own pages (the process record and the COW map) are copied at
//     once, since the fault handler writes them, and the child gets a fresh
//     exception stack;
//   - pipe pages are shared writable, as they are (pipe.c, through fd_fork).
// The kernel's page tables have no bit to spare for "copy-on-write", so the mark
// lives in the COW map, in the process's own memory.

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <lamina/child.h>
#include <lamina/fault.h>
#include <lamina/proc.h>
#include <lamina/syscall.h>

// child.c's scratch page (child_copy_page's), free again whenever that returns:
// fork edits the child's process record through it.
#define RECORD_SCRATCH_VA (USER_STACK_TOP + 4 * PAGE_SIZE)

extern char _end[];  // end of bss, defined by userland/user.ld

#define PERM_RWX (PERM_R | PERM_W | PERM_X)
#define STACK_BOTTOM (USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE)
// Frames the subtree must still be able to take once a child is built, or fork fails
// with -ENOMEM: room for the first copy-on-write copies both processes make at once
// (the stack pages in use, the console buffer), so that neither dies of a fault the
// quota cannot pay for the moment fork returns.
#define FORK_RESERVE 16

// Give this process a private, writable copy of the copy-on-write page at va: a
// fresh frame at COW_SCRATCH_VA, filled, then mapped over va. (Even a page nobody else
// maps any more is copied: the kernel lets no mapping widen its own rights.) 0 or
// -errno.
static long
cow_copy(unsigned long va)
{
  void *scratch = (void *)COW_SCRATCH_VA;
  long rights = sys_page_query(0, (void *)va);
  int perm;
  long err;

  if (rights < 0)
    return rights;
  perm = (int)(rights & PERM_RWX) | PERM_W;
  err = sys_page_alloc(0, scratch, 1, perm);
  if (err < 0)
    return err;
  memcpy(scratch, (void *)va, PAGE_SIZE);
  err = sys_page_map(0, scratch, 0, (void *)va, perm);
  sys_page_unmap(0, scratch);
  if (err < 0)
    return err;
  // The mark stays: the page is writable now, so it cannot fault again, and a fork
  // in progress may still copy this process's COW map for its child.
  proc_info()->cow_copies++;
  return 0;
}

// The fault handler of a process that has forked: copy a copy-on-write page on a
// store to it. Any other fault is not the library's to mend: the handler removes
// itself, so the faulting instruction, run again, ends the process as the kernel
// ends any unhandled fault (status 139, with its log line).
static void
cow_fault(struct fault_frame *frame)
{
  unsigned long va = frame->tval & ~(unsigned long)(PAGE_SIZE - 1);

  if (frame->cause == CAUSE_REVOKE)
    return;  // let the kernel take the pages it wants
  if (frame->cause == CAUSE_STORE_PAGE_FAULT && cow_is_marked(va) && cow_copy(va) == 0)
    return;
  sys_set_fault_handler(0, NULL, NULL);
}

// Give child the parent's page at va, if mapped: shared if read-only, else
// copy-on-write in both. 0 (also when nothing is mapped there) or -errno.
static long
fork_page(long child, unsigned long va)
{
  long rights = sys_page_query(0, (void *)va);
  int perm, ro;
  long err;

  if (rights == -ENOENT)
    return 0;
  if (rights < 0)
    return rights;
  perm = (int)(rights & PERM_RWX);
  ro = perm & ~PERM_W;
  if (!(perm & PERM_W) && !cow_is_marked(va))
    return sys_page_map(0, (void *)va, child, (void *)va, perm);
  if (perm & PERM_W) {
    // Mark before narrowing: a store in between (this may be the stack page) must
    // find the page marked.
    err = cow_mark(va, 1);
    if (err < 0)
      return err;
    proc_info()->cow_marked++;
  }
  err = sys_page_map(0, (void *)va, child, (void *)va, ro);
  if (err == 0 && (perm & PERM_W))
    err = sys_page_map(0, (void *)va, 0, (void *)va, ro);
  return err;
}

// Give child the program image and heap (from USER_TEXT_BASE to the first unmapped
// page past _end) and the stack. 0 or -errno.
static long
fork_memory(long child)
{
  unsigned long image_end = ((unsigned long)_end + PAGE_SIZE - 1) & ~(unsigned long)(PAGE_SIZE - 1);
  long err;

  for (unsigned long va = USER_TEXT_BASE;; va += PAGE_SIZE) {
    if (va >= image_end && sys_page_query(0, (void *)va) == -ENOENT)
      break;  // the heap ends at the first hole past the image
    err = fork_page(child, va);
    if (err < 0)
      return err;
  }
  for (unsigned long va = STACK_BOTTOM; va < USER_STACK_TOP; va += PAGE_SIZE) {
    err = fork_page(child, va);
    if (err < 0)
      return err;
  }
  return 0;
}

// Give child a copy of the process record, with nothing of the parent's own
// bookkeeping (children, counters, pending notifications). 0 or -errno.
static long
fork_record(long child)
{
  struct proc_info *scratch = (struct proc_info *)RECORD_SCRATCH_VA;
  long err = child_copy_page(child, (void *)PROC_INFO_VA, PERM_R | PERM_W);

  if (err < 0)
    return err;
  err = sys_page_map(child, (void *)PROC_INFO_VA, 0, scratch, PERM_R | PERM_W);
  if (err < 0)
    return err;
  scratch->cow_copies = 0;
  scratch->cow_marked = 0;
  scratch->notify_pending = 0;
  memset(scratch->children, 0, sizeof scratch->children);
  memset(scratch->killed, 0, sizeof scratch->killed);
  return sys_page_unmap(0, scratch);
}

// Give child the library's pages: its own COW map and process record, a fresh
// exception stack with the COW handler, and the console if the parent has it.
// 0 or -errno.
static long
fork_library(long child, struct proc_info *p)
{
  unsigned long map = COW_MAP_VA;
  long err;

  for (int i = 0; i < COW_MAP_PAGES; i++) {
    if (p->cow_map_present[i]) {
      err = child_copy_page(child, (void *)(map + (unsigned long)i * PAGE_SIZE), PERM_R | PERM_W);
      if (err < 0)
        return err;
    }
  }
  err = fork_record(child);
  if (err < 0)
    return err;
  err = sys_page_alloc(child, (void *)(FAULT_XSTACK_TOP - XSTACK_SIZE), 1, PERM_R | PERM_W);
  if (err < 0)
    return err;
  err = sys_set_fault_handler(child, __fault_entry, (void *)FAULT_XSTACK_TOP);
  if (err < 0)
    return err;
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
  err = fault_handler_install(cow_fault);
  if (err < 0)
    return err;
  console_flush();  // else the child's copy of the buffer would print it again
  child = sys_domain_create();
  if (child <= 0)
    return child;  // 0: this is the child, started by its parent; or -errno
  err = fork_memory(child);
  if (err == 0)
    err = fork_library(child, p);
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
