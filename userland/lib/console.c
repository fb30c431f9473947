// console.c: buffered console output.
//
// Every system call is a trap into the kernel, so characters collect in a buffer here
// and go out with one console_write per line, when the buffer fills, or at exit().

#include <stdio.h>
#include <lamina/syscall.h>
#include "console.h"

#define CONSOLE_BUFFER_SIZE 512

static char buffer[CONSOLE_BUFFER_SIZE];
static unsigned long buffered;  // bytes in buffer not yet written

// Where buffered output goes instead of the console, if not NULL: fd.c points it at
// descriptor 1 once a program uses file descriptors, so printf follows dup2.
long (*console_output)(const void *buf, unsigned long len);

// fd.c's start-up: it takes back descriptors inherited through an exec (or from
// spawnv) before the first output, so printf follows a descriptor 1 redirected
// there. Every program that prints needs it, even one that never names a
// descriptor itself: `ps | grep x` redirects ps's printf, not ps's own code.
void fd_startup(void);

// Write len bytes of buf where buffered output goes. The count or -errno.
static long
write_out(const char *buf, unsigned long len)
{
  static int started;

  if (!started) {
    started = 1;
    fd_startup();
  }
  if (console_output)
    return console_output(buf, len);
  return sys_console_write(buf, len);
}

// Write out everything buffered. Returns 0, or -errno if the write failed; the
// unwritten bytes are then dropped, so one failed write cannot wedge later output.
int
console_flush(void)
{
  unsigned long done = 0;
  long n;

  if (buffered == 0)
    return 0;  // and no store: after a fork, this page may be copy-on-write
  while (done < buffered) {
    n = write_out(buffer + done, buffered - done);
    if (n <= 0) {
      buffered = 0;
      return n < 0 ? (int)n : -EIO;
    }
    done += n;
  }
  buffered = 0;
  return 0;
}

// Add c to the buffer; write the buffer out if c ends a line or the buffer is full.
void
console_putc(char c)
{
  buffer[buffered++] = c;
  if (c == '\n' || buffered == CONSOLE_BUFFER_SIZE)
    console_flush();
}

// Print the character c. Returns c as an unsigned char.
int
putchar(int c)
{
  console_putc((char)c);
  return (unsigned char)c;
}

// Print the string s and a newline. Returns 0.
int
puts(const char *s)
{
  while (*s != '\0')
    console_putc(*s++);
  console_putc('\n');
  return 0;
}
