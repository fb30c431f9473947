// fsserver.c: the file service's requests (<lamina/fsproto.h>) carried out on an
// ext2 file system, with a descriptor table per client (fsserver_clients.c; see
// <lamina/fsserver.h>).
//
// Nothing a client sends is trusted: descriptors are checked against the sender's own
// table, counts and offsets against their limits, paths are copied out of the shared
// page (so the client cannot change them half way) and must end inside their half
// of the page, and the page is written only if the client gave the right to.

#include <stdlib.h>
#include <string.h>
#include <lamina/fsserver.h>

// Copy the path at byte `at` of the request's page into out. 0, -EFAULT if there
// is no page, -ENAMETOOLONG if it does not end in time, or -ENOENT if it is empty.
static long
get_path(const struct fs_request *req, uint32_t at, char *out)
{
  const uint8_t *p;
  const uint8_t *nul;

  if (req->page == NULL)
    return -EFAULT;
  p = req->page + at;
  memcpy(out, p, FS_PATH_MAX + 1);  // a private copy: the client shares the page
  nul = memchr(out, '\0', FS_PATH_MAX + 1);
  if (nul == NULL)
    return -ENAMETOOLONG;
  return out[0] == '\0' ? -ENOENT : 0;
}

// The page to write results into, or NULL if the client gave none it lets us write.
static uint8_t *
out_page(const struct fs_request *req)
{
  return req->page != NULL && req->page_writable ? req->page : NULL;
}

// Find or create the file an FS_OPEN asks for, in *ino. 0 or -errno.
static long
open_inode(struct fs_server *srv, unsigned long flags, uint32_t perm, uint32_t *ino)
{
  long err = ext2_lookup(srv->fs, srv->path1, ino);

  if (err == 0 && (flags & FS_O_CREAT) && (flags & FS_O_EXCL))
    return -EEXIST;
  if (err == -ENOENT && (flags & FS_O_CREAT)) {
    srv->dirty = 1;
    return ext2_create(srv->fs, srv->path1, perm, ino);
  }
  return err;
}

// Open the file of an FS_OPEN (path already in srv->path1) as the server's
// inode; its facts go to *st. 0 or -errno.
static long
open_file(struct fs_server *srv, const struct fs_request *req, uint32_t *ino, struct ext2_stat *st)
{
  unsigned long flags = req->w[1];
  unsigned long access = flags & FS_O_ACCMODE;
  long err;

  err = open_inode(srv, flags, (uint32_t)req->w[2] & 07777, ino);
  if (err == 0)
    err = ext2_stat(srv->fs, *ino, st);
  if (err < 0)
    return err;
  if ((st->mode & FS_S_IFMT) == FS_S_IFDIR && access != FS_O_RDONLY)
    return -EISDIR;
  if ((st->mode & FS_S_IFMT) != FS_S_IFDIR && (flags & FS_O_DIRECTORY))
    return -ENOTDIR;
  if ((flags & FS_O_TRUNC) && access != FS_O_RDONLY && st->size > 0) {
    srv->dirty = 1;
    err = ext2_truncate(srv->fs, *ino, 0);
    st->size = 0;
  }
  if (err == 0)
    err = ext2_open(srv->fs, *ino);
  return err;
}

// FS_OPEN: w1 = flags, w2 = permission bits for a new file; path in the page.
// Returns the descriptor; *size is the file's size.
static long
do_open(struct fs_server *srv, const struct fs_request *req, unsigned long *size)
{
  struct ext2_stat st;
  struct fs_client *c;
  uint32_t ino;
  long fd, err;

  if ((req->w[1] & FS_O_ACCMODE) == FS_O_ACCMODE)
    return -EINVAL;
  err = get_path(req, FS_PAGE_PATH1, srv->path1);
  if (err == 0)
    err = fs_fd_alloc(srv, req, &c, &fd);
  if (err < 0)
    return err;
  err = open_file(srv, req, &ino, &st);
  if (err < 0) {
    if (c->nopen == 0)
      c->id = 0;  // the client slot fd_alloc took is not needed after all
    return err;
  }
  c->fds[fd].used = 1;
  c->fds[fd].ino = ino;
  c->fds[fd].flags = (uint32_t)req->w[1];
  c->fds[fd].offset = 0;
  c->nopen++;
  *size = st.size;
  return fd;
}

