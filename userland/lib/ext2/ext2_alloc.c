// ext2_alloc.c: allocating and freeing blocks and inodes through the bitmaps.
//
// Each block group has one block of bitmap for its blocks and one for its inodes (bit
// i set: block or inode i of the group is in use). Every change to a bitmap also
// changes the free counts of the group descriptor and of the superblock, which e2fsck
// checks against the bitmaps; directories are counted in bg_used_dirs_count too.

#include "ext2fs.h"

// The index of the first clear bit of bitmap in [from, to), or `to` if none.
static uint32_t
find_clear_bit(const uint8_t *bitmap, uint32_t from, uint32_t to)
{
  uint32_t i = from;

  while (i < to) {
    if ((i & 7) == 0 && i + 8 <= to && bitmap[i >> 3] == 0xff) {
      i += 8;  // a full byte: skip it whole
      continue;
    }
    if (!(bitmap[i >> 3] & (1 << (i & 7))))
      return i;
    i++;
  }
  return to;
}

// The number of blocks in group g (the last group may be short).
static uint32_t
blocks_in_group(struct ext2_fs *fs, uint32_t g)
{
  uint32_t first = fs->sb.s_first_data_block + g * fs->sb.s_blocks_per_group;
  uint32_t left = fs->sb.s_blocks_count - first;

  return left < fs->sb.s_blocks_per_group ? left : fs->sb.s_blocks_per_group;
}

// Take a clear bit in [from, to) of the bitmap in block `bitmap`; *bit is its index.
// Blocks and inodes are allocated the same way. 0, -ENOSPC if none is clear, or -errno.
static long
take_bit(struct ext2_fs *fs, uint32_t bitmap, uint32_t from, uint32_t to, uint32_t *bit)
{
  struct ext2_buf *b;
  uint32_t i;
  long err;

  err = buf_read(fs, bitmap, &b);
  if (err < 0)
    return err;
  i = find_clear_bit(b->data, from, to);
  if (i < to) {
    b->data[i >> 3] |= 1 << (i & 7);
    buf_dirty(b);
  }
  buf_release(b);
  if (i == to)
    return -ENOSPC;
  *bit = i;
  return 0;
}

// Take a clear bit in [from, to) of group g's block bitmap. As take_bit.
static long
take_block_bit(struct ext2_fs *fs, uint32_t g, uint32_t from, uint32_t to, uint32_t *bit)
{
  return take_bit(fs, fs->groups[g].bg_block_bitmap, from, to, bit);
}

// Allocate a block, searching from goal (0: after the last one allocated) onward,
// group by group. *block is the new block; its contents are whatever was there.
// 0, -ENOSPC or -errno.
long
block_alloc(struct ext2_fs *fs, uint32_t goal, uint32_t *block)
{
  uint32_t first = fs->sb.s_first_data_block;
  uint32_t g0, start, bit;
  long err;

  if (fs->sb.s_free_blocks_count == 0)
    return -ENOSPC;
  if (goal == 0)
    goal = fs->alloc_goal;
  if (goal < first || goal >= fs->sb.s_blocks_count)
    goal = first;
  g0 = (goal - first) / fs->sb.s_blocks_per_group;
  start = (goal - first) % fs->sb.s_blocks_per_group;
  // Every group once from the goal onward, then the start of the goal's group.
  for (uint32_t i = 0; i <= fs->ngroups; i++) {
    uint32_t g = (g0 + i) % fs->ngroups;
    uint32_t from = i == 0 ? start : 0;
    uint32_t to = i == fs->ngroups ? start : blocks_in_group(fs, g);

    if (fs->groups[g].bg_free_blocks_count == 0 || from >= to)
      continue;
    err = take_block_bit(fs, g, from, to, &bit);
    if (err == -ENOSPC)
      continue;
    if (err < 0)
      return err;
    fs->groups[g].bg_free_blocks_count--;
    fs->sb.s_free_blocks_count--;
    fs->groups_dirty = fs->sb_dirty = 1;
    *block = first + g * fs->sb.s_blocks_per_group + bit;
    fs->alloc_goal = *block + 1;
    return 0;
  }
  return -ENOSPC;
}

