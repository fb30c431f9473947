// sleep N: wait until N instructions of virtual time have passed, without running.
// A timer notification wakes it; meanwhile other domains run, or, if none can,
// virtual time skips ahead. Prints how long it slept.
//
//   $ sleep 100000
//   sleep: asked 100000, slept 100012

#include <stdio.h>
#include <stdlib.h>
#include <lamina/ipc.h>
#include <lamina/syscall.h>

// Block until a notification with one of `bits` arrives. Returns the bits seen.
static unsigned long
wait_for(unsigned long bits)
{
  struct ipc_msg msg;

  for (;;) {
    if (ipc_recv(0, &msg) == 0 && (msg.w[0] & bits))
      return msg.w[0];
  }
}

int
main(int argc, char *argv[])
{
  long asked = argc > 1 ? atol(argv[1]) : 1000000;
  long start = sys_clock();
  long r = sys_timer(start + asked);

  if (r < 0) {
    printf("sleep: timer: error %ld\n", -r);
    return 1;
  }
  wait_for(NOTIFY_TIMER);
  printf("sleep: asked %ld, slept %ld\n", asked, sys_clock() - start);
  return 0;
}
