"""Faults at user level: a domain's own handler gets its faults, JOS-style.

A domain registers an entry point and an exception stack (the page below
xstack_top). On a fault, the kernel pushes a `fault_frame` (all registers, pc, cause,
tval) on that stack and starts the handler with a0 = sp = the frame; a fault inside
the handler pushes a nested frame below the current one. The handler repairs what it
can (for example copies a copy-on-write page) and calls fault_return(frame), which
reloads every register from the frame, so the faulting instruction runs again.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING

from emulator.riscv import A0, SP
from kernel.abi import INSN_ALIGN, USER_VA_LIMIT, XSTACK_SIZE, Errno, struct_format
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
        target.fault_entry = target.xstack_top = 0
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
    cpu = k.board.cpu
    sp = cpu.reg(SP)
    bottom = d.xstack_top - XSTACK_SIZE
    top = sp if bottom < sp <= d.xstack_top else d.xstack_top  # nested: below the last frame
    frame_at = (top - FRAME.size) & ~15
    if frame_at < bottom:
        return False
    regs = cpu.registers()
    if not d.space.copy_out(frame_at, FRAME.pack(*regs, pc, cause, tval, 0)):
        return False
    cpu.set_reg(SP, frame_at)
    cpu.set_reg(A0, frame_at)
    cpu.pc = d.fault_entry
    d.stats.upcalls += 1
    return True


def sys_fault_return(k: Kernel, d: Domain, frame: int) -> int | None:
    """fault_return(frame): reload all registers and pc from a fault frame."""
    data = d.space.copy_in(frame, FRAME.size)
    require(data is not None, Errno.EFAULT)
    words = FRAME.unpack(data)
    if words[PC_WORD] % INSN_ALIGN:
        return -Errno.EINVAL  # sepc cannot hold it: an instruction starts on an even address
    k.board.cpu.set_registers(words[:32], words[PC_WORD])
    return None  # every register is already as the frame says
