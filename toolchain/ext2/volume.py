"""An opened ext2 filesystem's metadata: the superblock, group descriptors and inode table.

The volume layer of toolchain/ext2, on top of the Disk. Opening checks everything the
layers above rely on (magic, geometry, features, where each group keeps its bitmaps and
inode table) so that they can trust those numbers; afterwards the Volume reads and
writes inodes by number and writes the superblock and descriptors back when counts change.
It does not allocate (allocator.py) or follow block pointers (blockmap.py).
"""

from __future__ import annotations

import os
from pathlib import Path

from toolchain.ext2.disk import Disk
from toolchain.ext2.errors import CorruptImage, Ext2Error
from toolchain.ext2.features import check_features
from toolchain.ext2.geometry import Geometry, geometry_of
from toolchain.ext2.layout import (
    GROUP_DESC_SIZE,
    MAGIC,
    MAGIC_OFFSET,
    SUPERBLOCK_OFFSET,
    SUPERBLOCK_SIZE,
    GroupDescriptor,
    Inode,
    Superblock,
    decode_group,
    decode_inode,
    decode_superblock,
    encode_group,
    encode_inode,
    encode_superblock,
)


def fixed_clock() -> int:
    """The timestamp written everywhere: $SOURCE_DATE_EPOCH if set, else 0, so images are reproducible."""
    text = os.environ.get("SOURCE_DATE_EPOCH", "")
    return int(text) if text.isdigit() and int(text) < 2**32 else 0


def check_magic(disk: Disk) -> None:
    """Raise unless the file is long enough for a superblock and has the ext2 magic number."""
    if disk.size < SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE:
        raise CorruptImage(
            f"not an ext2 image, or a truncated one: the file has {disk.size} bytes, but an ext2 "
            f"superblock occupies bytes {SUPERBLOCK_OFFSET}..{SUPERBLOCK_OFFSET + SUPERBLOCK_SIZE - 1}")
    magic = int.from_bytes(disk.read_bytes(MAGIC_OFFSET, 2), "little")
    if magic != MAGIC:
        raise CorruptImage(
            f"not an ext2 image: the magic number at byte {MAGIC_OFFSET} is {magic:#06x}, "
            f"not {MAGIC:#06x}")


class Volume:
    """The superblock, geometry and group descriptors of an open image, with inode I/O."""

    def __init__(self, path: Path, writable: bool = False) -> None:
        """Open the image at path; Ext2Error (saying what and where) if it is not usable ext2."""
        self.disk = Disk(path, writable)
        try:
            check_magic(self.disk)
            raw = self.disk.read_bytes(SUPERBLOCK_OFFSET, SUPERBLOCK_SIZE)
            self.sb: Superblock = decode_superblock(raw)
            check_features(self.sb.feature_compat, self.sb.feature_ro_compat,
                           self.sb.feature_incompat, writable)
            self.geo: Geometry = geometry_of(self.sb, self.disk.size)
            self.disk.set_geometry(self.geo.block_size, self.geo.blocks_count)
            self.groups: list[GroupDescriptor] = [self._load_group(g) for g in range(self.geo.group_count)]
        except Ext2Error as err:
            self.disk.close()
            raise type(err)(f"{path}: {err}") from None
        self.writable = writable
        self.clock = fixed_clock()

    def close(self) -> None:
        """Flush and release the image."""
        self.disk.close()

    # ---- superblock and group descriptors ---------------------------------------------

    def _group_offset(self, group: int) -> int:
        """Byte offset of a group's descriptor in the primary table."""
        return self.geo.gdt_offset + group * GROUP_DESC_SIZE

    def _load_group(self, group: int) -> GroupDescriptor:
        """Read a group descriptor and check its bitmaps and inode table lie inside its group."""
        offset = self._group_offset(group)
        desc = decode_group(self.disk.read_bytes(offset, GROUP_DESC_SIZE))
        first = self.geo.group_first_block(group)
        end = first + self.geo.group_block_count(group)
        places = (("block bitmap", desc.block_bitmap, 1), ("inode bitmap", desc.inode_bitmap, 1),
                  ("inode table", desc.inode_table, self.geo.inode_table_blocks))
        for what, block, length in places:
            if not first <= block or block + length > end:
                raise CorruptImage(f"corrupted group descriptor {group} (byte {offset}): {what} at "
                                   f"block {block} is not inside the group (blocks {first}..{end - 1})")
        if desc.free_blocks_count > self.geo.group_block_count(group):
            raise CorruptImage(f"corrupted group descriptor {group} (byte {offset + 12}): "
                               f"{desc.free_blocks_count} free blocks in a group of {end - first}")
        if desc.free_inodes_count > self.geo.inodes_per_group:
            raise CorruptImage(f"corrupted group descriptor {group} (byte {offset + 14}): "
                               f"{desc.free_inodes_count} free inodes in a group of {self.geo.inodes_per_group}")
        return desc

    def save_superblock(self) -> None:
        """Write the in-memory superblock back to the primary copy."""
        self.sb.raw = encode_superblock(self.sb)
        self.disk.write_bytes(SUPERBLOCK_OFFSET, self.sb.raw)

    def save_group(self, group: int) -> None:
        """Write one group descriptor back to the primary table."""
        desc = self.groups[group]
        desc.raw = encode_group(desc)
        self.disk.write_bytes(self._group_offset(group), desc.raw)

    def write_backups(self) -> None:
        """Copy the superblock and descriptor table to every group that keeps a backup."""
        table = b"".join(encode_group(d) for d in self.groups)
        for group in range(1, self.geo.group_count):
            if not self.geo.has_superblock(group):
                continue
            start = self.geo.group_first_block(group)
            backup = decode_superblock(encode_superblock(self.sb))
            backup.block_group_nr = group
            self.disk.write_block(start, b"", "superblock backup")
            offset = start * self.geo.block_size
            self.disk.write_bytes(offset, encode_superblock(backup))
            self.disk.write_bytes(offset + self.geo.block_size, table)

    # ---- inodes -------------------------------------------------------------------------

    def check_inode_number(self, ino: int, what: str = "inode") -> None:
        """Raise CorruptImage unless ino is a valid inode number (1..s_inodes_count)."""
        if not 1 <= ino <= self.geo.inodes_count:
            raise CorruptImage(f"{what}: inode {ino} does not exist (inodes are 1..{self.geo.inodes_count})")

    def _inode_offset(self, ino: int) -> int:
        """Byte offset of an inode in its group's inode table."""
        group, index = divmod(ino - 1, self.geo.inodes_per_group)
        return self.groups[group].inode_table * self.geo.block_size + index * self.geo.inode_size

    def read_inode(self, ino: int) -> Inode:
        """Inode number ino."""
        self.check_inode_number(ino)
        return decode_inode(ino, self.disk.read_bytes(self._inode_offset(ino), self.geo.inode_size))

    def write_inode(self, inode: Inode) -> None:
        """Write an inode back to its slot in the inode table."""
        self.check_inode_number(inode.number)
        inode.raw = encode_inode(inode)
        self.disk.write_bytes(self._inode_offset(inode.number), inode.raw)
