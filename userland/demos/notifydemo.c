// notifydemo: notifications, the asynchronous half of IPC.
//
//   $ notifydemo        notify's errors; bits OR-ed into one word; a notification is
//                       received before a queued call; one wakes a blocked receiver;
//                       the kernel's NOTIFY_CHILD arrives in the same word
//   $ notifydemo wait   wait in ipc_recv until a message comes (perhaps never), print it
//   $ notifydemo poke D N [P]   compute for about P instructions, notify domain D, then
//                         compute for about N more
//
// Every result is a line "name = value" (tests/test_calls_ipc.py).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/child.h>
#include <lamina/ipc.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

#define USER_BIT(n) (1UL << (NOTIFY_USER_SHIFT + (n)))

// Print one result line with a hexadecimal value.
static void
report_hex(const char *name, unsigned long value)
{
  printf("%s = 0x%lx\n", name, value);
}

// A child that calls parent once with a word, and exits.
static int
caller(long parent)
{
  struct ipc_msg msg = {0, {77, 0, 0, 0}, 0};

  return (int)ipc_call(parent, &msg, 0, NULL);
}

// A child that waits for one message and exits with its bits shifted down to the
// first user bit (so USER_BIT(4) makes exit status 16).
static int
sleeper(long unused)
{
  struct ipc_msg msg;

  if (ipc_recv(NULL, &msg) != 0)
    return 255;
  return (int)(msg.w[0] >> NOTIFY_USER_SHIFT);
}

// Start a child running fn(arg) and let it run until it blocks.
static long
start_until_blocked(int (*fn)(long), long arg)
{
  long child = child_create(fn, arg);

  sys_domain_set_state(child, DOM_STATE_RUNNABLE);
  while (domain_info_of(child).state != DOM_STATE_BLOCKED)
    sys_yield();
  return child;
}

// notify refuses no bits, kernel bits, and unknown domains.
static void
errors(void)
{
  long me = sys_getid();

  report("notify.no_bits", sys_notify(me, 0));
  report("notify.kernel_bit", sys_notify(me, NOTIFY_CHILD));
  report("notify.kernel_and_user_bits", sys_notify(me, NOTIFY_CONSOLE | USER_BIT(0)));
  report("notify.no_such_domain", sys_notify(999, USER_BIT(0)));
  report("notify.zero_is_not_me", sys_notify(0, USER_BIT(0)));
}

// Two notifications before a receive arrive as one word.
static void
bits_accumulate(void)
{
  struct ipc_msg msg;
  long me = sys_getid();

  report("notify.first", sys_notify(me, USER_BIT(0)));
  report("notify.second", sys_notify(me, USER_BIT(1)));
  report("accumulate.sender", ipc_recv(NULL, &msg));
  report_hex("accumulate.bits", msg.w[0]);
  report("accumulate.page", msg.page);
}

// A pending notification is received before a call that is already queued.
static void
notification_before_call(void)
{
  long child = start_until_blocked(caller, sys_getid());
  struct ipc_msg msg;

  sys_notify(sys_getid(), USER_BIT(2));
  report("order.first_sender", ipc_recv(NULL, &msg));
  report_hex("order.first_bits", msg.w[0]);
  report("order.second_sender_is_child", ipc_recv(NULL, &msg) == child);
  report("order.second_word", msg.w[0]);
  sys_ipc_reply(child, 0, 0, 0, 0, 0);
  while (domain_info_of(child).state != DOM_STATE_EXITED)
    sys_yield();
  sys_domain_destroy(child);
}

// A notification wakes a domain blocked in ipc_recv; its exit then reaches us as
// NOTIFY_CHILD, in the same word as our own user bits.
static void
wake_a_receiver(void)
{
  long child = start_until_blocked(sleeper, 0);
  struct ipc_msg msg;

  report("wake.notify", sys_notify(child, USER_BIT(4)));
  while (domain_info_of(child).state != DOM_STATE_EXITED)
    sys_yield();
  report("wake.child_status", domain_info_of(child).exit_status);
  sys_notify(sys_getid(), USER_BIT(0));
  report("wake.sender", ipc_recv(NULL, &msg));
  report_hex("wake.bits", msg.w[0]);
  report("notify.exited_domain", sys_notify(child, USER_BIT(0)));
  sys_domain_destroy(child);
}

// Wait for one message, which may never come, and print it.
static int
wait_once(void)
{
  struct ipc_msg msg;

  console_flush();
  report("wait.sender", ipc_recv(NULL, &msg));
  report_hex("wait.bits", msg.w[0]);
  return 0;
}

// Notify dest, then keep the CPU busy: how long the woken domain waits for it is the
// scheduler's business (tests/test_kernel_sched.py).
static int
poke(long dest, long n, long before)
{
  volatile long sink = 0;

  for (long i = 0; i < before / 4; i++)  // about four instructions a turn
    sink += i;
  report("poke.notify", sys_notify(dest, USER_BIT(0)));
  for (long i = 0; i < n / 4; i++)  // about four instructions a turn
    sink += i;
  return 0;
}

int
main(int argc, char *argv[])
{
  if (argc > 1 && strcmp(argv[1], "wait") == 0)
    return wait_once();
  if (argc > 3 && strcmp(argv[1], "poke") == 0)
    return poke(strtol(argv[2], NULL, 0), strtol(argv[3], NULL, 0), argc > 4 ? strtol(argv[4], NULL, 0) : 0);
  errors();
  bits_accumulate();
  notification_before_call();
  wake_a_receiver();
  return 0;
}
