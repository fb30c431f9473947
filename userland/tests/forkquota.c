// forkquota: fork at the edge of the page quota fails with -ENOMEM; it never leaves
// the parent to die on its own copy-on-write fault.
//
//   forkquota [SLACK]     (default 12)
//
// The parent lowers its quota to the frames it holds plus SLACK, then forks children
// that only wait, until fork fails. It prints the error, writes to its own memory
// (every page fork marked copy-on-write), and ends and waits for its children.
// Exits 0 if fork failed with ENOMEM and the parent survived all of that.

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/wait.h>
#include <lamina/child.h>
#include <lamina/ipc.h>
#include <lamina/proc.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

#define MAX_KIDS 64
#define DATA_PAGES 8

static char data[DATA_PAGES][PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

// A child: wait until killed.
static void
wait_forever(void)
{
  struct ipc_msg msg;

  for (;;)
    ipc_recv(NULL, &msg);
}

int
main(int argc, char *argv[])
{
  long slack = argc > 1 ? atol(argv[1]) : 12;
  long kids[MAX_KIDS], pid = 0, err;
  int n = 0, status;

  memset(data, 1, sizeof data);  // pages of its own for fork to share
  err = sys_set_quota(0, domain_info_of(0).pages + (unsigned long)slack);
  printf("forkquota: quota set to %lu pages (holding %lu): %ld\n", domain_info_of(0).page_quota,
         domain_info_of(0).pages, err);
  while (n < MAX_KIDS && (pid = fork()) > 0)
    kids[n++] = pid;
  if (pid == 0)
    wait_forever();
  printf("forkquota: fork %d failed: %s\n", n + 1, strerror((int)-pid));
  memset(data, 2, sizeof data);  // every data page, copy-on-write since the first fork
  printf("forkquota: the parent wrote its pages and runs on\n");
  for (int i = 0; i < n; i++)
    kill(kids[i], SIGKILL);
  for (int i = 0; i < n; i++)
    waitpid(kids[i], &status, 0);
  printf("forkquota: %d children ended\n", n);
  return pid == -ENOMEM ? 0 : 1;
}
