// ext2_bmap.c: which disk block holds block n of a file, and freeing a file's blocks.
//
// An inode's i_block[] has 15 pointers: 12 to data blocks, then one to a single
// indirect block (a block full of block numbers), one to a double indirect block
// (pointing at single indirect blocks) and one to a triple indirect block. With
// P = block_size / 4 pointers per block, file block n is reached through
//
//   n < 12                  i_block[n]
//   n < 12 + P              i_block[12] -> [n - 12]
//   n < 12 + P + P^2        i_block[13] -> [..] -> [..]
//   n < 12 + P + P^2 + P^3  i_block[14] -> [..] -> [..] -> [..]
//
// A zero pointer is a hole: the file reads zeros there. Every block a file holds,
// indirect ones included, counts in i_blocks (in 512-byte sectors).

#include "ext2fs.h"

// Split file block fblock into the path of indexes leading to it: idx[0] into i_block,
// then one per indirect level. Returns the number of indirect levels (0..3), or -1
// if the file cannot have that many blocks.
static int
block_path(struct ext2_fs *fs, uint64_t fblock, uint32_t idx[4])
{
  uint64_t p = fs->ptrs_per_block;

  if (fblock < EXT2_NDIR_BLOCKS) {
    idx[0] = (uint32_t)fblock;
    return 0;
  }
  /* BEGIN LAB fs: (void)p; */
  fblock -= EXT2_NDIR_BLOCKS;
  if (fblock < p) {
    idx[0] = EXT2_IND_BLOCK;
    idx[1] = (uint32_t)fblock;
    return 1;
  }
  fblock -= p;
  if (fblock < p * p) {
    idx[0] = EXT2_DIND_BLOCK;
    idx[1] = (uint32_t)(fblock / p);
    idx[2] = (uint32_t)(fblock % p);
    return 2;
  }
  fblock -= p * p;
  if (fblock < p * p * p) {
    idx[0] = EXT2_TIND_BLOCK;
    idx[1] = (uint32_t)(fblock / (p * p));
    idx[2] = (uint32_t)(fblock / p % p);
    idx[3] = (uint32_t)(fblock % p);
    return 3;
  }
  /* END LAB fs */
  return -1;
}

// Allocate a block for *ip and count it; an indirect block (indirect != 0) is zeroed
// on the spot, a data block is left for the caller to fill. 0 or -errno.
static long
alloc_for(struct ext2_fs *fs, struct ext2_inode *ip, int indirect, uint32_t *block)
{
  struct ext2_buf *b;
  long err;

  err = block_alloc(fs, 0, block);
  if (err < 0)
    return err;
  if (indirect) {
    err = buf_get_zeroed(fs, *block, &b);
    if (err < 0) {
      block_free(fs, *block);
      return err;
    }
    buf_release(b);
  }
  ip->i_blocks += fs->sectors_per_block;
  return 0;
}

// The disk block holding block fblock of the file *ip, in *block (0: a hole). With
// alloc, holes on the way are filled: then *fresh is set if the data block itself is
// new (its contents are garbage: the caller must write all of it or zero it) and the
// caller must write *ip back. 0 or -errno (-EIO for a pointer outside the disk,
// -EINVAL past the largest file).
long
bmap(struct ext2_fs *fs, struct ext2_inode *ip, uint32_t fblock, int alloc, uint32_t *block,
     int *fresh)
{
  uint32_t idx[4];
  int depth = block_path(fs, fblock, idx);
  struct ext2_buf *b;
  uint32_t ptr, next;
  long err;

  *fresh = 0;
  *block = 0;
  if (depth < 0)
    return -EINVAL;
  ptr = ip->i_block[idx[0]];
  if (ptr == 0) {
    if (!alloc)
      return 0;
    err = alloc_for(fs, ip, depth > 0, &ptr);
    if (err < 0)
      return err;
    ip->i_block[idx[0]] = ptr;
    *fresh = depth == 0;
  } else if (!valid_block(fs, ptr)) {
    return -EIO;
  }
  /* BEGIN LAB fs: (void)b; (void)next; */
  for (int level = 1; level <= depth; level++) {
    err = buf_read(fs, ptr, &b);
    if (err < 0)
      return err;
    next = ((uint32_t *)b->data)[idx[level]];
    if (next == 0 && alloc) {
      err = alloc_for(fs, ip, level < depth, &next);
      if (err == 0) {
        ((uint32_t *)b->data)[idx[level]] = next;
        buf_dirty(b);
        *fresh = level == depth;
      }
    } else if (next != 0 && !valid_block(fs, next)) {
      err = -EIO;
    }
    buf_release(b);
    if (err < 0 || next == 0)
      return err;
    ptr = next;
  }
  /* END LAB fs */
  *block = ptr;
  return 0;
}

