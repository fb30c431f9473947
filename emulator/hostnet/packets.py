"""Wire formats of the host bridge: Ethernet, ARP (RFC 826), IPv4 (RFC 791), ICMP echo
(RFC 792), UDP (RFC 768) and TCP headers (RFC 9293), built and parsed as bytes.

Parsing never trusts a length field: every parser checks the bytes it reads are there
and raises Malformed (with the reason the stack counts) otherwise. Nothing here keeps
state; the layers above (stack.py, tcp.py) decide what a packet means.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

ETH_IPV4 = 0x0800
ETH_ARP = 0x0806
PROTO_ICMP = 1
PROTO_TCP = 6
PROTO_UDP = 17
BROADCAST_MAC = b"\xff" * 6
ETH_HEADER = 14
IP_HEADER = 20
TCP_HEADER = 20
UDP_HEADER = 8
TTL = 64
IP_DONT_FRAGMENT = 0x4000

# TCP control bits (RFC 9293 section 3.1).
FIN, SYN, RST, PSH, ACK = 0x01, 0x02, 0x04, 0x08, 0x10
OPT_END, OPT_NOP, OPT_MSS = 0, 1, 2


class Malformed(ValueError):
    """A frame the stack drops; str() is the counter's name (e.g. 'ip-checksum')."""


def ip_bytes(text: str) -> bytes:
    """'10.0.0.1' as 4 bytes; ValueError if it is not a dotted quad."""
    parts = text.split(".")
    if len(parts) != 4 or not all(p.isdigit() and int(p) < 256 for p in parts):
        raise ValueError(f"not an IPv4 address: {text!r}")
    return bytes(int(p) for p in parts)


def ip_text(addr: bytes) -> str:
    """4 bytes as a dotted quad."""
    return ".".join(str(b) for b in addr)


def checksum(data: bytes) -> int:
    """The Internet checksum (RFC 1071): the ones' complement of the ones' complement sum
    of the 16-bit words, an odd last byte padded with zero."""
    if len(data) % 2:
        data += b"\0"
    total = sum(struct.unpack(f"!{len(data) // 2}H", data))
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    return ~total & 0xFFFF


def pseudo_header(src: bytes, dst: bytes, proto: int, length: int) -> bytes:
    """The pseudo header TCP and UDP checksums cover: addresses, protocol, length."""
    return src + dst + struct.pack("!BBH", 0, proto, length)


# --- Ethernet ---------------------------------------------------------------------

def ethernet(dst: bytes, src: bytes, ethertype: int, payload: bytes) -> bytes:
    """An Ethernet frame (no preamble, no FCS, like the NIC's)."""
    return dst + src + struct.pack("!H", ethertype) + payload


def parse_ethernet(frame: bytes) -> tuple[bytes, bytes, int, bytes]:
    """(destination, source, ethertype, payload) of a frame."""
    if len(frame) < ETH_HEADER:
        raise Malformed("eth-short")
    return frame[0:6], frame[6:12], struct.unpack_from("!H", frame, 12)[0], frame[ETH_HEADER:]


# --- ARP --------------------------------------------------------------------------

ARP_REQUEST, ARP_REPLY = 1, 2


@dataclass(frozen=True)
class Arp:
    """An Ethernet/IPv4 ARP packet."""

    op: int
    sender_mac: bytes
    sender_ip: bytes
    target_mac: bytes
    target_ip: bytes

    def encode(self) -> bytes:
        """The 28 bytes: hardware 1 (Ethernet), protocol 0x0800, lengths 6 and 4."""
        return (struct.pack("!HHBBH", 1, ETH_IPV4, 6, 4, self.op) + self.sender_mac + self.sender_ip
                + self.target_mac + self.target_ip)


def parse_arp(data: bytes) -> Arp:
    """An ARP packet for Ethernet and IPv4; anything else is Malformed."""
    if len(data) < 28:
        raise Malformed("arp-short")
    hw, proto, hlen, plen, op = struct.unpack_from("!HHBBH", data)
    if (hw, proto, hlen, plen) != (1, ETH_IPV4, 6, 4) or op not in (ARP_REQUEST, ARP_REPLY):
        raise Malformed("arp-unsupported")
    return Arp(op, data[8:14], data[14:18], data[18:24], data[24:28])


# --- IPv4 -------------------------------------------------------------------------

@dataclass(frozen=True)
class Ipv4:
    """The fields of an IPv4 header the stack uses, and the payload it delimits."""

    src: bytes
    dst: bytes
    proto: int
    payload: bytes


def ipv4(src: bytes, dst: bytes, proto: int, payload: bytes, ident: int) -> bytes:
    """An IPv4 packet: no options, don't-fragment set, TTL 64, header checksum filled in."""
    header = struct.pack("!BBHHHBBH4s4s", 0x45, 0, IP_HEADER + len(payload), ident & 0xFFFF,
                         IP_DONT_FRAGMENT, TTL, proto, 0, src, dst)
    return header[:10] + struct.pack("!H", checksum(header)) + header[12:] + payload


