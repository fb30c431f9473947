"""The host bridge's IP stack (emulator/hostnet) against an independent peer on a real
switch: ARP, ping, TCP transfers with loss, the peer's window, close and reset, and
hostile frames. The peer (tests/hostnet_peer.py) stands in for a guest's netd."""

from __future__ import annotations

import random

from hostnet_peer import GUEST_IP, Collector, EchoServer, StackNode

from emulator.hostnet import packets as p
from emulator.hostnet.bridge import BRIDGE_IP, BRIDGE_MAC, HostBridge
from emulator.hostnet.tcp import RECV_BUFFER
from emulator.hostnet.tcpstate import State
from emulator.pcap import PcapWriter, read_pcap
from emulator.switch import Switch
from lamina.cluster import Cluster

DATA = bytes(random.Random(6).randrange(256) for _ in range(100 * 1024))
MAX_TIME = 50_000_000_000  # far more virtual time than any of these needs


def network(*nodes, pcap=None) -> Cluster:
    """A cluster of no machines and these nodes on one switch, recorded to pcap if given."""
    switch = Switch()
    for node in nodes:
        switch.attach(node.nic)
    cluster = Cluster([], switch, step=switch.latency, nodes=list(nodes))
    if pcap is not None:
        cluster.pcaps.append(PcapWriter(pcap))
        switch.record(cluster.pcaps[-1])
    return cluster


def transfer(data: bytes, guest_loss=None, bridge_loss=None, rate=None, hold_until=0, pcap=None):
    """The bridge's side connects to an echo server on the guest's side and sends data."""
    guest = StackNode(0, lose_every=guest_loss)
    bridge = StackNode(253, BRIDGE_IP, lose_every=bridge_loss)
    server = EchoServer(guest, 80, rate, hold_until)
    conn = bridge.stack.connect(GUEST_IP, 80, 0)
    client = Collector(bridge, conn, data)
    cluster = network(guest, bridge, pcap=pcap)
    cluster.run(MAX_TIME)
    cluster.shutdown()
    return client, server, conn, cluster


def test_tcp_transfer_is_byte_exact_both_ways():
    client, server, conn, _ = transfer(DATA)
    assert bytes(server.received) == DATA
    assert bytes(client.received) == DATA
    assert conn.state == State.CLOSED and conn.error is None
    assert server.conns[0].state == State.CLOSED and server.conns[0].error is None
    assert conn.retransmissions == 0


def test_tcp_recovers_from_lost_frames_by_retransmission():
    client, server, conn, _ = transfer(DATA, guest_loss=7, bridge_loss=11)
    assert bytes(server.received) == DATA and bytes(client.received) == DATA
    assert conn.retransmissions > 0 and server.conns[0].retransmissions > 0
    assert conn.error is None and server.conns[0].error is None


def test_lost_syn_is_retransmitted():
    # The guest's NIC loses the first frame it is handed: the bridge's first frame to
    # it, the SYN (the ARP request is broadcast, so it counts too: lose every frame 2).
    client, _, conn, _ = transfer(b"hello", guest_loss=2)
    assert bytes(client.received) == b"hello"
    assert conn.retransmissions >= 1


def segments(pcap_bytes: bytes):
    """(source IP, segment) for each TCP segment in a capture."""
    out = []
    for _, _, frame in read_pcap(pcap_bytes):
        _, _, ethertype, payload = p.parse_ethernet(frame)
        if ethertype == p.ETH_IPV4:
            packet = p.parse_ipv4(payload)
            if packet.proto == p.PROTO_TCP:
                out.append((packet.src, p.parse_tcp(packet)))
    return out