// Free the blocks of the subtree under indirect block `block` (depth levels of
// indirection, covering file blocks from `first` on) that hold file blocks at or past
// keep; if nothing in it is kept, free the indirect block too and set *gone.
// 0 or -errno.
static long
trunc_tree(struct ext2_fs *fs, struct ext2_inode *ip, uint32_t block, int depth, uint64_t first,
           uint64_t keep, int *gone)
{
  /* BEGIN LAB fs: (void)fs; (void)ip; (void)block; (void)depth; (void)first; (void)keep; *gone = 0; return -ENOSYS; */
  uint64_t span = 1;
  struct ext2_buf *b;
  uint32_t *entries;
  long err = 0;

  *gone = 0;
  if (!valid_block(fs, block))
    return -EIO;
  for (int i = 1; i < depth; i++)
    span *= fs->ptrs_per_block;
  err = buf_read(fs, block, &b);
  if (err < 0)
    return err;
  entries = (uint32_t *)b->data;
  for (uint32_t i = 0; i < fs->ptrs_per_block && err == 0; i++) {
    uint64_t lo = first + i * span;
    int child_gone = 0;

    if (entries[i] == 0 || lo + span <= keep)
      continue;
    if (depth == 1) {
      err = block_free(fs, entries[i]);
      child_gone = err == 0;
      if (child_gone)
        ip->i_blocks -= fs->sectors_per_block;
    } else {
      err = trunc_tree(fs, ip, entries[i], depth - 1, lo, keep, &child_gone);
    }
    if (child_gone) {
      entries[i] = 0;
      buf_dirty(b);
    }
  }
  buf_release(b);
  if (err < 0 || first < keep)
    return err;
  err = block_free(fs, block);
  if (err < 0)
    return err;
  ip->i_blocks -= fs->sectors_per_block;
  *gone = 1;
  return 0;
  /* END LAB fs */
}

// Free every block of *ip past the first `size` bytes (rounded up to whole blocks),
// indirect blocks left empty included. The caller writes *ip back. 0 or -errno.
long
bmap_truncate(struct ext2_fs *fs, struct ext2_inode *ip, uint64_t size)
{
  uint64_t keep = (size + fs->block_size - 1) / fs->block_size;
  uint64_t p = fs->ptrs_per_block;
  uint64_t first = EXT2_NDIR_BLOCKS;
  uint64_t span = p;
  long err;

  for (uint32_t i = 0; i < EXT2_NDIR_BLOCKS; i++) {
    if (i < keep || ip->i_block[i] == 0)
      continue;
    err = block_free(fs, ip->i_block[i]);
    if (err < 0)
      return err;
    ip->i_block[i] = 0;
    ip->i_blocks -= fs->sectors_per_block;
  }
  for (int depth = 1; depth <= 3; depth++) {
    uint32_t *root = &ip->i_block[EXT2_NDIR_BLOCKS + depth - 1];
    int gone = 0;

    if (*root != 0 && first + span > keep) {
      err = trunc_tree(fs, ip, *root, depth, first, keep, &gone);
      if (err < 0)
        return err;
      if (gone)
        *root = 0;
    }
    first += span;
    span *= p;
  }
  return 0;
}
