"""The physical frame table: who owns each 4 KiB frame of RAM, and who maps it.

Every frame is free or has exactly one owner, the domain charged for it. A user page
is also recorded with every (domain, va) that maps it, so sharing is always explicit,
revocation can find every mapping, and a frame is freed when its last mapping goes.
Page-table frames are owned by the domain whose address space they describe but are
marked as tables, so that no call can ever map them into user space.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum
from typing import Callable

from emulator.ram import PhysicalMemory
from emulator.riscv import PAGE_SIZE

FREE = 0
KERNEL = 0  # as a mapper: the kernel holds the frame for a device's DMA


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
    mappers: tuple[tuple[int, int], ...]  # (domain id, va) of every mapping


class OutOfFrames(Exception):
    """No free frame is left in RAM."""


class FrameTable:
    """Allocation, ownership and mappings of RAM frames."""

    def __init__(self, ram: PhysicalMemory, on_charge: Callable[[int, int], None] | None = None) -> None:
        """Manage all of RAM; on_charge(owner, delta) hears of every change in a charge."""
        self.ram = ram
        self.first_frame = ram.base // PAGE_SIZE
        self.nframes = ram.size // PAGE_SIZE
        self._owner = [FREE] * self.nframes
        self._kind = [FrameKind.FREE] * self.nframes
        self._mappers: dict[int, list[tuple[int, int]]] = {}
        # Lowest addresses are handed out first (pop from the end of a descending list),
        # so a run's physical layout is easy to read and deterministic.
        self._free = list(range(self.nframes - 1, -1, -1))
        self._held: dict[int, int] = {}
        self._serial = [0] * self.nframes  # which allocation of the frame this is
        self._allocations = 0
        self.on_charge = on_charge or (lambda owner, delta: None)

    def _index(self, pa: int) -> int:
        """Frame number of pa within the table; ValueError if it is not a frame of RAM."""
        if pa % PAGE_SIZE:
            raise ValueError(f"{pa:#x} is not page-aligned")
        i = pa // PAGE_SIZE - self.first_frame
        if not 0 <= i < self.nframes:
            raise ValueError(f"{pa:#x} is not a frame of RAM")
        return i

    def _charge(self, owner: int, delta: int) -> None:
        """Record that owner holds delta more (or fewer) frames."""
        self._held[owner] = self._held.get(owner, 0) + delta
        self.on_charge(owner, delta)

    def alloc(self, owner: int, kind: FrameKind = FrameKind.PAGE) -> int:
        """A zeroed frame now owned by `owner`; raises OutOfFrames when RAM is exhausted."""
        if not self._free:
            raise OutOfFrames()
        i = self._free.pop()
        self._allocations += 1
        self._serial[i] = self._allocations
        self._owner[i] = owner
        self._kind[i] = kind
        self._charge(owner, 1)
        pa = (self.first_frame + i) * PAGE_SIZE
        self.ram.fill(pa, PAGE_SIZE)
        return pa

    def free(self, pa: int) -> None:
        """Return a frame to the free pool (it must have no mappings left)."""
        i = self._index(pa)
        if self._kind[i] == FrameKind.FREE:
            raise ValueError(f"frame {pa:#x} is already free")
        if self._mappers.get(i):
            raise ValueError(f"frame {pa:#x} is still mapped")
        self._charge(self._owner[i], -1)
        self._owner[i] = FREE
        self._kind[i] = FrameKind.FREE  # (it has no mappers: their last one removed the entry)
        self._free.append(i)

    def add_mapper(self, pa: int, domain: int, va: int) -> None:
        """Record that domain maps frame pa at va."""
        self._mappers.setdefault(self._index(pa), []).append((domain, va))

    def remove_mapper(self, pa: int, domain: int, va: int) -> None:
        """Forget one mapping of pa. When its owner no longer maps it, the charge moves
        to the earliest remaining mapper; when nobody maps it, the frame is freed."""
        i = self._index(pa)
        mappers = self._mappers[i]
        mappers.remove((domain, va))
        if not mappers:
            del self._mappers[i]
            self.free(pa)
        elif domain == self._owner[i] and not any(d == domain for d, _ in mappers):
            heirs = [d for d, _ in mappers if d != KERNEL]
            if heirs:  # with only DMA holds left, the owner stays charged until they end
                self.transfer(pa, heirs[0])

    def transfer(self, pa: int, new_owner: int) -> None:
        """Make new_owner the domain charged for frame pa."""
        i = self._index(pa)
        self._charge(self._owner[i], -1)
        self._owner[i] = new_owner
        self._charge(new_owner, 1)

    def info(self, pa: int) -> FrameInfo:
        """Owner, kind and mappings of the frame at pa."""
        i = self._index(pa)
        return FrameInfo(self._owner[i], self._kind[i], tuple(self._mappers.get(i, ())))

    def owner_and_mappers(self, pa: int) -> tuple[int, int]:
        """The frame's owner and how many mappings it has (info() without the copies)."""
        i = self._index(pa)
        return self._owner[i], len(self._mappers.get(i, ()))

    def serial(self, pa: int) -> int:
        """Which allocation the frame at pa holds now (it changes when it is reused)."""
        return self._serial[self._index(pa)]

    def still_allocated(self, pa: int, serial: int) -> bool:
        """True if the allocation `serial` of frame pa has not been freed since."""
        i = self._index(pa)
        return self._kind[i] != FrameKind.FREE and self._serial[i] == serial

    def held_by(self, owner: int) -> int:
        """How many frames `owner` is charged for (pages and tables)."""
        return self._held.get(owner, 0)

    @property
    def free_count(self) -> int:
        """Frames in the free pool."""
        return len(self._free)

    def owned_frames(self) -> dict[int, FrameInfo]:
        """Every frame in use, by physical address (a scan: for checks and tests)."""
        return {(self.first_frame + i) * PAGE_SIZE: self.info((self.first_frame + i) * PAGE_SIZE)
                for i in range(self.nframes) if self._kind[i] != FrameKind.FREE}
