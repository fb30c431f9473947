// quotademo: frame quotas and visible revocation.
//
//   $ quotademo fill      allocate until ENOMEM under this domain's quota, then the
//                         errors of set_quota and of every call that needs frames
//   $ quotademo comply    lower a child's quota; its handler gives back what is asked
//   $ quotademo ignore    the same, but the handler gives nothing: the kernel takes it
//   $ quotademo force     the child has no handler: the kernel takes pages at once
//   $ quotademo blocked   the child has a handler but waits in ipc_recv: the same
//   $ quotademo inhandler the request comes while the child runs its fault handler:
//                         it waits for the handler to return, then comes at once
//   $ quotademo partial   the child's handler gives back 2 of the 5 pages asked: the
//                         kernel takes the other 3 at the end of its slice
//   $ quotademo relent    lower a child's quota, then raise it back to what the child
//                         holds before the child runs: nothing is asked or taken
//
// Every result is a line "name = value" (tests/test_quotas.py).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/child.h>
#include <lamina/fault.h>
#include <lamina/ipc.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

#define AREA 0x10000000UL        // pages the quota fills
#define DEMAND 0x30000000UL      // a page the inhandler child touches unmapped
#define CHILD_PAGES 20           // pages a child allocates before its quota is lowered
#define GIVE_BACK 5              // how far below its holdings the quota goes
#define READY_BIT (1UL << NOTIFY_USER_SHIFT)
#define RW (PERM_R | PERM_W)

static unsigned long allocated;      // pages of AREA this domain has mapped
static unsigned long revoke_cause;   // what the fault handler was called for
static unsigned long revoke_tval;
static volatile int revoke_seen;
static volatile int in_busy;         // the inhandler child's handler is running
static volatile int revoke_nested;   // a request came while it ran

// The address of page n of the area.
static void *
area(unsigned long n)
{
  return (void *)(AREA + n * PAGE_SIZE);
}

// Allocate one page at a time until the kernel refuses; return the refusal.
static long
allocate_until_refused(void)
{
  long err;

  while ((err = sys_page_alloc(0, area(allocated), 1, RW)) == 0)
    allocated++;
  return err;
}

// Fill the quota, then check the calls that need frames, and set_quota's errors.
static int
fill(void)
{
  long quota = (long)domain_info_of(0).page_quota;
  long child;

  report("fill.quota", quota);
  report("fill.refused_with", allocate_until_refused());
  report("fill.pages_allocated", allocated);
  report("fill.headroom", quota - (long)domain_info_of(0).pages);
  report("fill.unmap_one", sys_page_unmap(0, area(--allocated)));
  report("fill.alloc_again", sys_page_alloc(0, area(allocated++), 1, RW));
  report("set_quota.below_minimum", sys_set_quota(0, 15));
  report("set_quota.raise_own", sys_set_quota(0, quota + 1));
  report("set_quota.own_unchanged", sys_set_quota(0, quota));
  report("set_quota.no_such_domain", sys_set_quota(999, quota));
  report("set_quota.exactly_held", sys_set_quota(0, domain_info_of(0).pages));
  report("fill.quota_after", domain_info_of(0).page_quota);
  report("domain_create.over_quota", sys_domain_create());
  report("page_map.over_quota", sys_page_map(0, area(0), 0, area(1000), PERM_R));
  report("page_map_range.over_quota", sys_page_map_range(0, area(0), 0, area(1000), 1, PERM_R));
  report("page_alloc.over_quota", sys_page_alloc(0, area(allocated), 1, RW));
  report("fill.unmap_to_make_room", sys_page_unmap(0, area(--allocated)));
  child = sys_domain_create();
  if (child == 0)
    exit(0);  // never started, so never here
  report("domain_create.with_room", child > 0);
  report("domain_create.child_quota_is_mine", domain_info_of(child).page_quota == domain_info_of(0).page_quota);
  report("set_quota.child_above_mine", sys_set_quota(child, quota + 1));
  report("set_quota.child_equal_to_mine", sys_set_quota(child, domain_info_of(0).page_quota));
  return 0;
}

// Note a revocation request and give back up to n of the pages it asks for.
static void
give_up_to(struct fault_frame *f, unsigned long n)
{
  revoke_cause = f->cause;
  revoke_tval = f->tval;
  for (unsigned long i = 0; i < n && i < f->tval && allocated > 0; i++)
    sys_page_unmap(0, area(--allocated));
  revoke_seen = 1;
}

// The fault handler of a child that complies: give back the tval pages asked for.
static void
give_back(struct fault_frame *f)
{
  give_up_to(f, f->tval);
}

// The fault handler of a child that gives back only 2 of the pages asked for.
static void
give_some(struct fault_frame *f)
{
  give_up_to(f, 2);
}

// The fault handler of a child that notes the request and gives nothing back.
static void
ignore(struct fault_frame *f)
{
  give_up_to(f, 0);
}

// The inhandler child's handler: a revocation request is complied with (and noted if
// it came while a fault was being handled); the fault (a load from DEMAND) is answered
// by mapping the page and then waiting, in the handler, until the parent has lowered
// this domain's quota: the request reaches it during the handler.
static void
busy(struct fault_frame *f)
{
  unsigned long quota;

  if (f->cause == CAUSE_REVOKE) {
    revoke_nested |= in_busy;
    give_back(f);
    return;
  }
  in_busy = 1;
  quota = domain_info_of(0).page_quota;
  sys_page_alloc(0, (void *)DEMAND, 1, RW);
  sys_notify(domain_info_of(0).parent, READY_BIT);
  while (domain_info_of(0).page_quota == quota)
    sys_yield();
  in_busy = 0;
}