def test_sender_stays_within_the_window_a_slow_reader_advertises(tmp_path):
    # The echo server reads nothing for a while, then 300 bytes a step: its receive
    # buffer fills and it advertises a zero window; the bridge's side must wait
    # (probing) and never send past the right edge the reader advertised.
    client, server, _, _ = transfer(DATA[:60_000], rate=300, hold_until=100_000_000, pcap=tmp_path / "slow.pcap")
    assert bytes(server.received) == DATA[:60_000] and bytes(client.received) == DATA[:60_000]
    right_edge = None
    zero_windows = 0
    for src, seg in segments((tmp_path / "slow.pcap").read_bytes()):
        if src == GUEST_IP and seg.flags & p.ACK:
            zero_windows += seg.window == 0
            edge = (seg.ack + seg.window) % (1 << 32)
            right_edge = edge if right_edge is None or 0 < (edge - right_edge) % (1 << 32) < 1 << 31 else right_edge
        elif src == BRIDGE_IP and seg.payload:
            end = (seg.seq + len(seg.payload)) % (1 << 32)
            # at most one byte beyond the edge: the zero-window probe
            assert (right_edge + 1 - end) % (1 << 32) < 1 << 31, "sent past the peer's window"
    assert zero_windows > 0
    assert max(len(s.payload) for _, s in segments((tmp_path / "slow.pcap").read_bytes())) <= 1460


def test_close_from_either_side_reaches_the_other():
    guest, bridge = StackNode(0), StackNode(253, BRIDGE_IP)
    accepted = []
    guest.stack.listen(80, accepted.append)
    conn = bridge.stack.connect(GUEST_IP, 80, 0)
    cluster = network(guest, bridge)
    cluster.run(MAX_TIME, done=lambda: bool(accepted) and accepted[0].state == State.ESTABLISHED)
    accepted[0].write(b"bye")
    accepted[0].close()  # the guest closes first
    cluster.run(MAX_TIME, done=lambda: conn.finished)
    assert conn.read(100) == b"bye" and conn.state == State.CLOSE_WAIT
    conn.close()
    cluster.run(MAX_TIME)
    assert conn.state == State.CLOSED and conn.error is None
    assert accepted[0].state == State.CLOSED and accepted[0].error is None  # after TIME-WAIT
    assert bridge.stack.connections == {} and guest.stack.connections == {}


def test_connecting_to_a_closed_port_is_refused():
    guest, bridge = StackNode(0), StackNode(253, BRIDGE_IP)
    conn = bridge.stack.connect(GUEST_IP, 81, 0)
    network(guest, bridge).run(MAX_TIME)
    assert conn.state == State.CLOSED and conn.error == "refused"


def test_abort_resets_the_peer():
    guest, bridge = StackNode(0), StackNode(253, BRIDGE_IP)
    accepted = []
    guest.stack.listen(80, accepted.append)
    conn = bridge.stack.connect(GUEST_IP, 80, 0)
    cluster = network(guest, bridge)
    cluster.run(MAX_TIME, done=lambda: conn.state == State.ESTABLISHED)
    bridge.stack.abort(conn, cluster.now)
    cluster.run(MAX_TIME)
    assert accepted[0].state == State.CLOSED and accepted[0].error == "reset"


def test_a_reset_with_the_wrong_sequence_number_only_draws_a_challenge_ack():
    guest, bridge = StackNode(0), StackNode(253, BRIDGE_IP)
    accepted = []
    guest.stack.listen(80, accepted.append)
    conn = bridge.stack.connect(GUEST_IP, 80, 0)
    cluster = network(guest, bridge)
    cluster.run(MAX_TIME, done=lambda: conn.state == State.ESTABLISHED)
    forged = p.Segment(conn.local_port, 80, (conn.snd_nxt + 100) % (1 << 32), 0, p.RST, 0)
    bridge.stack.send_ip(GUEST_IP, p.PROTO_TCP, forged.encode(BRIDGE_IP, GUEST_IP), cluster.now)
    cluster.run(MAX_TIME)
    assert accepted[0].state == State.ESTABLISHED


def test_bridge_answers_arp_and_ping():
    guest = StackNode(0)
    bridge = HostBridge([], guest_ip=GUEST_IP)
    cluster = network(guest, bridge)
    guest.stack.ping(BRIDGE_IP, 7, 1, b"lamina", 0)
    cluster.run(MAX_TIME)
    bridge.close()
    assert guest.stack.arp[BRIDGE_IP] == BRIDGE_MAC
    assert guest.stack.pongs == [(BRIDGE_IP, b"\x00\x07\x00\x01lamina")]
    assert bridge.stack.echo_replies == 1


