// devcalls: device bindings and the console calls, for success and every error.
//
//   $ devcalls          console_write and console_read (reads all of its input),
//                       bind_grant's errors, and children with and without the console
//   $ devcalls narrow   bind_grant passes on parts of disk and NIC bindings, never more
//   $ devcalls wait     console_read before any input: EAGAIN, then NOTIFY_CONSOLE
//   $ devcalls time     clock and timer: an absurd deadline refused, the latest one
//                       allowed reached, virtual time never going backwards
//
// Every result is a line "name = value" (tests/test_calls_devices.py).

#include <stdio.h>
#include <string.h>
#include <lamina/child.h>
#include <lamina/ipc.h>
#include <lamina/rawcall.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

#define UNMAPPED ((void *)0x30000000UL)
#define TRY_WRITE 0  // what a child without bindings tries
#define TRY_READ 1

// Start fn(arg) in a child (with the console if give_console), wait for it to end,
// and return its exit status.
static long
run_child(int (*fn)(long), long arg, int give_console)
{
  long child = child_create(fn, arg);
  long status;
  struct ipc_msg msg;

  if (give_console)
    sys_bind_grant(child, DEVICE_CONSOLE, 0, 0);
  sys_domain_set_state(child, DOM_STATE_RUNNABLE);
  while (domain_info_of(child).state != DOM_STATE_EXITED)
    ipc_recv(NULL, &msg);
  status = (long)domain_info_of(child).exit_status;
  sys_domain_destroy(child);
  return status;
}

// A child that uses the console with one raw call; its exit status is the error, negated.
static int
console_user(long what)
{
  char buf[8];

  if (what == TRY_READ)
    return (int)-sys_console_read(buf, sizeof buf);
  return (int)-sys_console_write("child\n", 6);
}

// A child that prints, with a console binding passed on to it.
static int
printer(long unused)
{
  printf("child: printed with a console binding from its parent\n");
  return 0;
}

// console_write: the bytes, or why not.
static char most[CONSOLE_WRITE_MAX];  // the largest buffer the console calls take

static void
console_write(void)
{
  console_flush();
  report("console_write.bytes", sys_console_write("raw write\n", 10));
  report("console_write.nothing", sys_console_write("", 0));
  report("console_write.too_long", sys_console_write("x", CONSOLE_WRITE_MAX + 1));
  memset(most, '\n', sizeof most);  // the longest write there is: empty lines
  report("console_write.longest", sys_console_write(most, CONSOLE_WRITE_MAX));
  report("console_write.unmapped", sys_console_write(UNMAPPED, 10));
  // No bytes: nothing is read, but the range must still lie in the user half.
  report("console_write.nothing_at_null", sys_console_write(NULL, 0));
  report("console_write.nothing_at_the_limit", sys_console_write((void *)USER_VA_LIMIT, 0));
  report("console_write.nothing_in_the_kernel_half", sys_console_write((void *)(USER_VA_LIMIT + PAGE_SIZE), 0));
}

// console_read: what input there is, 0 at its end, or why not.
static void
console_read(void)
{
  char buf[64];
  long n;

  report("console_read.zero_length", sys_console_read(buf, 0));
  report("console_read.too_long", sys_console_read(buf, CONSOLE_WRITE_MAX + 1));
  report("console_read.unmapped", sys_console_read(UNMAPPED, 10));
  report("console_read.read_only", sys_console_read((void *)console_read, 10));
  n = sys_console_read(buf, 5);
  report("console_read.first", n);
  printf("console_read.first_text = %.*s\n", (int)n, buf);
  n = sys_console_read(most, CONSOLE_WRITE_MAX);  // the longest read there is
  report("console_read.rest", n);
  printf("console_read.rest_text = %.*s\n", (int)n, most);
  report("console_read.at_end", sys_console_read(buf, sizeof buf));
}

// bind_grant: its errors, on a stopped child.
static void
bind_grant_errors(void)
{
  long child = sys_domain_create();

  if (child == 0)
    return;  // never started, so never here
  report("bind_grant.console", sys_bind_grant(child, DEVICE_CONSOLE, 0, 0));
  report("bind_grant.console_again", sys_bind_grant(child, DEVICE_CONSOLE, 0, 0));
  report("bind_grant.console_with_range", sys_bind_grant(child, DEVICE_CONSOLE, 1, 2));
  report("bind_grant.console_with_hi", sys_bind_grant(child, DEVICE_CONSOLE, 0, 2));
  report("bind_grant.console_with_lo", sys_bind_grant(child, DEVICE_CONSOLE, 2, 0));
  // Well formed (protocol 255 and port 65535 are the largest), but not held: EPERM.
  report("bind_grant.nic_top_protocol", sys_bind_grant(child, DEVICE_NIC, 255, 0));
  report("bind_grant.nic_top_port", sys_bind_grant(child, DEVICE_NIC, 17, 65535));
  report("bind_grant.unknown_device", sys_bind_grant(child, 99, 0, 0));
  report("bind_grant.disk_not_held", sys_bind_grant(child, DEVICE_DISK, 0, 10));
  report("bind_grant.disk_empty_extent", sys_bind_grant(child, DEVICE_DISK, 5, 5));
  report("bind_grant.nic_bad_protocol", sys_bind_grant(child, DEVICE_NIC, 256, 0));
  report("bind_grant.nic_bad_port", sys_bind_grant(child, DEVICE_NIC, 17, 65536));
  report("bind_grant.no_such_domain", sys_bind_grant(999, DEVICE_CONSOLE, 0, 0));
  report("bind_grant.to_myself", sys_bind_grant(0, DEVICE_CONSOLE, 0, 0));
  sys_domain_destroy(child);
}

