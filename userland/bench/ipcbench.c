// ipcbench N: N IPC round trips (call with four words, reply with four words) between
// this domain and a server child, then print the count. The benchmark suite's IPC
// measurement; tests check the replies' contents.
//
//   $ ipcbench 1000
//   ipcbench: 1000 round trips, last reply 1001

#include <stdio.h>
#include <stdlib.h>
#include <lamina/child.h>
#include <lamina/ipc.h>
#include <lamina/syscall.h>

// The server: answer each call with its first word plus one, forever.
static int
serve(long unused)
{
  struct ipc_msg msg;
  long caller = ipc_recv(0, &msg);

  (void)unused;
  for (;;) {
    msg.w[0] += 1;
    caller = ipc_reply_recv(caller, &msg, 0, 0);
  }
  return 0;
}

int
main(int argc, char *argv[])
{
  long n = argc > 1 ? atol(argv[1]) : 1000;
  long server = child_create(serve, 0);
  struct ipc_msg msg = {0};

  if (server < 0 || sys_domain_set_state(server, DOM_STATE_RUNNABLE) < 0) {
    printf("ipcbench: cannot start the server\n");
    return 1;
  }
  for (long i = 0; i < n; i++) {
    msg.w[0] = i + 1;
    if (ipc_call(server, &msg, 0, 0) < 0 || msg.w[0] != (unsigned long)i + 2) {
      printf("ipcbench: bad reply at %ld\n", i);
      return 1;
    }
  }
  printf("ipcbench: %ld round trips, last reply %lu\n", n, msg.w[0]);
  sys_domain_destroy(server);
  return 0;
}
