"""Lab net, hidden graders: UDP to a port nobody bound, every frame accounted for, and
TCP's ACK jumping over the kept segments, with identical runs giving identical wires."""

from __future__ import annotations

import struct

import pytest

from labsupport import machines

KIB100 = 100 * 1024
LATE = 60_000_000
ACK = 0x10


@pytest.mark.points(10)
def test_a_datagram_to_a_port_nobody_bound_is_dropped_and_counted(tmp_path):
    net = machines(tmp_path, ["udpsend 10.0.0.2 9 2"], [f"ping -s {LATE}"])
    b = net.values(1)
    assert b.get("drop_udp_no_socket") == 2, f"netd's counters on 10.0.0.2: {b}"
    drops = sum(v for k, v in b.items() if k.startswith("drop_"))
    assert b["rx_frames"] == b["rx_handled"] + drops, "every frame received is handled or dropped for a reason"


@pytest.mark.points(15)
def test_the_ack_jumps_over_the_kept_segments_once_the_gap_is_filled(tmp_path):
    net = machines(tmp_path, [f"nc -g {KIB100} -s -l 5000", f"ping -s {LATE}"],
                   [f"nc -g {KIB100} -s -d 400000 10.0.0.1 5000", f"ping -s {LATE}"], drop_every=7)
    acks = []
    for f in net.frames:
        if f[12:14] == b"\x08\x00" and f[23] == 6 and f[29] == 2:  # TCP from 10.0.0.2
            t = 14 + (f[14] & 15) * 4
            ack, flags = struct.unpack(">I", f[t + 8:t + 12])[0], f[t + 13]
            if flags & ACK:
                acks.append(ack)
    jumps = [(b - a) % 2**32 for a, b in zip(acks, acks[1:])]
    assert max(jumps) > 2 * 1460, \
        f"no ACK from 10.0.0.2 moved by more than two segments (2,920 bytes; largest {max(jumps)}): netd " \
        f"acknowledges each segment it takes (and the switch may lose one ACK, making a step of two), so only " \
        f"bytes kept ahead joining at once make a larger step (ring_join_ahead after the gap is filled)"


@pytest.mark.points(10)
def test_identical_runs_put_identical_frames_on_the_wire(tmp_path):
    runs = []
    for n in range(2):
        (tmp_path / str(n)).mkdir()
        runs.append(machines(tmp_path / str(n), ["nc -g 20000 -s -l 5000", f"ping -s {LATE}"],
                             ["nc -g 20000 -s 10.0.0.1 5000", f"ping -s {LATE}"], drop_every=5))
    assert runs[0].frames == runs[1].frames and runs[0].texts == runs[1].texts, \
        "two runs of the same machines differ: nothing in netd may depend on anything but its input"
    assert runs[0].values(0).get("received") == 20000
    kept = runs[0].values(0).get("tcp_out_of_order_kept", 0) + runs[0].values(1).get("tcp_out_of_order_kept", 0)
    assert kept > 0, "no segment after a gap was kept: the runs are alike, but without reassembly"
