// alarm.c: sigalarm, a periodic alarm at user level (see <lamina/alarm.h>).
//
// The kernel counts the process's own instructions and delivers an upcall with cause
// CAUSE_ALARM when another interval has gone by; this library turns that upcall into
// a call of the program's function. It installs its own fault handler, and hands every
// other fault to the handler that was there before it (fork's copy-on-write handler,
// say), so alarms and forks can share the process.

#include <stddef.h>
#include <lamina/alarm.h>
#include <lamina/fault.h>
#include <lamina/syscall.h>

static alarm_fn *alarm_handler;        // the program's function
static fault_handler_fn *next_handler;  // the fault handler before this library's
static unsigned long fired, missed;

// The fault handler while an alarm is set: alarms to the program's function,
// everything else to the handler before, or nowhere (the fault then ends the process,
// as with no handler at all). The kernel never interrupts a handler with an alarm: one
// due while fn still runs is missed, and the next alarm's tval says how many were.
static void
on_fault(struct fault_frame *frame)
{
  /* BEGIN LAB traps: (void)frame; */
  if (frame->cause != CAUSE_ALARM) {
    if (next_handler != NULL)
      next_handler(frame);
    else
      fault_handler_install(NULL);
    return;
  }
  if (alarm_handler == NULL)
    return;  // one that was due as sigalarm(0, NULL) turned it off
  fired++;
  missed += frame->tval;  // alarms due while fn ran, not delivered
  alarm_handler();
  /* END LAB traps */
}

// Call fn every interval instructions of this process's own time; see <lamina/alarm.h>.
long
sigalarm(unsigned long interval, alarm_fn *fn)
{
  /* BEGIN LAB traps: (void)interval; (void)fn; (void)on_fault; (void)alarm_handler; (void)next_handler; return -ENOSYS; */
  long err;

  if (interval == 0 || fn == NULL) {
    alarm_handler = NULL;
    return sys_alarm(0);
  }
  if (__fault_handler != on_fault) {
    next_handler = __fault_handler;
    err = fault_handler_install(on_fault);
    if (err < 0)
      return err;
  }
  alarm_handler = fn;
  return sys_alarm(interval);
  /* END LAB traps */
}

// Alarms delivered so far.
unsigned long
alarms_fired(void)
{
  return fired;
}

// Alarms that fell due while the program's function was still running.
unsigned long
alarms_missed(void)
{
  return missed;
}
