"""toolchain/ext2: make, read, edit and check ext2 disk images from Python, without e2fsprogs.

A host-side tool beside the user-program toolchain: it builds the disk images the
kernel's file service will read, and lets tests and students look inside them. Layers,
bottom up (each module imports only those below it):

    errors      Ext2Error and its kinds
    layout      the on-disk records (superblock, group descriptor, inode, dir entry)
    features    feature flags: which ones an image has, which ones this tool handles
    geometry    block-group arithmetic and superblock sanity checks
    disk        the image file as blocks
    volume      superblock, descriptors and inode table of an open image
    allocator   blocks and inodes through the bitmaps
    blockmap    direct, single, double and triple indirect blocks
    filedata    a file's bytes;  directory / directories: entries in a block / a directory
    image       Ext2Image: path operations (rename in rename.py)
    mkfs        formatting;  check: the consistency checker;  hostcopy: host <-> image copies

Supported: revision 0 and 1 ext2, 1/2/4 KiB blocks (reads up to 32 KiB), any inode size,
the filetype, sparse_super and large_file features; images with ext_attr, resize_inode,
dir_index or a journal are read and written as plain ext2. Anything with an unknown
incompatible feature (extent, 64bit, flex_bg, ...) is refused with a message naming it.
"""

from toolchain.ext2.check import Checker, Problem, check_image, run_e2fsck
from toolchain.ext2.errors import CorruptImage, DiskFull, Ext2Error, PathError, UnsupportedImage
from toolchain.ext2.hostcopy import get_file, import_tree, put_file
from toolchain.ext2.image import Ext2Image
from toolchain.ext2.layout import DirEntry, Inode
from toolchain.ext2.mkfs import MkfsOptions, make_filesystem, parse_size, plan

__all__ = [
    "Checker",
    "CorruptImage",
    "DirEntry",
    "DiskFull",
    "Ext2Error",
    "Ext2Image",
    "Inode",
    "MkfsOptions",
    "PathError",
    "Problem",
    "UnsupportedImage",
    "check_image",
    "get_file",
    "import_tree",
    "make_filesystem",
    "parse_size",
    "plan",
    "put_file",
    "run_e2fsck",
]
