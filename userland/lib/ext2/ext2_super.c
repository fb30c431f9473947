// ext2_super.c: mounting (reading and checking the superblock and the group descriptors),
// syncing and unmounting, and the file system's totals.
//
// Mounting refuses, with a one-line reason, anything this core cannot safely write:
// a disk that is not ext2, a superblock whose numbers do not add up, a feature it
// does not implement. The superblock and the descriptor table live in memory while
// mounted; ext2_sync writes them after the cached blocks, then flushes the disk.

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "ext2fs.h"

#define SUPER_SECTOR (EXT2_SUPER_OFFSET / SECTOR_SIZE)
#define SUPER_SECTORS (sizeof(struct ext2_super) / SECTOR_SIZE)

// Names of the incompatible features a refusal may mention.
static const struct feature_name {
  uint32_t bit;
  const char *name;
} incompat_names[] = {
  {0x0001, "compression"}, {0x0004, "needs_recovery"}, {0x0008, "journal_dev"},
  {0x0010, "meta_bg"}, {0x0040, "extent"}, {0x0080, "64bit"}, {0x0100, "mmp"},
  {0x0200, "flex_bg"}, {0x0400, "ea_inode"}, {0x1000, "dirdata"},
  {0x2000, "metadata_csum_seed"}, {0x4000, "large_dir"}, {0x8000, "inline_data"},
  {0x10000, "encrypt"}, {0x20000, "casefold"}, {0, NULL},
}, ro_compat_names[] = {
  {0x0004, "btree_dir"}, {0x0008, "huge_file"}, {0x0010, "uninit_bg"}, {0x0020, "dir_nlink"},
  {0x0040, "extra_isize"}, {0x0100, "quota"}, {0x0200, "bigalloc"}, {0x0400, "metadata_csum"},
  {0x1000, "read-only"}, {0x2000, "project"}, {0, NULL},
};

// The name of the first feature of table among bits, or "unknown".
static const char *
feature_name(const struct feature_name *table, uint32_t bits)
{
  for (; table->name != NULL; table++) {
    if (bits & table->bit)
      return table->name;
  }
  return "unknown";
}

// Write the reason for a refusal, printf-style, into why[n]. Returns 1.
static int
refuse(char *why, size_t n, const char *fmt, ...)
{
  va_list ap;

  va_start(ap, fmt);
  vsnprintf(why, n, fmt, ap);
  va_end(ap);
  return 1;
}

// Refuse the superblock *sb of a disk of `sectors` sectors: write the reason into
// why and return 1, or return 0 if this core can mount it.
static int
refuse_super(const struct ext2_super *sb, uint64_t sectors, char *why, size_t n)
{
  uint32_t bs = 1024u << (sb->s_log_block_size & 7);
  uint32_t first = bs == 1024 ? 1 : 0;
  uint32_t ngroups;

  if (sb->s_magic != EXT2_MAGIC)
    return refuse(why, n, "bad magic number 0x%x at byte 1080 (not an ext2 file system)", sb->s_magic);
  if (sb->s_rev_level > 1)
    return refuse(why, n, "unsupported revision %u", sb->s_rev_level);
  if (sb->s_log_block_size > 2)
    return refuse(why, n, "unsupported block size (log %u): only 1, 2 and 4 KiB", sb->s_log_block_size);
  if (sb->s_rev_level == 1 && (sb->s_feature_incompat & ~EXT2_SUPPORTED_INCOMPAT))
    return refuse(why, n, "unsupported incompatible feature %s (0x%x)",
                    feature_name(incompat_names, sb->s_feature_incompat & ~EXT2_SUPPORTED_INCOMPAT),
                    sb->s_feature_incompat);
  if (sb->s_rev_level == 1 && (sb->s_feature_ro_compat & ~EXT2_SUPPORTED_RO_COMPAT))
    return refuse(why, n, "unsupported read-only-compatible feature %s (0x%x): cannot write",
                    feature_name(ro_compat_names, sb->s_feature_ro_compat & ~EXT2_SUPPORTED_RO_COMPAT),
                    sb->s_feature_ro_compat);
  if (sb->s_state & EXT2_ERROR_FS)
    return refuse(why, n, "the file system is marked as having errors: run e2fsck");
  if (sb->s_blocks_count == 0 || sb->s_first_data_block != first)
    return refuse(why, n, "corrupted superblock: %u blocks, first data block %u", sb->s_blocks_count,
                    sb->s_first_data_block);
  if (sb->s_blocks_per_group == 0 || sb->s_blocks_per_group > 8 * bs ||
      sb->s_inodes_per_group == 0 || sb->s_inodes_per_group > 8 * bs)
    return refuse(why, n, "corrupted superblock: %u blocks and %u inodes per group",
                    sb->s_blocks_per_group, sb->s_inodes_per_group);
  if ((uint64_t)sb->s_blocks_count * (bs / SECTOR_SIZE) > sectors)
    return refuse(why, n, "the file system (%u blocks of %u bytes) is larger than the disk (%lu sectors)",
                    sb->s_blocks_count, bs, (unsigned long)sectors);
  ngroups = (sb->s_blocks_count - first + sb->s_blocks_per_group - 1) / sb->s_blocks_per_group;
  if ((uint64_t)ngroups * sb->s_inodes_per_group != sb->s_inodes_count)
    return refuse(why, n, "corrupted superblock: %u inodes is not %u groups of %u", sb->s_inodes_count,
                    ngroups, sb->s_inodes_per_group);
  if (sb->s_free_blocks_count > sb->s_blocks_count || sb->s_free_inodes_count > sb->s_inodes_count)
    return refuse(why, n, "corrupted superblock: free counts above totals");
  return 0;
}

