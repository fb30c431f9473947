"""The network calls: raw Ethernet frames in and out, demultiplexed by packet filters.

The kernel runs no protocol. It only decides who may send a frame and who gets one
that arrives, from the domains' NIC bindings (lo: IP protocol, hi: TCP/UDP port, 0 =
any). A frame's *key* is (IP protocol, port): for an IPv4 frame its protocol and, for
TCP and UDP, the destination port of a frame that arrives or the source port of one
sent; (protocol, 0) when the header is too short for ports (or not TCP/UDP); (0, 0)
for anything that is not IPv4 (ARP, raw frames). A binding covers a key as bind_grant
says (`Binding.covers`), so (0, 0) is the catch-all that a network stack holds.

- Sending needs a binding covering the frame's key: a domain bound to UDP port 53
  cannot forge frames from another port. The frame goes onto the NIC's transmit ring.
- An arriving frame goes to exactly one domain: the one with the most specific binding
  covering its key (protocol and port, then port only, then protocol only, then the
  catch-all), the lowest id on a tie. It waits in that domain's receive queue (at most
  RX_QUEUE frames) and the domain gets Notify.NIC. A frame nobody's filter takes, or
  that finds the queue full, is dropped and counted in Kernel.nic_dropped.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from kernel.abi import NIC_FRAME_MAX, NIC_FRAME_MIN, Device, Errno, Notify
from kernel.errors import require
from kernel.bindings import Binding, holds
from kernel.domain import Domain
from kernel.notify import notify

if TYPE_CHECKING:
    from kernel.kernel import Kernel

RX_QUEUE = 32  # frames the kernel keeps for a domain that has not received them yet


def frame_key(frame: bytes, port_offset: int) -> Binding:
    """The NIC binding a frame needs (see above), reading the port at port_offset in
    the TCP or UDP header: 0 for the source port, 2 for the destination port."""
    if len(frame) < 34 or frame[12:14] != b"\x08\x00":
        return Binding(Device.NIC)
    proto, at = frame[23], 14 + (frame[14] & 15) * 4 + port_offset
    ported = proto in (6, 17) and len(frame) >= at + 2
    return Binding(Device.NIC, proto, int.from_bytes(frame[at:at + 2], "big") if ported else 0)


def refusal(k: Kernel, d: Domain) -> int:
    """-ENODEV if the board has no NIC, -EPERM if d holds no NIC binding, else 0."""
    require(k.board.nic is not None, Errno.ENODEV)
    return 0 if any(b.device == Device.NIC for b in d.bindings) else -Errno.EPERM


def sys_nic_send(k: Kernel, d: Domain, buf: int, length: int) -> int:
    """nic_send(buf, len): queue the frame at buf for transmission; returns len."""
    if error := refusal(k, d):
        return error
    require(NIC_FRAME_MIN <= length <= NIC_FRAME_MAX, Errno.EINVAL)
    frame = d.space.copy_in(buf, length)
    require(frame is not None, Errno.EFAULT)
    require(holds(d, frame_key(frame, 0)), Errno.EPERM)
    require(k.board.nic.transmit(frame, k.board.now), Errno.EAGAIN)
    if k.tracer is not None:
        k.tracer.frame(d, "send", frame, k.board.now)
    return length


def sys_nic_recv(k: Kernel, d: Domain, buf: int, length: int) -> int:
    """nic_recv(buf, len): move the next frame queued for d to buf; returns its length."""
    if error := refusal(k, d):
        return error
    if not d.rx or length < len(d.rx[0]):  # too small a buffer: the frame stays queued
        return -Errno.ERANGE if d.rx else -Errno.EAGAIN
    require(d.space.copy_out(buf, d.rx[0]), Errno.EFAULT)
    return len(d.rx.popleft())


def sys_nic_info(k: Kernel, d: Domain) -> int:
    """nic_info(): the NIC's MAC address, its first byte most significant."""
    return refusal(k, d) or int.from_bytes(k.board.nic.mac, "big")


def nic_arrivals(k: Kernel) -> None:
    """Hand every frame that has arrived by now to the domain whose filter takes it:
    the most specific binding covering its key, the lowest domain id on a tie."""
    for frame in k.board.nic.received_until(k.board.now) if k.board.nic else []:
        key = frame_key(frame, 2)
        takers = [(2 * bool(b.hi) + bool(b.lo), -d.id, d) for d in k.live_domains
                  for b in d.bindings if b.covers(key)]
        d = max(takers, key=lambda t: t[:2])[2] if takers else None
        if k.tracer is not None:
            k.tracer.frame(d, "receive" if d and len(d.rx) < RX_QUEUE else "drop", frame, k.board.now)
        if d is None or len(d.rx) >= RX_QUEUE:
            k.nic_dropped += 1
        else:
            d.rx.append(frame)
            notify(k, d, Notify.NIC)
