// fsput: write a file through the file server: some words, or a test pattern.
//
//   fsput SERVER PATH WORDS...        the words, separated by spaces, and a newline
//   fsput SERVER PATH -p BYTES SEED   BYTES bytes of the test pattern for SEED
//
// SERVER is the file server's domain id (in a configuration: "@fsd"). The file is
// created, or emptied if it exists. The test pattern's byte i is
// ((i >> 16) * 31 + (i >> 8) * 7 + i * 13 + SEED) mod 256, so a misplaced block shows.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/fs.h>

#define CHUNK (64 * 1024)

static char buf[CHUNK];

// Fill out[0..n) with the test pattern for seed from byte `from` on. Within a run of
// 256 bytes only the i * 13 term changes, so it is added up.
static void
pattern(char *out, unsigned long from, unsigned long n, unsigned long seed)
{
  unsigned long i = from;

  while (i < from + n) {
    unsigned char b = (unsigned char)((i >> 16) * 31 + (i >> 8) * 7 + i * 13 + seed);

    do {
      out[i - from] = (char)b;
      b += 13;
      i++;
    } while ((i & 255) != 0 && i < from + n);
  }
}

// Write n bytes of the pattern for seed to fd. Returns the bytes written or -errno.
static long
put_pattern(long server, long fd, unsigned long n, unsigned long seed)
{
  unsigned long done = 0;

  while (done < n) {
    unsigned long chunk = n - done < CHUNK ? n - done : CHUNK;
    long put;

    pattern(buf, done, chunk, seed);
    put = fs_write(server, fd, buf, chunk);
    if (put < 0)
      return put;
    done += (unsigned long)put;
    if ((unsigned long)put < chunk)
      break;
  }
  return (long)done;
}

// Write the words, space-separated, and a newline, to fd. Returns the bytes or -errno.
static long
put_words(long server, long fd, int nwords, char **words)
{
  unsigned long len = 0;

  for (int i = 0; i < nwords; i++) {
    size_t n = strlen(words[i]);

    if (len + n + 1 > CHUNK)
      return -E2BIG;
    memcpy(buf + len, words[i], n);
    len += n;
    buf[len++] = i + 1 < nwords ? ' ' : '\n';
  }
  return fs_write(server, fd, buf, len);
}

int
main(int argc, char *argv[])
{
  long server, fd, n;

  if (argc < 3) {
    printf("usage: fsput SERVER PATH WORDS... | fsput SERVER PATH -p BYTES SEED\n");
    return 2;
  }
  server = atol(argv[1]);
  fd = fs_open(server, argv[2], FS_O_WRONLY | FS_O_CREAT | FS_O_TRUNC, 0644);
  if (fd < 0) {
    printf("fsput: %s: %s\n", argv[2], fs_errname(fd));
    return 1;
  }
  if (argc == 6 && strcmp(argv[3], "-p") == 0)
    n = put_pattern(server, fd, strtoul(argv[4], NULL, 0), strtoul(argv[5], NULL, 0));
  else
    n = put_words(server, fd, argc - 3, argv + 3);
  fs_close(server, fd);
  if (n < 0) {
    printf("fsput: %s: %s\n", argv[2], fs_errname(n));
    return 1;
  }
  printf("fsput: wrote %ld bytes to %s\n", n, argv[2]);
  return 0;
}
