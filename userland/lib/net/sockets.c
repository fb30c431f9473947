// sockets.c: netd's socket table and the socket protocol's requests
// (<lamina/netproto.h>): checking each request, and doing at once what can be done
// at once. Requests that may have to wait (accept, connect, send, recv, recvfrom,
// poll) go through sock_try (sockwait.c), which parks them in the socket if they
// cannot complete yet.

#include <string.h>
#include <lamina/syscall.h>
#include "netstack.h"
#include "sock.h"
#include "tcp.h"

#define EPHEMERAL_FIRST 49152
#define BACKLOG_MAX 8

struct sock net_socks[NET_SOCKETS];
static int next_ephemeral = EPHEMERAL_FIRST;

// A free socket of type for owner, or NULL if the table is full.
struct sock *
sock_alloc(int type, long owner)
{
  for (int i = 0; i < NET_SOCKETS; i++) {
    struct sock *s = &net_socks[i];
    if (s->type == 0) {
      memset(s, 0, sizeof(*s));
      s->type = type;
      s->owner = owner;
      s->listener = SOCK_NONE;
      s->wait.win = -1;
      return s;
    }
  }
  return NULL;
}

// Free s; a request still waiting in it fails.
void
sock_free(struct sock *s)
{
  if (s->wait.client != 0)
    net_reply(s->wait.client, s->wait.win, s->error ? s->error : -ECONNRESET, 0);
  s->wait.client = 0;
  s->type = 0;
}

// The socket of type bound to port, or NULL (UDP's demultiplexing).
struct sock *
sock_find_port(int type, int port)
{
  for (int i = 0; i < NET_SOCKETS; i++) {
    struct sock *s = &net_socks[i];
    if (s->type == type && s->lport == port)
      return s;
  }
  return NULL;
}

// Whether port is taken for type by any socket, connections included.
static int
port_in_use(int type, int port)
{
  for (int i = 0; i < NET_SOCKETS; i++) {
    if (net_socks[i].type == type && net_socks[i].lport == port)
      return 1;
  }
  return 0;
}

// Bind s to a free port of the ephemeral range (RFC 6335). 0 or -EADDRINUSE.
static long
bind_ephemeral(struct sock *s)
{
  for (int tries = 0; tries < 65536 - EPHEMERAL_FIRST; tries++) {
    int port = next_ephemeral;
    next_ephemeral = next_ephemeral == 65535 ? EPHEMERAL_FIRST : next_ephemeral + 1;
    if (!port_in_use(s->type, port)) {
      s->lport = port;
      return 0;
    }
  }
  return -EADDRINUSE;
}

// Forget the sockets of clients that have ended (they cannot say so): their
// connections are reset, their ports freed.
void
sock_reap(void)
{
  struct domain_info info;

  for (int i = 0; i < NET_SOCKETS; i++) {
    struct sock *s = &net_socks[i];
    if (s->type == 0 || s->owner == 0)
      continue;
    if (sys_domain_info(s->owner, &info) == 0 && info.state != DOM_STATE_EXITED)
      continue;
    if (s->type == SOCK_STREAM && s->tcb.state == TCP_LISTEN) {
      tcp_close(s);  // its unaccepted connections go with it
    } else if (s->type == SOCK_STREAM) {
      s->owner = 0;
      tcp_abort(s, -ECONNRESET, 1);
    } else {
      sock_free(s);
    }
  }
}

// The socket client names with number n, or NULL if it is not the client's.
static struct sock *
sock_lookup(long client, unsigned long n)
{
  struct sock *s;

  if (n >= NET_SOCKETS)
    return NULL;
  s = &net_socks[n];
  if (s->type == 0 || s->owner != client || s->listener != SOCK_NONE)
    return NULL;
  return s;
}

// How many sockets client holds.
static int
sockets_of(long client)
{
  int n = 0;

  for (int i = 0; i < NET_SOCKETS; i++)
    n += net_socks[i].type != 0 && net_socks[i].owner == client;
  return n;
}

// NET_SOCKET: a new socket of type. Its number, or -errno: -EMFILE if the client holds
// NET_SOCKETS_PER_CLIENT already, -ENFILE if every socket is taken.
static long
do_socket(long client, unsigned long type)
{
  struct sock *s;

  if (type != SOCK_STREAM && type != SOCK_DGRAM)
    return -EPROTOTYPE;
  if (sockets_of(client) >= NET_SOCKETS_PER_CLIENT)
    return -EMFILE;
  s = sock_alloc((int)type, client);
  if (s == NULL) {
    sock_reap();
    s = sock_alloc((int)type, client);
  }
  return s == NULL ? -ENFILE : s - net_socks;
}

// NET_BIND: give s the local port of addr (its address must be ours or 0; port 0
// picks a free one). 0 or -errno.
static long
do_bind(struct sock *s, unsigned long addr)
{
  uint32_t ip = NET_ADDR_IP(addr);
  int port = NET_ADDR_PORT(addr);

  if (s->lport != 0 || (ip != 0 && ip != netif.ip))
    return -EINVAL;
  if (port == 0)
    return bind_ephemeral(s);
  if (port_in_use(s->type, port))
    return -EADDRINUSE;
  s->lport = port;
  return 0;
}

// NET_LISTEN: make the bound TCP socket s a listener. 0 or -errno.
static long
do_listen(struct sock *s, unsigned long backlog)
{
  if (s->type != SOCK_STREAM)
    return -EOPNOTSUPP;
  if (s->lport == 0 || (s->tcb.state != TCP_CLOSED && s->tcb.state != TCP_LISTEN) || s->rip != 0)
    return -EINVAL;
  s->backlog = backlog < 1 ? 1 : (backlog > BACKLOG_MAX ? BACKLOG_MAX : (int)backlog);
  tcp_listen(s);
  return 0;
}

