"""The ext2 on-disk records, byte by byte: superblock, group descriptor, inode, directory entry.

This is the format layer of toolchain/ext2 and does no I/O. Each record is a dataclass
plus a table of (byte offset, struct format, field name) rows, so the table reads like
the layout diagrams in the ext2 documentation. Decoding keeps the record's raw bytes and
encoding writes the known fields over them, so fields this tool does not model (checksums,
timestamps' high bits, reserved space) survive a read-modify-write unchanged.
All integers are little-endian.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass, field

SUPERBLOCK_OFFSET = 1024
SUPERBLOCK_SIZE = 1024
MAGIC = 0xEF53
MAGIC_OFFSET = SUPERBLOCK_OFFSET + 56
GROUP_DESC_SIZE = 32
GOOD_OLD_INODE_SIZE = 128
GOOD_OLD_FIRST_INO = 11

BAD_BLOCKS_INO = 1
ROOT_INO = 2
RESIZE_INO = 7

N_DIRECT = 12
SINGLE, DOUBLE, TRIPLE = 12, 13, 14
N_BLOCK_POINTERS = 15
FAST_SYMLINK_MAX = N_BLOCK_POINTERS * 4 - 1   # target bytes that fit in i_block itself

STATE_CLEAN = 1
ERRORS_CONTINUE = 1
MAX_NAME_LEN = 255

# i_mode: the file type in the top four bits, permissions below.
S_IFMT = 0o170000
S_IFSOCK, S_IFLNK, S_IFREG, S_IFBLK = 0o140000, 0o120000, 0o100000, 0o060000
S_IFDIR, S_IFCHR, S_IFIFO = 0o040000, 0o020000, 0o010000

# Directory entry file_type byte (with the filetype feature), and the mode type of each.
FT_UNKNOWN, FT_REG, FT_DIR, FT_CHR, FT_BLK, FT_FIFO, FT_SOCK, FT_SYMLINK = range(8)
FILE_TYPE_OF_MODE = {S_IFREG: FT_REG, S_IFDIR: FT_DIR, S_IFCHR: FT_CHR, S_IFBLK: FT_BLK,
                     S_IFIFO: FT_FIFO, S_IFSOCK: FT_SOCK, S_IFLNK: FT_SYMLINK}
TYPE_LETTER = {S_IFREG: "-", S_IFDIR: "d", S_IFCHR: "c", S_IFBLK: "b",
               S_IFIFO: "p", S_IFSOCK: "s", S_IFLNK: "l"}

INDEX_FL = 0x1000   # i_flags: directory has an htree index (dir_index feature)

# Directory entry header: inode, rec_len, name_len, file_type; the name follows.
DIRENT_HEADER = struct.Struct("<IHBB")


# ---- superblock ---------------------------------------------------------------------------

@dataclass
class Superblock:
    """The superblock: the filesystem's size, geometry, counters and feature flags."""

    inodes_count: int
    blocks_count: int
    r_blocks_count: int
    free_blocks_count: int
    free_inodes_count: int
    first_data_block: int
    log_block_size: int
    log_frag_size: int
    blocks_per_group: int
    frags_per_group: int
    inodes_per_group: int
    mtime: int
    wtime: int
    mnt_count: int
    max_mnt_count: int
    magic: int
    state: int
    errors: int
    minor_rev_level: int
    lastcheck: int
    checkinterval: int
    creator_os: int
    rev_level: int
    def_resuid: int
    def_resgid: int
    first_ino: int
    inode_size: int
    block_group_nr: int
    feature_compat: int
    feature_incompat: int
    feature_ro_compat: int
    uuid: bytes
    volume_name: bytes
    last_mounted: bytes
    reserved_gdt_blocks: int
    desc_size: int
    mkfs_time: int
    raw: bytes = field(default=bytes(SUPERBLOCK_SIZE), repr=False)


SUPERBLOCK_FIELDS = (
    (0, "I", "inodes_count"), (4, "I", "blocks_count"), (8, "I", "r_blocks_count"),
    (12, "I", "free_blocks_count"), (16, "I", "free_inodes_count"),
    (20, "I", "first_data_block"), (24, "I", "log_block_size"), (28, "I", "log_frag_size"),
    (32, "I", "blocks_per_group"), (36, "I", "frags_per_group"), (40, "I", "inodes_per_group"),
    (44, "I", "mtime"), (48, "I", "wtime"), (52, "H", "mnt_count"), (54, "H", "max_mnt_count"),
    (56, "H", "magic"), (58, "H", "state"), (60, "H", "errors"), (62, "H", "minor_rev_level"),
    (64, "I", "lastcheck"), (68, "I", "checkinterval"), (72, "I", "creator_os"),
    (76, "I", "rev_level"), (80, "H", "def_resuid"), (82, "H", "def_resgid"),
    (84, "I", "first_ino"), (88, "H", "inode_size"), (90, "H", "block_group_nr"),
    (92, "I", "feature_compat"), (96, "I", "feature_incompat"), (100, "I", "feature_ro_compat"),
    (104, "16s", "uuid"), (120, "16s", "volume_name"), (136, "64s", "last_mounted"),
    (206, "H", "reserved_gdt_blocks"), (254, "H", "desc_size"), (264, "I", "mkfs_time"),
)


# ---- block group descriptor ---------------------------------------------------------------

@dataclass
class GroupDescriptor:
    """Where one block group keeps its bitmaps and inode table, and its free counts."""

    block_bitmap: int
    inode_bitmap: int
    inode_table: int
    free_blocks_count: int
    free_inodes_count: int
    used_dirs_count: int
    flags: int
    raw: bytes = field(default=bytes(GROUP_DESC_SIZE), repr=False)


