"""rename(2) for an ext2 image: move a name, possibly over another, and fix '..' and link counts.

Part of the top layer of toolchain/ext2, split out of image.py because it is the one
name operation that touches up to four inodes. The order of steps is chosen so that the
only step that can run out of space (adding the new name, which may grow the target
directory) comes first: if it fails, nothing has changed yet.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from toolchain.ext2.errors import PathError
from toolchain.ext2.layout import FILE_TYPE_OF_MODE, FT_DIR, ROOT_INO, Inode

if TYPE_CHECKING:
    from toolchain.ext2.image import Ext2Image


def is_within(image: "Ext2Image", directory: int, ancestor: int) -> bool:
    """True if directory is ancestor or lies below it (found by following '..' up to the root)."""
    current = directory
    for _ in range(image.volume.geo.inodes_count):
        if current == ancestor:
            return True
        if current == ROOT_INO:
            return False
        parent = image.dirs.find(image.volume.read_inode(current), b"..")
        if parent is None:
            raise PathError(f"directory inode {current} has no '..' entry")
        current = parent.inode
    raise PathError(f"directory inode {directory}: '..' entries form a loop")


def _check_replace(image: "Ext2Image", src: Inode, victim: Inode, new: str) -> None:
    """Raise PathError unless src may replace victim (file over file, directory over empty directory)."""
    if victim.is_dir():
        if not src.is_dir():
            raise PathError(f"{new}: is a directory")
        if not image.dirs.is_empty(victim):
            raise PathError(f"{new}: directory not empty")
    elif src.is_dir():
        raise PathError(f"{new}: not a directory")


def _adjust_links(image: "Ext2Image", ino: int, delta: int) -> None:
    """Add delta to a directory's link count."""
    inode = image.volume.read_inode(ino)
    inode.links_count += delta
    image.volume.write_inode(inode)


def rename_path(image: "Ext2Image", old: str, new: str) -> None:
    """Move old to new; an existing new is replaced as rename(2) would (PathError when it may not be)."""
    src_parent, src_name = image.parent_of(old)
    entry = image.dirs.find(src_parent, src_name)
    if entry is None:
        raise PathError(f"{old}: no such file or directory")
    src = image.volume.read_inode(entry.inode)
    dst_parent, dst_name = image.parent_of(new)
    if src.is_dir() and is_within(image, dst_parent.number, src.number):
        raise PathError(f"{new}: cannot move a directory inside itself")
    file_type = FILE_TYPE_OF_MODE.get(src.file_type, 0)
    target = image.dirs.find(dst_parent, dst_name)
    victim = None
    if target is not None:
        if target.inode == src.number:
            return
        victim = image.volume.read_inode(target.inode)
        _check_replace(image, src, victim, new)
        image.dirs.repoint(dst_parent, dst_name, src.number, file_type)
    else:
        image.dirs.add(dst_parent, dst_name, src.number, file_type)
    image.dirs.remove(image.volume.read_inode(src_parent.number), src_name)
    if src.is_dir() and src_parent.number != dst_parent.number:
        image.dirs.repoint(image.volume.read_inode(src.number), b"..", dst_parent.number, FT_DIR)
        _adjust_links(image, src_parent.number, -1)
        _adjust_links(image, dst_parent.number, +1)
    if victim is not None:
        victim = image.volume.read_inode(victim.number)
        if victim.is_dir():
            image.discard(victim)
            _adjust_links(image, dst_parent.number, -1)
        else:
            image.drop_link(victim)
