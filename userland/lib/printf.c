// printf.c: formatted output, to the console (printf) or into a string (snprintf).
//
// One formatter, format(), does all the work. It hands every character it produces to
// a sink, which either buffers it for the console or stores it in the caller's array,
// so printf and snprintf cannot disagree about what a format means.

#include <stdio.h>
#include <string.h>
#include "console.h"

// Where formatted characters go.
struct sink {
  char *buf;     // the caller's array, or NULL for the console
  size_t size;   // bytes available in buf, counting the final NUL
  size_t count;  // characters produced so far (may exceed size)
};

// Length modifiers: which type a numeric argument was passed as.
enum arg_size { SIZE_INT, SIZE_LONG, SIZE_LONG_LONG, SIZE_SIZE_T };

// One conversion's flags, width and precision, as parsed from the format.
struct spec {
  int left;             // '-' flag: pad on the right
  int zero;             // '0' flag: pad numbers with zeros instead of spaces
  int width;            // minimum field width; 0 for none
  int precision;        // %s: most characters to print; -1 for no limit
  enum arg_size size;   // length modifier
};

// Deliver one character to the sink; characters past the end of buf are counted only.
static void
emit(struct sink *out, char c)
{
  if (out->buf == NULL)
    console_putc(c);
  else if (out->count + 1 < out->size)
    out->buf[out->count] = c;
  out->count++;
}

// Deliver c n times (nothing if n <= 0).
static void
emit_repeat(struct sink *out, char c, int n)
{
  for (; n > 0; n--)
    emit(out, c);
}

// Deliver a field: prefix (a sign or "0x"), then len characters of body, padded to the
// spec's width with spaces (left or right) or with zeros between prefix and body.
static void
emit_field(struct sink *out, const struct spec *spec, const char *prefix, const char *body,
           int len)
{
  int prefix_len = strlen(prefix);
  int pad = spec->width - prefix_len - len;

  if (!spec->left && !spec->zero)
    emit_repeat(out, ' ', pad);
  for (int i = 0; i < prefix_len; i++)
    emit(out, prefix[i]);
  if (!spec->left && spec->zero)
    emit_repeat(out, '0', pad);
  for (int i = 0; i < len; i++)
    emit(out, body[i]);
  if (spec->left)
    emit_repeat(out, ' ', pad);
}

// Deliver the unsigned value v in base 10 or 16, after prefix.
static void
emit_number(struct sink *out, const struct spec *spec, unsigned long v, int base, int upper,
            const char *prefix)
{
  const char *digits = upper ? "0123456789ABCDEF" : "0123456789abcdef";
  char text[24];
  int len = 0;

  // Digits come out least significant first, so fill text from its end.
  do {
    len++;
    text[sizeof text - len] = digits[v % base];
    v /= base;
  } while (v != 0);
  emit_field(out, spec, prefix, text + sizeof text - len, len);
}

// Fetch the next argument as a signed number of the spec's size.
static long
signed_arg(va_list *ap, enum arg_size size)
{
  switch (size) {
  case SIZE_LONG:
    return va_arg(*ap, long);
  case SIZE_LONG_LONG:
    return va_arg(*ap, long long);
  case SIZE_SIZE_T:
    return (long)va_arg(*ap, size_t);
  default:
    return va_arg(*ap, int);
  }
}

// Fetch the next argument as an unsigned number of the spec's size.
static unsigned long
unsigned_arg(va_list *ap, enum arg_size size)
{
  switch (size) {
  case SIZE_LONG:
    return va_arg(*ap, unsigned long);
  case SIZE_LONG_LONG:
    return va_arg(*ap, unsigned long long);
  case SIZE_SIZE_T:
    return va_arg(*ap, size_t);
  default:
    return va_arg(*ap, unsigned int);
  }
}

// Read a decimal number at *fmt, advancing *fmt past it.
static int
take_decimal(const char **fmt)
{
  int n = 0;

  while (**fmt >= '0' && **fmt <= '9')
    n = n * 10 + (*(*fmt)++ - '0');
  return n;
}

