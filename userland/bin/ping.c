// ping: ICMP echo through netd, timed in virtual instructions; and netd's counters.
//
//   $ ping -N ID [-a T] HOST [COUNT [SIZE]]
//                                      COUNT echo requests (default 3) of SIZE bytes
//                                      (default 56), each after the reply to the last;
//                                      -a: start at virtual time T
//   $ ping -N ID -s [T]                netd's counters, one "name = value" line each
//                                      (at virtual time T, if given)
//
// The round-trip time is virtual time (guest instructions, including the time the
// switch takes) from before the request to after the reply, as this program sees it.
// Exit status 0 if every request was answered.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/net.h>
#include <lamina/proc.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

#define TIMEOUT 2000000  // virtual instructions to wait for each reply

// Wait until virtual time t (at once if it has passed).
static void
wait_until(long t)
{
  if (t > sys_clock()) {
    sys_timer(t);
    proc_wait_notify(NOTIFY_TIMER);
  }
}

// Print netd's counters. 0, or 1 if netd could not be asked.
static int
print_stats(void)
{
  uint64_t counters[NET_NSTATS];
  long n = net_stats(counters);

  if (n < 0) {
    printf("ping: cannot read netd's counters: %s (error %ld)\n", net_strerror(n), n);
    return 1;
  }
  for (long i = 0; i < n; i++)
    report(net_stat_name((int)i), (long)counters[i]);
  return 0;
}

int
main(int argc, char *argv[])
{
  char text[16];
  uint32_t ip;
  long count, size;
  int got = 0;

  argc = proc_args(argc, &argv);
  if (argc >= 2 && argc <= 3 && strcmp(argv[1], "-s") == 0) {
    wait_until(argc == 3 ? strtol(argv[2], 0, 0) : 0);
    return print_stats();
  }
  if (argc >= 3 && strcmp(argv[1], "-a") == 0) {
    wait_until(strtol(argv[2], 0, 0));
    argv[2] = argv[0];
    argv += 2;
    argc -= 2;
  }
  if (argc < 2 || argc > 4 || inet_parse(argv[1], &ip) < 0) {
    printf("usage: ping -N NETD [-a T] HOST [COUNT [SIZE]] | ping -N NETD -s [T]\n");
    return 2;
  }
  count = argc > 2 ? strtol(argv[2], 0, 0) : 3;
  size = argc > 3 ? strtol(argv[3], 0, 0) : 56;
  for (long seq = 0; seq < count; seq++) {
    int ttl = 0;
    long start = sys_clock();
    long r = net_ping(ip, (int)seq, (int)size, TIMEOUT, &ttl);
    long rtt = sys_clock() - start;
    if (r < 0) {
      printf("ping: no reply from %s seq %ld: %s (error %ld)\n", inet_format(ip, text), seq, net_strerror(r), r);
      continue;
    }
    got++;
    printf("ping: %ld bytes from %s seq %ld ttl %d rtt %ld instructions\n", r, inet_format(ip, text), seq, ttl, rtt);
  }
  report("sent", count);
  report("received", got);
  return got == count ? 0 : 1;
}
