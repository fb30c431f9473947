// ext2_namei.c: paths: walking them from the root, and the calls that add or take away
// names (create, mkdir, link, unlink, rmdir). Renaming is in ext2_rename.c.
//
// A path is a series of names separated by '/'. Every path starts at the root,
// whether or not it begins with '/' (the core has no current directory), and "."
// and ".." are ordinary entries every directory holds. Symbolic links are not
// followed. A directory's link count is 2 (its name and its ".") plus one for the
// ".." of each subdirectory, which is what e2fsck checks.

#include <string.h>
#include "ext2fs.h"

// Permission bits a new file or directory may be given.
#define PERM_BITS 07777

// True if name (len bytes) is "." or "..".
int
name_is_dot(const char *name, size_t len)
{
  return (len == 1 && name[0] == '.') || (len == 2 && name[0] == '.' && name[1] == '.');
}

// Find the next name in *path, skipping slashes: *name and *len describe it and
// *path moves past it. Returns 1, 0 at the end of the path, or -ENAMETOOLONG.
static long
next_name(const char **path, const char **name, size_t *len)
{
  const char *p = *path;

  while (*p == '/')
    p++;
  if (*p == '\0')
    return 0;
  *name = p;
  while (*p != '/' && *p != '\0')
    p++;
  *len = (size_t)(p - *name);
  *path = p;
  return *len > EXT2_NAME_MAX ? -ENAMETOOLONG : 1;
}

// Check that path is a string a client may pass: not empty, not too long.
// 0, -ENOENT or -ENAMETOOLONG.
static long
path_ok(const char *path)
{
  size_t n = 0;

  while (n <= EXT2_PATH_MAX && path[n] != '\0')
    n++;
  if (n > EXT2_PATH_MAX)
    return -ENAMETOOLONG;
  return n == 0 ? -ENOENT : 0;
}

// True if path ends in '/': POSIX reads "a/" as "the directory a", so a file there
// is -ENOTDIR and a new file cannot be made there (-EISDIR).
int
path_ends_in_slash(const char *path)
{
  size_t n = strlen(path);

  return n > 0 && path[n - 1] == '/';
}

// The inode number of path, in *ino. 0 or -errno (-ENOENT, -ENOTDIR, ...).
long
ext2_lookup(struct ext2_fs *fs, const char *path, uint32_t *ino)
{
  uint32_t cur = EXT2_ROOT_INO;
  struct ext2_inode inode;
  const char *name, *whole = path;
  size_t len;
  long err;

  err = path_ok(path);
  if (err < 0)
    return err;
  while ((err = next_name(&path, &name, &len)) == 1) {
    err = dir_lookup(fs, cur, name, len, &cur);
    if (err < 0)
      return err;
  }
  if (err < 0)
    return err;
  if (path_ends_in_slash(whole) && cur != EXT2_ROOT_INO) {
    err = inode_read(fs, cur, &inode);
    if (err < 0)
      return err;
    if (!inode_is_dir(&inode))
      return -ENOTDIR;
  }
  *ino = cur;
  return 0;
}

// Split path into the directory holding its last name (*dir, checked to be a
// directory) and that name (*name, *len: pointing into path). 0 or -errno; -EBUSY
// for the root itself, which has no last name.
long
path_parent(struct ext2_fs *fs, const char *path, uint32_t *dir, const char **name, size_t *len)
{
  uint32_t cur = EXT2_ROOT_INO;
  struct ext2_inode inode;
  const char *next_name_at;
  size_t next_len;
  long err;

  err = path_ok(path);
  if (err < 0)
    return err;
  err = next_name(&path, name, len);
  if (err <= 0)
    return err == 0 ? -EBUSY : err;
  // Walk while another name follows the current one.
  while ((err = next_name(&path, &next_name_at, &next_len)) == 1) {
    err = dir_lookup(fs, cur, *name, *len, &cur);
    if (err < 0)
      return err;
    *name = next_name_at;
    *len = next_len;
  }
  if (err < 0)
    return err;
  err = inode_read(fs, cur, &inode);
  if (err < 0)
    return err;
  if (!inode_is_dir(&inode))
    return -ENOTDIR;
  *dir = cur;
  return 0;
}

// Check that name is free in directory dir. 0, -EEXIST or -errno.
static long
name_free(struct ext2_fs *fs, uint32_t dir, const char *name, size_t len)
{
  uint32_t ino;
  long err;

  if (name_is_dot(name, len))
    return -EEXIST;
  err = dir_lookup(fs, dir, name, len, &ino);
  if (err == 0)
    return -EEXIST;
  return err == -ENOENT ? 0 : err;
}

