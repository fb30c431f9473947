"""A libpcap file writer, so any link of the virtual network can be opened in Wireshark.

The file is the classic format (magic a1b2c3d4, version 2.4, link type 1: Ethernet).
Timestamps come from virtual time, not the host's clock, so the same run always writes
the same bytes: a frame at virtual time t (in instructions) is stamped t / INSNS_PER_US
microseconds after the epoch, as if the board ran 100 million instructions a second.
"""

from __future__ import annotations

import struct
from pathlib import Path
from typing import BinaryIO

MAGIC = 0xA1B2C3D4
LINKTYPE_ETHERNET = 1
SNAPLEN = 65535
INSNS_PER_US = 100  # virtual instructions per microsecond of capture time


def file_header() -> bytes:
    """The 24-byte global header: magic, version 2.4, zone 0, sigfigs 0, snaplen, link type."""
    return struct.pack("<IHHiIII", MAGIC, 2, 4, 0, 0, SNAPLEN, LINKTYPE_ETHERNET)


def record(time: int, frame: bytes) -> bytes:
    """One packet record: seconds, microseconds, captured and original length, the bytes."""
    seconds, micros = divmod(time // INSNS_PER_US, 1_000_000)
    captured = frame[:SNAPLEN]
    return struct.pack("<IIII", seconds, micros, len(captured), len(frame)) + captured


class PcapWriter:
    """Appends frames to a pcap file as a link carries them."""

    def __init__(self, path: Path) -> None:
        self.path = Path(path)
        self._file: BinaryIO | None = open(self.path, "wb")
        self._file.write(file_header())
        self.frames = 0

    def write(self, time: int, frame: bytes) -> None:
        """Record a frame seen at virtual time `time`."""
        assert self._file is not None, "pcap file already closed"
        self._file.write(record(time, frame))
        self.frames += 1

    def close(self) -> None:
        """Flush and close the file (closing twice is harmless)."""
        if self._file is not None:
            self._file.close()
            self._file = None


def read_pcap(data: bytes) -> list[tuple[int, int, bytes]]:
    """Parse a classic little-endian Ethernet pcap: [(seconds, microseconds, frame)].
    Raises ValueError on anything else; the tests use it to check what was written."""
    if len(data) < 24:
        raise ValueError("too short for a pcap header")
    magic, major, minor, _, _, _, link = struct.unpack_from("<IHHiIII", data)
    if magic != MAGIC or (major, minor) != (2, 4) or link != LINKTYPE_ETHERNET:
        raise ValueError("not a libpcap 2.4 Ethernet capture")
    out, pos = [], 24
    while pos < len(data):
        if pos + 16 > len(data):
            raise ValueError("truncated record header")
        sec, usec, incl, orig = struct.unpack_from("<IIII", data, pos)
        pos += 16
        if incl > orig or pos + incl > len(data) or usec >= 1_000_000:
            raise ValueError("malformed record")
        out.append((sec, usec, data[pos:pos + incl]))
        pos += incl
    return out
