// sockwait.c: the requests that may have to wait, and time. netd never blocks on a
// client's behalf: a request that cannot complete is parked in its socket (or, for
// ping, in a ping slot) with the caller's id, and answered with ipc_reply when the
// network or the clock lets it complete.

#include <string.h>
#include "netstack.h"
#include "sock.h"
#include "tcp.h"

#define PING_SLOTS 8
#define PING_TIMEOUT 2000000  // virtual instructions, when the client names none

// A client waiting for an echo reply.
struct pinger {
  long client;  // 0: free
  int win;
  uint32_t ip, id, seq;
  long deadline;
};

static struct pinger pingers[PING_SLOTS];

// The NET_POLL bits that are true of s now.
static unsigned long
poll_ready(struct sock *s)
{
  unsigned long ready = 0;
  int self = (int)(s - net_socks);
  int st = s->tcb.state;

  if (s->type == SOCK_DGRAM)
    return (s->rx.len > 0 ? NET_POLLIN : 0) | NET_POLLOUT;
  if (s->rx.len > 0 || s->tcb.fin_received || s->error || (st == TCP_CLOSED && s->rip != 0))
    ready |= NET_POLLIN;
  if (s->error || ((st == TCP_ESTABLISHED || st == TCP_CLOSE_WAIT) && !s->shut_wr && ring_room(&s->tx) > 0))
    ready |= NET_POLLOUT;
  for (int i = 0; st == TCP_LISTEN && i < NET_SOCKETS; i++) {
    if (net_socks[i].type == SOCK_STREAM && net_socks[i].listener == self &&
        net_socks[i].tcb.state >= TCP_ESTABLISHED)
      ready |= NET_POLLIN;
  }
  return ready;
}

// NET_ACCEPT: hand out a connection of listener s that has completed its handshake.
static int
try_accept(struct sock *s, unsigned long reply[2])
{
  if (s->tcb.state != TCP_LISTEN) {
    reply[0] = (unsigned long)-EINVAL;
    return 1;
  }
  for (int i = 0; i < NET_SOCKETS; i++) {
    struct sock *c = &net_socks[i];
    if (c->type == SOCK_STREAM && c->listener == (int)(s - net_socks) && c->tcb.state >= TCP_ESTABLISHED) {
      c->listener = SOCK_NONE;
      reply[0] = (unsigned long)i;
      reply[1] = NET_ADDR(c->rip, c->rport);
      return 1;
    }
  }
  return 0;
}

// NET_SEND on a TCP socket: as much of the data as the send ring takes.
static int
try_send(struct sock *s, const uint8_t *page, unsigned long count, unsigned long reply[2])
{
  int st = s->tcb.state;
  size_t n;

  if (s->error) {
    reply[0] = (unsigned long)s->error;
    return 1;
  }
  if (st == TCP_SYN_SENT || st == TCP_SYN_RCVD)
    return 0;
  if (s->shut_wr || (st != TCP_ESTABLISHED && st != TCP_CLOSE_WAIT)) {
    reply[0] = (unsigned long)(st == TCP_CLOSED && s->rip == 0 ? -ENOTCONN : -EPIPE);
    return 1;
  }
  if (count > NET_IO_MAX) {
    reply[0] = (unsigned long)-EINVAL;
    return 1;
  }
  if (ring_room(&s->tx) == 0 && count > 0)
    return 0;
  n = ring_put(&s->tx, page, count);
  tcp_output(s, 0);
  reply[0] = n;
  return 1;
}

// NET_RECV on a TCP socket: data if there is some, 0 at the end of the stream.
static int
try_recv(struct sock *s, uint8_t *page, unsigned long count, unsigned long reply[2])
{
  int st = s->tcb.state;

  if (count > NET_IO_MAX)
    count = NET_IO_MAX;
  if (s->rx.len > 0) {
    reply[0] = ring_get(&s->rx, page, count);
    tcp_received(s);
    return 1;
  }
  if (s->error || s->tcb.fin_received || (st == TCP_CLOSED && s->rip != 0)) {
    reply[0] = (unsigned long)(s->tcb.fin_received ? 0 : s->error);
    return 1;
  }
  if (st == TCP_CLOSED || st == TCP_LISTEN) {
    reply[0] = (unsigned long)-ENOTCONN;
    return 1;
  }
  return 0;
}

