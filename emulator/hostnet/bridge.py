"""The host bridge: the guests' way out to the host, like QEMU's user-mode networking.

A HostBridge is a port on the virtual switch (MAC 02:00:00:00:00:fe, IP 10.0.0.254)
whose IP stack (stack.py) answers ARP and ping, and which forwards ports of the host's
loopback interface to a guest:

- tcp:HOSTPORT:GUESTPORT: the bridge listens on 127.0.0.1:HOSTPORT; each host
  connection it accepts becomes a TCP connection from 10.0.0.254 to the guest's
  GUESTPORT, bytes are copied both ways, and a close or a reset on one side is passed
  to the other.
- udp:HOSTPORT:GUESTPORT: each datagram to 127.0.0.1:HOSTPORT goes to the guest's
  GUESTPORT from a bridge port kept for its host sender; the guest's replies to that
  port go back to the sender.

Host sockets are non-blocking and only ever touched in `step`, at the boundaries of
the cluster's time steps, so the guests' virtual time depends on the host only
through when host data arrives. `wait` blocks on them (selectors: portable) when no
machine has anything to do. Only 127.0.0.1 is ever bound.
"""

from __future__ import annotations

import os
import selectors
import socket
import struct
import time
from dataclasses import dataclass, field

from emulator.hostnet.packets import ip_bytes
from emulator.hostnet.stack import IpStack
from emulator.hostnet.tcp import TcpConnection
from emulator.hostnet.tcpstate import State
from emulator.nic import Nic

BRIDGE_MAC = bytes.fromhex("0200000000fe")
BRIDGE_IP = ip_bytes("10.0.0.254")
HOST = "127.0.0.1"
HOST_READ = 16 * 1024  # bytes taken from a host socket at a time
UDP_SENDERS = 256  # host senders remembered per UDP forward (the oldest is forgotten)


class ForwardError(ValueError):
    """A forward the bridge cannot set up (bad spec, or the host port is taken)."""


@dataclass(frozen=True)
class Forward:
    """proto ('tcp' or 'udp'), the host's 127.0.0.1 port (0: any free one), the guest's port."""

    proto: str
    host_port: int
    guest_port: int

    def __str__(self) -> str:
        return f"{self.proto}:{self.host_port}:{self.guest_port}"


@dataclass
class Splice:
    """A host TCP connection and the guest connection it is copied to and from."""

    sock: socket.socket
    conn: TcpConnection
    host_eof: bool = False  # the host will send no more
    guest_eof_passed: bool = False  # the guest's FIN was passed on (shutdown of writing)


@dataclass
class UdpForward:
    """A UDP forward's host socket, and the bridge port kept for each host sender."""

    forward: Forward
    sock: socket.socket
    ports: dict[tuple[str, int], int] = field(default_factory=dict)  # host sender -> bridge port


