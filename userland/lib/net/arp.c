// arp.c: the Address Resolution Protocol (RFC 826) for IPv4 over Ethernet: a cache
// of IP-to-MAC translations, answers to requests for our address, and requests for
// the addresses we need.
//
// An outgoing packet whose next hop is not in the cache waits in the cache entry
// (up to ARP_HOLD of them; a packet beyond that is dropped, as RFC 1122 2.3.2.2
// allows) while a request goes out; the request is repeated ARP_TRIES times, ARP_RETRY apart, and
// then the entry and its packet are given up. Entries never expire: the hosts of
// a teaching cluster do not move.

#include <string.h>
#include "netstack.h"

#define ARP_ENTRIES 16
#define ARP_RETRY 500000  // virtual instructions between requests
#define ARP_TRIES 4
#define ARP_HOLD 4  // packets that may wait for one address
#define ARP_LEN 28  // an Ethernet/IPv4 ARP packet
#define ARP_REQUEST 1
#define ARP_REPLY 2

enum { ARP_FREE, ARP_PENDING, ARP_RESOLVED };

// One cache entry, and the packet waiting for it to resolve.
struct arp_entry {
  int state;
  uint32_t ip;
  uint8_t mac[6];
  int tries;
  long deadline;
  int nheld;  // packets waiting
  size_t held_len[ARP_HOLD];
  uint8_t held[ARP_HOLD][ETH_MAX_FRAME];
};

static struct arp_entry cache[ARP_ENTRIES];
static int next_victim;  // round robin, for a full cache
static uint8_t arp_frame[ETH_MIN_FRAME];
static const uint8_t broadcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// The entry for ip, or NULL.
static struct arp_entry *
arp_find(uint32_t ip)
{
  for (int i = 0; i < ARP_ENTRIES; i++) {
    if (cache[i].state != ARP_FREE && cache[i].ip == ip)
      return &cache[i];
  }
  return NULL;
}

// A fresh entry for ip: a free one, else the next victim (its waiting packet dropped).
static struct arp_entry *
arp_new(uint32_t ip)
{
  struct arp_entry *e = NULL;

  for (int i = 0; i < ARP_ENTRIES && e == NULL; i++) {
    if (cache[i].state == ARP_FREE)
      e = &cache[i];
  }
  if (e == NULL) {
    e = &cache[next_victim];
    next_victim = (next_victim + 1) % ARP_ENTRIES;
    net_counters[NS_ARP_CACHE_DROPS] += (uint64_t)e->nheld;
  }
  e->state = ARP_PENDING;
  e->ip = ip;
  e->tries = 0;
  e->nheld = 0;
  return e;
}

// Send an ARP packet: operation op, to target (tha, tpa), Ethernet destination dst.
static void
arp_send(int op, const uint8_t *dst, const uint8_t *tha, uint32_t tpa)
{
  uint8_t *p = arp_frame + ETH_HLEN;

  put16(p, 1);  // hardware: Ethernet
  put16(p + 2, ETHERTYPE_IP);
  p[4] = 6;
  p[5] = 4;
  put16(p + 6, (uint32_t)op);
  memcpy(p + 8, netif.mac, 6);
  put32(p + 14, netif.ip);
  memcpy(p + 18, tha, 6);
  put32(p + 24, tpa);
  eth_send(dst, ETHERTYPE_ARP, arp_frame, ETH_HLEN + ARP_LEN);
}

// Record that ip is at mac, and send the packets that waited for it, in order.
static void
arp_resolved(struct arp_entry *e, const uint8_t *mac)
{
  int n = e->nheld;

  memcpy(e->mac, mac, 6);
  e->state = ARP_RESOLVED;
  e->nheld = 0;
  for (int i = 0; i < n; i++)
    eth_send(e->mac, ETHERTYPE_IP, e->held[i], e->held_len[i]);
}

// Take in an ARP packet (p: after the Ethernet header). 0 or a drop reason.
long
arp_input(const uint8_t *p, size_t len)
{
  struct arp_entry *e;
  uint32_t spa, tpa;
  int merged = 0;

  if (len < ARP_LEN || get16(p) != 1 || get16(p + 2) != ETHERTYPE_IP || p[4] != 6 || p[5] != 4)
    return NS_DROP_ARP_MALFORMED;
  spa = get32(p + 14);
  tpa = get32(p + 24);
  if (spa == netif.ip || (p[8] & 1))  // our own address, or a group MAC: not a host's
    return NS_DROP_ARP_OTHER;
  // RFC 826's algorithm: update a translation we have, add one if we are the target.
  e = arp_find(spa);
  if (e != NULL) {
    arp_resolved(e, p + 8);
    merged = 1;
  }
  if (tpa != netif.ip)
    return merged ? 0 : NS_DROP_ARP_OTHER;
  if (!merged && ip_is_local(spa))
    arp_resolved(arp_new(spa), p + 8);
  if (get16(p + 6) == ARP_REQUEST)
    arp_send(ARP_REPLY, p + 8, p + 8, spa);
  else if (get16(p + 6) != ARP_REPLY)
    return NS_DROP_ARP_OTHER;
  return 0;
}

// Send the IP packet in frame (len bytes, Ethernet header to be filled) to the host
// ip on our network: at once if its MAC address is known, else after ARP finds it.
// 0, or -errno.
long
arp_output(uint32_t ip, uint8_t *frame, size_t len)
{
  static const uint8_t unknown[6];
  struct arp_entry *e;

  if (ip == 0xffffffffu || ip == (netif.ip | ~netif.mask))
    return eth_send(broadcast_mac, ETHERTYPE_IP, frame, len);
  e = arp_find(ip);
  if (e != NULL && e->state == ARP_RESOLVED)
    return eth_send(e->mac, ETHERTYPE_IP, frame, len);
  if (e == NULL) {
    e = arp_new(ip);
    e->deadline = net_now + ARP_RETRY;
    e->tries = 1;
    arp_send(ARP_REQUEST, broadcast_mac, unknown, ip);
  }
  if (e->nheld == ARP_HOLD) {
    net_counters[NS_ARP_CACHE_DROPS]++;
    return 0;
  }
  memcpy(e->held[e->nheld], frame, len);
  e->held_len[e->nheld++] = len;
  return 0;
}

// Repeat the requests that are due and give up those asked often enough. Returns
// the earliest ARP deadline still pending, 0 if none.
long
arp_timers(void)
{
  static const uint8_t unknown[6];
  long next = 0;

  for (int i = 0; i < ARP_ENTRIES; i++) {
    struct arp_entry *e = &cache[i];
    if (e->state != ARP_PENDING)
      continue;
    if (e->deadline <= net_now) {
      if (e->tries >= ARP_TRIES) {
        net_counters[NS_ARP_CACHE_DROPS] += (uint64_t)e->nheld;
        e->state = ARP_FREE;
        continue;
      }
      e->tries++;
      e->deadline = net_now + ARP_RETRY;
      arp_send(ARP_REQUEST, broadcast_mac, unknown, e->ip);
    }
    if (next == 0 || e->deadline < next)
      next = e->deadline;
  }
  return next;
}
