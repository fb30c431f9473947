/* lamina/fs.h: the file service's client library (userland/lib/fsclient.c).
 *
 * Each call sends one or more requests (<lamina/fsproto.h>) to the file server
 * running in domain `server` and returns its answer: 0 or a count on success, -errno
 * on failure (ENOENT, ENOTDIR, EISDIR, EEXIST, ENOTEMPTY, ENOSPC, EBADF, ...; ESRCH if
 * there is no such server). Paths start at the root of the file system.
 *
 * fs_read and fs_write move any amount, one page per request; the other calls are
 * one request each. A later layer puts POSIX file descriptors on top of these.
 */
#ifndef LAMINA_FS_H
#define LAMINA_FS_H

#include <stddef.h>
#include <lamina/fsproto.h>

/* Open path with FS_O_* flags (perm: the permission bits of a file FS_O_CREAT
 * makes). Returns a descriptor. */
long fs_open(long server, const char *path, int flags, int perm);

/* Close descriptor fd. */
long fs_close(long server, long fd);

/* Read up to n bytes from fd's offset into buf. Returns the count: n, or less at the
 * end of the file (0 at the end). */
long fs_read(long server, long fd, void *buf, size_t n);

/* Read up to n bytes at offset of the file into buf, leaving fd's offset where it
 * is (POSIX pread). Returns the count, as fs_read. */
long fs_pread(long server, long fd, void *buf, size_t n, unsigned long offset);

/* Write n bytes of buf at fd's offset (at the end, for FS_O_APPEND). Returns n, or
 * less if the disk filled up. */
long fs_write(long server, long fd, const void *buf, size_t n);

/* Move fd's offset (whence: FS_SEEK_SET, FS_SEEK_CUR, FS_SEEK_END). Returns it. */
long fs_seek(long server, long fd, long offset, int whence);

/* Facts about the file at path, or open as fd. */
long fs_stat(long server, const char *path, struct fs_stat *st);
long fs_fstat(long server, long fd, struct fs_stat *st);

/* The next entries of the directory open as fd, as struct fs_dirent records packed
 * into buf (len bytes, at least FS_IO_MAX to be sure one fits). Returns the bytes
 * used, 0 at the end. */
long fs_readdir(long server, long fd, void *buf, size_t len);

/* Make a directory; remove a file's name; remove an empty directory. */
long fs_mkdir(long server, const char *path, int perm);
long fs_unlink(long server, const char *path);
long fs_rmdir(long server, const char *path);

/* Move old to new (replacing a file there); give the file old the name new too. */
long fs_rename(long server, const char *old, const char *new);
long fs_link(long server, const char *old, const char *new);

/* Set the size of the file at path, or open for writing as fd. */
long fs_truncate(long server, const char *path, unsigned long size);
long fs_ftruncate(long server, long fd, unsigned long size);

/* Write every change back to the disk. */
long fs_sync(long server);

/* Sizes and free space of the file system. */
long fs_statfs(long server, struct fs_statfs *st);

/* Sync and end the server. */
long fs_shutdown(long server);

/* The name of error -err ("ENOENT" for -ENOENT), for messages; "E?" if unknown. */
const char *fs_errname(long err);

/* What a failed file-service call's -err means, for a person: strerror's text, except
 * that -ESRCH, which only a server that has gone answers, says the file server is not
 * running ("no such process" would name the wrong thing). */
const char *fs_strerror(long err);

#endif /* LAMINA_FS_H */
