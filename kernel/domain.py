"""Protection domains: the kernel's unit of isolation, accounting and scheduling.

A domain is an address space, a saved CPU context, its place in the domain tree, the
authority and bindings it holds, and the counters the kernel keeps about it. It holds
no policy: what runs inside it (a process, a file server) is user-level business.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from emulator.cpu import CpuContext
from emulator.elf import ElfImage, Symbolizer
from emulator.riscv import Trap
from kernel.abi import DomState
from kernel.vm import AddressSpace

if TYPE_CHECKING:
    from kernel.bindings import Binding
    from kernel.ipc import IpcWait

State = DomState
EXITED = DomState.EXITED  # a plain name: alive is on the trap path


@dataclass
class DomainStats:
    """What the kernel counts for one domain; all in guest-visible units."""

    instructions: int = 0  # guest instructions retired in this domain
    syscalls: int = 0
    faults: int = 0
    upcalls: int = 0  # faults and revocations delivered to the domain's handler
    ipc_sent: int = 0  # messages (calls, replies, notifications) this domain sent
    pages_peak: int = 0  # most frames (pages and page tables) held at once
    slices: int = 0  # times the scheduler ran it

    @property
    def crossings(self) -> int:
        """Traps into the kernel: system calls plus faults."""
        return self.syscalls + self.faults


@dataclass(eq=False)
class Domain:
    """One protection domain."""

    id: int
    name: str
    argv: list[str]
    space: AddressSpace
    context: CpuContext
    image: ElfImage | None = None
    parent: Domain | None = None
    creator: int | None = None  # the id of the domain that created it (kept after it is reaped)
    children: list[Domain] = field(default_factory=list)
    caps: set[int] = field(default_factory=set)  # ids this domain was granted authority over
    bindings: list[Binding] = field(default_factory=list)
    page_quota: int = 1 << 15  # frames this domain and its descendants may hold
    subtree_pages: int = 0  # frames held by this domain and its descendants
    share: int = 100  # CPU tickets
    pass_value: int = 0  # stride scheduler's virtual time
    queued: bool = False  # in the run queue
    state: DomState = DomState.STOPPED
    exit_status: int | None = None
    killed_by: Trap | None = None
    reaped: bool = False  # destroyed: only the record remains, for statistics
    fault_entry: int = 0  # user-level fault handler (0: none)
    xstack_top: int = 0
    pending_upcall: tuple[int, int] | None = None  # (cause, tval) delivered when it next runs
    alarm_interval: int = 0  # alarm(): an upcall every this many of its own instructions (0: none)
    alarm_left: int = 0  # its own instructions until the next one
    alarm_missed: int = 0  # alarms due (not delivered) since the last one delivered
    revoking: bool = False  # asked to get down to its quota (visible revocation)
    notify_bits: int = 0
    timer: int = 0  # virtual time of its pending timer, 0 if none
    ipc: IpcWait | None = None
    senders: deque[Domain] = field(default_factory=deque)  # callers waiting to be received
    callers: list[Domain] = field(default_factory=list)  # calls received, not yet replied to
    rx: deque[bytes] = field(default_factory=deque)  # frames the NIC brought, not yet received
    stats: DomainStats = field(default_factory=DomainStats)
    _symbolizer: Symbolizer | None = None

    @property
    def label(self) -> str:
        """'domain 2 (hello)': how messages name it."""
        return f"domain {self.id} ({self.name})"

    @property
    def alive(self) -> bool:
        """True until the domain exits or is destroyed."""
        return self.state is not EXITED

    @property
    def symbolizer(self) -> Symbolizer | None:
        """Address to source line for this domain's program, if it has one."""
        if self._symbolizer is None and self.image is not None:
            self._symbolizer = Symbolizer(self.image)
        return self._symbolizer

    def describe_pc(self, pc: int) -> str:
        """pc with symbol and source line, when the program has them."""
        symbolizer = self.symbolizer
        return symbolizer.describe(pc) if symbolizer else f"{pc:#x}"

    def ancestors(self) -> list[Domain]:
        """Parent, grandparent, ... up to a domain the kernel booted."""
        chain = []
        d = self.parent
        while d is not None:
            chain.append(d)
            d = d.parent
        return chain

    def descendants(self) -> list[Domain]:
        """Every domain below this one, children after their own descendants."""
        out: list[Domain] = []
        for c in self.children:
            out.extend(c.descendants())
            out.append(c)
        return out
