// cwd.c: the current directory (see <lamina/path.h>, chdir and getcwd in <unistd.h>).
//
// The current directory is a path kept in the process record, so that fork copies it
// and exec keeps it. Lamina has no symbolic links, so ".." can be taken lexically:
// "/a/b/.." is "/a" without asking the file server.

#include <string.h>
#include <unistd.h>
#include <lamina/fs.h>
#include <lamina/path.h>
#include <lamina/proc.h>

// The current directory: "/" until chdir says otherwise.
static const char *
cwd(void)
{
  struct proc_info *p = proc_info();

  return p && p->cwd[0] == '/' ? p->cwd : "/";
}

// Append the components of path to out (holding len bytes of an absolute path),
// dropping "." and taking ".." back one component. The new length or -ENAMETOOLONG.
static long
append_components(char *out, size_t len, size_t n, const char *path)
{
  while (*path) {
    const char *end = path;
    size_t clen;

    while (*end && *end != '/')
      end++;
    clen = (size_t)(end - path);
    if (clen == 2 && path[0] == '.' && path[1] == '.') {
      while (len > 0 && out[len - 1] != '/')
        len--;
      if (len > 1)
        len--;  // the slash before the component, except the root's
    } else if (clen > 0 && !(clen == 1 && path[0] == '.')) {
      if (len + 1 + clen + 1 > n)
        return -ENAMETOOLONG;
      if (len > 1)
        out[len++] = '/';
      memcpy(out + len, path, clen);
      len += clen;
    }
    path = *end ? end + 1 : end;
  }
  out[len] = '\0';
  return (long)len;
}

// path as an absolute, tidy path; see <lamina/path.h>.
long
path_resolve(const char *path, char *out, size_t n)
{
  long len;

  if (path == NULL || path[0] == '\0')
    return -ENOENT;
  if (n < 2)
    return -ENAMETOOLONG;
  out[0] = '/';
  out[1] = '\0';
  len = 1;
  if (path[0] != '/')
    len = append_components(out, 1, n, cwd());
  if (len < 0)
    return len;
  return append_components(out, (size_t)len, n, path);
}

// Make path the current directory. 0 or -errno (-ENOTDIR if it is not a directory).
long
chdir(const char *path)
{
  struct proc_info *p = proc_info();
  char abs[PROC_CWD_MAX];
  struct fs_stat st;
  long err = path_resolve(path, abs, sizeof abs);

  if (err < 0)
    return err;
  if (p == NULL)
    return -ENOMEM;
  err = fs_stat(proc_fsd(), abs, &st);
  if (err < 0)
    return err;
  if ((st.mode & FS_S_IFMT) != FS_S_IFDIR)
    return -ENOTDIR;
  strcpy(p->cwd, abs);
  return 0;
}

// Copy the current directory into buf (n bytes). Its length or -ERANGE.
long
getcwd(char *buf, size_t n)
{
  const char *dir = cwd();
  size_t len = strlen(dir);

  if (len + 1 > n)
    return -ERANGE;
  memcpy(buf, dir, len + 1);
  return (long)len;
}
