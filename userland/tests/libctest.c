// libctest: check the user library's string, number-parsing and formatting functions
// against known answers. Prints "libc ok" and exits 0, or prints each failed check and
// exits 1.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;

// Record a failed check unless ok.
static void
expect(int ok, const char *what)
{
  if (!ok) {
    printf("libctest: FAILED %s\n", what);
    failures++;
  }
}

// Check that formatting with snprintf produced want (text and returned length).
static void
expect_format(const char *got, int n, const char *want)
{
  if (strcmp(got, want) != 0 || n != (int)strlen(want)) {
    printf("libctest: FAILED format: got \"%s\" (%d), want \"%s\"\n", got, n, want);
    failures++;
  }
}

// The printf conversions, flags, widths and length modifiers the library promises.
static void
test_format(void)
{
  char buf[64];
  int n;

  n = snprintf(buf, sizeof buf, "%d %i %u", -42, 7, 3000000000u);
  expect_format(buf, n, "-42 7 3000000000");
  n = snprintf(buf, sizeof buf, "%x %X %lx", 0xbeefu, 0xbeefu, 0x123456789abcUL);
  expect_format(buf, n, "beef BEEF 123456789abc");
  n = snprintf(buf, sizeof buf, "%ld %lu %llu", -9223372036854775807L - 1, ~0UL, 18446744073709551615ULL);
  expect_format(buf, n, "-9223372036854775808 18446744073709551615 18446744073709551615");
  n = snprintf(buf, sizeof buf, "[%5d] [%-5d] [%05d] [%3d]", 42, 42, -42, 12345);
  expect_format(buf, n, "[   42] [42   ] [-0042] [12345]");
  n = snprintf(buf, sizeof buf, "[%08lx] [%*d] [%-*d]", 0xabcUL, 4, 1, 3, 2);
  expect_format(buf, n, "[00000abc] [   1] [2  ]");
  n = snprintf(buf, sizeof buf, "%s|%6s|%-6s|%.2s|%c%c|%%", "ab", "ab", "ab", "abcdef", 'o', 'k');
  expect_format(buf, n, "ab|    ab|ab    |ab|ok|%");
  n = snprintf(buf, sizeof buf, "%p %zu %s", (void *)0x1000, (size_t)5, (char *)NULL);
  expect_format(buf, n, "0x1000 5 (null)");
}

// snprintf never writes past size, always NUL-terminates, and returns the full length.
static void
test_truncation(void)
{
  char buf[8];
  int n;

  memset(buf, 'x', sizeof buf);
  n = snprintf(buf, 5, "%s", "abcdefgh");
  expect(n == 8 && strcmp(buf, "abcd") == 0 && buf[5] == 'x', "snprintf truncation");
  n = snprintf(buf, 0, "%d", 12345);
  expect(n == 5 && buf[0] == 'a', "snprintf with size 0");
}

// strtol, strtoul and atoi: bases, prefixes, signs, end pointers and saturation.
static void
test_numbers(void)
{
  char *end;

  expect(strtoul("0x1F", &end, 0) == 31 && *end == '\0', "strtoul hex prefix");
  expect(strtoul("017", &end, 0) == 15, "strtoul octal prefix");
  expect(strtoul("  42xyz", &end, 10) == 42 && *end == 'x', "strtoul end pointer");
  expect(strtoul("zz", &end, 36) == 1295, "strtoul base 36");
  expect(strtoul("hello", &end, 10) == 0 && strcmp(end, "hello") == 0, "strtoul no digits");
  expect(strtoul("0x", &end, 16) == 0 && strcmp(end, "x") == 0, "strtoul bare 0x");
  expect(strtoul("99999999999999999999", &end, 10) == ~0UL, "strtoul overflow saturates");
  expect(strtol("-123", &end, 10) == -123, "strtol negative");
  expect(strtol("9223372036854775808", &end, 10) == 9223372036854775807L, "strtol saturates up");
  expect(strtol("-9223372036854775809", &end, 10) == -9223372036854775807L - 1, "strtol saturates down");
  expect(atoi("  -17 apples") == -17 && atoi("apples") == 0, "atoi");
}

// The string functions, including memmove's overlapping copies in both directions.
static void
test_strings(void)
{
  char buf[32];

  expect(strlen("") == 0 && strlen("abc") == 3 && strnlen("abcdef", 4) == 4, "strlen strnlen");
  expect(strcmp("abc", "abd") < 0 && strcmp("b", "a") > 0 && strcmp("x", "x") == 0, "strcmp");
  expect(strcmp("\xff", "a") > 0, "strcmp compares unsigned chars");
  expect(strncmp("abcX", "abcY", 3) == 0 && strncmp("ab", "abc", 3) < 0, "strncmp");
  expect(strcmp(strcpy(buf, "hello"), "hello") == 0, "strcpy");
  expect(strcmp(strcat(buf, " world"), "hello world") == 0, "strcat");
  expect(strchr(buf, 'o') == buf + 4 && strrchr(buf, 'o') == buf + 7, "strchr strrchr");
  expect(strchr(buf, 'z') == NULL && strchr(buf, '\0') == buf + 11, "strchr misses and NUL");
  memset(buf, 0, sizeof buf);
  strncpy(buf, "abc", 6);
  expect(memcmp(buf, "abc\0\0\0", 6) == 0, "strncpy pads with NULs");
  strcpy(buf, "0123456789");
  memmove(buf + 2, buf, 5);
  expect(strcmp(buf, "0101234789") == 0, "memmove forward overlap");
  strcpy(buf, "0123456789");
  memmove(buf, buf + 2, 5);
  expect(strcmp(buf, "2345656789") == 0, "memmove backward overlap");
  expect(memchr("abc", 'c', 3) != NULL && memchr("abc", 'c', 2) == NULL, "memchr");
}

int
main(void)
{
  test_format();
  test_truncation();
  test_numbers();
  test_strings();
  if (failures != 0) {
    printf("libctest: %d failure(s)\n", failures);
    return 1;
  }
  printf("libc ok\n");
  return 0;
}
