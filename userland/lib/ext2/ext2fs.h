/* ext2fs.h: the ext2 core's private declarations: the on-disk records, the in-memory
 * file system, and the functions the core's files (userland/lib/ext2/) share.
 *
 * The on-disk layout is the one of Linux's ext2 (and of toolchain/ext2/layout.py):
 *
 *   | boot 1 KiB | superblock 1 KiB | ... group descriptors ... | group 0 | group 1 | ...
 *
 * Every block group holds a block bitmap, an inode bitmap, a slice of the inode table
 * and data blocks. ext2 is little-endian, as RISC-V and the host are, so the records
 * below are read and written in place.
 *
 * Layers inside the core, bottom up (each file is ext2_<layer>.c; the prefix keeps
 * the names unique in libuser.a): cache (blocks through a write-back cache), alloc
 * (bitmaps and free counts), inode (inodes and open counts), bmap (file blocks to
 * disk blocks, and freeing them), file (a file's bytes), dir (entries of one
 * directory), namei and rename (paths), super (mount and sync).
 */
#ifndef EXT2FS_H
#define EXT2FS_H

#include <stddef.h>
#include <stdint.h>
#include <lamina/ext2.h>

#define EXT2_MAGIC 0xEF53
#define EXT2_SUPER_OFFSET 1024  /* the superblock's byte offset on the disk */
#define EXT2_VALID_FS 1  /* s_state: cleanly unmounted */
#define EXT2_ERROR_FS 2  /* s_state: errors detected */
#define EXT2_GOOD_OLD_INODE_SIZE 128  /* revision 0's inode size */
#define EXT2_GOOD_OLD_FIRST_INO 11  /* revision 0's first non-reserved inode */
#define EXT2_NDIR_BLOCKS 12  /* i_block[0..11] point at data blocks */
#define EXT2_IND_BLOCK 12  /* i_block[12]: single indirect */
#define EXT2_DIND_BLOCK 13  /* i_block[13]: double indirect */
#define EXT2_TIND_BLOCK 14  /* i_block[14]: triple indirect */
#define EXT2_N_BLOCKS 15
#define EXT2_INDEX_FL 0x1000  /* i_flags: directory has a hash index (dir_index) */
#define EXT2_MAX_FILE_SIZE 0x7fffffffULL  /* without large_file, sizes fit 31 bits */
#define EXT2_LINK_MAX 32000
/* There is no clock: inodes are stamped with the superblock's last write time, but
 * never earlier than this (2023-11-14), because e2fsck reads a deletion time below
 * the inode count as a link of an orphan list. */
#define EXT2_TIME_FLOOR 1700000000u

/* Feature flags this core understands. An image with another incompatible feature
 * is refused; so is one with another read-only-compatible feature, because the core
 * always mounts for writing. Compatible features need nothing. */
#define EXT2_FEATURE_INCOMPAT_FILETYPE 0x0002
#define EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER 0x0001
#define EXT2_FEATURE_RO_COMPAT_LARGE_FILE 0x0002
#define EXT2_SUPPORTED_INCOMPAT EXT2_FEATURE_INCOMPAT_FILETYPE
#define EXT2_SUPPORTED_RO_COMPAT (EXT2_FEATURE_RO_COMPAT_SPARSE_SUPER | EXT2_FEATURE_RO_COMPAT_LARGE_FILE)

