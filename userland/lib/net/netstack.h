/* netstack.h: what the layers of netd's protocol stack (userland/lib/net/) share.
 *
 * Receiving, a frame climbs: eth_input -> arp_input | ip_input -> icmp_input |
 * udp_input | tcp_input. Each input function returns 0 if its protocol took the
 * packet in, or the NS_DROP_* counter (<lamina/netproto.h>) saying why it was
 * dropped; eth_input counts the outcome once, so every frame is accounted for.
 * Sending, a protocol writes its header and payload after IP's in the one transmit
 * frame (net_txframe) and calls ip_send, which adds the IP header and hands the
 * frame to ARP for the destination's MAC address, then to eth_send.
 *
 * Every input function reads only inside [p, p + len): lengths are checked before
 * any field is read. Multi-byte fields are big-endian on the wire; get16/get32 and
 * put16/put32 convert.
 */
#ifndef NET_NETSTACK_H
#define NET_NETSTACK_H

#include <stddef.h>
#include <stdint.h>
#include <lamina/netproto.h>

#define ETH_HLEN 14
#define ETH_MIN_FRAME 60  /* shorter frames are padded with zeros */
#define ETH_MAX_FRAME 1514
#define ETHERTYPE_IP 0x0800
#define ETHERTYPE_ARP 0x0806
#define IP_HLEN 20  /* the header we send: no options */
#define IP_PROTO_ICMP 1
#define IP_PROTO_TCP 6
#define IP_PROTO_UDP 17
#define IP_PAYLOAD (ETH_HLEN + IP_HLEN)  /* where a transport header starts in net_txframe */
#define IP_MAX_PAYLOAD (ETH_MAX_FRAME - IP_PAYLOAD)

/* This host's interface: its MAC address and 10.0.0.N/24, N the MAC's last byte. */
struct netif {
  uint8_t mac[6];
  uint32_t ip;
  uint32_t mask;
};

extern struct netif netif;
extern uint64_t net_counters[NET_NSTATS];
extern long net_now;  /* virtual time of the event being handled */
extern uint8_t net_txframe[ETH_MAX_FRAME];

/* Read a big-endian 16-bit field. */
static inline uint32_t
get16(const uint8_t *p)
{
  return ((uint32_t)p[0] << 8) | p[1];
}

/* Read a big-endian 32-bit field. */
static inline uint32_t
get32(const uint8_t *p)
{
  return ((uint32_t)p[0] << 24) | ((uint32_t)p[1] << 16) | ((uint32_t)p[2] << 8) | p[3];
}

/* Write a big-endian 16-bit field. */
static inline void
put16(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 8);
  p[1] = (uint8_t)v;
}

/* Write a big-endian 32-bit field. */
static inline void
put32(uint8_t *p, uint32_t v)
{
  p[0] = (uint8_t)(v >> 24);
  p[1] = (uint8_t)(v >> 16);
  p[2] = (uint8_t)(v >> 8);
  p[3] = (uint8_t)v;
}

/* eth.c */
void net_init(uint64_t mac);
long eth_input(const uint8_t *frame, size_t len);
long eth_send(const uint8_t *dst_mac, uint32_t type, uint8_t *frame, size_t len);
uint32_t csum_add(uint32_t sum, const uint8_t *p, size_t len);
uint16_t csum_fold(uint32_t sum);
uint32_t csum_pseudo(uint32_t src, uint32_t dst, int proto, size_t len);

/* arp.c */
long arp_input(const uint8_t *p, size_t len);
long arp_output(uint32_t ip, uint8_t *frame, size_t len);
long arp_timers(void);  /* the earliest ARP deadline, 0 if none */

/* ipv4.c */
long ip_input(const uint8_t *p, size_t len);
long ip_send(uint32_t dst, int proto, size_t payload_len);
int ip_is_local(uint32_t ip);

/* icmp.c */
long icmp_input(uint32_t src, const uint8_t *p, size_t len, int ttl);
long icmp_echo_request(uint32_t dst, uint32_t id, uint32_t seq, size_t size);

/* udp.c */
long udp_input(uint32_t src, uint32_t dst, const uint8_t *p, size_t len);
long udp_send(uint32_t dst, int sport, int dport, const uint8_t *data, size_t len);

/* tcp_in.c */
long tcp_input(uint32_t src, uint32_t dst, const uint8_t *p, size_t len);
void tcp_send_rst(uint32_t dst, int sport, int dport, uint32_t seq, uint32_t ack, int with_ack);

#endif /* NET_NETSTACK_H */
