"""The network device: frames between machines through the switch, packet-filter
bindings, bounded queues, pcap captures, and hostile frames from the guest."""

from __future__ import annotations

import struct
from dataclasses import dataclass

import pytest
from reported import reported

from emulator.nic import MAX_FRAME, RX_RING, Nic
from emulator.pcap import PcapWriter, read_pcap
from emulator.switch import Switch
from kernel.abi import Errno
from kernel.net import RX_QUEUE, frame_key
from lamina.cluster import mac_address, run_cluster
from lamina.config import BindingSpec, DomainSpec, SystemConfig
from lamina.system import RunOptions, boot_config

CONSOLE, NIC = BindingSpec("console"), BindingSpec("nic")


def machine(name: str, *args: str, bindings=(CONSOLE, NIC)) -> SystemConfig:
    """A one-domain system running nicping with args."""
    return SystemConfig(name, domains=(DomainSpec("n", "nicping", args, bindings=tuple(bindings)),))


@dataclass
class ClusterRun:
    cluster: object
    texts: list[str]
    pcap: bytes


def run_machines(tmp_path, *configs: SystemConfig, pcap_name="link.pcap") -> ClusterRun:
    """Run the machines in lockstep on one switch, recording it; their console texts."""
    outs = [bytearray() for _ in configs]
    options = [RunOptions(console_sink=o.extend, log=lambda line: None) for o in outs]
    path = tmp_path / pcap_name
    cluster = run_cluster(list(configs), options, pcap=path)
    return ClusterRun(cluster, [o.decode() for o in outs], path.read_bytes())


def ping_pair(tmp_path, pcap_name="link.pcap", count=5) -> ClusterRun:
    return run_machines(tmp_path, machine("a", "ping", str(count)), machine("b", "echo", str(count)),
                        pcap_name=pcap_name)


def udp_frame(sport: int, dport: int, length: int = 60, proto: int = 17) -> bytes:
    """An IPv4 frame of `length` bytes with a UDP (or `proto`) header's ports."""
    frame = bytearray(length)
    frame[0:6] = b"\xff" * 6
    frame[6:12] = mac_address(9)
    frame[12:14] = b"\x08\x00"
    frame[14] = 0x45
    frame[23] = proto
    frame[34:38] = struct.pack(">HH", sport, dport)
    return bytes(frame[:length])


RAW = b"\xff" * 6 + mac_address(9) + b"\x88\xb5" + bytes(46)


# --- end to end, through the switch -------------------------------------------------

def test_frames_cross_the_switch_and_come_back_byte_exact(tmp_path):
    r = ping_pair(tmp_path)
    assert reported(r.texts[0])["echoed_exact"] == 5, r.texts[0]
    assert "echoed 5 frames" in r.texts[1]
    frames = [f for _, _, f in read_pcap(r.pcap)]
    assert len(frames) == 10
    for sent, echoed in zip(frames[0::2], frames[1::2]):
        assert sent[6:12] == mac_address(0) and echoed[6:12] == mac_address(1)
        assert echoed[0:6] == sent[6:12]
        assert echoed[12:] == sent[12:]  # the payload came back byte for byte
    assert [len(f) for f in frames[0::2]] == [60, MAX_FRAME, 100, 14, 777]


def test_the_switch_learns_where_a_mac_address_is(tmp_path):
    r = ping_pair(tmp_path)
    frames = [f for _, _, f in read_pcap(r.pcap)]
    assert frames[0][0:6] == b"\xff" * 6  # the first ping is broadcast
    assert frames[2][0:6] == mac_address(1)  # later ones go to the echoer's address
    assert r.cluster.switch.forwarded >= 9


def test_two_runs_write_identical_pcap_bytes(tmp_path):
    a = ping_pair(tmp_path, "a.pcap")
    b = ping_pair(tmp_path, "b.pcap")
    assert a.pcap == b.pcap
    assert a.texts == b.texts  # the virtual round-trip times too
    assert [k.board.now for k in a.cluster.kernels] == [k.board.now for k in b.cluster.kernels]


def test_the_capture_is_a_libpcap_ethernet_file(tmp_path):
    data = ping_pair(tmp_path).pcap
    magic, major, minor, zone, sigfigs, _snaplen, link = struct.unpack_from("<IHHiIII", data)
    assert (magic, major, minor, zone, sigfigs, link) == (0xA1B2C3D4, 2, 4, 0, 0, 1)
    records = read_pcap(data)
    stamps = [s * 1_000_000 + u for s, u, _ in records]
    assert stamps == sorted(stamps) and stamps[0] > 0  # virtual time, in order
    _, _, incl, orig = struct.unpack_from("<IIII", data, 24)
    assert incl == orig == 60 and data[40:46] == b"\xff" * 6


def test_pcap_records_use_virtual_time(tmp_path):
    w = PcapWriter(tmp_path / "t.pcap")
    w.write(250_000_123, RAW)
    w.close()
    [(sec, usec, frame)] = read_pcap((tmp_path / "t.pcap").read_bytes())
    assert (sec, usec, frame) == (2, 500_001, RAW)


