// hostdisk.c: the ext2 core of userland/lib/ext2 on the host, over an image file.
//
// For tests only (tests/fs_host/hostfs.py loads it with ctypes): the same C that runs
// in the file server, with the struct ext2_disk functions reading and writing a file
// instead of calling sys_disk_io. It counts the requests, so a test can see the
// cache at work, and lets a test hand requests to the server's handlers
// (userland/lib/fsserver.c) as fsd would.

#include <fcntl.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/stat.h>
#include <lamina/ext2.h>
#include <lamina/fsserver.h>

// A mounted image: the file system and the file under it.
struct host_fs {
  struct ext2_fs *fs;
  int fd;
  long reads, writes, flushes;
};

// Read count sectors at sector into buf. 0 or -EIO.
static long
host_read(void *ctx, uint64_t sector, uint32_t count, void *buf)
{
  struct host_fs *h = ctx;
  size_t n = (size_t)count * SECTOR_SIZE;

  h->reads++;
  return pread(h->fd, buf, n, (off_t)(sector * SECTOR_SIZE)) == (ssize_t)n ? 0 : -EIO;
}

// Write count sectors from buf at sector. 0 or -EIO.
static long
host_write(void *ctx, uint64_t sector, uint32_t count, const void *buf)
{
  struct host_fs *h = ctx;
  size_t n = (size_t)count * SECTOR_SIZE;

  h->writes++;
  return pwrite(h->fd, buf, n, (off_t)(sector * SECTOR_SIZE)) == (ssize_t)n ? 0 : -EIO;
}

// Make the writes durable. 0 or -EIO.
static long
host_flush(void *ctx)
{
  struct host_fs *h = ctx;

  h->flushes++;
  return fsync(h->fd) == 0 ? 0 : -EIO;
}

// Mount the image at path with a cache of cache_blocks blocks. Returns the mount,
// or NULL with *err = -errno and the reason in why.
struct host_fs *
host_mount(const char *path, uint32_t cache_blocks, char *why, size_t why_len, long *err)
{
  struct host_fs *h = calloc(1, sizeof(*h));
  struct ext2_disk disk;
  struct stat st;

  h->fd = open(path, O_RDWR);
  if (h->fd < 0 || fstat(h->fd, &st) < 0) {
    *err = -ENOENT;
    free(h);
    return NULL;
  }
  disk.ctx = h;
  disk.sectors = (uint64_t)st.st_size / SECTOR_SIZE;
  disk.read = host_read;
  disk.write = host_write;
  disk.flush = host_flush;
  *err = ext2_mount(&disk, cache_blocks, &h->fs, why, why_len);
  if (*err < 0) {
    close(h->fd);
    free(h);
    return NULL;
  }
  return h;
}

// The file system of a mount.
struct ext2_fs *
host_fs_of(struct host_fs *h)
{
  return h->fs;
}

// The number of disk reads (0), writes (1) or flushes (2) so far.
long
host_count(struct host_fs *h, int which)
{
  return which == 0 ? h->reads : which == 1 ? h->writes : h->flushes;
}

// Unmount (syncing) and close the image. 0 or -errno.
long
host_unmount(struct host_fs *h)
{
  long err = ext2_unmount(h->fs);

  close(h->fd);
  free(h);
  return err;
}

// Drop the mount without syncing, as a crash would. The image keeps what was written.
void
host_abandon(struct host_fs *h)
{
  close(h->fd);
  free(h);  // the file system's own memory leaks: acceptable in a test
}

// A file server's state on the mounted file system of h.
struct fs_server *
host_server_new(struct host_fs *h)
{
  struct fs_server *srv = calloc(1, sizeof(*srv));

  srv->fs = h->fs;
  return srv;
}

// Free a server made by host_server_new.
void
host_server_free(struct fs_server *srv)
{
  free(srv->clients);
  free(srv);
}

// Hand the request (client, w[0..3], page or NULL) to the server; reply[0..3] is
// what fsd would send back.
void
host_server_request(struct fs_server *srv, long client, const unsigned long *w, uint8_t *page,
                    int page_writable, unsigned long *reply)
{
  struct fs_request req;

  req.client = client;
  for (int i = 0; i < IPC_WORDS; i++)
    req.w[i] = w[i];
  req.page = page;
  req.page_writable = page_writable;
  fsserver_handle(srv, &req, reply);
}
