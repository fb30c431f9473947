// ext2_rename.c: moving a name, possibly to another directory, possibly replacing what
// was there, with the link counts and ".." entries kept right.
//
// The steps, in an order that never leaves a file without a name: the new name is
// added (or the existing new name is pointed at the file), then the old name is
// removed, then a moved directory's ".." is pointed at its new parent, and last the
// replaced file, if any, loses its link.

#include "ext2fs.h"

// The most ".." steps from a directory up to the root (more means a loop: corruption).
#define MAX_DEPTH 4096

// Returns 1 if directory dir is ancestor or dir itself, 0 if not, or -errno.
static long
is_within(struct ext2_fs *fs, uint32_t dir, uint32_t ancestor)
{
  for (int steps = 0; steps < MAX_DEPTH; steps++) {
    long err;

    if (dir == ancestor)
      return 1;
    if (dir == EXT2_ROOT_INO)
      return 0;
    err = dir_lookup(fs, dir, "..", 2, &dir);
    if (err < 0)
      return err;
  }
  return -EIO;
}

// Check that the file *target may be replaced by the file *moved (both already
// read). 0 or -errno (-ENOTDIR, -EISDIR, -ENOTEMPTY).
static long
replaceable(struct ext2_fs *fs, uint32_t target, const struct ext2_inode *ti,
            const struct ext2_inode *moved)
{
  long err;

  if (inode_is_dir(moved) && !inode_is_dir(ti))
    return -ENOTDIR;
  if (!inode_is_dir(moved) && inode_is_dir(ti))
    return -EISDIR;
  if (!inode_is_dir(ti))
    return 0;
  err = dir_is_empty(fs, target);
  if (err < 0)
    return err;
  return err == 1 ? 0 : -ENOTEMPTY;
}

// Take the replaced file (inode target, *ti) out of directory ndir's count of
// links and free it if that was its last link. 0 or -errno.
static long
drop_replaced(struct ext2_fs *fs, uint32_t ndir, uint32_t target, struct ext2_inode *ti)
{
  long err;

  if (!inode_is_dir(ti))
    return inode_drop_link(fs, target, ti);
  err = inode_add_links(fs, ndir, -1);  // the replaced directory's ".." is gone
  if (err < 0)
    return err;
  ti->i_links_count = 1;  // and so is its "."
  return inode_drop_link(fs, target, ti);
}

// Move old to new; see <lamina/ext2.h>.
long
ext2_rename(struct ext2_fs *fs, const char *old, const char *new)
{
  struct ext2_inode moved, ti;
  uint32_t odir, ndir, ino, target = 0;
  const char *oname, *nname;
  size_t olen, nlen;
  int is_dir;
  long err;

  err = path_parent(fs, old, &odir, &oname, &olen);
  if (err == 0 && name_is_dot(oname, olen))
    err = -EINVAL;
  if (err == 0)
    err = dir_lookup(fs, odir, oname, olen, &ino);
  if (err == 0)
    err = inode_read(fs, ino, &moved);
  if (err == 0)
    err = path_parent(fs, new, &ndir, &nname, &nlen);
  if (err == 0 && name_is_dot(nname, nlen))
    err = -EINVAL;
  if (err < 0)
    return err;
  is_dir = inode_is_dir(&moved);
  if (!is_dir && (path_ends_in_slash(old) || path_ends_in_slash(new)))
    return -ENOTDIR;  // "f/" names a directory, and f is not one
  if (is_dir) {  // a directory may not move inside itself
    err = is_within(fs, ndir, ino);
    if (err != 0)
      return err < 0 ? err : -EINVAL;
  }
  err = dir_lookup(fs, ndir, nname, nlen, &target);
  if (err == 0 && target == ino)
    return 0;  // old and new are the same file already
  if (err == 0) {
    err = inode_read(fs, target, &ti);
    if (err == 0)
      err = replaceable(fs, target, &ti, &moved);
    if (err == 0)
      err = dir_retarget(fs, ndir, nname, nlen, ino, moved.i_mode);
  } else if (err == -ENOENT) {
    target = 0;
    err = dir_add(fs, ndir, nname, nlen, ino, moved.i_mode);
  }
  if (err == 0)
    err = dir_remove(fs, odir, oname, olen);
  if (err == 0 && is_dir && odir != ndir) {
    err = dir_retarget(fs, ino, "..", 2, ndir, EXT2_S_IFDIR);
    if (err == 0)
      err = inode_add_links(fs, ndir, 1);
    if (err == 0)
      err = inode_add_links(fs, odir, -1);
  }
  if (err == 0 && target != 0)
    err = drop_replaced(fs, ndir, target, &ti);
  if (err == 0)
    err = inode_add_links(fs, ino, 0);  // stamps its ctime
  return err;
}