# --- bindings -------------------------------------------------------------------------

def test_a_domain_without_a_nic_binding_can_neither_send_nor_receive(tmp_path):
    r = run_machines(tmp_path, machine("a", "ping", "1", bindings=(CONSOLE,)), machine("b", "flood", "3"))
    values = reported(r.texts[0])
    assert values["nic_info"] == values["nic_send"] == values["nic_recv"] == -Errno.EPERM
    assert r.cluster.kernels[0].nic_dropped == 3  # nobody's filter took b's frames
    assert read_pcap(r.pcap) and all(f[6:12] == mac_address(1) for _, _, f in read_pcap(r.pcap))


def test_a_board_without_a_nic_answers_enodev():
    from guest import run

    values = reported(run("nicping ping 1").text)
    assert values["nic_info"] == values["nic_send"] == values["nic_recv"] == -Errno.ENODEV


def test_a_port_binding_may_send_only_from_its_port(tmp_path):
    udp7 = SystemConfig("u", domains=(DomainSpec("n", "nicping", ("udp",),
                                                 bindings=(CONSOLE, BindingSpec("nic", 17, 7))),))
    r = run_machines(tmp_path, udp7)
    values = reported(r.texts[0])
    assert values["udp_from_7"] == 60
    for refused in ("udp_raw", "udp_from_8", "tcp_from_7", "udp_short"):
        assert values[refused] == -Errno.EPERM, refused
    [(_, _, sent)] = read_pcap(r.pcap)  # only the allowed frame reached the wire
    assert sent[23] == 17 and sent[34:36] == b"\x00\x07"


def test_frame_keys_read_protocol_and_port_and_never_fail_on_junk():
    assert (frame_key(udp_frame(7, 9), 0).lo, frame_key(udp_frame(7, 9), 0).hi) == (17, 7)
    assert (frame_key(udp_frame(7, 9), 2).lo, frame_key(udp_frame(7, 9), 2).hi) == (17, 9)
    assert frame_key(udp_frame(7, 9, proto=1), 2).hi == 0  # ICMP has no ports
    assert (frame_key(RAW, 2).lo, frame_key(RAW, 2).hi) == (0, 0)
    assert frame_key(udp_frame(7, 9)[:36], 2).hi == 0  # truncated before the ports
    # The edges: 34 bytes hold the Ethernet and IPv4 headers, 2 more each port.
    assert (frame_key(udp_frame(7, 9)[:34], 2).lo, frame_key(udp_frame(7, 9)[:34], 2).hi) == (17, 0)
    assert frame_key(udp_frame(7, 9)[:33], 2).lo == 0, "33 bytes are no IPv4 frame"
    wide = udp_frame(0x1234, 0xABCD)  # ports whose first byte is not 0: half a port shows
    assert frame_key(wide[:36], 0).hi == 0x1234 and frame_key(wide[:35], 0).hi == 0
    assert frame_key(wide[:38], 2).hi == 0xABCD and frame_key(wide[:37], 2).hi == 0
    assert frame_key(udp_frame(0x1234, 0xABCD), 2).hi == 0xABCD, "ports are big-endian"
    for length in range(80):
        frame_key(udp_frame(7, 9)[:length], 2)
        frame_key(bytes([0x08, 0x00, 0xFF] * 30)[:length], 2)


def test_an_arriving_frame_goes_to_the_most_specific_filter(tmp_path):
    specs = [("any", ()), ("udp", (17, 0)), ("udp7", (17, 7)), ("port7", (0, 7)), ("udp7b", (17, 7))]
    config = SystemConfig("demux", domains=tuple(
        DomainSpec(name, "nicping", ("echo",), bindings=(BindingSpec("nic", *b),)) for name, b in specs))
    result = boot_config(config, RunOptions(nic_mac=mac_address(0), log=lambda line: None))
    k = result.kernel
    try:
        by_name = {d.name: d for d in result.domains}
        for frame in (udp_frame(1, 7), udp_frame(1, 7, proto=6), udp_frame(1, 9), RAW, udp_frame(1, 9, proto=1)):
            k.board.nic.deliver(frame, at=0)
        k.deliver_events()
        assert [len(by_name[n].rx) for n in ("any", "udp", "udp7", "port7", "udp7b")] == [2, 1, 1, 1, 0]
        assert list(by_name["udp7"].rx) == [udp_frame(1, 7)]  # the lower id wins a tie
        assert list(by_name["port7"].rx) == [udp_frame(1, 7, proto=6)]
        assert by_name["any"].notify_bits & 8  # Notify.NIC
    finally:
        k.shutdown()


