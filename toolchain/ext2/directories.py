"""Directories as files of entries: list, find, add and remove names in a directory inode.

The directory layer of toolchain/ext2: directory.py knows the bytes of one block, this
module walks a directory's blocks through the block map and grows the directory by a
block when no block has room for a new name. It changes entries only, never link counts;
image.py decides what a name change means for the inodes involved.
"""

from __future__ import annotations

from typing import Iterator

from toolchain.ext2 import directory
from toolchain.ext2.blockmap import BlockMap
from toolchain.ext2.errors import DiskFull, PathError
from toolchain.ext2.features import INCOMPAT_FILETYPE
from toolchain.ext2.layout import FT_DIR, INDEX_FL, DirEntry, Inode
from toolchain.ext2.volume import Volume


class Directories:
    """Name-level access to the directory inodes of one Volume."""

    def __init__(self, volume: Volume, blocks: BlockMap) -> None:
        """Work on volume's directories through the block map blocks."""
        self.volume = volume
        self.disk = volume.disk
        self.blocks = blocks
        self.block_size = volume.geo.block_size
        self.filetype = bool(volume.sb.feature_incompat & INCOMPAT_FILETYPE)

    def _where(self, inode: Inode, index: int, block: int) -> str:
        """How error messages name one block of a directory."""
        return f"directory inode {inode.number}, block {index} (disk block {block})"

    def block_list(self, inode: Inode) -> Iterator[tuple[int, int]]:
        """(index, disk block) of each block of the directory, up to its size."""
        count = inode.size // self.block_size
        for index, block in self.blocks.data_blocks(inode):
            if index >= count:
                return
            yield index, block

    def entries(self, inode: Inode) -> list[DirEntry]:
        """Every name in the directory, '.' and '..' included, in on-disk order."""
        found = []
        for index, block in self.block_list(inode):
            data = self.disk.read_block(block)
            found += directory.live_entries(data, self.filetype, self._where(inode, index, block))
        return found

    def find(self, inode: Inode, name: bytes) -> DirEntry | None:
        """The entry called name, or None."""
        for entry in self.entries(inode):
            if entry.name == name:
                return entry
        return None

    def is_empty(self, inode: Inode) -> bool:
        """True if the directory holds nothing but '.' and '..'."""
        return all(e.name in (b".", b"..") for e in self.entries(inode))

    def _changed(self, inode: Inode) -> None:
        """Note a change of a directory: drop any htree index (it no longer matches) and save the inode."""
        inode.flags &= ~INDEX_FL
        inode.mtime = inode.ctime = self.volume.clock
        self.volume.write_inode(inode)

    def add(self, inode: Inode, name: bytes, ino: int, file_type: int) -> None:
        """Add a name; grows the directory by a block if needed (DiskFull leaves it unchanged)."""
        entry = DirEntry(ino, name, file_type)
        for index, block in self.block_list(inode):
            updated = directory.add_entry(self.disk.read_block(block), entry, self.filetype,
                                          self._where(inode, index, block))
            if updated is not None:
                self.disk.write_block(block, updated)
                self._changed(inode)
                return
        index = inode.size // self.block_size
        try:
            block = self.blocks.map(inode, index, goal=self._goal(inode, index))
        except DiskFull:
            self.blocks.truncate(inode, index)
            self.volume.write_inode(inode)
            raise
        fresh = directory.add_entry(directory.empty_block(self.block_size), entry, self.filetype, "new block")
        self.disk.write_block(block, fresh or b"")
        inode.size += self.block_size
        self._changed(inode)

    def _goal(self, inode: Inode, index: int) -> int:
        """Where to look for a directory's next block: after its last one."""
        last = self.blocks.lookup(inode, index - 1) if index else 0
        return last + 1 if last else self.volume.geo.group_first_block(self.volume.geo.group_of_inode(inode.number))

    def remove(self, inode: Inode, name: bytes) -> None:
        """Remove a name; PathError if it is not there."""
        for index, block in self.block_list(inode):
            updated = directory.remove_entry(self.disk.read_block(block), name, self.filetype,
                                             self._where(inode, index, block))
            if updated is not None:
                self.disk.write_block(block, updated)
                self._changed(inode)
                return
        raise PathError(f"directory inode {inode.number} has no entry {name.decode(errors='replace')!r}")

    def repoint(self, inode: Inode, name: bytes, ino: int, file_type: int) -> None:
        """Make an existing name refer to another inode (for rename over a file, and '..')."""
        for index, block in self.block_list(inode):
            updated = directory.replace_inode(self.disk.read_block(block), name, ino, file_type,
                                              self.filetype, self._where(inode, index, block))
            if updated is not None:
                self.disk.write_block(block, updated)
                self._changed(inode)
                return
        raise PathError(f"directory inode {inode.number} has no entry {name.decode(errors='replace')!r}")

    def initialize(self, inode: Inode, parent: int) -> None:
        """Give a new, empty directory inode its first block holding '.' and '..' (DiskFull possible)."""
        block = self.blocks.map(inode, 0, goal=self._goal(inode, 0))
        self.disk.write_block(block, directory.first_block(self.block_size, inode.number, parent,
                                                           FT_DIR, self.filetype))
        inode.size = self.block_size
        self.volume.write_inode(inode)

    def grow(self, inode: Inode, blocks: int) -> None:
        """Add empty blocks until the directory has `blocks` of them (lost+found keeps spare room)."""
        while inode.size // self.block_size < blocks:
            index = inode.size // self.block_size
            block = self.blocks.map(inode, index, goal=self._goal(inode, index))
            self.disk.write_block(block, directory.empty_block(self.block_size))
            inode.size += self.block_size
        self.volume.write_inode(inode)
