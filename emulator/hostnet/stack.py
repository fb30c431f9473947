"""A small IPv4 endpoint on one switch port: ARP, ICMP echo, UDP and TCP (tcp.py).

It is what the host bridge (bridge.py) speaks to the guests with, and what the tests
use as a second, independent peer. It owns a NIC (emulator/nic.py) plugged into the
switch and works in steps of virtual time, called by the cluster's lockstep loop:
`receive(now)` takes the frames that have arrived, `expire(now)` runs the TCP timers,
the application reads and writes its connections, and `transmit(now)` sends what the
connections have to say. Frames to a MAC not yet known wait for the ARP reply.
Every frame it drops is counted by reason in `dropped`.
"""

from __future__ import annotations

from collections import Counter, deque
from collections.abc import Callable

from emulator.hostnet import packets as p
from emulator.hostnet.tcp import TcpConnection
from emulator.hostnet.tcpstate import State
from emulator.nic import MAX_FRAME, Nic

UdpHandler = Callable[[bytes, int, bytes], None]  # (source IP, source port, payload)
AcceptHandler = Callable[[TcpConnection], None]
ARP_RETRY = 1_000_000  # virtual instructions between ARP requests for one address
ARP_QUEUE = 32  # packets held per address while its MAC is being resolved
EPHEMERAL = (49152, 65535)  # the ports active opens and UDP forwards use (RFC 6335)
MAX_UDP = 1500 - p.IP_HEADER - p.UDP_HEADER  # no fragmentation: one frame per datagram