// Clear bit `bit` of the bitmap in block bitmap_block. 0, or -EIO if it was already
// clear (the image is inconsistent), or -errno.
static long
clear_bit(struct ext2_fs *fs, uint32_t bitmap_block, uint32_t bit)
{
  struct ext2_buf *b;
  long err;
  int was_set;

  err = buf_read(fs, bitmap_block, &b);
  if (err < 0)
    return err;
  was_set = b->data[bit >> 3] & (1 << (bit & 7));
  b->data[bit >> 3] &= ~(1 << (bit & 7));
  buf_dirty(b);
  buf_release(b);
  return was_set ? 0 : -EIO;
}

// Free block. 0 or -errno.
long
block_free(struct ext2_fs *fs, uint32_t block)
{
  uint32_t g, bit;
  long err;

  if (!valid_block(fs, block))
    return -EIO;
  g = (block - fs->sb.s_first_data_block) / fs->sb.s_blocks_per_group;
  bit = (block - fs->sb.s_first_data_block) % fs->sb.s_blocks_per_group;
  err = clear_bit(fs, fs->groups[g].bg_block_bitmap, bit);
  if (err < 0)
    return err;
  buf_forget(fs, block);
  fs->groups[g].bg_free_blocks_count++;
  fs->sb.s_free_blocks_count++;
  fs->groups_dirty = fs->sb_dirty = 1;
  return 0;
}

// Take a clear bit of group g's inode bitmap at or after `from`. As take_bit.
static long
take_inode_bit(struct ext2_fs *fs, uint32_t g, uint32_t from, uint32_t *bit)
{
  return take_bit(fs, fs->groups[g].bg_inode_bitmap, from, fs->sb.s_inodes_per_group, bit);
}

// Allocate an inode, preferring the group of inode near_ino; is_dir counts it as a
// directory. *ino is the new inode's number; its contents are not yet set.
// 0, -ENOSPC or -errno.
long
inode_alloc(struct ext2_fs *fs, uint32_t near_ino, int is_dir, uint32_t *ino)
{
  uint32_t ipg = fs->sb.s_inodes_per_group;
  uint32_t g0 = near_ino >= 1 && near_ino <= fs->sb.s_inodes_count ? (near_ino - 1) / ipg : 0;
  uint32_t bit;
  long err;

  if (fs->sb.s_free_inodes_count == 0)
    return -ENOSPC;
  for (uint32_t i = 0; i < fs->ngroups; i++) {
    uint32_t g = (g0 + i) % fs->ngroups;
    // Inodes below first_ino are reserved (the root, the bad-blocks list, ...).
    uint32_t from = g * ipg + 1 < fs->first_ino ? fs->first_ino - 1 - g * ipg : 0;

    if (fs->groups[g].bg_free_inodes_count == 0 || from >= ipg)
      continue;
    err = take_inode_bit(fs, g, from, &bit);
    if (err == -ENOSPC)
      continue;
    if (err < 0)
      return err;
    fs->groups[g].bg_free_inodes_count--;
    if (is_dir)
      fs->groups[g].bg_used_dirs_count++;
    fs->sb.s_free_inodes_count--;
    fs->groups_dirty = fs->sb_dirty = 1;
    *ino = g * ipg + bit + 1;
    return 0;
  }
  return -ENOSPC;
}

// Mark inode ino free in its bitmap and the counts (is_dir: it was a directory).
// 0 or -errno.
long
inode_free_bit(struct ext2_fs *fs, uint32_t ino, int is_dir)
{
  uint32_t g = (ino - 1) / fs->sb.s_inodes_per_group;
  uint32_t bit = (ino - 1) % fs->sb.s_inodes_per_group;
  long err;

  err = clear_bit(fs, fs->groups[g].bg_inode_bitmap, bit);
  if (err < 0)
    return err;
  fs->groups[g].bg_free_inodes_count++;
  if (is_dir && fs->groups[g].bg_used_dirs_count > 0)
    fs->groups[g].bg_used_dirs_count--;
  fs->sb.s_free_inodes_count++;
  fs->groups_dirty = fs->sb_dirty = 1;
  return 0;
}
