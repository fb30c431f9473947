/* unistd.h: processes and file descriptors, Unix style, from the library OS
 * (userland/lib/fork.c, wait.c, fd.c, exec.c, spawn.c), built only on Lamina's
 * kernel calls.
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

/* Replace this process's program with the executable at path (read through the file
 * server), giving it argv (argv[0] is the program's name; argv may be NULL for none).
 * The pid, parent, children, file server, console and descriptors (pipes included)
 * stay; memory, the heap and the fault handler do not; stdout is flushed first.
 * Does not return on success. On failure returns -errno with this program intact:
 * ENOENT (no such file), EACCES (not a regular file with an execute bit), ENOEXEC
 * (not a valid RV64 executable for Lamina: see docs/processes.md), E2BIG (more than
 * MAX_ARGS arguments or MAX_ARG_BYTES bytes of them), ENODEV (no file server known),
 * ENOMEM, or another error of the file server. */
long execv(const char *path, char *const argv[]);

/* A new child process running the executable at path with argv, posix_spawn-like:
 * it inherits the file server, console and descriptors, nothing else. Returns the
 * child's pid (wait for it with waitpid), or -errno as execv, and EAGAIN (too many
 * children not yet waited for). */
long spawnv(const char *path, char *const argv[]);

/* For execv and spawnv: save the descriptor table in FD_SAVE_VA (<lamina/exec.h>)
 * for the next program, or give it to child. 0 or -errno. */
long fd_exec_save(void);
long fd_give(long child);

/* Make path (relative to the current directory, or absolute) the current directory,
 * which fork copies and exec keeps (userland/lib/cwd.c). 0 or -errno. */
long chdir(const char *path);

/* Copy the current directory's absolute path into buf (n bytes): its length, or
 * -ERANGE if it does not fit (unlike POSIX, which returns buf or NULL). */
long getcwd(char *buf, size_t n);

#endif /* LAMINA_UNISTD_H */
