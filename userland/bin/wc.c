// wc: count lines, words and bytes of files, or of standard input.
//
//   wc [-l] [-w] [-c] [PATH...]
//
// Without options all three counts are printed, in that order; with several paths,
// a total line follows. A word is a run of characters other than space, tab and
// newline.

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <lamina/proc.h>

// The counts of one input.
struct counts {
  unsigned long lines, words, bytes;
};

static int show_lines, show_words, show_bytes;
static char buf[PAGE_SIZE];

// Whether c separates words.
static int
is_space(char c)
{
  return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

// Count descriptor fd to its end into *c. 0 or -errno.
static long
count(int fd, struct counts *c)
{
  int in_word = 0;
  long n;

  while ((n = read(fd, buf, sizeof buf)) > 0) {
    c->bytes += (unsigned long)n;
    for (long i = 0; i < n; i++) {
      if (buf[i] == '\n')
        c->lines++;
      if (is_space(buf[i]))
        in_word = 0;
      else if (!in_word) {
        in_word = 1;
        c->words++;
      }
    }
  }
  return n;
}

// Print the chosen counts, then name (if any).
static void
report(const struct counts *c, const char *name)
{
  if (show_lines)
    printf("%7lu", c->lines);
  if (show_words)
    printf("%s%7lu", show_lines ? " " : "", c->words);
  if (show_bytes)
    printf("%s%7lu", show_lines || show_words ? " " : "", c->bytes);
  printf("%s%s\n", name ? " " : "", name ? name : "");
}

int
main(int argc, char *argv[])
{
  struct counts total = {0, 0, 0};
  int status = 0, first;
  long fd, err;

  argc = proc_args(argc, &argv);
  for (first = 1; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
    for (char *o = argv[first] + 1; *o; o++) {
      if (*o == 'l')
        show_lines = 1;
      else if (*o == 'w')
        show_words = 1;
      else if (*o == 'c')
        show_bytes = 1;
      else {
        dprintf(2, "wc: unknown option -%c (usage: wc [-l] [-w] [-c] [PATH...])\n", *o);
        return 2;
      }
    }
  }
  if (!show_lines && !show_words && !show_bytes)
    show_lines = show_words = show_bytes = 1;
  if (first == argc) {
    err = count(STDIN_FILENO, &total);
    if (err < 0) {
      dprintf(2, "wc: standard input: %s\n", strerror((int)-err));
      return 1;
    }
    report(&total, NULL);
    return 0;
  }
  for (int i = first; i < argc; i++) {
    struct counts c = {0, 0, 0};
    fd = open(argv[i], O_RDONLY, 0);
    err = fd < 0 ? fd : count((int)fd, &c);
    if (fd >= 0)
      close((int)fd);
    if (err < 0) {
      dprintf(2, "wc: %s: %s\n", argv[i], strerror((int)-err));
      status = 1;
      continue;
    }
    report(&c, argv[i]);
    total.lines += c.lines;
    total.words += c.words;
    total.bytes += c.bytes;
  }
  if (argc - first > 1)
    report(&total, "total");
  return status;
}
