// fsclient.c: the file service's client library (see <lamina/fs.h>).
//
// Every request travels as one ipc_call with the request in the message words and,
// when it names a path or moves data, this library's page: paths are written into it
// before the call, data is copied in or out of it around the call. The server maps
// the page for the length of the request, so the caller's own buffers are never
// shown to it.

#include <string.h>
#include <lamina/fs.h>
#include <lamina/ipc.h>
#include <lamina/syscall.h>

// The page shared with the server during a request.
static char page[PAGE_SIZE] __attribute__((aligned(PAGE_SIZE)));

// Send request code with arguments a, b, c (and the page, if with_page) to server and
// wait for the answer. Returns the server's result or -errno; a busy server's -EAGAIN
// is retried after a yield.
static long
call(long server, unsigned long code, unsigned long a, unsigned long b, unsigned long c, int with_page)
{
  const unsigned long w[4] = {code, a, b, c};
  struct ipc_msg msg;
  long err = ipc_request(server, w, with_page ? page : NULL, -EAGAIN, &msg);

  return err < 0 ? err : (long)msg.w[0];
}

// Put path into the page at byte at. 0 or -ENAMETOOLONG.
static long
put_path(unsigned long at, const char *path)
{
  size_t len = strnlen(path, FS_PATH_MAX + 1);

  if (len > FS_PATH_MAX)
    return -ENAMETOOLONG;
  memcpy(page + at, path, len + 1);
  return 0;
}

// A request naming one path, with arguments a and b.
static long
call_path(long server, unsigned long code, const char *path, unsigned long a, unsigned long b)
{
  long err = put_path(FS_PAGE_PATH1, path);

  return err < 0 ? err : call(server, code, a, b, 0, 1);
}

// A request naming two paths.
static long
call_paths(long server, unsigned long code, const char *old, const char *new)
{
  long err = put_path(FS_PAGE_PATH1, old);

  if (err == 0)
    err = put_path(FS_PAGE_PATH2, new);
  return err < 0 ? err : call(server, code, 0, 0, 0, 1);
}

// Open path; see <lamina/fs.h>.
long
fs_open(long server, const char *path, int flags, int perm)
{
  return call_path(server, FS_OPEN, path, (unsigned long)flags, (unsigned long)perm);
}

// Close fd; see <lamina/fs.h>.
long
fs_close(long server, long fd)
{
  return call(server, FS_CLOSE, (unsigned long)fd, 0, 0, 0);
}

// Read from fd, a page per request; see <lamina/fs.h>.
long
fs_read(long server, long fd, void *buf, size_t n)
{
  size_t done = 0;

  while (done < n) {
    size_t chunk = n - done < FS_IO_MAX ? n - done : FS_IO_MAX;
    long got = call(server, FS_READ, (unsigned long)fd, chunk, 0, 1);

    if (got < 0)
      return done > 0 ? (long)done : got;
    if ((size_t)got > chunk)
      return -EIO;  // a server that says so is broken: do not copy past the page
    memcpy((char *)buf + done, page, (size_t)got);
    done += (size_t)got;
    if ((size_t)got < chunk)
      break;  // the end of the file
  }
  return (long)done;
}

// Read from fd at offset, a page per request, leaving its offset alone; see <lamina/fs.h>.
long
fs_pread(long server, long fd, void *buf, size_t n, unsigned long offset)
{
  size_t done = 0;

  while (done < n) {
    size_t chunk = n - done < FS_IO_MAX ? n - done : FS_IO_MAX;
    long got = call(server, FS_PREAD, (unsigned long)fd, chunk, offset + done, 1);

    if (got < 0)
      return done > 0 ? (long)done : got;
    if ((size_t)got > chunk)
      return -EIO;  // a server that says so is broken: do not copy past the page
    memcpy((char *)buf + done, page, (size_t)got);
    done += (size_t)got;
    if ((size_t)got < chunk)
      break;  // the end of the file
  }
  return (long)done;
}

// Write to fd, a page per request; see <lamina/fs.h>.
long
fs_write(long server, long fd, const void *buf, size_t n)
{
  size_t done = 0;

  while (done < n) {
    size_t chunk = n - done < FS_IO_MAX ? n - done : FS_IO_MAX;
    long put;

    memcpy(page, (const char *)buf + done, chunk);
    put = call(server, FS_WRITE, (unsigned long)fd, chunk, 0, 1);
    if (put < 0)
      return done > 0 ? (long)done : put;
    if ((size_t)put > chunk)
      return -EIO;
    done += (size_t)put;
    if ((size_t)put < chunk)
      break;  // the disk is full
  }
  return (long)done;
}

