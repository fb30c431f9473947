// udpsend: send UDP datagrams to an echo server and check what comes back.
//
//   $ udpsend -N ID HOST PORT [COUNT [SIZE]]   COUNT datagrams (default 3) of SIZE
//                                              bytes (default 64), each after the
//                                              echo of the last (or its timeout)
//
// Results are "name = value" lines: echoed_exact counts echoes equal to what was
// sent. The round-trip time is virtual time, in guest instructions.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/net.h>
#include <lamina/proc.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

#define TIMEOUT 2000000  // virtual instructions to wait for each echo

static char out[NET_IO_MAX], in[NET_IO_MAX];

int
main(int argc, char *argv[])
{
  struct net_addr to, from;
  long count, size, port;
  int s, exact = 0;
  char text[16];

  argc = proc_args(argc, &argv);
  if (argc < 3 || argc > 5 || inet_parse(argv[1], &to.ip) < 0 || (port = strtol(argv[2], 0, 0)) <= 0 ||
      port > 65535) {
    printf("usage: udpsend -N NETD HOST PORT [COUNT [SIZE]]\n");
    return 2;
  }
  to.port = (int)port;
  count = argc > 3 ? strtol(argv[3], 0, 0) : 3;
  size = argc > 4 ? strtol(argv[4], 0, 0) : 64;
  if (size < 0 || size > NET_IO_MAX) {
    printf("udpsend: SIZE must be 0 to %d\n", NET_IO_MAX);
    return 2;
  }
  s = socket(SOCK_DGRAM);
  if (s < 0) {
    printf("udpsend: socket: %s (error %d)\n", net_strerror(s), s);
    return 1;
  }
  for (long seq = 0; seq < count; seq++) {
    long start = sys_clock(), n;
    for (long i = 0; i < size; i++)
      out[i] = (char)(seq * 13 + i);
    n = sendto(s, out, (size_t)size, &to);
    if (n != size) {
      printf("udpsend: sendto: %s (error %ld)\n", net_strerror(n), n);
      return 1;
    }
    if (net_poll(s, NET_POLLIN, TIMEOUT) <= 0) {
      printf("udpsend: no echo for datagram %ld\n", seq);
      continue;
    }
    n = recvfrom(s, in, sizeof(in), 0, &from);
    if (n == size && memcmp(in, out, (size_t)size) == 0 && from.ip == to.ip && from.port == to.port)
      exact++;
    printf("udpsend: %ld bytes echoed by %s:%d in %ld instructions\n", n, inet_format(from.ip, text),
           from.port, sys_clock() - start);
  }
  report("echoed_exact", exact);
  closesocket(s);
  return exact == count ? 0 : 1;
}
