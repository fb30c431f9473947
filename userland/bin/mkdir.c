// mkdir: make directories through the file service.
//
//   mkdir [-p] DIR...
//
// -p makes the missing parents too and is quiet about directories that exist.

#include <stdio.h>
#include <string.h>
#include <lamina/fs.h>
#include <lamina/path.h>
#include <lamina/proc.h>

#define PATH_LEN 1024

// Make directory path (absolute); with parents, make the missing ones above it
// first and accept one that exists. 0 or -errno.
static long
make(char *path, int parents)
{
  long err;

  if (parents) {
    for (char *slash = strchr(path + 1, '/'); slash; slash = strchr(slash + 1, '/')) {
      *slash = '\0';
      err = fs_mkdir(proc_fsd(), path, 0755);
      *slash = '/';
      if (err < 0 && err != -EEXIST)
        return err;
    }
  }
  err = fs_mkdir(proc_fsd(), path, 0755);
  if (err == -EEXIST && parents) {
    struct fs_stat st;
    if (fs_stat(proc_fsd(), path, &st) == 0 && (st.mode & FS_S_IFMT) == FS_S_IFDIR)
      return 0;
  }
  return err;
}

int
main(int argc, char *argv[])
{
  char path[PATH_LEN];
  int parents = 0, status = 0, first = 1;
  long err;

  argc = proc_args(argc, &argv);
  if (argc > 1 && strcmp(argv[1], "-p") == 0) {
    parents = 1;
    first = 2;
  }
  if (first >= argc) {
    dprintf(2, "usage: mkdir [-p] DIR...\n");
    return 2;
  }
  for (int i = first; i < argc; i++) {
    err = path_resolve(argv[i], path, sizeof path);
    if (err >= 0)
      err = make(path, parents);
    if (err < 0) {
      dprintf(2, "mkdir: %s: %s\n", argv[i], strerror((int)-err));
      status = 1;
    }
  }
  return status;
}
