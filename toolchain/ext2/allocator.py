"""Block and inode allocation through the bitmaps: the allocator layer of toolchain/ext2.

Each block group has one bitmap block for its blocks and one for its inodes; bit i set
means "in use". Every allocation or release updates, together, the bitmap bit, the
group descriptor's free count and the superblock's free count, so the image is
consistent after every single call; that is what lets a write that runs out of space
undo itself and leave a clean filesystem. Searches are first-fit from a goal, so the
same sequence of requests always gives the same blocks.
"""

from __future__ import annotations

import re

from toolchain.ext2.errors import CorruptImage, DiskFull
from toolchain.ext2.volume import Volume

_NOT_FULL_BYTE = re.compile(rb"[^\xff]")


class Allocator:
    """Finds, takes and gives back blocks and inodes of one open Volume."""

    def __init__(self, volume: Volume) -> None:
        """Allocate from the bitmaps of volume."""
        self.volume = volume
        self.geo = volume.geo

    # ---- bits ---------------------------------------------------------------------------

    def _bit_offset(self, bitmap_block: int, index: int) -> tuple[int, int]:
        """The byte offset and bit mask of bit `index` of a bitmap block."""
        return bitmap_block * self.geo.block_size + index // 8, 1 << (index % 8)

    def _test(self, bitmap_block: int, index: int) -> bool:
        """The value of one bitmap bit."""
        offset, mask = self._bit_offset(bitmap_block, index)
        return bool(self.volume.disk.buffer[offset] & mask)

    def _flip(self, bitmap_block: int, index: int) -> None:
        """Invert one bitmap bit."""
        offset, mask = self._bit_offset(bitmap_block, index)
        value = self.volume.disk.buffer[offset] ^ mask
        self.volume.disk.write_bytes(offset, bytes([value]))

    def _find_clear(self, bitmap_block: int, start: int, end: int) -> int | None:
        """The first clear bit in [start, end) of a bitmap block, or None."""
        base = bitmap_block * self.geo.block_size
        buffer = self.volume.disk.buffer
        index = start
        while index < end:
            if index % 8 == 0:
                match = _NOT_FULL_BYTE.search(buffer, base + index // 8, base + (end + 7) // 8)
                if match is None:
                    return None
                index = max(index, (match.start() - base) * 8)
                if index >= end:
                    return None
            if not buffer[base + index // 8] & (1 << (index % 8)):
                return index
            index += 1
        return None

    # ---- blocks -------------------------------------------------------------------------

    def _block_place(self, block: int, what: str) -> tuple[int, int]:
        """The group of a block and its bit index there; CorruptImage if it is not a group's block."""
        if not self.geo.first_data_block <= block < self.geo.blocks_count:
            raise CorruptImage(f"{what}: block {block} is outside the filesystem "
                               f"(blocks {self.geo.first_data_block}..{self.geo.blocks_count - 1})")
        group = self.geo.group_of_block(block)
        return group, block - self.geo.group_first_block(group)

    def block_in_use(self, block: int) -> bool:
        """True if the block bitmap marks the block used."""
        group, index = self._block_place(block, "block bitmap")
        return self._test(self.volume.groups[group].block_bitmap, index)

    def allocate_block(self, goal: int = 0) -> int:
        """Take a free block, the first at or after goal (wrapping round); DiskFull if none is left."""
        if not self.geo.first_data_block <= goal < self.geo.blocks_count:
            goal = self.geo.first_data_block
        first_group, first_index = self._block_place(goal, "allocation goal")
        groups = self.geo.group_count
        for step in range(groups + 1):
            group = (first_group + step) % groups
            start = first_index if step == 0 else 0
            end = self.geo.group_block_count(group) if step < groups else first_index
            index = self._find_clear(self.volume.groups[group].block_bitmap, start, end)
            if index is not None:
                block = self.geo.group_first_block(group) + index
                self._count_blocks(group, -1, block)
                self._flip(self.volume.groups[group].block_bitmap, index)
                return block
        raise DiskFull(f"{self.volume.disk.path}: no free blocks left "
                       f"(all {self.geo.blocks_count} blocks are in use)")

    def free_block(self, block: int, what: str = "free") -> None:
        """Give a block back; CorruptImage if it was already free (a block owned twice)."""
        group, index = self._block_place(block, what)
        bitmap = self.volume.groups[group].block_bitmap
        if not self._test(bitmap, index):
            raise CorruptImage(f"{what}: block {block} is already marked free in the bitmap of group {group}")
        self._count_blocks(group, +1, block)
        self._flip(bitmap, index)

    def release_shared_block(self, block: int, what: str) -> None:
        """Drop one reference to a shared extended-attribute block (refcount at byte 4), freeing it at zero."""
        self.volume.disk.check_block(block, what)
        offset = block * self.geo.block_size + 4
        refs = int.from_bytes(self.volume.disk.read_bytes(offset, 4), "little")
        if refs > 1:
            self.volume.disk.write_bytes(offset, (refs - 1).to_bytes(4, "little"))
        else:
            self.free_block(block, what)

    def _count_blocks(self, group: int, delta: int, block: int) -> None:
        """Add delta to the free-block counts of a group and of the superblock."""
        desc, sb = self.volume.groups[group], self.volume.sb
        if desc.free_blocks_count + delta < 0 or sb.free_blocks_count + delta < 0:
            raise CorruptImage(f"block {block}: the bitmap of group {group} says it is free "
                               "but the free-block counts say no block is free")
        desc.free_blocks_count += delta
        sb.free_blocks_count += delta
        self.volume.save_group(group)
        self.volume.save_superblock()

    # ---- inodes -------------------------------------------------------------------------

    def inode_in_use(self, ino: int) -> bool:
        """True if the inode bitmap marks the inode used."""
        self.volume.check_inode_number(ino, "inode bitmap")
        group, index = divmod(ino - 1, self.geo.inodes_per_group)
        return self._test(self.volume.groups[group].inode_bitmap, index)

    def allocate_inode(self, directory: bool) -> int:
        """Take the lowest free inode at or above s_first_ino; DiskFull if none is left."""
        for group in range(self.geo.group_count):
            start = max(0, self.geo.first_ino - 1 - group * self.geo.inodes_per_group)
            index = self._find_clear(self.volume.groups[group].inode_bitmap, start, self.geo.inodes_per_group)
            if index is not None:
                ino = group * self.geo.inodes_per_group + index + 1
                self._count_inodes(group, -1, +1 if directory else 0, ino)
                self._flip(self.volume.groups[group].inode_bitmap, index)
                return ino
        raise DiskFull(f"{self.volume.disk.path}: no free inodes left "
                       f"(all {self.geo.inodes_count} inodes are in use)")

    def free_inode(self, ino: int, directory: bool) -> None:
        """Give an inode number back; CorruptImage if it was already free."""
        self.volume.check_inode_number(ino, "free inode")
        group, index = divmod(ino - 1, self.geo.inodes_per_group)
        bitmap = self.volume.groups[group].inode_bitmap
        if not self._test(bitmap, index):
            raise CorruptImage(f"inode {ino} is already marked free in the bitmap of group {group}")
        self._count_inodes(group, +1, -1 if directory else 0, ino)
        self._flip(bitmap, index)

    def _count_inodes(self, group: int, free_delta: int, dirs_delta: int, ino: int) -> None:
        """Add to the free-inode and directory counts of a group, and the superblock's free count."""
        desc, sb = self.volume.groups[group], self.volume.sb
        if (desc.free_inodes_count + free_delta < 0 or sb.free_inodes_count + free_delta < 0
                or desc.used_dirs_count + dirs_delta < 0):
            raise CorruptImage(f"inode {ino}: the counts of group {group} disagree with its inode bitmap")
        desc.free_inodes_count += free_delta
        desc.used_dirs_count += dirs_delta
        sb.free_inodes_count += free_delta
        self.volume.save_group(group)
        self.volume.save_superblock()
