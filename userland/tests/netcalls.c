// netcalls: the socket calls with bad arguments, each result reported as
// "name = value" (tests/test_net.py checks every error netd and the library give).
//
//   $ netcalls -N ID

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/wait.h>
#include <lamina/net.h>
#include <lamina/proc.h>
#include <lamina/report.h>

static char big[NET_IO_MAX + 1];

// Datagram sockets: binding, sending, receiving.
static void
udp_errors(void)
{
  struct net_addr port7 = {0, 7}, elsewhere = {0x0a000009, 8}, offnet = {0xc0a80001, 7}, noport = {0x0a000002, 0};
  int u = socket(SOCK_DGRAM), v = socket(SOCK_DGRAM);

  report("bind_ok", bind(u, &port7));
  report("bind_in_use", bind(v, &port7));
  report("bind_twice", bind(u, &port7));
  report("bind_foreign_ip", bind(v, &elsewhere));
  report("listen_udp", listen(u, 1));
  report("connect_udp", connect(u, &port7));
  report("send_udp", send(u, "x", 1, 0));
  report("sendto_too_big", sendto(u, big, sizeof(big), &noport));
  report("sendto_port_0", sendto(u, "x", 1, &noport));
  report("sendto_off_subnet", sendto(u, "x", 1, &offnet));
  report("recv_dontwait", recvfrom(u, big, 10, NET_DONTWAIT, NULL));
  report("poll_times_out", net_poll(u, NET_POLLIN, 100000));
  report("poll_writable", net_poll(u, NET_POLLOUT, 0));
  report("close_udp", closesocket(u));
  report("close_again", closesocket(u));
  closesocket(v);
}

// Stream sockets that are not connected.
static void
tcp_errors(void)
{
  struct net_addr noport = {0x0a000002, 0}, offnet = {0xc0a80001, 80};
  int t = socket(SOCK_STREAM);

  report("recv_unconnected", recv(t, big, 10, 0));
  report("send_unconnected", send(t, "x", 1, 0));
  report("accept_not_listening", accept(t, NULL));
  report("listen_unbound", listen(t, 1));
  report("connect_port_0", connect(t, &noport));
  report("connect_off_subnet", connect(t, &offnet));
  closesocket(t);
}

// Sockets until netd gives this client no more.
static void
exhaust(void)
{
  int n = 0, s;

  while ((s = socket(SOCK_DGRAM)) >= 0)
    n++;
  report("sockets_made", n);
  report("socket_over_limit", s);
  if (fork() == 0)  // another client: this one's limit is not its
    exit(socket(SOCK_DGRAM) >= 0 ? 0 : 1);
  int status = -1;
  wait(&status);
  report("socket_of_another_client", WIFEXITED(status) ? WEXITSTATUS(status) : -1);
  for (int i = 0; i < NET_SOCKETS_MAX; i++)
    closesocket(i);
  report("socket_after_closing", socket(SOCK_DGRAM) >= 0);
}

int
main(int argc, char *argv[])
{
  uint64_t counters[NET_NSTATS];

  argc = proc_args(argc, &argv);
  report("socket_bad_type", socket(99));
  report("bind_bad_socket", bind(31, &(struct net_addr){0, 9}));
  report("close_huge_socket", closesocket(1000));
  report("stats", net_stats(counters));
  report("info_ip", net_info(NULL));
  report("halt_without_authority", net_halt());  // then netd must go on serving
  udp_errors();
  tcp_errors();
  exhaust();
  return 0;
}
