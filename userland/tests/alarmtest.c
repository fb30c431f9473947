// alarmtest: the periodic alarm (sigalarm, <lamina/alarm.h>), as xv6's alarmtest.
//
//   alarmtest count N K   an alarm every N instructions; spin until K and a half
//                         intervals of this process's own instructions have gone by
//                         (read with rdinstret); K alarms must have fired
//   alarmtest gaps N K    K alarms every N instructions: each handler starts within a
//                         few instructions of the schedule (start + i*N), however many
//   alarmtest regs        a computation in registers, interrupted by an alarm every
//                         300 instructions, must give the same answer as without
//   alarmtest slow        a handler longer than the interval: alarms that fall due while
//                         it runs are missed (and counted), never nested
//   alarmtest calls       the alarm call itself: its errors, time asleep not counted,
//                         no alarm once the fault handler is removed ("name = value")
//   alarmtest fork        alarms in a process that has forked: its copy-on-write
//                         faults pass through sigalarm's handler to fork's
//
// Every result is a line "alarmtest: ...".

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <lamina/alarm.h>
#include <lamina/fault.h>
#include <lamina/ipc.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

static volatile unsigned long ticks;
static volatile int inside;  // the slow handler is running
static volatile int nested;  // it was entered while running

// The instructions this hart has retired (the domain's own, when it runs alone).
static unsigned long
instret(void)
{
  unsigned long n;

  __asm__ volatile("rdinstret %0" : "=r"(n));
  return n;
}

static void
tick(void)
{
  ticks++;
}

static unsigned long entered[64];  // rdinstret as each tick_at began

static void
tick_at(void)
{
  if (ticks < 64)
    entered[ticks] = instret();
  ticks++;
}

static void
slow(void)
{
  nested |= inside;
  inside = 1;
  for (volatile int i = 0; i < 2000; i++)
    ;
  ticks++;
  inside = 0;
}

// Spin until `instructions` of this process's own have gone by since start.
static void
spin_until(unsigned long start, unsigned long instructions)
{
  while (instret() - start < instructions)
    ;
}

static int
count(unsigned long interval, unsigned long k)
{
  long err = sigalarm(interval, tick);
  unsigned long start = instret();

  if (err < 0) {
    printf("alarmtest: sigalarm failed: %ld\n", err);
    return 1;
  }
  spin_until(start, k * interval + interval / 2);
  sigalarm(0, NULL);
  printf("alarmtest: %lu alarms in %lu intervals of %lu instructions\n", ticks, k, interval);
  return ticks == k ? 0 : 1;
}

// The kernel can stop a domain only at a block boundary (the emulator's granularity),
// so one alarm may come a few instructions late; the next is still due on the original
// schedule, so lateness never adds up. Prints the largest distance, in instructions,
// of a handler's start from that schedule (taking the first as its origin).
static int
gaps(unsigned long interval, unsigned long k)
{
  unsigned long start;
  long drift = 0;

  if (k > 64 || sigalarm(interval, tick_at) < 0)
    return 1;
  start = instret();
  spin_until(start, k * interval + interval / 2);
  sigalarm(0, NULL);
  for (unsigned long i = 1; i < ticks && i < 64; i++) {
    long off = (long)(entered[i] - entered[0] - i * interval);
    if (off < 0)
      off = -off;
    if (off > drift)
      drift = off;
  }
  printf("alarmtest: %lu alarms, largest drift %ld instructions, %lu missed\n", ticks, drift, alarms_missed());
  return ticks == k ? 0 : 1;
}

// A sum of products kept in registers across the loop: any register an alarm failed
// to restore changes the answer.
static unsigned long
crunch(unsigned long n)
{
  unsigned long a = 1, b = 2, c = 3, d = 5, e = 7, f = 11, g = 13, h = 17;

  for (unsigned long i = 0; i < n; i++) {
    a = a * 31 + b;
    b = b * 37 + c;
    c = c * 41 + d;
    d = d * 43 + e;
    e = e * 47 + f;
    f = f * 53 + g;
    g = g * 59 + h;
    h = h * 61 + a;
  }
  return a ^ b ^ c ^ d ^ e ^ f ^ g ^ h;
}

static int
regs(void)
{
  unsigned long quiet = crunch(20000), noisy;

  if (sigalarm(300, tick) < 0)
    return 1;
  noisy = crunch(20000);
  sigalarm(0, NULL);
  printf("alarmtest: %lu alarms during the computation, answer %s\n", ticks,
         noisy == quiet ? "unchanged" : "CHANGED");
  return noisy == quiet && ticks > 100 ? 0 : 1;
}

