// ext2_dir.c: the entries of one directory: finding, listing, adding and removing names.
//
// A directory's data is a run of blocks, each filled exactly by a chain of variable
// length entries (inode, rec_len, name_len, file_type, name). An entry's rec_len
// reaches to the next entry, so an entry may carry slack after its name: a new name
// goes into the slack of an entry that has room, or into an empty entry (inode 0),
// or into a new block at the end. Removing a name gives its space to the entry before
// it in the block, or, for the first entry of a block, just sets its inode to 0.
//
// Every entry is checked before use; a malformed one makes the call fail with -EIO
// rather than reading past a block. A directory that had a hash index (dir_index) has
// the index flag cleared when it changes, since this core does not keep the index.

#include <string.h>
#include "ext2fs.h"

// The bytes an entry with a name of len bytes needs: its head and name, rounded to 4.
static uint32_t
entry_size(uint32_t len)
{
  return (8 + len + 3) & ~3u;
}

// The entry at byte off of a directory block.
static struct ext2_dirent_head *
entry_at(struct ext2_buf *b, uint32_t off)
{
  return (struct ext2_dirent_head *)(b->data + off);
}

// True if the entry at byte off of a block is well formed.
static int
entry_ok(struct ext2_fs *fs, struct ext2_buf *b, uint32_t off)
{
  struct ext2_dirent_head *d;

  if (off + 8 > fs->block_size)
    return 0;
  d = entry_at(b, off);
  return d->rec_len >= 8 && d->rec_len % 4 == 0 && off + d->rec_len <= fs->block_size &&
         entry_size(d->name_len) <= d->rec_len && d->inode <= fs->sb.s_inodes_count;
}

// The directory entry type for an inode of mode, or 0 if the image records none.
uint8_t
dir_type_of(struct ext2_fs *fs, uint16_t mode)
{
  if (!(fs->sb.s_feature_incompat & EXT2_FEATURE_INCOMPAT_FILETYPE))
    return EXT2_FT_UNKNOWN;
  switch (mode & EXT2_S_IFMT) {
  case EXT2_S_IFREG:
    return EXT2_FT_REG_FILE;
  case EXT2_S_IFDIR:
    return EXT2_FT_DIR;
  case EXT2_S_IFLNK:
    return EXT2_FT_SYMLINK;
  }
  return EXT2_FT_UNKNOWN;
}

// Read directory inode dir into *ip. 0, -ENOTDIR or -errno.
static long
dir_inode(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *ip)
{
  long err = inode_read(fs, dir, ip);

  if (err < 0)
    return err;
  if (!inode_is_dir(ip))
    return -ENOTDIR;
  return 0;
}

// The number of blocks of directory *ip.
static uint32_t
dir_blocks(struct ext2_fs *fs, const struct ext2_inode *ip)
{
  return ip->i_size / fs->block_size;
}

// The buffer of block i of directory *ip (a hole is an error). 0 or -errno.
static long
dir_block(struct ext2_fs *fs, struct ext2_inode *ip, uint32_t i, struct ext2_buf **bp)
{
  uint32_t block;
  int fresh;
  long err;

  err = bmap(fs, ip, i, 0, &block, &fresh);
  if (err < 0)
    return err;
  if (block == 0)
    return -EIO;
  return buf_read(fs, block, bp);
}

// Find name in directory *ip: on success *bp holds the block (release it), *off is
// the entry's offset and *prev the previous entry's (or -1 if it is the first).
// 0, -ENOENT or -errno.
static long
dir_find(struct ext2_fs *fs, struct ext2_inode *ip, const char *name, size_t len,
         struct ext2_buf **bp, uint32_t *off, long *prev)
{
  long err;

  for (uint32_t i = 0; i < dir_blocks(fs, ip); i++) {
    struct ext2_buf *b;
    long last = -1;

    err = dir_block(fs, ip, i, &b);
    if (err < 0)
      return err;
    for (uint32_t o = 0; o < fs->block_size; o += entry_at(b, o)->rec_len) {
      struct ext2_dirent_head *d;

      if (!entry_ok(fs, b, o)) {
        buf_release(b);
        return -EIO;
      }
      d = entry_at(b, o);
      if (d->inode != 0 && d->name_len == len && memcmp(d + 1, name, len) == 0) {
        *bp = b;
        *off = o;
        *prev = last;
        return 0;
      }
      last = o;
    }
    buf_release(b);
  }
  return -ENOENT;
}

