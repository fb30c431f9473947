// tcp_in.c: TCP's receiving side: a segment's checks, then what RFC 9293 3.10.7
// ("SEGMENT ARRIVES") says each state does with it.
//
// Data is taken in order only: a segment that starts beyond rcv_nxt (after a gap)
// is dropped and answered with an ACK for what we have, and the sender's timeout
// fills the gap. The part of a segment we already have is trimmed off, and what
// does not fit the window is cut.

#include "netstack.h"
#include "sock.h"
#include "tcp.h"

// A segment's fields, read once.
struct segment {
  uint32_t src;
  int sport, dport;
  uint32_t seq, ack, wnd;
  int flags;
  uint32_t mss;  // from a SYN's option, 0 if none
  const uint8_t *data;
  size_t len;  // data bytes
};

// The connection for (rip, lport, rport), else a listener on lport, else NULL.
struct sock *
tcp_lookup(uint32_t rip, int lport, int rport)
{
  struct sock *listener = NULL;

  for (int i = 0; i < NET_SOCKETS; i++) {
    struct sock *s = &net_socks[i];
    if (s->type != SOCK_STREAM || s->lport != lport)
      continue;
    if (s->tcb.state == TCP_LISTEN)
      listener = s;
    else if (s->tcb.state != TCP_CLOSED && s->rip == rip && s->rport == rport)
      return s;
  }
  return listener;
}

// The MSS option among the options at p (olen bytes), 0 if absent or malformed.
static uint32_t
parse_mss(const uint8_t *p, size_t olen)
{
  size_t i = 0;

  while (i < olen && p[i] != TCP_OPT_END) {
    if (p[i] == TCP_OPT_NOP) {
      i++;
      continue;
    }
    if (i + 1 >= olen || p[i + 1] < 2 || i + p[i + 1] > olen)
      return 0;
    if (p[i] == TCP_OPT_MSS && p[i + 1] == 4)
      return get16(p + i + 2);
    i += p[i + 1];
  }
  return 0;
}

// Answer a segment nobody wants with a reset (RFC 9293 3.10.7.1), never a reset
// for a reset.
static void
reset_for(const struct segment *g)
{
  uint32_t seglen = (uint32_t)g->len + ((g->flags & TCP_SYN) ? 1 : 0) + ((g->flags & TCP_FIN) ? 1 : 0);

  if (g->flags & TCP_RST)
    return;
  if (g->flags & TCP_ACK)
    tcp_send_rst(g->src, g->dport, g->sport, g->ack, 0, 0);
  else
    tcp_send_rst(g->src, g->dport, g->sport, 0, g->seq + seglen, 1);
}

// The peer's MSS for us: its option, never more than we can send in a frame.
static uint32_t
peer_mss(const struct segment *g)
{
  if (g->mss == 0)
    return TCP_DEFAULT_MSS;
  return g->mss > TCP_MSS ? TCP_MSS : (g->mss < 64 ? 64 : g->mss);
}

// A SYN for listener l: a new connection in SYN_RCVD, answered with SYN-ACK.
static long
listen_input(struct sock *l, const struct segment *g)
{
  int waiting = 0;
  struct sock *s;

  if (g->flags & TCP_RST)
    return NS_DROP_TCP_UNACCEPTABLE;
  if (g->flags & TCP_ACK) {
    reset_for(g);
    return NS_DROP_TCP_UNACCEPTABLE;
  }
  if (!(g->flags & TCP_SYN))
    return NS_DROP_TCP_UNACCEPTABLE;
  for (int i = 0; i < NET_SOCKETS; i++)
    waiting += net_socks[i].type == SOCK_STREAM && net_socks[i].listener == (int)(l - net_socks);
  if (waiting >= l->backlog || (s = sock_alloc(SOCK_STREAM, l->owner)) == NULL)
    return NS_DROP_TCP_BACKLOG;
  s->listener = (int)(l - net_socks);
  s->lport = l->lport;
  s->rip = g->src;
  s->rport = g->sport;
  tcp_init_tcb(s, TCP_SYN_RCVD);
  s->tcb.irs = g->seq;
  s->tcb.rcv_nxt = g->seq + 1;
  s->tcb.snd_wnd = g->wnd;
  s->tcb.snd_wl1 = g->seq;
  s->tcb.snd_wl2 = s->tcb.iss;
  s->tcb.mss = peer_mss(g);
  tcp_output(s, 0);
  return 0;
}

