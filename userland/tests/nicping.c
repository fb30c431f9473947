// nicping: raw Ethernet frames through the NIC and the switch, and the NIC calls' errors.
//
//   $ nicping echo N     send back (source and destination swapped) the next N frames
//   $ nicping ping N     send N frames of different sizes, wait for each echo, compare
//   $ nicping probe      the NIC calls with bad arguments, one frame sent to the peer
//                        and one received from it (run it on two machines)
//   $ nicping udp        which frames a domain bound to UDP port 7 may send
//   $ nicping flood N    send N frames as fast as the transmit ring takes them
//   $ nicping drain T    sleep until virtual time T, then count the frames queued
//
// Frames carry the IEEE "local experimental" ethertype 0x88b5 (the udp mode builds
// IPv4 UDP headers). Results are lines "name = value" (tests/test_nic.py).

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

#define ETHERTYPE_TEST 0x88b5
#define UNMAPPED ((void *)0x30000000UL)

static unsigned char out[NIC_FRAME_MAX + 64];
static unsigned char in[NIC_FRAME_MAX + 64];
static unsigned char mac[6];
static const unsigned char broadcast[6] = {0xff, 0xff, 0xff, 0xff, 0xff, 0xff};
static const int sizes[] = {60, NIC_FRAME_MAX, 100, NIC_FRAME_MIN, 777};

// Read the NIC's MAC address into mac. 0, or -errno.
static long
read_mac(void)
{
  long m = sys_nic_info();

  if (m < 0)
    return m;
  for (int i = 0; i < 6; i++)
    mac[i] = (unsigned char)(m >> (8 * (5 - i)));
  return 0;
}

// Wait for the next frame queued for this domain and copy it into in. Its length.
static long
recv_wait(void)
{
  long n;

  while ((n = sys_nic_recv(in, sizeof in)) == -EAGAIN)
    sys_ipc_recv(0);  // returns with NOTIFY_NIC when a frame has arrived
  return n;
}

static long ring_full;  // sends refused with -EAGAIN: the transmit ring was full

// Send frame[0..len), retrying while the transmit ring is full. len, or -errno.
static long
send_retry(const void *frame, unsigned long len)
{
  long r;

  while ((r = sys_nic_send(frame, len)) == -EAGAIN) {
    ring_full++;
    sys_yield();
  }
  return r;
}

// Fill out with a test frame of len bytes to dst: our MAC as source, the test
// ethertype, then a pattern that depends on seq.
static void
make_frame(const unsigned char *dst, int len, int seq)
{
  memcpy(out, dst, 6);
  memcpy(out + 6, mac, 6);
  out[12] = ETHERTYPE_TEST >> 8;
  out[13] = ETHERTYPE_TEST & 0xff;
  for (int i = 14; i < len; i++)
    out[i] = (unsigned char)(seq * 31 + i * 7);
}

// Echo n frames back to whoever sent them. 0, or 1 on an error.
static int
echo(int n)
{
  for (int i = 0; i < n; i++) {
    long len = recv_wait();
    if (len < 0) {
      report("echo_recv", len);
      return 1;
    }
    memcpy(in, in + 6, 6);  // the sender becomes the destination
    memcpy(in + 6, mac, 6);
    if (send_retry(in, len) != len) {
      report("echo_send", -1);
      return 1;
    }
  }
  printf("nicping: echoed %d frames\n", n);
  return 0;
}

// Send n frames of various sizes, each after the echo of the one before, and check
// that each echo is the frame sent with the addresses swapped. 0 if all were.
static int
ping(int n)
{
  unsigned char peer[6];
  int good = 0;

  memcpy(peer, broadcast, 6);  // until the first echo says where the peer is
  for (int seq = 0; seq < n; seq++) {
    int len = sizes[seq % (sizeof sizes / sizeof sizes[0])];
    long start = sys_clock();
    make_frame(peer, len, seq);
    if (send_retry(out, len) != len)
      break;
    long got = recv_wait();
    if (got == len && memcmp(in, mac, 6) == 0 && memcmp(in + 12, out + 12, len - 12) == 0)
      good++;
    memcpy(peer, in + 6, 6);
    printf("nicping: %d bytes from %02x:%02x:%02x:%02x:%02x:%02x seq %d in %ld\n", (int)got,
           peer[0], peer[1], peer[2], peer[3], peer[4], peer[5], seq, sys_clock() - start);
  }
  report("echoed_exact", good);
  return good != n;
}