// The inode number of name in directory dir, in *ino. 0, -ENOENT or -errno.
long
dir_lookup(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len, uint32_t *ino)
{
  struct ext2_inode inode;
  struct ext2_buf *b;
  uint32_t off;
  long prev, err;

  err = dir_inode(fs, dir, &inode);
  if (err < 0)
    return err;
  err = dir_find(fs, &inode, name, len, &b, &off, &prev);
  if (err < 0)
    return err;
  *ino = entry_at(b, off)->inode;
  buf_release(b);
  return 0;
}

// Write an entry (ino, name, type of mode) at offset off of b, keeping its rec_len.
static void
entry_fill(struct ext2_fs *fs, struct ext2_buf *b, uint32_t off, const char *name, size_t len,
           uint32_t ino, uint16_t mode)
{
  struct ext2_dirent_head *d = entry_at(b, off);

  d->inode = ino;
  d->name_len = (uint8_t)len;
  d->file_type = dir_type_of(fs, mode);
  memcpy(d + 1, name, len);
  buf_dirty(b);
}

// Put the entry in block b if it has room. Returns 1 if it did, 0 if not, or -EIO.
static long
block_insert(struct ext2_fs *fs, struct ext2_buf *b, const char *name, size_t len, uint32_t ino,
             uint16_t mode)
{
  uint32_t need = entry_size(len);

  for (uint32_t o = 0; o < fs->block_size; o += entry_at(b, o)->rec_len) {
    struct ext2_dirent_head *d;
    uint32_t used;

    if (!entry_ok(fs, b, o))
      return -EIO;
    d = entry_at(b, o);
    used = d->inode == 0 ? 0 : entry_size(d->name_len);
    if (d->rec_len - used < need)
      continue;
    if (used > 0) {  // split: the new entry takes the slack after this one
      entry_at(b, o + used)->rec_len = d->rec_len - used;
      d->rec_len = used;
      o += used;
    }
    entry_fill(fs, b, o, name, len, ino, mode);
    return 1;
  }
  return 0;
}

// Note that directory dir (*ip) changed, and write its inode. 0 or -errno.
static long
dir_touch(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *ip)
{
  ip->i_flags &= ~EXT2_INDEX_FL;
  ip->i_mtime = ip->i_ctime = fs->now;
  return inode_write(fs, dir, ip);
}

// Add the entry name -> ino (an inode of mode) to directory dir; the caller has made
// sure the name is not there yet. 0 or -errno (-ENOSPC if a new block is needed and
// the disk is full).
long
dir_add(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len, uint32_t ino,
        uint16_t mode)
{
  struct ext2_inode inode;
  struct ext2_buf *b;
  uint32_t nblocks, block;
  int fresh;
  long err;

  err = dir_inode(fs, dir, &inode);
  if (err < 0)
    return err;
  nblocks = dir_blocks(fs, &inode);
  for (uint32_t i = 0; i < nblocks; i++) {
    err = dir_block(fs, &inode, i, &b);
    if (err < 0)
      return err;
    err = block_insert(fs, b, name, len, ino, mode);
    buf_release(b);
    if (err < 0)
      return err;
    if (err == 1)
      return dir_touch(fs, dir, &inode);
  }
  // No room anywhere: a new block holding just this entry.
  err = bmap(fs, &inode, nblocks, 1, &block, &fresh);
  if (err == 0)
    err = buf_get_zeroed(fs, block, &b);
  if (err < 0) {
    bmap_truncate(fs, &inode, inode.i_size);
    inode_write(fs, dir, &inode);
    return err;
  }
  entry_at(b, 0)->rec_len = fs->block_size;
  entry_fill(fs, b, 0, name, len, ino, mode);
  buf_release(b);
  inode.i_size += fs->block_size;
  return dir_touch(fs, dir, &inode);
}