GROUP_DESC_FIELDS = (
    (0, "I", "block_bitmap"), (4, "I", "inode_bitmap"), (8, "I", "inode_table"),
    (12, "H", "free_blocks_count"), (14, "H", "free_inodes_count"),
    (16, "H", "used_dirs_count"), (18, "H", "flags"),
)


# ---- inode --------------------------------------------------------------------------------

@dataclass
class Inode:
    """One inode: type and permissions, size, link count and the 15 block pointers."""

    number: int
    mode: int
    uid: int
    size_lo: int
    atime: int
    ctime: int
    mtime: int
    dtime: int
    gid: int
    links_count: int
    blocks: int           # in 512-byte sectors, counting indirect blocks too
    flags: int
    block: list[int]
    generation: int
    file_acl: int
    size_high: int        # the high 32 bits of a regular file's size (i_dir_acl for a directory)
    raw: bytes = field(default=bytes(GOOD_OLD_INODE_SIZE), repr=False)

    @property
    def file_type(self) -> int:
        """The S_IF* type bits of the mode."""
        return self.mode & S_IFMT

    def is_dir(self) -> bool:
        """True for a directory."""
        return self.file_type == S_IFDIR

    def is_regular(self) -> bool:
        """True for a regular file."""
        return self.file_type == S_IFREG

    def is_symlink(self) -> bool:
        """True for a symbolic link."""
        return self.file_type == S_IFLNK

    @property
    def size(self) -> int:
        """The file's length in bytes (64-bit for regular files, 32-bit otherwise)."""
        return self.size_lo | (self.size_high << 32 if self.is_regular() else 0)

    @size.setter
    def size(self, value: int) -> None:
        """Store a length, putting the high half in i_size_high for regular files."""
        self.size_lo = value & 0xFFFFFFFF
        if self.is_regular():
            self.size_high = value >> 32


INODE_FIELDS = (
    (0, "H", "mode"), (2, "H", "uid"), (4, "I", "size_lo"), (8, "I", "atime"),
    (12, "I", "ctime"), (16, "I", "mtime"), (20, "I", "dtime"), (24, "H", "gid"),
    (26, "H", "links_count"), (28, "I", "blocks"), (32, "I", "flags"),
    (40, "15I", "block"), (100, "I", "generation"), (104, "I", "file_acl"),
    (108, "I", "size_high"),
)


# ---- directory entry ----------------------------------------------------------------------

@dataclass(frozen=True)
class DirEntry:
    """One name in a directory: the inode it names and (with filetype) that inode's type."""

    inode: int
    name: bytes
    file_type: int


def dirent_size(name_len: int) -> int:
    """The smallest rec_len an entry with a name of name_len bytes can have (4-byte aligned)."""
    return (DIRENT_HEADER.size + name_len + 3) & ~3


# ---- encoding and decoding ----------------------------------------------------------------

def _decode(cls: type, table: tuple, raw: bytes, **extra: object) -> object:
    """Build a record of type cls from raw bytes, field by field as the table says."""
    values: dict[str, object] = dict(extra)
    for offset, fmt, name in table:
        unpacked = struct.unpack_from("<" + fmt, raw, offset)
        values[name] = list(unpacked) if len(unpacked) > 1 else unpacked[0]
    return cls(raw=bytes(raw), **values)


def _encode(record: object, table: tuple) -> bytes:
    """The record's raw bytes with every field in the table written over them."""
    out = bytearray(record.raw)  # type: ignore[attr-defined]
    for offset, fmt, name in table:
        value = getattr(record, name)
        if isinstance(value, list):
            struct.pack_into("<" + fmt, out, offset, *value)
        else:
            struct.pack_into("<" + fmt, out, offset, value)
    return bytes(out)


def decode_superblock(raw: bytes) -> Superblock:
    """The superblock in the 1024 bytes at SUPERBLOCK_OFFSET."""
    return _decode(Superblock, SUPERBLOCK_FIELDS, raw)  # type: ignore[return-value]


def encode_superblock(sb: Superblock) -> bytes:
    """The 1024 bytes of a superblock."""
    return _encode(sb, SUPERBLOCK_FIELDS)


def decode_group(raw: bytes) -> GroupDescriptor:
    """A group descriptor from its 32 bytes."""
    return _decode(GroupDescriptor, GROUP_DESC_FIELDS, raw)  # type: ignore[return-value]


def encode_group(desc: GroupDescriptor) -> bytes:
    """The 32 bytes of a group descriptor."""
    return _encode(desc, GROUP_DESC_FIELDS)


def decode_inode(number: int, raw: bytes) -> Inode:
    """Inode `number` from its on-disk bytes (128 or more)."""
    return _decode(Inode, INODE_FIELDS, raw, number=number)  # type: ignore[return-value]


def encode_inode(inode: Inode) -> bytes:
    """The on-disk bytes of an inode, as long as the raw bytes it was made from."""
    return _encode(inode, INODE_FIELDS)


def blank_inode(number: int, inode_size: int, mode: int, when: int) -> Inode:
    """A fresh in-use inode: the given mode, no links yet, no blocks, every time set to `when`."""
    inode = decode_inode(number, bytes(inode_size))
    inode.mode, inode.atime, inode.ctime, inode.mtime = mode, when, when, when
    return inode


def blank_superblock() -> Superblock:
    """A superblock with every field zero, for mkfs to fill in."""
    return decode_superblock(bytes(SUPERBLOCK_SIZE))

