/* unistd.h: processes and file descriptors, Unix style, from the library OS
 * (userland/lib/fork.c, wait.c, fd.c), built only on Lamina's kernel calls.
 *
 * Unlike POSIX, calls that fail return -errno (the E* of <lamina/abi.h>) rather than
 * -1 with errno set, like the rest of Lamina's library.
 */
#ifndef LAMINA_UNISTD_H
#define LAMINA_UNISTD_H

#include <stddef.h>
#include <lamina/abi.h>  /* the E* numbers the calls return negated */

#define STDIN_FILENO 0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

/* lseek's whence (the values of <lamina/fsproto.h>'s FS_SEEK_*). */
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

/* A copy of this process, sharing its memory copy-on-write. Returns the child's pid
 * in the parent, 0 in the child, or -errno. */
long fork(void);

/* This process's id (its domain id), and its parent's (0 if booted by the kernel). */
long getpid(void);
long getppid(void);

/* End the process with status without flushing stdio. */
void _exit(int status) __attribute__((noreturn));

/* Read up to n bytes from fd into buf: the count, 0 at the end, or -errno. */
long read(int fd, void *buf, size_t n);

/* Write n bytes of buf to fd: the count or -errno. */
long write(int fd, const void *buf, size_t n);

/* Close fd. 0 or -errno. */
long close(int fd);

/* Move fd's offset. The new offset or -errno (-ESPIPE for the console). */
long lseek(int fd, long offset, int whence);

/* A new descriptor (the lowest free) for what fd names, sharing its offset. */
long dup(int fd);

/* Make newfd name what oldfd names, closing newfd first. newfd or -errno. */
long dup2(int oldfd, int newfd);

/* A pipe: fds[0] reads what fds[1] writes (<lamina/pipe.h>). 0 or -errno. */
long pipe(int fds[2]);

/* For fork: share this process's pipes with child. 0 or -errno. */
long fd_fork(long child);

#endif /* LAMINA_UNISTD_H */