// FS_CLOSE: w1 = fd. The client's slot is freed with its last descriptor.
static long
do_close(struct fs_server *srv, const struct fs_request *req)
{
  struct fs_open_file *f = fs_file_of(srv, req, req->w[1]);
  struct fs_client *c = fs_client_find(srv, req->client);

  if (f == NULL)
    return -EBADF;
  f->used = 0;
  if (--c->nopen == 0)
    c->id = 0;
  return ext2_close(srv->fs, f->ino);
}

// FS_READ: w1 = fd, w2 = count; the bytes go to the page.
static long
do_read(struct fs_server *srv, const struct fs_request *req)
{
  struct fs_open_file *f = fs_file_of(srv, req, req->w[1]);
  uint8_t *page = out_page(req);
  long n;

  if (f == NULL || (f->flags & FS_O_ACCMODE) == FS_O_WRONLY)
    return -EBADF;
  if (req->w[2] > FS_IO_MAX)
    return -EINVAL;
  if (page == NULL)
    return -EFAULT;
  n = ext2_read(srv->fs, f->ino, f->offset, page, req->w[2]);
  if (n > 0)
    f->offset += n;
  return n;
}

// FS_PREAD: w1 = fd, w2 = count, w3 = offset; the bytes go into the page, and the
// descriptor's offset stays where it was. One request where a seek and a read took two.
static long
do_pread(struct fs_server *srv, const struct fs_request *req)
{
  struct fs_open_file *f = fs_file_of(srv, req, req->w[1]);
  uint8_t *page = out_page(req);

  if (f == NULL || (f->flags & FS_O_ACCMODE) == FS_O_WRONLY)
    return -EBADF;
  if (req->w[2] > FS_IO_MAX || (long)req->w[3] < 0)
    return -EINVAL;
  if (page == NULL)
    return -EFAULT;
  return ext2_read(srv->fs, f->ino, req->w[3], page, req->w[2]);
}

// FS_WRITE: w1 = fd, w2 = count; the bytes come from the page.
static long
do_write(struct fs_server *srv, const struct fs_request *req)
{
  struct fs_open_file *f = fs_file_of(srv, req, req->w[1]);
  struct ext2_stat st;
  long n;

  if (f == NULL || (f->flags & FS_O_ACCMODE) == FS_O_RDONLY)
    return -EBADF;
  if (req->w[2] > FS_IO_MAX)
    return -EINVAL;
  if (req->page == NULL)
    return -EFAULT;
  if (f->flags & FS_O_APPEND) {
    n = ext2_stat(srv->fs, f->ino, &st);
    if (n < 0)
      return n;
    f->offset = st.size;
  }
  srv->dirty = 1;
  n = ext2_write(srv->fs, f->ino, f->offset, req->page, req->w[2]);
  if (n > 0)
    f->offset += n;
  return n;
}

// FS_SEEK: w1 = fd, w2 = offset (signed), w3 = whence. Returns the new offset.
static long
do_seek(struct fs_server *srv, const struct fs_request *req)
{
  struct fs_open_file *f = fs_file_of(srv, req, req->w[1]);
  long offset = (long)req->w[2];
  struct ext2_stat st;
  long base, err;

  if (f == NULL)
    return -EBADF;
  if (req->w[3] == FS_SEEK_SET) {
    base = 0;
  } else if (req->w[3] == FS_SEEK_CUR) {
    base = (long)f->offset;
  } else if (req->w[3] == FS_SEEK_END) {
    err = ext2_stat(srv->fs, f->ino, &st);
    if (err < 0)
      return err;
    base = (long)st.size;
  } else {
    return -EINVAL;
  }
  if ((offset < 0 && base + offset < 0) || (offset > 0 && offset > 0x7fffffffL - base))
    return -EINVAL;
  f->offset = (uint64_t)(base + offset);
  return base + offset;
}

