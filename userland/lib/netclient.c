// netclient.c: the socket library, the client side of netd (see <lamina/net.h>).
//
// Every call is one ipc_call to netd with the request in the message words (see
// <lamina/netproto.h>). Data moves in this library's page, lent to netd for the
// length of the request: copied in before a send, out after a receive. A request
// that must wait simply stays in ipc_call until netd answers. send loops, a page
// at a time, until netd has taken all the data.

#include <string.h>
#include <lamina/ipc.h>
#include <lamina/net.h>
#include <lamina/proc.h>
#include <lamina/syscall.h>

// The page lent to netd during a request.
static char page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

static const char *const stat_names[NET_NSTATS] = {
  "rx_frames", "rx_handled", "tx_frames", "tx_ring_full",
  "drop_eth_short", "drop_eth_not_ours", "drop_eth_type",
  "drop_arp_malformed", "drop_arp_other",
  "drop_ip_short", "drop_ip_version", "drop_ip_checksum", "drop_ip_fragment",
  "drop_ip_not_ours", "drop_ip_protocol",
  "drop_icmp_malformed", "drop_icmp_type",
  "drop_udp_malformed", "drop_udp_no_socket", "drop_udp_queue_full",
  "drop_tcp_malformed", "drop_tcp_no_socket", "drop_tcp_unacceptable",
  "drop_tcp_out_of_order", "drop_tcp_backlog",
  "arp_cache_drops", "tcp_retransmits", "tcp_rst_sent", "tcp_window_probes",
  "tcp_out_of_order_kept",
};

// What the errors of the socket calls mean, in words.
static const struct {
  long err;
  const char *text;
} errtexts[] = {
  {-ENODEV, "no network server (run with -N NETD)"}, {-ESRCH, "the network server has ended"},
  {-EBADF, "not a socket of this program"}, {-EINVAL, "invalid argument"},
  {-EMFILE, "too many sockets"}, {-EAGAIN, "would wait"}, {-EPIPE, "connection closed for sending"},
  {-EMSGSIZE, "message too long"}, {-EPROTOTYPE, "no such socket type"},
  {-EOPNOTSUPP, "not supported by this socket type"}, {-EADDRINUSE, "port in use"},
  {-ENETUNREACH, "network unreachable (no router)"}, {-ECONNRESET, "connection reset by peer"},
  {-EISCONN, "already connected"}, {-ENOTCONN, "not connected"}, {-ETIMEDOUT, "timed out"},
  {-ECONNREFUSED, "connection refused"}, {-EHOSTUNREACH, "host unreachable"},
};

// Send request code with arguments a, b, c (and the page if with_page) to netd and
// wait for the answer; *extra gets the reply's second word if not NULL. Returns
// netd's result or -errno; -EBUSY (netd had no window for the page) is retried.
static long
call(unsigned long code, unsigned long a, unsigned long b, unsigned long c, int with_page,
     unsigned long *extra)
{
  const unsigned long w[4] = {code, a, b, c};
  long server = proc_netd();
  struct ipc_msg msg;
  long err;

  if (server <= 0)
    return -ENODEV;
  err = ipc_request(server, w, with_page ? page : NULL, -EBUSY, &msg);
  if (err < 0)
    return err;
  if (extra != NULL)
    *extra = msg.w[1];
  return (long)msg.w[0];
}

// Store an address word into *addr, if addr is not NULL.
static void
put_addr(struct net_addr *addr, unsigned long word)
{
  if (addr != NULL) {
    addr->ip = NET_ADDR_IP(word);
    addr->port = NET_ADDR_PORT(word);
  }
}

// See <lamina/net.h>.
int
socket(int type)
{
  return (int)call(NET_SOCKET, (unsigned long)type, 0, 0, 0, NULL);
}

// See <lamina/net.h>.
int
bind(int s, const struct net_addr *addr)
{
  return (int)call(NET_BIND, (unsigned long)s, NET_ADDR(addr->ip, addr->port), 0, 0, NULL);
}

// See <lamina/net.h>.
int
listen(int s, int backlog)
{
  return (int)call(NET_LISTEN, (unsigned long)s, (unsigned long)backlog, 0, 0, NULL);
}

// See <lamina/net.h>.
int
accept(int s, struct net_addr *peer)
{
  unsigned long from = 0;
  long r = call(NET_ACCEPT, (unsigned long)s, 0, 0, 0, &from);

  if (r >= 0)
    put_addr(peer, from);
  return (int)r;
}

// See <lamina/net.h>.
int
connect(int s, const struct net_addr *addr)
{
  return (int)call(NET_CONNECT, (unsigned long)s, NET_ADDR(addr->ip, addr->port), 0, 0, NULL);
}

