// rm: remove files (and, with -r, directories with everything in them) through the
// file service.
//
//   rm [-r] [-f] PATH...
//
// -f: say nothing about paths that do not exist. Without -r a directory is refused.

#include <stdio.h>
#include <string.h>
#include <lamina/fs.h>
#include <lamina/path.h>
#include <lamina/proc.h>

#define PATH_LEN 1024

static int recursive, force;

static long remove_path(const char *path);

// The first entry of directory dir other than "." and "..", written to name
// (len bytes); 1 if there is one, 0 if the directory is empty, or -errno.
static long
first_entry(const char *dir, char *name, size_t len)
{
  static char buf[FS_IO_MAX];
  long fd = fs_open(proc_fsd(), dir, FS_O_RDONLY | FS_O_DIRECTORY, 0);
  long got, found = 0;

  if (fd < 0)
    return fd;
  while (!found && (got = fs_readdir(proc_fsd(), fd, buf, sizeof buf)) > 0) {
    for (long off = 0; off < got && !found;) {
      struct fs_dirent *d = (struct fs_dirent *)(buf + off);
      off += d->reclen;
      if (strcmp(d->name, ".") != 0 && strcmp(d->name, "..") != 0) {
        snprintf(name, len, "%s", d->name);
        found = 1;
      }
    }
  }
  fs_close(proc_fsd(), fd);
  return found ? 1 : got;
}

// Remove directory dir after everything in it, entry by entry. 0 or -errno.
static long
remove_tree(const char *dir)
{
  char name[256], child[PATH_LEN];
  long r;

  // Removing entries changes the directory, so read it again from the start each time.
  while ((r = first_entry(dir, name, sizeof name)) == 1) {
    if (snprintf(child, sizeof child, "%s/%s", dir, name) >= (int)sizeof child)
      return -ENAMETOOLONG;
    r = remove_path(child);
    if (r < 0)
      return r;
  }
  return r < 0 ? r : fs_rmdir(proc_fsd(), dir);
}

// Remove the file or (with -r) directory at absolute path. 0 or -errno.
static long
remove_path(const char *path)
{
  struct fs_stat st;
  long err = fs_stat(proc_fsd(), path, &st);

  if (err < 0)
    return err;
  if ((st.mode & FS_S_IFMT) != FS_S_IFDIR)
    return fs_unlink(proc_fsd(), path);
  if (!recursive)
    return -EISDIR;
  return remove_tree(path);
}

int
main(int argc, char *argv[])
{
  char path[PATH_LEN];
  int status = 0, first;
  long err;

  argc = proc_args(argc, &argv);
  for (first = 1; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
    for (char *o = argv[first] + 1; *o; o++) {
      if (*o == 'r')
        recursive = 1;
      else if (*o == 'f')
        force = 1;
      else {
        dprintf(2, "rm: unknown option -%c (usage: rm [-r] [-f] PATH...)\n", *o);
        return 2;
      }
    }
  }
  if (first >= argc && !force) {
    dprintf(2, "usage: rm [-r] [-f] PATH...\n");
    return 2;
  }
  for (int i = first; i < argc; i++) {
    err = path_resolve(argv[i], path, sizeof path);
    if (err >= 0 && strcmp(path, "/") == 0)
      err = -EBUSY;  // never the root
    if (err >= 0)
      err = remove_path(path);
    if (err == -ENOENT && force)
      continue;
    if (err < 0) {
      dprintf(2, "rm: %s: %s\n", argv[i], strerror((int)-err));
      status = 1;
    }
  }
  return status;
}
