"""A file's bytes: read, write and truncate an inode's data through its block map.

The file-data layer of toolchain/ext2, above blockmap.py. It turns byte ranges into
block indexes, leaves holes reading as zeros, and keeps i_size honest. A write that runs
out of space gives back every block it took past the old end of the file, restores the
old size and only then raises DiskFull, so the image stays consistent.
"""

from __future__ import annotations

from typing import Iterator

from toolchain.ext2.blockmap import BlockMap
from toolchain.ext2.errors import CorruptImage, DiskFull, Ext2Error
from toolchain.ext2.features import RO_COMPAT_LARGE_FILE
from toolchain.ext2.layout import Inode
from toolchain.ext2.volume import Volume

CHUNK = 1 << 20   # at most this many bytes of a hole are yielded at once


class FileData:
    """Byte-level access to the data of inodes on one Volume."""

    def __init__(self, volume: Volume, blocks: BlockMap) -> None:
        """Read and write through volume's disk and the block map blocks."""
        self.volume = volume
        self.disk = volume.disk
        self.blocks = blocks
        self.block_size = volume.geo.block_size

    def checked_size(self, inode: Inode) -> int:
        """The file's size; CorruptImage if no file of this block size can be that big."""
        limit = self.blocks.max_blocks * self.block_size
        if inode.size > limit:
            raise CorruptImage(f"inode {inode.number}: size {inode.size} is larger than the largest "
                               f"possible file ({limit} bytes with {self.block_size}-byte blocks)")
        return inode.size

    def chunks(self, inode: Inode) -> Iterator[bytes]:
        """The whole file, in order, as pieces of at most a block (holes as runs of zeros)."""
        size, bs = self.checked_size(inode), self.block_size
        position = 0
        for index, block in self.blocks.data_blocks(inode):
            start = index * bs
            if start >= size:
                break
            while position < start:
                gap = min(start - position, CHUNK)
                yield bytes(gap)
                position += gap
            piece = self.disk.read_block(block, f"inode {inode.number}")[:size - start]
            yield piece
            position += len(piece)
        while position < size:
            gap = min(size - position, CHUNK)
            yield bytes(gap)
            position += gap

    def read_all(self, inode: Inode) -> bytes:
        """The whole file as one bytes object."""
        return b"".join(self.chunks(inode))

    def read(self, inode: Inode, offset: int, length: int) -> bytes:
        """Up to length bytes from offset (fewer at the end of the file)."""
        end = min(inode.size, offset + length)
        out = bytearray()
        position = offset
        while position < end:
            index, within = divmod(position, self.block_size)
            count = min(self.block_size - within, end - position)
            block = self.blocks.lookup(inode, index)
            if block:
                out += self.disk.read_bytes(block * self.block_size + within, count)
            else:
                out += bytes(count)
            position += count
        return bytes(out)

    def _first_goal(self, inode: Inode, index: int) -> int:
        """Where to look first for a new block of the file: after its previous block, or its group's start."""
        if index > 0:
            previous = self.blocks.lookup(inode, index - 1)
            if previous:
                return previous + 1
        group = self.volume.geo.group_of_inode(inode.number)
        return self.volume.geo.group_first_block(group)

    def write(self, inode: Inode, offset: int, data: bytes) -> None:
        """Write data at offset, growing the file; on DiskFull the file is as it was before (then raise)."""
        end = offset + len(data)
        if -(-end // self.block_size) > self.blocks.max_blocks:
            raise Ext2Error(f"inode {inode.number}: a write ending at byte {end} would pass the "
                            f"largest file size for {self.block_size}-byte blocks")
        old_size = inode.size
        position = offset
        goal = self._first_goal(inode, offset // self.block_size)
        try:
            while position < end:
                index, within = divmod(position, self.block_size)
                count = min(self.block_size - within, end - position)
                block = self.blocks.map(inode, index, goal)
                piece = data[position - offset:position - offset + count]
                self.disk.write_bytes(block * self.block_size + within, piece)
                goal = block + 1
                position += count
        except DiskFull:
            self.blocks.truncate(inode, -(-old_size // self.block_size))
            self.volume.write_inode(inode)
            raise
        self._set_size(inode, max(old_size, end))

    def _set_size(self, inode: Inode, size: int) -> None:
        """Store a new size and save the inode, turning on large_file for a file of 2 GiB or more."""
        sb = self.volume.sb
        if size >= 1 << 31 and not sb.feature_ro_compat & RO_COMPAT_LARGE_FILE:
            sb.feature_ro_compat |= RO_COMPAT_LARGE_FILE   # as Linux does: i_size_high is now in use
            self.volume.save_superblock()
        inode.size = size
        inode.mtime = inode.ctime = self.volume.clock
        self.volume.write_inode(inode)

    def truncate(self, inode: Inode, size: int) -> None:
        """Make the file size bytes long: cut blocks past the end, or extend with a hole."""
        limit = self.blocks.max_blocks * self.block_size
        if size > limit:
            raise Ext2Error(f"inode {inode.number}: {size} bytes is larger than the largest "
                            f"possible file ({limit} bytes with {self.block_size}-byte blocks)")
        if size < inode.size:
            self.blocks.truncate(inode, -(-size // self.block_size))
            index, within = divmod(size, self.block_size)
            tail = self.blocks.lookup(inode, index) if within else 0
            if tail:
                # Bytes past the new end must read as zeros if the file grows again.
                self.disk.write_bytes(tail * self.block_size + within, bytes(self.block_size - within))
        self._set_size(inode, size)