// NET_CONNECT's first step: send the SYN (the request then waits). 0 or -errno.
static long
do_connect(struct sock *s, unsigned long addr)
{
  long r;

  if (s->type != SOCK_STREAM)
    return -EOPNOTSUPP;
  if (s->tcb.state != TCP_CLOSED || s->rip != 0)
    return s->tcb.state == TCP_LISTEN ? -EINVAL : -EISCONN;
  if (NET_ADDR_PORT(addr) == 0)
    return -EINVAL;
  if (s->lport == 0 && (r = bind_ephemeral(s)) < 0)
    return r;
  return tcp_connect(s, NET_ADDR_IP(addr), NET_ADDR_PORT(addr));
}

// NET_SENDTO: one datagram from s (bound to a free port first if need be). count or -errno.
static long
do_sendto(struct sock *s, const uint8_t *page, unsigned long count, unsigned long addr)
{
  long r;

  if (s->type != SOCK_DGRAM)
    return -EOPNOTSUPP;
  if (page == NULL)
    return -EBUSY;
  if (count > NET_IO_MAX)
    return -EINVAL;
  if (NET_ADDR_PORT(addr) == 0)
    return -EINVAL;
  if (s->lport == 0 && (r = bind_ephemeral(s)) < 0)
    return r;
  return udp_sendto(s, NET_ADDR_IP(addr), NET_ADDR_PORT(addr), page, count);
}

// NET_CLOSE: the client lets go of s.
static long
do_close(struct sock *s)
{
  if (s->type == SOCK_STREAM)
    tcp_close(s);
  else
    sock_free(s);
  return 0;
}

// A request that may wait: try it, and park it in s if it cannot complete now.
static int
try_or_wait(struct sock *s, long client, const unsigned long w[4], uint8_t *page, int win,
            unsigned long reply[2])
{
  int dontwait = (w[0] == NET_SEND || w[0] == NET_RECV || w[0] == NET_RECVFROM) && (w[3] & NET_DONTWAIT);

  if (w[0] != NET_ACCEPT && w[0] != NET_CONNECT && w[0] != NET_POLL && page == NULL) {
    reply[0] = (unsigned long)-EBUSY;  // netd had no window free for the page: ask again
    return 1;
  }
  if (sock_try(s, client, w, page, reply))
    return 1;
  if (dontwait || s->wait.client != 0) {
    reply[0] = (unsigned long)(dontwait ? -EAGAIN : -EBUSY);
    return 1;
  }
  s->wait.client = client;
  s->wait.win = win;
  s->wait.page = page;
  memcpy(s->wait.w, w, sizeof(s->wait.w));
  s->wait.deadline = w[0] == NET_POLL && w[3] != 0 ? net_now + (long)w[3] : 0;
  return 0;
}

int net_halted;  // a NET_HALT came: see sock.h

// Carry out the request w from client (its page, if any, at page in window win).
// 1 with the reply in reply[0..1], or 0 if it waits (see sock.h).
int
sock_request(long client, const unsigned long w[4], uint8_t *page, int win, unsigned long reply[2])
{
  struct sock *s;
  long r;

  reply[0] = reply[1] = 0;
  switch (w[0]) {
  case NET_SOCKET:
    reply[0] = (unsigned long)do_socket(client, w[1]);
    return 1;
  case NET_PING:
    return sock_ping(client, w, win, reply);
  case NET_STATS:
    if (page == NULL) {
      reply[0] = (unsigned long)-EBUSY;
      return 1;
    }
    memcpy(page, net_counters, sizeof(net_counters));
    reply[0] = NET_NSTATS;
    return 1;
  case NET_HALT:
    if (sys_cap_check(client, 0) != 1) {  // only who has authority over netd may stop it
      reply[0] = (unsigned long)-EPERM;
      return 1;
    }
    net_halted = 1;  // netd.c ends after this answer: the machine is going down
    return 1;
  case NET_INFO:
    reply[0] = netif.ip;
    for (int i = 0; i < 6; i++)
      reply[1] = (reply[1] << 8) | netif.mac[i];
    return 1;
  }
  s = sock_lookup(client, w[1]);
  if (s == NULL) {
    reply[0] = (unsigned long)(w[0] >= NET_BIND && w[0] <= NET_POLL ? -EBADF : -ENOSYS);
    return 1;
  }
  switch (w[0]) {
  case NET_BIND:
    r = do_bind(s, w[2]);
    break;
  case NET_LISTEN:
    r = do_listen(s, w[2]);
    break;
  case NET_CONNECT:
    r = do_connect(s, w[2]);
    if (r == 0)
      return try_or_wait(s, client, w, page, win, reply);
    break;
  case NET_SENDTO:
    r = do_sendto(s, page, w[2], w[3]);
    break;
  case NET_SHUTDOWN:
    s->shut_wr = 1;
    if (s->type == SOCK_STREAM)
      tcp_shutdown(s);
    r = 0;
    break;
  case NET_CLOSE:
    r = do_close(s);
    break;
  default:  // NET_ACCEPT, NET_SEND, NET_RECV, NET_RECVFROM, NET_POLL
    return try_or_wait(s, client, w, page, win, reply);
  }
  reply[0] = (unsigned long)r;
  return 1;
}