// Install handler (if any), allocate CHILD_PAGES and tell the parent.
static void
take_pages(fault_handler_fn *handler)
{
  if (handler != NULL)
    fault_handler_install(handler);
  while (allocated < CHILD_PAGES && sys_page_alloc(0, area(allocated), 1, RW) == 0)
    allocated++;
  sys_notify(domain_info_of(0).parent, READY_BIT);
}

// A child that takes pages, then keeps running (yielding) until a revocation
// request reaches its handler or its last page is taken, and reports what it holds
// after one more slice. arg: the handler, or 0 for none.
static int
runner(long arg)
{
  take_pages((fault_handler_fn *)arg);
  while (!revoke_seen && sys_page_query(0, area(CHILD_PAGES - 1)) >= 0)
    sys_yield();
  sys_yield();  // end the slice: a request not complied with is enforced now
  report("child.cause", revoke_cause);
  report("child.tval", revoke_tval);
  report("child.pages_after", domain_info_of(0).pages);
  report("child.quota", domain_info_of(0).page_quota);
  return 0;
}

// A child that takes pages, then faults; its handler waits for the parent to lower
// its quota. Reports what came when.
static int
fault_then_wait(long arg)
{
  (void)arg;
  fault_handler_install(busy);
  while (allocated < CHILD_PAGES && sys_page_alloc(0, area(allocated), 1, RW) == 0)
    allocated++;
  report("child.demand_read", *(volatile int *)DEMAND);  // the handler maps it, then waits
  sys_yield();  // end the slice: a request not complied with is enforced now
  report("child.cause", revoke_cause);
  report("child.tval", revoke_tval);
  report("child.nested", revoke_nested);
  report("child.pages_after", domain_info_of(0).pages);
  report("child.quota", domain_info_of(0).page_quota);
  return 0;
}

// A child that takes pages, then runs (yielding) until its quota is what it holds,
// and reports what it holds after one more slice.
static int
relent_child(long arg)
{
  (void)arg;
  take_pages(ignore);
  while (domain_info_of(0).page_quota != domain_info_of(0).pages)
    sys_yield();
  sys_yield();  // end the slice: a revocation still outstanding would be enforced now
  report("child.cause", revoke_cause);
  report("child.pages_after", domain_info_of(0).pages);
  report("child.quota", domain_info_of(0).page_quota);
  return 0;
}

// A child that takes pages, then waits in ipc_recv for good.
static int
waiter(long arg)
{
  struct ipc_msg msg;

  take_pages((fault_handler_fn *)arg);
  for (;;)
    ipc_recv(NULL, &msg);
}

// Receive until a notification with all of bits arrives.
static void
wait_for_bits(unsigned long bits)
{
  struct ipc_msg msg;

  while (ipc_recv(NULL, &msg) != 0 || (msg.w[0] & bits) != bits)
    ;
}

// Start a child running fn(arg), let it take its pages, lower its quota GIVE_BACK
// below what it holds, and report what the parent sees.
static long
lower_child_quota(int (*fn)(long), long arg)
{
  long child = child_create(fn, arg);
  long held;

  sys_bind_grant(child, DEVICE_CONSOLE, 0, 0);
  sys_domain_set_state(child, DOM_STATE_RUNNABLE);
  wait_for_bits(READY_BIT);
  held = (long)domain_info_of(child).pages;
  report("parent.child_held", held);
  report("parent.set_quota", sys_set_quota(child, held - GIVE_BACK));
  report("parent.child_held_right_after", domain_info_of(child).pages);
  console_flush();
  return child;
}

// Lower the quota of a child whose handler is `handler` (NULL: none), which runs on,
// and wait for it to end.
static int
revoke_runner(fault_handler_fn *handler)
{
  long child = lower_child_quota(runner, (long)handler);

  wait_for_bits(NOTIFY_CHILD);
  report("parent.child_status", domain_info_of(child).exit_status);
  return 0;
}

// Lower the quota of a child while it runs its fault handler, and wait for it to end.
static int
revoke_in_handler(void)
{
  long child = lower_child_quota(fault_then_wait, 0);

  wait_for_bits(NOTIFY_CHILD);
  report("parent.child_status", domain_info_of(child).exit_status);
  return 0;
}

// Lower a running child's quota, then raise it back to what the child holds before
// the child has run: the revocation is withdrawn.
static int
relent(void)
{
  long child = lower_child_quota(relent_child, 0);

  report("parent.raise_back", sys_set_quota(child, domain_info_of(child).pages));
  wait_for_bits(NOTIFY_CHILD);
  report("parent.child_status", domain_info_of(child).exit_status);
  return 0;
}

// Lower the quota of a child that waits in ipc_recv with a handler installed.
static int
revoke_waiter(void)
{
  long child = lower_child_quota(waiter, (long)give_back);

  report("parent.destroy", sys_domain_destroy(child));
  return 0;
}

int
main(int argc, char *argv[])
{
  const char *mode = argc > 1 ? argv[1] : "";

  if (strcmp(mode, "fill") == 0)
    return fill();
  if (strcmp(mode, "comply") == 0)
    return revoke_runner(give_back);
  if (strcmp(mode, "ignore") == 0)
    return revoke_runner(ignore);
  if (strcmp(mode, "force") == 0)
    return revoke_runner(NULL);
  if (strcmp(mode, "blocked") == 0)
    return revoke_waiter();
  if (strcmp(mode, "inhandler") == 0)
    return revoke_in_handler();
  if (strcmp(mode, "relent") == 0)
    return relent();
  if (strcmp(mode, "partial") == 0)
    return revoke_runner(give_some);
  printf("usage: quotademo fill | comply | ignore | force | blocked | inhandler | relent | partial\n");
  return 2;
}