def parse_ipv4(data: bytes) -> Ipv4:
    """A checked IPv4 packet; fragments are refused, since the bridge does not reassemble."""
    if len(data) < IP_HEADER:
        raise Malformed("ip-short")
    vihl, _, total, _, frag, _, proto = struct.unpack_from("!BBHHHBB", data)
    ihl = (vihl & 0xF) * 4
    if vihl >> 4 != 4 or ihl < IP_HEADER or total < ihl or total > len(data):
        raise Malformed("ip-header")
    if checksum(data[:ihl]) != 0:
        raise Malformed("ip-checksum")
    if frag & 0x3FFF:  # more-fragments bit or a fragment offset
        raise Malformed("ip-fragment")
    return Ipv4(data[12:16], data[16:20], proto, data[ihl:total])


# --- ICMP -------------------------------------------------------------------------

ICMP_ECHO_REPLY, ICMP_ECHO_REQUEST = 0, 8


def icmp(kind: int, code: int, rest: bytes) -> bytes:
    """An ICMP message: type, code, checksum over the whole message, the rest."""
    body = struct.pack("!BBH", kind, code, 0) + rest
    return body[:2] + struct.pack("!H", checksum(body)) + body[4:]


def parse_icmp(data: bytes) -> tuple[int, int, bytes]:
    """(type, code, the bytes after the checksum) of a checked ICMP message."""
    if len(data) < 8:
        raise Malformed("icmp-short")
    if checksum(data) != 0:
        raise Malformed("icmp-checksum")
    return data[0], data[1], data[4:]


# --- UDP --------------------------------------------------------------------------

def udp(src: bytes, dst: bytes, sport: int, dport: int, payload: bytes) -> bytes:
    """A UDP datagram with its checksum (0 is sent as 0xffff, RFC 768)."""
    length = UDP_HEADER + len(payload)
    body = struct.pack("!HHHH", sport, dport, length, 0) + payload
    csum = checksum(pseudo_header(src, dst, PROTO_UDP, length) + body) or 0xFFFF
    return body[:6] + struct.pack("!H", csum) + body[8:]


def parse_udp(packet: Ipv4) -> tuple[int, int, bytes]:
    """(source port, destination port, payload) of a checked UDP datagram."""
    data = packet.payload
    if len(data) < UDP_HEADER:
        raise Malformed("udp-short")
    sport, dport, length, csum = struct.unpack_from("!HHHH", data)
    if length < UDP_HEADER or length > len(data):
        raise Malformed("udp-length")
    data = data[:length]
    if csum and checksum(pseudo_header(packet.src, packet.dst, PROTO_UDP, length) + data) != 0:
        raise Malformed("udp-checksum")
    return sport, dport, data[UDP_HEADER:]


# --- TCP --------------------------------------------------------------------------

@dataclass(frozen=True)
class Segment:
    """A TCP segment (RFC 9293 section 3.1), the only option kept being the MSS."""

    sport: int
    dport: int
    seq: int
    ack: int
    flags: int
    window: int
    payload: bytes = b""
    mss: int | None = None

    @property
    def length(self) -> int:
        """SEG.LEN: the sequence space it occupies; SYN and FIN count one each."""
        return len(self.payload) + bool(self.flags & SYN) + bool(self.flags & FIN)

    def encode(self, src: bytes, dst: bytes) -> bytes:
        """The segment's bytes, checksummed for the addresses src -> dst."""
        options = struct.pack("!BBH", OPT_MSS, 4, self.mss) if self.mss is not None else b""
        offset = (TCP_HEADER + len(options)) // 4
        body = (struct.pack("!HHIIBBHHH", self.sport, self.dport, self.seq, self.ack, offset << 4,
                            self.flags, self.window, 0, 0) + options + self.payload)
        csum = checksum(pseudo_header(src, dst, PROTO_TCP, len(body)) + body)
        return body[:16] + struct.pack("!H", csum) + body[18:]


def parse_tcp(packet: Ipv4) -> Segment:
    """A checked TCP segment; the MSS option is read, other options skipped."""
    data = packet.payload
    if len(data) < TCP_HEADER:
        raise Malformed("tcp-short")
    sport, dport, seq, ack, offset, flags, window = struct.unpack_from("!HHIIBBH", data)
    header = (offset >> 4) * 4
    if header < TCP_HEADER or header > len(data):
        raise Malformed("tcp-header")
    if checksum(pseudo_header(packet.src, packet.dst, PROTO_TCP, len(data)) + data) != 0:
        raise Malformed("tcp-checksum")
    return Segment(sport, dport, seq, ack, flags & 0x3F, window, data[header:],
                   parse_mss(data[TCP_HEADER:header]))


def parse_mss(options: bytes) -> int | None:
    """The MSS option's value among TCP options, or None; a broken list ends the walk."""
    i = 0
    while i < len(options):
        kind = options[i]
        if kind == OPT_END:
            break
        if kind == OPT_NOP:
            i += 1
            continue
        if i + 1 >= len(options) or options[i + 1] < 2 or i + options[i + 1] > len(options):
            break
        if kind == OPT_MSS and options[i + 1] == 4:
            return struct.unpack_from("!H", options, i + 2)[0]
        i += options[i + 1]
    return None
