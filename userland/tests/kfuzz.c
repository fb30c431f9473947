// kfuzz: a system-call interpreter, the guest half of the kernel fuzz test
// (tests/test_fuzz_kernel.py).
//
// Before the program runs, the test writes a script into kf_script: records of a call
// number and seven arguments. The interpreter resolves each argument (a literal, or a
// symbolic value such as "my second child" or "scratch page 3", so random scripts hit
// interesting cases), makes the call with a raw ecall, stores a0 in kf_results, and
// exits 0 when the script is done. Record numbers from OP_FIRST up are pseudo-ops made
// of several real calls or of plain loads and stores (memory probes).
//
// Children start with an empty address space (exofork). The script may give them pages
// and registers and run them (most fault at once); OP_SERVE makes one an agent that
// makes the calls the interpreter sends it by IPC, so children call the kernel too.
//
// Faults are part of what is being tested, so none is prevented: a probe of an
// unmapped page is caught by the fault handler and reported as PROBE_FAULT; any other
// fault in the interpreter ends it with FAULT_EXIT (or kills it, without a handler).
//
// The #defines below are the protocol with the test, which reads them from this file.

#include <lamina/abi.h>
#include <lamina/syscall.h>

#define MAX_RECORDS 256
#define NARGS 7
#define MAX_CHILDREN 8
#define BUF_WORDS 64
#define NSCRATCH 8

// Argument kinds: how an argument word becomes a value (4 bits per argument in `kinds`).
#define K_LIT 0     // the word itself
#define K_SELF 1    // this domain's id
#define K_PEER 2    // another interpreter's id (kf_peer), or a domain that never exists
#define K_CHILD 3   // the id of child number word % (children so far), in creation order
#define K_PAGE 4    // scratch page (word >> 12) % NSCRATCH, plus the offset word & 0xfff
#define K_PROG 5    // one of the program's own pages: text, rodata, data, stack
#define K_BUF 6     // byte word % sizeof kf_buf of a buffer for structures
#define K_CODE 7    // an entry point: fault handler, IPC server, exit stub
#define K_XSTACK 8  // the top of this program's exception stack
#define K_SENDER 9  // the sender of the last call this domain received
#define K_RESULT 10 // the result of record word % MAX_RECORDS (0 if not run yet)

// Pseudo-ops.
#define OP_FIRST 100
#define OP_SERVE 100  // serve(child): make a child an agent (an IPC server) running kf_server_main
#define OP_PEEK 101   // peek(va): load the word at va
#define OP_POKE 102   // poke(va, value): store value at va
#define OP_RESUME 103 // fault_return to the next instruction with a frame built here

#define BOGUS_ID (1UL << 40)        // a domain id the kernel never hands out
#define PROBE_MAGIC 0x6b667a7aUL    // a6 of the getid that reports a probe that worked
#define PROBE_FAULT (-1000L)        // a probe's result when it faulted
#define FAULT_EXIT 99               // exit status after a fault the handler cannot fix
#define CHILD_EXIT 42               // exit status of kf_exit_stub
#define SERVER_STACK 0x30000000UL   // an agent child's stack page
#define SERVER_WINDOW 0x40000000UL  // where an agent child receives pages

// One script record: a call (or pseudo-op) number and its arguments.
struct record {
  unsigned long num;
  unsigned long kinds;  // argument j's kind in bits 4j..4j+3
  unsigned long arg[NARGS];
};

// Written by the test before the program runs.
volatile struct record kf_script[MAX_RECORDS];
volatile unsigned long kf_count;
volatile long kf_peer;

// Read by the test afterwards.
volatile long kf_results[MAX_RECORDS];
volatile unsigned long kf_done;
volatile unsigned long kf_faults;

// Scratch pages for page calls, spread so they need page tables of their own: pages
// just above the stack (revocation, which takes the highest pages first, takes them
// before the program's own), one elsewhere in the first GiB, one at the very top of the
// user half, one in the first 2 MiB beside the program, one in a table of its own.
static const unsigned long scratch_pages[NSCRATCH] = {
  0x40000000UL, 0x40001000UL, 0x40002000UL, 0x40003000UL,
  0x20000000UL, USER_VA_LIMIT - PAGE_SIZE, 0x40200000UL, 0x1000UL,
};

static long self_id;
static long children[MAX_CHILDREN];
static unsigned long nchildren;
static long last_sender;
static unsigned long kf_buf[BUF_WORDS];
static unsigned char kf_xstack[XSTACK_SIZE] __attribute__((aligned(PAGE_SIZE)));
unsigned long kf_frame[FAULT_FRAME_SIZE / 8];  // kf_resume_here's frame

// --- raw calls and probes, in assembly -------------------------------------------------

// long kf_ecall(long num, unsigned long regs[NARGS]): make call num with a0..a6 from
// regs; afterwards regs holds a0..a6 as the kernel left them (IPC words, a page).
// Returns a0.
long kf_ecall(long num, unsigned long *regs);
__asm__(
  "        .text\n"
  "        .globl kf_ecall\n"
  "kf_ecall:\n"
  "        mv      t1, a1\n"
  "        mv      a7, a0\n"
  "        ld      a0, 0(t1)\n"
  "        ld      a1, 8(t1)\n"
  "        ld      a2, 16(t1)\n"
  "        ld      a3, 24(t1)\n"
  "        ld      a4, 32(t1)\n"
  "        ld      a5, 40(t1)\n"
  "        ld      a6, 48(t1)\n"
  "        ecall\n"
  "        sd      a0, 0(t1)\n"
  "        sd      a1, 8(t1)\n"
  "        sd      a2, 16(t1)\n"
  "        sd      a3, 24(t1)\n"
  "        sd      a4, 32(t1)\n"
  "        sd      a5, 40(t1)\n"
  "        sd      a6, 48(t1)\n"
  "        ret\n");

// long kf_probe_load(unsigned long va): the word at va, then a getid whose a6 is
// PROBE_MAGIC tells the test (a3 = va, a4 = 0: a load) that the load worked. The load
// and the ecall are one basic block, so no other domain runs between them.
// unsigned long kf_probe_store(unsigned long va, unsigned long value): the same for a
// store (a4 = 1). On a fault the handler returns PROBE_FAULT from either.
long kf_probe_load(unsigned long va);
long kf_probe_store(unsigned long va, unsigned long value);
extern char kf_probe_load_insn[], kf_probe_store_insn[];
__asm__(
  "        .text\n"
  "        .globl kf_probe_load, kf_probe_load_insn\n"
  "kf_probe_load:\n"
  "        mv      a3, a0\n"
  "        li      a4, 0\n"
  "        li      a6, 0x6b667a7a\n"
  "        li      a7, 5\n"  // SYS_GETID
  "kf_probe_load_insn:\n"
  "        ld      t0, 0(a3)\n"
  "        ecall\n"
  "        mv      a0, t0\n"
  "        ret\n"
  "        .globl kf_probe_store, kf_probe_store_insn\n"
  "kf_probe_store:\n"
  "        mv      a3, a0\n"
  "        li      a4, 1\n"
  "        li      a6, 0x6b667a7a\n"
  "        li      a7, 5\n"  // SYS_GETID
  "kf_probe_store_insn:\n"
  "        sd      a1, 0(a3)\n"
  "        ecall\n"
  "        li      a0, 0\n"
  "        ret\n");

// long kf_resume_here(void): save every register in kf_frame with pc at the return,
// and fault_return to it. Returns 0 if that worked, or fault_return's error.
long kf_resume_here(void);
__asm__(
  "        .text\n"
  "        .globl kf_resume_here\n"
  "kf_resume_here:\n"
  "        la      t0, kf_frame\n"
  "        sd      x1, 8(t0)\n"
  "        sd      x2, 16(t0)\n"
  "        sd      x3, 24(t0)\n"
  "        sd      x4, 32(t0)\n"
  "        sd      x8, 64(t0)\n"
  "        sd      x9, 72(t0)\n"
  "        sd      zero, 80(t0)\n"  // a0: the value "returned"
  "        sd      x18, 144(t0)\n"
  "        sd      x19, 152(t0)\n"
  "        sd      x20, 160(t0)\n"
  "        sd      x21, 168(t0)\n"
  "        sd      x22, 176(t0)\n"
  "        sd      x23, 184(t0)\n"
  "        sd      x24, 192(t0)\n"
  "        sd      x25, 200(t0)\n"
  "        sd      x26, 208(t0)\n"
  "        sd      x27, 216(t0)\n"
  "        la      t1, 1f\n"
  "        sd      t1, 256(t0)\n"  // pc
  "        mv      a0, t0\n"
  "        li      a7, 15\n"  // SYS_FAULT_RETURN
  "        ecall\n"
  "1:      ret\n");

// kf_exit_stub: an entry point for a child with no stack: exit(CHILD_EXIT) at once.
extern char kf_exit_stub[];
__asm__(
  "        .text\n"
  "        .globl kf_exit_stub\n"
  "        .balign 4\n"
  "kf_exit_stub:\n"
  "        li      a0, 42\n"  // CHILD_EXIT
  "        li      a7, 1\n"  // SYS_EXIT
  "        ecall\n"
  "1:      j       1b\n");

// --- code that runs in other contexts --------------------------------------------------

// Give back up to n scratch pages this domain owns (the visible-revocation protocol).
static void
give_back(unsigned long n)
{
  for (int i = NSCRATCH - 1; i >= 0 && n > 0; i--) {
    long q = sys_page_query(0, (void *)scratch_pages[i]);
    if (q >= 0 && (q & PAGE_OWNED) && sys_page_unmap(0, (void *)scratch_pages[i]) == 0)
      n--;
  }
}

// The interpreter's fault handler (entered with sp = the frame). A revocation request
// is answered by giving scratch pages back; a faulting probe returns PROBE_FAULT to
// its caller; any other fault ends the program with FAULT_EXIT.
__attribute__((aligned(4), noreturn)) void
kf_fault_entry(struct fault_frame *f)
{
  kf_faults++;
  if (f->cause == CAUSE_REVOKE) {
    give_back(f->tval);
    sys_fault_return(f);
  } else if (f->pc == (unsigned long)kf_probe_load_insn || f->pc == (unsigned long)kf_probe_store_insn) {
    f->x[10] = (unsigned long)PROBE_FAULT;
    f->pc = f->x[1];
    sys_fault_return(f);
  }
  sys_exit(FAULT_EXIT);
}

// What an agent child runs: an IPC server making calls for the interpreter, so that
// children call the kernel too. Each message asks for one call: the low byte of w0 is
// its number (0: none), w1..w3 its first three arguments and the rest of w0 its fourth.
// The reply carries the result in w0 and hands the page that came with the message
// (if any) back read-only; it goes with the next receive (reply_recv), or alone (reply)
// when no call was asked for. The child sees only the code, its stack page and its
// window, so this touches no global variable.
__attribute__((aligned(4), noreturn)) void
kf_server_main(void)
{
  unsigned long r[NARGS] = { SERVER_WINDOW };
  long sender = kf_ecall(SYS_IPC_RECV, r);

  for (;;) {
    if (sender <= 0) {  // a notification, or an error: wait again
      r[0] = SERVER_WINDOW;
      sender = kf_ecall(SYS_IPC_RECV, r);
      continue;
    }
    unsigned long page = r[5];
    unsigned long a[NARGS] = { r[2], r[3], r[4], r[1] >> 8, 0, 0, 0 };
    if (page)
      a[4] = *(volatile unsigned long *)page;  // touch what was sent
    unsigned long num = r[1] & 0xff;
    r[1] = num ? (unsigned long)kf_ecall(num, a) : 0;
    r[0] = sender;
    r[5] = page ? page | PERM_R : 0;
    r[6] = SERVER_WINDOW;
    if (num) {
      sender = kf_ecall(SYS_IPC_REPLY_RECV, r);
    } else {
      kf_ecall(SYS_IPC_REPLY, r);
      sender = 0;
    }
  }
}

// --- the interpreter ---------------------------------------------------------------

// The address of one of the program's own pages: 0 text, 1 rodata, 2 data, 3 stack.
static unsigned long
prog_page(unsigned long n)
{
  unsigned long here = (unsigned long)&n;

  switch (n) {
  case 0: return USER_TEXT_BASE;
  case 1: return (unsigned long)scratch_pages & ~(PAGE_SIZE - 1UL);
  case 2: return (unsigned long)kf_script & ~(PAGE_SIZE - 1UL);
  default: return here & ~(PAGE_SIZE - 1UL);
  }
}

// The value an argument word stands for, given its kind.
static unsigned long
resolve(unsigned long kind, unsigned long word)
{
  switch (kind) {
  case K_SELF: return self_id;
  case K_PEER: return kf_peer ? (unsigned long)kf_peer : BOGUS_ID;
  case K_CHILD:
    return nchildren ? (unsigned long)children[word % nchildren] : BOGUS_ID;
  case K_PAGE: return scratch_pages[(word >> 12) % NSCRATCH] + (word & 0xfff);
  case K_PROG: return prog_page((word >> 12) % 4) + (word & 0xfff);
  case K_BUF: return (unsigned long)kf_buf + word % sizeof kf_buf;
  case K_CODE:
    switch (word % 3) {
    case 0: return (unsigned long)kf_fault_entry;
    case 1: return (unsigned long)kf_server_main;
    default: return (unsigned long)kf_exit_stub;
    }
  case K_XSTACK: return (unsigned long)kf_xstack + XSTACK_SIZE;
  case K_SENDER: return last_sender;
  case K_RESULT: return kf_results[word % MAX_RECORDS];
  default: return word;
  }
}

// Make child an agent: share our code with it, give it a stack, point its registers at
// kf_server_main and start it. 0, or the first call's error.
static long
serve(long child)
{
  struct user_regs regs = { 0 };
  unsigned long va;
  long r;

  for (va = USER_TEXT_BASE;; va += PAGE_SIZE) {
    long q = sys_page_query(0, (void *)va);
    if (q < 0 || !(q & PERM_X))
      break;
    r = sys_page_map(0, (void *)va, child, (void *)va, PERM_R | PERM_X);
    if (r < 0)
      return r;
  }
  r = sys_page_alloc(child, (void *)SERVER_STACK, 1, PERM_R | PERM_W);
  if (r < 0 && r != -EEXIST)
    return r;
  regs.x[2] = SERVER_STACK + PAGE_SIZE;
  regs.pc = (unsigned long)kf_server_main;
  r = sys_domain_set_regs(child, &regs);
  if (r < 0)
    return r;
  return sys_domain_set_state(child, DOM_STATE_RUNNABLE);
}

// Remember what a call's result tells us about the domains around us.
static void
note_result(unsigned long num, long result)
{
  if (num == SYS_DOMAIN_CREATE && result == 0)
    sys_exit(CHILD_EXIT);  // a child that got this far: it has no script of its own
  if (num == SYS_DOMAIN_CREATE && result > 0 && nchildren < MAX_CHILDREN)
    children[nchildren++] = result;
  if ((num == SYS_IPC_RECV || num == SYS_IPC_REPLY_RECV) && result > 0)
    last_sender = result;
}

// Run one record; its result.
static long
run_record(volatile struct record *rec)
{
  unsigned long a[NARGS];
  unsigned long num = rec->num;
  long result;

  for (int j = 0; j < NARGS; j++)
    a[j] = resolve((rec->kinds >> (4 * j)) & 0xf, rec->arg[j]);
  switch (num) {
  case OP_SERVE: return serve(a[0]);
  case OP_PEEK: return kf_probe_load(a[0]);
  case OP_POKE: return kf_probe_store(a[0], a[1]);
  case OP_RESUME: return kf_resume_here();
  }
  result = kf_ecall(num, a);
  note_result(num, result);
  return result;
}

int
main(void)
{
  self_id = sys_getid();
  for (unsigned long i = 0; i < kf_count && i < MAX_RECORDS; i++) {
    kf_results[i] = run_record(&kf_script[i]);
    kf_done = i + 1;
  }
  return 0;
}