def test_a_domain_with_two_bindings_that_cover_a_frame_takes_it_once():
    twice = (BindingSpec("nic", 17, 0), BindingSpec("nic", 17, 0))
    config = SystemConfig("dup", domains=(DomainSpec("a", "nicping", ("echo",), bindings=twice),))
    result = boot_config(config, RunOptions(nic_mac=mac_address(0), log=lambda line: None))
    k = result.kernel
    try:
        k.board.nic.deliver(udp_frame(1, 7), at=0)
        k.deliver_events()
        assert list(result.domains[0].rx) == [udp_frame(1, 7)] and k.nic_dropped == 0
    finally:
        k.shutdown()


# --- bounded queues -------------------------------------------------------------------

def test_a_full_receive_queue_drops_and_counts_frames(tmp_path):
    from emulator.nic import TX_RING

    n = TX_RING + 36  # more than the transmit ring holds: the sender must wait for it
    r = run_machines(tmp_path, machine("a", "flood", str(n)), machine("b", "drain", "400000"))
    flood = reported(r.texts[0])
    assert flood["flooded"] == n
    assert flood["ring_full"] > 0, "a send to a full transmit ring should get -EAGAIN"
    assert reported(r.texts[1])["drained"] == RX_QUEUE
    assert r.cluster.kernels[1].nic_dropped == n - RX_QUEUE


def test_the_nic_receive_ring_drops_when_full_without_touching_queued_frames():
    nic = Nic(mac_address(0))
    frames = [RAW[:14] + bytes([i]) * 46 for i in range(RX_RING + 5)]
    results = [nic.deliver(f, at=i) for i, f in enumerate(frames)]
    assert results == [True] * RX_RING + [False] * 5
    assert (nic.rx_frames, nic.rx_dropped) == (RX_RING, 5)
    assert nic.received_until(10**9) == frames[:RX_RING]


def test_the_switch_floods_unknown_addresses_and_forwards_known_ones():
    nics = [Nic(mac_address(i)) for i in range(3)]
    sw = Switch(latency=100)
    for n in nics:
        sw.attach(n)
    nics[0].transmit(mac_address(1) + mac_address(0) + b"\x88\xb5" + bytes(46), now=0)
    sw.exchange(10_000)
    assert [n.next_arrival() is not None for n in nics] == [False, True, True]  # flooded
    nics[1].transmit(mac_address(0) + mac_address(1) + b"\x88\xb5" + bytes(46), now=10_000)
    sw.exchange(20_000)
    assert len(nics[0].received_until(10**9)) == 1 and len(nics[2].received_until(10**9)) == 1


def test_frames_leave_the_port_in_order_after_their_wire_time():
    from emulator.nic import TX_COST, TX_PER_BYTE, TX_RING

    nic = Nic(mac_address(0))
    assert nic.transmit(RAW, now=1000) and nic.transmit(RAW[:14], now=1000)
    first = 1000 + TX_COST + TX_PER_BYTE * len(RAW)
    assert nic.sent_until(first - 1) == []
    assert [f.time for f in nic.sent_until(10**9)] == [first, first + TX_COST + TX_PER_BYTE * 14]
    assert all(nic.transmit(RAW, now=0) for _ in range(TX_RING))
    assert not nic.transmit(RAW, now=0)  # the ring is full: the kernel answers -EAGAIN


def test_the_wire_drops_malformed_frames():
    nic = Nic(mac_address(0))
    assert not nic.deliver(b"short", at=0) and not nic.deliver(bytes(MAX_FRAME + 1), at=0)
    assert nic.rx_dropped == 2 and nic.next_arrival() is None


# --- hostile arguments ----------------------------------------------------------------

def test_bad_frames_and_buffers_get_errors_not_crashes(tmp_path):
    r = run_machines(tmp_path, machine("a", "probe"), machine("b", "probe"))
    for text in r.texts:
        v = reported(text)
        for name in ("send_len_0", "send_len_13", "send_len_1515", "send_len_huge"):
            assert v[name] == -Errno.EINVAL, (name, text)
        for name in ("send_null", "send_unmapped", "send_straddle", "recv_null", "recv_readonly"):
            assert v[name] == -Errno.EFAULT, (name, text)
        assert v["recv_empty"] == v["recv_again"] == -Errno.EAGAIN
        assert v["recv_small"] == -Errno.ERANGE
        assert v["send_ok"] == v["recv_ok"] == 60
    assert len(read_pcap(r.pcap)) == 2  # only the two good frames reached the wire


@pytest.mark.parametrize("length", [0, 13, MAX_FRAME + 1])
def test_the_nic_refuses_to_transmit_a_malformed_frame(length):
    with pytest.raises(ValueError):
        Nic(mac_address(0)).transmit(bytes(length), now=0)


# --- the command line -------------------------------------------------------------------

def test_lamina_net_runs_one_machine_per_command_and_writes_the_pcap(tmp_path, capsys):
    from lamina.cli import main

    pcap = tmp_path / "cli.pcap"
    assert main(["net", "--pcap", str(pcap), "nicping", "ping", "2", "+", "nicping", "echo", "2"]) == 0
    out = capsys.readouterr().out
    assert "[0] echoed_exact = 2" in out and "[1] nicping: echoed 2 frames" in out
    assert len(read_pcap(pcap.read_bytes())) == 4
