"""netd under hostile input (issue 6): thousands of random and mutated frames, from a
seeded generator, injected into netd's NIC. Afterwards netd must still answer ping,
and its counters must account for every frame: each one it received was taken in by
a protocol or dropped for a counted reason, never a crash or a read past the frame.
"""

from __future__ import annotations

import random
import struct

from netguest import ip, machine, run_net
from reported import reported

from lamina.cluster import mac_address

NETD_MAC, FAKE_MAC = mac_address(1), bytes([2, 0, 0, 0, 0, 0x63])
NETD_IP, FAKE_IP = bytes([10, 0, 0, 2]), bytes([10, 0, 0, 99])
FRAMES = 3000
PER_STEP = 4  # frames injected per switch step (10,000 instructions)
PING_AT = 12_000_000  # after the storm
STATS_AT = 80_000_000


def checksum(data: bytes) -> int:
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack(f">{len(data) // 2}H", data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def ipv4(proto: int, payload: bytes, flags_frag: int = 0x4000) -> bytes:
    head = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(payload), 1, flags_frag, 64, proto, 0, FAKE_IP, NETD_IP)
    head = head[:10] + struct.pack(">H", checksum(head)) + head[12:]
    return NETD_MAC + FAKE_MAC + b"\x08\x00" + head + payload


def transport(proto: int, segment: bytes) -> bytes:
    """segment with its checksum (at 6 for UDP, 16 for TCP) filled in, inside IPv4."""
    pseudo = FAKE_IP + NETD_IP + struct.pack(">BBH", 0, proto, len(segment))
    at = 6 if proto == 17 else 16
    segment = segment[:at] + struct.pack(">H", checksum(pseudo + segment)) + segment[at + 2:]
    return ipv4(proto, segment)


def templates() -> list[bytes]:
    """Well-formed frames for netd: each protocol's way in."""
    arp = struct.pack(">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, FAKE_MAC, FAKE_IP, bytes(6), NETD_IP)
    echo = b"\x08\x00\x00\x00\x12\x34\x00\x01" + bytes(range(48))
    echo = echo[:2] + struct.pack(">H", checksum(echo)) + echo[4:]
    udp = struct.pack(">HHHH", 4000, 7, 8 + 20, 0) + b"x" * 20
    syn = struct.pack(">HHIIBBHHH", 4001, 5000, 1000, 0, 0x60, 0x02, 8192, 0, 0) + b"\x02\x04\x05\xb4"
    data = struct.pack(">HHIIBBHHH", 4002, 5000, 1000, 555, 0x50, 0x18, 8192, 0, 0) + b"hello"
    return [NETD_MAC + FAKE_MAC + b"\x08\x06" + arp, ipv4(1, echo), transport(17, udp), transport(6, syn),
            transport(6, data), ipv4(17, udp, flags_frag=0x2000)]


def mutate(rng: random.Random, frame: bytes) -> bytes:
    """Flip bytes, cut the frame short, grow it with junk, or set a length field wild."""
    f = bytearray(frame)
    how = rng.randrange(4)
    if how == 0:
        for _ in range(rng.randint(1, 8)):
            f[rng.randrange(12, len(f))] = rng.randrange(256)
    elif how == 1:
        del f[rng.randrange(14, len(f)):]
    elif how == 2:
        f += bytes(rng.randrange(256) for _ in range(rng.randint(1, 200)))
    else:  # IHL, total length, TCP data offset, UDP length: the fields that steer reads
        at = rng.choice([14, 16, 17, 46, 38, 39])
        if at < len(f):
            f[at] = rng.randrange(256)
    return bytes(f[:1514])


def storm(seed: int = 6) -> tuple[list[bytes], int]:
    """FRAMES frames: a third random bytes to netd's MAC, the rest mutated templates;
    and how many were the random ones."""
    rng = random.Random(seed)
    base = templates()
    frames, random_count = [], 0
    for i in range(FRAMES):
        if i % 3 == 0:
            frames.append(NETD_MAC + bytes(rng.randrange(256) for _ in range(rng.randint(8, 300))))
            random_count += 1
        else:
            frames.append(mutate(rng, rng.choice(base)))
    return frames, random_count


def inject(frames: list[bytes]):
    """A before() hook for run_net: feed the frames to machine 1's NIC, PER_STEP per
    switch step, stepping the cluster between batches."""
    def drive(cluster):
        nic = cluster.kernels[1].board.nic
        for start in range(0, len(frames), PER_STEP):
            for j, frame in enumerate(frames[start:start + PER_STEP]):
                nic.deliver(frame, cluster.now + 1 + j * (cluster.step // PER_STEP))
            cluster.run(max_time=cluster.now + cluster.step)
    return drive


def test_netd_survives_a_storm_of_hostile_frames_and_counts_them_all(tmp_path):
    frames, random_count = storm()
    assert all(14 <= len(f) <= 1514 for f in frames)
    r = run_net(tmp_path, machine("a", ["ping", "-a", str(PING_AT), ip(1), "3"]),
                machine("b", ["udpecho", "7"], ["nc", "-s", "-l", "5000"], ["ping", "-s", str(STATS_AT)]),
                before=inject(frames))
    assert reported(r.texts[0])["received"] == 3, r.texts[0]  # netd still answers
    b = reported(r.texts[1])
    kernel, nic = r.cluster.kernels[1], r.cluster.kernels[1].board.nic
    drops = {k: v for k, v in b.items() if k.startswith("drop_")}
    assert b["rx_frames"] == b["rx_handled"] + sum(drops.values())
    assert b["rx_frames"] == nic.rx_frames - kernel.nic_dropped  # every frame the kernel passed on
    assert nic.rx_frames + nic.rx_dropped >= FRAMES
    assert sum(drops.values()) >= random_count - kernel.nic_dropped - nic.rx_dropped
    for reason in ("drop_ip_checksum", "drop_ip_short", "drop_ip_fragment", "drop_tcp_malformed",
                   "drop_udp_malformed", "drop_icmp_malformed", "drop_arp_malformed", "drop_eth_type"):
        assert drops[reason] > 0, reason  # the storm reached every layer
    assert "received = 0" not in r.texts[0]
