// udpecho: a UDP echo server (RFC 862's service) on netd's sockets.
//
//   $ udpecho -N ID PORT [COUNT]    send each datagram back to its sender; end after
//                                   COUNT datagrams (default: never)

#include <stdio.h>
#include <stdlib.h>
#include <lamina/net.h>
#include <lamina/proc.h>

static char buf[NET_IO_MAX];

int
main(int argc, char *argv[])
{
  struct net_addr me = {0, 0}, from;
  char text[16];
  long count, port;
  int s, r;

  argc = proc_args(argc, &argv);
  if (argc < 2 || argc > 3 || (port = strtol(argv[1], 0, 0)) <= 0 || port > 65535) {
    printf("usage: udpecho -N NETD PORT [COUNT]\n");
    return 2;
  }
  count = argc > 2 ? strtol(argv[2], 0, 0) : -1;
  me.port = (int)port;
  s = socket(SOCK_DGRAM);
  r = s < 0 ? s : bind(s, &me);
  if (r < 0) {
    printf("udpecho: cannot bind UDP port %ld: %s (error %d)\n", port, net_strerror(r), r);
    return 1;
  }
  printf("udpecho: echoing on UDP port %ld\n", port);
  console_flush();
  for (long i = 0; count < 0 || i < count; i++) {
    long n = recvfrom(s, buf, sizeof(buf), 0, &from);
    if (n < 0) {
      printf("udpecho: recvfrom: %s (error %ld)\n", net_strerror(n), n);
      return 1;
    }
    sendto(s, buf, (size_t)n, &from);
    printf("udpecho: %ld bytes from %s:%d echoed\n", n, inet_format(from.ip, text), from.port);
  }
  closesocket(s);
  return 0;
}
