"""Faults at user level: a domain's own handler gets its faults, JOS-style.

A domain registers an entry point and an exception stack (the page below
xstack_top). On a fault, the kernel pushes a `fault_frame` (all registers, pc, cause,
tval) on that stack and starts the handler with a0 = sp = the frame; a fault inside
the handler pushes a nested frame below the current one. The handler repairs what it
can (for example copies a copy-on-write page) and calls fault_return(frame), which
reloads every register from the frame, so the faulting instruction runs again.

The same path serves the alarm: a domain that asked for one with alarm(interval) gets
an upcall with cause CAUSE_ALARM each time it has run another interval of its own
instructions (time it spends blocked, or others spend running, does not count). Such
asynchronous upcalls never interrupt a handler (the domain is on its exception
stack), so a handler needs no locking against itself: a revocation request waits until
it returns, and an alarm due meanwhile is missed (the next alarm's tval counts those).
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from emulator.riscv import A0, SP
from kernel.abi import CAUSE_ALARM, INSN_ALIGN, TIMER_MAX, USER_VA_LIMIT, XSTACK_SIZE, Errno, struct_format
from kernel.errors import require

if TYPE_CHECKING:
    from kernel.domain import Domain
    from kernel.kernel import Kernel

FRAME = struct.Struct(struct_format("fault_frame"))
PC_WORD = 32


def sys_set_fault_handler(k: Kernel, d: Domain, dom: int, entry: int, xstack_top: int) -> int:
    """set_fault_handler(dom, entry, xstack_top): where dom's faults go (entry 0: nowhere)."""
    target = k.resolve(d, dom)
    if entry == 0:
        target.fault_entry = target.xstack_top = target.alarm_interval = 0  # no handler: no alarm
        return 0
    require(0 < entry < USER_VA_LIMIT and entry % INSN_ALIGN == 0, Errno.EINVAL)
    require(xstack_top % 4096 == 0 and XSTACK_SIZE <= xstack_top <= USER_VA_LIMIT, Errno.EINVAL)
    target.fault_entry = entry
    target.xstack_top = xstack_top
    return 0


def deliver_upcall(k: Kernel, d: Domain, cause: int, pc: int, tval: int) -> bool:
    """Start d's fault handler for (cause, pc, tval); d is on the CPU. False if it cannot
    (no handler, or the exception stack is unmapped or full)."""
    if not d.fault_entry:
        return False
    # BEGIN LAB traps: return False
    cpu = k.board.cpu
    sp = cpu.reg(SP)
    top = sp if in_handler(d, sp) else d.xstack_top  # nested: below the last frame
    frame_at = (top - FRAME.size) & ~15
    if frame_at < d.xstack_top - XSTACK_SIZE:
        return False
    regs = cpu.registers()
    if not d.space.copy_out(frame_at, FRAME.pack(*regs, pc, cause, tval, 0)):
        return False
    cpu.set_reg(SP, frame_at)
    cpu.set_reg(A0, frame_at)
    cpu.pc = d.fault_entry
    d.stats.upcalls += 1
    return True
    # END LAB traps


def sys_fault_return(k: Kernel, d: Domain, frame: int) -> int | None:
    """fault_return(frame): reload all registers and pc from a fault frame."""
    # BEGIN LAB traps: require(False, Errno.ENOSYS)
    data = d.space.copy_in(frame, FRAME.size)
    require(data is not None, Errno.EFAULT)
    words = FRAME.unpack(data)
    require(words[PC_WORD] % INSN_ALIGN == 0, Errno.EINVAL)  # sepc holds even addresses only
    k.board.cpu.set_registers(words[:32], words[PC_WORD])
    # END LAB traps
    deliver_pending(k, d)  # back off the exception stack: a revocation that waited comes now
    return None  # every register is already as the frame says (or as the next upcall's)


def deliver_pending(k: Kernel, d: Domain) -> None:
    """Start d's handler for its pending asynchronous upcall, unless d is on its
    exception stack (running a handler) now; then it waits."""
    if d.pending_upcall is not None and not in_handler(d, k.board.cpu.reg(SP)):
        (cause, tval), d.pending_upcall = d.pending_upcall, None
        deliver_upcall(k, d, cause, k.board.cpu.pc, tval)


def in_handler(d: Domain, sp: int) -> bool:
    """True if sp is on d's exception stack: d is running its fault handler."""
    return d.xstack_top - XSTACK_SIZE < sp <= d.xstack_top


def sys_alarm(k: Kernel, d: Domain, interval: int) -> int:
    """alarm(interval): an upcall with cause CAUSE_ALARM each time the caller has run
    another `interval` of its own instructions, from now on (0: no more)."""
    require(0 <= interval <= TIMER_MAX and (interval == 0 or d.fault_entry), Errno.EINVAL)
    clock = k.clock  # this slice's instructions so far are charged at its end: not to the alarm
    d.alarm_interval, d.alarm_left, d.alarm_missed = interval, interval + clock.count - k.slice_start, 0
    if interval and clock.count + interval < clock.deadline:
        clock.set_deadline(clock.count + interval)  # the slice ends where the first one is due
    return 0


def count_alarm(d: Domain, used: int, sp: int) -> None:
    """d has run `used` more of its own instructions, and its stack pointer is sp: is
    an alarm due? (Its slices end where one is due, so it comes on time unless d was in
    the kernel then.) One due while d runs its handler, or while a revocation's upcall
    waits, is missed: the next one's tval counts it."""
    # BEGIN LAB traps: pass
    if d.alarm_interval:
        d.alarm_left -= used
        if d.alarm_left <= 0:
            due, late = divmod(-d.alarm_left, d.alarm_interval)
            d.alarm_left = d.alarm_interval - late
            d.alarm_missed += due + 1
            if d.pending_upcall is None and not in_handler(d, sp):
                d.pending_upcall, d.alarm_missed = (CAUSE_ALARM, d.alarm_missed - 1), 0
    # END LAB traps
