/* lamina/fsproto.h: the file service's protocol: the messages between a client
 * (userland/lib/fsclient.c) and the file server fsd (userland/sbin/fsd.c).
 *
 * This is a user-level protocol: the kernel only carries the messages and knows
 * nothing of files (so it is not in <lamina/abi.h>).
 *
 * A request is one ipc_call to the server's domain:
 *   w[0]   the request code, FS_*
 *   w[1..3] arguments, as listed below
 *   page   the client's page, sent with send_page = page | PERM_R | PERM_W; it carries
 *          paths (NUL-terminated: the first at byte FS_PAGE_PATH1, a second
 *          one at byte FS_PAGE_PATH2) and data in both directions. Requests that name no path and
 *          move no data need no page.
 * The reply:
 *   w[0]   the result: >= 0 on success, -errno on failure (E* of <lamina/abi.h>)
 *   w[1]   for FS_OPEN, the file's size; otherwise 0
 * Clients are told apart by their domain id (the sender of the call); a descriptor
 * is a small number that means something only to the client that opened it.
 *
 *   request       w[1]        w[2]       w[3]     page in       page out     result
 *   FS_OPEN       FS_O_*      perm                path                       descriptor
 *   FS_CLOSE      fd                                                         0
 *   FS_READ       fd          count                              data        bytes read (0: end)
 *   FS_PREAD      fd          count      offset                  data        bytes read at offset
 *   FS_WRITE      fd          count               data                       bytes written
 *   FS_SEEK       fd          offset     whence                              new offset
 *   FS_FSTAT      fd                                             fs_stat     0
 *   FS_STAT                                       path           fs_stat     0
 *   FS_READDIR    fd                                             fs_dirents  bytes (0: end)
 *   FS_MKDIR      perm                            path                       0
 *   FS_UNLINK                                     path                       0
 *   FS_RMDIR                                      path                       0
 *   FS_RENAME                                     old, new                   0
 *   FS_LINK                                       old, new                   0
 *   FS_TRUNCATE   size                            path                       0
 *   FS_FTRUNCATE  fd          size                                           0
 *   FS_SYNC                                                                  0
 *   FS_STATFS                                                    fs_statfs   0
 *   FS_SHUTDOWN   (unmount, reply, and end the server)                       0
 *
 * count is at most FS_IO_MAX. A server that is busy and cannot queue the request
 * answers -EAGAIN: the client should yield and ask again.
 */
#ifndef LAMINA_FSPROTO_H
#define LAMINA_FSPROTO_H

#include <stdint.h>
#include <lamina/abi.h>

/* Request codes (w[0]). */
#define FS_OPEN 1
#define FS_CLOSE 2
#define FS_READ 3
#define FS_WRITE 4
#define FS_SEEK 5
#define FS_FSTAT 6
#define FS_STAT 7
#define FS_READDIR 8
#define FS_MKDIR 9
#define FS_UNLINK 10
#define FS_RMDIR 11
#define FS_RENAME 12
#define FS_LINK 13
#define FS_TRUNCATE 14
#define FS_FTRUNCATE 15
#define FS_SYNC 16
#define FS_STATFS 17
#define FS_SHUTDOWN 18
#define FS_PREAD 19  /* read at an offset, leaving the descriptor's own alone (POSIX pread) */

/* Where the paths of a request sit in the page, and how long they may be: each must
 * end with a NUL within its first FS_PATH_MAX + 1 bytes. */
#define FS_PAGE_PATH1 0
#define FS_PAGE_PATH2 2048
#define FS_PATH_MAX 1023  /* bytes before the NUL */

/* The most bytes one FS_READ, FS_PREAD or FS_WRITE moves: one page. */
#define FS_IO_MAX PAGE_SIZE

/* Descriptors each client may have open at once. */
#define FS_MAX_FDS 16

/* FS_OPEN flags (w[1]); the numbers are Linux's. */
#define FS_O_RDONLY 0
#define FS_O_WRONLY 1
#define FS_O_RDWR 2
#define FS_O_ACCMODE 3
#define FS_O_CREAT 0100
#define FS_O_EXCL 0200
#define FS_O_TRUNC 01000
#define FS_O_APPEND 02000
#define FS_O_DIRECTORY 0200000

/* FS_SEEK whence (w[3]). */
#define FS_SEEK_SET 0
#define FS_SEEK_CUR 1
#define FS_SEEK_END 2

/* File types in fs_stat.mode (the Unix numbers, as ext2 stores them). */
#define FS_S_IFMT 0170000
#define FS_S_IFREG 0100000
#define FS_S_IFDIR 0040000
#define FS_S_IFLNK 0120000

/* Entry types in fs_dirent.type (0 if the disk does not record them). */
#define FS_DT_UNKNOWN 0
#define FS_DT_REG 1
#define FS_DT_DIR 2
#define FS_DT_LNK 7

/* What FS_STAT and FS_FSTAT write at byte 0 of the page. */
struct fs_stat {
  uint64_t size;  /* bytes */
  uint32_t ino;  /* inode number */
  uint32_t mode;  /* FS_S_IF* type and permission bits */
  uint32_t links;  /* names the file has */
  uint32_t blocks;  /* 512-byte sectors it holds */
  uint32_t mtime;  /* last modification, seconds since 1970 */
  uint32_t pad;
};

/* What FS_STATFS writes at byte 0 of the page. */
struct fs_statfs {
  uint32_t block_size;
  uint32_t blocks;
  uint32_t free_blocks;
  uint32_t inodes;
  uint32_t free_inodes;
  uint32_t pad;
};

/* FS_READDIR fills the page with these records, one after the other; each starts
 * on an 8-byte boundary, and reclen leads to the next. name is NUL-terminated. */
struct fs_dirent {
  uint32_t ino;
  uint16_t reclen;
  uint8_t type;  /* FS_DT_* */
  uint8_t name_len;
  char name[];
};

#endif /* LAMINA_FSPROTO_H */
