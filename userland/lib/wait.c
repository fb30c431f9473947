// wait.c: waiting for children and ending processes: waitpid, wait and kill (see
// <sys/wait.h>, <signal.h>), from domain_info, NOTIFY_CHILD and domain_destroy.
//
// A child that exits stays in the kernel, EXITED with its status, until its parent
// destroys it: that is reaping. A child that kill destroyed is gone at once, so kill
// records the signal in the process record for wait to report. A child that some
// other ancestor destroyed is simply gone; wait reports it as killed by SIGKILL.
// Children of a process that exits become children of its parent (the kernel moves
// them), so waitpid(-1) also looks for such adopted children, scanning the domain
// ids above this process's own: every descendant was created after it.

#include <stddef.h>
#include <signal.h>
#include <sys/wait.h>
#include <lamina/proc.h>
#include <lamina/syscall.h>

// How many unused ids in a row end the scan for adopted children.
#define SCAN_GAP 32

// The POSIX status of a child that ended with the kernel's exit status code.
static int
status_of_exit(unsigned long code)
{
  if (code == 139)
    return SIGSEGV;  // killed by a fault it could not handle
  if (code == 137)
    return SIGKILL;  // destroyed while running
  return (int)((code & 0xff) << 8);
}

// Remove pid from the table of children; whether it was there.
static int
forget_child(struct proc_info *p, long pid)
{
  for (int i = 0; i < PROC_MAX_CHILDREN; i++) {
    if (p->children[i] == pid) {
      p->children[i] = 0;
      return 1;
    }
  }
  return 0;
}

// Take the record kill left for pid: 1 and *status, or 0 if there is none.
static int
take_killed(struct proc_info *p, long pid, int *status)
{
  for (int i = 0; i < PROC_MAX_CHILDREN; i++) {
    if (p->killed[i].pid == pid) {
      p->killed[i].pid = 0;
      *status = (int)p->killed[i].status;
      return 1;
    }
  }
  return 0;
}

// Look at candidate child pid: if it has ended, reap it, store its status and
// return 1; 0 if it is a child still running; -ECHILD if it is not our child.
static long
try_reap(struct proc_info *p, long pid, int *status)
{
  struct domain_info di;

  if (take_killed(p, pid, status)) {
    forget_child(p, pid);
    return 1;
  }
  if (sys_domain_info(pid, &di) < 0) {
    if (!forget_child(p, pid))
      return -ECHILD;
    *status = SIGKILL;  // destroyed by another ancestor
    return 1;
  }
  if ((long)di.parent != sys_getid())
    return -ECHILD;
  if (di.state != DOM_STATE_EXITED)
    return 0;
  *status = status_of_exit(di.exit_status);
  sys_domain_destroy(pid);
  forget_child(p, pid);
  return 1;
}

// Whether this process may have children its table does not know: orphans of its
// children, which the kernel gives it when their parent ends. The kernel counts every
// child not yet destroyed; the table holds those this process made.
static int
adopted_children(const struct proc_info *p)
{
  struct domain_info me;
  unsigned long known = 0;

  for (int i = 0; i < PROC_MAX_CHILDREN; i++)
    known += p->children[i] != 0;
  return sys_domain_info(0, &me) < 0 || me.children > known;
}

// Reap any one child that has ended: its pid; 0 if children remain but none has
// ended; -ECHILD if there are none. Looks at the table, then at adopted children.
static long
reap_any(struct proc_info *p, int *status)
{
  long me = sys_getid();
  int alive = 0, gap = 0;
  long r, pid;

  for (int i = 0; i < PROC_MAX_CHILDREN; i++) {
    pid = p->killed[i].pid;
    if (pid != 0 && try_reap(p, pid, status) == 1)
      return pid;
  }
  for (int i = 0; i < PROC_MAX_CHILDREN; i++) {
    pid = p->children[i];
    if (pid == 0)
      continue;
    r = try_reap(p, pid, status);
    if (r == 1)
      return pid;
    alive |= (r == 0);
  }
  if (!adopted_children(p))
    return alive ? 0 : -ECHILD;
  for (pid = me + 1; gap < SCAN_GAP; pid++) {
    struct domain_info di;
    if (sys_domain_info(pid, &di) < 0) {
      gap++;
      continue;
    }
    gap = 0;
    if ((long)di.parent != me)
      continue;
    r = try_reap(p, pid, status);
    if (r == 1)
      return pid;
    alive |= (r == 0);
  }
  return alive ? 0 : -ECHILD;
}

// Wait for child pid (or any, -1) to end; see <sys/wait.h>.
long
waitpid(long pid, int *status, int options)
{
  struct proc_info *p = proc_info();
  int st = 0;
  long r;

  if (p == NULL)
    return -ENOMEM;
  if (pid == 0 || pid < -1)
    return -EINVAL;  // no process groups
  for (;;) {
    r = pid == -1 ? reap_any(p, &st) : try_reap(p, pid, &st);
    if (r == 1)
      r = pid;
    if (r != 0) {
      if (r > 0 && status != NULL)
        *status = st;
      return r;
    }
    if (options & WNOHANG)
      return 0;
    proc_wait_notify(NOTIFY_CHILD);
  }
}

// Wait for any child; see <sys/wait.h>.
long
wait(int *status)
{
  return waitpid(-1, status, 0);
}

// Remember how the killed child pid ended, for wait. -EAGAIN if the table is full.
static long
record_killed(struct proc_info *p, long pid, int status)
{
  for (int i = 0; i < PROC_MAX_CHILDREN; i++) {
    if (p->killed[i].pid == 0) {
      p->killed[i].pid = pid;
      p->killed[i].status = status;
      return 0;
    }
  }
  return -EAGAIN;
}

// End pid (and its descendants) as if by sig; see <signal.h>.
long
kill(long pid, int sig)
{
  struct proc_info *p = proc_info();
  struct domain_info di;
  long err;

  if (sig < 0 || sig > 127 || pid <= 0)
    return -EINVAL;
  err = sys_domain_info(pid, &di);
  if (err < 0)
    return err;
  if (pid == sys_getid())
    return -EINVAL;
  if (sig == 0)
    return 0;
  err = sys_domain_destroy(pid);
  if (err < 0)
    return err;
  // A child that had already exited keeps its own status, as a Unix zombie does.
  if ((long)di.parent == sys_getid() && p != NULL)
    record_killed(p, pid, di.state == DOM_STATE_EXITED ? status_of_exit(di.exit_status) : sig);
  return 0;
}
