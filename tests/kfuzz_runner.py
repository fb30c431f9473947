"""Running kfuzz scripts on a fresh board, checking the kernel after every trap.

A FuzzRun boots two or three kfuzz interpreters (each with its own script, each one's
peer the next) on a small board with a disk, installs the checks of
kernel_invariants.py as the kernel's after_syscall hook, and watches every trap on its
way in to compare memory probes with the MMU. When every interpreter waits forever in
IPC it breaks the deadlock as a watchdog would. At the end it destroys every domain
tree, lets the disk finish, and requires every frame to be free.
"""

from __future__ import annotations

import struct
import traceback
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from emulator import mmu
from emulator.elf import ElfImage, Symbolizer
from emulator.riscv import A0, A1, A3, A4, A6, A7, PTE_R, PTE_W, Cause, Trap, cause_from_code
from kernel.notify import notify
from kernel.abi import NOTIFY_USER_SHIFT, Device, DomState, Sys
from kernel.bindings import CONSOLE, Binding
from kernel.domain import Domain
from kernel_invariants import (InvariantViolation, PageTableReader, check_access_was_granted, check_all,
                               check_all_frames_free, check_authority_was_respected, ipc_partners, require)
from kfuzz_scripts import OPS, P, Setup
from lamina.config import SystemConfig
from lamina.loader import spawn
from lamina.system import RunOptions, power_on

