// spawn.c: spawnv, a new child process running a program from the file service
// (posix_spawn-like; see <unistd.h>, docs/processes.md).
//
// Built directly from the exokernel's calls, not from fork and execv: image.c builds
// the program in this process's staging area, domain_create makes an empty child,
// and the staged pages move into it (page_map_range with PAGE_MOVE: a segment a
// crossing, and the frames' charge passes to the child). Nothing of this process is marked
// copy-on-write or copied, so the cost depends on the new program, not on this one.
// The child gets a copy of the process record (the file server, the current
// directory), the console, this process's pipes and descriptor table (fdsave.c's
// form, in its FD_SAVE_VA), and starts at the program's entry with argc and argv as
// the boot loader gives them.

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <lamina/exec.h>
#include <lamina/proc.h>
#include <lamina/syscall.h>
#include "image.h"

// Move [lo, hi) from the staging area to the same addresses in child, with rights
// perm. 0 or -errno.
static long
spawn_move(long child, unsigned long lo, unsigned long hi, int perm)
{
  long moved = sys_page_map_range(0, (void *)(lo + EXEC_STAGE_OFFSET), child, (void *)lo,
                                  (hi - lo) / PAGE_SIZE, perm | PAGE_MOVE);

  return moved < 0 ? moved : 0;
}

// Move the staged program and stack into child. 0 or -errno.
static long
spawn_image(long child, const struct image *im)
{
  long err = 0;

  for (int i = 0; i < im->nseg && err == 0; i++)
    err = spawn_move(child, segment_start(&im->seg[i]), segment_end(&im->seg[i]), im->seg[i].perm);
  if (err == 0)
    err = spawn_move(child, STACK_BOTTOM, USER_STACK_TOP, PERM_R | PERM_W);
  return err;
}

// Give child the library's state: the process record, the descriptor table, the
// pipes, and the console if we have it. 0 or -errno.
static long
spawn_library(long child, const struct proc_info *p)
{
  long err = proc_give_record(child);

  if (err == 0)
    err = fd_give(child);
  if (err == 0)
    err = fd_fork(child);
  if (err == 0) {
    err = sys_bind_grant(child, DEVICE_CONSOLE, 0, 0);
    if (err == -EPERM)
      err = 0;  // a process without the console has none to give
  }
  return err;
}

// Point child at the program's entry, as the boot loader does: pc = the entry, sp =
// a1 = the argv array, a0 = argc, all other registers 0. 0 or -errno.
static long
spawn_regs(long child, const struct image *im)
{
  struct user_regs regs;

  memset(&regs, 0, sizeof regs);
  regs.x[2] = im->sp;
  regs.x[10] = (unsigned long)im->argc;
  regs.x[11] = im->sp;
  regs.pc = im->entry;
  return sys_domain_set_regs(child, &regs);
}

// A free slot in the table of children, or -1.
static int
free_child_slot(const struct proc_info *p)
{
  for (int i = 0; i < PROC_MAX_CHILDREN; i++)
    if (p->children[i] == 0)
      return i;
  return -1;
}

// Start a child running the executable at path; see <unistd.h>.
long
spawnv(const char *path, char *const argv[])
{
  struct proc_info *p = proc_info();
  struct image im;
  long child, err;
  int slot;

  if (p == NULL)
    return -ENOMEM;
  slot = free_child_slot(p);
  if (slot < 0)
    return -EAGAIN;
  err = image_load(path, argv, &im);
  if (err < 0)
    return err;
  console_flush();  // our output so far comes before the child's
  child = sys_domain_create();
  if (child < 0) {
    image_unstage(&im);
    return child;
  }
  err = spawn_image(child, &im);
  if (err >= 0)
    err = spawn_library(child, p);
  if (err >= 0)
    err = spawn_regs(child, &im);
  if (err >= 0)
    err = sys_domain_name(child, im.name);
  if (err >= 0)
    err = sys_domain_set_state(child, DOM_STATE_RUNNABLE);
  image_unstage(&im);
  if (err < 0) {
    sys_domain_destroy(child);
    return err;
  }
  p->children[slot] = child;
  return child;
}
