// ring.c: the byte queues of netd's sockets: bytes appended at the tail, taken or
// read at any offset from the head, wrapping around a fixed array; and bytes kept
// ahead of the tail, in the free space, until the gap before them is filled.

#include <string.h>
#include "sock.h"

// Free space in r, in bytes.
size_t
ring_room(const struct ring *r)
{
  return SOCK_BUF - r->len;
}

// Whether the byte at data[at] is held ahead of the tail; and marking it so.
static int
is_ahead(const struct ring *r, size_t at)
{
  return (r->ahead[at / 8] >> (at % 8)) & 1;
}

static void
mark_ahead(struct ring *r, size_t at, int on)
{
  if (on)
    r->ahead[at / 8] |= (uint8_t)(1 << (at % 8));
  else
    r->ahead[at / 8] &= (uint8_t)~(1 << (at % 8));
}

// Copy n bytes from src into data[] from index `at` on, wrapping around.
static void
copy_in(struct ring *r, size_t at, const uint8_t *src, size_t n)
{
  size_t first = SOCK_BUF - at < n ? SOCK_BUF - at : n;

  memcpy(r->data + at, src, first);
  memcpy(r->data, src + first, n - first);
}

// Append up to n bytes from src; returns how many fit. They replace any bytes held
// ahead in the same place (the same bytes, sent again).
size_t
ring_put(struct ring *r, const uint8_t *src, size_t n)
{
  size_t tail;

  if (n > ring_room(r))
    n = ring_room(r);
  tail = (r->head + r->len) % SOCK_BUF;
  copy_in(r, tail, src, n);
  for (size_t i = 0; i < n; i++)
    mark_ahead(r, (tail + i) % SOCK_BUF, 0);
  r->len += n;
  return n;
}

// Keep up to n bytes from src that belong off bytes past the tail (off > 0), in the
// free space; returns how many fit there.
size_t
ring_put_ahead(struct ring *r, size_t off, const uint8_t *src, size_t n)
{
  /* BEGIN LAB net: (void)r; (void)off; (void)src; (void)n; (void)copy_in; return 0; */
  size_t at;

  if (off >= ring_room(r))
    return 0;
  if (n > ring_room(r) - off)
    n = ring_room(r) - off;
  at = (r->head + r->len + off) % SOCK_BUF;
  copy_in(r, at, src, n);
  for (size_t i = 0; i < n; i++)
    mark_ahead(r, (at + i) % SOCK_BUF, 1);
  return n;
  /* END LAB net */
}

// The bytes held ahead that now follow the tail with no gap join the data; returns
// how many joined.
size_t
ring_join_ahead(struct ring *r)
{
  /* BEGIN LAB net: (void)r; (void)is_ahead; return 0; */
  size_t joined = 0, at = (r->head + r->len) % SOCK_BUF;

  while (r->len < SOCK_BUF && is_ahead(r, at)) {
    mark_ahead(r, at, 0);
    r->len++;
    joined++;
    at = (at + 1) % SOCK_BUF;
  }
  return joined;
  /* END LAB net */
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
