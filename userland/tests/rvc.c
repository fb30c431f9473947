// rvc MODE: compressed (2-byte) instructions and the counter CSRs, as the board must
// handle them. Lamina's own programs are built without compressed code, so these are
// written in assembly with `.option rvc`.
//
//   rvc loop           c.j to itself forever: the clock must still advance and preempt
//   rvc count N        N turns of a loop of mixed 2- and 4-byte instructions
//   rvc store          a compressed store (c.sd) to an unmapped address: tval must be it
//   rvc ebreak         c.ebreak: a breakpoint (cause 3) with tval = pc
//   rvc amo            amoadd.d on an address that is 4- but not 8-aligned: cause 6
//   rvc counters       read cycle, time and instret around known code, and print them
//   rvc sleep N        block for N instructions of virtual time, then read the counters

#include <lamina/abi.h>
#include <lamina/ipc.h>
#include <lamina/syscall.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define UNMAPPED 0x30000000UL

// The loop whose instructions per turn the tests count from the disassembly.
void mixed_loop(long n);
__asm__(".text\n"
        ".globl mixed_loop\n"
        ".type mixed_loop, @function\n"
        "mixed_loop:\n"
        ".option push\n"
        ".option rvc\n"
        "1: c.addi a0, -1\n"
        "   c.nop\n"
        "   .4byte 0x00000013\n"  // addi x0, x0, 0: a 4-byte nop between 2-byte ones
        "   c.nop\n"
        "   c.bnez a0, 1b\n"
        ".option pop\n"
        "   ret\n"
        ".size mixed_loop, . - mixed_loop\n");

// c.j to itself: a loop of one 2-byte instruction that never ends.
void compressed_spin(void);
__asm__(".text\n"
        ".globl compressed_spin\n"
        ".type compressed_spin, @function\n"
        "compressed_spin:\n"
        ".option push\n"
        ".option rvc\n"
        "1: c.j 1b\n"
        ".option pop\n"
        ".size compressed_spin, . - compressed_spin\n");

// c.sd a1, 8(a0): a compressed store to a0 + 8.
void compressed_store(uint64_t *to, uint64_t value);
__asm__(".text\n"
        ".globl compressed_store\n"
        ".type compressed_store, @function\n"
        "compressed_store:\n"
        ".option push\n"
        ".option rvc\n"
        "   c.sd a1, 8(a0)\n"
        ".option pop\n"
        "   ret\n"
        ".size compressed_store, . - compressed_store\n");

// What one reading of the counters says (see read_counters).
struct counters {
  uint64_t cycle, time, instret, clock;
  uint64_t instret_after;  // instret again, after four nops
};

// Read cycle, time and instret, then the clock system call, with known code between:
// each value is what the spec says for the instructions that retired before it.
static void
read_counters(struct counters *c)
{
  uint64_t cycle, time, instret, clock, after;

  __asm__ volatile("rdcycle %0\n"
                   "rdtime %1\n"
                   "rdinstret %2\n"
                   "addi x0, x0, 0\n"
                   "addi x0, x0, 0\n"
                   "addi x0, x0, 0\n"
                   "addi x0, x0, 0\n"
                   "rdinstret %3\n"
                   "li a7, %5\n"
                   "ecall\n"
                   "mv %4, a0\n"
                   : "=&r"(cycle), "=&r"(time), "=&r"(instret), "=&r"(after), "=&r"(clock)
                   : "i"(SYS_CLOCK)
                   : "a0", "a7", "memory");
  c->cycle = cycle;
  c->time = time;
  c->instret = instret;
  c->instret_after = after;
  c->clock = clock;
}

// Print one reading, as the tests parse it.
static void
print_counters(const struct counters *c)
{
  printf("cycle %lu\ntime %lu\ninstret %lu\ninstret_after %lu\nclock %lu\n",
         c->cycle, c->time, c->instret, c->instret_after, c->clock);
}

// Block until virtual time has moved n instructions on, with nothing else to run.
static void
sleep_for(uint64_t n)
{
  struct ipc_msg msg;

  sys_timer((unsigned long)sys_clock() + n);
  while (!(ipc_recv(0, &msg) == 0 && (msg.w[0] & NOTIFY_TIMER)))
    ;
}

// A misaligned amoadd.d: the spec makes it a store/AMO address-misaligned fault.
static void
misaligned_amo(void)
{
  static uint64_t words[2];
  uint64_t *odd = (uint64_t *)((uintptr_t)words + 4), one = 1, old;

  printf("rvc: amoadd.d at %p\n", (void *)odd);
  __asm__ volatile("amoadd.d %0, %2, (%1)" : "=r"(old) : "r"(odd), "r"(one) : "memory");
  printf("rvc: survived, old %lu\n", old);
}

int
main(int argc, char **argv)
{
  const char *mode = argc > 1 ? argv[1] : "";
  struct counters c;

  if (strcmp(mode, "loop") == 0) {
    printf("rvc: spinning on c.j\n");
    compressed_spin();
  } else if (strcmp(mode, "count") == 0 && argc == 3) {
    mixed_loop(atol(argv[2]));
    return 0;
  } else if (strcmp(mode, "store") == 0) {
    printf("rvc: c.sd to %p\n", (void *)(UNMAPPED + 8));
    compressed_store((uint64_t *)UNMAPPED, 42);
  } else if (strcmp(mode, "ebreak") == 0) {
    printf("rvc: c.ebreak\n");
    __asm__ volatile(".option push\n.option rvc\nc.ebreak\n.option pop\n");
  } else if (strcmp(mode, "amo") == 0) {
    misaligned_amo();
  } else if (strcmp(mode, "counters") == 0) {
    read_counters(&c);
    print_counters(&c);
    return 0;
  } else if (strcmp(mode, "sleep") == 0 && argc == 3) {
    sleep_for((uint64_t)atol(argv[2]));
    read_counters(&c);
    print_counters(&c);
    return 0;
  }
  printf("usage: rvc loop|count N|store|ebreak|amo|counters|sleep N\n");
  return 2;
}