// Refuse revision 1's inode size and first inode if they make no sense (as
// refuse_super does); set fs->inode_size and fs->first_ino otherwise.
static int
refuse_inodes(struct ext2_fs *fs, char *why, size_t n)
{
  uint32_t size = EXT2_GOOD_OLD_INODE_SIZE, first = EXT2_GOOD_OLD_FIRST_INO;

  if (fs->sb.s_rev_level == 1) {
    size = fs->sb.s_inode_size;
    first = fs->sb.s_first_ino;
  }
  if (size < EXT2_GOOD_OLD_INODE_SIZE || size > fs->block_size || (size & (size - 1)) != 0)
    return refuse(why, n, "corrupted superblock: inode size %u", size);
  if (first < EXT2_GOOD_OLD_FIRST_INO || first > fs->sb.s_inodes_count)
    return refuse(why, n, "corrupted superblock: first inode %u", first);
  fs->inode_size = size;
  fs->first_ino = first;
  return 0;
}

// Refuse a group descriptor whose bitmaps or inode table lie outside its group, or
// whose free counts exceed its size (as refuse_super does).
static int
refuse_group(struct ext2_fs *fs, uint32_t g, char *why, size_t n)
{
  struct ext2_group_desc *gd = &fs->groups[g];
  uint32_t lo = fs->sb.s_first_data_block + g * fs->sb.s_blocks_per_group;
  uint32_t hi = lo + fs->sb.s_blocks_per_group;
  uint32_t table_blocks = (fs->sb.s_inodes_per_group * fs->inode_size + fs->block_size - 1) / fs->block_size;

  if (hi > fs->sb.s_blocks_count)
    hi = fs->sb.s_blocks_count;
  if (gd->bg_block_bitmap < lo || gd->bg_block_bitmap >= hi || gd->bg_inode_bitmap < lo ||
      gd->bg_inode_bitmap >= hi || gd->bg_inode_table < lo || gd->bg_inode_table + table_blocks > hi)
    return refuse(why, n, "corrupted group descriptor %u: bitmaps or inode table outside the group", g);
  if (gd->bg_free_blocks_count > hi - lo || gd->bg_free_inodes_count > fs->sb.s_inodes_per_group)
    return refuse(why, n, "corrupted group descriptor %u: free counts above the group's size", g);
  return 0;
}

// Read and check the group descriptor table; make the superblock's free counts the
// sums of the groups'. 0, -EINVAL (with why) or -errno.
static long
load_groups(struct ext2_fs *fs, char *why, size_t n)
{
  uint32_t free_blocks = 0, free_inodes = 0;
  long err;

  fs->gd_blocks = (fs->ngroups * sizeof(struct ext2_group_desc) + fs->block_size - 1) / fs->block_size;
  fs->groups = malloc((size_t)fs->gd_blocks * fs->block_size);
  if (fs->groups == NULL)
    return -ENOMEM;
  err = fs->disk.read(fs->disk.ctx, (uint64_t)(fs->sb.s_first_data_block + 1) * fs->sectors_per_block,
                      fs->gd_blocks * fs->sectors_per_block, fs->groups);
  if (err < 0) {
    snprintf(why, n, "cannot read the group descriptors (error %ld)", err);
    return err;
  }
  for (uint32_t g = 0; g < fs->ngroups; g++) {
    if (refuse_group(fs, g, why, n))
      return -EINVAL;
    free_blocks += fs->groups[g].bg_free_blocks_count;
    free_inodes += fs->groups[g].bg_free_inodes_count;
  }
  if (fs->sb.s_free_blocks_count != free_blocks || fs->sb.s_free_inodes_count != free_inodes) {
    fs->sb.s_free_blocks_count = free_blocks;
    fs->sb.s_free_inodes_count = free_inodes;
    fs->sb_dirty = 1;
  }
  return 0;
}

