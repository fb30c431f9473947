"""One-line descriptions of Ethernet frames, for traces: 'TCP 10.0.0.1:80 > 10.0.0.2:1025 [SYN,ACK] 0 bytes'.

The kernel carries frames without looking past the ports (kernel/net.py); a reader of
a trace wants to see what went by, as tcpdump would say it. Every field is read with a
bounds check: a truncated or hostile frame is described as such, never raises.
"""

from __future__ import annotations

ETHERTYPES = {0x0800: "IPv4", 0x0806: "ARP", 0x86DD: "IPv6", 0x88B5: "experimental"}
IP_PROTOCOLS = {1: "ICMP", 6: "TCP", 17: "UDP"}
TCP_FLAGS = ("FIN", "SYN", "RST", "PSH", "ACK", "URG")


def ip(data: bytes) -> str:
    """Dotted-quad text of 4 address bytes."""
    return ".".join(str(b) for b in data)


def describe_frame(frame: bytes) -> str:
    """What the frame is, from its headers, in one line."""
    if len(frame) < 14:
        return f"runt frame of {len(frame)} bytes"
    ethertype = int.from_bytes(frame[12:14], "big")
    payload = frame[14:]
    if ethertype == 0x0806:
        return describe_arp(payload)
    if ethertype == 0x0800:
        return describe_ipv4(payload)
    name = ETHERTYPES.get(ethertype, f"ethertype {ethertype:#06x}")
    return f"{name}, {len(payload)} bytes"


def describe_arp(p: bytes) -> str:
    """'ARP who-has 10.0.0.2 tell 10.0.0.1' or 'ARP 10.0.0.2 is-at 02:00:...'."""
    if len(p) < 28:
        return f"ARP, truncated ({len(p)} bytes)"
    op = int.from_bytes(p[6:8], "big")
    if op == 1:
        return f"ARP who-has {ip(p[24:28])} tell {ip(p[14:18])}"
    if op == 2:
        return f"ARP {ip(p[14:18])} is-at {p[8:14].hex(':')}"
    return f"ARP op {op}"


def describe_ipv4(p: bytes) -> str:
    """The protocol, addresses, ports and flags of an IPv4 packet."""
    if len(p) < 20 or p[0] >> 4 != 4:
        return f"IPv4, malformed ({len(p)} bytes)"
    header = (p[0] & 15) * 4
    proto = p[9]
    src, dst, body = ip(p[12:16]), ip(p[16:20]), p[header:]
    name = IP_PROTOCOLS.get(proto, f"IP proto {proto}")
    if proto in (6, 17) and len(body) >= 4:
        sport, dport = int.from_bytes(body[0:2], "big"), int.from_bytes(body[2:4], "big")
        where = f"{src}:{sport} > {dst}:{dport}"
        if proto == 6 and len(body) >= 20:
            flags = ",".join(f for i, f in enumerate(TCP_FLAGS) if body[13] >> i & 1)
            data = len(body) - (body[12] >> 4) * 4
            return f"TCP {where} [{flags}] seq {int.from_bytes(body[4:8], 'big')} {data} bytes"
        return f"{name} {where} {max(len(body) - 8, 0)} bytes"
    if proto == 1 and len(body) >= 8:
        kinds = {0: "echo reply", 8: "echo request"}
        return f"ICMP {src} > {dst} {kinds.get(body[0], f'type {body[0]}')} seq {int.from_bytes(body[6:8], 'big')}"
    return f"{name} {src} > {dst} {len(body)} bytes"
