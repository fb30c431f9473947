/* lamina/alarm.h: a periodic alarm at user level, in the spirit of xv6's sigalarm
 * (userland/lib/alarm.c).
 *
 * sigalarm(interval, fn) calls fn() each time this process has run another interval
 * of its own guest instructions (time it spends blocked, or other domains spend
 * running, does not count). The kernel's part is one call, alarm(interval): it
 * delivers an upcall with cause CAUSE_ALARM to the process's fault handler, and
 * fault_return resumes the interrupted code with every register as it was. The rest
 * is the library's: fn runs on the exception stack, never inside itself (an alarm
 * due while a handler runs is missed, and the next alarm's tval says how many were),
 * and faults that are not alarms go on to the fault handler that was there before.
 */
#ifndef LAMINA_ALARM_H
#define LAMINA_ALARM_H

typedef void alarm_fn(void);

/* Call fn every interval instructions of this process's own time; interval 0 or fn
 * NULL stops it. 0 or -errno. */
long sigalarm(unsigned long interval, alarm_fn *fn);

/* Alarms delivered to fn so far, and alarms that fell due while fn was still running. */
unsigned long alarms_fired(void);
unsigned long alarms_missed(void);

#endif /* LAMINA_ALARM_H */
