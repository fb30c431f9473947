/* rawcall.h: a system call with every argument register written out, for tests that
 * check the register protocol of docs/abi.md (what a call leaves in a0..a7), which the
 * library's wrappers hide.
 */
#ifndef LAMINA_RAWCALL_H
#define LAMINA_RAWCALL_H

/* Load a0..a7 from r[0..7], ecall, and store a0..a7 back into r[0..7]. */
static inline void
raw_ecall(unsigned long r[8])
{
  register unsigned long a0 __asm__("a0") = r[0], a1 __asm__("a1") = r[1], a2 __asm__("a2") = r[2],
      a3 __asm__("a3") = r[3], a4 __asm__("a4") = r[4], a5 __asm__("a5") = r[5],
      a6 __asm__("a6") = r[6], a7 __asm__("a7") = r[7];

  __asm__ volatile("ecall"
                   : "+r"(a0), "+r"(a1), "+r"(a2), "+r"(a3), "+r"(a4), "+r"(a5), "+r"(a6), "+r"(a7)
                   :
                   : "memory");
  r[0] = a0, r[1] = a1, r[2] = a2, r[3] = a3, r[4] = a4, r[5] = a5, r[6] = a6, r[7] = a7;
}

#endif
