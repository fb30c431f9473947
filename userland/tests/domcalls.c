// domcalls: the domain calls (create, set_regs, set_state, destroy, info, set_share,
// cap_grant, getid, yield, exit), each for success and for every error it documents.
//
//   $ domcalls          all of them, in turn
//   $ domcalls orphan   start a child and exit at once: the child lives on as a root
//
// Children are started with child_create (<lamina/child.h>). A child reports an error
// code to the parent as its exit status (-errno, so EPERM is 1).
// Every result is a line "name = value" (tests/test_calls_domains.py).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/child.h>
#include <lamina/ipc.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

#define WAKE_BIT (1UL << NOTIFY_USER_SHIFT)  // the user notification that ends a sleeper

// Create a child running fn(arg) and start it; exits on failure.
static long
start_child(int (*fn)(long), long arg)
{
  long child = child_create(fn, arg);

  if (child < 0 || sys_domain_set_state(child, DOM_STATE_RUNNABLE) < 0) {
    report("start_child", child);
    exit(1);
  }
  return child;
}

// Give the CPU away until dom is in state `state`.
static void
wait_for_state(long dom, unsigned long state)
{
  while (domain_info_of(dom).state != state)
    sys_yield();
}

// Receive until a NOTIFY_CHILD notification arrives and dom has exited.
static void
wait_for_exit(long dom)
{
  struct ipc_msg msg;

  while (ipc_recv(NULL, &msg) != 0 || !(msg.w[0] & NOTIFY_CHILD) ||
         domain_info_of(dom).state != DOM_STATE_EXITED)
    ;
}

// A child that only gives the CPU away, forever.
static int
spinner(long unused)
{
  for (;;)
    sys_yield();
}

// A child that waits in ipc_recv; it exits with the user bits it was notified of,
// shifted down (WAKE_BIT: status 1).
static int
sleeper(long unused)
{
  struct ipc_msg msg;

  while (ipc_recv(NULL, &msg) != 0)
    ;
  return (int)(msg.w[0] >> NOTIFY_USER_SHIFT);
}

// A child that tries to give away authority over its own parent: its exit status is
// the error, negated.
static int
grant_over_parent(long parent)
{
  return (int)-sys_cap_grant(parent, sys_getid());
}

// A child whose exit status does not fit in a byte.
static int
big_status(long unused)
{
  return 0x1234;
}

// The root of a small tree: it starts a sleeping child of its own, sends the
// grandchild's id to parent and waits for a reply that never comes.
static int
tree_root(long parent)
{
  struct ipc_msg msg = {0};

  msg.w[0] = start_child(sleeper, 0);
  return (int)ipc_call(parent, &msg, 0, NULL);
}

// getid and yield: the calls that cannot fail.
static void
trivial_calls(void)
{
  report("getid", sys_getid());
  report("yield", sys_yield());
}

// A fresh child: stopped, empty, and the errors of the calls on it.
static void
fresh_child(void)
{
  struct user_regs regs = {0};
  struct domain_info info;
  long child = sys_domain_create();

  if (child == 0)
    exit(0);  // never started, so never here
  report("create.id_is_positive", child > 0);
  report("fresh.state", domain_info_of(child).state);
  report("fresh.parent_is_me", domain_info_of(child).parent == (unsigned long)sys_getid());
  report("fresh.share_is_mine", domain_info_of(child).share == domain_info_of(0).share);
  report("fresh.quota_is_mine", domain_info_of(child).page_quota == domain_info_of(0).page_quota);
  report("fresh.exit_status", domain_info_of(child).exit_status);
  report("set_regs.self", sys_domain_set_regs(0, &regs));
  report("set_regs.bad_pointer", sys_domain_set_regs(child, NULL));
  report("set_regs.no_such_domain", sys_domain_set_regs(999, &regs));
  regs.pc = USER_TEXT_BASE + 1;
  report("set_regs.odd_pc", sys_domain_set_regs(child, &regs));
  regs.pc = USER_TEXT_BASE;
  report("set_regs.stopped_child", sys_domain_set_regs(child, &regs));
  regs.pc = 0;
  report("set_state.self", sys_domain_set_state(0, DOM_STATE_RUNNABLE));
  report("set_state.blocked_is_not_settable", sys_domain_set_state(child, DOM_STATE_BLOCKED));
  report("set_state.unknown_state", sys_domain_set_state(child, 7));
  report("set_state.no_such_domain", sys_domain_set_state(999, DOM_STATE_RUNNABLE));
  report("destroy.self", sys_domain_destroy(0));
  report("destroy.no_such_domain", sys_domain_destroy(999));
  report("info.no_such_domain", sys_domain_info(999, &info));
  report("info.null_pointer", sys_domain_info(0, NULL));
  report("info.read_only_pointer", sys_domain_info(0, (struct domain_info *)trivial_calls));
  report("destroy.fresh", sys_domain_destroy(child));
  report("destroy.twice", sys_domain_destroy(child));
  report("set_state.destroyed", sys_domain_set_state(child, DOM_STATE_RUNNABLE));
  report("info.destroyed", sys_domain_info(child, &info));
}

