"""Device calls beyond the console: the disk, and time (the clock and one-shot timers).

The disk is reached only through a binding covering the sectors of a request; the
kernel checks the binding and the buffer, pins the buffer's frames for the DMA (so a
domain that unmaps them cannot have a later owner's memory overwritten), queues the
request on the device and, when it completes in virtual time, sends Notify.DISK to the
domain that asked. Timers send Notify.TIMER when virtual time reaches a deadline. The
kernel turns both into the stops of its main loop, like interrupts.
"""

from __future__ import annotations

import heapq
from typing import TYPE_CHECKING

from emulator.disk import LATENCY, PER_SECTOR
from emulator.riscv import PAGE_SIZE
from kernel.abi import DISK_IO_MAX_SECTORS, SECTOR_SIZE, TIMER_MAX, Device, DiskOp, Errno, Notify, Perm
from kernel.errors import require
from kernel.bindings import Binding, holds
from kernel.frames import KERNEL
from kernel.notify import notify

if TYPE_CHECKING:
    from kernel.domain import Domain
    from kernel.kernel import Kernel


def sys_disk_io(k: Kernel, d: Domain, op: int, sector: int, count: int, va: int) -> int:
    """disk_io(op, sector, count, va): queue a transfer; Notify.DISK follows when done."""
    disk = k.board.disk
    require(disk is not None, Errno.ENODEV)
    require(op in (DiskOp.READ, DiskOp.WRITE, DiskOp.FLUSH), Errno.EINVAL)
    if op == DiskOp.FLUSH:
        require(any(b.device == Device.DISK for b in d.bindings), Errno.EPERM)
        tag = next(k.dma_tags)
        k.dma_owner[tag] = (d.id, [])
        disk.submit(op, 0, 0, [], tag, k.board.now)
        return 0
    require(1 <= count <= DISK_IO_MAX_SECTORS and sector + count <= disk.sectors, Errno.EINVAL)
    require(holds(d, Binding(Device.DISK, sector, sector + count)), Errno.EPERM)
    length = count * SECTOR_SIZE
    need = Perm.W if op == DiskOp.READ else Perm.R
    pieces = d.space.pieces(va, length, need)
    require(pieces is not None, Errno.EFAULT)
    tag = next(k.dma_tags)
    for pa in {pa - pa % PAGE_SIZE for pa, _ in pieces}:
        k.frames.add_mapper(pa, KERNEL, tag)  # pinned until the request completes
    k.dma_owner[tag] = (d.id, pieces)
    disk.submit(op, sector, count, pieces, tag, k.board.now)
    return 0


def sys_disk_info(k: Kernel, d: Domain) -> int:
    """disk_info(): the disk's size in sectors."""
    require(k.board.disk is not None, Errno.ENODEV)
    require(any(b.device == Device.DISK for b in d.bindings), Errno.EPERM)
    return k.board.disk.sectors


def disk_completions(k: Kernel) -> None:
    """Finish the disk requests due by now: unpin their frames, notify their domains."""
    if k.board.disk is None:
        return
    for req in k.board.disk.complete_until(k.board.now):
        owner, pieces = k.dma_owner.pop(req.tag)
        for pa in {pa - pa % PAGE_SIZE for pa, _ in pieces}:
            k.frames.remove_mapper(pa, KERNEL, req.tag)
        d = k.domains[owner]  # domains are never forgotten by the kernel, only ended
        if k.tracer is not None:
            what = DiskOp(req.op).name.lower()
            k.tracer.device(d, "disk", f"{what} {req.count} @ {req.sector}", req.done_at - service_time(req), req.done_at)
        if d.alive:
            notify(k, d, Notify.DISK)


def service_time(req) -> int:
    """How long the disk worked on a request (its own latency, not its wait in the queue)."""
    return LATENCY + PER_SECTOR * req.count


def sys_clock(k: Kernel, d: Domain) -> int:
    """clock(): virtual time now."""
    return k.board.now


def sys_timer(k: Kernel, d: Domain, deadline: int) -> int:
    """timer(deadline): Notify.TIMER when virtual time reaches deadline; 0 cancels."""
    require(deadline <= TIMER_MAX, Errno.EINVAL)  # idling to it would carry virtual time past 2^64
    d.timer = deadline
    if deadline:
        heapq.heappush(k.timers, (deadline, d.id))
    if len(k.timers) > 2 * len(k.domains) + 16:  # re-armed timers leave stale entries: drop them
        k.timers = [(t, i) for t, i in k.timers if i in k.domains and k.domains[i].timer == t]
        heapq.heapify(k.timers)
    return 0


def timer_expiries(k: Kernel) -> None:
    """Notify every domain whose timer is due."""
    now = k.board.now
    while k.timers and k.timers[0][0] <= now:
        deadline, did = heapq.heappop(k.timers)
        d = k.domains[did]
        if d.alive and d.timer == deadline:  # else an entry left by a re-armed timer
            d.timer = 0
            notify(k, d, Notify.TIMER)


def next_event(k: Kernel) -> int | None:
    """Virtual time of the next device completion, frame arrival, timer or end of
    run() (Kernel.until), or None."""
    times = [t for t in (k.board.disk.next_completion() if k.board.disk else None, k.until,
                         k.board.nic.next_arrival() if k.board.nic else None,
                         k.timers[0][0] if k.timers else None) if t is not None]
    return min(times) if times else None
