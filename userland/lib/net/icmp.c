// icmp.c: the Internet Control Message Protocol (RFC 792), the part ping needs: we
// answer echo requests, send echo requests for clients, and hand echo replies to
// the client waiting for them. Other messages are counted and dropped.

#include <string.h>
#include "netstack.h"
#include "sock.h"

#define ICMP_ECHO_REPLY 0
#define ICMP_ECHO_REQUEST 8
#define ICMP_HLEN 8

// Take in an ICMP message from src (p: after the IP header; ttl: the packet's).
// 0 or a drop reason.
long
icmp_input(uint32_t src, const uint8_t *p, size_t len, int ttl)
{
  uint8_t *out = net_txframe + IP_PAYLOAD;

  if (len < ICMP_HLEN || csum_fold(csum_add(0, p, len)) != 0)
    return NS_DROP_ICMP_MALFORMED;
  if (p[0] == ICMP_ECHO_REQUEST && p[1] == 0) {
    // The reply is the request with its type changed: same id, sequence and data.
    memcpy(out, p, len);
    out[0] = ICMP_ECHO_REPLY;
    put16(out + 2, 0);
    put16(out + 2, csum_fold(csum_add(0, out, len)));
    ip_send(src, IP_PROTO_ICMP, len);
    return 0;
  }
  if (p[0] == ICMP_ECHO_REPLY && p[1] == 0 &&
      sock_ping_reply(src, get16(p + 4), get16(p + 6), len - ICMP_HLEN, ttl))
    return 0;
  return NS_DROP_ICMP_TYPE;
}

// Send an echo request to dst with identifier id, sequence number seq and size
// bytes of data. 0 or -errno.
long
icmp_echo_request(uint32_t dst, uint32_t id, uint32_t seq, size_t size)
{
  uint8_t *out = net_txframe + IP_PAYLOAD;

  if (size > IP_MAX_PAYLOAD - ICMP_HLEN)
    return -EMSGSIZE;
  out[0] = ICMP_ECHO_REQUEST;
  out[1] = 0;
  put16(out + 2, 0);
  put16(out + 4, id);
  put16(out + 6, seq);
  for (size_t i = 0; i < size; i++)
    out[ICMP_HLEN + i] = (uint8_t)(i + seq);
  put16(out + 2, csum_fold(csum_add(0, out, ICMP_HLEN + size)));
  return ip_send(dst, IP_PROTO_ICMP, ICMP_HLEN + size);
}
