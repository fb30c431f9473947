// mv: rename a file or directory through the file service.
//
//   mv SOURCE DEST
//   mv SOURCE... DIR
//
// A DEST that is a directory receives SOURCE under its own name; a file at DEST is
// replaced.

#include <stdio.h>
#include <string.h>
#include <lamina/fs.h>
#include <lamina/path.h>
#include <lamina/proc.h>

#define PATH_LEN 1024

// Whether the absolute path names a directory.
static int
is_dir(const char *path)
{
  struct fs_stat st;

  return fs_stat(proc_fsd(), path, &st) == 0 && (st.mode & FS_S_IFMT) == FS_S_IFDIR;
}

// Move source to dest (both as given), into dest if it is a directory. 0 or -errno.
static long
move(const char *source, const char *dest)
{
  char from[PATH_LEN], to[PATH_LEN];
  long err = path_resolve(source, from, sizeof from);

  if (err >= 0)
    err = path_resolve(dest, to, sizeof to);
  if (err < 0)
    return err;
  if (is_dir(to)) {
    const char *base = strrchr(from, '/') + 1;
    size_t len = strlen(to);
    if (len + 1 + strlen(base) + 1 > sizeof to)
      return -ENAMETOOLONG;
    snprintf(to + len, sizeof to - len, "%s%s", len > 1 ? "/" : "", base);
  }
  if (strcmp(from, "/") == 0)
    return -EBUSY;
  return fs_rename(proc_fsd(), from, to);
}

int
main(int argc, char *argv[])
{
  int status = 0;
  long err;

  argc = proc_args(argc, &argv);
  if (argc < 3) {
    dprintf(2, "usage: mv SOURCE DEST, or mv SOURCE... DIR\n");
    return 2;
  }
  if (argc > 3) {
    char dir[PATH_LEN];
    err = path_resolve(argv[argc - 1], dir, sizeof dir);
    if (err < 0 || !is_dir(dir)) {
      dprintf(2, "mv: %s: not a directory\n", argv[argc - 1]);
      return 1;
    }
  }
  for (int i = 1; i < argc - 1; i++) {
    err = move(argv[i], argv[argc - 1]);
    if (err < 0) {
      dprintf(2, "mv: %s: %s\n", argv[i], strerror((int)-err));
      status = 1;
    }
  }
  return status;
}