class IpStack:
    """An IPv4 host with one address on one NIC."""

    def __init__(self, nic: Nic, ip: bytes) -> None:
        self.nic, self.ip = nic, ip
        self.arp: dict[bytes, bytes] = {}  # IP -> MAC
        self.arp_waiting: dict[bytes, list[bytes]] = {}  # IP -> IP packets held for it
        self.arp_asked: dict[bytes, int] = {}  # IP -> virtual time of the last request
        self.outbox: deque[bytes] = deque()  # frames the NIC's ring had no room for yet
        self.connections: dict[tuple[int, bytes, int], TcpConnection] = {}
        self.listeners: dict[int, AcceptHandler] = {}
        self.udp_ports: dict[int, UdpHandler] = {}
        self.next_port = EPHEMERAL[0]
        self.ident = 0
        self.dropped: Counter[str] = Counter()
        self.echo_replies = 0  # echo requests answered
        self.pongs: list[tuple[bytes, bytes]] = []  # echo replies received: (source, id+seq+data)

    # --- the step -----------------------------------------------------------------------

    def receive(self, now: int) -> None:
        """Handle every frame that has arrived by `now`."""
        for frame in self.nic.received_until(now):
            try:
                self.handle_frame(frame, now)
            except p.Malformed as why:
                self.dropped[str(why)] += 1

    def expire(self, now: int) -> None:
        """Run the TCP timers whose deadline has passed."""
        for conn in list(self.connections.values()):
            if conn.timer is not None and conn.timer <= now:
                conn.on_timer(now)

    def transmit(self, now: int) -> None:
        """Send what every connection has to send; forget the connections that ended."""
        for key, conn in list(self.connections.items()):
            for seg in conn.output(now):
                self.send_ip(conn.remote_ip, p.PROTO_TCP, seg.encode(self.ip, conn.remote_ip), now)
            if conn.state == State.CLOSED:
                del self.connections[key]
        self.flush(now)

    def next_event(self, now: int) -> int | None:
        """Virtual time of this stack's next work: now if frames wait to leave, else the
        next frame arrival or TCP deadline; None if nothing is pending."""
        if self.outbox or self.nic.tx_pending:
            return now
        times = [c.timer for c in self.connections.values() if c.timer is not None]
        if self.nic.next_arrival() is not None:
            times.append(self.nic.next_arrival())
        return min(times) if times else None

    # --- sending ------------------------------------------------------------------------

    def send_frame(self, frame: bytes, now: int) -> None:
        """Queue a frame on the NIC, or in the outbox while the NIC's ring is full; a frame
        too large for the NIC is dropped and counted."""
        if len(frame) > MAX_FRAME:
            self.dropped["frame-too-big"] += 1
            return
        self.outbox.append(frame)
        self.flush(now)

    def flush(self, now: int) -> None:
        """Move waiting frames onto the NIC's transmit ring while it has room."""
        while self.outbox and self.nic.transmit(self.outbox[0], now):
            self.outbox.popleft()

    def send_ip(self, dst: bytes, proto: int, payload: bytes, now: int) -> None:
        """Send an IP packet to dst on the local network, resolving its MAC first if needed."""
        self.ident += 1
        packet = p.ipv4(self.ip, dst, proto, payload, self.ident)
        mac = self.arp.get(dst)
        if mac is not None:
            self.send_frame(p.ethernet(mac, self.nic.mac, p.ETH_IPV4, packet), now)
            return
        waiting = self.arp_waiting.setdefault(dst, [])
        if len(waiting) < ARP_QUEUE:
            waiting.append(packet)
        else:
            self.dropped["arp-queue-full"] += 1
        if now - self.arp_asked.get(dst, -ARP_RETRY) >= ARP_RETRY:
            self.arp_asked[dst] = now
            ask = p.Arp(p.ARP_REQUEST, self.nic.mac, self.ip, bytes(6), dst)
            self.send_frame(p.ethernet(p.BROADCAST_MAC, self.nic.mac, p.ETH_ARP, ask.encode()), now)

    def udp_send(self, sport: int, dst: bytes, dport: int, payload: bytes, now: int) -> bool:
        """Send a UDP datagram; False (and counted) if it does not fit in one frame."""
        if len(payload) > MAX_UDP:
            self.dropped["udp-too-big"] += 1
            return False
        self.send_ip(dst, p.PROTO_UDP, p.udp(self.ip, dst, sport, dport, payload), now)
        return True

    # --- the application's side ---------------------------------------------------------

    def free_port(self) -> int:
        """An ephemeral port no connection or UDP binding of this stack uses."""
        used = {k[0] for k in self.connections} | set(self.udp_ports) | set(self.listeners)
        for _ in range(EPHEMERAL[1] - EPHEMERAL[0] + 1):
            port = self.next_port
            self.next_port = port + 1 if port < EPHEMERAL[1] else EPHEMERAL[0]
            if port not in used:
                return port
        raise OSError("every ephemeral port is in use")

    def connect(self, dst: bytes, dport: int, now: int) -> TcpConnection:
        """Active open to dst:dport from a fresh port; the SYN leaves at the next transmit."""
        conn = TcpConnection(self.free_port(), dst, dport, initial_sequence(now, self.next_port))
        conn.connect(now)
        self.connections[(conn.local_port, dst, dport)] = conn
        return conn

    def abort(self, conn: TcpConnection, now: int) -> None:
        """Drop a connection, telling the peer with a RST if it was synchronized."""
        rst = conn.abort()
        if rst is not None:
            self.send_ip(conn.remote_ip, p.PROTO_TCP, rst.encode(self.ip, conn.remote_ip), now)

    def listen(self, port: int, accept: AcceptHandler) -> None:
        """Passive open: each SYN to `port` makes a connection handed to accept()."""
        self.listeners[port] = accept

    def udp_bind(self, port: int, handler: UdpHandler) -> None:
        """Deliver datagrams to `port` to handler(source IP, source port, payload)."""
        self.udp_ports[port] = handler

    def udp_unbind(self, port: int) -> None:
        """Stop receiving on `port`."""
        self.udp_ports.pop(port, None)

    # --- receiving ----------------------------------------------------------------------

    def handle_frame(self, frame: bytes, now: int) -> None:
        """Demultiplex one frame by ethertype."""
        dst, _, ethertype, payload = p.parse_ethernet(frame)
        if dst != self.nic.mac and dst != p.BROADCAST_MAC:
            self.dropped["not-for-us"] += 1
        elif ethertype == p.ETH_ARP:
            self.handle_arp(p.parse_arp(payload), now)
        elif ethertype == p.ETH_IPV4:
            self.handle_ip(p.parse_ipv4(payload), now)
        else:
            self.dropped["ethertype"] += 1

    def handle_arp(self, arp: p.Arp, now: int) -> None:
        """RFC 826: learn the sender if it asks us or we know it; answer requests for us."""
        if arp.target_ip != self.ip and arp.sender_ip not in self.arp:
            return
        self.arp[arp.sender_ip] = arp.sender_mac
        for packet in self.arp_waiting.pop(arp.sender_ip, []):
            self.send_frame(p.ethernet(arp.sender_mac, self.nic.mac, p.ETH_IPV4, packet), now)
        if arp.op == p.ARP_REQUEST and arp.target_ip == self.ip:
            reply = p.Arp(p.ARP_REPLY, self.nic.mac, self.ip, arp.sender_mac, arp.sender_ip)
            self.send_frame(p.ethernet(arp.sender_mac, self.nic.mac, p.ETH_ARP, reply.encode()), now)

    def handle_ip(self, packet: p.Ipv4, now: int) -> None:
        """An IPv4 packet for our address, by protocol."""
        if packet.dst != self.ip:
            self.dropped["ip-not-for-us"] += 1
        elif packet.proto == p.PROTO_ICMP:
            self.handle_icmp(packet, now)
        elif packet.proto == p.PROTO_UDP:
            sport, dport, payload = p.parse_udp(packet)
            handler = self.udp_ports.get(dport)
            if handler is None:
                self.dropped["udp-no-port"] += 1
            else:
                handler(packet.src, sport, payload)
        elif packet.proto == p.PROTO_TCP:
            self.handle_tcp(packet.src, p.parse_tcp(packet), now)
        else:
            self.dropped["ip-protocol"] += 1

    def ping(self, dst: bytes, ident: int, seq: int, data: bytes, now: int) -> None:
        """Send an ICMP echo request; the reply lands in `pongs`."""
        rest = ident.to_bytes(2, "big") + seq.to_bytes(2, "big") + data
        self.send_ip(dst, p.PROTO_ICMP, p.icmp(p.ICMP_ECHO_REQUEST, 0, rest), now)

    def handle_icmp(self, packet: p.Ipv4, now: int) -> None:
        """Answer an echo request with the same identifier, sequence number and data;
        keep echo replies."""
        kind, _, rest = p.parse_icmp(packet.payload)
        if kind == p.ICMP_ECHO_REPLY:
            self.pongs.append((packet.src, rest))
            return
        if kind != p.ICMP_ECHO_REQUEST:
            self.dropped["icmp-type"] += 1
            return
        self.echo_replies += 1
        self.send_ip(packet.src, p.PROTO_ICMP, p.icmp(p.ICMP_ECHO_REPLY, 0, rest), now)

    def handle_tcp(self, src: bytes, seg: p.Segment, now: int) -> None:
        """Hand a segment to its connection, open one for a SYN to a listener, or reset."""
        conn = self.connections.get((seg.dport, src, seg.sport))
        if conn is not None:
            reply = conn.receive(seg, now)
        elif seg.dport in self.listeners and seg.flags & (p.SYN | p.ACK | p.RST) == p.SYN:
            conn = TcpConnection(seg.dport, src, seg.sport, initial_sequence(now, seg.sport))
            conn.accept_syn(seg, now)
            self.connections[(seg.dport, src, seg.sport)] = conn
            self.listeners[seg.dport](conn)
            return
        else:
            reply = closed_port_reset(seg)
        if reply is not None:
            self.send_ip(src, p.PROTO_TCP, reply.encode(self.ip, src), now)


def closed_port_reset(seg: p.Segment) -> p.Segment | None:
    """The RST answering a segment for no connection (RFC 9293 3.10.7.1); never for a RST."""
    if seg.flags & p.RST:
        return None
    if seg.flags & p.ACK:
        return p.Segment(seg.dport, seg.sport, seg.ack, 0, p.RST, 0)
    return p.Segment(seg.dport, seg.sport, 0, (seg.seq + seg.length) % (1 << 32), p.RST | p.ACK, 0)


def initial_sequence(now: int, salt: int) -> int:
    """An initial sequence number from the virtual clock (RFC 9293 3.4.1's clock, ticking
    every 4 instructions here) and the port, so that runs stay deterministic."""
    return (now // 4 + salt * 64_000) % (1 << 32)

