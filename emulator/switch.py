"""A virtual Ethernet switch joining the NICs of several boards in one process.

It is a learning switch: it remembers the port each source MAC address was last seen
on, sends a frame for a known unicast address out of that port only, and floods
broadcasts, multicasts and unknown addresses to every other port. A frame reaches its
destination port a fixed LATENCY after it left the sender, in virtual time.

The switch moves frames only when `exchange` is called (the cluster does so at each
common time step), and always in the same order (by departure time, then port), so
the same machines exchange the same frames at the same virtual times on every run.
Any frame it carries can be recorded in pcap files: all of them, or one port's.
For tests of protocols that must survive loss, `drop_every = N` makes it lose every
Nth frame it is given (deterministically: the same frames on every run).
"""

from __future__ import annotations

from emulator.nic import Nic
from emulator.pcap import PcapWriter

LATENCY = 10_000  # virtual instructions from leaving one port to arriving at another
BROADCAST_BIT = 0x01  # the group bit of the first byte of a destination MAC


class Switch:
    """A learning Ethernet switch with a fixed latency."""

    def __init__(self, latency: int = LATENCY) -> None:
        self.latency = latency
        self.ports: list[Nic] = []
        self.table: dict[bytes, int] = {}  # MAC address -> port it was last seen on
        self.taps: list[tuple[int | None, PcapWriter]] = []  # (port or None: all, writer)
        self.forwarded = self.flooded = 0
        self.drop_every = 0  # lose every Nth frame (0: none), for loss tests
        self.carried = self.dropped = 0

    def attach(self, nic: Nic) -> int:
        """Plug a NIC into the next free port; returns the port number."""
        self.ports.append(nic)
        return len(self.ports) - 1

    def record(self, writer: PcapWriter, port: int | None = None) -> None:
        """Write every frame entering or leaving `port` (None: every frame) to writer."""
        self.taps.append((port, writer))

    def exchange(self, now: int) -> int:
        """Carry every frame sent by virtual time `now` to its destination ports; returns
        how many frames were carried."""
        leaving = [(f.time, port, i, f.data) for port, nic in enumerate(self.ports)
                   for i, f in enumerate(nic.sent_until(now))]
        leaving.sort(key=lambda x: x[:3])
        for time, port, _, data in leaving:
            self.carried += 1
            if self.drop_every and self.carried % self.drop_every == 0:
                self.dropped += 1
                continue
            self.table[data[6:12]] = port
            outs = self.destinations(data[0:6], port)
            for writer in (w for tap, w in self.taps if tap is None or tap == port or tap in outs):
                writer.write(time, data)
            for out in outs:
                self.ports[out].deliver(data, time + self.latency)
        return len(leaving)

    def destinations(self, dst: bytes, ingress: int) -> list[int]:
        """The ports a frame for MAC dst that came in on `ingress` goes out of."""
        known = self.table.get(dst)
        if not dst[0] & BROADCAST_BIT and known is not None:
            self.forwarded += 1
            return [] if known == ingress else [known]
        self.flooded += 1
        return [p for p in range(len(self.ports)) if p != ingress]