// A segment for a connection in SYN_SENT: the SYN-ACK we wait for, or a refusal.
static long
syn_sent_input(struct sock *s, const struct segment *g)
{
  struct tcb *t = &s->tcb;
  int ack_ok = (g->flags & TCP_ACK) && seq_lt(t->iss, g->ack) && seq_le(g->ack, t->snd_max);

  if ((g->flags & TCP_ACK) && !ack_ok) {
    reset_for(g);
    return NS_DROP_TCP_UNACCEPTABLE;
  }
  if (g->flags & TCP_RST) {
    if (!ack_ok)
      return NS_DROP_TCP_UNACCEPTABLE;
    tcp_abort(s, -ECONNREFUSED, 0);
    return 0;
  }
  if (!(g->flags & TCP_SYN))
    return NS_DROP_TCP_UNACCEPTABLE;
  t->irs = g->seq;
  t->rcv_nxt = g->seq + 1;
  t->mss = peer_mss(g);
  t->snd_wnd = g->wnd;
  t->snd_wl1 = g->seq;
  t->snd_wl2 = g->ack;
  if (!ack_ok) {  // a simultaneous open
    t->state = TCP_SYN_RCVD;
    t->snd_nxt = t->iss;
    tcp_output(s, 0);
    return 0;
  }
  t->snd_una = g->ack;
  t->state = TCP_ESTABLISHED;
  t->deadline = 0;
  t->retries = 0;
  tcp_output(s, TCP_OUT_ACK);
  sock_wake(s);
  return 0;
}

// RFC 9293's acceptability test: does the segment overlap the receive window?
static int
acceptable(struct sock *s, const struct segment *g)
{
  uint32_t wnd = (uint32_t)ring_room(&s->rx);
  uint32_t seglen = (uint32_t)g->len + ((g->flags & TCP_SYN) ? 1 : 0) + ((g->flags & TCP_FIN) ? 1 : 0);
  uint32_t nxt = s->tcb.rcv_nxt;

  if (s->tcb.state == TCP_TIME_WAIT || s->owner == 0)
    wnd = wnd > 0 ? wnd : 1;  // nobody reads any more: data is taken and discarded
  if (seglen == 0)
    return wnd == 0 ? g->seq == nxt : seq_le(nxt, g->seq) && seq_lt(g->seq, nxt + wnd);
  if (wnd == 0)
    return 0;
  return (seq_le(nxt, g->seq) && seq_lt(g->seq, nxt + wnd)) ||
         (seq_le(nxt, g->seq + seglen - 1) && seq_lt(g->seq + seglen - 1, nxt + wnd));
}

// The ACK field of a segment on a synchronized connection: what it acknowledges
// leaves the send ring, and the window moves (RFC 9293 3.10.7.4, fifth check).
// 0, or a drop reason for an ACK of something never sent.
static long
ack_input(struct sock *s, const struct segment *g)
{
  struct tcb *t = &s->tcb;
  uint32_t data_end = t->snd_data + (uint32_t)s->tx.len;

  if (seq_lt(t->snd_max, g->ack)) {
    tcp_output(s, TCP_OUT_ACK);
    return NS_DROP_TCP_UNACCEPTABLE;
  }
  if (seq_lt(g->ack, t->snd_una))
    return 0;  // a duplicate: old news
  if (seq_lt(t->snd_una, g->ack)) {
    uint32_t upto = seq_lt(data_end, g->ack) ? data_end : g->ack;
    if (seq_lt(t->snd_data, upto)) {
      ring_drop(&s->tx, upto - t->snd_data);
      t->snd_data = upto;
    }
    t->snd_una = g->ack;
    if (seq_lt(t->snd_nxt, t->snd_una))
      t->snd_nxt = t->snd_una;
    t->rto = TCP_RTO_INITIAL;
    t->deadline = 0;  // tcp_output starts it again if anything is still out
    sock_wake(s);
  }
  t->retries = 0;  // the peer is alive
  if (seq_lt(t->snd_wl1, g->seq) || (t->snd_wl1 == g->seq && seq_le(t->snd_wl2, g->ack))) {
    // A window that opens again: a probe byte it did not take is sent again at once.
    if (t->snd_wnd == 0 && g->wnd > 0)
      t->snd_nxt = t->snd_una;
    t->snd_wnd = g->wnd;
    t->snd_wl1 = g->seq;
    t->snd_wl2 = g->ack;
  }
  return 0;
}

