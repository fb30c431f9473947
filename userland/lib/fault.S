/* fault.S: the trampoline the kernel starts on a fault, __fault_entry.
 *
 * The kernel enters it with a0 = sp = a struct fault_frame on the exception stack,
 * holding every register of the interrupted code. Everything else is as the
 * interrupted code left it, so this may clobber any register: fault_return reloads
 * them all from the frame. (See <lamina/fault.h>.)
 */

#include <lamina/abi.h>

        .text
        .globl __fault_entry
        .type __fault_entry, @function
__fault_entry:
        /* gp as crt0 sets it, with plain auipc/addi (see crt0.S), in case the
         * interrupted code was using gp for something else. */
        .option push
        .option norelax
        la      gp, __global_pointer$
        .option pop

        mv      s0, a0                  /* the frame; s0 survives the C call */
        la      t0, __fault_handler
        ld      t0, 0(t0)
        jalr    t0                      /* __fault_handler(frame) */

        mv      a0, s0
        li      a7, SYS_FAULT_RETURN
        ecall

        /* fault_return comes back only if the frame is unreadable, and then there is
         * nothing to go back to: end the domain as a fatal fault would (128 + SIGSEGV). */
        li      a0, 139
        li      a7, SYS_EXIT
        ecall
1:      j       1b
        .size __fault_entry, . - __fault_entry