// Write the facts of inode ino into the page as a struct fs_stat. 0 or -errno.
static long
put_stat(struct fs_server *srv, const struct fs_request *req, uint32_t ino)
{
  uint8_t *page = out_page(req);
  struct ext2_stat st;
  struct fs_stat out;
  long err;

  if (page == NULL)
    return -EFAULT;
  err = ext2_stat(srv->fs, ino, &st);
  if (err < 0)
    return err;
  out.size = st.size;
  out.ino = st.ino;
  out.mode = st.mode;
  out.links = st.links;
  out.blocks = st.blocks;
  out.mtime = st.mtime;
  out.pad = 0;
  memcpy(page, &out, sizeof(out));
  return 0;
}

// FS_STAT: path in the page; FS_FSTAT: w1 = fd. A struct fs_stat goes to the page.
static long
do_stat(struct fs_server *srv, const struct fs_request *req)
{
  struct fs_open_file *f;
  uint32_t ino;
  long err;

  if (req->w[0] == FS_FSTAT) {
    f = fs_file_of(srv, req, req->w[1]);
    if (f == NULL)
      return -EBADF;
    return put_stat(srv, req, f->ino);
  }
  err = get_path(req, FS_PAGE_PATH1, srv->path1);
  if (err == 0)
    err = ext2_lookup(srv->fs, srv->path1, &ino);
  if (err < 0)
    return err;
  return put_stat(srv, req, ino);
}

// FS_READDIR: w1 = fd of a directory. Fills the page with struct fs_dirent records
// and returns their total size (0 at the end).
static long
do_readdir(struct fs_server *srv, const struct fs_request *req)
{
  struct fs_open_file *f = fs_file_of(srv, req, req->w[1]);
  uint8_t *page = out_page(req);
  struct ext2_dirent ent;
  uint32_t used = 0;

  if (f == NULL)
    return -EBADF;
  if (page == NULL)
    return -EFAULT;
  for (;;) {
    uint64_t before = f->offset;
    long n = ext2_readdir(srv->fs, f->ino, &f->offset, &ent);
    uint32_t reclen;
    struct fs_dirent *d;

    if (n <= 0)
      return used > 0 ? used : n;
    reclen = (sizeof(struct fs_dirent) + ent.name_len + 1 + 7) & ~7u;
    if (used + reclen > PAGE_SIZE) {
      f->offset = before;  // no room: this entry comes first next time
      return used;
    }
    d = (struct fs_dirent *)(page + used);
    d->ino = ent.ino;
    d->reclen = (uint16_t)reclen;
    d->type = ent.type;
    d->name_len = ent.name_len;
    memcpy(d->name, ent.name, ent.name_len + 1);
    used += reclen;
  }
}

// The requests that take paths and change names: FS_MKDIR, FS_UNLINK, FS_RMDIR,
// FS_RENAME, FS_LINK, FS_TRUNCATE.
static long
do_names(struct fs_server *srv, const struct fs_request *req)
{
  unsigned long code = req->w[0];
  uint32_t ino;
  long err;

  err = get_path(req, FS_PAGE_PATH1, srv->path1);
  if (err == 0 && (code == FS_RENAME || code == FS_LINK))
    err = get_path(req, FS_PAGE_PATH2, srv->path2);
  if (err < 0)
    return err;
  srv->dirty = 1;
  switch (code) {
  case FS_MKDIR:
    return ext2_mkdir(srv->fs, srv->path1, (uint32_t)req->w[1] & 07777);
  case FS_UNLINK:
    return ext2_unlink(srv->fs, srv->path1);
  case FS_RMDIR:
    return ext2_rmdir(srv->fs, srv->path1);
  case FS_RENAME:
    return ext2_rename(srv->fs, srv->path1, srv->path2);
  case FS_LINK:
    return ext2_link(srv->fs, srv->path1, srv->path2);
  }
  err = ext2_lookup(srv->fs, srv->path1, &ino);  // FS_TRUNCATE
  if (err < 0)
    return err;
  return ext2_truncate(srv->fs, ino, req->w[1]);
}

