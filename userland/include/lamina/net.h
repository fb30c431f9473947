/* lamina/net.h: sockets, the client side of the network server netd
 * (userland/lib/netclient.c; the protocol is <lamina/netproto.h>).
 *
 * The calls look like the BSD socket calls, simplified: an address is a
 * struct net_addr (IPv4 address and port in host byte order), and every call
 * returns a result >= 0 or -errno, like the rest of this library. Calls that wait
 * (accept, connect, send, recv, recvfrom) block the caller inside netd's IPC call
 * until they can complete. netd is found through the process record: "-N ID" in
 * front of a program's arguments (taken off by proc_args), "-N @netd" in a
 * configuration.
 */
#ifndef LAMINA_NET_H
#define LAMINA_NET_H

#include <stddef.h>
#include <stdint.h>
#include <lamina/netproto.h>

struct net_addr {
  uint32_t ip;  /* host byte order: 10.0.0.2 is 0x0a000002 */
  int port;
};

/* A new socket: SOCK_STREAM (TCP) or SOCK_DGRAM (UDP). */
int socket(int type);
/* Give s a local port (addr->ip 0 or ours; port 0: any free one). */
int bind(int s, const struct net_addr *addr);
/* Accept connections on the bound TCP socket s; backlog of them may wait. */
int listen(int s, int backlog);
/* Wait for a connection on listener s: a new socket; the peer in *peer if not NULL. */
int accept(int s, struct net_addr *peer);
/* Open a TCP connection to addr and wait for the handshake: 0, -ECONNREFUSED, ... */
int connect(int s, const struct net_addr *addr);
/* Send all len bytes (waiting for room): len, or -errno. */
long send(int s, const void *buf, size_t len, int flags);
/* Receive up to len bytes (waiting for some): bytes, 0 at the end of the stream. */
long recv(int s, void *buf, size_t len, int flags);
/* Send one datagram of len bytes to addr. */
long sendto(int s, const void *buf, size_t len, const struct net_addr *addr);
/* Receive one datagram (waiting for it): bytes; its sender in *from if not NULL. */
long recvfrom(int s, void *buf, size_t len, int flags, struct net_addr *from);
/* Send no more on TCP socket s (our FIN goes after the data); receiving goes on. */
int shutdown(int s);
/* Let go of s (not close(): that is for file descriptors). */
int closesocket(int s);
/* Wait until s is ready for events (NET_POLLIN, NET_POLLOUT) or timeout virtual
 * instructions pass (0: no limit): the ready bits, 0 on a timeout. */
int net_poll(int s, int events, long timeout);
/* Send an ICMP echo request of size bytes with sequence number seq to ip and wait
 * for the reply: bytes echoed (its TTL in *ttl if not NULL), or -ETIMEDOUT. */
long net_ping(uint32_t ip, int seq, int size, long timeout, int *ttl);
/* netd's counters (NET_NSTATS of them, <lamina/netproto.h>) into counters. */
long net_stats(uint64_t *counters);
/* The name of counter i, e.g. "drop_ip_checksum". */
const char *net_stat_name(int i);
/* Our IPv4 address (and MAC address in *mac if not NULL). */
long net_info(uint64_t *mac);

/* Tell netd to end (init does, as the machine shuts down). 0 or -errno. */
long net_halt(void);
/* What the socket calls' error err (negative) means, in words. */
const char *net_strerror(long err);
/* Parse dotted-quad text ("10.0.0.2") into *ip: 0, or -EINVAL. */
int inet_parse(const char *text, uint32_t *ip);
/* Write ip as dotted-quad text into buf (16 bytes are enough); returns buf. */
char *inet_format(uint32_t ip, char *buf);

#endif /* LAMINA_NET_H */
