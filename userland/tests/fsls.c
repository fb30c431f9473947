// fsls: list directories through the file server, one entry per line:
// its type (d directory, - file, l symbolic link), size, links and name.
//
//   fsls SERVER [PATH...]        (default: the root)
//
// SERVER is the file server's domain id (in a configuration: "@fsd").

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/fs.h>

static char entries[FS_IO_MAX];
static char path[FS_PATH_MAX + 1];

// The letter for the type in mode.
static char
type_letter(uint32_t mode)
{
  switch (mode & FS_S_IFMT) {
  case FS_S_IFDIR:
    return 'd';
  case FS_S_IFLNK:
    return 'l';
  case FS_S_IFREG:
    return '-';
  }
  return '?';
}

// Print one line for the file at p, shown as name.
static void
show(long server, const char *p, const char *name)
{
  struct fs_stat st;
  long err = fs_stat(server, p, &st);

  if (err < 0)
    printf("fsls: %s: %s\n", p, fs_errname(err));
  else
    printf("%c %8lu %2u %s\n", type_letter(st.mode), (unsigned long)st.size, st.links, name);
}

// List the directory dir (or show dir itself if it is not one). 0 or -errno.
static long
list(long server, const char *dir)
{
  long fd = fs_open(server, dir, FS_O_RDONLY | FS_O_DIRECTORY, 0);
  long n;

  if (fd == -ENOTDIR) {
    show(server, dir, dir);
    return 0;
  }
  if (fd < 0)
    return fd;
  while ((n = fs_readdir(server, fd, entries, sizeof(entries))) > 0) {
    for (long off = 0; off < n;) {
      struct fs_dirent *d = (struct fs_dirent *)(entries + off);

      snprintf(path, sizeof(path), "%s/%s", dir, d->name);
      show(server, path, d->name);
      off += d->reclen;
    }
  }
  fs_close(server, fd);
  return n;
}

int
main(int argc, char *argv[])
{
  long server, err;
  int status = 0;

  if (argc < 2) {
    printf("usage: fsls SERVER [PATH...]\n");
    return 2;
  }
  server = atol(argv[1]);
  for (int i = 2; i < argc || i == 2; i++) {
    const char *dir = i < argc ? argv[i] : "/";

    if (argc > 3)
      printf("%s:\n", dir);
    err = list(server, dir);
    if (err < 0) {
      printf("fsls: %s: %s\n", dir, fs_errname(err));
      status = 1;
    }
  }
  return status;
}