// Whether our FIN has been acknowledged.
static int
fin_acked(struct sock *s)
{
  return s->tcb.fin_queued && s->tcb.snd_una == s->tcb.snd_data + (uint32_t)s->tx.len + 1;
}

// The state changes an ACK brings once the connection is synchronized.
static void
ack_transitions(struct sock *s)
{
  struct tcb *t = &s->tcb;

  if (t->state == TCP_FIN_WAIT_1 && fin_acked(s)) {
    t->state = TCP_FIN_WAIT_2;
    if (s->owner == 0)  // nobody will read the rest: do not wait forever for it
      t->deadline = net_now + TCP_FIN_WAIT_2_TIME;
  } else if (t->state == TCP_CLOSING && fin_acked(s)) {
    t->state = TCP_TIME_WAIT;
    t->deadline = net_now + TCP_TIME_WAIT_TIME;
  } else if (t->state == TCP_LAST_ACK && fin_acked(s))
    tcp_finish(s);
}

// A segment that starts after a gap: its data is kept in the receive ring's free space
// (the window), to join the stream once the gap is filled; its FIN, if any, is left
// for the peer to send again. A duplicate ACK tells the peer where the gap starts.
// 0, or a drop reason if nothing of it could be kept.
static long
out_of_order_input(struct sock *s, uint32_t seq, const uint8_t *data, uint32_t len)
{
  struct tcb *t = &s->tcb;
  int open = t->state == TCP_ESTABLISHED || t->state == TCP_FIN_WAIT_1 || t->state == TCP_FIN_WAIT_2;
  size_t kept = 0;

  if (len > 0 && open && (s->owner != 0 || s->listener != SOCK_NONE))
    kept = ring_put_ahead(&s->rx, seq - t->rcv_nxt, data, len);
  tcp_output(s, TCP_OUT_ACK);
  if (kept == 0)
    return NS_DROP_TCP_OUT_OF_ORDER;
  net_counters[NS_TCP_OUT_OF_ORDER_KEPT]++;
  return 0;
}

// Take in the segment's data and FIN, in order (sixth to eighth checks).
static long
data_input(struct sock *s, const struct segment *g)
{
  struct tcb *t = &s->tcb;
  const uint8_t *data = g->data;
  uint32_t seq = g->seq, len = (uint32_t)g->len;
  int fin = (g->flags & TCP_FIN) != 0;

  if (seq_lt(seq, t->rcv_nxt)) {  // trim what we have already
    uint32_t skip = t->rcv_nxt - seq;
    if (skip > len) {  // a FIN we have had, sent again: acknowledged below
      fin = 0;
      skip = len;
    }
    data += skip;
    len -= skip;
    seq += skip;
  }
  if (seq != t->rcv_nxt)
    return out_of_order_input(s, seq, data, len);
  if (len > 0 && (t->state == TCP_ESTABLISHED || t->state == TCP_FIN_WAIT_1 || t->state == TCP_FIN_WAIT_2)) {
    size_t took = s->owner != 0 || s->listener != SOCK_NONE ? ring_put(&s->rx, data, len) : len;
    fin = fin && took == len;
    if (took == len)
      took += ring_join_ahead(&s->rx);  // the gap this filled may have had bytes after it
    t->rcv_nxt += (uint32_t)took;
    sock_wake(s);
  } else if (len > 0) {
    fin = 0;  // data after the peer's FIN: not ours to take
  }
  if (fin && !t->fin_received) {
    t->fin_received = 1;
    t->rcv_nxt++;
    if (t->state == TCP_ESTABLISHED || t->state == TCP_SYN_RCVD)
      t->state = TCP_CLOSE_WAIT;
    else if (t->state == TCP_FIN_WAIT_1)
      t->state = TCP_CLOSING;
    else if (t->state == TCP_FIN_WAIT_2) {
      t->state = TCP_TIME_WAIT;
      t->deadline = net_now + TCP_TIME_WAIT_TIME;
    }
    sock_wake(s);
  }
  tcp_output(s, (len > 0 || (g->flags & TCP_FIN)) ? TCP_OUT_ACK : 0);
  return 0;
}

