// grep: print the lines that contain a fixed string.
//
//   grep [-v] [-c] [-n] STRING [PATH...]
//
// -v prints the lines that do not contain it, -c only their count, -n each line's
// number. Without PATH, standard input. With several paths each line is prefixed by
// its file's name. Exit status: 0 if a line was selected, 1 if none, 2 on an error.

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <lamina/proc.h>

static int invert, count_only, numbers, with_names;
static const char *needle;
static char buf[PAGE_SIZE];

// A line being assembled from reads: it may be longer than one read.
struct line {
  char *text;
  size_t len, cap;
};

// Whether text (len bytes) contains the needle.
static int
contains(const char *text, size_t len)
{
  size_t n = strlen(needle);

  if (n == 0)
    return 1;
  for (size_t i = 0; i + n <= len; i++)
    if (memcmp(text + i, needle, n) == 0)
      return 1;
  return 0;
}

// Append c to line. 0 or -ENOMEM.
static long
line_add(struct line *l, char c)
{
  if (l->len == l->cap) {
    size_t cap = l->cap ? 2 * l->cap : 128;
    char *t = realloc(l->text, cap);
    if (t == NULL)
      return -ENOMEM;
    l->text = t;
    l->cap = cap;
  }
  l->text[l->len++] = c;
  return 0;
}

// Decide on one whole line (number lineno of the file name) and print it if
// selected. Returns whether it was selected.
static int
select_line(struct line *l, const char *name, unsigned long lineno)
{
  if (contains(l->text, l->len) == invert)
    return 0;
  if (count_only)
    return 1;
  if (with_names)
    printf("%s:", name);
  if (numbers)
    printf("%lu:", lineno);
  printf("%.*s\n", (int)l->len, l->text);
  return 1;
}

// Search descriptor fd (named name) to its end. The number of selected lines, or
// -errno.
static long
search(int fd, const char *name)
{
  struct line l = {NULL, 0, 0};
  unsigned long lineno = 0, selected = 0;
  long n, err = 0;

  while (err == 0 && (n = read(fd, buf, sizeof buf)) > 0) {
    for (long i = 0; i < n && err == 0; i++) {
      if (buf[i] != '\n') {
        err = line_add(&l, buf[i]);
        continue;
      }
      selected += (unsigned long)select_line(&l, name, ++lineno);
      l.len = 0;
    }
  }
  if (err == 0 && n < 0)
    err = n;
  if (err == 0 && l.len > 0)  // a last line without its newline
    selected += (unsigned long)select_line(&l, name, ++lineno);
  free(l.text);
  if (err < 0)
    return err;
  if (count_only && with_names)
    printf("%s:%lu\n", name, selected);
  else if (count_only)
    printf("%lu\n", selected);
  return (long)selected;
}

int
main(int argc, char *argv[])
{
  int first, errors = 0;
  long found = 0, r, fd;

  argc = proc_args(argc, &argv);
  for (first = 1; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
    for (char *o = argv[first] + 1; *o; o++) {
      if (*o == 'v')
        invert = 1;
      else if (*o == 'c')
        count_only = 1;
      else if (*o == 'n')
        numbers = 1;
      else {
        dprintf(2, "grep: unknown option -%c (usage: grep [-v] [-c] [-n] STRING [PATH...])\n", *o);
        return 2;
      }
    }
  }
  if (first >= argc) {
    dprintf(2, "usage: grep [-v] [-c] [-n] STRING [PATH...]\n");
    return 2;
  }
  needle = argv[first++];
  with_names = argc - first > 1;
  if (first == argc) {
    r = search(STDIN_FILENO, "(standard input)");
    if (r < 0)
      dprintf(2, "grep: standard input: %s\n", strerror((int)-r));
    return r < 0 ? 2 : r > 0 ? 0 : 1;
  }
  for (int i = first; i < argc; i++) {
    fd = open(argv[i], O_RDONLY, 0);
    r = fd < 0 ? fd : search((int)fd, argv[i]);
    if (fd >= 0)
      close((int)fd);
    if (r < 0) {
      dprintf(2, "grep: %s: %s\n", argv[i], strerror((int)-r));
      errors = 1;
    } else {
      found += r;
    }
  }
  return errors ? 2 : found > 0 ? 0 : 1;
}
