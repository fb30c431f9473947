// capdemo: authority. A domain may act only on itself, its descendants, and domains
// it holds a capability for (cap_grant).
//
// The parent starts an agent child and creates a stopped, empty target child. The
// agent tries every call that acts on a domain against its sibling (the target) and
// against its parent: each is refused with EPERM. The parent grants the agent a
// capability for the target, and the same calls then succeed, the last destroying it.
// Every result is a line "name = value" (tests/test_calls_domains.py).

#include <stdio.h>
#include <lamina/child.h>
#include <lamina/ipc.h>
#include <lamina/syscall.h>

#define AREA 0x10000000UL        // where the agent allocates in the target
#define AGENT_PAGE 0x20000000UL  // a page of the agent's own
#define WINDOW 0x20100000UL      // where the agent maps a page of the target's
#define RW (PERM_R | PERM_W)

// The groups of results, named by the first word of the agent's orders.
static const char *const group_names[] = {"sibling_before_grant", "parent", "sibling_after_grant"};

static const char *group;  // the agent's current group

// Print one result line of the current group.
static void
report(const char *name, long value)
{
  printf("%s.%s = %ld\n", group, name, value);
}

// The agent's trials of the memory calls against dom.
static void
try_memory_calls(long dom)
{
  report("page_alloc", sys_page_alloc(dom, (void *)AREA, 1, RW));
  report("page_query", sys_page_query(dom, (void *)AREA));
  report("page_map_into", sys_page_map(0, (void *)AGENT_PAGE, dom, (void *)(AREA + PAGE_SIZE), PERM_R));
  report("page_map_from", sys_page_map(dom, (void *)AREA, 0, (void *)WINDOW, PERM_R));
  report("page_unmap", sys_page_unmap(dom, (void *)(AREA + PAGE_SIZE)));
  report("set_quota", sys_set_quota(dom, 100));
}

// The agent's trials of the domain and device calls against dom; destroy last, if asked.
static void
try_domain_calls(long dom, int destroy)
{
  struct user_regs regs = {0};
  struct domain_info info;

  report("domain_info", sys_domain_info(dom, &info));
  report("set_share", sys_set_share(dom, 10));
  report("set_fault_handler", sys_set_fault_handler(dom, (void (*)(void))USER_TEXT_BASE,
                                                    (void *)(USER_STACK_TOP + 2 * PAGE_SIZE)));
  report("domain_set_regs", sys_domain_set_regs(dom, &regs));
  report("domain_set_state", sys_domain_set_state(dom, DOM_STATE_STOPPED));
  report("domain_name", sys_domain_name(dom, "renamed"));
  report("bind_grant", sys_bind_grant(dom, DEVICE_CONSOLE, 0, 0));
  report("cap_grant", sys_cap_grant(dom, sys_getid()));
  report("cap_check", sys_cap_check(sys_getid(), dom));
  if (destroy)
    report("domain_destroy", sys_domain_destroy(dom));
}

// The agent: for each call (w0 = group, w1 = target), try every call on the target and
// reply; a call with w0 beyond the groups ends it.
static int
agent(long unused)
{
  struct ipc_msg msg;
  long caller;

  sys_page_alloc(0, (void *)AGENT_PAGE, 1, RW);
  caller = ipc_recv(NULL, &msg);
  while (caller > 0 && msg.w[0] < 3) {
    group = group_names[msg.w[0]];
    try_memory_calls((long)msg.w[1]);
    try_domain_calls((long)msg.w[1], msg.w[0] == 2);
    console_flush();
    caller = ipc_reply_recv(caller, &msg, 0, NULL);
  }
  return 0;
}

// Order the agent to try everything on target, as results group `which`.
static void
order(long agent_id, unsigned long which, long target)
{
  struct ipc_msg msg = {0, {which, target, 0, 0}, 0};

  ipc_call(agent_id, &msg, 0, NULL);
}

int
main(void)
{
  long agent_id = child_create(agent, 0);
  long target = sys_domain_create();
  struct domain_info info;

  if (target == 0)
    return 0;  // never started, so never here
  group = "main";
  report("bind_console_to_agent", sys_bind_grant(agent_id, DEVICE_CONSOLE, 0, 0));
  sys_domain_set_state(agent_id, DOM_STATE_RUNNABLE);
  order(agent_id, 0, target);
  order(agent_id, 1, sys_getid());
  report("check_before_grant", sys_cap_check(agent_id, target));
  report("check_ancestor", sys_cap_check(sys_getid(), target));
  report("check_no_such_holder", sys_cap_check(999, target));
  report("cap_grant", sys_cap_grant(target, agent_id));
  report("check_after_grant", sys_cap_check(agent_id, target));
  order(agent_id, 2, target);
  report("target_after_agent_destroyed_it", sys_domain_info(target, &info));
  order(agent_id, 3, 0);
  return 0;
}