def test_hostile_frames_are_dropped_and_counted():
    rng = random.Random(1)
    guest = StackNode(0)
    bridge = HostBridge([], guest_ip=GUEST_IP)
    cluster = network(guest, bridge)
    good = p.ipv4(GUEST_IP, BRIDGE_IP, p.PROTO_UDP, p.udp(GUEST_IP, BRIDGE_IP, 5, 6, b"x" * 20), 1)
    sent = 0
    for i in range(2000):
        if i % 2:
            body = bytearray(good)
            for _ in range(rng.randrange(1, 6)):
                body[rng.randrange(len(body))] = rng.randrange(256)
            body = bytes(body[:rng.randrange(len(body) + 1)])
        else:
            body = rng.randbytes(rng.randrange(60))
        ethertype = rng.choice([p.ETH_IPV4, p.ETH_ARP, 0x86DD])
        guest.stack.send_frame(p.ethernet(BRIDGE_MAC, guest.nic.mac, ethertype, body), cluster.now)
        sent += 1
        if i % 50 == 49:
            cluster.run(cluster.now + 2_000_000)
    cluster.run(MAX_TIME)
    assert sum(bridge.stack.dropped.values()) > 1000
    assert bridge.nic.rx_frames + bridge.nic.rx_dropped == sent
    guest.stack.ping(BRIDGE_IP, 1, 2, b"still there?", cluster.now)
    cluster.run(MAX_TIME)
    bridge.close()
    assert guest.stack.pongs[-1] == (BRIDGE_IP, b"\x00\x01\x00\x02still there?")


def test_two_runs_capture_the_same_bytes(tmp_path):
    transfer(DATA[:20_000], guest_loss=5, pcap=tmp_path / "a.pcap")
    transfer(DATA[:20_000], guest_loss=5, pcap=tmp_path / "b.pcap")
    assert (tmp_path / "a.pcap").read_bytes() == (tmp_path / "b.pcap").read_bytes()


def test_receive_buffer_bounds_the_advertised_window():
    _, _, conn, _ = transfer(DATA[:5000])
    assert conn.advertised <= RECV_BUFFER


def test_random_segments_on_an_open_connection_never_break_the_stack():
    rng = random.Random(2)
    guest, bridge = StackNode(0), StackNode(253, BRIDGE_IP)
    accepted = []
    guest.stack.listen(80, accepted.append)
    conn = bridge.stack.connect(GUEST_IP, 80, 0)
    cluster = network(guest, bridge)
    cluster.run(MAX_TIME, done=lambda: conn.state == State.ESTABLISHED)
    near = [conn.rcv_nxt, conn.snd_una, conn.snd_nxt]
    for i in range(1000):
        seq = (rng.choice(near) + rng.randrange(-3000, 3000)) % (1 << 32)
        ack = (rng.choice(near) + rng.randrange(-3000, 3000)) % (1 << 32)
        seg = p.Segment(80, conn.local_port, seq, ack, rng.randrange(64), rng.randrange(1 << 16),
                        rng.randbytes(rng.choice([0, 1, 100, 1400])), rng.choice([None, 0, 1, 9000]))
        guest.stack.send_ip(BRIDGE_IP, p.PROTO_TCP, seg.encode(GUEST_IP, BRIDGE_IP), cluster.now)
        if i % 20 == 19:
            cluster.run(cluster.now + 1_000_000)
    cluster.run(MAX_TIME)
    assert conn.state in (State.CLOSED, State.ESTABLISHED, State.CLOSE_WAIT)
    assert conn.state != State.CLOSED or conn.error in ("reset", "timed out")
    guest.stack.ping(BRIDGE_IP, 3, 4, b"alive", cluster.now)
    cluster.run(MAX_TIME)
    assert guest.stack.pongs[-1] == (BRIDGE_IP, b"\x00\x03\x00\x04alive")
