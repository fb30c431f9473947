/* exec.S: the exec trampoline (see <lamina/exec.h>): the last steps of execv, run
 * from its second mapping at EXEC_CODE_VA once the old image may no longer be used.
 *
 * It is position-independent (only pc-relative branches, no data of its own) so it
 * runs at either address, and it keeps everything in registers: no stack, no
 * global pointer, no loads or stores outside the plan page, except EXEC_OP_STORE's.
 * Errors of the kernel calls are fatal: the old image is partly gone by then.
 *
 *   a0 = the operations (struct exec_op: kind, lo, hi, arg)
 */

#include <lamina/abi.h>
#include <lamina/exec.h>

#if PAGE_SIZE != 4096
#error "the trampoline turns bytes into pages with a shift by 12"
#endif

        .text
        .globl exec_trampoline
        .type exec_trampoline, @function
exec_trampoline:
        mv      s1, a0                  /* the next operation */
        li      s2, EXEC_STAGE_OFFSET

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

        /* page_unmap_range(0, lo, pages of [lo, hi)); holes are no error. */
unmap:  bgeu    s3, s4, next
        li      a0, 0
        mv      a1, s3
        sub     a2, s4, s3
        srli    a2, a2, 12          /* bytes to pages */
        li      a7, SYS_PAGE_UNMAP_RANGE
        ecall
        bltz    a0, die
        j       next

        /* page_map_range(0, lo + offset, 0, lo, pages of [lo, hi), arg | PAGE_MOVE). */
move:   bgeu    s3, s4, next
        li      a0, 0
        add     a1, s3, s2
        li      a2, 0
        mv      a3, s3
        sub     a4, s4, s3
        srli    a4, a4, 12
        ori     a5, s5, PAGE_MOVE
        li      a7, SYS_PAGE_MAP_RANGE
        ecall
        bltz    a0, die
        j       next

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
