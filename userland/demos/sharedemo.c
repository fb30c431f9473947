// sharedemo: a page shared read-only with a child. The child sees the parent's writes
// to it, and its own write to it is a store page fault that ends the child.
//
//   $ sharedemo
//   share.map = 0
//   child.read = 1111
//   ...
//
// Every result is a line "name = value" (tests/test_calls_faults.py).

#include <stdio.h>
#include <lamina/child.h>
#include <lamina/ipc.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

#define SHARED 0x10000000UL  // the shared page, at the same address in both domains
#define GO_BIT (1UL << NOTIFY_USER_SHIFT)

// Receive until a notification with all of bits arrives.
static void
wait_for_bits(unsigned long bits)
{
  struct ipc_msg msg;

  while (ipc_recv(NULL, &msg) != 0 || (msg.w[0] & bits) != bits)
    ;
}

// The child: read the shared page, let the parent change it, read it again, then
// try to write it (which ends the child).
static int
reader(long parent)
{
  volatile long *shared = (long *)SHARED;

  report("child.read", shared[0]);
  report("child.rights", sys_page_query(0, (void *)SHARED));
  console_flush();
  sys_notify(parent, GO_BIT);
  wait_for_bits(GO_BIT);
  report("child.read_after_update", shared[0]);
  console_flush();
  shared[0] = 3333;
  report("child.write_landed", 1);  // never printed: the store faults
  return 0;
}

int
main(void)
{
  volatile long *shared = (long *)SHARED;
  long child;

  sys_page_alloc(0, (void *)SHARED, 1, PERM_R | PERM_W);
  shared[0] = 1111;
  child = child_create(reader, sys_getid());
  report("share.map", sys_page_map(0, (void *)SHARED, child, (void *)SHARED, PERM_R));
  report("share.parent_rights", sys_page_query(0, (void *)SHARED));
  sys_bind_grant(child, DEVICE_CONSOLE, 0, 0);
  console_flush();
  sys_domain_set_state(child, DOM_STATE_RUNNABLE);
  wait_for_bits(GO_BIT);
  shared[0] = 2222;
  sys_notify(child, GO_BIT);
  wait_for_bits(NOTIFY_CHILD);
  report("child.exit_status", domain_info_of(child).exit_status);
  report("share.value_after_child", shared[0]);
  report("share.parent_rights_after", sys_page_query(0, (void *)SHARED));
  sys_domain_destroy(child);
  return 0;
}
