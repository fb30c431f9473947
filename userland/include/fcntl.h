/* fcntl.h: opening files through the file service (userland/lib/fd.c).
 * The flags are the file protocol's (<lamina/fsproto.h>), which are Linux's. */
#ifndef LAMINA_FCNTL_H
#define LAMINA_FCNTL_H

#include <lamina/fsproto.h>

#define O_RDONLY FS_O_RDONLY
#define O_WRONLY FS_O_WRONLY
#define O_RDWR FS_O_RDWR
#define O_CREAT FS_O_CREAT
#define O_EXCL FS_O_EXCL
#define O_TRUNC FS_O_TRUNC
#define O_APPEND FS_O_APPEND

/* Open path (perm: the permission bits of a file O_CREAT makes) on the file server
 * named by proc_fsd() (<lamina/proc.h>). Returns the lowest free descriptor or
 * -errno (-ENODEV if no file server is known). */
long open(const char *path, int flags, int perm);

#endif /* LAMINA_FCNTL_H */