class HostBridge:
    """A switch port bridging guest TCP/UDP ports to host sockets on 127.0.0.1."""

    def __init__(self, forwards: list[Forward], guest_ip: bytes) -> None:
        self.nic = Nic(BRIDGE_MAC)
        self.stack = IpStack(self.nic, BRIDGE_IP)
        self.guest_ip = guest_ip
        self.selector = selectors.DefaultSelector()
        self.tcp_listeners: list[tuple[Forward, socket.socket]] = []
        self.udp_forwards: list[UdpForward] = []
        self.splices: list[Splice] = []
        self.host_ports: dict[Forward, int] = {}  # the port actually bound (for port 0)
        self.accepted = self.datagrams_in = self.datagrams_out = 0
        try:
            for fwd in forwards:
                self.open_forward(fwd)
        except (OSError, ForwardError):
            self.close()
            raise

    def open_forward(self, fwd: Forward) -> None:
        """Bind 127.0.0.1:host_port for one forward; ForwardError if the port is taken."""
        kind = socket.SOCK_STREAM if fwd.proto == "tcp" else socket.SOCK_DGRAM
        sock = socket.socket(socket.AF_INET, kind)
        if kind == socket.SOCK_STREAM and os.name != "nt":  # rebind past TIME-WAIT; on
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # Windows it would steal
        try:
            sock.bind((HOST, fwd.host_port))
        except OSError as err:
            sock.close()
            raise ForwardError(f"{fwd}: cannot use {HOST}:{fwd.host_port} on the host ({err.strerror})") from None
        sock.setblocking(False)
        self.host_ports[fwd] = sock.getsockname()[1]
        if kind == socket.SOCK_STREAM:
            sock.listen(16)
            self.tcp_listeners.append((fwd, sock))
        else:
            self.udp_forwards.append(UdpForward(fwd, sock))

    # --- the lockstep loop's interface --------------------------------------------------

    def step(self, now: int) -> None:
        """One step at virtual time now: frames in, timers, host sockets, frames out."""
        self.stack.receive(now)
        self.stack.expire(now)
        ready = {key.fileobj: events for key, events in self.selector_events(0)}
        for fwd, sock in self.tcp_listeners:
            if sock in ready:
                self.accept(fwd, sock, now)
        for udp in self.udp_forwards:
            if udp.sock in ready:
                self.udp_from_host(udp, now)
        for splice in list(self.splices):
            self.pump(splice, ready.get(splice.sock, 0), now)
        self.stack.transmit(now)

    def next_event(self, now: int) -> int | None:
        """Virtual time of the bridge's next own work (frames, TCP timers), or None."""
        return self.stack.next_event(now)

    def wait(self, timeout: float | None = None) -> bool:
        """Block until a host socket is ready (or timeout seconds); False at once if the
        bridge has no host socket to wait on."""
        if not self.tcp_listeners and not self.udp_forwards and not self.splices:
            return False
        self.selector_events(timeout)
        return True

    def selector_events(self, timeout: float | None) -> list:
        """The host sockets ready now (timeout 0) or within timeout, registered afresh:
        a splice is read only while its guest connection has room, written only while
        it holds bytes for the host."""
        for key in list(self.selector.get_map().values()):
            self.selector.unregister(key.fileobj)
        for _, sock in self.tcp_listeners:
            self.selector.register(sock, selectors.EVENT_READ)
        for udp in self.udp_forwards:
            self.selector.register(udp.sock, selectors.EVENT_READ)
        for s in self.splices:
            events = (selectors.EVENT_READ if not s.host_eof and s.conn.send_room else 0) | \
                     (selectors.EVENT_WRITE if s.conn.recv_buffer else 0)
            if events:
                self.selector.register(s.sock, events)
        if self.selector.get_map():
            return self.selector.select(timeout)
        if timeout:
            time.sleep(timeout)  # nothing to watch (select() on no socket fails on Windows)
        return []

    # --- TCP ----------------------------------------------------------------------------

    def accept(self, fwd: Forward, listener: socket.socket, now: int) -> None:
        """Take every pending host connection and open a guest connection for each."""
        while True:
            try:
                sock, _ = listener.accept()
            except OSError:  # none pending (BlockingIOError), or it was aborted already
                return
            sock.setblocking(False)
            try:
                conn = self.stack.connect(self.guest_ip, fwd.guest_port, now)
            except OSError:  # every bridge port is taken: refuse this one
                sock.close()
                continue
            self.accepted += 1
            self.splices.append(Splice(sock, conn))

    def pump(self, s: Splice, events: int, now: int) -> None:
        """Copy bytes both ways, pass on closes and resets, and end the splice when done."""
        conn = s.conn
        try:
            if events & selectors.EVENT_READ:
                self.host_to_guest(s)
            self.guest_to_host(s)
        except OSError:  # the host side reset or went away: so does the guest side
            self.stack.abort(conn, now)
            self.end_splice(s, reset=False)
            return
        if conn.state == State.CLOSED and conn.error is not None:
            self.end_splice(s, reset=True)  # refused, reset or timed out: the host sees a reset
        elif not conn.recv_buffer and (conn.state in (State.CLOSED, State.TIME_WAIT)
                                       or (s.host_eof and s.guest_eof_passed)):
            self.end_splice(s, reset=False)  # both directions are done

    def host_to_guest(self, s: Splice) -> None:
        """Move what the host sent into the guest connection; its end of file becomes a FIN."""
        if s.host_eof or not s.conn.send_room:
            return
        try:
            data = s.sock.recv(min(HOST_READ, s.conn.send_room))
        except (BlockingIOError, InterruptedError):
            return
        if data:
            s.conn.write(data)
        else:
            s.host_eof = True
            s.conn.close()

    def guest_to_host(self, s: Splice) -> None:
        """Write what the guest sent to the host socket (as much as it takes); after the
        guest's FIN, shut the socket's sending side."""
        try:
            while s.conn.recv_buffer:
                s.conn.read(s.sock.send(bytes(s.conn.recv_buffer[:HOST_READ])))
        except (BlockingIOError, InterruptedError):
            return
        if s.conn.finished and not s.guest_eof_passed:
            s.sock.shutdown(socket.SHUT_WR)
            s.guest_eof_passed = True

    def end_splice(self, s: Splice, reset: bool) -> None:
        """Close the host socket (with a RST if reset) and forget the splice."""
        if reset:
            try:
                s.sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            except OSError:
                pass
        try:
            self.selector.unregister(s.sock)
        except (KeyError, ValueError):
            pass
        s.sock.close()
        self.splices.remove(s)

    # --- UDP ----------------------------------------------------------------------------

    def udp_from_host(self, udp: UdpForward, now: int) -> None:
        """Send every datagram waiting on the host socket to the guest."""
        while True:
            try:
                data, sender = udp.sock.recvfrom(65535)
            except (BlockingIOError, InterruptedError):
                return
            except OSError:  # e.g. an ICMP error reported on Windows: not this datagram's
                continue
            self.datagrams_in += 1
            self.stack.udp_send(self.udp_port(udp, sender), self.guest_ip, udp.forward.guest_port, data, now)

    def udp_port(self, udp: UdpForward, sender: tuple[str, int]) -> int:
        """The bridge port standing for this host sender, bound on first use."""
        port = udp.ports.get(sender)
        if port is not None:
            return port
        if len(udp.ports) >= UDP_SENDERS:
            oldest = next(iter(udp.ports))
            self.stack.udp_unbind(udp.ports.pop(oldest))
        port = self.stack.free_port()
        udp.ports[sender] = port

        def to_host(src: bytes, sport: int, payload: bytes) -> None:
            """A datagram to this bridge port: the guest's reply goes back to the sender."""
            if src == self.guest_ip and sport == udp.forward.guest_port:
                try:
                    udp.sock.sendto(payload, sender)
                    self.datagrams_out += 1
                except OSError:
                    self.stack.dropped["udp-host-send"] += 1
            else:
                self.stack.dropped["udp-not-from-guest-port"] += 1
        self.stack.udp_bind(port, to_host)
        return port

    def close(self) -> None:
        """Close every host socket: a connection the guest had finished closes normally
        (the host may still be reading it), one still open is reset."""
        for s in list(self.splices):
            self.end_splice(s, reset=not s.guest_eof_passed)
        for _, sock in self.tcp_listeners:
            sock.close()
        for udp in self.udp_forwards:
            udp.sock.close()
        self.tcp_listeners, self.udp_forwards = [], []
        self.selector.close()
