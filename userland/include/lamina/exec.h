/* lamina/exec.h: how execv (userland/lib/exec.c) hands the last steps of an exec to
 * its trampoline (exec.S), and where the pages it needs live.
 *
 * execv builds the new program in a staging area of its own address space, each page
 * EXEC_STAGE_OFFSET above where it belongs. Moving those pages into place destroys
 * the code and stack execv runs on, so that is left to the trampoline: position-
 * independent code, which runs from a second mapping of the text pages that hold it
 * (at EXEC_CODE_VA) and works through a list of operations (struct exec_op) in the
 * plan page, never touching memory of the old image. Mapping rather than copying
 * the code keeps it in the same frames exec after exec, so the emulator's translated
 * code for it is reused. Both stay mapped afterwards (the trampoline cannot unmap
 * the page it runs on); the next exec replaces them.
 *
 * Layout above USER_STACK_TOP (with <lamina/fault.h>'s and <lamina/proc.h>'s pages):
 *   0x40007000  FD_SAVE_VA    the descriptor table, saved by fd.c across an exec (or
 *                             given to a spawned child) until the program first uses
 *                             descriptors
 *   0x40008000  EXEC_CODE_VA  two pages: the text pages holding exec_trampoline
 *   0x4000a000  EXEC_PLAN_VA  the new program's entry registers, the operations, its
 *                             name
 */
#ifndef LAMINA_EXEC_H
#define LAMINA_EXEC_H

#include <lamina/abi.h>

#define FD_SAVE_VA (USER_STACK_TOP + 7 * PAGE_SIZE)
#define EXEC_CODE_VA (USER_STACK_TOP + 8 * PAGE_SIZE)
#define EXEC_CODE_PAGES 2  /* the trampoline may straddle a page boundary */
#define EXEC_PLAN_VA (USER_STACK_TOP + 10 * PAGE_SIZE)

/* The staging area: 64 GiB up, far from anything a program maps (and one page-table
 * subtree of its own). */
#define EXEC_STAGE_OFFSET 0x1000000000

/* Operations, each four words: kind, lo, hi, arg. The trampoline ends the process
 * with status 139 (as a fatal fault would: the old image is gone) if one fails, or
 * if it meets EXEC_OP_END. */
#define EXEC_OP_END 0    /* no more operations */
#define EXEC_OP_UNMAP 1  /* page_unmap_range of [lo, hi): one call; holes are fine */
#define EXEC_OP_MOVE 2   /* page_map_range with PAGE_MOVE of the staged [lo, hi) to
                          * [lo, hi) with rights arg: one call a segment */
#define EXEC_OP_STORE 3  /* store the word hi at address lo */
#define EXEC_OP_CALL 4   /* the kernel call number lo, with a0 = hi, a1 = arg, a2 = 0 */

#ifndef __ASSEMBLER__

struct exec_op {
  unsigned long kind;
  unsigned long lo;
  unsigned long hi;
  unsigned long arg;
};

#define EXEC_MAX_OPS ((PAGE_SIZE - sizeof(struct fault_frame) - (DOMAIN_NAME_MAX + 1)) / sizeof(struct exec_op))

/* The plan page. */
struct exec_plan {
  struct fault_frame entry;  /* the registers the new program starts with */
  struct exec_op ops[EXEC_MAX_OPS];
  char name[DOMAIN_NAME_MAX + 1];  /* the new program's, for sys_domain_name */
};

/* The trampoline (exec.S): called with the operations, never returns. Not called
 * where it is linked (in the old image), but through its mapping at EXEC_CODE_VA. */
void exec_trampoline(struct exec_op *ops);
extern char exec_trampoline_end[];

#endif /* __ASSEMBLER__ */
#endif /* LAMINA_EXEC_H */
