"""The network interface: one Ethernet port per board, with a receive and a transmit ring.

Frames are whole Ethernet frames as bytes (destination MAC, source MAC, ethertype,
payload; no preamble and no checksum), at most MAX_FRAME (1514) bytes. Both rings are
bounded and both move in virtual time, like the disk: a transmitted frame leaves the
port after a cost per frame and per byte, and a received frame becomes visible to the
kernel at the virtual time the link delivers it. A frame that finds the receive ring
full is dropped and counted, never written anywhere. The NIC looks inside no frame;
demultiplexing is the kernel's business, carrying frames between ports the switch's.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

MIN_FRAME = 14  # an Ethernet header: destination, source, ethertype
MAX_FRAME = 1514  # header plus a 1500-byte payload
RX_RING = 64  # frames the receive ring holds
TX_RING = 64  # frames the transmit ring holds
TX_COST = 500  # instructions to put a frame on the wire
TX_PER_BYTE = 1  # and for each byte


@dataclass(frozen=True)
class Frame:
    """A frame and the virtual time at which it is ready (left the port, or arrived)."""

    time: int
    data: bytes


class Nic:
    """An Ethernet port with a MAC address, a receive ring and a transmit ring."""

    def __init__(self, mac: bytes) -> None:
        if len(mac) != 6:
            raise ValueError(f"a MAC address has 6 bytes, not {len(mac)}")
        self.mac = mac
        self._rx: deque[Frame] = deque()
        self._tx: deque[Frame] = deque()
        self._tx_free_at = 0  # the wire is busy until then
        self.rx_frames = self.rx_dropped = self.tx_frames = 0

    def transmit(self, data: bytes, now: int) -> bool:
        """Queue a frame (checked by the kernel) to leave after the ones before it;
        False if the transmit ring is full."""
        if not MIN_FRAME <= len(data) <= MAX_FRAME:
            raise ValueError(f"frame of {len(data)} bytes")
        if len(self._tx) >= TX_RING:
            return False
        self._tx_free_at = max(now, self._tx_free_at) + TX_COST + TX_PER_BYTE * len(data)
        self._tx.append(Frame(self._tx_free_at, bytes(data)))
        self.tx_frames += 1
        return True

    def sent_until(self, now: int) -> list[Frame]:
        """Take every frame that has left the port by virtual time `now` (the link's side)."""
        out = []
        while self._tx and self._tx[0].time <= now:
            out.append(self._tx.popleft())
        return out

    def deliver(self, data: bytes, at: int) -> bool:
        """The link hands in a frame that arrives at virtual time `at`; False (and a
        counted drop) if the receive ring is full or the frame is malformed."""
        if len(self._rx) >= RX_RING or not MIN_FRAME <= len(data) <= MAX_FRAME:
            self.rx_dropped += 1
            return False
        self._rx.append(Frame(at, bytes(data)))
        self.rx_frames += 1
        return True

    def next_arrival(self) -> int | None:
        """Virtual time at which the oldest frame in the receive ring arrives, or None."""
        return self._rx[0].time if self._rx else None

    def received_until(self, now: int) -> list[bytes]:
        """Take, in order, every frame that has arrived by virtual time `now` (the kernel's side)."""
        out = []
        while self._rx and self._rx[0].time <= now:
            out.append(self._rx.popleft().data)
        return out

    @property
    def tx_pending(self) -> int:
        """Frames queued for transmission that have not been taken by the link."""
        return len(self._tx)
