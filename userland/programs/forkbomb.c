// forkbomb: a fork bomb, to show that page quotas contain one.
//
//   forkbomb [PAGES]
//
// The bomb is a child of this program: every process of it forks as fast as it can,
// children included, until fork fails (the subtree's page quota is full, or it has
// as many children as the library allows), and then waits forever, holding its
// pages, as a real bomb's processes would. A process whose copy-on-write fault finds
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
// Ids the scan may find unused in a row: the bomb's failed forks use up ids too.
#define SCAN_GAP 1024

// The bomb itself: fork until fork fails, then hold on forever.
static void
explode(void)
{
  struct ipc_msg msg;

  while (fork() >= 0)
    ;
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
  err = kill(bomb, SIGKILL);
  if (err < 0 || waitpid(bomb, &status, 0) != bomb) {
    dprintf(2, "forkbomb: cannot end the bomb: %s\n", strerror((int)-err));
    return 1;
  }
  return 0;
}
