// tcp_out.c: TCP's sending side (RFC 9293): opening and closing connections, the
// segments we send, and the retransmission timer.
//
// What is sent is decided in one place, tcp_output: a SYN while opening, then as
// much of the send ring as the peer's window allows, in segments of at most the
// peer's MSS, then our FIN once the client has shut down and all data has gone.
// Retransmission is go-back-N: when the timer fires, everything unacknowledged is
// sent again from snd_una, and the timeout doubles (no RTT estimation). The same
// timer probes a zero window with one byte, ends TIME_WAIT, and gives up on a
// closed socket whose peer never sends its FIN (FIN_WAIT_2).

#include "netstack.h"
#include "sock.h"
#include "tcp.h"

static uint32_t iss_counter;

// Whether sequence number a comes before b (mod 2^32).
int
seq_lt(uint32_t a, uint32_t b)
{
  return (int32_t)(a - b) < 0;
}

// Whether a comes before or is b.
int
seq_le(uint32_t a, uint32_t b)
{
  return (int32_t)(a - b) <= 0;
}

// The receive window to advertise: the room left in the receive ring.
static uint32_t
rcv_window(struct sock *s)
{
  size_t room = ring_room(&s->rx);

  return room > 65535 ? 65535 : (uint32_t)room;
}

// Build and send one segment of s: sequence number seq, flags, and n bytes of the
// send ring from offset off. SYN segments carry our MSS option.
static void
tcp_segment(struct sock *s, uint32_t seq, int flags, size_t off, size_t n)
{
  uint8_t *u = net_txframe + IP_PAYLOAD;
  size_t hlen = TCP_HLEN + ((flags & TCP_SYN) ? 4 : 0);
  uint32_t wnd = rcv_window(s);

  put16(u, (uint32_t)s->lport);
  put16(u + 2, (uint32_t)s->rport);
  put32(u + 4, seq);
  put32(u + 8, (flags & TCP_ACK) ? s->tcb.rcv_nxt : 0);
  u[12] = (uint8_t)((hlen / 4) << 4);
  u[13] = (uint8_t)flags;
  put16(u + 14, wnd);
  put32(u + 16, 0);  // checksum and urgent pointer
  if (flags & TCP_SYN) {
    u[20] = TCP_OPT_MSS;
    u[21] = 4;
    put16(u + 22, TCP_MSS);
  }
  if (n > 0)
    ring_peek(&s->tx, off, u + hlen, n);
  put16(u + 16, csum_fold(csum_add(csum_pseudo(netif.ip, s->rip, IP_PROTO_TCP, hlen + n), u, hlen + n)));
  if (flags & TCP_ACK)
    s->tcb.rcv_adv = s->tcb.rcv_nxt + wnd;
  ip_send(s->rip, IP_PROTO_TCP, hlen + n);
}

// Send a reset from our port sport to dport at dst: sequence number seq, and
// acknowledging ack if with_ack (RFC 9293 3.10.7.1).
void
tcp_send_rst(uint32_t dst, int sport, int dport, uint32_t seq, uint32_t ack, int with_ack)
{
  uint8_t *u = net_txframe + IP_PAYLOAD;

  put16(u, (uint32_t)sport);
  put16(u + 2, (uint32_t)dport);
  put32(u + 4, seq);
  put32(u + 8, with_ack ? ack : 0);
  u[12] = (TCP_HLEN / 4) << 4;
  u[13] = (uint8_t)(TCP_RST | (with_ack ? TCP_ACK : 0));
  put16(u + 14, 0);
  put32(u + 16, 0);
  put16(u + 16, csum_fold(csum_add(csum_pseudo(netif.ip, dst, IP_PROTO_TCP, TCP_HLEN), u, TCP_HLEN)));
  net_counters[NS_TCP_RST_SENT]++;
  ip_send(dst, IP_PROTO_TCP, TCP_HLEN);
}

// Start the timer at the current timeout unless it runs already.
static void
arm_timer(struct tcb *t)
{
  if (t->deadline == 0)
    t->deadline = net_now + t->rto;
}

