// ipv4.c: the Internet Protocol (RFC 791) for one interface on one subnet: header
// checks on the way in, headers on the way out, no routing beyond the subnet.
//
// Fragmentation is left out: we send with Don't Fragment set and never more than
// the link carries, and drop every fragment that arrives (counted). Options are
// skipped over, never acted on.

#include "netstack.h"

#define IP_FLAG_MF 0x2000
#define IP_FLAG_DF 0x4000
#define IP_OFFSET_MASK 0x1fff
#define IP_TTL 64

static uint32_t next_id;

// Whether ip is on our subnet (and so reachable directly).
int
ip_is_local(uint32_t ip)
{
  return (ip & netif.mask) == (netif.ip & netif.mask);
}

// Take in an IPv4 packet (p: after the Ethernet header; len may include the link's
// padding). 0 or a drop reason.
long
ip_input(const uint8_t *p, size_t len)
{
  size_t hlen, total;
  uint32_t src, dst;

  if (len < IP_HLEN)
    return NS_DROP_IP_SHORT;
  hlen = (size_t)(p[0] & 15) * 4;
  if ((p[0] >> 4) != 4 || hlen < IP_HLEN)
    return NS_DROP_IP_VERSION;
  total = get16(p + 2);
  if (hlen > len || total < hlen || total > len)
    return NS_DROP_IP_SHORT;
  if (csum_fold(csum_add(0, p, hlen)) != 0)
    return NS_DROP_IP_CHECKSUM;
  if ((get16(p + 6) & (IP_FLAG_MF | IP_OFFSET_MASK)) != 0)
    return NS_DROP_IP_FRAGMENT;
  src = get32(p + 12);
  dst = get32(p + 16);
  if (dst != netif.ip && dst != 0xffffffffu && dst != (netif.ip | ~netif.mask))
    return NS_DROP_IP_NOT_OURS;
  switch (p[9]) {
  case IP_PROTO_ICMP:
    return icmp_input(src, p + hlen, total - hlen, p[8]);
  case IP_PROTO_UDP:
    return udp_input(src, dst, p + hlen, total - hlen);
  case IP_PROTO_TCP:
    // TCP takes no broadcasts: a connection has one peer.
    return dst == netif.ip ? tcp_input(src, dst, p + hlen, total - hlen) : NS_DROP_IP_NOT_OURS;
  }
  return NS_DROP_IP_PROTOCOL;
}

// Send the payload_len bytes at net_txframe + IP_PAYLOAD to dst as protocol proto.
// 0 (sent, or waiting for ARP), or -errno: -ENETUNREACH off our subnet (there is no
// router), -EMSGSIZE if too long, -EAGAIN if the transmit ring was full.
long
ip_send(uint32_t dst, int proto, size_t payload_len)
{
  uint8_t *ip = net_txframe + ETH_HLEN;

  if (!ip_is_local(dst) && dst != 0xffffffffu)
    return -ENETUNREACH;
  if (payload_len > IP_MAX_PAYLOAD)
    return -EMSGSIZE;
  ip[0] = 0x45;  // version 4, 5 words of header
  ip[1] = 0;
  put16(ip + 2, (uint32_t)(IP_HLEN + payload_len));
  put16(ip + 4, next_id++);
  put16(ip + 6, IP_FLAG_DF);
  ip[8] = IP_TTL;
  ip[9] = (uint8_t)proto;
  put16(ip + 10, 0);
  put32(ip + 12, netif.ip);
  put32(ip + 16, dst);
  put16(ip + 10, csum_fold(csum_add(0, ip, IP_HLEN)));
  return arp_output(dst, net_txframe, IP_PAYLOAD + payload_len);
}
