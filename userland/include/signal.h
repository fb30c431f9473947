/* signal.h: ending another process (userland/lib/wait.c).
 *
 * Lamina has no signal delivery: kill ends the process (domain_destroy), whatever
 * the signal, and the killer's wait reports it as ended by that signal. */
#ifndef LAMINA_SIGNAL_H
#define LAMINA_SIGNAL_H

#define SIGINT 2
#define SIGKILL 9
#define SIGSEGV 11
#define SIGTERM 15

/* End process pid (and every process it started) as if by signal sig; sig 0 only
 * checks that pid exists. 0 or -errno: -ESRCH no such process, -EPERM pid is not a
 * descendant, -EINVAL sig out of range or pid is this process. */
long kill(long pid, int sig);

#endif /* LAMINA_SIGNAL_H */
