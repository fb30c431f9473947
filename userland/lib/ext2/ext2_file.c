// ext2_file.c: the bytes of a regular file: reading, writing, and changing the size.
//
// Data moves block by block through the cache. Bytes past the end of the file in its
// last block are kept zero (a shrinking truncate clears them, and so does a write or
// truncate that grows the file from there), so growing a file never uncovers old data.

#include <string.h>
#include "ext2fs.h"

// The smaller of a and b.
static uint64_t
min_u64(uint64_t a, uint64_t b)
{
  return a < b ? a : b;
}

// Read inode ino into *ip and check it is a regular file. 0, -EISDIR, -EINVAL or -errno.
static long
regular_file(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *ip)
{
  long err = inode_read(fs, ino, ip);

  if (err < 0)
    return err;
  if (inode_is_dir(ip))
    return -EISDIR;
  if ((ip->i_mode & EXT2_S_IFMT) != EXT2_S_IFREG)
    return -EINVAL;
  return 0;
}

// Block fblock of file *ip is at disk block `block`, which is not cached: read it
// together with the next blocks of the file (up to the block holding byte end - 1, the
// last), as far as they follow it on the disk: a reader usually reads on. 0 or -errno.
static long
read_ahead(struct ext2_fs *fs, struct ext2_inode *ip, uint32_t fblock, uint32_t block, uint64_t end)
{
  uint32_t last = (uint32_t)((end - 1) / fs->block_size);
  uint32_t n = 1, next;
  int fresh;

  while (n < cache_run_max(fs) && fblock + n <= last) {
    if (bmap(fs, ip, fblock + n, 0, &next, &fresh) < 0 || next != block + n || cache_has(fs, next))
      break;
    n++;
  }
  return cache_read_ahead(fs, block, n);
}

// Read up to n bytes of file ino at off into buf. Returns the count or -errno.
long
ext2_read(struct ext2_fs *fs, uint32_t ino, uint64_t off, void *buf, size_t n)
{
  struct ext2_inode inode;
  uint64_t size, done = 0;
  long err;

  err = regular_file(fs, ino, &inode);
  if (err < 0)
    return err;
  size = inode_size(&inode);
  if (off >= size)
    return 0;
  n = (size_t)min_u64(n, size - off);
  while (done < n) {
    uint64_t pos = off + done;
    uint32_t in_block = (uint32_t)(pos % fs->block_size);
    uint32_t chunk = (uint32_t)min_u64(fs->block_size - in_block, n - done);
    uint32_t block;
    int fresh;
    struct ext2_buf *b;

    err = bmap(fs, &inode, (uint32_t)(pos / fs->block_size), 0, &block, &fresh);
    if (err < 0)
      return done > 0 ? (long)done : err;
    if (block == 0) {
      memset((uint8_t *)buf + done, 0, chunk);  // a hole
    } else {
      if (!cache_has(fs, block))
        read_ahead(fs, &inode, (uint32_t)(pos / fs->block_size), block, size);
      err = buf_read(fs, block, &b);
      if (err < 0)
        return done > 0 ? (long)done : err;
      memcpy((uint8_t *)buf + done, b->data + in_block, chunk);
      buf_release(b);
    }
    done += chunk;
  }
  return (long)done;
}

// Zero the bytes of *ip's block that holds byte `from`, from there to the block's end
// (nothing if from is on a block boundary or the block is a hole). 0 or -errno.
static long
zero_block_tail(struct ext2_fs *fs, struct ext2_inode *ip, uint64_t from)
{
  uint32_t in_block = (uint32_t)(from % fs->block_size);
  uint32_t block;
  int fresh;
  struct ext2_buf *b;
  long err;

  if (in_block == 0)
    return 0;
  err = bmap(fs, ip, (uint32_t)(from / fs->block_size), 0, &block, &fresh);
  if (err < 0 || block == 0)
    return err;
  err = buf_read(fs, block, &b);
  if (err < 0)
    return err;
  memset(b->data + in_block, 0, fs->block_size - in_block);
  buf_dirty(b);
  buf_release(b);
  return 0;
}

// Copy chunk bytes of src into file block fblock of *ip at byte in_block, allocating
// the block if it is a hole. 0 or -errno.
static long
write_block(struct ext2_fs *fs, struct ext2_inode *ip, uint32_t fblock, uint32_t in_block,
            const uint8_t *src, uint32_t chunk)
{
  uint32_t block;
  int fresh;
  struct ext2_buf *b;
  long err;

  err = bmap(fs, ip, fblock, 1, &block, &fresh);
  if (err < 0)
    return err;
  // A new block, or one overwritten whole, need not be read first.
  if (fresh || chunk == fs->block_size)
    err = buf_get_zeroed(fs, block, &b);
  else
    err = buf_read(fs, block, &b);
  if (err < 0)
    return err;
  memcpy(b->data + in_block, src, chunk);
  buf_dirty(b);
  buf_release(b);
  return 0;
}

// Write n bytes of buf to file ino at off. Returns the count (short if the disk
// filled up part way), or -errno.
long
ext2_write(struct ext2_fs *fs, uint32_t ino, uint64_t off, const void *buf, size_t n)
{
  struct ext2_inode inode;
  uint64_t size, done = 0;
  long err;

  err = regular_file(fs, ino, &inode);
  if (err < 0)
    return err;
  if (off > EXT2_MAX_FILE_SIZE || n > EXT2_MAX_FILE_SIZE - off)
    return -EINVAL;
  size = inode_size(&inode);
  if (off > size)
    err = zero_block_tail(fs, &inode, size);
  while (err == 0 && done < n) {
    uint64_t pos = off + done;
    uint32_t in_block = (uint32_t)(pos % fs->block_size);
    uint32_t chunk = (uint32_t)min_u64(fs->block_size - in_block, n - done);

    err = write_block(fs, &inode, (uint32_t)(pos / fs->block_size), in_block,
                      (const uint8_t *)buf + done, chunk);
    if (err == 0)
      done += chunk;
  }
  if (off + done > size)
    inode_set_size(&inode, off + done);
  if (err < 0)  // blocks taken for a write that failed hold nothing: give them back
    bmap_truncate(fs, &inode, inode_size(&inode));
  if (done > 0)
    inode.i_mtime = inode.i_ctime = fs->now;
  if (inode_write(fs, ino, &inode) < 0 && err == 0)
    err = -EIO;
  return done > 0 ? (long)done : err;
}

// Set the size of file ino (*ip, already read) to size and write the inode.
// 0 or -errno.
long
file_truncate(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *ip, uint64_t size)
{
  uint64_t old = inode_size(ip);
  long err = 0;

  if (size > EXT2_MAX_FILE_SIZE)
    return -EINVAL;
  if (size < old) {
    err = bmap_truncate(fs, ip, size);
    if (err == 0)
      err = zero_block_tail(fs, ip, size);
  } else if (size > old) {
    err = zero_block_tail(fs, ip, old);
  }
  if (err < 0)
    return err;
  inode_set_size(ip, size);
  ip->i_mtime = ip->i_ctime = fs->now;
  return inode_write(fs, ino, ip);
}

// Set the size of regular file ino. 0 or -errno.
long
ext2_truncate(struct ext2_fs *fs, uint32_t ino, uint64_t size)
{
  struct ext2_inode inode;
  long err;

  err = regular_file(fs, ino, &inode);
  if (err < 0)
    return err;
  return file_truncate(fs, ino, &inode, size);
}
