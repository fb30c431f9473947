/* lamina/shjobs.h: the shell's jobs and built-in commands (userland/lib/shjobs.c),
 * shared with the shell's main loop (userland/bin/sh.c).
 *
 * Built in: cd [DIR], pwd, exit [N], wait [PID...], kill [-SIG] PID...
 */
#ifndef LAMINA_SHJOBS_H
#define LAMINA_SHJOBS_H

/* What the shell knows about itself, for expansions and builtins. */
struct sh_state {
  int interactive;  /* -i: prompt, and announce jobs */
  int last_status;  /* $? */
  long last_background;  /* $!: the last job's pid, 0 if none */
};

extern struct sh_state sh_state;

/* The shell's $? for a <sys/wait.h> status: the exit code, or 128 + the signal. */
int sh_status_code(int status);

/* Remember pid, the last process of a pipeline started with '&', as a job. */
void sh_job_add(long pid);

/* Reap every child that has ended, without waiting; jobs among them keep their
 * status for wait (and are announced when interactive). */
void sh_reap_jobs(void);

/* The builtin called name (an index for sh_builtin_run), or -1. */
int sh_builtin_index(const char *name);

/* Run builtin b with its arguments: its status (exit does not return). */
int sh_builtin_run(int b, int argc, char *argv[]);

#endif /* LAMINA_SHJOBS_H */
