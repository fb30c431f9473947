// fd.c: file descriptors (see <unistd.h>, <fcntl.h>): small numbers naming the
// console or a file of the file service.
//
// A descriptor points at an open file; dup makes two descriptors share one (and so
// its offset). Descriptors 0, 1 and 2 start out naming the console. A pipe end is a
// shared page (pipe.c), which fork shares with the child. A file is open
// at the file server under this process's domain id, and the server's descriptors
// mean nothing to any other domain, a forked child included: so an open file keeps
// its path, flags and offset, and the first use in a child opens it again there and
// seeks to the offset. Parent and child then move their offsets separately (unlike
// Unix, where they share one). Once a program uses descriptors, printf's buffer
// goes out through descriptor 1 (stdout_write, console.c's console_output).
//
// The tables (fd.h) are ordinary data, so fork gives the child a copy; across an
// exec, and into a spawned child, they travel in a page of their own (fdsave.c).

#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <lamina/fs.h>
#include <lamina/path.h>
#include <lamina/pipe.h>
#include <lamina/proc.h>
#include <lamina/syscall.h>
#include "console.h"
#include "fd.h"

struct ofile ofiles[NFILE];
int fdtab[NOFILE];  // 1 + index into ofiles; 0: closed
static int fd_ready;
static int fd_inherited;  // whether the tables came from an exec or a spawning parent

static long stdout_write(const void *buf, unsigned long len);

// Set up the descriptors on first use: those an exec or a spawning parent left, or
// else 0, 1 and 2 on the console.
void
fd_init(void)
{
  if (fd_ready)
    return;
  fd_ready = 1;
  console_output = stdout_write;
  fd_inherited = fd_restore();
  if (fd_inherited)
    return;
  ofiles[0].type = OF_CONSOLE;
  ofiles[0].refs = 3;
  for (int fd = 0; fd < 3; fd++)
    fdtab[fd] = 1;
}

// The open file fd names, or NULL.
static struct ofile *
fd_lookup(int fd)
{
  fd_init();
  if (fd < 0 || fd >= NOFILE || fdtab[fd] == 0)
    return NULL;
  return &ofiles[fdtab[fd] - 1];
}

// The lowest closed descriptor from min, or -EMFILE.
static long
fd_free(int min)
{
  fd_init();
  for (int fd = min; fd < NOFILE; fd++)
    if (fdtab[fd] == 0)
      return fd;
  return -EMFILE;
}

// Make sure the server descriptor of file f is this process's, opening the file again
// (at its offset) in a forked child. 0 or -errno.
static long
file_own(struct ofile *f)
{
  long me = getpid();
  long sfd;

  if (f->owner == me)
    return 0;
  sfd = fs_open(proc_fsd(), f->path, f->flags & ~(O_CREAT | O_EXCL | O_TRUNC), 0);
  if (sfd < 0)
    return sfd;
  f->owner = me;
  f->sfd = sfd;
  return fs_seek(proc_fsd(), sfd, f->offset, SEEK_SET) < 0 ? -EIO : 0;
}

// A free open file, or NULL.
static struct ofile *
ofile_alloc(void)
{
  for (int i = 0; i < NFILE; i++) {
    if (ofiles[i].type == OF_FREE) {
      memset(&ofiles[i], 0, sizeof ofiles[i]);
      return &ofiles[i];
    }
  }
  return NULL;
}

// Open path on the file server; see <fcntl.h>.
long
open(const char *path, int flags, int perm)
{
  long fd = fd_free(0);
  char abs[FILE_PATH_MAX];
  struct ofile *f;
  long sfd;

  if (fd < 0)
    return fd;
  if (proc_fsd() == 0)
    return -ENODEV;
  sfd = path_resolve(path, abs, sizeof abs);  // relative to the current directory
  if (sfd < 0)
    return sfd;
  path = abs;
  sfd = fs_open(proc_fsd(), path, flags, perm);
  if (sfd < 0)
    return sfd;
  f = ofile_alloc();
  if (f == NULL) {
    fs_close(proc_fsd(), sfd);
    return -EMFILE;
  }
  f->type = OF_FILE;
  f->refs = 1;
  f->flags = flags;
  f->owner = getpid();
  f->sfd = sfd;
  strcpy(f->path, path);
  fdtab[fd] = (int)(f - ofiles) + 1;
  return fd;
}

// Read console input, waiting for it if none has come yet.
static long
console_read(void *buf, size_t n)
{
  long got;

  if (n == 0)
    return 0;
  for (;;) {
    got = sys_console_read(buf, n > CONSOLE_WRITE_MAX ? CONSOLE_WRITE_MAX : n);
    if (got != -EAGAIN)
      return got;
    proc_wait_notify(NOTIFY_CONSOLE);
  }
}

// Write to the console, after whatever printf has buffered.
static long
console_write(const void *buf, size_t n)
{
  size_t done = 0;
  long put;

  console_flush();
  while (done < n) {
    size_t chunk = n - done > CONSOLE_WRITE_MAX ? CONSOLE_WRITE_MAX : n - done;
    put = sys_console_write((const char *)buf + done, chunk);
    if (put < 0)
      return done > 0 ? (long)done : put;
    done += (size_t)put;
  }
  return (long)done;
}

