"""A Python peer for the host bridge's tests: an IpStack (emulator/hostnet/stack.py) on
its own switch port, with a small application stepped in virtual time, standing in
for a guest's network server. Also a deterministic lossy link."""

from __future__ import annotations

from collections.abc import Callable

from emulator.hostnet.packets import ip_bytes
from emulator.hostnet.stack import IpStack
from emulator.hostnet.tcp import TcpConnection
from emulator.nic import Nic
from lamina.cluster import mac_address

GUEST_IP = ip_bytes("10.0.0.1")


class StackNode:
    """A switch node running an IpStack and calling app(now) between input and output."""

    def __init__(self, index: int = 0, ip: bytes = GUEST_IP, lose_every: int | None = None) -> None:
        mac = mac_address(index)
        self.nic = LossyNic(mac, lose_every) if lose_every else Nic(mac)
        self.stack = IpStack(self.nic, ip)
        self.apps: list[Callable[[int], None]] = []

    def step(self, now: int) -> None:
        """Frames in, timers, the applications, frames out."""
        self.stack.receive(now)
        self.stack.expire(now)
        for app in self.apps:
            app(now)
        self.stack.transmit(now)

    def next_event(self, now: int) -> int | None:
        """The stack's next frame or timer."""
        return self.stack.next_event(now)

    def wait(self, timeout: float | None = None) -> bool:
        """Never blocks."""
        return False  # no host sockets: when nothing is pending, the run is over


class EchoServer:
    """Listens on a TCP port; echoes what it reads (at most `rate` bytes a step, and
    nothing before virtual time `hold_until`, to be a slow reader if asked) and closes
    after the client's FIN."""

    def __init__(self, node: StackNode, port: int, rate: int | None = None, hold_until: int = 0) -> None:
        self.node, self.rate, self.hold_until = node, rate, hold_until
        self.conns: list[TcpConnection] = []
        self.received = bytearray()
        node.stack.listen(port, self.conns.append)
        node.apps.append(self.serve)

    def serve(self, now: int) -> None:
        """Echo what each connection has received; close once the client has."""
        if now < self.hold_until:
            return
        for conn in self.conns:
            pending = bytearray()
            while conn.recv_buffer and conn.send_room > len(pending):
                limit = min(self.rate or 1 << 30, conn.send_room - len(pending))
                chunk = conn.read(limit)
                self.received += chunk
                pending += chunk
                if self.rate is not None:
                    break
            conn.write(bytes(pending))
            if conn.finished and not conn.closing:
                conn.close()


class Collector:
    """A client connection's reader: collects everything the peer sends."""

    def __init__(self, node: StackNode, conn: TcpConnection, data: bytes) -> None:
        self.conn, self.to_send, self.received = conn, bytearray(data), bytearray()
        node.apps.append(self.pump)

    def pump(self, now: int) -> None:
        """Write what is left to send (then close), and collect what arrived."""
        if self.to_send:
            del self.to_send[:self.conn.write(bytes(self.to_send))]
            if not self.to_send:
                self.conn.close()
        self.received += self.conn.read(1 << 20)


class LossyNic(Nic):
    """A NIC whose link loses every n-th frame delivered to it (counted from the first)."""

    def __init__(self, mac: bytes, every: int) -> None:
        super().__init__(mac)
        self.every, self.count, self.lost = every, 0, 0

    def deliver(self, data: bytes, at: int) -> bool:
        """Lose the frame if it is the n-th, else deliver it."""
        self.count += 1
        if self.count % self.every == 0:
            self.lost += 1
            return False
        return super().deliver(data, at)
