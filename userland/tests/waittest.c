// waittest: how children end, as wait sees it: a child killed by a fault, a spinning
// child killed with kill, an orphan adopted by its grandparent, and WNOHANG.
//
// Prints one "name = value" line per result (tests/reported.py reads them).

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

// A child that stores through a null pointer: the kernel ends it (139).
static void
faulting_child(void)
{
  *(volatile int *)0 = 1;
  exit(0);  // not reached
}

// A child that never ends by itself.
static void
spinning_child(void)
{
  for (;;)
    sys_yield();
}

// A child that forks a grandchild and exits at once, orphaning it. The grandchild
// waits until its parent has gone, reports its new parent, and exits with 42.
static void
orphaning_child(void)
{
  long parent = getpid();

  if (fork() == 0) {
    while (getppid() == parent)
      sys_yield();
    report("orphan.new_parent", getppid());
    exit(42);
  }
  exit(7);
}

// Fork a child that runs fn. Returns its pid (exits the test if fork fails).
static long
spawn(void (*fn)(void))
{
  long pid = fork();

  if (pid == 0)
    fn();
  if (pid < 0) {
    report("fork", pid);
    exit(1);
  }
  return pid;
}

// A child killed by a fault reads as signalled with SIGSEGV.
static void
test_fault(void)
{
  long pid = spawn(faulting_child);
  int status = 0;

  report("fault.wait_is_pid", waitpid(pid, &status, 0) == pid);
  report("fault.signalled", WIFSIGNALED(status));
  report("fault.signal", WTERMSIG(status));
}

// WNOHANG returns 0 while a child runs; kill ends it and wait reports the signal.
static void
test_kill(void)
{
  long pid = spawn(spinning_child);
  int status = 0;

  report("kill.nohang", waitpid(pid, &status, WNOHANG));
  report("kill.kill", kill(pid, SIGTERM));
  report("kill.wait_is_pid", waitpid(pid, &status, 0) == pid);
  report("kill.signalled", WIFSIGNALED(status));
  report("kill.signal", WTERMSIG(status));
  report("kill.again", kill(pid, SIGTERM));
}

// An orphan becomes this process's child, and wait(-1) reaps it.
static void
test_orphan(void)
{
  long pid = spawn(orphaning_child);
  int status = 0;
  long got;

  report("orphan.parent_wait_is_pid", waitpid(pid, &status, 0) == pid);
  report("orphan.parent_status", WEXITSTATUS(status));
  got = wait(&status);
  report("orphan.reaped_other_pid", got > 0 && got != pid);
  report("orphan.exited", WIFEXITED(status));
  report("orphan.status", WEXITSTATUS(status));
}

// A child may not kill its parent: it has no authority over it.
static void
kill_parent_child(void)
{
  exit(kill(getppid(), SIGKILL) == -EPERM ? 0 : 1);
}

// kill needs authority: a child killing its parent gets -EPERM.
static void
test_kill_parent(void)
{
  int status = 0;

  waitpid(spawn(kill_parent_child), &status, 0);
  report("kill.parent_refused", WIFEXITED(status) && WEXITSTATUS(status) == 0);
}

int
main(void)
{
  report("pid", getpid());
  test_fault();
  test_kill();
  test_orphan();
  report("wait.none_left", wait(NULL));
  report("kill.self", kill(getpid(), SIGTERM));
  test_kill_parent();
  return 0;
}
