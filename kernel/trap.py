"""Trap dispatch: where every trap from user mode arrives.

The board calls the kernel's trap vector with scause and sepc for each synchronous
trap (the hardware's jump to stvec). A system call goes to the syscall dispatcher.
Any other exception is a fault of the running domain: it goes to the domain's own
fault handler if it has one (upcall.py), and otherwise the domain is stopped with a
one-line report. This is the hottest path in the kernel, so it avoids building
objects for system calls.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.riscv import Cause, Trap, cause_from_code
from kernel.abi import DomState
from kernel.syscall import dispatch_syscall
from kernel.upcall import deliver_upcall

if TYPE_CHECKING:
    from kernel.domain import Domain
    from kernel.kernel import Kernel

ECALL = int(Cause.ECALL_FROM_U)
RUNNABLE, BLOCKED = DomState.RUNNABLE, DomState.BLOCKED


def handle_trap(k: Kernel, d: Domain, cause: int, pc: int) -> bool:
    """Handle a trap taken by domain d at pc; True if d keeps the CPU."""
    tracer = k.tracer
    if cause == ECALL:
        d.stats.syscalls += 1
        cpu = k.board.cpu
        cpu.pc = pc + 4  # resume after the ecall, as xv6 does with epc += 4
        frame = cpu.trapframe
        if tracer is not None:
            tracer.syscall_enter(d, frame[7], pc, k.board.now)
        dispatch_syscall(k, d, frame)
        if tracer is not None and d.state is not BLOCKED:
            tracer.syscall_exit(d, k.board.now)
        if k.handoff is not None:
            to, k.handoff = k.handoff, None
            if k.hand_over(d, to):
                return True
    else:
        d.stats.faults += 1
        trap = Trap(cause_from_code(cause), pc, k.board.cpu.trap_value(cause, pc))
        handled = deliver_upcall(k, d, cause, pc, trap.tval)
        if tracer is not None:
            tracer.fault(d, cause, pc, trap.tval, k.board.now, handled)
        if not handled:
            handle_fault(k, d, trap)
    return d.state is RUNNABLE and not k.reschedule_pending


def handle_fault(k: Kernel, d: Domain, trap: Trap) -> None:
    """A fault the domain cannot recover from: report it and stop the domain."""
    how = "killed"
    if d.fault_entry:
        how = "killed (its fault handler's exception stack is unusable)"
    k.log(f"{d.label} {how}: {trap.cause.label} at pc {d.describe_pc(trap.pc)}, tval {trap.tval:#x}")
    k.kill_domain(d, trap)
