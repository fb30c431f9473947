/* crt0.S: where every user program starts.
 *
 * The kernel enters _start in user mode with
 *   a0 = argc, a1 = argv (strings and pointer array at the top of the stack),
 *   sp = a 16-byte-aligned stack pointer just below them.
 * _start sets up gp, calls main(argc, argv) and passes main's return value to exit(),
 * which flushes buffered console output and ends the domain.
 */

        .section .text._start, "ax", @progbits
        .globl _start
        .type _start, @function
_start:
        /* gp must be loaded with plain auipc/addi: a relaxing linker would otherwise
         * rewrite this very instruction into a gp-relative one. */
        .option push
        .option norelax
        la      gp, __global_pointer$
        .option pop

        /* No caller: a zero frame pointer and return address end backtraces here. */
        li      s0, 0
        li      ra, 0

        /* a0 and a1 already hold argc and argv, as main expects them. */
        call    main
        call    exit

        /* exit() never returns; if it somehow did, stop here rather than run on. */
1:      j       1b
        .size _start, . - _start