// A running child can be stopped and restarted, but its registers set only when stopped.
static void
running_child(void)
{
  struct user_regs regs = {0};
  long child = start_child(spinner, 0);

  report("running.state", domain_info_of(child).state);
  report("set_regs.running", sys_domain_set_regs(child, &regs));
  report("set_state.stop", sys_domain_set_state(child, DOM_STATE_STOPPED));
  report("stopped.state", domain_info_of(child).state);
  report("set_state.restart", sys_domain_set_state(child, DOM_STATE_RUNNABLE));
  report("destroy.running", sys_domain_destroy(child));
}

// A child blocked in ipc_recv cannot be stopped; an exited one cannot be restarted.
static void
blocked_then_exited_child(void)
{
  struct user_regs regs = {0};
  long child = start_child(sleeper, 0);

  wait_for_state(child, DOM_STATE_BLOCKED);
  report("blocked.state", domain_info_of(child).state);
  report("set_state.blocked", sys_domain_set_state(child, DOM_STATE_STOPPED));
  sys_notify(child, WAKE_BIT);
  wait_for_exit(child);
  report("exited.state", domain_info_of(child).state);
  report("exited.status", domain_info_of(child).exit_status);
  report("set_state.exited", sys_domain_set_state(child, DOM_STATE_RUNNABLE));
  report("set_regs.exited", sys_domain_set_regs(child, &regs));
  report("destroy.exited", sys_domain_destroy(child));
}

// exit keeps the low byte of the status, which the parent reads with domain_info.
static void
exit_status(void)
{
  long child = start_child(big_status, 0);

  wait_for_exit(child);
  report("exit.status_low_byte", domain_info_of(child).exit_status);
  sys_domain_destroy(child);
}

// set_share: a domain may lower its own share and give a child no more than its own.
static void
shares(void)
{
  long mine = (long)domain_info_of(0).share;
  long child = child_create(spinner, 0);

  report("share.mine", mine);
  report("set_share.child", sys_set_share(child, mine / 2));
  report("share.child", domain_info_of(child).share);
  report("set_share.child_one", sys_set_share(child, 1));
  report("set_share.child_equal_to_mine", sys_set_share(child, mine));
  report("share.child_after_equal", domain_info_of(child).share);
  report("set_share.child_above_mine", sys_set_share(child, mine + 1));
  report("set_share.own_unchanged", sys_set_share(0, mine));
  report("set_share.raise_own", sys_set_share(0, mine + 1));
  report("set_share.zero", sys_set_share(child, 0));
  report("set_share.above_maximum", sys_set_share(0, 1000001));
  report("set_share.no_such_domain", sys_set_share(999, 1));
  report("set_share.lower_own", sys_set_share(0, mine - 10));
  report("share.mine_after", domain_info_of(0).share);
  sys_domain_destroy(child);
}

// Run with the largest share there is (1,000,000 tickets): it may be kept and given.
static int
top_share(void)
{
  long child = child_create(spinner, 0);

  report("top.set_own", sys_set_share(0, 1000000));
  report("top.set_child", sys_set_share(child, 1000000));
  report("top.child", domain_info_of(child).share);
  sys_domain_destroy(child);
  return 0;
}

// cap_grant's errors; its success is capdemo's subject.
static void
grants(void)
{
  long child = start_child(grant_over_parent, sys_getid());

  report("cap_grant.no_such_target", sys_cap_grant(999, child));
  report("cap_grant.no_such_recipient", sys_cap_grant(child, 999));
  report("cap_grant.to_child", sys_cap_grant(child, child));
  wait_for_exit(child);
  report("cap_grant.over_parent_status", domain_info_of(child).exit_status);
  sys_domain_destroy(child);
}