// Move fd's offset; see <lamina/fs.h>.
long
fs_seek(long server, long fd, long offset, int whence)
{
  return call(server, FS_SEEK, (unsigned long)fd, (unsigned long)offset, (unsigned long)whence, 0);
}

// Facts about path; see <lamina/fs.h>.
long
fs_stat(long server, const char *path, struct fs_stat *st)
{
  long err = call_path(server, FS_STAT, path, 0, 0);

  if (err == 0)
    memcpy(st, page, sizeof(*st));
  return err;
}

// Facts about fd; see <lamina/fs.h>.
long
fs_fstat(long server, long fd, struct fs_stat *st)
{
  long err = call(server, FS_FSTAT, (unsigned long)fd, 0, 0, 1);

  if (err == 0)
    memcpy(st, page, sizeof(*st));
  return err;
}

// The next entries of directory fd; see <lamina/fs.h>.
long
fs_readdir(long server, long fd, void *buf, size_t len)
{
  long n = call(server, FS_READDIR, (unsigned long)fd, 0, 0, 1);

  if (n < 0)
    return n;
  if (n > PAGE_SIZE)
    return -EIO;
  if ((size_t)n > len)
    return -ERANGE;
  memcpy(buf, page, (size_t)n);
  return n;
}

// Make a directory; see <lamina/fs.h>.
long
fs_mkdir(long server, const char *path, int perm)
{
  return call_path(server, FS_MKDIR, path, (unsigned long)perm, 0);
}

// Remove a name; see <lamina/fs.h>.
long
fs_unlink(long server, const char *path)
{
  return call_path(server, FS_UNLINK, path, 0, 0);
}

// Remove an empty directory; see <lamina/fs.h>.
long
fs_rmdir(long server, const char *path)
{
  return call_path(server, FS_RMDIR, path, 0, 0);
}

// Move old to new; see <lamina/fs.h>.
long
fs_rename(long server, const char *old, const char *new)
{
  return call_paths(server, FS_RENAME, old, new);
}

// Give old the name new too; see <lamina/fs.h>.
long
fs_link(long server, const char *old, const char *new)
{
  return call_paths(server, FS_LINK, old, new);
}

// Set the size of path; see <lamina/fs.h>.
long
fs_truncate(long server, const char *path, unsigned long size)
{
  return call_path(server, FS_TRUNCATE, path, size, 0);
}

// Set the size of fd; see <lamina/fs.h>.
long
fs_ftruncate(long server, long fd, unsigned long size)
{
  return call(server, FS_FTRUNCATE, (unsigned long)fd, size, 0, 0);
}

// Write every change back; see <lamina/fs.h>.
long
fs_sync(long server)
{
  return call(server, FS_SYNC, 0, 0, 0, 0);
}

// The file system's sizes; see <lamina/fs.h>.
long
fs_statfs(long server, struct fs_statfs *st)
{
  long err = call(server, FS_STATFS, 0, 0, 0, 1);

  if (err == 0)
    memcpy(st, page, sizeof(*st));
  return err;
}

// Sync and end the server; see <lamina/fs.h>.
long
fs_shutdown(long server)
{
  return call(server, FS_SHUTDOWN, 0, 0, 0, 0);
}

// The names of the errors the file service returns, by number.
static const struct {
  long err;
  const char *name;
} errnames[] = {
  {EPERM, "EPERM"}, {ENOENT, "ENOENT"}, {ESRCH, "ESRCH"}, {EIO, "EIO"}, {EBADF, "EBADF"},
  {EAGAIN, "EAGAIN"}, {ENOMEM, "ENOMEM"}, {EFAULT, "EFAULT"}, {EBUSY, "EBUSY"},
  {EEXIST, "EEXIST"}, {ENODEV, "ENODEV"}, {ENOTDIR, "ENOTDIR"}, {EISDIR, "EISDIR"},
  {EINVAL, "EINVAL"}, {ENFILE, "ENFILE"}, {EMFILE, "EMFILE"}, {ENOSPC, "ENOSPC"}, {ERANGE, "ERANGE"},
  {ENAMETOOLONG, "ENAMETOOLONG"}, {ENOSYS, "ENOSYS"}, {ENOTEMPTY, "ENOTEMPTY"},
};

// What -err means, for a person; see <lamina/fs.h>.
const char *
fs_strerror(long err)
{
  return err == -ESRCH ? "the file server is not running" : strerror((int)-err);
}

// The name of error -err; see <lamina/fs.h>.
const char *
fs_errname(long err)
{
  for (size_t i = 0; i < sizeof(errnames) / sizeof(errnames[0]); i++) {
    if (errnames[i].err == -err)
      return errnames[i].name;
  }
  return "E?";
}