T0 = 5  # register x5
CONSOLE_INPUT = b"kfuzz console input\n"
DISK_SECTORS = 64
DISK = Binding(Device.DISK, 0, DISK_SECTORS // 2)  # each interpreter may use half the disk
NIC = Binding(Device.NIC)  # every frame no more specific filter takes
NIC_MAC = bytes.fromhex("02000000f022")
# Frames the outside world sends the board, at these virtual times: raw Ethernet (ARP),
# and IPv4 UDP to port 53 (for a domain that was granted that filter).
ARP_FRAME = bytes(6) + NIC_MAC + b"\x08\x06" + bytes(28)
UDP_FRAME = (NIC_MAC + bytes(6) + b"\x08\x00" + bytes([0x45, 0]) + bytes(7) + bytes([17]) + bytes(10)
             + (1234).to_bytes(2, "big") + (53).to_bytes(2, "big") + bytes(12))
ARRIVALS = [(t, ARP_FRAME if i % 2 else UDP_FRAME) for i, t in enumerate(range(5_000, 200_000, 15_000))]
BUDGET = 20_000_000  # guest instructions per run between deadlock checks: far more than a script needs
MAX_ROUNDS = 64  # deadlocks broken per run, at most
SYMBOLIZERS: dict[str, Symbolizer] = {}  # one per program (by digest), shared by all its domains


@dataclass
class FuzzStats:
    """What a set of runs did, to show the fuzzing reaches past the error paths."""

    runs: int = 0
    sequences: int = 0  # scripts run, one per interpreter
    calls: int = 0  # system calls made, by interpreters and their children
    by_call: Counter = field(default_factory=Counter)  # call number -> times made
    succeeded: Counter = field(default_factory=Counter)  # call or pseudo-op number -> times it returned >= 0
    deadlocks_broken: int = 0

    def __str__(self) -> str:
        calls = ", ".join(f"{s.name.lower()} {self.succeeded[s]}/{self.by_call[s]}" for s in Sys)
        ops = ", ".join(f"{name} {self.succeeded[n]}" for n, name in OPS.items())
        return (f"{self.runs} runs, {self.sequences} sequences, {self.calls} calls, "
                f"{self.deadlocks_broken} deadlocks broken; calls that succeeded/made: {calls}; "
                f"pseudo-ops that succeeded: {ops}")

    def merge(self, run: FuzzRun) -> None:
        self.runs += 1
        self.sequences += len(run.interpreters)
        self.calls += run.calls
        self.by_call.update(run.by_call)
        self.succeeded.update(run.succeeded)
        self.deadlocks_broken += run.deadlocks_broken


class FuzzRun:
    """A board running kfuzz interpreters under invariant checks, after every trap."""

    def __init__(self, image: ElfImage, disk: Path, setup: Setup) -> None:
        self.setup = setup
        self.image = image
        self.symbolizer = SYMBOLIZERS.setdefault(image.digest, Symbolizer(image))
        self.log: list[str] = []
        self.failure: str | None = None
        self.calls = 0
        self.by_call: Counter = Counter()
        self.succeeded: Counter = Counter()
        self.deadlocks_broken = 0
        self.last: tuple[int, Trap, int, list[int]] | None = None  # domain, trap, a7, a0..a6
        options = RunOptions(ram_mib=setup.ram_mib, quantum=setup.quantum, log=self.log.append,
                             console_sink=lambda data: None, console_input=CONSOLE_INPUT, disk=disk, nic_mac=NIC_MAC)
        self.kernel = k = power_on(SystemConfig(name="kfuzz"), options)
        self.reader = PageTableReader(k)
        self.interpreters = [spawn(k, image, ["kfuzz"], page_quota=setup.page_quota, bindings=[CONSOLE, DISK, NIC],
                                   start=False) for _ in setup.scripts]
        for at, frame in ARRIVALS:
            assert k.board.nic is not None and k.board.nic.deliver(frame, at)
        for i, (d, script) in enumerate(zip(self.interpreters, setup.scripts)):
            peer = self.interpreters[(i + 1) % len(self.interpreters)].id if len(self.interpreters) > 1 else 0
            self.write_word(d, image, "kf_count", len(script))
            self.write_word(d, image, "kf_peer", peer)
            assert d.space.copy_out(image.symbol_address("kf_script"), b"".join(c.encode() for c in script))
        self.results: dict[int, list[int]] = {}  # interpreter id -> kf_results, read as it exits
        self.symbols = {name: image.symbol_address(name) for name in ("kf_done", "kf_results")}
        self.probe_pcs = {image.symbol_address("kf_probe_load_insn"): PTE_R,
                          image.symbol_address("kf_probe_store_insn"): PTE_W}
        self.resync()
        self.kernel_trap = k.board.cpu.trap_handler
        k.board.cpu.trap_handler = self.on_trap
        k.after_syscall = self.after_call

    @staticmethod
    def write_word(d: Domain, image: ElfImage, symbol: str, value: int) -> None:
        assert d.space.copy_out(image.symbol_address(symbol), struct.pack("<q", value))

    def resync(self) -> None:
        """Check everything and take the state as the baseline for the next call."""
        self.before = check_all(self.kernel, self.reader)
        self.partners = ipc_partners(self.kernel)

    def fail(self, what: str) -> None:
        """Remember the first failure, with the call that caused it."""
        if self.failure is None:
            did, trap, a7, args = self.last or (0, None, 0, [])
            name = Sys(a7).name if a7 in Sys._value2member_map_ else f"#{a7}"
            made = f"{name}({', '.join(hex(a) for a in args)})" if trap and trap.cause == Cause.ECALL_FROM_U else trap
            self.failure = f"after domain {did}: {made}:\n{what}"

    # --- hooks ---------------------------------------------------------------------

    def on_trap(self, cause: int, pc: int) -> bool:
        """Before the kernel sees a trap: note the call, and check probes against the MMU."""
        cpu, d = self.kernel.board.cpu, self.kernel.current
        assert d is not None
        trap = Trap(cause_from_code(cause), pc, 0 if cause == Cause.ECALL_FROM_U else cpu.trap_value(cause, pc))
        self.last = (d.id, trap, cpu.reg(A7), [cpu.reg(A0 + i) for i in range(7)])
        if d._symbolizer is None and d.image is self.image:
            d._symbolizer = self.symbolizer  # reading DWARF for each faulting child would cost ~60 ms each
        try:
            self.check_probe(d, trap)
        except InvariantViolation as e:
            self.fail(str(e))
        if trap.cause == Cause.ECALL_FROM_U and cpu.reg(A7) == Sys.EXIT and d in self.interpreters:
            self.results[d.id] = self.read_results(d)
            script = self.setup.scripts[self.interpreters.index(d)]
            self.succeeded.update(c.num for c, result in zip(script, self.results[d.id])
                                  if result >= 0 and c.num in OPS)
        return self.kernel_trap(cause, pc)

    def read_results(self, d: Domain) -> list[int]:
        """kf_results of the records an interpreter has run, as signed numbers."""
        done = d.space.copy_in(self.symbols["kf_done"], 8)
        n = struct.unpack("<Q", done)[0] if done else 0
        raw = d.space.copy_in(self.symbols["kf_results"], 8 * n) if n else b""
        return list(struct.unpack(f"<{n}q", raw)) if raw else []

    def check_probe(self, d: Domain, trap: Trap) -> None:
        """A probe that worked had rights to the page, and touched the frame the page
        tables name; a probe that faulted had no such rights."""
        cpu, ram = self.kernel.board.cpu, self.kernel.board.ram
        if trap.cause == Cause.ECALL_FROM_U and cpu.reg(A7) == Sys.GETID and cpu.reg(A6) == P["PROBE_MAGIC"]:
            va, store = cpu.reg(A3), cpu.reg(A4)
            pa = mmu.translate(ram, d.space.satp, va, PTE_W if store else PTE_R)
            require(pa is not None, f"{d.label}: a {'store to' if store else 'load from'} {va:#x} worked, "
                                    f"but its page tables do not allow it")
            if va % 8 == 0:
                value = cpu.reg(A1) if store else cpu.reg(T0)
                require(ram.read_u64(pa) == value, f"{d.label}: a probe of {va:#x} did not reach frame {pa:#x}")
        elif trap.pc in self.probe_pcs and trap.cause in (Cause.LOAD_PAGE_FAULT, Cause.STORE_PAGE_FAULT):
            first, last = trap.tval, trap.tval + 7
            allowed = all(mmu.translate(ram, d.space.satp, a, self.probe_pcs[trap.pc]) is not None
                          for a in {first, last})
            require(not allowed, f"{d.label}: an access to {trap.tval:#x} faulted, but its page tables allow it")

    def after_call(self, d: Domain) -> None:
        """The kernel's after_syscall hook: every invariant, after every trap."""
        if self.failure is not None:
            return
        trap = self.last[1] if self.last else None
        if trap is not None and trap.cause == Cause.ECALL_FROM_U:
            self.calls += 1
            num = self.last[2]
            self.by_call[num] += 1
            k = self.kernel  # a call succeeded if it returned a result (not -errno) or now waits in IPC
            if d.state == DomState.BLOCKED or (d is k.current and d.alive and k.board.cpu.reg(A0) < 1 << 63):
                self.succeeded[num] += 1
        try:
            after = check_all(self.kernel, self.reader)
            partners = self.partners | ipc_partners(self.kernel)
            check_access_was_granted(self.kernel, d, self.before, after, partners)
            check_authority_was_respected(d, self.before, after)
            self.before, self.partners = after, ipc_partners(self.kernel)
        except Exception as e:  # noqa: BLE001 - the kernel would swallow it as its own error
            self.fail(f"{e}\n{traceback.format_exc() if not isinstance(e, InvariantViolation) else ''}")

    # --- the run -------------------------------------------------------------------

    def run(self) -> None:
        """Run the interpreters to the end, breaking deadlocks as a watchdog would."""
        k = self.kernel
        for d in self.interpreters:
            k.wake(d)
        for _ in range(MAX_ROUNDS):
            k.run(max_instructions=k.board.instructions + BUDGET)
            if self.failure is not None:
                return
            stuck = [d for d in self.interpreters if d.alive and not d.reaped and d.state == DomState.BLOCKED]
            if not stuck:
                return
            self.break_deadlock(stuck[0])

    def break_deadlock(self, d: Domain) -> None:
        """d waits forever: wake a receive with a notification, or destroy the domain a
        call waits on (which the call sees as -ESRCH)."""
        assert d.ipc is not None
        if d.ipc.kind == "recv":
            notify(self.kernel, d, 1 << NOTIFY_USER_SHIFT)
        else:
            assert d.ipc.peer is not None
            self.kernel.destroy_domain(d.ipc.peer)
        self.deadlocks_broken += 1
        self.last = None
        self.resync()

    def finish(self) -> None:
        """Fail on any kernel error or broken invariant; then destroy every domain tree,
        let the disk finish, and require every frame to be free."""
        errors = [line for line in self.log if "kernel error" in line]
        assert not errors, "the kernel raised an exception:\n" + "\n".join(errors)
        assert self.failure is None, self.failure
        k = self.kernel
        self.resync()
        for d in list(k.domains.values()):
            if d.parent is None and not d.reaped:
                k.destroy_domain(d)
                check_all(k)
        k.run()  # nothing can run: time skips to the completion of the last disk request
        check_all(k)
        check_all_frames_free(k)
        k.shutdown()


def run_setup(image: ElfImage, disk: Path, setup: Setup) -> FuzzRun:
    """Boot, run and check one setup."""
    run = FuzzRun(image, disk, setup)
    run.run()
    run.finish()
    return run
