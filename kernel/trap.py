"""Trap dispatch: where every trap from user mode arrives.

The board calls `handle_trap` for each synchronous trap (the hardware's jump to the
trap vector). A system call goes to the syscall dispatcher; any other exception is a
fault of the running domain, which is stopped with a one-line report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.riscv import Cause, Trap
from kernel.syscall import dispatch_syscall

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
        handle_fault(k, d, trap)
    return k.keeps_cpu(d)


def handle_fault(k: Kernel, d: Domain, trap: Trap) -> None:
    """A fault the domain cannot recover from: report it and stop the domain."""
    k.log(f"{d.label} killed: {trap.cause.label} at pc {d.describe_pc(trap.pc)}, tval {trap.tval:#x}")
    k.kill_domain(d, trap)