static int
slow_handler(void)
{
  unsigned long start = instret();

  if (sigalarm(1000, slow) < 0)
    return 1;
  spin_until(start, 200000);
  sigalarm(0, NULL);
  printf("alarmtest: %lu alarms handled, %lu missed, nested %s\n", ticks, alarms_missed(), nested ? "yes" : "no");
  // 200 fall due in all (the last perhaps just after sigalarm(0, NULL))
  return !nested && ticks > 0 && ticks + alarms_missed() >= 199 && ticks + alarms_missed() <= 200 ? 0 : 1;
}

static unsigned long raw_alarms;

static void
count_raw(struct fault_frame *frame)
{
  raw_alarms += frame->cause == CAUSE_ALARM;
}

// Counts are taken before they are printed: printf's own instructions would bring
// more alarms.
static int
calls(void)
{
  struct ipc_msg msg;
  unsigned long start, asleep, removed, rearmed, off;
  long off_no_handler = sys_alarm(0), no_handler = sys_alarm(100), install = sigalarm(1000, tick);
  long too_big = sys_alarm((unsigned long)TIMER_MAX + 1), max = sys_alarm(TIMER_MAX), again = sys_alarm(1000);
  long remove, raw, rearm, stop;

  start = instret();
  sys_timer(sys_clock() + 1000000);  // asleep a million instructions of virtual time
  while (!(ipc_recv(NULL, &msg) == 0 && (msg.w[0] & NOTIFY_TIMER)))
    ;
  spin_until(start, 5500);
  asleep = ticks;
  remove = fault_handler_install(NULL);
  raw = fault_handler_install(count_raw);
  spin_until(instret(), 5000);
  removed = raw_alarms;
  rearm = sys_alarm(1000);
  spin_until(instret(), 5500);
  rearmed = raw_alarms;
  stop = sys_alarm(0);
  spin_until(instret(), 5000);
  off = raw_alarms;
  report("calls.off_no_handler", off_no_handler);
  report("calls.no_handler", no_handler);
  report("calls.install", install);
  report("calls.too_big", too_big);
  report("calls.max", max);
  report("calls.again", again);
  report("calls.after_sleep", asleep);
  report("calls.remove", remove);
  report("calls.raw", raw);
  report("calls.after_removal", removed);
  report("calls.rearm", rearm);
  report("calls.after_rearm", rearmed);
  report("calls.off", stop);
  report("calls.after_off", off);
  return 0;
}

// fork first, then the alarm: sigalarm's handler is installed over fork's copy-on-write
// handler, and must pass it the copy-on-write faults that follow.
static int
with_fork(void)
{
  static volatile char page[4096] __attribute__((aligned(4096)));  // its own page: nothing else writes it
  int status;
  unsigned long start;
  long pid;

  page[0] = 1;
  pid = fork();
  if (pid == 0) {
    page[0] = 2;  // a copy-on-write fault in the child (no alarm there: not inherited)
    exit(page[0] == 2 ? 0 : 1);
  }
  if (sigalarm(5000, tick) < 0)
    return 1;
  page[0] = 3;  // a copy-on-write fault in the parent, through sigalarm's handler
  start = instret();
  spin_until(start, 100000);
  sigalarm(0, NULL);
  waitpid(pid, &status, 0);
  printf("alarmtest: after fork, %lu alarms, child exit %d, page %d\n", ticks, WEXITSTATUS(status), page[0]);
  return ticks >= 19 && WEXITSTATUS(status) == 0 && page[0] == 3 ? 0 : 1;
}

int
main(int argc, char *argv[])
{
  if (argc >= 4 && strcmp(argv[1], "count") == 0)
    return count(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0));
  if (argc >= 4 && strcmp(argv[1], "gaps") == 0)
    return gaps(strtoul(argv[2], NULL, 0), strtoul(argv[3], NULL, 0));
  if (argc >= 2 && strcmp(argv[1], "regs") == 0)
    return regs();
  if (argc >= 2 && strcmp(argv[1], "slow") == 0)
    return slow_handler();
  if (argc >= 2 && strcmp(argv[1], "calls") == 0)
    return calls();
  if (argc >= 2 && strcmp(argv[1], "fork") == 0)
    return with_fork();
  printf("usage: alarmtest count N K | gaps N K | regs | slow | calls | fork\n");
  return 2;
}
