"""Physical RAM of the board: one contiguous region at a fixed physical base.

The bytes live in a host buffer shared with the emulated CPU, so the kernel (and DMA
devices) read and write guest memory without a call into the emulator.
"""

from __future__ import annotations

import ctypes
import mmap
import struct

_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")
_U16 = struct.Struct("<H")


class PhysicalMemory:
    """RAM at [base, base + size): byte, word and block access by physical address."""

    def __init__(self, base: int, size: int) -> None:
        if size <= 0 or size % mmap.PAGESIZE:
            raise ValueError(f"RAM size {size} is not a positive multiple of the host page size")
        self.base = base
        self.size = size
        # An anonymous mapping: zero-filled lazily by the host OS, portable to every host.
        self._map = mmap.mmap(-1, size)
        self.host_address = ctypes.addressof(ctypes.c_char.from_buffer(self._map))
        self._view = memoryview(self._map)

    def contains(self, pa: int, length: int = 1) -> bool:
        """True if [pa, pa + length) lies inside RAM."""
        return self.base <= pa and pa + length <= self.base + self.size

    def _offset(self, pa: int, length: int) -> int:
        """Offset of pa in the buffer; raises IndexError outside RAM."""
        if not self.contains(pa, length):
            raise IndexError(f"physical address {pa:#x}+{length} outside RAM")
        return pa - self.base

    def read(self, pa: int, length: int) -> bytes:
        """Copy length bytes out of RAM."""
        off = self._offset(pa, length)
        return bytes(self._view[off : off + length])

    def write(self, pa: int, data: bytes | bytearray | memoryview) -> None:
        """Copy data into RAM at pa."""
        off = self._offset(pa, len(data))
        self._view[off : off + len(data)] = data

    def fill(self, pa: int, length: int, byte: int = 0) -> None:
        """Set length bytes at pa to byte (zeroing a frame, mostly)."""
        off = self._offset(pa, length)
        ctypes.memset(self.host_address + off, byte, length)

    # The word accessors are what the kernel's page-table walks run on (several per
    # system call that touches user memory), so they check the bounds inline.

    def read_u64(self, pa: int) -> int:
        """The little-endian 64-bit word at pa."""
        off = pa - self.base
        if not 0 <= off <= self.size - 8:
            raise IndexError(f"physical address {pa:#x}+8 outside RAM")
        return _U64.unpack_from(self._view, off)[0]

    def write_u64(self, pa: int, value: int) -> None:
        """Store a little-endian 64-bit word at pa."""
        off = pa - self.base
        if not 0 <= off <= self.size - 8:
            raise IndexError(f"physical address {pa:#x}+8 outside RAM")
        _U64.pack_into(self._view, off, value)

    def read_u64s(self, pa: int, count: int) -> tuple[int, ...]:
        """count little-endian 64-bit words from pa (a run of page-table entries)."""
        return struct.unpack_from(f"<{count}Q", self._view, self._offset(pa, 8 * count))

    def write_u64s(self, pa: int, values: list[int]) -> None:
        """Store little-endian 64-bit words from pa."""
        struct.pack_into(f"<{len(values)}Q", self._view, self._offset(pa, 8 * len(values)), *values)

    def read_u16(self, pa: int) -> int:
        """The little-endian 16-bit half-word at pa (an instruction parcel)."""
        return _U16.unpack_from(self._view, self._offset(pa, 2))[0]

    def read_u32(self, pa: int) -> int:
        """The little-endian 32-bit word at pa."""
        return _U32.unpack_from(self._view, self._offset(pa, 4))[0]

    def close(self) -> None:
        """Release the host buffer (after the CPU has unmapped it)."""
        self._view.release()
        try:
            self._map.close()
        except BufferError:
            pass  # a ctypes view is still alive; the GC will free the mapping
