/* lamina/netproto.h: the socket protocol: the messages between a client
 * (userland/lib/netclient.c, <lamina/net.h>) and the network server netd
 * (userland/sbin/netd.c, userland/lib/net/).
 *
 * A user-level protocol, like the file service's (<lamina/fsproto.h>): the kernel
 * carries the messages and moves raw frames; it knows nothing of sockets.
 *
 * A request is one ipc_call to netd:
 *   w[0]    the request code, NET_*
 *   w[1..3] arguments, as listed below
 *   page    the client's page (send_page = page | PERM_R | PERM_W): data to send,
 *           and where received data is written. Requests that move no data need none.
 * The reply:
 *   w[0]    the result: >= 0 on success, -errno on failure
 *   w[1]    for NET_ACCEPT and NET_RECVFROM the peer's address; NET_PING the reply's
 *           TTL; NET_INFO the MAC address; otherwise 0
 *
 * An address is one word: NET_ADDR(ip, port), the IPv4 address in host order in
 * bits 16..47 and the port in bits 0..15. A socket is a small number that means
 * something only to the domain that made it (netd checks the caller's id).
 *
 *   request       w[1]     w[2]          w[3]        page in  page out  result
 *   NET_SOCKET    type                                                  socket
 *   NET_BIND      socket   address                                      0
 *   NET_LISTEN    socket   backlog                                      0
 *   NET_ACCEPT    socket                                                new socket (waits)
 *   NET_CONNECT   socket   address                                      0 (waits)
 *   NET_SEND      socket   count         flags       data               bytes taken (waits for room)
 *   NET_RECV      socket   count         flags                data      bytes (0: end; waits)
 *   NET_SENDTO    socket   count         address     data               count
 *   NET_RECVFROM  socket   count         flags                data      bytes (waits)
 *   NET_SHUTDOWN  socket                                                0 (no more sending: FIN)
 *   NET_CLOSE     socket                                                0
 *   NET_POLL      socket   NET_POLL*     timeout                        ready NET_POLL* bits (0: timed out)
 *   NET_PING      ip       seq | size<<16 timeout                       payload bytes echoed (waits)
 *   NET_STATS                                                 counters  NET_NSTATS
 *   NET_INFO                                                            our IPv4 address
 *   NET_HALT                                                            0, then netd ends
 *
 * "Waits": netd does not answer until the request can complete (or fails); it never
 * blocks itself, it remembers the caller and replies later. With flags =
 * NET_DONTWAIT such a request answers -EAGAIN at once instead. Timeouts are in
 * virtual instructions, 0 meaning none. count is at most NET_IO_MAX.
 */
#ifndef LAMINA_NETPROTO_H
#define LAMINA_NETPROTO_H

#include <stdint.h>
#include <lamina/abi.h>

/* Request codes (w[0]). */
#define NET_SOCKET 1
#define NET_BIND 2
#define NET_LISTEN 3
#define NET_ACCEPT 4
#define NET_CONNECT 5
#define NET_SEND 6
#define NET_RECV 7
#define NET_SENDTO 8
#define NET_RECVFROM 9
#define NET_SHUTDOWN 10
#define NET_CLOSE 11
#define NET_POLL 12
#define NET_PING 13
#define NET_STATS 14
#define NET_INFO 15
#define NET_HALT 16  /* the machine is shutting down (init): answer, then end */

/* Socket types (NET_SOCKET's w[1]). */
#define SOCK_STREAM 1  /* TCP */
#define SOCK_DGRAM 2  /* UDP */

/* Flags (w[3] of NET_SEND, NET_RECV, NET_RECVFROM). */
#define NET_DONTWAIT 1

/* NET_POLL's event bits. */
#define NET_POLLIN 1  /* data, the end of the stream, an error, or a connection to accept */
#define NET_POLLOUT 2  /* room to send, or an error */

/* Sockets netd has for all its clients together, and the most one client may hold:
 * a limit per client, so that no one client can take every socket. */