// Read the superblock into fs->sb and derive the geometry. 0, -EINVAL (with why) or
// -errno.
static long
load_super(struct ext2_fs *fs, char *why, size_t n)
{
  long err;

  if (fs->disk.sectors < SUPER_SECTOR + SUPER_SECTORS) {
    snprintf(why, n, "the disk (%lu sectors) is too small to hold a superblock", (unsigned long)fs->disk.sectors);
    return -EINVAL;
  }
  err = fs->disk.read(fs->disk.ctx, SUPER_SECTOR, SUPER_SECTORS, &fs->sb);
  if (err < 0) {
    snprintf(why, n, "cannot read the superblock (error %ld)", err);
    return err;
  }
  if (refuse_super(&fs->sb, fs->disk.sectors, why, n))
    return -EINVAL;
  fs->block_size = 1024u << fs->sb.s_log_block_size;
  fs->sectors_per_block = fs->block_size / SECTOR_SIZE;
  fs->ptrs_per_block = fs->block_size / 4;
  fs->ngroups = (fs->sb.s_blocks_count - fs->sb.s_first_data_block + fs->sb.s_blocks_per_group - 1) /
                fs->sb.s_blocks_per_group;
  fs->now = fs->sb.s_wtime > EXT2_TIME_FLOOR ? fs->sb.s_wtime : EXT2_TIME_FLOOR;
  fs->alloc_goal = fs->sb.s_first_data_block;
  return refuse_inodes(fs, why, n) ? -EINVAL : 0;
}

// Free everything a mount allocated.
static void
release(struct ext2_fs *fs)
{
  cache_free(fs);
  free(fs->groups);
  free(fs);
}

// Mount; see <lamina/ext2.h>.
long
ext2_mount(const struct ext2_disk *disk, uint32_t cache_blocks, struct ext2_fs **out, char *why,
           size_t why_len)
{
  struct ext2_fs *fs;
  struct ext2_inode root;
  long err;

  snprintf(why, why_len, "mounted");
  fs = calloc(1, sizeof(*fs));
  if (fs == NULL)
    return -ENOMEM;
  fs->disk = *disk;
  err = load_super(fs, why, why_len);
  if (err == 0)
    err = load_groups(fs, why, why_len);
  if (err == 0) {
    err = cache_init(fs, cache_blocks < 16 ? 16 : cache_blocks);
    if (err < 0)
      snprintf(why, why_len, "no memory for a cache of %u blocks", cache_blocks);
  }
  if (err == 0) {
    err = inode_read(fs, EXT2_ROOT_INO, &root);
    if (err == 0 && !inode_is_dir(&root)) {
      snprintf(why, why_len, "corrupted file system: the root inode is not a directory");
      err = -EINVAL;
    }
  }
  if (err < 0) {
    release(fs);
    return err;
  }
  *out = fs;
  return 0;
}

// Write back every dirty block, then the descriptors and superblock, then flush.
// 0 or -errno.
long
ext2_sync(struct ext2_fs *fs)
{
  long err;

  err = cache_writeback(fs);
  if (err == 0 && fs->groups_dirty) {
    err = fs->disk.write(fs->disk.ctx, (uint64_t)(fs->sb.s_first_data_block + 1) * fs->sectors_per_block,
                         fs->gd_blocks * fs->sectors_per_block, fs->groups);
    if (err == 0)
      fs->groups_dirty = 0;
  }
  if (err == 0 && fs->sb_dirty) {
    err = fs->disk.write(fs->disk.ctx, SUPER_SECTOR, SUPER_SECTORS, &fs->sb);
    if (err == 0)
      fs->sb_dirty = 0;
  }
  if (err == 0)
    err = fs->disk.flush(fs->disk.ctx);
  return err;
}

// Close what is open, sync and free; see <lamina/ext2.h>.
long
ext2_unmount(struct ext2_fs *fs)
{
  long err = inode_close_all(fs);
  long sync_err = ext2_sync(fs);

  release(fs);
  return err < 0 ? err : sync_err;
}

// The file system's totals; see <lamina/ext2.h>.
void
ext2_statfs(struct ext2_fs *fs, struct ext2_statfs *st)
{
  st->block_size = fs->block_size;
  st->blocks = fs->sb.s_blocks_count;
  st->free_blocks = fs->sb.s_free_blocks_count;
  st->inodes = fs->sb.s_inodes_count;
  st->free_inodes = fs->sb.s_free_inodes_count;
  st->groups = fs->ngroups;
}