// Destroying a tree (a child blocked in a call to us, and its sleeping child) frees
// every frame it held; then neither domain exists, and the call cannot be answered.
static void
destroy_tree(void)
{
  long before = (long)domain_info_of(0).pages;
  long root = start_child(tree_root, sys_getid());
  struct domain_info info;
  struct ipc_msg msg;
  long grandchild;

  report("tree.call_from", ipc_recv(NULL, &msg) == root);
  grandchild = (long)msg.w[0];
  report("tree.grandchild_parent_is_root", domain_info_of(grandchild).parent == (unsigned long)root);
  report("tree.pages_grew", (long)domain_info_of(0).pages > before);
  report("tree.grandparent_acts_on_grandchild", sys_set_share(grandchild, 1));  // authority reaches down
  report("destroy.tree", sys_domain_destroy(root));
  report("tree.pages_returned", (long)domain_info_of(0).pages - before);
  report("tree.root_info", sys_domain_info(root, &info));
  report("tree.grandchild_info", sys_domain_info(grandchild, &info));
  report("tree.reply_to_destroyed", sys_ipc_reply(root, 0, 0, 0, 0, 0));
}

// A child that outlives its parent: it waits until the parent has ended (a domain
// the kernel booted is forgotten when it exits), then reports who its parent is now.
static int
orphan(long parent)
{
  struct domain_info info;

  while (sys_domain_info(parent, &info) == 0)
    sys_yield();
  report("orphan.parent_now", domain_info_of(0).parent);
  return 0;
}

// domain_name: on itself, on a child, and its errors; domain_info reads the name back.
static void
names(void)
{
  long child = sys_domain_create();
  char longest[DOMAIN_NAME_MAX + 1], too_long[DOMAIN_NAME_MAX + 2];

  if (child == 0)
    exit(0);  // never started
  memset(longest, 'x', DOMAIN_NAME_MAX);
  longest[DOMAIN_NAME_MAX] = '\0';
  memset(too_long, 'y', DOMAIN_NAME_MAX + 1);
  too_long[DOMAIN_NAME_MAX + 1] = '\0';
  report("name.booted_as_domcalls", strcmp(domain_info_of(0).name, "domcalls") == 0);
  report("name.child_inherits", strcmp(domain_info_of(child).name, "domcalls") == 0);
  report("name.child", sys_domain_name(child, "kid"));
  report("name.child_reads_back", strcmp(domain_info_of(child).name, "kid") == 0);
  report("name.longest", sys_domain_name(0, longest));
  report("name.longest_reads_back", strcmp(domain_info_of(0).name, longest) == 0);
  report("name.too_long", sys_domain_name(0, too_long));
  report("name.empty", sys_domain_name(0, ""));
  report("name.unprintable", sys_domain_name(0, "a\tb"));
  report("name.null_pointer", sys_domain_name(0, NULL));
  report("name.no_such_domain", sys_domain_name(999, "x"));
  report("name.unchanged_by_errors", strcmp(domain_info_of(0).name, longest) == 0);
  report("name.back", sys_domain_name(0, "domcalls"));
  sys_domain_destroy(child);
}

// Name itself after another program, then fault: the kernel must not describe the
// pc with that program's symbols, since its text is not what this domain runs.
static int
impostor(void)
{
  sys_domain_name(0, "hello");
  return *(volatile int *)0;
}

// Name itself after the program it runs, then fault: the kernel checks that this
// domain maps domcalls' text and describes the pc with domcalls' symbols.
static int
honest(void)
{
  sys_domain_name(0, "domcalls");
  return *(volatile int *)0;
}

// Start a child with the console and exit at once.
static int
leave_an_orphan(void)
{
  long child = child_create(orphan, sys_getid());

  sys_bind_grant(child, DEVICE_CONSOLE, 0, 0);
  sys_domain_set_state(child, DOM_STATE_RUNNABLE);
  return 5;
}

int
main(int argc, char *argv[])
{
  if (argc > 1 && strcmp(argv[1], "orphan") == 0)
    return leave_an_orphan();
  if (argc > 1 && strcmp(argv[1], "impostor") == 0)
    return impostor();
  if (argc > 1 && strcmp(argv[1], "honest") == 0)
    return honest();
  if (argc > 1 && strcmp(argv[1], "topshare") == 0)
    return top_share();
  trivial_calls();
  names();
  fresh_child();
  running_child();
  blocked_then_exited_child();
  exit_status();
  shares();
  grants();
  destroy_tree();
  return 0;
}
