"""Lab net, public graders: UDP between two machines, byte for byte; every UDP
checksum on the wire right (recomputed here from RFC 768); and TCP over a switch that
loses frames keeps the segments that arrive after a gap.

Two machines, 10.0.0.1 and 10.0.0.2, run netd on one virtual switch; the grader reads
their consoles (netd's counters and the programs' results) and the captured frames."""

from __future__ import annotations

import struct

import pytest

from labsupport import machines

KIB100 = 100 * 1024
LATE = 60_000_000  # a ping that waits this long keeps netd's counters for the end


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071) of data: the ones' complement of the ones'
    complement sum of its 16-bit words."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f">{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def udp_datagrams(frames: list[bytes]) -> list[bytes]:
    """The IPv4 packets carrying UDP, from Ethernet frames."""
    return [f[14:] for f in frames if f[12:14] == b"\x08\x00" and f[23] == 17]


@pytest.mark.points(15)
def test_udp_echo_between_two_machines_is_byte_exact(tmp_path):
    net = machines(tmp_path, ["udpsend 10.0.0.2 7 4 1400"], ["udpecho 7 4"])
    echoed = net.values(0).get("echoed_exact")
    assert echoed == 4, f"{echoed} of 4 datagrams of 1,400 bytes came back exactly: {net.texts[0][-400:]!r}"


@pytest.mark.points(10)
def test_every_udp_checksum_on_the_wire_is_right(tmp_path):
    net = machines(tmp_path, ["udpsend 10.0.0.2 7 3 333"], ["udpecho 7 3"])
    packets = udp_datagrams(net.frames)
    assert packets, "no UDP packet on the wire"
    for ip in packets:
        ihl = (ip[0] & 15) * 4
        udp = ip[ihl:ihl + struct.unpack(">H", ip[ihl + 4:ihl + 6])[0]]
        pseudo = ip[12:20] + bytes([0, 17]) + struct.pack(">H", len(udp))
        assert udp[6:8] != b"\0\0", "a datagram went out with no checksum (0): netd always computes one"
        assert checksum(pseudo + udp) == 0, \
            f"a datagram from port {struct.unpack('>H', udp[0:2])[0]} has a wrong checksum " \
            f"{udp[6:8].hex()}: the sum covers the pseudo-header (addresses, protocol, UDP length), the UDP " \
            f"header with its checksum field zero, and the data (RFC 768)"
    assert len(packets) == 6, f"{len(packets)} UDP packets on the wire, want 3 datagrams and 3 echoes"


@pytest.mark.points(20)
def test_tcp_keeps_the_segments_after_a_gap_and_joins_them_when_it_is_filled(tmp_path):
    net = machines(tmp_path, [f"nc -g {KIB100} -s -l 5000", f"ping -s {LATE}"],
                   [f"nc -g {KIB100} -s -d 400000 10.0.0.1 5000", f"ping -s {LATE}"], drop_every=7)
    a, b = net.values(0), net.values(1)
    for name, v in (("10.0.0.1", a), ("10.0.0.2", b)):
        assert (v.get("received"), v.get("mismatch_at")) == (KIB100, -1), \
            f"{name} received {v.get('received')} bytes, the first wrong at {v.get('mismatch_at')}: a segment " \
            f"kept ahead must join the stream at its own place, once, when the gap before it is filled"
    assert a.get("tcp_out_of_order_kept", 0) > 0 or b.get("tcp_out_of_order_kept", 0) > 0, \
        "over a switch losing every 7th frame, no segment after a gap was kept: ring_put_ahead must keep it in " \
        "the receive ring's free space"
