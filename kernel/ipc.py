"""Inter-domain communication: synchronous call/reply/receive (notifications, the
asynchronous half, are kernel/notify.py).

A call carries IPC_WORDS register words and optionally one page (shared with the
receiver, with permissions no wider than the sender's). The caller blocks until the
receiver replies; a receiver blocks until a call or a notification arrives. Callers
queue in arrival order (FIFO), so blocking is deterministic. Notifications are bits
OR-ed into a word: the kernel sets the low ones (child exit, device events), domains
set user bits with notify(); a receive returns them (sender 0) before any queued call.

Registers on return from recv (and from reply_recv): a0 = sender id or 0 for a
notification, a1..a4 = message words (for a notification: a1 = the bits), a5 = the
address where a page was mapped, or 0. A caller gets a0 = 0 or -errno, a1..a4 = the
reply words, a5 = the reply page's address or 0.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from emulator.riscv import PAGE_SIZE
from kernel.abi import DomState, Errno, Perm
from kernel.errors import require
from kernel.memory import place_frame
from kernel.notify import set_message
from kernel.vm import is_user_page, valid_perm, within

if TYPE_CHECKING:
    from kernel.domain import Domain
    from kernel.kernel import Kernel

PERM_MASK = PAGE_SIZE - 1
# Plain names for what the IPC path tests on every call: an enum member lookup costs ~0.1 us.
BLOCKED, EXITED, ESRCH = DomState.BLOCKED, DomState.EXITED, Errno.ESRCH


@dataclass(slots=True)
class IpcWait:
    """Why a domain is blocked in IPC."""

    kind: str  # "recv": waiting for a message; "call": queued at peer; "reply": peer has the call
    peer: Domain | None = None
    words: tuple[int, ...] = ()
    send_page: int = 0  # va | perm of the page offered, or 0
    window: int = 0  # where a page may be mapped for this domain, or 0


def check_send_page(d: Domain, send_page: int) -> Errno | None:
    """None if send_page (va | perm, or 0) names a page d may share that way."""
    if send_page == 0:
        return None
    # BEGIN LAB ipc: return Errno.ENOSYS
    va, perm = send_page & ~PERM_MASK, send_page & PERM_MASK
    if not is_user_page(va) or not valid_perm(perm):
        return Errno.EINVAL
    m = d.space.lookup(va)
    if m is None:
        return Errno.EFAULT
    if not within(perm, m.perm):
        return Errno.EACCES
    return None
    # END LAB ipc


def transfer_page(k: Kernel, src: Domain, send_page: int, dst: Domain, window: int) -> int:
    """Map src's offered page at dst's window; the window's address, or 0 if none moved."""
    if not send_page or not window or check_send_page(src, send_page) is not None:
        return 0
    m = src.space.lookup(send_page & ~PERM_MASK)
    assert m is not None
    return window if place_frame(k, dst, window, m.pa, Perm(send_page & PERM_MASK)) else 0


def deliver_call(k: Kernel, caller: Domain, server: Domain) -> None:
    """server waits in recv: give it caller's message; caller now waits for the reply."""
    # BEGIN LAB ipc
    wait = caller.ipc
    assert wait is not None and server.ipc is not None
    page = transfer_page(k, caller, wait.send_page, server, server.ipc.window)
    set_message(k, server, caller.id, wait.words, page)
    wait.kind = "reply"
    server.ipc = None
    server.callers.append(caller)
    caller.stats.ipc_sent += 1
    if k.tracer is not None:
        k.tracer.message(caller, server, "call", k.board.now)
    if server.state is BLOCKED:  # not when it took the call without waiting
        k.wake(server)
    # END LAB ipc


def sys_ipc_call(k: Kernel, d: Domain, dest: int, w0: int, w1: int, w2: int, w3: int,
                 send_page: int, window: int) -> int | None:
    """ipc_call: send to dest and block until it replies."""
    # BEGIN LAB ipc
    server = k.domains.get(dest)
    if server is None or server.state is EXITED:
        return -ESRCH
    require(server is not d, Errno.EDEADLK)
    err = check_send_page(d, send_page)
    if err is not None:
        return -err
    require(not window or is_user_page(window), Errno.EINVAL)
    d.ipc = IpcWait("call", server, (w0, w1, w2, w3), send_page, window)
    k.block(d)
    if server.ipc is not None and server.ipc.kind == "recv":
        deliver_call(k, d, server)
        k.handoff = server  # the caller waits, the server has work: switch straight to it
    else:
        server.senders.append(d)
    return None
    # END LAB ipc


def sys_ipc_recv(k: Kernel, d: Domain, window: int) -> int | None:
    """ipc_recv(window): take a pending notification or the first queued call, or block
    waiting for one."""
    # BEGIN LAB ipc
    require(not window or is_user_page(window), Errno.EINVAL)
    if d.notify_bits:
        bits, d.notify_bits = d.notify_bits, 0
        set_message(k, d, 0, (bits,), 0)
        return None
    d.ipc = IpcWait("recv", window=window)
    while d.senders:
        caller = d.senders.popleft()
        if caller.alive and caller.ipc is not None and caller.ipc.kind == "call":
            deliver_call(k, caller, d)
            return None
    k.block(d)
    return None
    # END LAB ipc


def reply(k: Kernel, d: Domain, caller_id: int, words: tuple[int, ...], send_page: int) -> int:
    """Answer the call of caller_id, which d received and has not answered yet."""
    # BEGIN LAB ipc
    caller = k.domains.get(caller_id)
    if caller is None or caller not in d.callers:
        return -ESRCH
    err = check_send_page(d, send_page)
    if err is not None:
        return -err
    d.callers.remove(caller)
    assert caller.ipc is not None
    page = transfer_page(k, d, send_page, caller, caller.ipc.window)
    set_message(k, caller, 0, words, page)
    caller.ipc = None
    d.stats.ipc_sent += 1
    if k.tracer is not None:
        k.tracer.message(d, caller, "reply", k.board.now)
    k.wake(caller)
    return 0
    # END LAB ipc


def sys_ipc_reply(k: Kernel, d: Domain, caller: int, w0: int, w1: int, w2: int, w3: int, send_page: int) -> int:
    """ipc_reply(caller, words, send_page): answer a received call; never blocks."""
    return reply(k, d, caller, (w0, w1, w2, w3), send_page)


def sys_ipc_reply_recv(k: Kernel, d: Domain, caller: int, w0: int, w1: int, w2: int, w3: int,
                       send_page: int, window: int) -> int | None:
    """ipc_reply_recv: reply, then wait for the next message (a server's loop, one trap)."""
    require(not window or is_user_page(window), Errno.EINVAL)  # before replying: a failed call has no effect
    result = reply(k, d, caller, (w0, w1, w2, w3), send_page)
    if result < 0:
        return result
    k.handoff = k.domains[caller]  # if the server now blocks, the caller runs at once
    return sys_ipc_recv(k, d, window)


def abort_ipc(k: Kernel, d: Domain) -> None:
    """d is going away: every domain blocked on it gets -ESRCH; d leaves every queue."""
    for other in list(d.senders) + list(d.callers):
        if other.alive and other.ipc is not None and other.ipc.peer is d:
            set_message(k, other, -Errno.ESRCH, (), 0)
            other.ipc = None
            k.wake(other)
    d.senders.clear()
    d.callers.clear()
    if d.ipc is not None and d.ipc.peer is not None:
        peer = d.ipc.peer
        if d in peer.senders:
            peer.senders.remove(d)
        if d in peer.callers:
            peer.callers.remove(d)
    d.ipc = None