// A segment for a synchronized connection (SYN_RCVD and later).
static long
synced_input(struct sock *s, const struct segment *g)
{
  struct tcb *t = &s->tcb;
  long r;

  if (!acceptable(s, g)) {
    if (g->flags & TCP_RST)
      return NS_DROP_TCP_UNACCEPTABLE;
    // With our window closed nothing is acceptable, yet the peer's ACKs and window
    // updates must still get through (RFC 9293 3.10.7.4), or both sides would wait.
    if ((g->flags & (TCP_ACK | TCP_SYN)) == TCP_ACK && t->state != TCP_SYN_RCVD && ack_input(s, g) == 0)
      ack_transitions(s);
    if (s->type != 0 && t->state != TCP_CLOSED)
      tcp_output(s, TCP_OUT_ACK);
    return NS_DROP_TCP_UNACCEPTABLE;
  }
  if (g->flags & TCP_RST) {
    if (g->seq != t->rcv_nxt) {  // in the window but not exact: a challenge ACK (RFC 5961)
      tcp_output(s, TCP_OUT_ACK);
      return NS_DROP_TCP_UNACCEPTABLE;
    }
    tcp_abort(s, t->state == TCP_SYN_RCVD ? -ECONNREFUSED : -ECONNRESET, 0);
    return 0;
  }
  if ((g->flags & TCP_SYN) || !(g->flags & TCP_ACK)) {
    if (g->flags & TCP_SYN)
      tcp_output(s, TCP_OUT_ACK);  // a challenge ACK again
    return NS_DROP_TCP_UNACCEPTABLE;
  }
  if (t->state == TCP_SYN_RCVD) {
    if (!seq_lt(t->snd_una, g->ack) || seq_lt(t->snd_max, g->ack)) {
      reset_for(g);
      return NS_DROP_TCP_UNACCEPTABLE;
    }
    t->state = TCP_ESTABLISHED;
    t->snd_wnd = g->wnd;
    t->snd_wl1 = g->seq;
    t->snd_wl2 = g->ack;
    if (s->listener != SOCK_NONE)
      sock_wake(&net_socks[s->listener]);
  }
  r = ack_input(s, g);
  if (r != 0)
    return r;
  ack_transitions(s);
  if (t->state == TCP_CLOSED || s->type == 0)
    return 0;  // LAST_ACK is over: the socket may be gone
  return data_input(s, g);
}

// Take in a TCP segment from src to dst (p: after the IP header). 0 or a drop reason.
long
tcp_input(uint32_t src, uint32_t dst, const uint8_t *p, size_t len)
{
  struct segment g;
  struct sock *s;
  size_t hlen;

  if (len < TCP_HLEN)
    return NS_DROP_TCP_MALFORMED;
  hlen = (size_t)(p[12] >> 4) * 4;
  if (hlen < TCP_HLEN || hlen > len)
    return NS_DROP_TCP_MALFORMED;
  if (csum_fold(csum_add(csum_pseudo(src, dst, IP_PROTO_TCP, len), p, len)) != 0)
    return NS_DROP_TCP_MALFORMED;
  g.src = src;
  g.sport = (int)get16(p);
  g.dport = (int)get16(p + 2);
  g.seq = get32(p + 4);
  g.ack = get32(p + 8);
  g.flags = p[13] & 0x3f;
  g.wnd = get16(p + 14);
  g.mss = (g.flags & TCP_SYN) ? parse_mss(p + TCP_HLEN, hlen - TCP_HLEN) : 0;
  g.data = p + hlen;
  g.len = len - hlen;
  if (g.sport == 0 || g.dport == 0)
    return NS_DROP_TCP_MALFORMED;
  s = tcp_lookup(src, g.dport, g.sport);
  if (s == NULL) {
    reset_for(&g);
    return NS_DROP_TCP_NO_SOCKET;
  }
  if (s->tcb.state == TCP_LISTEN)
    return listen_input(s, &g);
  if (s->tcb.state == TCP_SYN_SENT)
    return syn_sent_input(s, &g);
  return synced_input(s, &g);
}
