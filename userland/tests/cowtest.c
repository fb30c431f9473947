// cowtest: fork shares memory copy-on-write: only the pages written after the fork
// are copied.
//
//   cowtest [M [K]]     (defaults 16 and 5; K <= M <= 64)
//
// The parent fills M pages, then forks, and writes into one more page before it
// waits (the child must not see that). The child reads all M pages and
// writes K of them, and prints how many pages copy-on-write faults copied meanwhile
// ("cowtest: child copied C pages for K writes to M pages"): C should be K. The
// parent waits, then checks that none of the child's writes reached its own pages,
// and writes K pages itself: nobody else maps them any more, so each is taken back
// without a copy ("cowtest: parent took back T pages, copied C, for K writes").

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include <lamina/proc.h>

#define MAX_PAGES 64

static char region[MAX_PAGES][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));
static volatile char after_fork[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));  // the parent writes it

// The child: read every page, write the first k, and report the copies that took.
// Exits 0 if exactly k pages were copied and every page read back right.
static void
child(int m, int k)
{
  unsigned long before, after;
  int wrong = 0;

  printf("cowtest: child %ld running\n", getpid());
  console_flush();  // the console buffer's page is copied here, not below
  before = cow_copies();
  for (int i = 0; i < m; i++)
    wrong += region[i][100] != (char)i;
  for (int i = 0; i < k; i++)
    region[i][100] = (char)(100 + i);
  after = cow_copies();
  printf("cowtest: child copied %lu pages for %d writes to %d pages\n", after - before, k, m);
  printf("cowtest: child read %d wrong bytes\n", wrong);
  printf("cowtest: child sees %d of the parent's writes after fork\n", after_fork[0]);
  exit(after - before == (unsigned long)k && wrong == 0 && after_fork[0] == 0 ? 0 : 1);
}

int
main(int argc, char *argv[])
{
  int m = argc > 1 ? atoi(argv[1]) : 16;
  int k = argc > 2 ? atoi(argv[2]) : 5;
  int status, changed = 0;
  long pid;

  if (m < 1 || m > MAX_PAGES || k < 0 || k > m) {
    printf("usage: cowtest [M [K]], 0 <= K <= M <= %d\n", MAX_PAGES);
    return 2;
  }
  for (int i = 0; i < m; i++)
    region[i][100] = (char)i;
  pid = fork();
  if (pid == 0)
    child(m, k);
  if (pid < 0) {
    printf("cowtest: fork failed: %ld\n", pid);
    return 1;
  }
  after_fork[0] = 1;  // before the child runs (it does when this one waits)
  if (waitpid(pid, &status, 0) != pid) {
    printf("cowtest: wait failed\n");
    return 1;
  }
  for (int i = 0; i < m; i++)
    changed += region[i][100] != (char)i;
  printf("cowtest: parent marked %lu pages copy-on-write, copied %lu\n",
         proc_info()->cow_marked, cow_copies());
  unsigned long copies = cow_copies(), taken = proc_info()->cow_reclaimed;
  for (int i = 0; i < k; i++)
    region[i][200] = 1;
  printf("cowtest: parent took back %lu pages, copied %lu, for %d writes\n",
         proc_info()->cow_reclaimed - taken, cow_copies() - copies, k);
  printf("cowtest: parent sees %d pages changed, child exit %d\n", changed, WEXITSTATUS(status));
  return changed == 0 && WIFEXITED(status) && WEXITSTATUS(status) == 0 ? 0 : 1;
}
