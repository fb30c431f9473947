// nc: netcat on netd's TCP sockets: copy standard input to a connection and the
// connection to standard output, both at once.
//
//   $ nc -N ID [OPTIONS] HOST PORT    connect to HOST:PORT
//   $ nc -N ID [OPTIONS] -l PORT      wait for one connection on PORT
//
//   -g N   send N bytes of a fixed pattern (byte i is i mod 251) instead of stdin
//   -s     do not print what arrives; print "received = N" and "mismatch_at = I",
//          the first byte that differs from the pattern (-1: none)
//   -d T   a slow reader: wait T virtual instructions before each receive
//   -x     rude: send the input, wait (-d T), and close without reading anything;
//          data that has arrived unread makes netd reset the connection
//
// At the end of the input nc shuts down its sending side (the peer sees the end of
// the stream) and goes on receiving until the peer does the same. It never blocks
// in one direction while the other could move: sends and receives do not wait
// (NET_DONTWAIT), and when neither can move it waits in net_poll.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lamina/net.h>
#include <lamina/proc.h>
#include <lamina/report.h>
#include <lamina/syscall.h>

#define STDIN_POLL 200000  // virtual instructions between looks at the console

static char outbuf[NET_IO_MAX], inbuf[NET_IO_MAX];
static size_t outlen, outoff;
static long generate = -1;  // -g: pattern bytes still to send; -1: send stdin
static long generated;  // pattern bytes made so far
static int summarise, rude;
static long delay;
static long received, mismatch_at = -1;

// Refill outbuf from the pattern or the console. 1 if there is data, 0 at the end
// of the input, -1 if the console has nothing yet.
static int
refill(void)
{
  long n;

  outoff = 0;
  if (generate >= 0) {
    n = generate < NET_IO_MAX ? generate : NET_IO_MAX;
    for (long i = 0; i < n; i++)
      outbuf[i] = (char)((generated + i) % 251);
    generated += n;
    generate -= n;
  } else {
    n = sys_console_read(outbuf, sizeof(outbuf));
    if (n == -EAGAIN)
      return -1;
  }
  outlen = n > 0 ? (size_t)n : 0;
  return n > 0;
}

// Take in n bytes that arrived: print them, or check them against the pattern.
static void
arrived(const char *buf, long n)
{
  if (!summarise) {
    console_flush();
    write(1, buf, (size_t)n);
  }
  for (long i = 0; i < n && mismatch_at < 0; i++) {
    if ((unsigned char)buf[i] != (received + i) % 251)
      mismatch_at = received + i;
  }
  received += n;
}

// Wait until virtual time has moved on by t instructions.
static void
pause_for(long t)
{
  sys_timer(sys_clock() + t);
  proc_wait_notify(NOTIFY_TIMER);
}

// Copy both ways over connection s until both directions have ended. 0 or 1.
static int
copy(int s)
{
  int out_done = 0, in_done = 0, waiting_stdin = 0, status = 0;

  while (!out_done || !in_done) {
    int progress = 0;
    waiting_stdin = 0;
    if (!out_done && outlen == 0) {
      int r = refill();
      if (r == 0) {
        shutdown(s);
        out_done = 1;
      }
      waiting_stdin = r < 0;
    }
    if (!out_done && outlen > 0) {
      long n = send(s, outbuf + outoff, outlen, NET_DONTWAIT);
      if (n > 0) {
        outoff += (size_t)n;
        outlen -= (size_t)n;
        progress = 1;
      } else if (n != -EAGAIN) {
        printf("nc: send: %s (error %ld)\n", net_strerror(n), n);
        out_done = 1;
        status = 1;
      }
    }
    if (!in_done) {
      long n;
      if (delay > 0)
        pause_for(delay);
      n = recv(s, inbuf, sizeof(inbuf), NET_DONTWAIT);
      if (n > 0) {
        arrived(inbuf, n);
        progress = 1;
      } else if (n == 0) {
        in_done = 1;
      } else if (n != -EAGAIN) {
        printf("nc: recv: %s (error %ld)\n", net_strerror(n), n);
        in_done = out_done = 1;
        status = 1;
      }
    }
    if (!progress && (!in_done || !out_done)) {
      int events = (in_done ? 0 : NET_POLLIN) | (outlen > 0 ? NET_POLLOUT : 0);
      net_poll(s, events, waiting_stdin ? STDIN_POLL : 0);
    }
  }
  return status;
}

int
main(int argc, char *argv[])
{
  struct net_addr addr = {0, 0}, peer;
  int listening = 0, s, c, i = 1, status;
  char text[16];
  long r;

  argc = proc_args(argc, &argv);
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (strcmp(argv[i], "-l") == 0)
      listening = 1;
    else if (strcmp(argv[i], "-s") == 0)
      summarise = 1;
    else if (strcmp(argv[i], "-x") == 0)
      rude = 1;
    else if (strcmp(argv[i], "-g") == 0 && i + 1 < argc)
      generate = strtol(argv[++i], 0, 0);
    else if (strcmp(argv[i], "-d") == 0 && i + 1 < argc)
      delay = strtol(argv[++i], 0, 0);
    else
      break;
  }
  if (listening && i + 1 == argc)
    addr.port = (int)strtol(argv[i], 0, 0);
  else if (!listening && i + 2 == argc && inet_parse(argv[i], &addr.ip) == 0)
    addr.port = (int)strtol(argv[i + 1], 0, 0);
  if (addr.port <= 0 || addr.port > 65535) {
    printf("usage: nc -N NETD [-g N] [-s] [-d T] [-x] HOST PORT | nc -N NETD [OPTIONS] -l PORT\n");
    return 2;
  }
  s = socket(SOCK_STREAM);
  if (s < 0) {
    printf("nc: socket: %s (error %d)\n", net_strerror(s), s);
    return 1;
  }
  if (listening) {
    if ((r = bind(s, &addr)) < 0 || (r = listen(s, 1)) < 0 || (r = accept(s, &peer)) < 0) {
      printf("nc: cannot take a connection on port %d: %s (error %ld)\n", addr.port, net_strerror(r), r);
      return 1;
    }
    closesocket(s);
    c = (int)r;
    if (summarise)
      printf("nc: connection from %s:%d\n", inet_format(peer.ip, text), peer.port);
  } else {
    r = connect(s, &addr);
    if (r < 0) {
      report("connect", r);
      printf("nc: cannot connect to %s:%d: %s (error %ld)\n", inet_format(addr.ip, text), addr.port, net_strerror(r), r);
      return 1;
    }
    c = s;
  }
  if (rude) {
    while (refill() > 0)
      send(c, outbuf, outlen, 0);
    pause_for(delay);
    closesocket(c);
    return 0;
  }
  status = copy(c);
  closesocket(c);
  if (summarise) {
    report("received", received);
    report("mismatch_at", mismatch_at);
  }
  return status;
}
