// shjobs.c: the shell's background jobs and its built-in commands (see
// <lamina/shjobs.h>; the shell is userland/bin/sh.c).
//
// A job is remembered by the pid of its last process until the shell reports its
// status once, to `wait`. The builtins run inside the shell (or, in a pipeline, in a
// forked child) because they change the shell itself (cd, exit) or need its
// authority: only an ancestor may end a process, so kill must be the shell's.

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <lamina/proc.h>
#include <lamina/shjobs.h>

#define MAX_JOBS 32

// A background job: its last process, and how it ended once reaped.
struct job {
  long pid;  // 0: free slot
  int done;
  int status;  // a <sys/wait.h> status, once done
};

struct sh_state sh_state;
static struct job jobs[MAX_JOBS];

// The shell's $? for a <sys/wait.h> status: the exit code, or 128 + the signal.
int
sh_status_code(int status)
{
  return WIFSIGNALED(status) ? 128 + WTERMSIG(status) : WEXITSTATUS(status);
}

// A free slot of the job table (the oldest finished one if every slot is taken).
static struct job *
job_slot(void)
{
  for (int i = 0; i < MAX_JOBS; i++)
    if (jobs[i].pid == 0)
      return &jobs[i];
  for (int i = 0; i < MAX_JOBS; i++)
    if (jobs[i].done)
      return &jobs[i];
  return NULL;
}

// The job whose process is pid, or NULL.
static struct job *
job_find(long pid)
{
  if (pid <= 0)
    return NULL;
  for (int i = 0; i < MAX_JOBS; i++)
    if (jobs[i].pid == pid)
      return &jobs[i];
  return NULL;
}

// Reap every child that has ended without waiting; jobs among them are marked done
// (and announced when interactive).
void
sh_reap_jobs(void)
{
  struct job *j;
  int status;
  long pid;

  while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
    j = job_find(pid);
    if (j == NULL)
      continue;  // an earlier process of a background pipeline
    j->done = 1;
    j->status = status;
    if (sh_state.interactive)
      dprintf(2, "[%ld] done, status %d\n", pid, sh_status_code(status));
  }
}

// Wait for job j to end and forget it; its status code.
static int
wait_job(struct job *j)
{
  int status;

  if (!j->done && waitpid(j->pid, &status, 0) == j->pid)
    j->status = status;
  j->pid = 0;
  return sh_status_code(j->status);
}

// The builtins: cd [DIR], pwd, exit [N], wait [PID], kill [-SIG] PID...
static int
builtin_cd(int argc, char *argv[])
{
  long err = chdir(argc > 1 ? argv[1] : "/");

  if (err < 0) {
    dprintf(2, "sh: cd: %s: %s\n", argv[1], strerror((int)-err));
    return 1;
  }
  return 0;
}

static int
builtin_pwd(int argc, char *argv[])
{
  char dir[PROC_CWD_MAX];

  (void)argc, (void)argv;
  getcwd(dir, sizeof dir);
  printf("%s\n", dir);
  return 0;
}

static int
builtin_exit(int argc, char *argv[])
{
  char *end;
  long code = argc > 1 ? strtol(argv[1], &end, 10) : sh_state.last_status;

  if (argc > 1 && (*argv[1] == '\0' || *end != '\0')) {
    dprintf(2, "sh: exit: %s: a number is needed\n", argv[1]);
    code = 2;
  }
  exit((int)(code & 0xff));
}

static int
builtin_wait(int argc, char *argv[])
{
  struct job *j;
  int code = 0;

  if (argc == 1) {  // every job; the status is 0, as POSIX says
    for (int i = 0; i < MAX_JOBS; i++)
      if (jobs[i].pid != 0)
        wait_job(&jobs[i]);
    return 0;
  }
  for (int i = 1; i < argc; i++) {
    j = job_find(atol(argv[i]));
    if (j == NULL || atol(argv[i]) <= 0) {
      dprintf(2, "sh: wait: %s: not a job of this shell\n", argv[i]);
      code = 127;
      continue;
    }
    code = wait_job(j);
  }
  return code;
}

static int
builtin_kill(int argc, char *argv[])
{
  int sig = SIGTERM, first = 1, code = 0;
  long err;

  if (argc > 1 && argv[1][0] == '-') {
    sig = strcmp(argv[1], "-KILL") == 0 ? SIGKILL : atoi(argv[1] + 1);
    first = 2;
  }
  if (first >= argc || sig <= 0) {
    dprintf(2, "usage: kill [-9 | -SIGNAL] PID...\n");
    return 2;
  }
  for (int i = first; i < argc; i++) {
    err = kill(atol(argv[i]), sig);
    if (err < 0) {
      dprintf(2, "sh: kill: %s: %s\n", argv[i], strerror((int)-err));
      code = 1;
    }
  }
  return code;
}

static const struct {
  const char *name;
  int (*run)(int argc, char *argv[]);
} builtins[] = {
    {"cd", builtin_cd}, {"pwd", builtin_pwd}, {"exit", builtin_exit},
    {"wait", builtin_wait}, {"kill", builtin_kill},
};

// The builtin called name, or -1.
int
sh_builtin_index(const char *name)
{
  for (int i = 0; i < (int)(sizeof builtins / sizeof builtins[0]); i++)
    if (strcmp(builtins[i].name, name) == 0)
      return i;
  return -1;
}

// Run builtin b (a sh_builtin_index) with its arguments: its status.
int
sh_builtin_run(int b, int argc, char *argv[])
{
  return builtins[b].run(argc, argv);
}

// Remember pid, the last process of a pipeline started with '&', as a job.
void
sh_job_add(long pid)
{
  struct job *j = job_slot();

  if (j != NULL)
    *j = (struct job){pid, 0, 0};
}
