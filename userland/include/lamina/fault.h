/* lamina/fault.h: handling this domain's own faults (userland/lib/fault.c, fault.S).
 *
 * fault_handler_install(fn) maps an exception stack and asks the kernel to start
 * __fault_entry on it for every fault, and for every request to give back pages
 * (cause CAUSE_REVOKE, tval = how many). __fault_entry calls fn(frame) with the
 * interrupted registers, pc, cause and tval in *frame; when fn returns, every register
 * is reloaded from *frame with sys_fault_return, so a faulting instruction runs again
 * (and interrupted code goes on after a revocation). fn may edit *frame, for example
 * frame->pc to resume elsewhere, or call exit() to give up.
 */
#ifndef LAMINA_FAULT_H
#define LAMINA_FAULT_H

#include <lamina/abi.h>

/* The exception stack is the page below this address, with one unmapped guard page
 * between it and the top of the normal stack. */
#define FAULT_XSTACK_TOP (USER_STACK_TOP + 2 * PAGE_SIZE)

/* Values of frame->cause: the RISC-V exception codes (scause) of the faults a user
 * program can take, from the privileged specification, and Lamina's own CAUSE_REVOKE. */
#define CAUSE_ILLEGAL_INSTRUCTION 2
#define CAUSE_BREAKPOINT 3
#define CAUSE_INSN_PAGE_FAULT 12
#define CAUSE_LOAD_PAGE_FAULT 13
#define CAUSE_STORE_PAGE_FAULT 15
/* CAUSE_REVOKE and CAUSE_ALARM (Lamina's own) come from <lamina/abi.h>. */

#ifndef __ASSEMBLER__

typedef void fault_handler_fn(struct fault_frame *frame);

/* Send this domain's faults to fn, mapping the exception stack if it is not yet
 * mapped. fn NULL sends them nowhere again (a fault then ends the domain).
 * Returns 0 or -errno. */
long fault_handler_install(fault_handler_fn *fn);

/* The handler fault_handler_install last installed, or NULL. */
extern fault_handler_fn *__fault_handler;

/* The entry point the kernel starts on a fault (a0 = sp = the frame); not for calling. */
void __fault_entry(void);

#endif /* __ASSEMBLER__ */
#endif /* LAMINA_FAULT_H */
