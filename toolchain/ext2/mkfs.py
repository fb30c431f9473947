"""mkfs: lay out a new, empty ext2 filesystem (revision 1) in an image file, without e2fsprogs.

Part of the top layer of toolchain/ext2. Planning is arithmetic (how many groups, how
many inodes each, where each group's bitmaps and inode table go); formatting writes the
superblock, descriptors and bitmaps with every metadata block marked used, then opens
the result as an Ext2Image to make the root directory and lost+found the ordinary way,
and finally copies the superblock and descriptor table into the backup groups.
Everything written is a function of the options (timestamps from volume.fixed_clock, the
UUID from a hash of the options), so the same options always give the same bytes.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass
from pathlib import Path

from toolchain.ext2.errors import Ext2Error
from toolchain.ext2.features import MKFS_COMPAT, MKFS_INCOMPAT, MKFS_RO_COMPAT
from toolchain.ext2.geometry import Geometry
from toolchain.ext2.image import Ext2Image
from toolchain.ext2.layout import (
    ERRORS_CONTINUE,
    GOOD_OLD_FIRST_INO,
    MAGIC,
    STATE_CLEAN,
    SUPERBLOCK_OFFSET,
    GroupDescriptor,
    blank_superblock,
    encode_group,
    encode_superblock,
)
from toolchain.ext2.volume import fixed_clock

BLOCK_SIZES = (1024, 2048, 4096)
INODE_SIZES = (128, 256)
SMALL_FS_BYTES = 512 << 20
BYTES_PER_INODE_SMALL, BYTES_PER_INODE_LARGE = 4096, 16384
MIN_DATA_BLOCKS = 32             # a group smaller than its metadata plus this is dropped
LOST_AND_FOUND_BYTES = 16 << 10  # room kept in lost+found so fsck can reconnect files without allocating
UUID_NAMESPACE = uuid.UUID("6c616d69-6e61-2d65-7874-322d696d6167")   # "lamina-ext2-imag"
_SIZE = re.compile(r"^\s*(\d+)\s*([KMGT]?)(I?B)?\s*$", re.IGNORECASE)


def parse_size(text: str) -> int:
    """Bytes in a size like '32M', '512K', '1G' or '1048576' (K, M, G, T are powers of 1024)."""
    match = _SIZE.match(str(text))
    if not match:
        raise ValueError(f"not a size: {text!r} (write e.g. 32M, 512K, 1G or a number of bytes)")
    number, unit = int(match.group(1)), match.group(2).upper()
    return number << {"": 0, "K": 10, "M": 20, "G": 30, "T": 40}[unit]


@dataclass(frozen=True)
class MkfsOptions:
    """What to make: total size in bytes, block and inode sizes, optional inode count and label."""

    size: int
    block_size: int = 1024
    inode_count: int | None = None
    inode_size: int = 128
    label: str = ""


def _check_options(options: MkfsOptions) -> None:
    """Raise Ext2Error unless the options describe a filesystem this tool can make."""
    if options.block_size not in BLOCK_SIZES:
        raise Ext2Error(f"block size {options.block_size} is not one of {', '.join(map(str, BLOCK_SIZES))}")
    if options.inode_size not in INODE_SIZES:
        raise Ext2Error(f"inode size {options.inode_size} is not one of {', '.join(map(str, INODE_SIZES))}")
    if options.inode_count is not None and options.inode_count < 1:
        raise Ext2Error(f"inode count {options.inode_count} must be at least 1")
    if len(options.label.encode()) > 16:
        raise Ext2Error(f"volume label {options.label!r} is longer than 16 bytes")
    if options.size // options.block_size >= 1 << 32:
        raise Ext2Error(f"size {options.size} needs more than 2**32 blocks of {options.block_size} bytes")


def _overhead(geo: Geometry, group: int) -> int:
    """Blocks at the start of a group taken by metadata: superblock copy, table, bitmaps, inode table."""
    return len(geo.superblock_blocks(group)) + 2 + geo.inode_table_blocks


def _geometry(options: MkfsOptions, blocks: int, inode_count: int) -> Geometry:
    """The geometry of a filesystem of `blocks` blocks with about inode_count inodes."""
    bs = options.block_size
    first = 1 if bs == 1024 else 0
    per_group = 8 * bs
    groups = -(-(blocks - first) // per_group)
    per_table_block = bs // options.inode_size
    inodes_per_group = -(-inode_count // groups)
    step = max(8, per_table_block)
    inodes_per_group = min(8 * bs, -(-inodes_per_group // step) * step)
    return Geometry(block_size=bs, blocks_count=blocks, first_data_block=first,
                    blocks_per_group=per_group, inodes_per_group=inodes_per_group,
                    inodes_count=inodes_per_group * groups, inode_size=options.inode_size,
                    first_ino=GOOD_OLD_FIRST_INO, group_count=groups, sparse_super=True,
                    reserved_gdt_blocks=0)


def plan(options: MkfsOptions) -> Geometry:
    """The geometry mkfs will give a filesystem with these options; Ext2Error if it cannot be made."""
    _check_options(options)
    blocks = options.size // options.block_size
    ratio = BYTES_PER_INODE_SMALL if options.size < SMALL_FS_BYTES else BYTES_PER_INODE_LARGE
    inode_count = options.inode_count or max(GOOD_OLD_FIRST_INO + 5, options.size // ratio)
    if blocks <= (1 if options.block_size == 1024 else 0):
        raise Ext2Error(f"size {options.size} bytes holds no {options.block_size}-byte block")
    geo = _geometry(options, blocks, inode_count)
    last = geo.group_count - 1
    if geo.group_count > 1 and geo.group_block_count(last) < _overhead(geo, last) + MIN_DATA_BLOCKS:
        # Like mke2fs: a last group too small to be useful is left out of the filesystem.
        geo = _geometry(options, geo.group_first_block(last), inode_count)
    if geo.inodes_count < GOOD_OLD_FIRST_INO + 1:
        raise Ext2Error(f"{geo.inodes_count} inodes is too few: the first {GOOD_OLD_FIRST_INO - 1} "
                        "are reserved and lost+found needs one")
    lost_found = max(2, LOST_AND_FOUND_BYTES // options.block_size)
    needed = _overhead(geo, 0) + 1 + lost_found + (1 if options.block_size == 1024 else 0)
    if geo.group_block_count(0) + geo.first_data_block < needed or any(
            geo.group_block_count(g) < _overhead(geo, g) for g in range(geo.group_count)):
        raise Ext2Error(f"size {options.size} bytes is too small for an ext2 filesystem with "
                        f"{options.block_size}-byte blocks and {geo.inodes_count} inodes "
                        f"(needs at least {needed * options.block_size} bytes)")
    return geo


def _superblock(geo: Geometry, options: MkfsOptions, descs: list[GroupDescriptor]) -> bytes:
    """The primary superblock of a freshly planned filesystem."""
    sb = blank_superblock()
    now = fixed_clock()
    sb.inodes_count, sb.blocks_count = geo.inodes_count, geo.blocks_count
    sb.free_blocks_count = sum(d.free_blocks_count for d in descs)
    sb.free_inodes_count = sum(d.free_inodes_count for d in descs)
    sb.first_data_block = geo.first_data_block
    sb.log_block_size = sb.log_frag_size = geo.block_size.bit_length() - 11
    sb.blocks_per_group = sb.frags_per_group = geo.blocks_per_group
    sb.inodes_per_group = geo.inodes_per_group
    sb.wtime = sb.lastcheck = sb.mkfs_time = now
    sb.max_mnt_count = 0xFFFF   # -1: no mount-count-based checks
    sb.magic, sb.state, sb.errors = MAGIC, STATE_CLEAN, ERRORS_CONTINUE
    sb.rev_level, sb.first_ino, sb.inode_size = 1, geo.first_ino, geo.inode_size
    sb.feature_compat, sb.feature_incompat, sb.feature_ro_compat = MKFS_COMPAT, MKFS_INCOMPAT, MKFS_RO_COMPAT
    recipe = f"{options.size}:{options.block_size}:{geo.inodes_count}:{geo.inode_size}:{options.label}"
    sb.uuid = uuid.uuid5(UUID_NAMESPACE, recipe).bytes
    sb.volume_name = options.label.encode().ljust(16, b"\0")
    return encode_superblock(sb)


def _bitmap(used: int, valid: int, block_size: int) -> bytes:
    """A bitmap block with the first `used` bits set, and every bit from `valid` on set as padding."""
    all_bits = (1 << (8 * block_size)) - 1
    value = ((1 << used) - 1) | (all_bits ^ ((1 << valid) - 1))
    return value.to_bytes(block_size, "little")


def _write_metadata(path: Path, geo: Geometry, options: MkfsOptions) -> None:
    """Write a zeroed image of options.size bytes with superblock, descriptors and bitmaps in place."""
    bs = geo.block_size
    descs = []
    with open(path, "wb") as image:
        image.truncate(options.size)
        for group in range(geo.group_count):
            start = geo.group_first_block(group) + len(geo.superblock_blocks(group))
            overhead = _overhead(geo, group)
            reserved = geo.first_ino - 1 if group == 0 else 0
            desc = GroupDescriptor(block_bitmap=start, inode_bitmap=start + 1, inode_table=start + 2,
                                   free_blocks_count=geo.group_block_count(group) - overhead,
                                   free_inodes_count=geo.inodes_per_group - reserved,
                                   used_dirs_count=0, flags=0)
            descs.append(desc)
            image.seek(start * bs)
            image.write(_bitmap(overhead, geo.group_block_count(group), bs))
            image.write(_bitmap(reserved, geo.inodes_per_group, bs))
        image.seek(SUPERBLOCK_OFFSET)
        image.write(_superblock(geo, options, descs))
        image.seek(geo.gdt_offset)
        image.write(b"".join(encode_group(d) for d in descs).ljust(geo.gdt_blocks * bs, b"\0"))


def make_filesystem(path: str | Path, options: MkfsOptions) -> Geometry:
    """Format the file at path (created or overwritten) as an empty ext2 filesystem; its geometry."""
    geo = plan(options)
    _write_metadata(Path(path), geo, options)
    with Ext2Image(path, writable=True) as image:
        image.make_root()
        image.mkdir("/lost+found", 0o700)
        image.grow_directory("/lost+found", max(2, LOST_AND_FOUND_BYTES // geo.block_size))
        image.volume.write_backups()
    return geo