// Parse the flags, width, precision and length modifier that follow a '%' at fmt.
// Returns a pointer to the conversion character (which may be the final NUL).
static const char *
parse_spec(const char *fmt, struct spec *spec, va_list *ap)
{
  *spec = (struct spec){ .precision = -1, .size = SIZE_INT };
  for (;; fmt++) {
    if (*fmt == '-')
      spec->left = 1;
    else if (*fmt == '0')
      spec->zero = 1;
    else
      break;
  }
  if (*fmt == '*') {
    spec->width = va_arg(*ap, int);
    fmt++;
    if (spec->width < 0) {  // a negative * width means '-' and its magnitude
      spec->left = 1;
      spec->width = -spec->width;
    }
  } else {
    spec->width = take_decimal(&fmt);
  }
  if (*fmt == '.') {
    fmt++;
    if (*fmt == '*') {
      spec->precision = va_arg(*ap, int);
      fmt++;
    } else {
      spec->precision = take_decimal(&fmt);
    }
  }
  if (*fmt == 'l') {
    spec->size = SIZE_LONG;
    if (*++fmt == 'l') {
      spec->size = SIZE_LONG_LONG;
      fmt++;
    }
  } else if (*fmt == 'z') {
    spec->size = SIZE_SIZE_T;
    fmt++;
  }
  return fmt;
}

// Deliver a string argument (NULL prints as "(null)"), honouring width and precision.
static void
emit_string(struct sink *out, struct spec *spec, const char *s)
{
  if (s == NULL)
    s = "(null)";
  int len = spec->precision >= 0 ? strnlen(s, spec->precision) : strlen(s);
  spec->zero = 0;
  emit_field(out, spec, "", s, len);
}

// Carry out one conversion c, taking its argument (if any) from ap.
static void
convert(struct sink *out, struct spec *spec, char c, va_list *ap)
{
  long n;
  char ch;

  switch (c) {
  case 'd':
  case 'i':
    n = signed_arg(ap, spec->size);
    // Negate as unsigned: -LONG_MIN does not fit in a long.
    emit_number(out, spec, n < 0 ? -(unsigned long)n : (unsigned long)n, 10, 0, n < 0 ? "-" : "");
    break;
  case 'u':
    emit_number(out, spec, unsigned_arg(ap, spec->size), 10, 0, "");
    break;
  case 'x':
  case 'X':
    emit_number(out, spec, unsigned_arg(ap, spec->size), 16, c == 'X', "");
    break;
  case 'p':
    emit_number(out, spec, (unsigned long)va_arg(*ap, void *), 16, 0, "0x");
    break;
  case 's':
    emit_string(out, spec, va_arg(*ap, const char *));
    break;
  case 'c':
    ch = (char)va_arg(*ap, int);
    spec->zero = 0;
    emit_field(out, spec, "", &ch, 1);
    break;
  case '%':
    emit(out, '%');
    break;
  default:
    // Not a conversion we know (or the format ended after '%'): show it as written.
    emit(out, '%');
    if (c != '\0')
      emit(out, c);
    break;
  }
}

// Format fmt with the arguments in ap into out. Returns the number of characters produced.
static int
format(struct sink *out, const char *fmt, va_list *ap)
{
  struct spec spec;

  for (; *fmt != '\0'; fmt++) {
    if (*fmt != '%') {
      emit(out, *fmt);
      continue;
    }
    fmt = parse_spec(fmt + 1, &spec, ap);
    convert(out, &spec, *fmt, ap);
    if (*fmt == '\0')
      break;
  }
  return (int)out->count;
}

// Print to the console. Returns the number of characters printed.
int
vprintf(const char *fmt, va_list ap)
{
  struct sink out = { NULL, 0, 0 };
  va_list args;
  int n;

  va_copy(args, ap);
  n = format(&out, fmt, &args);
  va_end(args);
  return n;
}

// Print to the console. Returns the number of characters printed.
int
printf(const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vprintf(fmt, ap);
  va_end(ap);
  return n;
}

// Format into buf, writing at most size bytes including the NUL that always ends the
// result (when size > 0). Returns the length the whole result would have had, so a
// return value >= size means the output was cut short.
int
vsnprintf(char *buf, size_t size, const char *fmt, va_list ap)
{
  struct sink out = { buf, size, 0 };
  va_list args;
  int n;

  va_copy(args, ap);
  n = format(&out, fmt, &args);
  va_end(args);
  if (size > 0)
    buf[out.count < size ? out.count : size - 1] = '\0';
  return n;
}

// Format into buf, like vsnprintf.
int
snprintf(char *buf, size_t size, const char *fmt, ...)
{
  va_list ap;
  int n;

  va_start(ap, fmt);
  n = vsnprintf(buf, size, fmt, ap);
  va_end(ap);
  return n;
}
