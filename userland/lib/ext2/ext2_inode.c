// ext2_inode.c: inodes: reading and writing them in the inode table, making fresh ones,
// freeing them when their last link goes, and the open counts that keep an unlinked
// file alive while someone still has it open.
//
// Inode n (numbered from 1) is entry (n - 1) % inodes_per_group of the inode table of
// group (n - 1) / inodes_per_group. Only the first 128 bytes are read and written; a
// larger revision 1 inode keeps the rest as it was.

#include <string.h>
#include "ext2fs.h"

#define EXT2_XATTR_MAGIC 0xEA020000u  // first word of an extended-attribute block

// True if block is a block number a file may point at.
int
valid_block(struct ext2_fs *fs, uint32_t block)
{
  return block >= fs->sb.s_first_data_block && block < fs->sb.s_blocks_count;
}

// The size of the file of *ip in bytes (the high half counts for regular files only).
uint64_t
inode_size(const struct ext2_inode *ip)
{
  uint64_t size = ip->i_size;

  if ((ip->i_mode & EXT2_S_IFMT) == EXT2_S_IFREG)
    size |= (uint64_t)ip->i_size_high << 32;
  return size;
}

// Set the size of *ip (callers keep it at most EXT2_MAX_FILE_SIZE).
void
inode_set_size(struct ext2_inode *ip, uint64_t size)
{
  ip->i_size = (uint32_t)size;
  if ((ip->i_mode & EXT2_S_IFMT) == EXT2_S_IFREG)
    ip->i_size_high = (uint32_t)(size >> 32);
}

// True if *ip is a directory.
int
inode_is_dir(const struct ext2_inode *ip)
{
  return (ip->i_mode & EXT2_S_IFMT) == EXT2_S_IFDIR;
}

// The block holding inode ino, and the byte offset of the inode in it. 0 or -EIO.
static long
inode_place(struct ext2_fs *fs, uint32_t ino, uint32_t *block, uint32_t *offset)
{
  uint32_t g, index;
  uint64_t byte;

  if (ino < 1 || ino > fs->sb.s_inodes_count)
    return -EIO;
  g = (ino - 1) / fs->sb.s_inodes_per_group;
  index = (ino - 1) % fs->sb.s_inodes_per_group;
  byte = (uint64_t)index * fs->inode_size;
  *block = fs->groups[g].bg_inode_table + (uint32_t)(byte / fs->block_size);
  *offset = (uint32_t)(byte % fs->block_size);
  return 0;
}

// The cache buffer holding inode ino (release it with buf_release), and the inode's
// byte offset in it. 0 or -errno.
static long
inode_buf(struct ext2_fs *fs, uint32_t ino, struct ext2_buf **bp, uint32_t *offset)
{
  uint32_t block;
  long err = inode_place(fs, ino, &block, offset);

  return err < 0 ? err : buf_read(fs, block, bp);
}

// Read inode ino into *ip. 0 or -errno.
long
inode_read(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *ip)
{
  struct ext2_buf *b;
  uint32_t offset;
  long err = inode_buf(fs, ino, &b, &offset);

  if (err < 0)
    return err;
  memcpy(ip, b->data + offset, sizeof(*ip));
  buf_release(b);
  return 0;
}

// Write *ip as inode ino. 0 or -errno.
long
inode_write(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *ip)
{
  struct ext2_buf *b;
  uint32_t offset;
  long err = inode_buf(fs, ino, &b, &offset);

  if (err < 0)
    return err;
  memcpy(b->data + offset, ip, sizeof(*ip));
  buf_dirty(b);
  buf_release(b);
  return 0;
}

// Fill *ip as a fresh inode of mode with one link, and write it (the whole on-disk
// inode, extra bytes of a large inode included, is zeroed first). 0 or -errno.
long
inode_init(struct ext2_fs *fs, uint32_t ino, uint16_t mode, struct ext2_inode *ip)
{
  struct ext2_buf *b;
  uint32_t offset;
  long err = inode_buf(fs, ino, &b, &offset);

  if (err < 0)
    return err;
  memset(ip, 0, sizeof(*ip));
  ip->i_mode = mode;
  ip->i_links_count = 1;
  ip->i_atime = ip->i_ctime = ip->i_mtime = fs->now;
  memset(b->data + offset, 0, fs->inode_size);
  memcpy(b->data + offset, ip, sizeof(*ip));
  buf_dirty(b);
  buf_release(b);
  return 0;
}

// Let go of *ip's extended-attribute block: one holder fewer, freed with the last.
// 0 or -errno.
static long
release_xattr_block(struct ext2_fs *fs, struct ext2_inode *ip)
{
  struct ext2_buf *b;
  uint32_t *words;
  long err;

  if (ip->i_file_acl == 0)
    return 0;
  err = buf_read(fs, ip->i_file_acl, &b);
  if (err < 0)
    return err;
  words = (uint32_t *)b->data;  // h_magic, h_refcount, ...
  if (words[0] == EXT2_XATTR_MAGIC && words[1] > 1) {
    words[1]--;
    buf_dirty(b);
    buf_release(b);
  } else {
    buf_release(b);
    err = block_free(fs, ip->i_file_acl);
    if (err < 0)
      return err;
  }
  ip->i_blocks -= fs->sectors_per_block;
  ip->i_file_acl = 0;
  return 0;
}