// Send what s may send now (see the top of the file). how: TCP_OUT_ACK to send an
// ACK even with nothing else to send, TCP_OUT_PROBE to treat a zero window as one
// byte (a window probe).
void
tcp_output(struct sock *s, int how)
{
  struct tcb *t = &s->tcb;
  int sent = 0;

  if (t->state == TCP_CLOSED || t->state == TCP_LISTEN)
    return;
  if (t->state == TCP_SYN_SENT || t->state == TCP_SYN_RCVD) {
    if (t->snd_nxt == t->iss) {
      tcp_segment(s, t->iss, TCP_SYN | (t->state == TCP_SYN_RCVD ? TCP_ACK : 0), 0, 0);
      t->snd_nxt = t->iss + 1;
      if (seq_lt(t->snd_max, t->snd_nxt))
        t->snd_max = t->snd_nxt;
      arm_timer(t);
    }
    return;
  }
  if (t->state != TCP_TIME_WAIT) {
    uint32_t wnd = t->snd_wnd == 0 && (how & TCP_OUT_PROBE) ? 1 : t->snd_wnd;
    uint32_t data_end = t->snd_data + (uint32_t)s->tx.len;
    for (;;) {
      uint32_t limit = t->snd_una + wnd;
      size_t off = t->snd_nxt - t->snd_data;
      size_t avail = seq_lt(t->snd_nxt, data_end) ? data_end - t->snd_nxt : 0;
      size_t usable = seq_lt(t->snd_nxt, limit) ? limit - t->snd_nxt : 0;
      size_t n = avail < usable ? avail : usable;
      if (n > t->mss)
        n = t->mss;
      if (n == 0)
        break;
      tcp_segment(s, t->snd_nxt, TCP_ACK | (n == avail ? TCP_PSH : 0), off, n);
      t->snd_nxt += (uint32_t)n;
      sent = 1;
    }
    if (t->fin_queued && t->snd_nxt == data_end) {
      tcp_segment(s, t->snd_nxt, TCP_FIN | TCP_ACK, 0, 0);
      t->snd_nxt++;
      sent = 1;
    }
    if (seq_lt(t->snd_max, t->snd_nxt))
      t->snd_max = t->snd_nxt;
    // Data waiting behind a closed window: the timer will probe it.
    if (t->snd_una != t->snd_max || seq_lt(t->snd_nxt, data_end))
      arm_timer(t);
  }
  if (!sent && (how & TCP_OUT_ACK))
    tcp_segment(s, t->snd_nxt, TCP_ACK, 0, 0);
}

// Set up the sequence numbers of a connection we open or accept: the initial send
// sequence number comes from virtual time and a counter, so it differs between
// connections yet is the same on every run.
void
tcp_init_tcb(struct sock *s, int state)
{
  struct tcb *t = &s->tcb;

  iss_counter += 64000;
  t->state = state;
  t->iss = (uint32_t)(net_now >> 4) + iss_counter;
  t->snd_una = t->snd_nxt = t->snd_max = t->iss;
  t->snd_data = t->iss + 1;
  t->snd_wnd = 0;
  t->mss = TCP_DEFAULT_MSS;
  t->fin_queued = t->fin_received = 0;
  t->rto = TCP_RTO_INITIAL;
  t->deadline = 0;
  t->retries = 0;
}

// Open a connection from s to ip:port: send the SYN. 0 or -errno.
long
tcp_connect(struct sock *s, uint32_t ip, int port)
{
  if (!ip_is_local(ip))
    return -ENETUNREACH;
  s->rip = ip;
  s->rport = port;
  tcp_init_tcb(s, TCP_SYN_SENT);
  tcp_output(s, 0);
  return 0;
}

// Make s a listener.
void
tcp_listen(struct sock *s)
{
  s->tcb.state = TCP_LISTEN;
}

// The connection is over: free it if nobody holds it, else let its client see.
void
tcp_finish(struct sock *s)
{
  s->tcb.state = TCP_CLOSED;
  s->tcb.deadline = 0;
  if (s->owner == 0 || s->listener != SOCK_NONE)
    sock_free(s);
  else
    sock_wake(s);
}

