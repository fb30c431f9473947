"""The image file as a row of fixed-size blocks: the device layer of toolchain/ext2.

A Disk maps the image file into memory and reads and writes whole blocks or byte ranges
of it. It knows nothing of ext2 beyond the block size and how many blocks belong to the
filesystem, and it refuses (with the block number) any block outside that range, so a
corrupt block pointer becomes an error message rather than a write into the wrong place.
"""

from __future__ import annotations

import mmap
import os
import struct
from pathlib import Path

from toolchain.ext2.errors import CorruptImage, Ext2Error


class Disk:
    """An image file opened for block I/O, read-only or read-write."""

    def __init__(self, path: Path, writable: bool) -> None:
        """Open and map the image at path; Ext2Error if it cannot be opened or is empty."""
        self.path = Path(path)
        self.writable = writable
        self.block_size = 1024
        self.blocks_count = 0
        try:
            self._file = open(self.path, "r+b" if writable else "rb")
        except OSError as err:
            raise Ext2Error(f"{self.path}: cannot open: {err.strerror}") from None
        self.size = os.fstat(self._file.fileno()).st_size
        if self.size == 0:
            self._file.close()
            raise CorruptImage(f"{self.path}: truncated image: the file is empty")
        access = mmap.ACCESS_WRITE if writable else mmap.ACCESS_READ
        self._map = mmap.mmap(self._file.fileno(), 0, access=access)

    def set_geometry(self, block_size: int, blocks_count: int) -> None:
        """Say how big a block is and how many the filesystem has, for the range checks."""
        self.block_size, self.blocks_count = block_size, blocks_count

    def close(self) -> None:
        """Flush writes to the file and release it; closing twice is harmless."""
        if self._map.closed:
            return
        if self.writable:
            self._map.flush()
        self._map.close()
        self._file.close()

    def read_bytes(self, offset: int, length: int) -> bytes:
        """length bytes at a byte offset; CorruptImage if they run past the end of the file."""
        if offset < 0 or offset + length > self.size:
            raise CorruptImage(f"truncated image: bytes {offset}..{offset + length - 1} "
                               f"are past the end of the {self.size}-byte file")
        return self._map[offset:offset + length]

    def write_bytes(self, offset: int, data: bytes) -> None:
        """Overwrite bytes at a byte offset."""
        if not self.writable:
            raise Ext2Error(f"{self.path}: the image is open read-only")
        if offset < 0 or offset + len(data) > self.size:
            raise CorruptImage(f"write of bytes {offset}..{offset + len(data) - 1} "
                               f"is past the end of the {self.size}-byte file")
        self._map[offset:offset + len(data)] = data

    def check_block(self, block: int, what: str) -> None:
        """Raise CorruptImage naming `what` unless block is inside the filesystem."""
        if not 0 <= block < self.blocks_count:
            raise CorruptImage(f"{what}: block {block} is outside the filesystem "
                               f"(blocks 0..{self.blocks_count - 1})")

    def read_block(self, block: int, what: str = "read") -> bytes:
        """The contents of one block."""
        self.check_block(block, what)
        return self.read_bytes(block * self.block_size, self.block_size)

    def write_block(self, block: int, data: bytes, what: str = "write") -> None:
        """Replace one block; data shorter than a block is padded with zeros."""
        self.check_block(block, what)
        if len(data) > self.block_size:
            raise Ext2Error(f"{what}: {len(data)} bytes do not fit in block {block}")
        self.write_bytes(block * self.block_size, data.ljust(self.block_size, b"\0"))

    def read_u32(self, block: int, index: int) -> int:
        """The index-th little-endian 32-bit word of a block (an entry of an indirect block)."""
        return struct.unpack_from("<I", self._map, block * self.block_size + 4 * index)[0]

    def write_u32(self, block: int, index: int, value: int) -> None:
        """Set the index-th 32-bit word of a block."""
        self.write_bytes(block * self.block_size + 4 * index, struct.pack("<I", value))

    def read_u32s(self, block: int) -> tuple[int, ...]:
        """Every 32-bit word of a block."""
        return struct.unpack_from(f"<{self.block_size // 4}I", self._map, block * self.block_size)

    @property
    def buffer(self) -> mmap.mmap:
        """The mapped file, for byte-level bitmap scans."""
        return self._map
