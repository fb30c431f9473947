"""Protection domains: the kernel's unit of isolation, accounting and scheduling.

A domain is an address space, a saved CPU context and the counters the kernel keeps
about it. It holds no policy: what runs inside it (a process, a file server) is the
business of the code at user level.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum

from emulator.cpu import CpuContext
from emulator.elf import ElfImage, Symbolizer
from emulator.riscv import Trap
from kernel.vm import AddressSpace


class State(Enum):
    """Run state of a domain."""

    RUNNABLE = "runnable"
    BLOCKED = "blocked"
    EXITED = "exited"


@dataclass
class DomainStats:
    """What the kernel counts for one domain; all in guest-visible units."""

    instructions: int = 0  # guest instructions retired in this domain
    crossings: int = 0  # traps into the kernel (system calls plus faults)
    syscalls: int = 0
    faults: int = 0
    pages_peak: int = 0  # most frames (pages and page tables) held at once
    slices: int = 0  # times the scheduler ran it


@dataclass
class Domain:
    """One protection domain."""

    id: int
    name: str
    argv: list[str]
    space: AddressSpace
    context: CpuContext
    image: ElfImage | None = None
    page_quota: int = 1 << 15
    state: State = State.RUNNABLE
    exit_status: int | None = None
    killed_by: Trap | None = None
    stats: DomainStats = field(default_factory=DomainStats)
    _symbolizer: Symbolizer | None = None

    @property
    def label(self) -> str:
        """'domain 2 (hello)': how messages name it."""
        return f"domain {self.id} ({self.name})"

    def describe_pc(self, pc: int) -> str:
        """pc with symbol and source line, when the program has them."""
        if self.image is None:
            return f"{pc:#x}"
        if self._symbolizer is None:
            self._symbolizer = Symbolizer(self.image)
        return self._symbolizer.describe(pc)
