// ls: list directories through the file service.
//
//   ls [-l] [-a] [PATH...]
//
// Names are listed one per line, sorted; "." and ".." only with -a. -l adds the type
// (d directory, - file, l link) and the size in bytes. A PATH that is a file is
// listed as itself. Without PATH, the current directory.

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <lamina/fs.h>
#include <lamina/path.h>
#include <lamina/proc.h>

#define NAME_MAX_LEN 256

static int long_format, show_all;

// One directory entry to print.
struct entry {
  char name[NAME_MAX_LEN];
  int type;  // FS_DT_*
};

// The letter -l shows for an inode's mode.
static char
type_letter(unsigned mode)
{
  if ((mode & FS_S_IFMT) == FS_S_IFDIR)
    return 'd';
  if ((mode & FS_S_IFMT) == FS_S_IFLNK)
    return 'l';
  return '-';
}

// Print one name (of the file at path), with its type and size under -l.
static void
print_entry(const char *name, const char *path)
{
  struct fs_stat st;
  long err;

  if (!long_format) {
    printf("%s\n", name);
    return;
  }
  err = fs_stat(proc_fsd(), path, &st);
  if (err < 0) {
    dprintf(2, "ls: %s: %s\n", path, strerror((int)-err));
    return;
  }
  printf("%c %8lu %s\n", type_letter(st.mode), (unsigned long)st.size, name);
}

// Order entries by name (insertion sort: directories are small).
static void
sort_entries(struct entry *e, long n)
{
  for (long i = 1; i < n; i++) {
    struct entry key = e[i];
    long j = i - 1;
    while (j >= 0 && strcmp(e[j].name, key.name) > 0) {
      e[j + 1] = e[j];
      j--;
    }
    e[j + 1] = key;
  }
}

// Read the entries of directory dir (an absolute path) into a malloc'd array; *count
// gets their number. 0 or -errno.
static long
read_dir(const char *dir, struct entry **out, long *count)
{
  static char buf[FS_IO_MAX];
  long fd = fs_open(proc_fsd(), dir, FS_O_RDONLY | FS_O_DIRECTORY, 0);
  struct entry *e = NULL;
  long n = 0, cap = 0, got;

  if (fd < 0)
    return fd;
  while ((got = fs_readdir(proc_fsd(), fd, buf, sizeof buf)) > 0) {
    for (long off = 0; off < got;) {
      struct fs_dirent *d = (struct fs_dirent *)(buf + off);
      off += d->reclen;
      if (!show_all && d->name[0] == '.')
        continue;
      if (n == cap) {
        cap = cap ? 2 * cap : 32;
        e = realloc(e, (size_t)cap * sizeof *e);
        if (e == NULL) {
          fs_close(proc_fsd(), fd);
          return -ENOMEM;
        }
      }
      strncpy(e[n].name, d->name, NAME_MAX_LEN - 1);
      e[n].name[NAME_MAX_LEN - 1] = '\0';
      e[n].type = d->type;
      n++;
    }
  }
  fs_close(proc_fsd(), fd);
  *out = e;
  *count = n;
  return got < 0 ? got : 0;
}

// List what path names: a directory's entries, or the file itself. 0 or -errno.
static long
list(const char *arg)
{
  char dir[1024], path[1024 + NAME_MAX_LEN];
  struct entry *e = NULL;
  struct fs_stat st;
  long n = 0, err;

  err = path_resolve(arg, dir, sizeof dir);
  if (err >= 0)
    err = fs_stat(proc_fsd(), dir, &st);
  if (err < 0)
    return err;
  if ((st.mode & FS_S_IFMT) != FS_S_IFDIR) {
    print_entry(arg, dir);
    return 0;
  }
  err = read_dir(dir, &e, &n);
  if (err == 0) {
    sort_entries(e, n);
    for (long i = 0; i < n; i++) {
      snprintf(path, sizeof path, "%s/%s", strcmp(dir, "/") == 0 ? "" : dir, e[i].name);
      print_entry(e[i].name, path);
    }
  }
  free(e);
  return err;
}

int
main(int argc, char *argv[])
{
  int status = 0, first, paths = 0;
  long err;

  argc = proc_args(argc, &argv);
  for (first = 1; first < argc && argv[first][0] == '-' && argv[first][1] != '\0'; first++) {
    for (char *c = argv[first] + 1; *c; c++) {
      if (*c == 'l')
        long_format = 1;
      else if (*c == 'a')
        show_all = 1;
      else {
        dprintf(2, "ls: unknown option -%c (usage: ls [-l] [-a] [PATH...])\n", *c);
        return 2;
      }
    }
  }
  for (int i = first; i < argc; i++, paths++) {
    if (argc - first > 1)
      printf("%s%s:\n", i > first ? "\n" : "", argv[i]);
    err = list(argv[i]);
    if (err < 0) {
      dprintf(2, "ls: %s: %s\n", argv[i], strerror((int)-err));
      status = 1;
    }
  }
  if (paths == 0 && (err = list(".")) < 0) {
    dprintf(2, "ls: .: %s\n", strerror((int)-err));
    status = 1;
  }
  return status;
}