// Remove the entry name from directory dir. 0, -ENOENT or -errno.
long
dir_remove(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len)
{
  struct ext2_inode inode;
  struct ext2_buf *b;
  uint32_t off;
  long prev, err;

  err = dir_inode(fs, dir, &inode);
  if (err == 0)
    err = dir_find(fs, &inode, name, len, &b, &off, &prev);
  if (err < 0)
    return err;
  if (prev >= 0)
    entry_at(b, (uint32_t)prev)->rec_len += entry_at(b, off)->rec_len;
  else
    entry_at(b, off)->inode = 0;
  buf_dirty(b);
  buf_release(b);
  return dir_touch(fs, dir, &inode);
}

// Point the existing entry name of directory dir at ino (an inode of mode) instead.
// 0, -ENOENT or -errno.
long
dir_retarget(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len, uint32_t ino,
             uint16_t mode)
{
  struct ext2_inode inode;
  struct ext2_buf *b;
  uint32_t off;
  long prev, err;

  err = dir_inode(fs, dir, &inode);
  if (err == 0)
    err = dir_find(fs, &inode, name, len, &b, &off, &prev);
  if (err < 0)
    return err;
  entry_fill(fs, b, off, name, len, ino, mode);
  buf_release(b);
  return dir_touch(fs, dir, &inode);
}

// Returns 1 if directory dir holds nothing but "." and "..", 0 if it holds more, or
// -errno.
long
dir_is_empty(struct ext2_fs *fs, uint32_t dir)
{
  struct ext2_dirent ent;
  uint64_t pos = 0;
  long n;

  while ((n = ext2_readdir(fs, dir, &pos, &ent)) == 1) {
    if (!name_is_dot(ent.name, ent.name_len))
      return 0;
  }
  return n < 0 ? n : 1;
}

// Give the new directory dir (*ip, not yet written) its first block, holding "."
// and "..", and write its inode. 0 or -errno.
long
dir_init(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *ip, uint32_t parent)
{
  struct ext2_buf *b;
  uint32_t block;
  int fresh;
  long err;

  err = bmap(fs, ip, 0, 1, &block, &fresh);
  if (err < 0)
    return err;
  err = buf_get_zeroed(fs, block, &b);
  if (err < 0)
    return err;
  entry_at(b, 0)->rec_len = 12;
  entry_fill(fs, b, 0, ".", 1, dir, EXT2_S_IFDIR);
  entry_at(b, 12)->rec_len = fs->block_size - 12;
  entry_fill(fs, b, 12, "..", 2, parent, EXT2_S_IFDIR);
  buf_release(b);
  ip->i_size = fs->block_size;
  return inode_write(fs, dir, ip);
}

// Copy the entry at offset off of b into *ent.
static void
entry_copy(struct ext2_buf *b, uint32_t off, struct ext2_dirent *ent)
{
  struct ext2_dirent_head *d = entry_at(b, off);

  ent->ino = d->inode;
  ent->type = d->file_type;
  ent->name_len = d->name_len;
  memcpy(ent->name, d + 1, d->name_len);
  ent->name[d->name_len] = '\0';
}

// The next entry of directory ino at or after byte *pos; see <lamina/ext2.h>.
// A position inside an entry moves on to the next entry.
long
ext2_readdir(struct ext2_fs *fs, uint32_t ino, uint64_t *pos, struct ext2_dirent *ent)
{
  struct ext2_inode inode;
  long err;

  err = dir_inode(fs, ino, &inode);
  if (err < 0)
    return err;
  while (*pos < inode.i_size) {
    uint32_t i = (uint32_t)(*pos / fs->block_size);
    uint32_t start = (uint32_t)(*pos % fs->block_size);
    struct ext2_buf *b;

    err = dir_block(fs, &inode, i, &b);
    if (err < 0)
      return err;
    for (uint32_t o = 0; o < fs->block_size; o += entry_at(b, o)->rec_len) {
      if (!entry_ok(fs, b, o)) {
        buf_release(b);
        return -EIO;
      }
      if (o < start || entry_at(b, o)->inode == 0)
        continue;
      entry_copy(b, o, ent);
      *pos = (uint64_t)i * fs->block_size + o + entry_at(b, o)->rec_len;
      buf_release(b);
      return 1;
    }
    buf_release(b);
    *pos = (uint64_t)(i + 1) * fs->block_size;
  }
  return 0;
}
