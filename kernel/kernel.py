"""The kernel proper: boots domains on a board and multiplexes the CPU among them.

It owns the frame table, the domains and the scheduler, runs the main loop (pick a
domain, run it for a quantum, account for it), and provides the mechanisms syscall
handlers build on: allocate a frame, end a domain, give up the CPU.
"""

from __future__ import annotations

import sys
import traceback
from typing import Callable

from emulator.board import Board
from emulator.elf import ElfImage
from emulator.riscv import Trap
from kernel.domain import Domain, State
from kernel.frames import FrameKind, FrameTable, OutOfFrames
from kernel.loader import LoadError, load_image, page_count
from kernel.sched import RoundRobin
from kernel.trap import handle_trap
from kernel.vm import AddressSpace

DEFAULT_QUANTUM = 100_000  # guest instructions per time slice
DEFAULT_PAGE_QUOTA = 8192  # frames per domain (32 MiB), page tables included
# Kill status of a domain stopped by a fault: the shell convention 128 + signal number.
FAULT_STATUS = 128 + 11


def _stderr_log(line: str) -> None:
    """Default kernel log: one line on the host's standard error."""
    print(f"lamina: {line}", file=sys.stderr, flush=True)


class Kernel:
    """The exokernel: frames, domains, traps and time slices on one board."""

    def __init__(self, board: Board, quantum: int = DEFAULT_QUANTUM,
                 log: Callable[[str], None] = _stderr_log) -> None:
        if quantum < 1:
            raise ValueError(f"quantum must be at least 1 instruction, not {quantum}")
        self.board = board
        self.quantum = quantum
        self.log = log
        self.frames = FrameTable(board.ram)
        self.domains: dict[int, Domain] = {}
        self.scheduler = RoundRobin()
        self.current: Domain | None = None
        self.switches = 0
        self._reschedule = False
        self._next_id = 1
        board.cpu.trap_handler = self._on_trap

    # --- domains --------------------------------------------------------------------

    def spawn(self, image: ElfImage, argv: list[str], page_quota: int = DEFAULT_PAGE_QUOTA) -> Domain:
        """Create a runnable domain running image with argv (argv[0] is the program name)."""
        if page_count(image) + 4 > page_quota:
            raise LoadError(f"{image.name}: needs more frames than its quota of {page_quota}")
        if page_count(image) + 4 > self.frames.free_count:
            raise LoadError(f"{image.name}: not enough free RAM to load it")
        did = self._next_id
        self._next_id += 1
        space = AddressSpace(self.frames, did)
        try:
            entry = load_image(space, image, argv, lambda: self.frames.alloc(did, FrameKind.PAGE))
        except LoadError:
            self._release_memory(did, space)
            raise
        self.board.cpu.fence_i()  # frames may have held another program's code
        ctx = self.board.cpu.new_context(entry.pc, space.satp, entry.regs)
        d = Domain(did, image.name, list(argv), space, ctx, image, page_quota)
        d.stats.pages_peak = self.frames.held_by(did)
        self.domains[did] = d
        self.scheduler.add(d)
        return d

    def alloc_frame(self, d: Domain) -> int:
        """A zeroed page frame charged to d (the caller has checked the quota)."""
        pa = self.frames.alloc(d.id, FrameKind.PAGE)
        d.stats.pages_peak = max(d.stats.pages_peak, self.frames.held_by(d.id))
        return pa

    def can_charge(self, d: Domain, frames: int) -> bool:
        """True if d may take `frames` more frames and RAM has them."""
        return self.frames.held_by(d.id) + frames <= d.page_quota and frames <= self.frames.free_count

    def exit_domain(self, d: Domain, status: int) -> None:
        """End d with an exit status and give back everything it held."""
        d.state = State.EXITED
        d.exit_status = status
        self._release_memory(d.id, d.space)
        self.board.cpu.forget(d.context)

    def kill_domain(self, d: Domain, trap: Trap) -> None:
        """End d because of a fault it could not handle."""
        d.killed_by = trap
        self.exit_domain(d, FAULT_STATUS)

    def _release_memory(self, did: int, space: AddressSpace) -> None:
        """Unmap and free every frame did owns, then its page tables."""
        for m in list(space.mappings()):
            space.unmap(m.va)
            if self.frames.info(m.pa).owner == did:
                self.frames.free(m.pa)
        space.release_tables()

    # --- the CPU --------------------------------------------------------------------

    def request_reschedule(self) -> None:
        """The running domain gives up the CPU at the end of the current trap."""
        self._reschedule = True

    def keeps_cpu(self, d: Domain) -> bool:
        """After a trap: may d go on running in this slice?"""
        return d.state == State.RUNNABLE and not self._reschedule

    def _on_trap(self, trap: Trap) -> bool:
        """The board's trap vector."""
        d = self.current
        assert d is not None, "trap with no domain running"
        try:
            return handle_trap(self, d, trap)
        except Exception as err:  # a kernel bug must not take the machine down
            self.log(f"kernel error handling {trap} for {d.label}: {err!r}; domain stopped")
            traceback.print_exc(file=sys.stderr)
            if d.state != State.EXITED:
                self.kill_domain(d, trap)
            return False

    def run_slice(self, d: Domain) -> None:
        """Run d for one quantum (or until it traps out) and charge it."""
        cpu = self.board.cpu
        self.current = d
        self._reschedule = False
        start = cpu.clock.count
        cpu.run(d.context, self.quantum)
        d.stats.instructions += cpu.clock.count - start
        d.stats.slices += 1
        self.current = None

    def run(self, max_instructions: int | None = None) -> None:
        """Schedule domains until none is runnable (or the instruction limit passes)."""
        previous = None
        while (d := self.scheduler.next()) is not None:
            if d is not previous:
                self.switches += 1
                previous = d
            self.run_slice(d)
            if d.state == State.RUNNABLE:
                self.scheduler.add(d)
            if max_instructions is not None and self.board.instructions >= max_instructions:
                break

    @property
    def live_domains(self) -> list[Domain]:
        """Domains that have not exited."""
        return [d for d in self.domains.values() if d.state != State.EXITED]
