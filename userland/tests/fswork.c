// fswork: a workload for the file server: directories, many small files, a 5 MiB
// file, appends, deletes, renames, hard links, truncation, then a sync, checking the
// result of every step by reading it back.
//
//   fswork SERVER [DIR]        (DIR: where to work, default /work; must not exist)
//
// Prints one line per step and "fswork: N checks, M failed"; exits 0 if all passed.
// The big file holds the test pattern of fsput with seed 7 (see fsput.c), cut to
// BIG_CUT bytes and then grown again to BIG_GROWN bytes by truncation, so the end is
// a hole of zeros; tests/test_fileserver.py reads it back with debugfs.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/fs.h>

#define BIG_SIZE (5 * 1024 * 1024 + 1000)
#define BIG_CUT (3 * 1024 * 1024 + 3)
#define BIG_GROWN (4 * 1024 * 1024)
#define BIG_SEED 7
#define SMALL_FILES 40
#define LOG_LINES 100
#define CHUNK (64 * 1024)

static long server;
static const char *top;
static int checks, failures;
static char buf[CHUNK];
static char want[CHUNK];
static char path[FS_PATH_MAX + 1];
static char path2[FS_PATH_MAX + 1];

// Count a check that got is want; print a line if it is not.
static void
expect(long got, long want, const char *what)
{
  checks++;
  if (got != want) {
    failures++;
    printf("fswork: FAILED: %s: got %ld %s, wanted %ld\n", what, got, got < 0 ? fs_errname(got) : "", want);
  }
}

// path = top + "/" + name (formatted), returned for convenience.
static char *
at(char *out, const char *fmt, long n)
{
  int len = snprintf(out, FS_PATH_MAX + 1, "%s/", top);

  snprintf(out + len, (size_t)(FS_PATH_MAX + 1 - len), fmt, n);
  return out;
}

// Fill out[0..n) with the test pattern for seed from byte `from` on (fsput makes the
// same). Within a run of 256 bytes only the i * 13 term changes, so it is added up.
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

// Write n bytes to a new file p: the pattern for seed, or the byte `fill` if seed is 0.
// Returns the bytes written or -errno.
static long
write_file(const char *p, unsigned long n, unsigned long seed, char fill)
{
  long fd = fs_open(server, p, FS_O_WRONLY | FS_O_CREAT | FS_O_EXCL, 0644);
  unsigned long done = 0;
  long put = 0;

  if (fd < 0)
    return fd;
  while (done < n) {
    unsigned long chunk = n - done < CHUNK ? n - done : CHUNK;

    if (seed)
      pattern(buf, done, chunk, seed);
    else
      memset(buf, fill, chunk);
    put = fs_write(server, fd, buf, chunk);
    if (put != (long)chunk)
      break;
    done += chunk;
  }
  fs_close(server, fd);
  return put < 0 ? put : (long)done;
}

// Returns 1 if file p holds exactly n bytes: the pattern for seed up to `data`
// bytes, zeros after; 0 if not (or -errno).
static long
file_matches(const char *p, unsigned long n, unsigned long data, unsigned long seed)
{
  long fd = fs_open(server, p, FS_O_RDONLY, 0);
  unsigned long done = 0;
  long got;

  if (fd < 0)
    return fd;
  while ((got = fs_read(server, fd, buf, CHUNK)) > 0) {
    unsigned long pat = done < data ? data - done : 0;

    if (pat > (unsigned long)got)
      pat = (unsigned long)got;
    pattern(want, done, pat, seed);
    memset(want + pat, 0, (unsigned long)got - pat);
    if (memcmp(buf, want, (size_t)got) != 0) {
      fs_close(server, fd);
      return 0;
    }
    done += (unsigned long)got;
  }
  fs_close(server, fd);
  return got == 0 && done == n;
}

// The size of p, or -errno.
static long
size_of(const char *p)
{
  struct fs_stat st;
  long err = fs_stat(server, p, &st);

  return err < 0 ? err : (long)st.size;
}

// Directories: make a small tree.
static void
step_dirs(void)
{
  expect(fs_mkdir(server, top, 0755), 0, "mkdir top");
  expect(fs_mkdir(server, at(path, "sub", 0), 0755), 0, "mkdir sub");
  expect(fs_mkdir(server, at(path, "sub/deep", 0), 0755), 0, "mkdir sub/deep");
  expect(fs_mkdir(server, at(path, "sub", 0), 0755), -EEXIST, "mkdir sub again");
  printf("fswork: made directories\n");
}

// Many small files, each filled with its own number.
static void
step_small_files(void)
{
  long n;

  for (long i = 0; i < SMALL_FILES; i++) {
    n = write_file(at(path, "f%02ld", i), (unsigned long)(i * 100 + 1), 0, (char)('A' + i));
    expect(n, i * 100 + 1, "write small file");
  }
  printf("fswork: wrote %d small files\n", SMALL_FILES);
}

