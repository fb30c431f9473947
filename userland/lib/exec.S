/* exec.S: the exec trampoline (see <lamina/exec.h>): the last steps of execv, run
 * from a copy in the exec page once the old image may no longer be used.
 *
 * It is position-independent (only pc-relative branches, no data of its own) so the
 * copy runs wherever it lands, and it keeps everything in registers: no stack, no
 * global pointer, no loads or stores outside the exec page, except EXEC_OP_STORE's.
 * Errors of the kernel calls are fatal: the old image is partly gone by then.
 *
 *   a0 = the operations (struct exec_op: kind, lo, hi, arg)
 */

#include <lamina/abi.h>
#include <lamina/exec.h>

        .text
        .globl exec_trampoline
        .type exec_trampoline, @function
exec_trampoline:
        mv      s1, a0                  /* the next operation */
        li      s2, EXEC_STAGE_OFFSET
        li      s6, PAGE_SIZE

next:   ld      t0, 0(s1)               /* kind */
        ld      s3, 8(s1)               /* lo */
        ld      s4, 16(s1)              /* hi */
        ld      s5, 24(s1)              /* arg */
        addi    s1, s1, 32
        li      t1, EXEC_OP_UNMAP
        beq     t0, t1, unmap
        li      t1, EXEC_OP_MOVE
        beq     t0, t1, move
        li      t1, EXEC_OP_STORE
        beq     t0, t1, store
        li      t1, EXEC_OP_CALL
        beq     t0, t1, call
        j       die                     /* EXEC_OP_END, or nonsense */

        /* page_unmap(0, va) for va in [lo, hi); a hole answers -ENOENT: no matter. */
unmap:  bgeu    s3, s4, next
        li      a0, 0
        mv      a1, s3
        li      a7, SYS_PAGE_UNMAP
        ecall
        add     s3, s3, s6
        j       unmap

        /* page_map(0, va + offset, 0, va, arg), then page_unmap(0, va + offset). */
move:   bgeu    s3, s4, next
        li      a0, 0
        add     a1, s3, s2
        li      a2, 0
        mv      a3, s3
        mv      a4, s5
        li      a7, SYS_PAGE_MAP
        ecall
        bltz    a0, die
        li      a0, 0
        add     a1, s3, s2
        li      a7, SYS_PAGE_UNMAP
        ecall
        bltz    a0, die
        add     s3, s3, s6
        j       move

store:  sd      s4, 0(s3)
        j       next

        /* A kernel call: set_fault_handler(0, 0, 0), fault_return(entry frame). */
call:   mv      a7, s3
        mv      a0, s4
        mv      a1, s5
        li      a2, 0
        ecall
        bltz    a0, die
        j       next

die:    li      a0, 139                 /* 128 + SIGSEGV, as Linux past exec's point of no return */
        li      a7, SYS_EXIT
        ecall
1:      j       1b
        .size exec_trampoline, . - exec_trampoline

        .globl exec_trampoline_end
exec_trampoline_end:
