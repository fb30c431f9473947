// faulthandler: a user-level fault handler at work, and the errors of the fault calls.
//
//   $ faulthandler           demand paging, a write to a read-only alias, a nested
//                            fault, an illegal instruction and a breakpoint skipped,
//                            then the errors
//   $ faulthandler nostack   the exception stack is not mapped: the fault kills
//   $ faulthandler cleared   the handler is installed, then removed: the fault kills
//
// Every result is a line "name = value" (tests/test_calls_faults.py reads them).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/fault.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

#define DEMAND_VA 0x10000000UL   // pages the handler maps on first touch
#define NESTED_VA 0x10100000UL   // touched by the handler itself, which faults again
#define SHARED_VA 0x10200000UL   // a read-write page...
#define ALIAS_VA 0x10201000UL    // ...and a read-only alias of it

static struct fault_frame first;  // the first frame the handler saw
static unsigned long first_at;    // and where it was
static long faults_seen;
static int depth;      // handler activations now running
static int max_depth;  // most handler activations ever running at once

// Print one result line with a hexadecimal value (addresses, instruction bits).
static void
report_hex(const char *name, unsigned long value)
{
  printf("%s = 0x%lx\n", name, value);
}

// Map a fresh page where a load or store faulted; the handler of a nested fault
// does the same for the page the outer handler touched. Exits if the page is not
// one this program expects to fault on.
static void
map_missing_page(struct fault_frame *f)
{
  unsigned long page = f->tval & ~(unsigned long)(PAGE_SIZE - 1);

  if (page == ALIAS_VA) {
    // The read-only alias: give it the rights of the page it aliases (same frame).
    sys_page_map(0, (void *)SHARED_VA, 0, (void *)ALIAS_VA, PERM_R | PERM_W);
    return;
  }
  if (page == DEMAND_VA + PAGE_SIZE)
    (void)*(volatile long *)NESTED_VA;  // fault inside the handler
  if (page != NESTED_VA && (page < DEMAND_VA || page >= DEMAND_VA + 16 * PAGE_SIZE)) {
    report_hex("unexpected_fault_at", f->tval);
    exit(99);
  }
  sys_page_alloc(0, (void *)page, 1, PERM_R | PERM_W);
}

// The fault handler: note what happened, then repair it so the code can go on.
static void
handler(struct fault_frame *f)
{
  if (faults_seen++ == 0) {
    first = *f;
    first_at = (unsigned long)f;
  }
  if (++depth > max_depth)
    max_depth = depth;
  if (f->cause == CAUSE_ILLEGAL_INSTRUCTION || f->cause == CAUSE_BREAKPOINT)
    f->pc += 4;  // skip it
  else
    map_missing_page(f);
  depth--;
}

// Load from p: the instruction whose fault the first frame describes.
__attribute__((noinline)) long
touch(volatile long *p)
{
  return *p;
}

// A load from an unmapped page: the handler maps it and the load runs again.
static void
demand_paging(void)
{
  volatile long *p = (long *)DEMAND_VA;

  report("demand.value", touch(p));
  report("demand.cause", first.cause);
  report("demand.pad", (long)first.pad);
  report_hex("demand.tval", first.tval);
  report_hex("demand.pc", first.pc);
  report_hex("demand.touch", (unsigned long)touch);
  report_hex("demand.frame_at", first_at);
  report_hex("demand.interrupted_sp", first.x[2]);
  p[1] = 1234;
  report("demand.write_back", p[1]);
}

// A fault inside the handler gets a frame of its own below the first one.
static void
nested_fault(void)
{
  volatile long *p = (long *)(DEMAND_VA + PAGE_SIZE);

  p[0] = 5;
  report("nested.value", p[0] + *(volatile long *)NESTED_VA);
  report("nested.max_depth", max_depth);
}

// A store to a read-only alias faults; the handler widens the alias to the rights
// of the page it aliases, and the store then lands in the shared frame.
static void
read_only_alias(void)
{
  volatile long *shared = (long *)SHARED_VA;
  volatile long *alias = (long *)ALIAS_VA;
  long before = faults_seen;

  sys_page_alloc(0, (void *)SHARED_VA, 1, PERM_R | PERM_W);
  shared[0] = 42;
  report("alias.map", sys_page_map(0, (void *)SHARED_VA, 0, (void *)ALIAS_VA, PERM_R));
  report("alias.read", alias[0]);
  report("alias.faults_before_write", faults_seen - before);
  alias[0] = 43;
  report("alias.faults_after_write", faults_seen - before);
  report("alias.shared_sees_write", shared[0]);
  report("alias.rights_after", sys_page_query(0, (void *)ALIAS_VA));
}

// Run one instruction that traps (emitted by `emit`) and report the frame the
// handler saw as name.cause and name.tval; the handler skips the instruction.
static void
skipped_instruction(const char *name, void (*emit)(void))
{
  long before = faults_seen;
  char field[32];

  faults_seen = 0;
  emit();
  faults_seen += before;
  snprintf(field, sizeof field, "%s.cause", name);
  report(field, first.cause);
  snprintf(field, sizeof field, "%s.tval", name);
  report_hex(field, first.tval);
  snprintf(field, sizeof field, "%s.pc_is_tval", name);
  report(field, first.pc == first.tval);
}

// An illegal instruction: csrr a0, mstatus (a machine-mode register, out of reach in
// user mode). Its bits are the frame's tval.
__attribute__((noinline)) static void
emit_illegal(void)
{
  asm volatile(".word 0x30002573" ::: "a0");
}

// A breakpoint: ebreak. The frame's tval is its pc.
__attribute__((noinline)) static void
emit_ebreak(void)
{
  asm volatile("ebreak");
}

// The documented errors of set_fault_handler and fault_return.
static void
errors(void)
{
  void (*misaligned)(void) = (void (*)(void))((unsigned long)__fault_entry + 1);
  struct fault_frame odd = {0};
  void (*too_high)(void) = (void (*)(void))USER_VA_LIMIT;
  void *top = (void *)FAULT_XSTACK_TOP;

  report("set_handler.misaligned_entry", sys_set_fault_handler(0, misaligned, top));
  report("set_handler.entry_beyond_user", sys_set_fault_handler(0, too_high, top));
  report("set_handler.unaligned_xstack", sys_set_fault_handler(0, __fault_entry, (char *)top + 8));
  report("set_handler.xstack_zero", sys_set_fault_handler(0, __fault_entry, NULL));
  report("set_handler.xstack_beyond_user",
         sys_set_fault_handler(0, __fault_entry, (void *)(USER_VA_LIMIT + PAGE_SIZE)));
  // The edges xstack_top may take (docs/abi.md: XSTACK_SIZE..USER_VA_LIMIT, both in),
  // then the handler back where it belongs.
  report("set_handler.xstack_lowest", sys_set_fault_handler(0, __fault_entry, (void *)XSTACK_SIZE));
  report("set_handler.xstack_at_limit", sys_set_fault_handler(0, __fault_entry, (void *)USER_VA_LIMIT));
  report("set_handler.restored", sys_set_fault_handler(0, __fault_entry, top));
  report("set_handler.no_such_domain", sys_set_fault_handler(999, __fault_entry, top));
  report("fault_return.null", sys_fault_return(NULL));
  report("fault_return.unmapped", sys_fault_return((void *)(DEMAND_VA + 64 * PAGE_SIZE)));
  odd.pc = (unsigned long)emit_ebreak + 1;
  report("fault_return.odd_pc", sys_fault_return(&odd));
}

// Everything that survives: the handler repairs each fault.
static int
recoverable(void)
{
  struct domain_info info;

  report("install", fault_handler_install(handler));
  demand_paging();
  nested_fault();
  read_only_alias();
  skipped_instruction("illegal", emit_illegal);
  skipped_instruction("breakpoint", emit_ebreak);
  errors();
  sys_domain_info(0, &info);
  report("faults_seen", faults_seen);
  report("info.faults", info.faults);
  return 0;
}

// A handler whose exception stack was never mapped: the fault cannot be delivered.
static int
no_exception_stack(void)
{
  report("set_handler", sys_set_fault_handler(0, __fault_entry, (void *)FAULT_XSTACK_TOP));
  console_flush();
  return (int)touch((long *)DEMAND_VA);
}

// A handler installed and removed again (entry 0): faults are fatal as before.
static int
handler_cleared(void)
{
  report("install", fault_handler_install(handler));
  report("clear", fault_handler_install(NULL));
  console_flush();
  return (int)touch((long *)DEMAND_VA);
}

int
main(int argc, char *argv[])
{
  if (argc < 2)
    return recoverable();
  if (strcmp(argv[1], "nostack") == 0)
    return no_exception_stack();
  if (strcmp(argv[1], "cleared") == 0)
    return handler_cleared();
  printf("usage: faulthandler [nostack | cleared]\n");
  return 2;
}
