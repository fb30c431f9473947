// find: list the paths under a directory, or those whose last name is NAME.
//
//   find [PATH] [-name NAME]      (PATH defaults to ".")
//
// Walks the tree depth first, each directory's entries in the order the directory
// holds them ("." and ".." skipped), printing a path per line as PATH followed by the
// names on the way, e.g. "a/b/f". With -name, only paths whose last name is NAME
// (an exact match, no wildcards). Lab util has students write the walk.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/fs.h>
#include <lamina/path.h>
#include <lamina/proc.h>

#define PATH_MAX_LEN 1024

static const char *wanted;  // -name's NAME, or NULL for every path

// Print path if it is one find should show.
static void
consider(const char *path, const char *name)
{
  if (wanted == NULL || strcmp(name, wanted) == 0)
    printf("%s\n", path);
}

// Walk the directory shown as `shown` (absolute path `dir`): consider each entry and
// go down into each subdirectory. 0 or -errno.
static long
walk(const char *shown, const char *dir)
{
  /* BEGIN LAB util: (void)consider; return -ENOSYS; */
  static char buf[FS_IO_MAX];
  char *names = NULL;  // the directory's names, each NUL-ended, read before descending
  long fd, got, len = 0, err = 0;

  fd = fs_open(proc_fsd(), dir, FS_O_RDONLY | FS_O_DIRECTORY, 0);
  if (fd < 0)
    return fd;
  while ((got = fs_readdir(proc_fsd(), fd, buf, sizeof buf)) > 0) {
    for (long off = 0; off < got;) {
      struct fs_dirent *d = (struct fs_dirent *)(buf + off);
      size_t n = strlen(d->name) + 1;
      off += d->reclen;
      if (strcmp(d->name, ".") == 0 || strcmp(d->name, "..") == 0)
        continue;
      names = realloc(names, (size_t)len + n);
      memcpy(names + len, d->name, n);
      len += (long)n;
    }
  }
  fs_close(proc_fsd(), fd);
  for (long at = 0; at < len && err == 0; at += (long)strlen(names + at) + 1) {
    char path[PATH_MAX_LEN], full[PATH_MAX_LEN];
    struct fs_stat st;
    const char *name = names + at;

    snprintf(path, sizeof path, "%s/%s", shown, name);
    snprintf(full, sizeof full, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, name);
    consider(path, name);
    if (fs_stat(proc_fsd(), full, &st) == 0 && (st.mode & FS_S_IFMT) == FS_S_IFDIR)
      err = walk(path, full);
  }
  free(names);
  return got < 0 ? got : err;
  /* END LAB util */
}

int
main(int argc, char *argv[])
{
  const char *start = ".";
  char dir[PATH_MAX_LEN];
  long err;

  argc = proc_args(argc, &argv);
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "-name") == 0 && i + 1 < argc)
      wanted = argv[++i];
    else if (argv[i][0] != '-')
      start = argv[i];
    else {
      dprintf(2, "find: usage: find [PATH] [-name NAME]\n");
      return 2;
    }
  }
  err = path_resolve(start, dir, sizeof dir);
  if (err >= 0)
    err = walk(start, dir);
  if (err < 0) {
    dprintf(2, "find: %s: %s\n", start, strerror((int)-err));
    return 1;
  }
  return 0;
}