// Where printf's buffer goes (console.c): descriptor 1, whatever it names now.
// The console directly, since console_write would flush that very buffer again.
static long
stdout_write(const void *buf, unsigned long len)
{
  struct ofile *f = fd_lookup(STDOUT_FILENO);

  if (f == NULL)
    return -EBADF;
  if (f->type == OF_CONSOLE)
    return sys_console_write(buf, len);
  return write(STDOUT_FILENO, buf, len);
}

// Read from fd; see <unistd.h>.
long
read(int fd, void *buf, size_t n)
{
  struct ofile *f = fd_lookup(fd);
  long got;

  if (f == NULL)
    return -EBADF;
  if (f->type == OF_CONSOLE)
    return console_read(buf, n);
  if (f->type == OF_PIPE)
    return f->end == 0 ? pipe_read(f->pipe, buf, n) : -EBADF;
  got = file_own(f);
  if (got < 0)
    return got;
  got = fs_read(proc_fsd(), f->sfd, buf, n);
  if (got > 0)
    f->offset += got;
  return got;
}

// Write to fd; see <unistd.h>.
long
write(int fd, const void *buf, size_t n)
{
  struct ofile *f = fd_lookup(fd);
  long put;

  if (f == NULL)
    return -EBADF;
  if (f->type == OF_CONSOLE)
    return console_write(buf, n);
  if (f->type == OF_PIPE)
    return f->end == 1 ? pipe_write(f->pipe, buf, n) : -EBADF;
  put = file_own(f);
  if (put < 0)
    return put;
  put = fs_write(proc_fsd(), f->sfd, buf, n);
  if (put > 0)
    f->offset += put;
  if (put > 0 && (f->flags & O_APPEND))
    f->offset = fs_seek(proc_fsd(), f->sfd, 0, SEEK_CUR);  // the end, wherever it was
  return put;
}

// Move fd's offset; see <unistd.h>.
long
lseek(int fd, long offset, int whence)
{
  struct ofile *f = fd_lookup(fd);
  long err;

  if (f == NULL)
    return -EBADF;
  if (f->type != OF_FILE)
    return -ESPIPE;
  err = file_own(f);
  if (err < 0)
    return err;
  err = fs_seek(proc_fsd(), f->sfd, offset, whence);
  if (err >= 0)
    f->offset = err;
  return err;
}

// Close fd; the open file goes with its last descriptor. See <unistd.h>.
long
close(int fd)
{
  struct ofile *f = fd_lookup(fd);

  if (f == NULL)
    return -EBADF;
  fdtab[fd] = 0;
  if (--f->refs > 0)
    return 0;
  if (f->type == OF_FILE && f->owner == getpid())
    fs_close(proc_fsd(), f->sfd);
  if (f->type == OF_PIPE)
    pipe_drop(f->pipe, f->end);
  f->type = OF_FREE;
  return 0;
}

// A second descriptor for fd's open file; see <unistd.h>.
long
dup(int fd)
{
  struct ofile *f = fd_lookup(fd);
  long nfd;

  if (f == NULL)
    return -EBADF;
  nfd = fd_free(0);
  if (nfd < 0)
    return nfd;
  fdtab[nfd] = fdtab[fd];
  f->refs++;
  return nfd;
}

// Make newfd name oldfd's open file; see <unistd.h>.
long
dup2(int oldfd, int newfd)
{
  struct ofile *f = fd_lookup(oldfd);

  if (f == NULL || newfd < 0 || newfd >= NOFILE)
    return -EBADF;
  if (newfd == oldfd)
    return newfd;
  if (fdtab[newfd] != 0)
    close(newfd);
  fdtab[newfd] = fdtab[oldfd];
  f->refs++;
  return newfd;
}

// A new descriptor naming end of pipe p, in an open file of its own. The
// descriptor or -errno.
static long
pipe_fd(struct pipe *p, int end)
{
  long fd = fd_free(0);
  struct ofile *f;

  if (fd < 0)
    return fd;
  f = ofile_alloc();
  if (f == NULL)
    return -EMFILE;
  f->type = OF_PIPE;
  f->refs = 1;
  f->pipe = p;
  f->end = end;
  fdtab[fd] = (int)(f - ofiles) + 1;
  return fd;
}

// A pipe: fds[0] reads what fds[1] writes. 0 or -errno. See <unistd.h>.
long
pipe(int fds[2])
{
  struct pipe *p = pipe_create();
  long rfd, wfd;

  if (p == NULL)
    return -ENOMEM;
  rfd = pipe_fd(p, 0);
  wfd = rfd < 0 ? rfd : pipe_fd(p, 1);
  if (wfd < 0) {
    if (rfd >= 0)
      close((int)rfd);
    else
      pipe_drop(p, 0);
    pipe_drop(p, 1);
    return wfd;
  }
  fds[0] = (int)rfd;
  fds[1] = (int)wfd;
  return 0;
}

// Let child hold the pipe ends this process holds (fork calls this before starting
// the child, whose descriptor tables are copies of these). 0 or -errno.
long
fd_fork(long child)
{
  int was_ready = fd_ready;
  long err;

  fd_init();
  // Tables inherited through an exec and not yet taken back when fork copied our
  // memory: the child's copy has none, so it gets them the way they came to us.
  err = !was_ready && fd_inherited ? fd_give(child) : 0;
  if (err == 0)
    err = pipe_fork(child);

  for (int i = 0; i < NFILE && err == 0; i++)
    if (ofiles[i].type == OF_PIPE)
      err = pipe_add_holder(ofiles[i].pipe, ofiles[i].end, child);
  return err;
}
