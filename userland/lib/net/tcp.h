/* tcp.h: what TCP's two halves (tcp_in.c, tcp_out.c) share besides <sock.h>. */
#ifndef NET_TCP_H
#define NET_TCP_H

#define TCP_HLEN 20
#define TCP_FIN 0x01
#define TCP_SYN 0x02
#define TCP_RST 0x04
#define TCP_PSH 0x08
#define TCP_ACK 0x10
#define TCP_OPT_END 0
#define TCP_OPT_NOP 1
#define TCP_OPT_MSS 2

#define TCP_MSS 1460  /* the most we take per segment: an Ethernet frame's worth */
#define TCP_DEFAULT_MSS 536  /* the peer's, until its SYN says (RFC 9293 3.7.1) */
#define TCP_RTO_INITIAL 400000  /* virtual instructions */
#define TCP_RTO_MAX 6400000
#define TCP_MAX_RETRIES 10
#define TCP_TIME_WAIT_TIME 400000  /* short: 2 MSL would be minutes */
#define TCP_FIN_WAIT_2_TIME 20000000  /* how long a closed socket waits for the peer's FIN */

/* tcp_output's how. */
#define TCP_OUT_ACK 1
#define TCP_OUT_PROBE 2

void tcp_init_tcb(struct sock *s, int state);
void tcp_finish(struct sock *s);
void tcp_shutdown(struct sock *s);

#endif /* NET_TCP_H */
