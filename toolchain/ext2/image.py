"""Ext2Image: an ext2 image file opened for reading or editing by path, like a tiny mounted filesystem.

The top of toolchain/ext2. It puts together the Volume (superblock, descriptors, inodes),
the Allocator (bitmaps), the BlockMap (indirect blocks), FileData (bytes) and Directories
(names), and offers what a file system call would: look up a path, list a directory,
read, create, write, link, unlink, mkdir, rmdir, rename, truncate, symlink. Paths are
absolute, '/'-separated, and symbolic links are not followed. Link counts are this
module's business: a name is one link, a directory's '.' one more, and each child
directory's '..' one more for its parent. Every call leaves the image consistent, also
when it fails for want of space.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import BinaryIO, Iterator

from toolchain.ext2.allocator import Allocator
from toolchain.ext2.blockmap import BlockMap, uses_block_pointers
from toolchain.ext2.directories import Directories
from toolchain.ext2.errors import CorruptImage, DiskFull, Ext2Error, PathError
from toolchain.ext2.filedata import FileData
from toolchain.ext2.layout import (
    FAST_SYMLINK_MAX,
    FILE_TYPE_OF_MODE,
    FT_DIR,
    MAX_NAME_LEN,
    ROOT_INO,
    S_IFDIR,
    S_IFLNK,
    S_IFMT,
    S_IFREG,
    DirEntry,
    Inode,
    blank_inode,
)
from toolchain.ext2.rename import rename_path
from toolchain.ext2.volume import Volume

WRITE_CHUNK = 1 << 20


def encode_name(name: str | bytes) -> bytes:
    """A path component as bytes (host names that are not UTF-8 survive via surrogateescape)."""
    return name if isinstance(name, bytes) else name.encode("utf-8", "surrogateescape")


def split_path(path: str) -> list[bytes]:
    """The components of a guest path; '/a//b/' gives [b'a', b'b']."""
    return [encode_name(part) for part in str(path).split("/") if part]


class Ext2Image:
    """One ext2 image file, open for reading (default) or editing; use as a context manager."""

    def __init__(self, path: str | Path, writable: bool = False) -> None:
        """Open the image at path; Ext2Error saying what and where if it is not usable ext2."""
        self.path = Path(path)
        self.volume = Volume(self.path, writable)
        self.allocator = Allocator(self.volume)
        self.blocks = BlockMap(self.volume, self.allocator)
        self.data = FileData(self.volume, self.blocks)
        self.dirs = Directories(self.volume, self.blocks)

    def __enter__(self) -> "Ext2Image":
        """The image itself."""
        return self

    def __exit__(self, *exc: object) -> None:
        """Close the image, flushing writes."""
        self.close()

    def close(self) -> None:
        """Flush writes to the file and release it."""
        self.volume.close()

    # ---- inodes -----------------------------------------------------------------------

    def read_inode(self, ino: int) -> Inode:
        """Inode number ino, which must be in use (allocated in the inode bitmap)."""
        if not self.allocator.inode_in_use(ino):
            raise Ext2Error(f"inode {ino} is not in use (its bit in the inode bitmap is clear)")
        return self.volume.read_inode(ino)

    def write_inode(self, inode: Inode) -> None:
        """Write an inode back to the inode table (for tools that edit fields directly)."""
        self.volume.write_inode(inode)

    def _new_inode(self, mode: int) -> Inode:
        """A freshly allocated inode of the given mode, with no links yet (DiskFull if none is free)."""
        ino = self.allocator.allocate_inode(directory=mode & S_IFMT == S_IFDIR)
        inode = blank_inode(ino, self.volume.geo.inode_size, mode, self.volume.clock)
        self.volume.write_inode(inode)
        return inode

    def discard(self, inode: Inode) -> None:
        """Free an inode with no links left: its blocks, its xattr block, then the inode itself."""
        if self.blocks_owned(inode):
            self.blocks.truncate(inode, 0)
        if inode.file_acl:
            self.allocator.release_shared_block(inode.file_acl, f"inode {inode.number} xattr block")
        number, was_dir = inode.number, inode.is_dir()
        cleared = blank_inode(number, self.volume.geo.inode_size, 0, 0)
        cleared.dtime = self.volume.clock
        self.volume.write_inode(cleared)
        self.allocator.free_inode(number, directory=was_dir)

    def blocks_owned(self, inode: Inode) -> bool:
        """True if the inode's i_block holds block pointers (not symlink text or a device number)."""
        return any(inode.block) and uses_block_pointers(inode, self.volume.geo.block_size)

    # ---- paths --------------------------------------------------------------------------

    def lookup(self, path: str) -> Inode:
        """The inode a path names; PathError if a component is missing or not a directory."""
        inode = self.volume.read_inode(ROOT_INO)
        walked = ""
        for name in split_path(path):
            if not inode.is_dir():
                raise PathError(f"{walked or '/'}: not a directory")
            entry = self.dirs.find(inode, name)
            walked += "/" + name.decode("utf-8", "surrogateescape")
            if entry is None:
                raise PathError(f"{walked}: no such file or directory")
            self.volume.check_inode_number(entry.inode, f"directory entry {walked}")
            inode = self.volume.read_inode(entry.inode)
        return inode

    def exists(self, path: str) -> bool:
        """True if the path names something."""
        try:
            self.lookup(path)
        except PathError:
            return False
        return True

    def parent_of(self, path: str) -> tuple[Inode, bytes]:
        """The directory that holds (or would hold) path's last component, and that component."""
        parts = split_path(path)
        if not parts:
            raise PathError("/: the root directory has no parent entry to change")
        name = parts[-1]
        if name in (b".", b".."):
            raise PathError(f"{path}: cannot create or remove '.' or '..'")
        if len(name) > MAX_NAME_LEN:
            raise PathError(f"{path}: a name is at most {MAX_NAME_LEN} bytes, this one is {len(name)}")
        parent_path = "/" + "/".join(p.decode("utf-8", "surrogateescape") for p in parts[:-1])
        parent = self.lookup(parent_path)
        if not parent.is_dir():
            raise PathError(f"{parent_path}: not a directory")
        return parent, name

    def stat(self, path: str) -> Inode:
        """The inode of a path (not following a final symbolic link)."""
        return self.lookup(path)

    def listdir(self, path: str = "/") -> list[DirEntry]:
        """The entries of a directory, '.' and '..' included, sorted by name."""
        inode = self.lookup(path)
        if not inode.is_dir():
            raise PathError(f"{path}: not a directory")
        return sorted(self.dirs.entries(inode), key=lambda e: e.name)

    def walk(self, path: str = "/") -> Iterator[tuple[str, Inode]]:
        """(path, inode) of everything below a directory, depth first in name order."""
        yield from self._walk(path, {self.lookup(path).number})

    def _walk(self, path: str, visited: set[int]) -> Iterator[tuple[str, Inode]]:
        """walk's recursion; CorruptImage if a directory turns up twice (a loop in the tree)."""
        for entry in self.listdir(path):
            if entry.name in (b".", b".."):
                continue
            child = path.rstrip("/") + "/" + entry.name.decode("utf-8", "surrogateescape")
            self.volume.check_inode_number(entry.inode, f"directory entry {child}")
            inode = self.volume.read_inode(entry.inode)
            yield child, inode
            if inode.is_dir():
                if inode.number in visited:
                    raise CorruptImage(f"{child}: directory inode {inode.number} appears twice in the tree")
                visited.add(inode.number)
                yield from self._walk(child, visited)

    # ---- file contents ------------------------------------------------------------------

    def _regular(self, path: str) -> Inode:
        """The inode of path, which must be a regular file."""
        inode = self.lookup(path)
        if inode.is_dir():
            raise PathError(f"{path}: is a directory")
        if not inode.is_regular():
            raise PathError(f"{path}: not a regular file")
        return inode

    def read_file(self, path: str) -> bytes:
        """The whole contents of a regular file."""
        return self.data.read_all(self._regular(path))

    def iter_file(self, path: str) -> Iterator[bytes]:
        """The contents of a regular file in pieces, for copying big files out."""
        return self.data.chunks(self._regular(path))

    def write_file(self, path: str, data: bytes, mode: int = 0o644) -> Inode:
        """Create or replace a regular file with the given contents."""
        return self.write_stream(path, io.BytesIO(data), mode)

    def write_stream(self, path: str, stream: BinaryIO, mode: int = 0o644) -> Inode:
        """Create or replace a regular file with everything read from stream.

        On DiskFull a file this call created is removed again, and a file it was replacing
        is left empty; either way the image stays consistent.
        """
        created = not self.exists(path)
        inode = self.create(path, mode) if created else self._regular(path)
        if not created:
            self.data.truncate(inode, 0)
        offset = 0
        try:
            while chunk := stream.read(WRITE_CHUNK):
                self.data.write(inode, offset, chunk)
                offset += len(chunk)
        except DiskFull:
            if created:
                self.unlink(path)
            raise
        return inode

    def truncate(self, path: str, size: int) -> None:
        """Make a regular file size bytes long (cutting it, or extending it with a hole)."""
        if size < 0:
            raise Ext2Error(f"{path}: cannot truncate to a negative size {size}")
        self.data.truncate(self._regular(path), size)

    # ---- names --------------------------------------------------------------------------

    def create(self, path: str, mode: int = 0o644) -> Inode:
        """A new empty regular file (mode may carry just permission bits); PathError if path exists."""
        if not mode & S_IFMT:
            mode |= S_IFREG
        return self._make(path, mode)

    def _make(self, path: str, mode: int, payload: bytes = b"") -> Inode:
        """A new inode of any non-directory type, named by path; symlink text in payload."""
        parent, name = self.parent_of(path)
        if self.dirs.find(parent, name):
            raise PathError(f"{path}: already exists")
        inode = self._new_inode(mode)
        inode.links_count = 1
        self.volume.write_inode(inode)
        try:
            if payload and len(payload) <= FAST_SYMLINK_MAX:
                inode.block = list(struct.unpack("<15I", payload.ljust(60, b"\0")))
                inode.size = len(payload)
                self.volume.write_inode(inode)
            elif payload:
                self.data.write(inode, 0, payload)
            self.dirs.add(parent, name, inode.number, FILE_TYPE_OF_MODE.get(mode & S_IFMT, 0))
        except DiskFull:
            self.discard(self.volume.read_inode(inode.number))
            raise
        return inode

    def symlink(self, target: str, path: str) -> Inode:
        """A symbolic link at path pointing at target (kept in the inode if under 60 bytes)."""
        payload = encode_name(target)
        if not payload:
            raise PathError(f"{path}: a symbolic link needs a non-empty target")
        return self._make(path, S_IFLNK | 0o777, payload)

    def readlink(self, path: str) -> str:
        """The target of a symbolic link."""
        inode = self.lookup(path)
        if not inode.is_symlink():
            raise PathError(f"{path}: not a symbolic link")
        if inode.size >= self.volume.geo.block_size:
            raise CorruptImage(f"{path}: symbolic link inode {inode.number} has size {inode.size}; "
                               f"a target is shorter than a block ({self.volume.geo.block_size} bytes)")
        if self.blocks_owned(inode):
            text = self.data.read(inode, 0, inode.size)
        else:
            text = struct.pack("<15I", *inode.block)[:inode.size]
        return text.decode("utf-8", "surrogateescape")

    def mkdir(self, path: str, mode: int = 0o755) -> Inode:
        """A new empty directory; PathError if path exists."""
        parent, name = self.parent_of(path)
        if self.dirs.find(parent, name):
            raise PathError(f"{path}: already exists")
        inode = self._new_inode(S_IFDIR | (mode & 0o7777))
        inode.links_count = 2
        try:
            self.dirs.initialize(inode, parent.number)
            self.dirs.add(parent, name, inode.number, FT_DIR)
        except DiskFull:
            self.discard(self.volume.read_inode(inode.number))
            raise
        parent = self.volume.read_inode(parent.number)
        parent.links_count += 1
        self.volume.write_inode(parent)
        return inode

    def make_root(self, mode: int = 0o755) -> Inode:
        """Turn the reserved root inode into an empty directory whose '..' is itself (mkfs only)."""
        root = blank_inode(ROOT_INO, self.volume.geo.inode_size, S_IFDIR | mode, self.volume.clock)
        root.links_count = 2
        self.dirs.initialize(root, ROOT_INO)
        group = self.volume.groups[0]
        group.used_dirs_count += 1
        self.volume.save_group(0)
        return root

    def link(self, existing: str, path: str) -> None:
        """A second name for an existing non-directory."""
        inode = self.lookup(existing)
        if inode.is_dir():
            raise PathError(f"{existing}: cannot hard-link a directory")
        parent, name = self.parent_of(path)
        if self.dirs.find(parent, name):
            raise PathError(f"{path}: already exists")
        self.dirs.add(parent, name, inode.number, FILE_TYPE_OF_MODE.get(inode.file_type, 0))
        inode.links_count += 1
        self.volume.write_inode(inode)

    def unlink(self, path: str) -> None:
        """Remove a name of a non-directory; the file goes when its last name does."""
        parent, name = self.parent_of(path)
        entry = self.dirs.find(parent, name)
        if entry is None:
            raise PathError(f"{path}: no such file or directory")
        inode = self.volume.read_inode(entry.inode)
        if inode.is_dir():
            raise PathError(f"{path}: is a directory (use rmdir)")
        self.dirs.remove(parent, name)
        self.drop_link(inode)

    def drop_link(self, inode: Inode) -> None:
        """One name fewer for a non-directory; discard it at zero."""
        inode.links_count = max(0, inode.links_count - 1)
        if inode.links_count == 0:
            self.discard(inode)
        else:
            inode.ctime = self.volume.clock
            self.volume.write_inode(inode)

    def rmdir(self, path: str) -> None:
        """Remove an empty directory."""
        parent, name = self.parent_of(path)
        entry = self.dirs.find(parent, name)
        if entry is None:
            raise PathError(f"{path}: no such file or directory")
        inode = self.volume.read_inode(entry.inode)
        if not inode.is_dir():
            raise PathError(f"{path}: not a directory")
        if not self.dirs.is_empty(inode):
            raise PathError(f"{path}: directory not empty")
        self.dirs.remove(parent, name)
        self.discard(inode)
        parent = self.volume.read_inode(parent.number)
        parent.links_count = max(2, parent.links_count - 1)
        self.volume.write_inode(parent)

    def rename(self, old: str, new: str) -> None:
        """Move old to new, replacing a file (or an empty directory, for a directory) already there."""
        rename_path(self, old, new)

    def grow_directory(self, path: str, blocks: int) -> None:
        """Give a directory at least `blocks` blocks of free entry space (for lost+found)."""
        inode = self.lookup(path)
        if not inode.is_dir():
            raise PathError(f"{path}: not a directory")
        self.dirs.grow(inode, blocks)
