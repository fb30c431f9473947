// forkbomb: a fork bomb, to show that page quotas contain one.
//
//   forkbomb [PAGES]
//
// The bomb is a child of this program: every process of it forks BRANCHING children
// as fast as it can, children included, or until fork fails (the subtree's page quota
// is full), and then waits forever, holding its pages, as a real bomb's processes
// would. A process whose copy-on-write fault finds
// no frame is killed by the kernel (status 139). This program looks at the bomb every
// WATCH_PERIOD instructions of virtual time; once it has stopped growing, it prints
// how many processes it reached and ends it (kill ends a process and all its
// descendants), and exits 0. PAGES lowers the bomb's own quota below the one it
// inherits (the shell gives each job its quota less a reserve), for a quicker bomb.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <signal.h>
#include <sys/wait.h>
#include <lamina/ipc.h>
#include <lamina/proc.h>
#include <lamina/syscall.h>

#define WATCH_PERIOD 2000000  // instructions between looks at the bomb
// Children each bomb process forks: growth is exponential all the same, and a fork
// that succeeds only because a child just died of a failed copy-on-write fault
// (freeing its frames) cannot repeat without end.
#define BRANCHING 3
// Ids the scan may find unused in a row: the bomb's failed forks use up ids too.
#define SCAN_GAP 1024

// The bomb itself: fork BRANCHING times (each child does the same) or until fork
// fails, then hold on forever.
static void
explode(void)
{
  struct ipc_msg msg;
  long pid;

  for (int i = 0; i < BRANCHING; i++) {
    pid = fork();
    if (pid < 0)
      break;
    if (pid == 0)
      i = -1;  // the child starts its own round of forks
  }
  for (;;)
    ipc_recv(NULL, &msg);  // nobody calls: this process only holds its pages
}

// How many live processes the bomb (rooted at pid) has now, itself included.
static long
count_bomb(long bomb)
{
  struct domain_info di;
  long n = 0;
  int gap = 0;

  for (long id = bomb; gap < SCAN_GAP; id++) {
    if (sys_domain_info(id, &di) < 0) {
      gap++;
      continue;
    }
    gap = 0;
    if (di.state != DOM_STATE_EXITED)
      n++;
  }
  return n;
}

// End every process that is this one's child now: the bomb, and bomb processes that
// came to it when their own parents died of a fault (the kernel moves children up).
// Returns how many were ended.
static long
end_children(long from)
{
  long me = getpid(), n = 0;
  struct domain_info di;
  int gap = 0, status;

  for (long id = from; gap < SCAN_GAP; id++) {
    if (sys_domain_info(id, &di) < 0) {
      gap++;
      continue;
    }
    gap = 0;
    if ((long)di.parent == me && kill(id, SIGKILL) == 0) {
      waitpid(id, &status, 0);  // kill left its status for wait
      n++;
    }
  }
  return n;
}

// Sleep for WATCH_PERIOD instructions of virtual time.
static void
nap(void)
{
  sys_timer(sys_clock() + WATCH_PERIOD);
  proc_wait_notify(NOTIFY_TIMER);
}

int
main(int argc, char *argv[])
{
  long pages = argc > 1 ? atol(argv[1]) : 0, bomb, before = -1, now, err;
  int status;

  bomb = fork();
  if (bomb < 0) {
    dprintf(2, "forkbomb: fork: %s\n", strerror((int)-bomb));
    return 1;
  }
  if (bomb == 0)
    explode();
  if (pages > 0 && (err = sys_set_quota(bomb, (unsigned long)pages)) < 0)
    dprintf(2, "forkbomb: quota of %ld pages: %s\n", pages, strerror((int)-err));
  for (now = count_bomb(bomb); now != before; now = count_bomb(bomb)) {
    before = now;
    nap();
  }
  printf("forkbomb: the bomb stopped growing at %ld processes; ending it\n", now);
  if (end_children(bomb) == 0) {
    dprintf(2, "forkbomb: cannot end the bomb\n");
    return 1;
  }
  while (wait(&status) > 0)  // bomb processes that died by themselves
    ;
  return 0;
}