// FS_FTRUNCATE: w1 = fd (open for writing), w2 = size.
static long
do_ftruncate(struct fs_server *srv, const struct fs_request *req)
{
  struct fs_open_file *f = fs_file_of(srv, req, req->w[1]);

  if (f == NULL || (f->flags & FS_O_ACCMODE) == FS_O_RDONLY)
    return -EBADF;
  srv->dirty = 1;
  return ext2_truncate(srv->fs, f->ino, req->w[2]);
}

// FS_STATFS: a struct fs_statfs goes to the page.
static long
do_statfs(struct fs_server *srv, const struct fs_request *req)
{
  uint8_t *page = out_page(req);
  struct ext2_statfs st;
  struct fs_statfs out;

  if (page == NULL)
    return -EFAULT;
  ext2_statfs(srv->fs, &st);
  out.block_size = st.block_size;
  out.blocks = st.blocks;
  out.free_blocks = st.free_blocks;
  out.inodes = st.inodes;
  out.free_inodes = st.free_inodes;
  out.pad = 0;
  memcpy(page, &out, sizeof(out));
  return 0;
}

// FS_SYNC: write everything back. FS_SHUTDOWN: unmount (every descriptor of every
// client is closed), after which the server must end.
static long
do_sync(struct fs_server *srv, const struct fs_request *req)
{
  long err;

  if (req->w[0] == FS_SHUTDOWN) {
    memset(srv->clients, 0, (size_t)srv->nclients * sizeof(srv->clients[0]));
    err = ext2_unmount(srv->fs);
    srv->fs = NULL;
    srv->shutdown = 1;
    return err;
  }
  err = ext2_sync(srv->fs);
  if (err == 0)
    srv->dirty = 0;
  return err;
}

// Close every descriptor of client (which has gone away) and free its slot.
void
fsserver_forget(struct fs_server *srv, long client)
{
  struct fs_client *c = fs_client_find(srv, client);

  if (c == NULL || client == 0)
    return;
  for (int i = 0; i < FS_MAX_FDS; i++) {
    if (c->fds[i].used) {
      c->fds[i].used = 0;
      ext2_close(srv->fs, c->fds[i].ino);
      srv->dirty = 1;
    }
  }
  memset(c, 0, sizeof(*c));
}

// Forget every client that has ended; see <lamina/fsserver.h>.
void
fsserver_reap(struct fs_server *srv)
{
  for (int i = 0; i < srv->nclients; i++) {
    long id = srv->clients[i].id;

    if (id != 0 && srv->client_gone != NULL && srv->client_gone(id))
      fsserver_forget(srv, id);
  }
}

// Carry out one request; see <lamina/fsserver.h>.
void
fsserver_handle(struct fs_server *srv, const struct fs_request *req, unsigned long reply[IPC_WORDS])
{
  unsigned long size = 0;
  long result;

  if (srv->fs == NULL) {  // unmounted by FS_SHUTDOWN
    reply[0] = (unsigned long)-EIO;
    reply[1] = reply[2] = reply[3] = 0;
    return;
  }
  switch (req->w[0]) {
  case FS_OPEN:
    result = do_open(srv, req, &size);
    break;
  case FS_CLOSE:
    result = do_close(srv, req);
    break;
  case FS_READ:
    result = do_read(srv, req);
    break;
  case FS_PREAD:
    result = do_pread(srv, req);
    break;
  case FS_WRITE:
    result = do_write(srv, req);
    break;
  case FS_SEEK:
    result = do_seek(srv, req);
    break;
  case FS_FSTAT:
  case FS_STAT:
    result = do_stat(srv, req);
    break;
  case FS_READDIR:
    result = do_readdir(srv, req);
    break;
  case FS_MKDIR:
  case FS_UNLINK:
  case FS_RMDIR:
  case FS_RENAME:
  case FS_LINK:
  case FS_TRUNCATE:
    result = do_names(srv, req);
    break;
  case FS_FTRUNCATE:
    result = do_ftruncate(srv, req);
    break;
  case FS_STATFS:
    result = do_statfs(srv, req);
    break;
  case FS_SYNC:
  case FS_SHUTDOWN:
    result = do_sync(srv, req);
    break;
  default:
    result = -ENOSYS;
  }
  reply[0] = (unsigned long)result;
  reply[1] = result >= 0 ? size : 0;
  reply[2] = reply[3] = 0;
}