// End the connection at once: a reset to the peer if send_rst and the connection
// was synchronized, and error for the client's next request.
void
tcp_abort(struct sock *s, long error, int send_rst)
{
  struct tcb *t = &s->tcb;

  if (send_rst && t->state >= TCP_SYN_RCVD && t->state != TCP_TIME_WAIT)
    tcp_send_rst(s->rip, s->lport, s->rport, t->snd_nxt, t->rcv_nxt, 1);
  s->error = error;
  tcp_finish(s);
}

// The client will send no more: queue our FIN behind the data (shutdown and close).
void
tcp_shutdown(struct sock *s)
{
  struct tcb *t = &s->tcb;

  if (t->state == TCP_SYN_RCVD || t->state == TCP_ESTABLISHED)
    t->state = TCP_FIN_WAIT_1;
  else if (t->state == TCP_CLOSE_WAIT)
    t->state = TCP_LAST_ACK;
  else
    return;
  t->fin_queued = 1;
  tcp_output(s, 0);
}

// The client closes s (RFC 9293 3.10.4). A listener takes its unaccepted
// connections with it (reset); unread data means the client is not interested in
// the rest, so the peer is reset (RFC 2525 2.17); otherwise our FIN goes after the
// data and the connection lives on without an owner until it has closed.
void
tcp_close(struct sock *s)
{
  struct tcb *t = &s->tcb;
  int self = (int)(s - net_socks);

  if (t->state == TCP_LISTEN) {
    for (int i = 0; i < NET_SOCKETS; i++) {
      if (net_socks[i].type == SOCK_STREAM && net_socks[i].listener == self)
        tcp_abort(&net_socks[i], -ECONNRESET, 1);
    }
  }
  s->owner = 0;
  if (t->state == TCP_CLOSED || t->state == TCP_LISTEN || t->state == TCP_SYN_SENT) {
    sock_free(s);
    return;
  }
  if (s->rx.len > 0 && t->state != TCP_TIME_WAIT) {
    tcp_abort(s, -ECONNRESET, 1);
    return;
  }
  if (t->state == TCP_FIN_WAIT_2 && t->deadline == 0)
    t->deadline = net_now + TCP_FIN_WAIT_2_TIME;
  tcp_shutdown(s);
}

// The client has read from the receive ring: tell the peer the window is open
// again once it has grown by a segment or half the ring (RFC 1122 4.2.3.3), so a
// slow reader does not make the sender send tiny segments.
void
tcp_received(struct sock *s)
{
  struct tcb *t = &s->tcb;
  uint32_t edge = t->rcv_nxt + rcv_window(s);
  uint32_t grow = t->mss < SOCK_BUF / 2 ? t->mss : SOCK_BUF / 2;

  if (t->state >= TCP_ESTABLISHED && t->state != TCP_TIME_WAIT && seq_le(t->rcv_adv + grow, edge))
    tcp_output(s, TCP_OUT_ACK);
}

// s's timer went off: end TIME_WAIT (or an ownerless FIN_WAIT_2), or send again from snd_una (retransmission or
// window probe), backing off, and give up after TCP_MAX_RETRIES in a row.
void
tcp_timer(struct sock *s)
{
  struct tcb *t = &s->tcb;

  t->deadline = 0;
  if (t->state == TCP_TIME_WAIT || t->state == TCP_FIN_WAIT_2) {
    tcp_finish(s);
    return;
  }
  if (++t->retries > TCP_MAX_RETRIES) {
    tcp_abort(s, -ETIMEDOUT, 0);
    return;
  }
  t->rto = t->rto * 2 > TCP_RTO_MAX ? TCP_RTO_MAX : t->rto * 2;
  if (t->snd_wnd == 0)
    net_counters[NS_TCP_WINDOW_PROBES]++;
  else if (t->snd_una != t->snd_max)
    net_counters[NS_TCP_RETRANSMITS]++;
  t->snd_nxt = t->snd_una;
  tcp_output(s, TCP_OUT_PROBE);
}
