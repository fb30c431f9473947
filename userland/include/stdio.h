/* stdio.h: formatted console output (userland/lib/printf.c, console.c).
 *
 * Output to the console is buffered in the program and written with one system call
 * per line (or per full buffer); exit() writes out whatever is left.
 *
 * printf understands %d %i %u %x %X %p %s %c %%, the length modifiers l, ll and z,
 * a minimum width (a number or *), the flags '-' (left-justify) and '0' (pad with
 * zeros), and a precision for %s (".N" or ".*": print at most N characters).
 */
#ifndef LAMINA_STDIO_H
#define LAMINA_STDIO_H

#include <stdarg.h>
#include <stddef.h>

#define EOF (-1)

int printf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
int vprintf(const char *fmt, va_list ap) __attribute__((format(printf, 1, 0)));
int snprintf(char *buf, size_t size, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
int vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
    __attribute__((format(printf, 3, 0)));

/* printf to file descriptor fd (userland/lib/dprintf.c; at most 511 bytes, one
 * write): for messages on standard error, dprintf(2, ...). Bytes written or -errno. */
int dprintf(int fd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int putchar(int c);
int puts(const char *s);

/* Lamina-specific: write out buffered console output now. Returns 0 or -errno. */
int console_flush(void);

#endif /* LAMINA_STDIO_H */
