/* sock.h: netd's sockets: the table the protocols and the request handlers share
 * (userland/lib/net/sockets.c, sockwait.c, udp.c, tcp_*.c).
 *
 * A socket belongs to the client domain that made it (owner). A TCP connection
 * that a client has closed lives on as an orphan (owner 0) until its FIN exchange
 * is over. A connection a listener accepted from the network belongs to the
 * listener's owner but is marked with the listener until NET_ACCEPT hands it out.
 *
 * At most one request per socket waits at a time (a client is one thread): its
 * caller, the window holding its page, and what it asked for are kept in the
 * socket, and sock_wake tries it again whenever the socket's state changes.
 */
#ifndef NET_SOCK_H
#define NET_SOCK_H

#include <stddef.h>
#include <stdint.h>
#include <lamina/netproto.h>

#define NET_SOCKETS NET_SOCKETS_MAX
#define SOCK_BUF 8192  /* bytes each direction of a socket buffers */
#define SOCK_NONE (-1)

/* TCP's states (RFC 9293 3.3.2). */
enum tcp_state {
  TCP_CLOSED,
  TCP_LISTEN,
  TCP_SYN_SENT,
  TCP_SYN_RCVD,
  TCP_ESTABLISHED,
  TCP_FIN_WAIT_1,
  TCP_FIN_WAIT_2,
  TCP_CLOSE_WAIT,
  TCP_CLOSING,
  TCP_LAST_ACK,
  TCP_TIME_WAIT
};

/* A byte queue: len bytes starting at data[head], wrapping around. A receive ring
 * may also hold bytes *ahead* of its data, in its free space, that arrived before the
 * bytes between (TCP's out-of-order segments): `ahead` marks them, a bit per byte of
 * data[], and they join the data once the gap before them is filled. */
struct ring {
  uint8_t data[SOCK_BUF];
  size_t head;
  size_t len;
  uint8_t ahead[SOCK_BUF / 8];
};

/* The transmission control block (RFC 9293 3.3.1). Sequence numbers are mod 2^32.
 * The send ring holds the bytes from snd_data on: sent but unacknowledged, then not
 * yet sent. SYN and FIN take a sequence number each, outside the ring. */
struct tcb {
  int state;
  uint32_t iss, irs;
  uint32_t snd_una, snd_nxt, snd_max;  /* snd_max: the highest sequence sent */
  uint32_t snd_data;  /* the sequence number of the send ring's first byte */
  uint32_t snd_wnd, snd_wl1, snd_wl2;
  uint32_t rcv_nxt;
  uint32_t rcv_adv;  /* the right edge of the window we last advertised */
  uint32_t mss;  /* the most data a segment to the peer carries */
  int fin_queued;  /* the client will send no more: FIN after the ring's data */
  int fin_received;  /* the peer's FIN arrived: recv returns 0 after the data */
  long rto;  /* the retransmission timeout now, in virtual instructions */
  long deadline;  /* retransmission, zero-window probe or TIME_WAIT; 0: none */
  int retries;  /* timeouts in a row without progress */
};

/* A client's request that waits in a socket. */
struct sock_wait {
  long client;  /* 0: none */
  int win;  /* netd's window holding the client's page, or -1 */
  uint8_t *page;
  unsigned long w[4];  /* the request's words */
  long deadline;  /* NET_POLL's timeout; 0: none */
};

struct sock {
  int type;  /* 0: free, SOCK_STREAM or SOCK_DGRAM */
  long owner;  /* the client's domain id; 0: an orphaned connection */
  int lport;  /* 0: not bound */
  uint32_t rip;  /* the peer (TCP), 0 if none */
  int rport;
  int listener;  /* a connection not yet accepted: its listener's index; else SOCK_NONE */
  int backlog;  /* a listener: the most connections waiting for accept */
  long error;  /* -errno to report to the next request (connection refused, reset) */
  int shut_wr;  /* the client shut down sending */
  struct sock_wait wait;
  struct ring rx, tx;  /* UDP: rx holds datagrams as records, tx is unused */
  struct tcb tcb;
};

extern struct sock net_socks[NET_SOCKETS];

/* sockets.c: the requests. Returns 1 with reply[0..1] filled if the request is
 * answered now, 0 if it waits (netd must keep the window). */
int sock_request(long client, const unsigned long w[4], uint8_t *page, int win, unsigned long reply[2]);

// Set by NET_HALT: netd ends once it has answered (init asks, as the machine shuts down).
extern int net_halted;
struct sock *sock_alloc(int type, long owner);
void sock_free(struct sock *s);
struct sock *sock_find_port(int type, int port);
void sock_reap(void);

/* sockwait.c: waiting requests, ping, timers. */
int sock_try(struct sock *s, long client, const unsigned long w[4], uint8_t *page, unsigned long reply[2]);
void sock_wake(struct sock *s);
int sock_ping(long client, const unsigned long w[4], int win, unsigned long reply[2]);
int sock_ping_reply(uint32_t src, uint32_t id, uint32_t seq, size_t size, int ttl);
long net_timers(void);

/* netd.c: answer a request that waited, and free its window. */
void net_reply(long client, int win, long result, unsigned long w1);

/* ring.c */
size_t ring_put(struct ring *r, const uint8_t *src, size_t n);
size_t ring_get(struct ring *r, uint8_t *dst, size_t n);
void ring_peek(const struct ring *r, size_t off, uint8_t *dst, size_t n);
void ring_drop(struct ring *r, size_t n);
size_t ring_room(const struct ring *r);
size_t ring_put_ahead(struct ring *r, size_t off, const uint8_t *src, size_t n);
size_t ring_join_ahead(struct ring *r);

/* udp.c */
long udp_sendto(struct sock *s, uint32_t ip, int port, const uint8_t *data, size_t len);
size_t udp_dequeue(struct sock *s, uint8_t *dst, size_t max, unsigned long *from);

/* tcp_out.c */
long tcp_connect(struct sock *s, uint32_t ip, int port);
void tcp_listen(struct sock *s);
void tcp_output(struct sock *s, int force_ack);
void tcp_close(struct sock *s);
void tcp_abort(struct sock *s, long error, int send_rst);
void tcp_received(struct sock *s);
void tcp_timer(struct sock *s);
int seq_lt(uint32_t a, uint32_t b);
int seq_le(uint32_t a, uint32_t b);

/* tcp_in.c */
struct sock *tcp_lookup(uint32_t rip, int lport, int rport);

#endif /* NET_SOCK_H */
