// strtol.c: turning text into numbers (strtoul, strtol, atoi, atol).

#include <stdlib.h>

#define ULONG_MAX_VALUE (~0UL)
#define LONG_MAX_VALUE ((long)(ULONG_MAX_VALUE >> 1))

// The value of the digit c (0-9, then a-z or A-Z for 10-35), or 36 if c is no digit.
static int
digit_value(char c)
{
  if (c >= '0' && c <= '9')
    return c - '0';
  if (c >= 'a' && c <= 'z')
    return c - 'a' + 10;
  if (c >= 'A' && c <= 'Z')
    return c - 'A' + 10;
  return 36;
}

// True for the characters strtol skips before a number.
static int
is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v';
}

// Skip a "0x"/"0X" prefix if base allows one and a hex digit follows it. Base 0
// means "decide from the prefix": 0x is hex, a leading 0 octal, anything else decimal.
// Returns the base to use and advances *sp past the prefix.
static int
take_prefix(const char **sp, int base)
{
  const char *s = *sp;
  int hex = s[0] == '0' && (s[1] == 'x' || s[1] == 'X') && digit_value(s[2]) < 16;

  if ((base == 0 || base == 16) && hex) {
    *sp = s + 2;
    return 16;
  }
  if (base == 0)
    return s[0] == '0' ? 8 : 10;
  return base;
}

// Parse digits of base at *sp into *value, advancing *sp past them. Returns the
// number of digits read; *overflow is set if the value does not fit in 64 bits.
static int
take_digits(const char **sp, int base, unsigned long *value, int *overflow)
{
  const char *s = *sp;
  unsigned long v = 0;
  int count = 0;
  int d;

  *overflow = 0;
  for (; (d = digit_value(*s)) < base; s++, count++) {
    if (v > (ULONG_MAX_VALUE - d) / base)
      *overflow = 1;
    v = v * base + d;
  }
  *sp = s;
  *value = v;
  return count;
}

// Read an optionally signed number in base (2-36, or 0 to take the base from a 0x or 0
// prefix) after optional spaces. Sets *end (if not NULL) just past the number, or to s
// if there is none. Returns 1 and fills *negative, *magnitude and *overflow, or 0 if
// s holds no number.
static int
parse_number(const char *s, char **end, int base, int *negative, unsigned long *magnitude,
             int *overflow)
{
  const char *p = s;

  while (is_space(*p))
    p++;
  *negative = 0;
  if (*p == '+' || *p == '-')
    *negative = *p++ == '-';
  base = take_prefix(&p, base);
  if (base < 2 || base > 36 || take_digits(&p, base, magnitude, overflow) == 0) {
    if (end)
      *end = (char *)s;
    return 0;
  }
  if (end)
    *end = (char *)p;
  return 1;
}

// Parse an unsigned number (see parse_number). Saturates to the largest unsigned long
// on overflow; as in standard C, "-n" gives the negation of n modulo 2^64.
unsigned long
strtoul(const char *s, char **end, int base)
{
  int negative, overflow;
  unsigned long magnitude;

  if (!parse_number(s, end, base, &negative, &magnitude, &overflow))
    return 0;
  if (overflow)
    return ULONG_MAX_VALUE;
  return negative ? -magnitude : magnitude;
}

// Parse a signed number (see parse_number). Saturates to the largest or smallest long.
long
strtol(const char *s, char **end, int base)
{
  int negative, overflow;
  unsigned long magnitude;

  if (!parse_number(s, end, base, &negative, &magnitude, &overflow))
    return 0;
  if (!negative) {
    if (overflow || magnitude > (unsigned long)LONG_MAX_VALUE)
      return LONG_MAX_VALUE;
    return (long)magnitude;
  }
  if (overflow || magnitude > (unsigned long)LONG_MAX_VALUE + 1)
    return -LONG_MAX_VALUE - 1;
  return (long)-magnitude;
}

// The decimal number at the start of s (after spaces and sign), or 0 if none.
int
atoi(const char *s)
{
  return (int)strtol(s, NULL, 10);
}

// Like atoi, for long.
long
atol(const char *s)
{
  return strtol(s, NULL, 10);
}
