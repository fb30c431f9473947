// string.c: memory and string functions, one simple loop each (the memory ones a word
// at a time where the buffers allow).
//
// clang may also call memcpy, memmove, memset and memcmp on its own (for struct
// copies and initialisers), so these four must exist even in a program that never
// names them.

#include <string.h>

// A 64-bit word that may alias any other type: lets the memory functions move eight
// bytes per load and store without breaking C's aliasing rules.
typedef unsigned long __attribute__((may_alias)) word_t;

// Copy n bytes from src to dst; the areas must not overlap. Returns dst.
// When dst and src are equally aligned, the bulk moves a word at a time: an eighth of
// the loads and stores, which matters for a file server copying pages; and eight words
// an iteration, so a page costs about 1,300 instructions instead of 3,100 (the loop's
// own counting and branching is most of a one-word loop).
void *
memcpy(void *dst, const void *src, size_t n)
{
  /* BEGIN LAB bloat: unsigned char *d = dst; const unsigned char *s = src; while (n-- > 0) *d++ = *s++; return dst; */
  unsigned char *d = dst;
  const unsigned char *s = src;

  if ((((unsigned long)d ^ (unsigned long)s) & 7) == 0) {
    for (; n > 0 && ((unsigned long)d & 7); n--)
      *d++ = *s++;
    for (; n >= 64; n -= 64, d += 64, s += 64) {
      word_t *wd = (word_t *)d;
      const word_t *ws = (const word_t *)s;
      wd[0] = ws[0], wd[1] = ws[1], wd[2] = ws[2], wd[3] = ws[3];
      wd[4] = ws[4], wd[5] = ws[5], wd[6] = ws[6], wd[7] = ws[7];
    }
    for (; n >= 8; n -= 8, d += 8, s += 8)
      *(word_t *)d = *(const word_t *)s;
  }
  while (n-- > 0)
    *d++ = *s++;
  return dst;
  /* END LAB bloat */
}

// Copy n bytes from src to dst; the areas may overlap. Returns dst.
void *
memmove(void *dst, const void *src, size_t n)
{
  unsigned char *d = dst;
  const unsigned char *s = src;

  if (d <= s || d >= s + n) {
    while (n-- > 0)
      *d++ = *s++;
  } else {
    // dst starts inside src: copy from the end so no byte is overwritten before it is read.
    d += n;
    s += n;
    while (n-- > 0)
      *--d = *--s;
  }
  return dst;
}

// Set n bytes at dst to the byte c. Returns dst. Aligned bulk goes a word at a time.
void *
memset(void *dst, int c, size_t n)
{
  unsigned char *d = dst;
  word_t pattern = 0x0101010101010101UL * (unsigned char)c;

  for (; n > 0 && ((unsigned long)d & 7); n--)
    *d++ = (unsigned char)c;
  for (; n >= 8; n -= 8, d += 8)
    *(word_t *)d = pattern;
  while (n-- > 0)
    *d++ = (unsigned char)c;
  return dst;
}

// Compare n bytes. Returns <0, 0 or >0 as a is below, equal to or above b.
// Equally aligned buffers are compared a word at a time until a word differs.
int
memcmp(const void *a, const void *b, size_t n)
{
  const unsigned char *x = a;
  const unsigned char *y = b;

  if ((((unsigned long)x ^ (unsigned long)y) & 7) == 0) {
    for (; n > 0 && ((unsigned long)x & 7); n--, x++, y++) {
      if (*x != *y)
        return *x - *y;
    }
    for (; n >= 8 && *(const word_t *)x == *(const word_t *)y; n -= 8, x += 8, y += 8)
      ;
  }
  for (; n > 0; n--, x++, y++) {
    if (*x != *y)
      return *x - *y;
  }
  return 0;
}

// Find the first byte c in the n bytes at s. Returns a pointer to it, or NULL.
void *
memchr(const void *s, int c, size_t n)
{
  const unsigned char *p = s;

  for (; n > 0; n--, p++) {
    if (*p == (unsigned char)c)
      return (void *)p;
  }
  return NULL;
}

// The length of the string s, not counting its NUL.
size_t
strlen(const char *s)
{
  size_t n = 0;

  while (s[n] != '\0')
    n++;
  return n;
}

// The length of s, but at most max: never reads past s[max - 1].
size_t
strnlen(const char *s, size_t max)
{
  size_t n = 0;

  while (n < max && s[n] != '\0')
    n++;
  return n;
}

// Compare two strings. Returns <0, 0 or >0 as a sorts before, equal to or after b.
int
strcmp(const char *a, const char *b)
{
  while (*a != '\0' && *a == *b) {
    a++;
    b++;
  }
  return (unsigned char)*a - (unsigned char)*b;
}

// Compare at most n characters of two strings, like strcmp.
int
strncmp(const char *a, const char *b, size_t n)
{
  for (; n > 0; n--, a++, b++) {
    if (*a != *b)
      return (unsigned char)*a - (unsigned char)*b;
    if (*a == '\0')
      return 0;
  }
  return 0;
}

// Copy the string src, with its NUL, to dst. Returns dst.
char *
strcpy(char *dst, const char *src)
{
  char *d = dst;

  while ((*d++ = *src++) != '\0')
    ;
  return dst;
}

// Copy at most n characters of src to dst, padding with NULs up to n. Returns dst.
// As in standard C, dst is not NUL-terminated if src has n or more characters.
char *
strncpy(char *dst, const char *src, size_t n)
{
  size_t i = 0;

  for (; i < n && src[i] != '\0'; i++)
    dst[i] = src[i];
  for (; i < n; i++)
    dst[i] = '\0';
  return dst;
}

// Append the string src to the string dst. Returns dst.
char *
strcat(char *dst, const char *src)
{
  strcpy(dst + strlen(dst), src);
  return dst;
}

// Find the first c in the string s (c may be '\0'). Returns a pointer to it, or NULL.
char *
strchr(const char *s, int c)
{
  for (;; s++) {
    if (*s == (char)c)
      return (char *)s;
    if (*s == '\0')
      return NULL;
  }
}

// Find the last c in the string s (c may be '\0'). Returns a pointer to it, or NULL.
char *
strrchr(const char *s, int c)
{
  const char *last = NULL;

  for (;; s++) {
    if (*s == (char)c)
      last = s;
    if (*s == '\0')
      return (char *)last;
  }
}
