"""Where everything is: block groups, backup superblocks, and the checks that a superblock is sane.

Part of the format layer of toolchain/ext2, no I/O. An ext2 filesystem is a row of
blocks cut into block groups; each group has a block bitmap, an inode bitmap and a slice
of the inode table, and some groups (all, or with sparse_super only 0, 1 and powers of 3,
5 and 7) start with a copy of the superblock and the group descriptor table. Geometry is
that arithmetic, computed once from a superblock that `geometry_of` has checked against
itself and against the size of the file holding it.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolchain.ext2.errors import CorruptImage, UnsupportedImage
from toolchain.ext2.features import COMPAT_RESIZE_INODE, RO_COMPAT_SPARSE_SUPER
from toolchain.ext2.layout import (
    GOOD_OLD_FIRST_INO,
    GOOD_OLD_INODE_SIZE,
    GROUP_DESC_SIZE,
    SUPERBLOCK_OFFSET,
    Superblock,
)

MIN_LOG_BLOCK_SIZE, MAX_LOG_BLOCK_SIZE = 0, 5     # 1 KiB .. 32 KiB blocks


@dataclass(frozen=True)
class Geometry:
    """The fixed shape of one filesystem: sizes, counts and per-group arithmetic."""

    block_size: int
    blocks_count: int
    first_data_block: int
    blocks_per_group: int
    inodes_per_group: int
    inodes_count: int
    inode_size: int
    first_ino: int
    group_count: int
    sparse_super: bool
    reserved_gdt_blocks: int

    @property
    def gdt_blocks(self) -> int:
        """Blocks taken by one copy of the group descriptor table."""
        return -(-self.group_count * GROUP_DESC_SIZE // self.block_size)

    @property
    def inode_table_blocks(self) -> int:
        """Blocks taken by one group's slice of the inode table."""
        return -(-self.inodes_per_group * self.inode_size // self.block_size)

    @property
    def pointers_per_block(self) -> int:
        """Block numbers held by one indirect block."""
        return self.block_size // 4

    @property
    def gdt_offset(self) -> int:
        """Byte offset of the primary group descriptor table (the block after the superblock's)."""
        return (self.first_data_block + 1) * self.block_size

    def group_first_block(self, group: int) -> int:
        """The first block of a group."""
        return self.first_data_block + group * self.blocks_per_group

    def group_block_count(self, group: int) -> int:
        """How many blocks a group has (the last group may be short)."""
        return min(self.blocks_per_group, self.blocks_count - self.group_first_block(group))

    def group_of_block(self, block: int) -> int:
        """The group a block belongs to."""
        return (block - self.first_data_block) // self.blocks_per_group

    def group_of_inode(self, ino: int) -> int:
        """The group an inode belongs to (inodes are numbered from 1)."""
        return (ino - 1) // self.inodes_per_group

    def has_superblock(self, group: int) -> bool:
        """True if the group starts with a superblock and descriptor table copy."""
        if group <= 1 or not self.sparse_super:
            return True
        for base in (3, 5, 7):
            power = base
            while power < group:
                power *= base
            if power == group:
                return True
        return False

    def superblock_blocks(self, group: int) -> range:
        """The superblock, descriptor table and reserved descriptor blocks at a group's start."""
        if not self.has_superblock(group):
            return range(0)
        start = self.group_first_block(group)
        return range(start, start + 1 + self.gdt_blocks + self.reserved_gdt_blocks)


def _fail(field_offset: int, message: str) -> CorruptImage:
    """A CorruptImage naming the byte offset of the superblock field at fault."""
    return CorruptImage(f"corrupted superblock (byte {SUPERBLOCK_OFFSET + field_offset}): {message}")


def geometry_of(sb: Superblock, file_size: int) -> Geometry:
    """The geometry a superblock describes; CorruptImage or UnsupportedImage if it is impossible."""
    if sb.rev_level > 1:
        raise UnsupportedImage(f"superblock (byte 1100): revision {sb.rev_level} is not 0 or 1")
    if not MIN_LOG_BLOCK_SIZE <= sb.log_block_size <= MAX_LOG_BLOCK_SIZE:
        raise _fail(24, f"impossible block size: s_log_block_size is {sb.log_block_size} "
                        f"(block size 1024 << {sb.log_block_size}); expected 0..{MAX_LOG_BLOCK_SIZE}")
    block_size = 1024 << sb.log_block_size
    expected_first = 1 if block_size == 1024 else 0
    if sb.first_data_block != expected_first:
        raise _fail(20, f"s_first_data_block is {sb.first_data_block}, but with {block_size}-byte "
                        f"blocks it must be {expected_first}")
    if sb.log_frag_size != sb.log_block_size:
        raise UnsupportedImage(f"superblock (byte 1052): fragments of a size other than the block "
                               f"size (s_log_frag_size {sb.log_frag_size}) are not supported")
    if not 8 <= sb.blocks_per_group <= 8 * block_size or sb.blocks_per_group % 8:
        raise _fail(32, f"s_blocks_per_group is {sb.blocks_per_group}; a one-block bitmap of "
                        f"{block_size}-byte blocks covers 8..{8 * block_size} blocks, in multiples of 8")
    if not 1 <= sb.inodes_per_group <= 8 * block_size:
        raise _fail(40, f"s_inodes_per_group is {sb.inodes_per_group}; expected 1..{8 * block_size}")
    if sb.blocks_count <= sb.first_data_block:
        raise _fail(4, f"s_blocks_count is {sb.blocks_count}: the filesystem has no blocks")
    if sb.rev_level == 0:
        inode_size, first_ino = GOOD_OLD_INODE_SIZE, GOOD_OLD_FIRST_INO
    else:
        inode_size, first_ino = sb.inode_size, sb.first_ino
    if inode_size < GOOD_OLD_INODE_SIZE or inode_size > block_size or inode_size & (inode_size - 1):
        raise _fail(88, f"impossible inode size {inode_size}: expected a power of two "
                        f"from {GOOD_OLD_INODE_SIZE} to the block size {block_size}")
    groups = -(-(sb.blocks_count - sb.first_data_block) // sb.blocks_per_group)
    if sb.inodes_count != groups * sb.inodes_per_group:
        raise _fail(0, f"group count mismatch: s_inodes_count is {sb.inodes_count}, but "
                       f"{sb.blocks_count} blocks make {groups} groups of {sb.inodes_per_group} inodes "
                       f"= {groups * sb.inodes_per_group}")
    if not 2 < first_ino <= sb.inodes_count:
        raise _fail(84, f"s_first_ino is {first_ino}; expected 3..{sb.inodes_count}")
    if sb.free_blocks_count > sb.blocks_count:
        raise _fail(12, f"s_free_blocks_count {sb.free_blocks_count} exceeds s_blocks_count {sb.blocks_count}")
    if sb.free_inodes_count > sb.inodes_count:
        raise _fail(16, f"s_free_inodes_count {sb.free_inodes_count} exceeds s_inodes_count {sb.inodes_count}")
    needed = sb.blocks_count * block_size
    if file_size < needed:
        raise CorruptImage(
            f"truncated image: the superblock says {sb.blocks_count} blocks of {block_size} bytes "
            f"({needed} bytes), but the file has only {file_size} bytes")
    reserved = sb.reserved_gdt_blocks if sb.feature_compat & COMPAT_RESIZE_INODE else 0
    geo = Geometry(block_size=block_size, blocks_count=sb.blocks_count,
                   first_data_block=sb.first_data_block, blocks_per_group=sb.blocks_per_group,
                   inodes_per_group=sb.inodes_per_group, inodes_count=sb.inodes_count,
                   inode_size=inode_size, first_ino=first_ino, group_count=groups,
                   sparse_super=bool(sb.feature_ro_compat & RO_COMPAT_SPARSE_SUPER),
                   reserved_gdt_blocks=reserved)
    if geo.gdt_offset // block_size + geo.gdt_blocks + reserved > geo.group_first_block(0) + geo.group_block_count(0):
        raise _fail(4, f"the group descriptor table for {groups} groups does not fit in group 0")
    return geo