// Create a regular file at path; see <lamina/ext2.h>.
long
ext2_create(struct ext2_fs *fs, const char *path, uint32_t perm, uint32_t *ino)
{
  struct ext2_inode inode;
  uint16_t mode = EXT2_S_IFREG | (perm & PERM_BITS);
  uint32_t dir;
  const char *name;
  size_t len;
  long err;

  if (path_ends_in_slash(path) && path_ok(path) == 0)
    return -EISDIR;  // "a/" names a directory: a regular file cannot be made there
  err = path_parent(fs, path, &dir, &name, &len);
  if (err == 0)
    err = name_free(fs, dir, name, len);
  if (err == 0)
    err = inode_alloc(fs, dir, 0, ino);
  if (err < 0)
    return err;
  err = inode_init(fs, *ino, mode, &inode);
  if (err < 0) {
    inode_free_bit(fs, *ino, 0);
    return err;
  }
  err = dir_add(fs, dir, name, len, *ino, mode);
  if (err < 0)
    inode_drop_link(fs, *ino, &inode);  // undo: the inode goes back
  return err;
}

// Make a directory at path; see <lamina/ext2.h>.
long
ext2_mkdir(struct ext2_fs *fs, const char *path, uint32_t perm)
{
  struct ext2_inode inode;
  uint16_t mode = EXT2_S_IFDIR | (perm & PERM_BITS);
  uint32_t dir, ino;
  const char *name;
  size_t len;
  long err;

  err = path_parent(fs, path, &dir, &name, &len);
  if (err == 0)
    err = name_free(fs, dir, name, len);
  if (err == 0)
    err = inode_add_links(fs, dir, 1);  // for the new directory's ".."
  if (err < 0)
    return err;
  err = inode_alloc(fs, dir, 1, &ino);
  if (err < 0) {
    inode_add_links(fs, dir, -1);
    return err;
  }
  err = inode_init(fs, ino, mode, &inode);
  if (err < 0) {
    inode_free_bit(fs, ino, 1);
    inode_add_links(fs, dir, -1);
    return err;
  }
  inode.i_links_count = 2;  // its name and its "."
  err = dir_init(fs, ino, &inode, dir);
  if (err == 0)
    err = dir_add(fs, dir, name, len, ino, mode);
  if (err < 0) {
    inode.i_links_count = 1;
    inode_drop_link(fs, ino, &inode);
    inode_add_links(fs, dir, -1);
  }
  return err;
}

// Give the non-directory at old the additional name new; see <lamina/ext2.h>.
long
ext2_link(struct ext2_fs *fs, const char *old, const char *new)
{
  struct ext2_inode inode;
  uint32_t ino, dir;
  const char *name;
  size_t len;
  long err;

  err = ext2_lookup(fs, old, &ino);
  if (err == 0)
    err = inode_read(fs, ino, &inode);
  if (err < 0)
    return err;
  if (inode_is_dir(&inode))
    return -EPERM;
  err = path_parent(fs, new, &dir, &name, &len);
  if (err == 0)
    err = name_free(fs, dir, name, len);
  if (err == 0)
    err = inode_add_links(fs, ino, 1);
  if (err < 0)
    return err;
  err = dir_add(fs, dir, name, len, ino, inode.i_mode);
  if (err < 0)
    inode_add_links(fs, ino, -1);
  return err;
}

// Remove the name path of a non-directory; see <lamina/ext2.h>.
long
ext2_unlink(struct ext2_fs *fs, const char *path)
{
  struct ext2_inode inode;
  uint32_t dir, ino;
  const char *name;
  size_t len;
  long err;

  if (path_ends_in_slash(path)) {  // "f/": not a file, whatever f is
    err = ext2_lookup(fs, path, &ino);
    return err < 0 ? err : -EISDIR;
  }
  err = path_parent(fs, path, &dir, &name, &len);
  if (err < 0)
    return err == -EBUSY ? -EISDIR : err;
  if (name_is_dot(name, len))
    return -EISDIR;
  err = dir_lookup(fs, dir, name, len, &ino);
  if (err == 0)
    err = inode_read(fs, ino, &inode);
  if (err < 0)
    return err;
  if (inode_is_dir(&inode))
    return -EISDIR;
  err = dir_remove(fs, dir, name, len);
  if (err < 0)
    return err;
  return inode_drop_link(fs, ino, &inode);
}

// Remove the empty directory path; see <lamina/ext2.h>.
long
ext2_rmdir(struct ext2_fs *fs, const char *path)
{
  struct ext2_inode inode;
  uint32_t dir, ino;
  const char *name;
  size_t len;
  long err;

  err = path_parent(fs, path, &dir, &name, &len);
  if (err < 0)
    return err;
  if (name_is_dot(name, len))
    return len == 1 ? -EINVAL : -ENOTEMPTY;
  err = dir_lookup(fs, dir, name, len, &ino);
  if (err == 0)
    err = inode_read(fs, ino, &inode);
  if (err < 0)
    return err;
  if (!inode_is_dir(&inode))
    return -ENOTDIR;
  err = dir_is_empty(fs, ino);
  if (err <= 0)
    return err == 0 ? -ENOTEMPTY : err;
  err = dir_remove(fs, dir, name, len);
  if (err == 0)
    err = inode_add_links(fs, dir, -1);  // the removed directory's ".."
  if (err < 0)
    return err;
  inode.i_links_count = 1;  // its "." goes with it
  return inode_drop_link(fs, ino, &inode);
}
