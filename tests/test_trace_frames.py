"""Network frames in traces: each frame a machine sends or receives is an event on the
NIC track, described as tcpdump would; the describer never fails on garbage."""

from __future__ import annotations

import struct

from hypothesis import given, settings
from hypothesis import strategies as st
from trace_format import problems

from lamina.cluster import mac_address, run_cluster
from lamina.config import BindingSpec, DomainSpec, SystemConfig
from lamina.framedesc import describe_frame
from lamina.system import RunOptions
from lamina.trace import DEVICE_TID, ChromeTrace

BINDINGS = (BindingSpec("console"), BindingSpec("nic"))


def nicping(name: str, *args: str) -> SystemConfig:
    return SystemConfig(name, domains=(DomainSpec("n", "nicping", args, bindings=BINDINGS),))


def test_a_machines_trace_shows_every_frame_it_sent_and_received():
    traces = [ChromeTrace(), ChromeTrace()]
    options = [RunOptions(console_sink=lambda b: None, log=lambda line: None, tracer=t) for t in traces]
    run_cluster([nicping("a", "ping", "3"), nicping("b", "echo", "3")], options)
    for trace in traces:
        doc = trace.document()
        assert problems(doc) == []
        nic = [e["name"] for e in doc["traceEvents"] if e.get("tid") == DEVICE_TID["nic"] and e["ph"] == "X"]
        assert sum(n.startswith("send ") for n in nic) == 3, nic
        assert sum(n.startswith("receive ") for n in nic) == 3, nic
        assert all("experimental" in n for n in nic)  # nicping's ethertype 0x88b5
        # Each frame is named for the domain that sent or took it, with its size: ping
        # sends frames of nicping's first three sizes (60, NIC_FRAME_MAX, 100 bytes) and
        # echo returns each; an echo comes after its frame, in virtual time.
        events = [e for e in doc["traceEvents"] if e.get("tid") == DEVICE_TID["nic"] and e["ph"] == "X"]
        assert {e["args"]["for"] for e in events} == {"domain 1 (n)"}
        sent = [(e["args"]["bytes"], e["ts"]) for e in events if e["name"].startswith("send ")]
        got = [(e["args"]["bytes"], e["ts"]) for e in events if e["name"].startswith("receive ")]
        assert [n for n, _ in sent] == [n for n, _ in got] == [60, 1514, 100]
        assert [e["ts"] for e in events] == sorted(e["ts"] for e in events) and all(isinstance(t, int) for _, t in sent)


def ipv4(proto: int, body: bytes, src=b"\x0a\0\0\x01", dst=b"\x0a\0\0\x02") -> bytes:
    header = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + len(body), 0, 0, 64, proto, 0, src, dst)
    return b"\xff" * 6 + mac_address(0) + b"\x08\x00" + header + body


def test_frames_are_described_by_their_headers():
    syn = struct.pack(">HHIIBBHHH", 1025, 80, 7, 0, 5 << 4, 0x02, 4096, 0, 0)
    assert describe_frame(ipv4(6, syn)) == "TCP 10.0.0.1:1025 > 10.0.0.2:80 [SYN] seq 7 0 bytes"
    udp = struct.pack(">HHHH", 7, 9, 12, 0) + b"ping"
    assert describe_frame(ipv4(17, udp)) == "UDP 10.0.0.1:7 > 10.0.0.2:9 4 bytes"
    echo = struct.pack(">BBHHH", 8, 0, 0, 1, 3)
    assert describe_frame(ipv4(1, echo)) == "ICMP 10.0.0.1 > 10.0.0.2 echo request seq 3"
    arp = struct.pack(">HHBBH6s4s6s4s", 1, 0x0800, 6, 4, 1, mac_address(0), b"\x0a\0\0\x01",
                      bytes(6), b"\x0a\0\0\x02")
    assert describe_frame(b"\xff" * 6 + mac_address(0) + b"\x08\x06" + arp) == "ARP who-has 10.0.0.2 tell 10.0.0.1"
    assert describe_frame(b"\x00" * 5) == "runt frame of 5 bytes"


@settings(max_examples=300, derandomize=True)
@given(st.binary(max_size=80), st.sampled_from([b"\x08\x00", b"\x08\x06", b"\x88\xb5", b"\x12\x34"]))
def test_describing_any_frame_never_fails(tail, ethertype):
    text = describe_frame(bytes(12) + ethertype + tail)
    assert isinstance(text, str) and text


def test_frames_a_full_queue_or_no_binding_turns_away_are_traced_as_drops():
    # Machine b sleeps while a floods it: RX_QUEUE frames wait for b, the rest find its
    # queue full. Machine c has no domain bound to the NIC: every frame is dropped.
    from kernel.net import RX_QUEUE

    traces = [ChromeTrace(), ChromeTrace(), ChromeTrace()]
    options = [RunOptions(console_sink=lambda b: None, log=lambda line: None, tracer=t) for t in traces]
    idle = SystemConfig("c", domains=(DomainSpec("n", "spin", ("1000",)),))
    cluster = run_cluster([nicping("a", "flood", "50"), nicping("b", "drain", "400000"), idle], options)
    for trace, kernel in zip(traces[1:], cluster.kernels[1:]):
        events = [e for e in trace.document()["traceEvents"] if e.get("tid") == DEVICE_TID["nic"] and e["ph"] == "X"]
        drops = [e for e in events if e["name"].startswith("drop ")]
        assert len(drops) == kernel.nic_dropped > 0
        taken = [e for e in events if e["name"].startswith("receive ")]
        assert len(taken) == (RX_QUEUE if kernel is cluster.kernels[1] else 0)
        assert all(e["args"]["for"] == ("nobody" if kernel is cluster.kernels[2] else "domain 1 (n)") for e in drops)
