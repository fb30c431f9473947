"""A file's block map: from a block's index in the file to its block on disk, and back again.

The block-map layer of toolchain/ext2, above the Volume and the Allocator. An inode has
15 pointers: 12 point straight at the file's first data blocks, the 13th at a single
indirect block (a block full of pointers to data blocks), the 14th at a double indirect
block (pointers to single indirect blocks) and the 15th at a triple indirect block.
A pointer of 0 is a hole: that part of the file reads as zeros and owns no block.
This module walks, extends and cuts that tree, and keeps i_blocks (in 512-byte sectors,
indirect blocks included) in step. It changes the Inode in memory; callers write it back.
"""

from __future__ import annotations

from typing import Iterator

from toolchain.ext2.allocator import Allocator
from toolchain.ext2.errors import CorruptImage, Ext2Error
from toolchain.ext2.layout import DOUBLE, N_DIRECT, SINGLE, TRIPLE, Inode
from toolchain.ext2.volume import Volume

# (index, block, level): a block of a file; level 0 is data, 1..3 an indirect block.
BlockRef = tuple[int, int, int]


def uses_block_pointers(inode: Inode, block_size: int) -> bool:
    """True if i_block holds block pointers (not a fast symlink's text or a device number)."""
    if inode.is_regular() or inode.is_dir():
        return True
    if inode.is_symlink():
        own_blocks = inode.blocks - (block_size // 512 if inode.file_acl else 0)
        return own_blocks > 0
    return False


class BlockMap:
    """Reads and changes the block trees of inodes on one Volume."""

    def __init__(self, volume: Volume, allocator: Allocator) -> None:
        """Map blocks of volume's inodes, allocating through allocator."""
        self.volume = volume
        self.disk = volume.disk
        self.allocator = allocator
        self.per_block = volume.geo.pointers_per_block
        self.sectors = volume.geo.block_size // 512
        p = self.per_block
        self.max_blocks = N_DIRECT + p + p * p + p * p * p

    def _path(self, inode: Inode, index: int) -> list[int]:
        """The i_block slot, then the offsets in each indirect block, leading to a file's block index."""
        p = self.per_block
        if index < N_DIRECT:
            return [index]
        rest = index - N_DIRECT
        if rest < p:
            return [SINGLE, rest]
        rest -= p
        if rest < p * p:
            return [DOUBLE, rest // p, rest % p]
        rest -= p * p
        if rest < p * p * p:
            return [TRIPLE, rest // (p * p), (rest // p) % p, rest % p]
        raise Ext2Error(f"inode {inode.number}: block {index} of the file is past the largest "
                        f"file {self.max_blocks} blocks long")

    def _check(self, inode: Inode, block: int) -> int:
        """Return block unless it is outside the filesystem, in which case raise CorruptImage."""
        geo = self.volume.geo
        if not geo.first_data_block <= block < geo.blocks_count:
            raise CorruptImage(f"inode {inode.number}: block pointer {block} is outside the "
                               f"filesystem (blocks {geo.first_data_block}..{geo.blocks_count - 1})")
        return block

    def lookup(self, inode: Inode, index: int) -> int:
        """The disk block holding block `index` of the file, or 0 for a hole."""
        path = self._path(inode, index)
        block = inode.block[path[0]]
        for offset in path[1:]:
            if block == 0:
                return 0
            block = self.disk.read_u32(self._check(inode, block), offset)
        return self._check(inode, block) if block else 0

    def map(self, inode: Inode, index: int, goal: int) -> int:
        """The disk block of block `index` of the file, allocating it (and indirect blocks) if absent."""
        path = self._path(inode, index)
        block = inode.block[path[0]]
        if block == 0:
            block = inode.block[path[0]] = self._grab(inode, goal)
        for offset in path[1:]:
            parent = self._check(inode, block)
            block = self.disk.read_u32(parent, offset)
            if block == 0:
                block = self._grab(inode, goal)
                self.disk.write_u32(parent, offset, block)
        return self._check(inode, block)

    def _grab(self, inode: Inode, goal: int) -> int:
        """A new zero-filled block owned by inode."""
        block = self.allocator.allocate_block(goal)
        self.disk.write_block(block, b"")
        inode.blocks += self.sectors
        return block

    def _release(self, inode: Inode, block: int) -> None:
        """Give one of inode's blocks back."""
        self.allocator.free_block(self._check(inode, block), f"inode {inode.number}")
        inode.blocks = max(0, inode.blocks - self.sectors)

    def truncate(self, inode: Inode, keep: int) -> None:
        """Free every data block with index >= keep, and every indirect block left with nothing below it."""
        for slot in range(N_DIRECT):
            if slot >= keep and inode.block[slot]:
                self._release(inode, inode.block[slot])
                inode.block[slot] = 0
        first = N_DIRECT
        for slot, level in ((SINGLE, 1), (DOUBLE, 2), (TRIPLE, 3)):
            if inode.block[slot]:
                inode.block[slot] = self._trim(inode, inode.block[slot], level, first, keep)
            first += self.per_block ** level

    def _trim(self, inode: Inode, block: int, level: int, first: int, keep: int) -> int:
        """Cut a subtree covering file blocks from `first` down to `keep` blocks; its new pointer."""
        if first >= keep:
            self._free_tree(inode, block, level)
            return 0
        if first + self.per_block ** level <= keep:
            return block
        child_span = self.per_block ** (level - 1)
        for offset, child in enumerate(self.disk.read_u32s(self._check(inode, block))):
            if child:
                new = self._trim(inode, child, level - 1, first + offset * child_span, keep)
                if new != child:
                    self.disk.write_u32(block, offset, new)
        return block

    def _free_tree(self, inode: Inode, block: int, level: int) -> None:
        """Free a block and, if it is an indirect block, everything below it."""
        if level > 0:
            for child in self.disk.read_u32s(self._check(inode, block)):
                if child:
                    self._free_tree(inode, child, level - 1)
        self._release(inode, block)

    def walk(self, inode: Inode) -> Iterator[BlockRef]:
        """Every block of the file in index order, indirect blocks just before what they point to."""
        if not uses_block_pointers(inode, self.volume.geo.block_size):
            return
        seen: set[int] = set()
        for slot in range(N_DIRECT):
            if inode.block[slot]:
                yield slot, self._check(inode, inode.block[slot]), 0
        first = N_DIRECT
        for slot, level in ((SINGLE, 1), (DOUBLE, 2), (TRIPLE, 3)):
            if inode.block[slot]:
                yield from self._walk_tree(inode, inode.block[slot], level, first, seen)
            first += self.per_block ** level

    def _walk_tree(self, inode: Inode, block: int, level: int, first: int, seen: set[int]) -> Iterator[BlockRef]:
        """The blocks of one subtree; CorruptImage if an indirect block appears twice (a loop)."""
        self._check(inode, block)
        yield first, block, level
        if level == 0:
            return
        if block in seen:
            raise CorruptImage(f"inode {inode.number}: indirect block {block} appears twice in the block map")
        seen.add(block)
        child_span = self.per_block ** (level - 1)
        for offset, child in enumerate(self.disk.read_u32s(block)):
            if child:
                yield from self._walk_tree(inode, child, level - 1, first + offset * child_span, seen)

    def data_blocks(self, inode: Inode) -> Iterator[tuple[int, int]]:
        """(index in file, disk block) of every data block, in index order."""
        for index, block, level in self.walk(inode):
            if level == 0:
                yield index, block