// Try the request w of client on s now. 1 with the reply in reply[0..1] if it
// completed (or failed), 0 if it must wait.
int
sock_try(struct sock *s, long client, const unsigned long w[4], uint8_t *page, unsigned long reply[2])
{
  unsigned long ready;

  reply[0] = reply[1] = 0;
  switch (w[0]) {
  case NET_ACCEPT:
    return try_accept(s, reply);
  case NET_CONNECT:
    if (s->tcb.state == TCP_SYN_SENT || s->tcb.state == TCP_SYN_RCVD)
      return 0;
    reply[0] = (unsigned long)(s->tcb.state == TCP_CLOSED ? (s->error ? s->error : -ECONNREFUSED) : 0);
    return 1;
  case NET_SEND:
    if (s->type == SOCK_DGRAM) {
      reply[0] = (unsigned long)-ENOTCONN;  // a datagram socket names its peer with sendto
      return 1;
    }
    return try_send(s, page, w[2], reply);
  case NET_RECV:
  case NET_RECVFROM:
    if (s->type == SOCK_STREAM)
      return try_recv(s, page, w[2], reply);
    if (s->rx.len == 0)
      return 0;
    reply[0] = udp_dequeue(s, page, w[2] > NET_IO_MAX ? NET_IO_MAX : w[2], &reply[1]);
    return 1;
  case NET_POLL:
    ready = poll_ready(s) & w[2];
    if (ready == 0 && !(s->wait.client == client && s->wait.deadline != 0 && s->wait.deadline <= net_now))
      return 0;
    reply[0] = ready;
    return 1;
  }
  reply[0] = (unsigned long)-ENOSYS;
  return 1;
}

// Something changed in s: answer the request waiting in it if it can complete now.
void
sock_wake(struct sock *s)
{
  struct sock_wait *wt = &s->wait;
  long client = wt->client;
  unsigned long reply[2];

  if (client == 0 || !sock_try(s, client, wt->w, wt->page, reply))
    return;
  wt->client = 0;
  net_reply(client, wt->win, (long)reply[0], reply[1]);
}

// NET_PING: send an echo request (w[1] the address, w[2] seq | size << 16, w[3] the
// timeout) and wait for its reply. 1 with reply filled if it failed at once, else 0.
int
sock_ping(long client, const unsigned long w[4], int win, unsigned long reply[2])
{
  struct pinger *p = NULL;
  long r;

  for (int i = 0; i < PING_SLOTS && p == NULL; i++) {
    if (pingers[i].client == 0)
      p = &pingers[i];
  }
  if (p == NULL) {
    reply[0] = (unsigned long)-EBUSY;
    return 1;
  }
  r = icmp_echo_request((uint32_t)w[1], (uint32_t)client & 0xffff, (uint32_t)w[2] & 0xffff, w[2] >> 16);
  if (r < 0 && r != -EAGAIN) {
    reply[0] = (unsigned long)r;
    return 1;
  }
  p->client = client;
  p->win = win;
  p->ip = (uint32_t)w[1];
  p->id = (uint32_t)client & 0xffff;
  p->seq = (uint32_t)w[2] & 0xffff;
  p->deadline = net_now + (w[3] != 0 ? (long)w[3] : PING_TIMEOUT);
  return 0;
}

// An echo reply from src arrived: answer the client waiting for it. 1 if one was.
int
sock_ping_reply(uint32_t src, uint32_t id, uint32_t seq, size_t size, int ttl)
{
  for (int i = 0; i < PING_SLOTS; i++) {
    struct pinger *p = &pingers[i];
    if (p->client != 0 && p->ip == src && p->id == id && p->seq == seq) {
      long client = p->client;
      p->client = 0;
      net_reply(client, p->win, (long)size, (unsigned long)ttl);
      return 1;
    }
  }
  return 0;
}

// Run every timer that is due (ARP, TCP, poll and ping timeouts). Returns the
// earliest deadline still ahead, 0 if there is none.
long
net_timers(void)
{
  long next = arp_timers();

  for (int i = 0; i < NET_SOCKETS; i++) {
    struct sock *s = &net_socks[i];
    if (s->type == SOCK_STREAM && s->tcb.deadline != 0 && s->tcb.deadline <= net_now)
      tcp_timer(s);
    if (s->type != 0 && s->wait.client != 0 && s->wait.deadline != 0 && s->wait.deadline <= net_now)
      sock_wake(s);
    if (s->type == SOCK_STREAM && s->tcb.deadline != 0 && (next == 0 || s->tcb.deadline < next))
      next = s->tcb.deadline;
    if (s->type != 0 && s->wait.client != 0 && s->wait.deadline != 0 && (next == 0 || s->wait.deadline < next))
      next = s->wait.deadline;
  }
  for (int i = 0; i < PING_SLOTS; i++) {
    struct pinger *p = &pingers[i];
    if (p->client != 0 && p->deadline <= net_now) {
      long client = p->client;
      p->client = 0;
      net_reply(client, p->win, -ETIMEDOUT, 0);
    } else if (p->client != 0 && (next == 0 || p->deadline < next)) {
      next = p->deadline;
    }
  }
  return next;
}
