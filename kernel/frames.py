"""The physical frame table: which domain owns each 4 KiB frame of RAM.

Every frame is free or has exactly one owner. Page-table frames are owned by the
domain whose address space they describe (they count against its quota) but are
marked as tables, so that no call can ever map them into user space.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

from emulator.ram import PhysicalMemory
from emulator.riscv import PAGE_SIZE

FREE = 0


class FrameKind(IntEnum):
    """What a frame holds."""

    FREE = 0
    PAGE = 1  # user-visible memory
    TABLE = 2  # an Sv39 page table


@dataclass
class FrameInfo:
    """The record of one frame."""

    owner: int
    kind: FrameKind


class OutOfFrames(Exception):
    """No free frame is left in RAM."""


class FrameTable:
    """Allocation and ownership of RAM frames."""

    def __init__(self, ram: PhysicalMemory, reserved: int = 0) -> None:
        """Manage all of RAM except its first `reserved` bytes."""
        self.ram = ram
        first = (ram.base + reserved + PAGE_SIZE - 1) // PAGE_SIZE
        self.first_frame = first
        self.nframes = (ram.base + ram.size) // PAGE_SIZE - first
        self._owner = [FREE] * self.nframes
        self._kind = [FrameKind.FREE] * self.nframes
        # Lowest addresses are handed out first (pop from the end of a descending list),
        # so a run's physical layout is easy to read and deterministic.
        self._free = list(range(self.nframes - 1, -1, -1))
        self._held: dict[int, int] = {}

    def _index(self, pa: int) -> int:
        """Frame number of pa within the table; ValueError if it is not a managed frame."""
        if pa % PAGE_SIZE:
            raise ValueError(f"{pa:#x} is not page-aligned")
        i = pa // PAGE_SIZE - self.first_frame
        if not 0 <= i < self.nframes:
            raise ValueError(f"{pa:#x} is not a frame of RAM")
        return i

    def alloc(self, owner: int, kind: FrameKind = FrameKind.PAGE) -> int:
        """A zeroed frame now owned by `owner`; raises OutOfFrames when RAM is exhausted."""
        if not self._free:
            raise OutOfFrames()
        i = self._free.pop()
        self._owner[i] = owner
        self._kind[i] = kind
        self._held[owner] = self._held.get(owner, 0) + 1
        pa = (self.first_frame + i) * PAGE_SIZE
        self.ram.fill(pa, PAGE_SIZE)
        return pa

    def free(self, pa: int) -> None:
        """Return a frame to the free pool."""
        i = self._index(pa)
        owner = self._owner[i]
        if self._kind[i] == FrameKind.FREE:
            raise ValueError(f"frame {pa:#x} is already free")
        self._held[owner] -= 1
        self._owner[i] = FREE
        self._kind[i] = FrameKind.FREE
        self._free.append(i)

    def info(self, pa: int) -> FrameInfo:
        """Owner and kind of the frame at pa."""
        i = self._index(pa)
        return FrameInfo(self._owner[i], self._kind[i])

    def held_by(self, owner: int) -> int:
        """How many frames `owner` holds (pages and tables)."""
        return self._held.get(owner, 0)

    @property
    def free_count(self) -> int:
        """Frames in the free pool."""
        return len(self._free)

    def frames_of(self, owner: int) -> list[int]:
        """Physical addresses of every frame `owner` holds (a scan: for checks, not hot paths)."""
        return [(self.first_frame + i) * PAGE_SIZE for i, o in enumerate(self._owner) if o == owner]
