// dprintf.c: formatted output to a file descriptor (see <stdio.h>), for messages on
// standard error. The text is formatted into a buffer and written with one write,
// so a message is not interleaved with another process's output.

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

// The longest message: longer ones are cut.
#define DPRINTF_MAX 512

// Print to descriptor fd as printf would: the bytes written or -errno.
int
dprintf(int fd, const char *fmt, ...)
{
  char buf[DPRINTF_MAX];
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(buf, sizeof buf, fmt, ap);
  va_end(ap);
  if (n > (int)sizeof buf - 1)
    n = (int)sizeof buf - 1;
  return (int)write(fd, buf, (size_t)n);
}