// The NIC calls with bad arguments, then one good frame each way with the peer.
static int
probe(void)
{
  report("send_len_0", sys_nic_send(out, 0));
  report("send_len_13", sys_nic_send(out, NIC_FRAME_MIN - 1));
  report("send_len_1515", sys_nic_send(out, NIC_FRAME_MAX + 1));
  report("send_len_huge", sys_nic_send(out, -1UL));
  report("send_null", sys_nic_send(0, 60));
  report("send_unmapped", sys_nic_send(UNMAPPED, 60));
  report("send_straddle", sys_nic_send((char *)USER_STACK_TOP - 30, 60));  // into the guard page
  report("recv_empty", sys_nic_recv(in, sizeof in));
  make_frame(broadcast, 60, 1);
  report("send_ok", sys_nic_send(out, 60));
  while (sys_nic_recv(0, 0) == -EAGAIN)  // wait for the peer's frame, still queued
    sys_ipc_recv(0);
  report("recv_small", sys_nic_recv(in, 59));
  report("recv_null", sys_nic_recv(0, sizeof in));
  report("recv_readonly", sys_nic_recv((void *)sizes, sizeof in));
  report("recv_ok", sys_nic_recv(in, 60));  // a buffer of exactly the frame's size
  report("recv_again", sys_nic_recv(in, sizeof in));
  return 0;
}

// Put an IPv4 UDP header from port sport to port dport after out's Ethernet header.
static void
make_udp(int sport, int dport)
{
  make_frame(broadcast, 60, 0);
  out[12] = 0x08;  // ethertype IPv4
  out[13] = 0x00;
  memset(out + 14, 0, 20);
  out[14] = 0x45;  // version 4, header of 5 words
  out[23] = 17;    // UDP
  out[34] = (unsigned char)(sport >> 8);
  out[35] = (unsigned char)sport;
  out[36] = (unsigned char)(dport >> 8);
  out[37] = (unsigned char)dport;
}

// What a domain bound to UDP port 7 may send: UDP from port 7, nothing else.
static int
udp(void)
{
  make_frame(broadcast, 60, 0);
  report("udp_raw", sys_nic_send(out, 60));
  make_udp(7, 9);
  report("udp_from_7", sys_nic_send(out, 60));
  make_udp(8, 7);
  report("udp_from_8", sys_nic_send(out, 60));
  make_udp(7, 9);
  out[23] = 6;  // the same ports, but TCP
  report("tcp_from_7", sys_nic_send(out, 60));
  make_udp(7, 9);
  report("udp_short", sys_nic_send(out, 35));  // no room for the source port: (17, 0)
  return 0;
}

// Send n frames back to back.
static int
flood(int n)
{
  int sent = 0;

  make_frame(broadcast, 60, 0);  // once: each send then costs less than the frame's wire time
  for (int i = 0; i < n; i++) {
    if (send_retry(out, 60) == 60)
      sent++;
  }
  report("flooded", sent);
  report("ring_full", ring_full);
  return 0;
}

// Sleep until virtual time t, then receive every frame queued meanwhile.
static int
drain(long t)
{
  int n = 0;

  sys_timer(t);
  while (sys_clock() < t)
    sys_ipc_recv(0);  // NOTIFY_NIC for each frame, NOTIFY_TIMER at t
  while (sys_nic_recv(in, sizeof in) > 0)
    n++;
  report("drained", n);
  return 0;
}

int
main(int argc, char *argv[])
{
  long r = read_mac();
  long n = argc > 2 ? strtol(argv[2], 0, 0) : 1;

  if (r < 0) {
    report("nic_info", r);
    report("nic_send", sys_nic_send(out, 60));
    report("nic_recv", sys_nic_recv(in, sizeof in));
    return 1;
  }
  if (argc > 1 && strcmp(argv[1], "echo") == 0)
    return echo((int)n);
  if (argc > 1 && strcmp(argv[1], "ping") == 0)
    return ping((int)n);
  if (argc > 1 && strcmp(argv[1], "probe") == 0)
    return probe();
  if (argc > 1 && strcmp(argv[1], "udp") == 0)
    return udp();
  if (argc > 1 && strcmp(argv[1], "flood") == 0)
    return flood((int)n);
  if (argc > 1 && strcmp(argv[1], "drain") == 0)
    return drain(n);
  printf("usage: nicping echo N | ping N | probe | udp | flood N | drain T\n");
  return 2;
}