#define NET_SOCKETS_MAX 32
#define NET_SOCKETS_PER_CLIENT 8

/* The most bytes one request moves: one page. */
#define NET_IO_MAX PAGE_SIZE

#define NET_ADDR(ip, port) (((unsigned long)(uint32_t)(ip) << 16) | ((port) & 0xffff))
#define NET_ADDR_IP(a) ((uint32_t)((a) >> 16))
#define NET_ADDR_PORT(a) ((int)((a) & 0xffff))

/* Network errors: user-level, so not in <lamina/abi.h>; the numbers are Linux's. */
#define EMSGSIZE 90
#define EPROTOTYPE 91
#define EOPNOTSUPP 95
#define EADDRINUSE 98
#define ENETUNREACH 101
#define ECONNRESET 104
#define EISCONN 106
#define ENOTCONN 107
#define ETIMEDOUT 110
#define ECONNREFUSED 111
#define EHOSTUNREACH 113

/* The counters NET_STATS writes into the page, as uint64_t, in this order. Every
 * frame received ends in exactly one of NS_RX_HANDLED and the NS_DROP_* counters,
 * so rx_frames = rx_handled + the sum of the drops. */
enum net_stat {
  NS_RX_FRAMES,  /* frames received from the NIC */
  NS_RX_HANDLED,  /* frames a protocol took in */
  NS_TX_FRAMES,  /* frames sent */
  NS_TX_RING_FULL,  /* frames not sent: the transmit ring was full */
  NS_DROP_ETH_SHORT,  /* shorter than an Ethernet header */
  NS_DROP_ETH_NOT_OURS,  /* for another MAC address */
  NS_DROP_ETH_TYPE,  /* neither IPv4 nor ARP */
  NS_DROP_ARP_MALFORMED,  /* truncated, or not Ethernet/IPv4 ARP */
  NS_DROP_ARP_OTHER,  /* about another host, or an unknown operation */
  NS_DROP_IP_SHORT,  /* truncated header, or total length past the frame */
  NS_DROP_IP_VERSION,  /* not version 4, or a header length below 20 */
  NS_DROP_IP_CHECKSUM,  /* header checksum wrong */
  NS_DROP_IP_FRAGMENT,  /* a fragment: reassembly is left out */
  NS_DROP_IP_NOT_OURS,  /* for another IP address */
  NS_DROP_IP_PROTOCOL,  /* neither ICMP, UDP nor TCP */
  NS_DROP_ICMP_MALFORMED,  /* truncated or checksum wrong */
  NS_DROP_ICMP_TYPE,  /* a type we do not answer, or an echo reply nobody waits for */
  NS_DROP_UDP_MALFORMED,  /* truncated, bad length, or checksum wrong */
  NS_DROP_UDP_NO_SOCKET,  /* no socket bound to the port */
  NS_DROP_UDP_QUEUE_FULL,  /* the socket's queue had no room */
  NS_DROP_TCP_MALFORMED,  /* truncated, bad data offset, or checksum wrong */
  NS_DROP_TCP_NO_SOCKET,  /* no connection or listener (answered with RST) */
  NS_DROP_TCP_UNACCEPTABLE,  /* outside the receive window, bad ACK, stray SYN/RST */
  NS_DROP_TCP_OUT_OF_ORDER,  /* after a gap, and no room to keep it: the sender retransmits */
  NS_DROP_TCP_BACKLOG,  /* a SYN to a listener whose backlog is full */
  NS_ARP_CACHE_DROPS,  /* outgoing packets dropped waiting for ARP (not a receive drop) */
  NS_TCP_RETRANSMITS,  /* timeouts that sent unacknowledged data again */
  NS_TCP_RST_SENT,
  NS_TCP_WINDOW_PROBES,  /* timeouts that probed a peer's zero window */
  NS_TCP_OUT_OF_ORDER_KEPT,  /* segments after a gap, kept until it is filled */
  NET_NSTATS
};

#endif /* LAMINA_NETPROTO_H */
