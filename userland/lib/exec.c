// exec.c: execv, replacing this process's program with one read from the file
// service (see <unistd.h>, docs/processes.md).
//
// image.c builds the new program in the staging area; nothing of the running one has
// changed when that fails, so every error returns with the old image intact. Then
// execv writes the plan for the rest into the plan page (<lamina/exec.h>) and jumps
// to the trampoline, its text mapped a second time above the stack, which unmaps the
// old image, moves the staged pages into place and starts the new program with
// fault_return: the point of no return.
//
// What survives, as POSIX has it: the pid and parent (the domain is the same), the
// children and file server (the process record, above the stack), the bindings
// (the kernel's), pipes (their pages, above the stack) and the descriptor table,
// which fd.c saves in FD_SAVE_VA for the new program's library to take back. What
// does not: the old text, data, heap and stack, the fault handler, and the
// copy-on-write counters (the pages they counted are gone).

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <lamina/exec.h>
#include <lamina/proc.h>
#include <lamina/syscall.h>
#include "image.h"

extern char _end[];  // end of bss, defined by userland/user.ld

_Static_assert(sizeof(struct exec_plan) <= PAGE_SIZE, "the plan is one page");

// The most operations plan_ops writes: six, one per segment, three more.
#define PLAN_MAX_OPS (6 + IMAGE_MAX_SEGMENTS + 3)
_Static_assert(PLAN_MAX_OPS < EXEC_MAX_OPS, "the plan fits its page, with EXEC_OP_END");

// Append operation (kind, lo, hi, arg) to pg's list, after the *n already there,
// and end the list after it.
static void
add_op(struct exec_plan *pg, int *n, unsigned long kind, unsigned long lo, unsigned long hi, unsigned long arg)
{
  pg->ops[*n] = (struct exec_op){kind, lo, hi, arg};
  (*n)++;
  pg->ops[*n].kind = EXEC_OP_END;
}

// The trampoline as mapped at EXEC_CODE_VA (the text pages holding it, mapped there
// again) and the plan page, mapped if it is not yet; NULL if either cannot be.
static struct exec_plan *
exec_pages(void (**trampoline)(struct exec_op *))
{
  unsigned long code = (unsigned long)exec_trampoline, first = code & ~(unsigned long)(PAGE_SIZE - 1);
  struct exec_plan *pg = (struct exec_plan *)EXEC_PLAN_VA;

  if ((unsigned long)exec_trampoline_end - first > EXEC_CODE_PAGES * PAGE_SIZE)
    return NULL;  // cannot happen with exec.S as it is
  if (sys_page_map_range(0, (void *)first, 0, (void *)EXEC_CODE_VA, EXEC_CODE_PAGES, PERM_R | PERM_X) < 1)
    return NULL;
  if (sys_page_query(0, pg) == -ENOENT && sys_page_alloc(0, pg, 1, PERM_R | PERM_W) < 0)
    return NULL;
  *trampoline = (void (*)(struct exec_op *))(EXEC_CODE_VA + (code - first));
  return pg;
}

// The registers the new program starts with, as the boot loader sets them: pc =
// the entry point, sp = a1 = the argv array, a0 = argc, all others 0.
static void
plan_entry(struct exec_plan *pg, const struct image *im)
{
  memset(&pg->entry, 0, sizeof pg->entry);
  pg->entry.x[2] = im->sp;
  pg->entry.x[10] = (unsigned long)im->argc;
  pg->entry.x[11] = im->sp;
  pg->entry.pc = im->entry;
}

// The trampoline's work, in order: drop the fault handler (its code is about to go),
// zero the copy-on-write counters, unmap the old image, heap and stack, move the new
// pages in, give the process the new program's name (the kernel checks the text
// before it describes pcs with that program's symbols), and start it.
static void
plan_ops(struct exec_plan *pg, const struct image *im, struct proc_info *p)
{
  int n = 0;

  add_op(pg, &n, EXEC_OP_CALL, SYS_SET_FAULT_HANDLER, 0, 0);
  add_op(pg, &n, EXEC_OP_STORE, (unsigned long)&p->cow_copies, 0, 0);
  add_op(pg, &n, EXEC_OP_STORE, (unsigned long)&p->cow_reclaimed, 0, 0);
  add_op(pg, &n, EXEC_OP_STORE, (unsigned long)&p->cow_marked, 0, 0);
  add_op(pg, &n, EXEC_OP_UNMAP, PAGE_SIZE, heap_top(), 0);
  add_op(pg, &n, EXEC_OP_UNMAP, STACK_BOTTOM, USER_STACK_TOP, 0);
  for (int i = 0; i < im->nseg; i++)
    add_op(pg, &n, EXEC_OP_MOVE, segment_start(&im->seg[i]), segment_end(&im->seg[i]),
           (unsigned long)im->seg[i].perm);
  add_op(pg, &n, EXEC_OP_MOVE, STACK_BOTTOM, USER_STACK_TOP, PERM_R | PERM_W);
  memcpy(pg->name, im->name, sizeof pg->name);
  add_op(pg, &n, EXEC_OP_CALL, SYS_DOMAIN_NAME, 0, (unsigned long)pg->name);
  add_op(pg, &n, EXEC_OP_CALL, SYS_FAULT_RETURN, (unsigned long)&pg->entry, 0);
}

// Replace this process's program with the executable at path; see <unistd.h>.
long
execv(const char *path, char *const argv[])
{
  struct proc_info *p = proc_info();
  struct exec_plan *pg;
  void (*trampoline)(struct exec_op *);
  struct image im;
  long err;

  if (p == NULL)
    return -ENOMEM;
  err = image_load(path, argv, &im);
  if (err < 0)
    return err;
  pg = exec_pages(&trampoline);
  if (pg == NULL)
    err = -ENOMEM;
  if (err == 0) {
    console_flush();  // what this program printed goes out before the new one starts
    err = fd_exec_save();
  }
  if (err < 0) {
    image_unstage(&im);
    return err;
  }
  plan_ops(pg, &im, p);
  plan_entry(pg, &im);
  trampoline(pg->ops);
  return -EFAULT;  // not reached: the trampoline never returns
}
