/* lamina/path.h: paths relative to the current directory (userland/lib/cwd.c).
 *
 * The file service knows only paths from the root. The current directory is part of
 * the process: it lives in the process record (<lamina/proc.h>), so fork copies it
 * and exec keeps it, and the library makes relative paths absolute before they reach
 * the server (open does; programs calling <lamina/fs.h> directly call path_resolve).
 * chdir and getcwd are declared in <unistd.h>.
 */
#ifndef LAMINA_PATH_H
#define LAMINA_PATH_H

#include <stddef.h>

/* path as an absolute path without "." or ".." components, in out (n bytes): a
 * relative path is taken from the current directory. Returns its length or -errno:
 * -ENOENT for an empty path, -ENAMETOOLONG if it does not fit. */
long path_resolve(const char *path, char *out, size_t n);

#endif /* LAMINA_PATH_H */
