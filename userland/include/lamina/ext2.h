/* lamina/ext2.h: the ext2 file system core (userland/lib/ext2/), as the file server
 * (userland/sbin/fsd.c) and the host tests (tests/fs_host/) use it.
 *
 * The core is portable freestanding C: it needs memcpy/memset/memcmp/strlen and
 * malloc/free, and reaches the disk only through the three functions of a struct
 * ext2_disk, which count in 512-byte sectors. Inside Lamina they call sys_disk_io; on
 * the host they read and write an image file.
 *
 * Files are named by path (from the root; there is no current directory) or, once
 * looked up, by inode number. Every call returns 0 or a count on success and -errno
 * on failure, with the E* numbers of <lamina/abi.h>. Writes go to a block cache;
 * ext2_sync writes every dirty block back and then the group descriptors and the
 * superblock, so the image on disk is consistent (e2fsck -fn finds nothing) after it.
 */
#ifndef LAMINA_EXT2_H
#define LAMINA_EXT2_H

#include <stddef.h>
#include <stdint.h>
#include <lamina/abi.h>

/* The longest name of one directory entry, and of a whole path (without its NUL). */
#define EXT2_NAME_MAX 255
#define EXT2_PATH_MAX 1023

/* The root directory's inode number. */
#define EXT2_ROOT_INO 2

/* File types, as ext2 stores them in the top bits of i_mode. */
#define EXT2_S_IFMT 0170000
#define EXT2_S_IFREG 0100000
#define EXT2_S_IFDIR 0040000
#define EXT2_S_IFLNK 0120000

/* The disk the file system lives on: sector-addressed, from sector 0 of the file
 * system. Each function returns 0 or -errno. */
struct ext2_disk {
  void *ctx;  /* handed back to every function */
  uint64_t sectors;  /* size of the disk */
  long (*read)(void *ctx, uint64_t sector, uint32_t count, void *buf);
  long (*write)(void *ctx, uint64_t sector, uint32_t count, const void *buf);
  long (*flush)(void *ctx);  /* make completed writes durable */
};

/* What ext2_stat tells about a file. */
struct ext2_stat {
  uint32_t ino;
  uint32_t mode;  /* EXT2_S_IF* type bits and permission bits */
  uint32_t links;
  uint32_t blocks;  /* 512-byte sectors held, indirect blocks included */
  uint64_t size;
  uint32_t mtime;
  uint32_t pad;
};

/* What ext2_statfs tells about the whole file system. */
struct ext2_statfs {
  uint32_t block_size;
  uint32_t blocks;
  uint32_t free_blocks;
  uint32_t inodes;
  uint32_t free_inodes;
  uint32_t groups;
};

/* One directory entry, as ext2_readdir returns it. */
struct ext2_dirent {
  uint32_t ino;
  uint8_t type;  /* EXT2_FT_* (0 if the image does not record types) */
  uint8_t name_len;
  char name[EXT2_NAME_MAX + 1];  /* NUL-terminated */
};

/* Directory entry types (the filetype feature). */
#define EXT2_FT_UNKNOWN 0
#define EXT2_FT_REG_FILE 1
#define EXT2_FT_DIR 2
#define EXT2_FT_SYMLINK 7

struct ext2_fs;

/* Mount the file system on disk with a cache of cache_blocks blocks. On success sets
 * *out and returns 0; otherwise returns -errno and writes a one-line reason (no
 * newline) into why[why_len], for example "bad magic number 0x0 (not ext2)". */
long ext2_mount(const struct ext2_disk *disk, uint32_t cache_blocks, struct ext2_fs **out,
                char *why, size_t why_len);

/* Write back everything and make it durable. 0 or -errno. */
long ext2_sync(struct ext2_fs *fs);

/* Close every inode still held open (freeing the unlinked ones), sync, then free the
 * file system's memory (even if the sync failed). 0 or -errno. */
long ext2_unmount(struct ext2_fs *fs);

/* Sizes and free counts of the whole file system. */
void ext2_statfs(struct ext2_fs *fs, struct ext2_statfs *st);

/* The inode number of the file at path, in *ino. 0 or -errno. */
long ext2_lookup(struct ext2_fs *fs, const char *path, uint32_t *ino);

/* Facts about inode ino. 0 or -errno. */
long ext2_stat(struct ext2_fs *fs, uint32_t ino, struct ext2_stat *st);

/* Read up to n bytes of file ino from byte off. Returns the count (0 at or past the
 * end of the file), or -errno. */
long ext2_read(struct ext2_fs *fs, uint32_t ino, uint64_t off, void *buf, size_t n);

/* Write n bytes to file ino at byte off, growing the file as needed. Returns the
 * count written (short only when the disk fills up), or -errno. */
long ext2_write(struct ext2_fs *fs, uint32_t ino, uint64_t off, const void *buf, size_t n);

/* Set the size of file ino: freeing blocks past the end, or leaving a hole. 0 or -errno. */
long ext2_truncate(struct ext2_fs *fs, uint32_t ino, uint64_t size);

/* Create a regular file at path with permission bits perm; *ino is its inode.
 * -EEXIST if something is already there. 0 or -errno. */
long ext2_create(struct ext2_fs *fs, const char *path, uint32_t perm, uint32_t *ino);

/* Make an empty directory at path. 0 or -errno. */
long ext2_mkdir(struct ext2_fs *fs, const char *path, uint32_t perm);

/* Remove the name path of a non-directory; the file goes when its last name does
 * and nobody holds it open. 0 or -errno. */
long ext2_unlink(struct ext2_fs *fs, const char *path);

/* Remove the empty directory path. 0 or -errno. */
long ext2_rmdir(struct ext2_fs *fs, const char *path);

/* Give the non-directory at old the additional name new. 0 or -errno. */
long ext2_link(struct ext2_fs *fs, const char *old, const char *new);

/* Move old to new, replacing a file at new (or an empty directory, if old is one).
 * 0 or -errno. */
long ext2_rename(struct ext2_fs *fs, const char *old, const char *new);

/* The next entry of directory ino from byte position *pos (0 to start), skipping
 * empty slots; advances *pos. Returns 1 with *ent filled, 0 at the end, or -errno. */
long ext2_readdir(struct ext2_fs *fs, uint32_t ino, uint64_t *pos, struct ext2_dirent *ent);

/* Hold inode ino open: it outlives its last name until ext2_close. 0 or -errno. */
long ext2_open(struct ext2_fs *fs, uint32_t ino);

/* Let go of an inode held by ext2_open; an unlinked one is freed now. 0 or -errno. */
long ext2_close(struct ext2_fs *fs, uint32_t ino);

#endif /* LAMINA_EXT2_H */