// Children: without a binding the console calls fail; with one passed on, they work.
static void
children(void)
{
  report("child_write_without_binding.status", run_child(console_user, TRY_WRITE, 0));
  report("child_read_without_binding.status", run_child(console_user, TRY_READ, 0));
  console_flush();
  report("child_with_binding.status", run_child(printer, 0, 1));
}

// A child that tries to pass on more than the parts it was given; it prints.
static int
regranter(long unused)
{
  long grandchild = sys_domain_create();

  if (grandchild == 0)
    return 0;  // never started, so never here
  report("child.disk_part_of_mine", sys_bind_grant(grandchild, DEVICE_DISK, 12, 18));
  report("child.disk_whole_of_parents", sys_bind_grant(grandchild, DEVICE_DISK, 0, 100));
  report("child.nic_any_port", sys_bind_grant(grandchild, DEVICE_NIC, 17, 0));
  return 0;
}

// Passing on parts of a disk extent [0, 100) and a NIC filter (udp, port 53).
static int
narrow(void)
{
  long child = child_create(regranter, 0);

  report("disk.inside", sys_bind_grant(child, DEVICE_DISK, 10, 20));
  report("disk.beyond", sys_bind_grant(child, DEVICE_DISK, 50, 150));
  report("nic.same_filter", sys_bind_grant(child, DEVICE_NIC, 17, 53));
  report("nic.any_protocol", sys_bind_grant(child, DEVICE_NIC, 0, 53));
  report("nic.any_port", sys_bind_grant(child, DEVICE_NIC, 17, 0));
  report("nic.other_protocol", sys_bind_grant(child, DEVICE_NIC, 6, 53));
  console_flush();
  sys_bind_grant(child, DEVICE_CONSOLE, 0, 0);
  sys_domain_set_state(child, DOM_STATE_RUNNABLE);
  while (domain_info_of(child).state != DOM_STATE_EXITED)
    sys_yield();
  return 0;
}

// Read before any input has arrived: EAGAIN, then a NOTIFY_CONSOLE notification.
static int
wait_for_input(void)
{
  // ipc_recv with its registers written out: a0 the window (none), a6 a value the call
  // must leave alone, a7 the call number (docs/abi.md, the IPC register protocol).
  unsigned long r[8] = {0, 0, 0, 0, 0, 0, 0x6666, SYS_IPC_RECV};
  char buf[64];
  long n;

  report("wait.first_read", sys_console_read(buf, sizeof buf));
  console_flush();
  raw_ecall(r);
  report("wait.sender", (long)r[0]);
  report("wait.bits", r[1]);
  report("wait.other_words", r[2] | r[3] | r[4]);  // a notification is one word
  report("wait.page", r[5]);                       // and carries no page
  report("wait.a6_kept", r[6] == 0x6666);
  report("wait.a7_kept", r[7] == SYS_IPC_RECV);
  n = sys_console_read(buf, sizeof buf);
  report("wait.read", n);
  printf("wait.text = %.*s\n", (int)n, buf);
  return 0;
}

// The clock and timer calls at the edge of virtual time.
static int
time_edges(void)
{
  struct ipc_msg msg;
  unsigned long before = (unsigned long)sys_clock(), after;

  report("time.huge", sys_timer(~0UL));
  report("time.just_over", sys_timer((unsigned long)TIMER_MAX + 1));
  report("time.max", sys_timer(TIMER_MAX));
  while (!(ipc_recv(NULL, &msg) == 0 && (msg.w[0] & NOTIFY_TIMER)))
    ;
  after = (unsigned long)sys_clock();
  report("time.reached_max", after >= TIMER_MAX);
  report("time.forward", after > before && (unsigned long)sys_clock() > after);
  return 0;
}

// A timer moved later before it fires: only the later deadline wakes the domain (the
// kernel's heap still holds the first one, which must be recognised as stale).
static int
rearm(void)
{
  struct ipc_msg msg;
  unsigned long start = (unsigned long)sys_clock(), woke;

  sys_timer(start + 10000);
  report("rearm.later", sys_timer(start + 200000));
  while (!(ipc_recv(NULL, &msg) == 0 && (msg.w[0] & NOTIFY_TIMER)))
    ;
  woke = (unsigned long)sys_clock();
  report("rearm.woke_after_the_later", woke >= start + 200000);
  report("rearm.late_by_less_than", woke - (start + 200000) < 1000);
  return 0;
}

int
main(int argc, char *argv[])
{
  if (argc > 1 && strcmp(argv[1], "time") == 0)
    return time_edges();
  if (argc > 1 && strcmp(argv[1], "rearm") == 0)
    return rearm();
  if (argc > 1 && strcmp(argv[1], "narrow") == 0)
    return narrow();
  if (argc > 1 && strcmp(argv[1], "wait") == 0)
    return wait_for_input();
  console_write();
  console_read();
  bind_grant_errors();
  children();
  return 0;
}
