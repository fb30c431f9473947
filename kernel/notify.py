"""Notifications: the asynchronous half of IPC.

Notification bits are OR-ed into a word per domain: the kernel sets the low ones (a
child exited, a device finished, a timer expired), domains set user bits with notify().
A domain waiting in ipc_recv is woken at once with the bits as a message from sender 0;
otherwise they wait in the word until its next receive. This module sits below IPC and
the device calls, which all raise notifications; ipc.py reuses set_message.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.riscv import A0
from kernel.abi import IPC_WORDS, NOTIFY_USER_SHIFT, Errno
from kernel.errors import require

if TYPE_CHECKING:
    from kernel.domain import Domain
    from kernel.kernel import Kernel


def set_message(k: Kernel, d: Domain, status: int, words: tuple[int, ...], page: int) -> None:
    """Write a0 (status or sender), a1..a4 (words, zero-filled) and a5 (page) of d."""
    if len(words) < IPC_WORDS:
        words = (*words, *(0,) * (IPC_WORDS - len(words)))
    k.board.cpu.set_context_regs(d.context, A0, (status, *words, page))


def notify(k: Kernel, target: Domain, bits: int, sender: Domain | None = None) -> None:
    """Set notification bits of target, waking it if it waits in recv."""
    if k.tracer is not None:
        k.tracer.message(sender, target, "notify", k.board.now)
    target.notify_bits |= bits
    if target.ipc is not None and target.ipc.kind == "recv":
        bits, target.notify_bits = target.notify_bits, 0
        set_message(k, target, 0, (bits,), 0)
        target.ipc = None
        k.wake(target)


def sys_notify(k: Kernel, d: Domain, dest: int, bits: int) -> int:
    """notify(dest, bits): set user notification bits (at or above 1 << 16) of dest."""
    require(bits and not bits & ((1 << NOTIFY_USER_SHIFT) - 1), Errno.EINVAL)  # a register: < 2**64
    target = k.domains.get(dest)
    require(target is not None and target.alive, Errno.ESRCH)
    notify(k, target, bits, d)
    d.stats.ipc_sent += 1
    return 0