// The big file, through the single, double indirect blocks; read back.
static void
step_big_file(void)
{
  long n = write_file(at(path, "big", 0), BIG_SIZE, BIG_SEED, 0);

  expect(n, BIG_SIZE, "write big file");
  expect(size_of(path), BIG_SIZE, "big file size");
  expect(file_matches(path, BIG_SIZE, BIG_SIZE, BIG_SEED), 1, "big file reads back");
  printf("fswork: wrote and read back %d bytes\n", BIG_SIZE);
}

// Appends: lines added one request at a time to a log opened with FS_O_APPEND.
static void
step_appends(void)
{
  long fd = fs_open(server, at(path, "log", 0), FS_O_WRONLY | FS_O_CREAT | FS_O_APPEND, 0644);
  long total = 0, n;

  expect(fd >= 0, 1, "open log for appending");
  for (long i = 0; i < LOG_LINES && fd >= 0; i++) {
    int len = snprintf(buf, 64, "line %ld\n", i);

    fs_seek(server, fd, 0, FS_SEEK_SET);  // appends go to the end all the same
    n = fs_write(server, fd, buf, (size_t)len);
    expect(n, len, "append a line");
    total += len;
  }
  fs_close(server, fd);
  expect(size_of(path), total, "log size");
  printf("fswork: appended %d lines\n", LOG_LINES);
}

// Deletes: every odd small file.
static void
step_deletes(void)
{
  for (long i = 1; i < SMALL_FILES; i += 2)
    expect(fs_unlink(server, at(path, "f%02ld", i)), 0, "unlink");
  expect(fs_unlink(server, at(path, "f01", 0)), -ENOENT, "unlink again");
  expect(fs_unlink(server, at(path, "sub", 0)), -EISDIR, "unlink a directory");
  printf("fswork: deleted %d files\n", SMALL_FILES / 2);
}

// Renames: within a directory, across directories, over a file, of a directory.
static void
step_renames(void)
{
  long err;

  err = fs_rename(server, at(path, "f00", 0), at(path2, "sub/renamed", 0));
  expect(err, 0, "rename into sub");
  expect(size_of(path2), 1, "renamed file size");
  expect(size_of(path), -ENOENT, "old name gone");
  err = fs_rename(server, at(path, "f02", 0), at(path2, "f04", 0));
  expect(err, 0, "rename over a file");
  expect(size_of(path2), 201, "replaced file size");
  err = fs_rename(server, at(path, "sub/deep", 0), at(path2, "deep2", 0));
  expect(err, 0, "rename a directory");
  err = fs_rename(server, at(path, "sub", 0), at(path2, "sub/renamed/x", 0));
  expect(err, -ENOTDIR, "rename under a file");
  err = fs_rename(server, top, at(path2, "deep2/inside", 0));
  expect(err, -EINVAL, "rename into itself");
  printf("fswork: renamed\n");
}

// Hard links: a second name for a file, then the first one removed.
static void
step_links(void)
{
  struct fs_stat st;
  long err;

  err = fs_link(server, at(path, "f06", 0), at(path2, "sub/f06link", 0));
  expect(err, 0, "link");
  err = fs_stat(server, path2, &st);
  expect(err < 0 ? err : st.links, 2, "two links");
  expect(fs_unlink(server, path), 0, "unlink the first name");
  expect(size_of(path2), 601, "file lives on");
  expect(fs_link(server, at(path, "sub", 0), path2), -EPERM, "link a directory");
  printf("fswork: linked\n");
}

// Truncation: the big file cut, then grown into a hole.
static void
step_truncate(void)
{
  at(path, "big", 0);
  expect(fs_truncate(server, path, BIG_CUT), 0, "truncate down");
  expect(fs_truncate(server, path, BIG_GROWN), 0, "truncate up");
  expect(file_matches(path, BIG_GROWN, BIG_CUT, BIG_SEED), 1, "cut file reads back");
  printf("fswork: truncated\n");
}

// Directory removal: only empty ones.
static void
step_rmdir(void)
{
  expect(fs_rmdir(server, at(path, "deep2", 0)), 0, "rmdir empty");
  expect(fs_rmdir(server, at(path, "sub", 0)), -ENOTEMPTY, "rmdir non-empty");
  expect(fs_rmdir(server, at(path, "f04", 0)), -ENOTDIR, "rmdir a file");
  expect(fs_mkdir(server, at(path, "gone", 0), 0755), 0, "mkdir gone");
  expect(fs_rmdir(server, path), 0, "rmdir gone");
  printf("fswork: removed directories\n");
}

int
main(int argc, char *argv[])
{
  if (argc < 2) {
    printf("usage: fswork SERVER [DIR]\n");
    return 2;
  }
  server = atol(argv[1]);
  top = argc > 2 ? argv[2] : "/work";
  step_dirs();
  step_small_files();
  step_big_file();
  step_appends();
  step_deletes();
  step_renames();
  step_links();
  step_truncate();
  step_rmdir();
  expect(fs_sync(server), 0, "sync");
  printf("fswork: %d checks, %d failed\n", checks, failures);
  return failures == 0 ? 0 : 1;
}
