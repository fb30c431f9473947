// ring.c: the byte queues of netd's sockets: bytes appended at the tail, taken or
// read at any offset from the head, wrapping around a fixed array.

#include <string.h>
#include "sock.h"

// Free space in r, in bytes.
size_t
ring_room(const struct ring *r)
{
  return SOCK_BUF - r->len;
}

// Append up to n bytes from src; returns how many fit.
size_t
ring_put(struct ring *r, const uint8_t *src, size_t n)
{
  size_t tail, first;

  if (n > ring_room(r))
    n = ring_room(r);
  tail = (r->head + r->len) % SOCK_BUF;
  first = SOCK_BUF - tail < n ? SOCK_BUF - tail : n;
  memcpy(r->data + tail, src, first);
  memcpy(r->data, src + first, n - first);
  r->len += n;
  return n;
}

// Copy n bytes starting off bytes after the head into dst; the caller has checked
// that off + n <= r->len.
void
ring_peek(const struct ring *r, size_t off, uint8_t *dst, size_t n)
{
  size_t at = (r->head + off) % SOCK_BUF;
  size_t first = SOCK_BUF - at < n ? SOCK_BUF - at : n;

  memcpy(dst, r->data + at, first);
  memcpy(dst + first, r->data, n - first);
}

// Forget the first n bytes (at most all of them).
void
ring_drop(struct ring *r, size_t n)
{
  if (n > r->len)
    n = r->len;
  r->head = (r->head + n) % SOCK_BUF;
  r->len -= n;
}

// Take up to n bytes from the head into dst; returns how many.
size_t
ring_get(struct ring *r, uint8_t *dst, size_t n)
{
  if (n > r->len)
    n = r->len;
  ring_peek(r, 0, dst, n);
  ring_drop(r, n);
  return n;
}
