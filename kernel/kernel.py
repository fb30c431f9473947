"""The kernel proper: boots domains on a board and multiplexes the CPU among them.

It owns the frame table, the domain tree and the scheduler, runs the main loop (pick a
domain, run it for a quantum, account for it), and provides the mechanisms the system
call handlers build on: charging frames against quotas, authority checks, blocking
and waking, ending and destroying domains.
"""

from __future__ import annotations

import itertools
import sys
import traceback
from typing import Callable

from emulator.board import Board
from emulator.cpu import CpuContext
from emulator.elf import ElfImage
from emulator.riscv import SP, Trap, cause_from_code
from kernel import devices, ipc, memory, net
from kernel.notify import notify
from kernel.abi import DomState, Errno, Notify
from kernel.bindings import console_input_arrived
from kernel.domain import Domain
from kernel.errors import require
from kernel.frames import FrameTable
from kernel.sched import StrideScheduler
from kernel.trap import handle_trap
from kernel.tracing import Tracer
from kernel.upcall import count_alarm, deliver_pending
from kernel.vm import AddressSpace

DEFAULT_QUANTUM = 100_000  # guest instructions per time slice
# A domain with nobody else to run keeps the CPU for up to this many quanta in one go
# (fewer trips out of the emulator); a wake-up of another domain cuts the slice back to
# the end of its current quantum. Both depend only on guest events: still deterministic.
ALONE_QUANTA = 64
DEFAULT_PAGE_QUOTA = 8192  # frames per domain subtree (32 MiB), page tables included
FAULT_STATUS = 128 + 11  # exit status of a domain killed by a fault: 128 + SIGSEGV
# Plain names for the states the trap path tests: an enum member lookup costs ~0.1 us.
RUNNABLE, BLOCKED, EXITED = DomState.RUNNABLE, DomState.BLOCKED, DomState.EXITED


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
        self.clock = board.cpu.clock  # virtual time: read on every slice and direct switch
        self.quantum = quantum
        self.log = log
        self.frames = FrameTable(board.ram, on_charge=self._on_charge)
        self.domains: dict[int, Domain] = {}
        self.scheduler = StrideScheduler()
        self.current: Domain | None = None
        self.switches = 0
        self.console_readers: set[int] = set()
        self.timers: list[tuple[int, int]] = []  # (deadline, domain id), a heap
        self.until: int | None = None  # run() stops at this virtual time (a cluster's step)
        self.limit: int | None = None  # run() stops once this many instructions have retired
        self.nic_dropped = 0  # arriving frames no filter took, or that found a full queue
        self.dma_owner: dict[int, tuple[int, list[tuple[int, int]]]] = {}  # tag -> (domain, pieces)
        self.dma_tags = itertools.count(1)  # fresh tags for DMA requests
        self.shared_pages: dict[tuple[str, int], tuple[int, int]] = {}  # loader's: (program, va) -> (frame, serial)
        self.after_syscall: Callable[[Domain], None] | None = None  # a hook for tests
        self.find_program: Callable[[str], ElfImage | None] = lambda name: None  # the loader's, for symbols
        self.tracer: Tracer | None = None
        self.reschedule_pending = False
        self.slice_start = 0  # instruction count at which the current slice began
        self._slice_began = 0
        self.handoff: Domain | None = None  # set by IPC: who should run if the caller blocks
        self.next_domain_id = 1  # ids are never reused
        board.cpu.trap_handler = self._on_trap

    # --- domains and their resources ----------------------------------------------------

    def create_domain(self, name: str, argv: list[str], image: ElfImage | None,
                      parent: Domain | None, page_quota: int = DEFAULT_PAGE_QUOTA) -> Domain:
        """A stopped domain with an empty address space, placed in the domain tree."""
        did = self.next_domain_id
        self.next_domain_id += 1
        space = AddressSpace(self.frames, did)
        d = Domain(did, name, list(argv), space, CpuContext(), image, parent=parent,
                   creator=parent.id if parent else None, page_quota=parent.page_quota if parent else page_quota)
        if parent is not None:
            parent.children.append(d)
            d.share = parent.share
        self.domains[did] = d
        space.allocate_root()
        return d

    def _on_charge(self, owner: int, delta: int) -> None:
        """Frame-table callback: owner's charge changed; keep subtree totals and peaks."""
        d = self.domains[owner]
        d.subtree_pages += delta
        for a in d.ancestors():
            a.subtree_pages += delta
        if delta > 0:
            d.stats.pages_peak = max(d.stats.pages_peak, self.frames.held_by(owner))

    def can_charge(self, d: Domain, frames: int) -> bool:
        """True if d's subtree, and every subtree above it, may take `frames` more frames."""
        if frames > self.frames.free_count:
            return False
        return all(x.subtree_pages + frames <= x.page_quota for x in [d, *d.ancestors()])

    def has_authority(self, actor: Domain, target: Domain) -> bool:
        """True if actor may act on target: itself, an ancestor, or holding a capability."""
        return target is actor or actor in target.ancestors() or target.id in actor.caps

    def resolve(self, actor: Domain, dom: int, allow_exited: bool = False) -> Domain:
        """The domain a call names (0: the caller); the call fails with ESRCH if there is
        none (or it has ended, unless allow_exited), EPERM if the caller may not act on it."""
        if dom == 0:
            return actor
        target = self.domains.get(dom)
        require(target is not None and not target.reaped and (allow_exited or target.alive), Errno.ESRCH)
        require(self.has_authority(actor, target), Errno.EPERM)
        return target

    # --- ending domains ------------------------------------------------------------------

    def _teardown(self, d: Domain) -> None:
        """Stop d for good: wake its IPC partners, release its memory, drop its context."""
        d.state = DomState.EXITED
        if self.tracer is not None:
            self.tracer.exited(d, self.board.now)
        ipc.abort_ipc(self, d)
        memory.release_space(self, d)
        self.console_readers.discard(d.id)
        self.board.cpu.forget(d.context)

    def exit_domain(self, d: Domain, status: int) -> None:
        """End d with an exit status. Its children move up to its parent, which is told."""
        d.exit_status = status
        self._teardown(d)
        for c in d.children:
            d.subtree_pages -= c.subtree_pages
            c.parent = d.parent
            if d.parent is not None:
                d.parent.children.append(c)
        d.children = []
        if d.parent is not None:
            notify(self, d.parent, Notify.CHILD)
        else:
            d.reaped = True

    def kill_domain(self, d: Domain, trap: Trap) -> None:
        """End d because of a fault it could not handle."""
        d.killed_by = trap
        self.exit_domain(d, FAULT_STATUS)

    def destroy_domain(self, d: Domain) -> None:
        """End d and every descendant now, and forget them; all their frames return."""
        for x in d.descendants() + [d]:
            if x.alive:
                if x.exit_status is None:
                    x.exit_status = FAULT_STATUS - 2  # 128 + SIGKILL
                self._teardown(x)
            x.reaped = True
        if d.parent is not None:
            for a in d.ancestors():  # frames a disk request still pins stay charged to d, not to them
                a.subtree_pages -= d.subtree_pages
            d.parent.children.remove(d)
            d.parent = None

    # --- the CPU ---------------------------------------------------------------------------

    def block(self, d: Domain) -> None:
        """d waits (in IPC) and is not scheduled until woken."""
        d.state = BLOCKED  # if it is the one running, its trap gives up the CPU (trap.py)

    def wake(self, d: Domain) -> None:
        """Make d runnable."""
        state = d.state
        if state is EXITED or d.reaped:
            return
        d.state = RUNNABLE
        current = self.current
        if d is current and state is RUNNABLE:
            return  # it is on the CPU; the main loop queues it again after its slice
        self.scheduler.add(d)
        if self.tracer is not None:
            self.tracer.syscall_exit(d, self.board.now)
        if current is not None and d is not current:
            self._end_slice_at_quantum()

    def _end_slice_at_quantum(self) -> None:
        """Someone else can run now: a slice stretched by ALONE_QUANTA ends with its
        current quantum."""
        clock, start, quantum = self.clock, self.slice_start, self.quantum
        elapsed = clock.count - start
        boundary = start + max(1, -(-elapsed // quantum)) * quantum
        if boundary < clock.deadline:
            clock.set_deadline(boundary)

    def _on_trap(self, cause: int, pc: int) -> bool:
        """The board's trap vector: scause and sepc of a trap taken by the running domain."""
        d = self.current
        assert d is not None, "trap with no domain running"
        try:
            keep = handle_trap(self, d, cause, pc)
        except Exception as err:  # a kernel bug must not take the machine down
            self.log(f"kernel error handling cause {cause} at pc {pc:#x} for {d.label}: {err!r}; domain stopped")
            traceback.print_exc(file=sys.stderr)
            if d.alive:
                self.kill_domain(d, Trap(cause_from_code(cause), pc, 0))
            return False
        if self.after_syscall is not None:
            self.after_syscall(d)
        return keep

    def run_slice(self, d: Domain) -> Domain:
        """Run d for one quantum (or until it traps out); returns the domain that was on
        the CPU at the end (another one, if IPC handed the CPU over directly)."""
        cpu = self.board.cpu
        self.current = d
        self.reschedule_pending = False
        cpu.load(d.context)
        deliver_pending(self, d)
        self._begin_slice()
        budget = self.quantum * (1 if self.scheduler.has_runnable() else ALONE_QUANTA)
        event = devices.next_event(self)
        if event is not None:  # a device or timer interrupts the slice when it is due
            budget = max(1, min(budget, event - self.board.now))
        if self.limit is not None:  # and so does the end of the run
            budget = max(1, min(budget, self.limit - self.clock.count))
        if d.alarm_interval:  # and the domain's alarm
            budget = max(1, min(budget, d.alarm_left))
        cpu.run(d.context, budget)
        last = self.current
        assert last is not None
        self._end_slice(last)
        self.current = None
        if last.revoking and last.alive:
            memory.force_revocation(self, last)  # it had its slice to comply
        return last

    def _begin_slice(self) -> None:
        """Start charging instructions to the current domain."""
        self.slice_start = self.clock.count
        self._slice_began = self.board.now

    def _end_slice(self, d: Domain) -> None:
        """Charge d for the instructions since its slice began."""
        used = self.clock.count - self.slice_start
        stats = d.stats
        stats.instructions += used
        stats.slices += 1
        self.scheduler.charge(d, used)
        count_alarm(d, used, self.board.cpu.reg(SP))
        if self.tracer is not None:  # after the counts: it reports them as of the slice's end
            self.tracer.slice(d, self._slice_began, self.board.now)

    def hand_over(self, d: Domain, to: Domain) -> bool:
        """Inside d's trap: d has blocked in IPC and `to` can take the CPU at once (the
        L4-style direct switch: no scheduler decision, no trip out of the emulator; `to`
        runs out d's quantum). False if that is not possible."""
        if d.state is not BLOCKED or to.state is not RUNNABLE or to.pending_upcall is not None:
            return False
        self._end_slice(d)
        self.board.cpu.switch_in_trap(to.context)
        self.current = to
        self.switches += 1
        self._begin_slice()
        return True

    def deliver_events(self) -> None:
        """Device completions, arriving frames and timers due by now become notifications."""
        devices.disk_completions(self)
        net.nic_arrivals(self)
        devices.timer_expiries(self)
        console = self.board.console
        if self.console_readers and (console.input_ready or console.input_closed):
            console_input_arrived(self)

    def run(self, max_instructions: int | None = None, until: int | None = None) -> None:
        """Schedule domains until none is runnable and no event can wake one (or the
        instruction limit passes, or virtual time reaches `until`: a cluster runs its
        machines in steps). With nothing to run, virtual time skips to the next device
        completion or timer (or to `until`)."""
        previous = None
        self.until, self.limit = until, max_instructions
        while until is None or self.board.now < until:
            self.deliver_events()
            d = self.scheduler.next()
            if d is None:
                event = devices.next_event(self)
                if event is None:
                    break
                self.board.idle_until(event)
                continue
            if d is not previous:
                self.switches += 1
            previous = self.run_slice(d)
            if previous.state == DomState.RUNNABLE:
                self.scheduler.add(previous)
            if max_instructions is not None and self.board.instructions >= max_instructions:
                break
        blocked = [x for x in self.live_domains if x.state == DomState.BLOCKED]
        if blocked and max_instructions is None and until is None:
            self.log(f"machine halted: no domain can run; blocked: {', '.join(x.label for x in blocked)}")

    def shutdown(self) -> None:
        """Power the board off; devices flush what they hold to the host."""
        self.board.shutdown()

    @property
    def live_domains(self) -> list[Domain]:
        """Domains that have not exited."""
        return [d for d in self.domains.values() if d.alive]