/* The superblock, at byte 1024 of the disk (1024 bytes). */
struct ext2_super {
  uint32_t s_inodes_count;
  uint32_t s_blocks_count;
  uint32_t s_r_blocks_count;
  uint32_t s_free_blocks_count;
  uint32_t s_free_inodes_count;
  uint32_t s_first_data_block;
  uint32_t s_log_block_size;  /* block size = 1024 << this */
  uint32_t s_log_frag_size;
  uint32_t s_blocks_per_group;
  uint32_t s_frags_per_group;
  uint32_t s_inodes_per_group;
  uint32_t s_mtime;
  uint32_t s_wtime;
  uint16_t s_mnt_count;
  uint16_t s_max_mnt_count;
  uint16_t s_magic;
  uint16_t s_state;
  uint16_t s_errors;
  uint16_t s_minor_rev_level;
  uint32_t s_lastcheck;
  uint32_t s_checkinterval;
  uint32_t s_creator_os;
  uint32_t s_rev_level;
  uint16_t s_def_resuid;
  uint16_t s_def_resgid;
  /* Revision 1 ("dynamic") only: */
  uint32_t s_first_ino;
  uint16_t s_inode_size;
  uint16_t s_block_group_nr;
  uint32_t s_feature_compat;
  uint32_t s_feature_incompat;
  uint32_t s_feature_ro_compat;
  uint8_t s_uuid[16];
  char s_volume_name[16];
  char s_last_mounted[64];
  uint32_t s_algo_bitmap;
  uint8_t s_rest[820];
};

/* One block group's descriptor (32 bytes); the table follows the superblock's block. */
struct ext2_group_desc {
  uint32_t bg_block_bitmap;
  uint32_t bg_inode_bitmap;
  uint32_t bg_inode_table;
  uint16_t bg_free_blocks_count;
  uint16_t bg_free_inodes_count;
  uint16_t bg_used_dirs_count;
  uint16_t bg_pad;
  uint32_t bg_reserved[3];
};

/* The first 128 bytes of an inode (revision 1 inodes may be larger; the rest is kept). */
struct ext2_inode {
  uint16_t i_mode;
  uint16_t i_uid;
  uint32_t i_size;
  uint32_t i_atime;
  uint32_t i_ctime;
  uint32_t i_mtime;
  uint32_t i_dtime;  /* deletion time: nonzero exactly when the inode is free */
  uint16_t i_gid;
  uint16_t i_links_count;
  uint32_t i_blocks;  /* in 512-byte sectors */
  uint32_t i_flags;
  uint32_t i_osd1;
  uint32_t i_block[EXT2_N_BLOCKS];
  uint32_t i_generation;
  uint32_t i_file_acl;  /* extended-attribute block, or 0 */
  uint32_t i_size_high;  /* regular files: the top 32 bits of the size (i_dir_acl) */
  uint32_t i_faddr;
  uint8_t i_osd2[12];
};

/* The fixed head of a directory entry; name_len bytes of name follow. */
struct ext2_dirent_head {
  uint32_t inode;  /* 0: an empty slot */
  uint16_t rec_len;  /* bytes to the next entry, a multiple of 4 */
  uint8_t name_len;
  uint8_t file_type;  /* with the filetype feature; else the high byte of name_len, 0 */
};

_Static_assert(sizeof(struct ext2_super) == 1024, "superblock layout");
_Static_assert(sizeof(struct ext2_group_desc) == 32, "group descriptor layout");
_Static_assert(sizeof(struct ext2_inode) == 128, "inode layout");
_Static_assert(sizeof(struct ext2_dirent_head) == 8, "directory entry layout");

/* One block of the cache. */
struct ext2_buf {
  uint32_t block;  /* block number on disk */
  uint8_t valid;  /* data holds the block */
  uint8_t dirty;  /* data is newer than the disk */
  uint16_t refs;  /* users between buf_read and buf_release */
  uint32_t last_use;  /* for choosing the least recently used buffer */
  struct ext2_buf *hash_next;  /* next buffer in the same hash bucket */
  uint8_t *data;
};

/* An inode held open (ext2_open) and how many times. */
struct ext2_open_inode {
  uint32_t ino;
  uint32_t refs;
};

#define EXT2_MAX_OPEN 128

