// netd: the network server. It holds the NIC's catch-all binding, so every frame
// no more specific filter takes comes to it, runs the protocol stack on them
// (userland/lib/net/: Ethernet, ARP, IPv4, ICMP, UDP, TCP), and serves sockets to
// other domains over IPC (<lamina/netproto.h>; clients use <lamina/net.h>).
//
//   netd [-q]       the interface is 10.0.0.N/24, N the last byte of the NIC's MAC;
//                   -q: print nothing (the console is the user's), and on a board
//                   without a NIC end quietly
//
// The server is one loop around ipc_recv, which brings three kinds of news: a
// client's request, NOTIFY_NIC (frames have arrived: take them all in), and
// NOTIFY_TIMER (a protocol deadline has passed). netd itself never waits for
// anything but that: a request that cannot complete yet keeps its caller waiting
// in ipc_call, and netd answers it with ipc_reply when it can, from the window
// its page was received in, which stays reserved until then.

#include <stdio.h>
#include <string.h>
#include <lamina/ipc.h>
#include <lamina/syscall.h>
#include "../lib/net/netstack.h"
#include "../lib/net/sock.h"

// Windows for clients' pages: one per request that may be waiting (one per socket
// and per ping slot), and one for the request being received. They sit above the
// stack, clear of the fault handler's and child.c's pages.
#define WINDOWS (NET_SOCKETS + 8 + 1)
#define WINDOW_BASE (USER_STACK_TOP + 16 * PAGE_SIZE)

static int window_used[WINDOWS];
static uint8_t frame[NIC_FRAME_MAX];

// The address of window i.
static uint8_t *
window(int i)
{
  return (uint8_t *)(WINDOW_BASE + (unsigned long)i * PAGE_SIZE);
}

// A window no waiting request holds, or -1.
static int
free_window(void)
{
  for (int i = 0; i < WINDOWS; i++) {
    if (!window_used[i])
      return i;
  }
  return -1;
}

// Answer client's request that waited, and free its window.
void
net_reply(long client, int win, long result, unsigned long w1)
{
  sys_ipc_reply(client, (unsigned long)result, w1, 0, 0, 0);
  if (win >= 0)
    window_used[win] = 0;
}

// Take in every frame queued for us, counting what became of each.
static void
receive_frames(void)
{
  long n;

  while ((n = sys_nic_recv(frame, sizeof(frame))) > 0) {
    long why;
    net_now = sys_clock();
    net_counters[NS_RX_FRAMES]++;
    why = eth_input(frame, (size_t)n);
    net_counters[why == 0 ? NS_RX_HANDLED : why]++;
  }
}

int
main(int argc, char *argv[])
{
  int quiet = argc > 1 && strcmp(argv[1], "-q") == 0;
  long mac = sys_nic_info();
  long armed = 0;
  struct ipc_msg msg;

  if (mac < 0) {
    if (!quiet)
      printf("netd: no network interface: nic_info returned %ld\n", mac);
    return 1;
  }
  net_init((uint64_t)mac);
  if (!quiet) {
    printf("netd: 10.0.0.%u/24 on %02x:%02x:%02x:%02x:%02x:%02x\n", netif.mac[5], netif.mac[0],
           netif.mac[1], netif.mac[2], netif.mac[3], netif.mac[4], netif.mac[5]);
    console_flush();
  }
  for (;;) {
    int win = free_window();
    long sender = ipc_recv(win >= 0 ? window(win) : NULL, &msg);
    long next;

    net_now = sys_clock();
    if (sender == 0 && (msg.w[0] & NOTIFY_NIC)) {
      receive_frames();
    } else if (sender > 0) {
      unsigned long reply[2];
      uint8_t *page = msg.page != 0 && win >= 0 ? window(win) : NULL;
      if (sock_request(sender, msg.w, page, win, reply))
        sys_ipc_reply(sender, reply[0], reply[1], 0, 0, 0);
      else if (win >= 0)
        window_used[win] = 1;
      if (net_halted)
        return 0;  // open connections end with the machine, as on a power-off
    }
    next = net_timers();
    if (next != armed) {
      sys_timer(next);
      armed = next;
    }
  }
}
