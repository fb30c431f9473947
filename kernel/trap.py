"""Trap dispatch: where every trap from user mode arrives.

The board calls `handle_trap` for each synchronous trap (the hardware's jump to the
trap vector). A system call goes to the syscall dispatcher. Any other exception is a
fault of the running domain: it goes to the domain's own fault handler if it has one
(upcall.py), and otherwise the domain is stopped with a one-line report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.riscv import Cause, Trap
from kernel.syscall import dispatch_syscall
from kernel.upcall import deliver_upcall

if TYPE_CHECKING:
    from kernel.domain import Domain
    from kernel.kernel import Kernel


def handle_trap(k: Kernel, d: Domain, trap: Trap) -> bool:
    """Handle a trap taken by domain d; True if d keeps the CPU."""
    d.stats.crossings += 1
    if trap.cause == Cause.ECALL_FROM_U:
        d.stats.syscalls += 1
        k.board.cpu.pc = trap.pc + 4  # resume after the ecall, as xv6 does with epc += 4
        dispatch_syscall(k, d)
    else:
        d.stats.faults += 1
        if not deliver_upcall(k, d, int(trap.cause), trap.pc, trap.tval):
            handle_fault(k, d, trap)
    return k.keeps_cpu(d)


def handle_fault(k: Kernel, d: Domain, trap: Trap) -> None:
    """A fault the domain cannot recover from: report it and stop the domain."""
    how = "killed"
    if d.fault_entry:
        how = "killed (its fault handler's exception stack is unusable)"
    k.log(f"{d.label} {how}: {trap.cause.label} at pc {d.describe_pc(trap.pc)}, tval {trap.tval:#x}")
    k.kill_domain(d, trap)
