/* lamina/exec.h: how execv (userland/lib/exec.c) hands the last steps of an exec to
 * its trampoline (exec.S), and where the pages it needs live.
 *
 * execv builds the new program in a staging area of its own address space, each page
 * EXEC_STAGE_OFFSET above where it belongs. Moving those pages into place destroys
 * the code and stack execv runs on, so that is left to the trampoline: position-
 * independent code copied into the exec page at EXEC_PAGE_VA, which works through a
 * list of operations (struct exec_op) written into the same page and never touches
 * memory of the old image. The exec page stays mapped afterwards (the trampoline
 * cannot unmap the page it runs on); the next exec reuses it.
 *
 * Layout above USER_STACK_TOP (with <lamina/fault.h>'s and <lamina/proc.h>'s pages):
 *   0x40003000  EXEC_PAGE_VA  the trampoline, the new program's entry registers and
 *                             the operations
 *   0x40007000  FD_SAVE_VA    the descriptor table, saved by fd.c across an exec (or
 *                             given to a spawned child) until the program first uses
 *                             descriptors
 */
#ifndef LAMINA_EXEC_H
#define LAMINA_EXEC_H

#include <lamina/abi.h>

#define EXEC_PAGE_VA (USER_STACK_TOP + 3 * PAGE_SIZE)
#define FD_SAVE_VA (USER_STACK_TOP + 7 * PAGE_SIZE)

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

/* Bytes of the exec page the trampoline's code may take. */
#define EXEC_CODE_BYTES 1024

#ifndef __ASSEMBLER__

struct exec_op {
  unsigned long kind;
  unsigned long lo;
  unsigned long hi;
  unsigned long arg;
};

#define EXEC_MAX_OPS ((PAGE_SIZE - EXEC_CODE_BYTES - sizeof(struct fault_frame) - (DOMAIN_NAME_MAX + 1)) / sizeof(struct exec_op))

/* The exec page. */
struct exec_page {
  unsigned int code[EXEC_CODE_BYTES / 4];  /* a copy of exec_trampoline */
  struct fault_frame entry;  /* the registers the new program starts with */
  struct exec_op ops[EXEC_MAX_OPS];
  char name[DOMAIN_NAME_MAX + 1];  /* the new program's, for sys_domain_name */
};

/* The trampoline (exec.S): called with the operations, never returns. Not called
 * where it is linked (in the old image), but through its copy in the exec page. */
void exec_trampoline(struct exec_op *ops);
extern char exec_trampoline_end[];

#endif /* __ASSEMBLER__ */
#endif /* LAMINA_EXEC_H */