// See <lamina/net.h>: a page at a time until netd has taken everything (with
// NET_DONTWAIT, only what it takes at once).
long
send(int s, const void *buf, size_t len, int flags)
{
  size_t done = 0;

  while (done < len || len == 0) {
    size_t chunk = len - done < NET_IO_MAX ? len - done : NET_IO_MAX;
    long n;
    memcpy(page, (const char *)buf + done, chunk);
    n = call(NET_SEND, (unsigned long)s, chunk, (unsigned long)flags, 1, NULL);
    if (n < 0)
      return done > 0 ? (long)done : n;
    if ((size_t)n > chunk)
      return -EIO;  // a server that says so is broken
    done += (size_t)n;
    if (len == 0 || ((flags & NET_DONTWAIT) && (size_t)n < chunk))
      break;
  }
  return (long)done;
}

// See <lamina/net.h>.
long
recv(int s, void *buf, size_t len, int flags)
{
  size_t chunk = len < NET_IO_MAX ? len : NET_IO_MAX;
  long n = call(NET_RECV, (unsigned long)s, chunk, (unsigned long)flags, 1, NULL);

  if (n > (long)chunk)
    return -EIO;
  if (n > 0)
    memcpy(buf, page, (size_t)n);
  return n;
}

// See <lamina/net.h>.
long
sendto(int s, const void *buf, size_t len, const struct net_addr *addr)
{
  if (len > NET_IO_MAX)
    return -EMSGSIZE;
  memcpy(page, buf, len);
  return call(NET_SENDTO, (unsigned long)s, len, NET_ADDR(addr->ip, addr->port), 1, NULL);
}

// See <lamina/net.h>.
long
recvfrom(int s, void *buf, size_t len, int flags, struct net_addr *from)
{
  size_t chunk = len < NET_IO_MAX ? len : NET_IO_MAX;
  unsigned long who = 0;
  long n = call(NET_RECVFROM, (unsigned long)s, chunk, (unsigned long)flags, 1, &who);

  if (n > (long)chunk)
    return -EIO;
  if (n > 0)
    memcpy(buf, page, (size_t)n);
  if (n >= 0)
    put_addr(from, who);
  return n;
}

// See <lamina/net.h>.
int
shutdown(int s)
{
  return (int)call(NET_SHUTDOWN, (unsigned long)s, 0, 0, 0, NULL);
}

// See <lamina/net.h>.
int
closesocket(int s)
{
  return (int)call(NET_CLOSE, (unsigned long)s, 0, 0, 0, NULL);
}

// See <lamina/net.h>.
int
net_poll(int s, int events, long timeout)
{
  return (int)call(NET_POLL, (unsigned long)s, (unsigned long)events, (unsigned long)timeout, 0, NULL);
}

// See <lamina/net.h>.
long
net_ping(uint32_t ip, int seq, int size, long timeout, int *ttl)
{
  unsigned long t = 0;
  long r;

  if (size < 0 || size > 1472)
    return -EMSGSIZE;
  r = call(NET_PING, ip, ((unsigned long)size << 16) | ((unsigned long)seq & 0xffff), (unsigned long)timeout, 0, &t);
  if (ttl != NULL)
    *ttl = (int)t;
  return r;
}

// See <lamina/net.h>.
long
net_stats(uint64_t *counters)
{
  long n = call(NET_STATS, 0, 0, 0, 1, NULL);

  if (n > NET_NSTATS)
    return -EIO;
  if (n > 0)
    memcpy(counters, page, (size_t)n * sizeof(uint64_t));
  return n;
}

// See <lamina/net.h>.
const char *
net_stat_name(int i)
{
  return i >= 0 && i < NET_NSTATS ? stat_names[i] : "?";
}

// See <lamina/net.h>.
long
net_info(uint64_t *mac)
{
  unsigned long m = 0;
  long r = call(NET_INFO, 0, 0, 0, 0, &m);

  if (mac != NULL)
    *mac = m;
  return r;
}

// See <lamina/net.h>.
const char *
net_strerror(long err)
{
  for (size_t i = 0; i < sizeof(errtexts) / sizeof(errtexts[0]); i++) {
    if (errtexts[i].err == err)
      return errtexts[i].text;
  }
  return "error";
}

// See <lamina/net.h>.
int
inet_parse(const char *text, uint32_t *ip)
{
  uint32_t v = 0;

  for (int part = 0; part < 4; part++) {
    uint32_t n = 0;
    int digits = 0;
    while (*text >= '0' && *text <= '9' && digits < 4) {
      n = n * 10 + (uint32_t)(*text++ - '0');
      digits++;
    }
    if (digits == 0 || n > 255 || *text != (part < 3 ? '.' : '\0'))
      return -EINVAL;
    if (part < 3)
      text++;
    v = (v << 8) | n;
  }
  *ip = v;
  return 0;
}

// See <lamina/net.h>.
char *
inet_format(uint32_t ip, char *buf)
{
  char *p = buf;

  for (int part = 3; part >= 0; part--) {
    unsigned n = (ip >> (8 * part)) & 255;
    if (n >= 100)
      *p++ = (char)('0' + n / 100);
    if (n >= 10)
      *p++ = (char)('0' + n / 10 % 10);
    *p++ = (char)('0' + n % 10);
    if (part > 0)
      *p++ = '.';
  }
  *p = '\0';
  return buf;
}

// See <lamina/net.h>.
long
net_halt(void)
{
  return call(NET_HALT, 0, 0, 0, 0, NULL);
}