/* A mounted file system. */
struct ext2_fs {
  struct ext2_disk disk;
  struct ext2_super sb;  /* in memory; written back by ext2_sync */
  struct ext2_group_desc *groups;  /* the descriptor table, in memory */
  uint8_t sb_dirty;
  uint8_t groups_dirty;
  uint32_t block_size;
  uint32_t sectors_per_block;
  uint32_t ngroups;
  uint32_t gd_blocks;  /* blocks the descriptor table occupies */
  uint32_t inode_size;
  uint32_t first_ino;
  uint32_t ptrs_per_block;  /* block numbers in an indirect block */
  uint32_t now;  /* the time stamped on inodes (see EXT2_TIME_FLOOR) */
  uint32_t alloc_goal;  /* where the next block search starts: after the last one */
  /* The block cache. */
  struct ext2_buf *bufs;
  uint32_t nbufs;
  struct ext2_buf **hash;
  uint32_t hash_mask;
  uint32_t use_clock;
  uint8_t *staging;  /* STAGING_BLOCKS blocks, to write runs of blocks at once */
  struct ext2_open_inode open[EXT2_MAX_OPEN];
};

/* ext2_cache.c */
long cache_init(struct ext2_fs *fs, uint32_t nbufs);
void cache_free(struct ext2_fs *fs);
long buf_read(struct ext2_fs *fs, uint32_t block, struct ext2_buf **bp);
long buf_get_zeroed(struct ext2_fs *fs, uint32_t block, struct ext2_buf **bp);
void buf_dirty(struct ext2_buf *b);
void buf_release(struct ext2_buf *b);
void buf_forget(struct ext2_fs *fs, uint32_t block);
long cache_writeback(struct ext2_fs *fs);
int cache_has(struct ext2_fs *fs, uint32_t block);
uint32_t cache_run_max(struct ext2_fs *fs);
long cache_read_ahead(struct ext2_fs *fs, uint32_t block, uint32_t n);

/* ext2_alloc.c */
long block_alloc(struct ext2_fs *fs, uint32_t goal, uint32_t *block);
long block_free(struct ext2_fs *fs, uint32_t block);
long inode_alloc(struct ext2_fs *fs, uint32_t near_ino, int is_dir, uint32_t *ino);
long inode_free_bit(struct ext2_fs *fs, uint32_t ino, int is_dir);

/* ext2_inode.c */
int valid_block(struct ext2_fs *fs, uint32_t block);
long inode_read(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *ip);
long inode_write(struct ext2_fs *fs, uint32_t ino, const struct ext2_inode *ip);
long inode_init(struct ext2_fs *fs, uint32_t ino, uint16_t mode, struct ext2_inode *ip);
long inode_drop_link(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *ip);
long inode_add_links(struct ext2_fs *fs, uint32_t ino, int delta);
long inode_close_all(struct ext2_fs *fs);
uint64_t inode_size(const struct ext2_inode *ip);
void inode_set_size(struct ext2_inode *ip, uint64_t size);
int inode_is_dir(const struct ext2_inode *ip);

/* ext2_bmap.c */
long bmap(struct ext2_fs *fs, struct ext2_inode *ip, uint32_t fblock, int alloc, uint32_t *block,
          int *fresh);
long bmap_truncate(struct ext2_fs *fs, struct ext2_inode *ip, uint64_t size);

/* ext2_file.c */
long file_truncate(struct ext2_fs *fs, uint32_t ino, struct ext2_inode *ip, uint64_t size);

/* ext2_dir.c */
uint8_t dir_type_of(struct ext2_fs *fs, uint16_t mode);
long dir_lookup(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len, uint32_t *ino);
long dir_add(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len, uint32_t ino,
             uint16_t mode);
long dir_remove(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len);
long dir_retarget(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len, uint32_t ino,
                  uint16_t mode);
long dir_is_empty(struct ext2_fs *fs, uint32_t dir);
long dir_init(struct ext2_fs *fs, uint32_t dir, struct ext2_inode *ip, uint32_t parent);

/* ext2_namei.c */
long path_parent(struct ext2_fs *fs, const char *path, uint32_t *dir, const char **name,
                 size_t *len);
int name_is_dot(const char *name, size_t len);
int path_ends_in_slash(const char *path);

#endif /* EXT2FS_H */
