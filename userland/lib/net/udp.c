// udp.c: the User Datagram Protocol (RFC 768): ports, lengths and the checksum.
//
// A datagram for a bound port is queued in its socket's receive ring as a record:
// an 8-byte header (data length, source port, source address) and the data. A
// datagram that does not fit whole is dropped (counted); so is one for a port no
// socket is bound to (we send no ICMP port unreachable).

#include <string.h>
#include "netstack.h"
#include "sock.h"

#define UDP_HLEN 8
#define RECORD_HLEN 8

// Take in a UDP datagram from src to dst (p: after the IP header). 0 or a drop reason.
long
udp_input(uint32_t src, uint32_t dst, const uint8_t *p, size_t len)
{
  uint8_t rec[RECORD_HLEN];
  struct sock *s;
  size_t ulen;

  if (len < UDP_HLEN)
    return NS_DROP_UDP_MALFORMED;
  ulen = get16(p + 4);
  if (ulen < UDP_HLEN || ulen > len)
    return NS_DROP_UDP_MALFORMED;
  /* BEGIN LAB net: (void)src; (void)dst; (void)rec; (void)s; return NS_DROP_UDP_NO_SOCKET; */
  // A zero checksum means the sender computed none (RFC 768).
  if (get16(p + 6) != 0 && csum_fold(csum_add(csum_pseudo(src, dst, IP_PROTO_UDP, ulen), p, ulen)) != 0)
    return NS_DROP_UDP_MALFORMED;
  s = sock_find_port(SOCK_DGRAM, (int)get16(p + 2));
  if (s == NULL)
    return NS_DROP_UDP_NO_SOCKET;
  if (ring_room(&s->rx) < RECORD_HLEN + ulen - UDP_HLEN)
    return NS_DROP_UDP_QUEUE_FULL;
  put16(rec, (uint32_t)(ulen - UDP_HLEN));
  memcpy(rec + 2, p, 2);  // the source port, still big-endian
  put32(rec + 4, src);
  ring_put(&s->rx, rec, RECORD_HLEN);
  ring_put(&s->rx, p + UDP_HLEN, ulen - UDP_HLEN);
  sock_wake(s);
  return 0;
  /* END LAB net */
}

// Send len bytes of data from s's port to ip:port. len, or -errno.
long
udp_sendto(struct sock *s, uint32_t ip, int port, const uint8_t *data, size_t len)
{
  uint8_t *u = net_txframe + IP_PAYLOAD;
  uint16_t sum;
  long r;

  if (len > IP_MAX_PAYLOAD - UDP_HLEN)
    return -EMSGSIZE;
  /* BEGIN LAB net: (void)s; (void)ip; (void)port; (void)data; (void)u; (void)sum; (void)r; return -ENOSYS; */
  put16(u, (uint32_t)s->lport);
  put16(u + 2, (uint32_t)port);
  put16(u + 4, (uint32_t)(UDP_HLEN + len));
  put16(u + 6, 0);
  memcpy(u + UDP_HLEN, data, len);
  sum = csum_fold(csum_add(csum_pseudo(netif.ip, ip, IP_PROTO_UDP, UDP_HLEN + len), u, UDP_HLEN + len));
  put16(u + 6, sum == 0 ? 0xffff : sum);  // 0 would mean "no checksum"
  r = ip_send(ip, IP_PROTO_UDP, UDP_HLEN + len);
  return r < 0 ? r : (long)len;
  /* END LAB net */
}

// Take the oldest datagram queued on s: up to max bytes of it into dst (the rest
// is lost, as with Unix datagram sockets), its sender into *from. Returns the bytes
// copied; the caller has checked that one is queued.
size_t
udp_dequeue(struct sock *s, uint8_t *dst, size_t max, unsigned long *from)
{
  uint8_t rec[RECORD_HLEN];
  size_t len, n;

  ring_get(&s->rx, rec, RECORD_HLEN);
  len = get16(rec);
  *from = NET_ADDR(get32(rec + 4), get16(rec + 2));
  n = len < max ? len : max;
  ring_get(&s->rx, dst, n);
  ring_drop(&s->rx, len - n);
  return n;
}
