// init: the first process. It starts the shell, reaps the orphans that come to it,
// and when the shell exits, ends what is left, has the file server write everything
// back and stop, and exits with the shell's status: the machine then halts with a
// clean disk.
//
//   init -F SERVER [-i]
//
// SERVER is the file server's domain id (configs/default.toml: "-F @fsd"); -i tells
// the shell that a person is typing (lamina run adds it on a terminal), so it prompts.

#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>
#include <lamina/fs.h>
#include <lamina/net.h>
#include <lamina/proc.h>
#include <lamina/syscall.h>

#define SHELL "/bin/sh"
// Pages init keeps out of the shell's quota, so a shell that fills its own (a fork
// bomb) cannot starve init of the frames it needs to reap and shut down.
#define INIT_RESERVE 64
// Ids the scan for leftover processes may find unused in a row (failed forks use up
// ids too, so a fork bomb leaves long gaps).
#define SCAN_GAP 1024

// Start the shell as a child, within a quota that leaves init its reserve. Its pid
// or -errno.
static long
start_shell(int interactive)
{
  char *argv[] = {"sh", interactive ? "-i" : NULL, NULL};
  struct domain_info me;
  long pid = fork(), err;

  if (pid == 0) {
    err = execv(SHELL, argv);
    dprintf(2, "init: cannot run %s: %s\n", SHELL, fs_strerror(err));
    _exit(127);
  }
  if (pid > 0 && sys_domain_info(0, &me) == 0 && me.page_quota > INIT_RESERVE + 16)
    sys_set_quota(pid, me.page_quota - INIT_RESERVE);
  return pid;
}

// Reap children, the shell's orphans included, until the shell itself ends; its
// wait status.
static int
wait_for_shell(long shell)
{
  int status = 0;
  long pid;

  do {
    pid = wait(&status);
  } while (pid > 0 && pid != shell);
  return pid == shell ? status : (int)(127 << 8);
}

// End every process still left (jobs the shell left running came to init) and
// reap them all.
static void
end_the_rest(void)
{
  long me = getpid();
  struct domain_info di;
  int gap = 0, status;

  for (long id = me + 1; gap < SCAN_GAP; id++) {
    if (sys_domain_info(id, &di) < 0) {
      gap++;
      continue;
    }
    gap = 0;
    if ((long)di.parent == me && di.state != DOM_STATE_EXITED)
      kill(id, SIGKILL);
  }
  while (wait(&status) > 0)
    ;
}

int
main(int argc, char *argv[])
{
  int interactive, status;
  long shell, err;

  argc = proc_args(argc, &argv);
  interactive = argc > 1 && strcmp(argv[1], "-i") == 0;
  if (proc_fsd() == 0) {
    dprintf(2, "init: no file server (usage: init -F SERVER [-i])\n");
    return 1;
  }
  shell = start_shell(interactive);
  if (shell < 0) {
    dprintf(2, "init: fork: %s\n", strerror((int)-shell));
    status = 127 << 8;
  } else {
    status = wait_for_shell(shell);
  }
  end_the_rest();
  err = fs_shutdown(proc_fsd());
  if (err < 0 && err != -ESRCH)  // a server that has gone was said to be so already
    dprintf(2, "init: file server shutdown: %s\n", fs_strerror(err));
  if (proc_netd() != 0 && (err = net_halt()) < 0)
    dprintf(2, "init: network server halt: %s\n", strerror((int)-err));
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}
