"""The errors of the ext2 image tool: every way an image or a request can be refused.

This is the bottom of toolchain/ext2: every other module raises one of these, and the
`lamina image` commands turn them into a one-line message and an exit status. A message
always says what is wrong and where (a byte offset, an inode number, a block number or a
path), so a student can open the image in a hex viewer or debugfs and look.
"""

from __future__ import annotations


class Ext2Error(Exception):
    """Anything the ext2 tool refuses to do; the message names what and where."""


class CorruptImage(Ext2Error):
    """The image's on-disk structures contradict themselves or the file they are in."""


class UnsupportedImage(Ext2Error):
    """A valid image that uses a feature (or layout) this tool does not implement."""


class DiskFull(Ext2Error):
    """No free block or inode is left; the operation was undone before raising."""


class PathError(Ext2Error):
    """A path names nothing, or something of the wrong kind (like ENOENT, ENOTDIR, EEXIST)."""
