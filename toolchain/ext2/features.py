"""Feature flags: which ext2/ext3/ext4 features an image uses, and which this tool can handle.

Part of the format layer of toolchain/ext2. The superblock carries three feature masks
with three rules: an unknown COMPAT feature may be ignored; an unknown RO_COMPAT feature
means the image may be read but not written; an unknown INCOMPAT feature means the image
must not be touched at all. This tool implements plain ext2 revision 1: the filetype
incompatible feature and the sparse_super and large_file read-only-compatible ones.
"""

from __future__ import annotations

from toolchain.ext2.errors import UnsupportedImage

COMPAT_NAMES = {
    0x1: "dir_prealloc", 0x2: "imagic_inodes", 0x4: "has_journal", 0x8: "ext_attr",
    0x10: "resize_inode", 0x20: "dir_index", 0x40: "lazy_bg", 0x100: "exclude_bitmap",
    0x200: "sparse_super2", 0x400: "fast_commit", 0x800: "stable_inodes", 0x1000: "orphan_file",
}
RO_COMPAT_NAMES = {
    0x1: "sparse_super", 0x2: "large_file", 0x4: "btree_dir", 0x8: "huge_file",
    0x10: "uninit_bg", 0x20: "dir_nlink", 0x40: "extra_isize", 0x80: "snapshot",
    0x100: "quota", 0x200: "bigalloc", 0x400: "metadata_csum", 0x800: "replica",
    0x1000: "read-only", 0x2000: "project", 0x4000: "shared_blocks", 0x8000: "verity",
    0x10000: "orphan_present",
}
INCOMPAT_NAMES = {
    0x1: "compression", 0x2: "filetype", 0x4: "needs_recovery", 0x8: "journal_dev",
    0x10: "meta_bg", 0x40: "extent", 0x80: "64bit", 0x100: "mmp", 0x200: "flex_bg",
    0x400: "ea_inode", 0x1000: "dirdata", 0x2000: "metadata_csum_seed", 0x4000: "large_dir",
    0x8000: "inline_data", 0x10000: "encrypt", 0x20000: "casefold",
}

COMPAT_EXT_ATTR = 0x8
COMPAT_RESIZE_INODE = 0x10
RO_COMPAT_SPARSE_SUPER = 0x1
RO_COMPAT_LARGE_FILE = 0x2
INCOMPAT_FILETYPE = 0x2

# What this tool understands. Compat features that change nothing it writes are safe to
# carry along: a journal is just a file, xattr blocks are counted, the resize inode's
# blocks stay marked in the bitmap, and an htree index is dropped when a directory changes.
WRITABLE_COMPAT = 0x1 | 0x2 | 0x4 | COMPAT_EXT_ATTR | COMPAT_RESIZE_INODE | 0x20
SUPPORTED_RO_COMPAT = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE
SUPPORTED_INCOMPAT = INCOMPAT_FILETYPE

# What mkfs turns on.
MKFS_COMPAT = 0
MKFS_RO_COMPAT = RO_COMPAT_SPARSE_SUPER | RO_COMPAT_LARGE_FILE
MKFS_INCOMPAT = INCOMPAT_FILETYPE


def feature_names(mask: int, names: dict[int, str]) -> list[str]:
    """The names of the bits set in mask, unknown bits as hex (e.g. ['extent', '0x800000'])."""
    found = []
    for bit in range(32):
        flag = 1 << bit
        if mask & flag:
            found.append(names.get(flag, f"{flag:#x}"))
    return found


def check_features(compat: int, ro_compat: int, incompat: int, writable: bool) -> None:
    """Raise UnsupportedImage unless this tool can open an image with these features this way."""
    unknown = incompat & ~SUPPORTED_INCOMPAT
    if unknown:
        raise UnsupportedImage(
            "superblock (byte 1120): unsupported incompatible features "
            f"{', '.join(feature_names(unknown, INCOMPAT_NAMES))}; this tool handles plain ext2 "
            "(incompatible features it knows: filetype)")
    if not writable:
        return
    unknown = ro_compat & ~SUPPORTED_RO_COMPAT
    if unknown:
        raise UnsupportedImage(
            "superblock (byte 1124): cannot write an image with read-only-compatible features "
            f"{', '.join(feature_names(unknown, RO_COMPAT_NAMES))}; it can only be read")
    unknown = compat & ~WRITABLE_COMPAT
    if unknown:
        raise UnsupportedImage(
            "superblock (byte 1116): cannot write an image with compatible features "
            f"{', '.join(feature_names(unknown, COMPAT_NAMES))}; it can only be read")