// True if *ip is a symbolic link whose target sits in i_block itself.
static int
is_fast_symlink(struct ext2_fs *fs, const struct ext2_inode *ip)
{
  uint32_t xattr = ip->i_file_acl ? fs->sectors_per_block : 0;

  return (ip->i_mode & EXT2_S_IFMT) == EXT2_S_IFLNK && ip->i_blocks == xattr;
}

// Free inode ino (*ip, with no links left): its blocks, then the inode itself, which
// keeps its mode and gets a deletion time as e2fsck expects of a free inode.
// 0 or -errno.
static long
inode_destroy(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *ip)
{
  int is_dir = inode_is_dir(ip);
  long err;

  if (is_fast_symlink(fs, ip))
    memset(ip->i_block, 0, sizeof(ip->i_block));
  err = bmap_truncate(fs, ip, 0);
  if (err == 0)
    err = release_xattr_block(fs, ip);
  if (err < 0)
    return err;
  inode_set_size(ip, 0);
  ip->i_links_count = 0;
  ip->i_dtime = fs->now;
  err = inode_write(fs, ino, ip);
  if (err < 0)
    return err;
  return inode_free_bit(fs, ino, is_dir);
}

// The open-table slot of ino, or NULL if it is not open.
static struct ext2_open_inode *
open_slot(struct ext2_fs *fs, uint32_t ino)
{
  for (int i = 0; i < EXT2_MAX_OPEN; i++) {
    if (fs->open[i].refs > 0 && fs->open[i].ino == ino)
      return &fs->open[i];
  }
  return NULL;
}

// Take one link away from inode ino (*ip): written back, or freed if that was the
// last link and nobody holds the inode open. 0 or -errno.
long
inode_drop_link(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *ip)
{
  if (ip->i_links_count > 0)
    ip->i_links_count--;
  ip->i_ctime = fs->now;
  if (ip->i_links_count == 0 && open_slot(fs, ino) == NULL)
    return inode_destroy(fs, ino, ip);
  return inode_write(fs, ino, ip);
}

// Add delta (+1 or -1) to the link count of inode ino, which stays linked.
// 0 or -errno.
long
inode_add_links(struct ext2_fs *fs, uint32_t ino, int delta)
{
  struct ext2_inode inode;
  long err;

  err = inode_read(fs, ino, &inode);
  if (err < 0)
    return err;
  if (delta > 0 && inode.i_links_count >= EXT2_LINK_MAX)
    return -EINVAL;
  if (delta < 0 && inode.i_links_count <= 1)
    return -EIO;
  inode.i_links_count += delta;
  inode.i_ctime = fs->now;
  return inode_write(fs, ino, &inode);
}

// Hold inode ino open. 0, -EMFILE if the open table is full, or -errno.
long
ext2_open(struct ext2_fs *fs, uint32_t ino)
{
  struct ext2_open_inode *slot = open_slot(fs, ino);

  if (ino < 1 || ino > fs->sb.s_inodes_count)
    return -EINVAL;
  if (slot == NULL) {
    for (int i = 0; i < EXT2_MAX_OPEN && slot == NULL; i++) {
      if (fs->open[i].refs == 0)
        slot = &fs->open[i];
    }
    if (slot == NULL)
      return -EMFILE;
    slot->ino = ino;
  }
  slot->refs++;
  return 0;
}

// Let go of inode ino; if it was the last hold and the inode has no links, free it.
// 0 or -errno.
long
ext2_close(struct ext2_fs *fs, uint32_t ino)
{
  struct ext2_open_inode *slot = open_slot(fs, ino);
  struct ext2_inode inode;
  long err;

  if (slot == NULL)
    return -EBADF;
  if (--slot->refs > 0)
    return 0;
  err = inode_read(fs, ino, &inode);
  if (err < 0)
    return err;
  if (inode.i_links_count == 0 && inode.i_dtime == 0)
    return inode_destroy(fs, ino, &inode);
  return 0;
}

// Let go of every inode held open, freeing those that lost their last link while
// open (as if each were closed): an unmount must not leave them behind.
// 0 or the first error.
long
inode_close_all(struct ext2_fs *fs)
{
  long err = 0;

  for (int i = 0; i < EXT2_MAX_OPEN; i++) {
    uint32_t ino = fs->open[i].ino;
    long e;

    if (fs->open[i].refs == 0)
      continue;
    fs->open[i].refs = 1;
    e = ext2_close(fs, ino);
    if (e < 0 && err == 0)
      err = e;
  }
  return err;
}

// Fill *st with the facts of inode ino. 0 or -errno.
long
ext2_stat(struct ext2_fs *fs, uint32_t ino, struct ext2_stat *st)
{
  struct ext2_inode inode;
  long err;

  err = inode_read(fs, ino, &inode);
  if (err < 0)
    return err;
  st->ino = ino;
  st->mode = inode.i_mode;
  st->links = inode.i_links_count;
  st->blocks = inode.i_blocks;
  st->size = inode_size(&inode);
  st->mtime = inode.i_mtime;
  st->pad = 0;
  return 0;
}
