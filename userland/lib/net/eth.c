// eth.c: the bottom of netd's stack: the interface's addresses, Ethernet frames in
// and out, and the Internet checksum every layer above uses (RFC 1071).
//
// A frame is ours if it is for our MAC address or broadcast; its ethertype picks
// ARP or IPv4. Frames go out through the kernel's nic_send; a full transmit ring
// drops the frame (counted), since netd must never wait: TCP retransmits, and
// ARP, ICMP and UDP promise nothing more.

#include <string.h>
#include <lamina/syscall.h>
#include "netstack.h"

struct netif netif;
uint64_t net_counters[NET_NSTATS];
long net_now;
uint8_t net_txframe[ETH_MAX_FRAME];

static const uint8_t broadcast_mac[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};

// Set the interface up from the NIC's MAC address (nic_info's number): the IPv4
// address is 10.0.0.N/24, N the MAC's last byte.
void
net_init(uint64_t mac)
{
  for (int i = 0; i < 6; i++)
    netif.mac[i] = (uint8_t)(mac >> (8 * (5 - i)));
  netif.ip = (10u << 24) | netif.mac[5];
  netif.mask = 0xffffff00u;
}

// Take in one received frame. 0 if a protocol took it, else the NS_DROP_* reason.
long
eth_input(const uint8_t *frame, size_t len)
{
  uint32_t type;

  if (len < ETH_HLEN)
    return NS_DROP_ETH_SHORT;
  if (memcmp(frame, netif.mac, 6) != 0 && memcmp(frame, broadcast_mac, 6) != 0)
    return NS_DROP_ETH_NOT_OURS;
  type = get16(frame + 12);
  if (type == ETHERTYPE_ARP)
    return arp_input(frame + ETH_HLEN, len - ETH_HLEN);
  if (type == ETHERTYPE_IP)
    return ip_input(frame + ETH_HLEN, len - ETH_HLEN);
  return NS_DROP_ETH_TYPE;
}

// Fill in frame's Ethernet header (to dst_mac, from us, ethertype type), pad it to
// the minimum frame size and send it. 0, or -EAGAIN if the transmit ring was full.
long
eth_send(const uint8_t *dst_mac, uint32_t type, uint8_t *frame, size_t len)
{
  long r;

  memcpy(frame, dst_mac, 6);
  memcpy(frame + 6, netif.mac, 6);
  put16(frame + 12, type);
  if (len < ETH_MIN_FRAME) {
    memset(frame + len, 0, ETH_MIN_FRAME - len);
    len = ETH_MIN_FRAME;
  }
  r = sys_nic_send(frame, len);
  if (r < 0) {
    net_counters[NS_TX_RING_FULL]++;
    return r;
  }
  net_counters[NS_TX_FRAMES]++;
  return 0;
}

// Add len bytes at p to a running one's-complement sum (16-bit big-endian words; an
// odd last byte is padded with a zero).
uint32_t
csum_add(uint32_t sum, const uint8_t *p, size_t len)
{
  size_t i;

  for (i = 0; i + 1 < len; i += 2) {
    sum += ((uint32_t)p[i] << 8) | p[i + 1];
    if (sum & 0x80000000u)
      sum = (sum & 0xffff) + (sum >> 16);
  }
  if (i < len)
    sum += (uint32_t)p[i] << 8;
  return sum;
}

// The checksum field value for a running sum: folded to 16 bits and complemented.
uint16_t
csum_fold(uint32_t sum)
{
  while (sum >> 16)
    sum = (sum & 0xffff) + (sum >> 16);
  return (uint16_t)~sum;
}

// The running sum of the pseudo-header UDP and TCP checksums cover (RFC 768, 793):
// source and destination addresses, protocol, and the transport length.
uint32_t
csum_pseudo(uint32_t src, uint32_t dst, int proto, size_t len)
{
  return (src >> 16) + (src & 0xffff) + (dst >> 16) + (dst & 0xffff) + (uint32_t)proto + (uint32_t)len;
}
