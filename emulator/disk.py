"""The disk: a block device backed by an image file on the host.

Requests move whole 512-byte sectors between the image and guest physical memory by
DMA. They complete in order, in virtual time: a request takes a fixed latency plus a
cost per sector, counted in instructions, so a run is deterministic however fast the
host's disk is. Data moves when a request completes; writes reach the host file then
(its buffers are flushed on FLUSH and at shutdown), so nothing the guest wrote is lost
at exit.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from pathlib import Path

from emulator.ram import PhysicalMemory

SECTOR = 512
LATENCY = 20_000  # instructions from submission to completion of a request
PER_SECTOR = 200  # and for each sector it moves
READ, WRITE, FLUSH = 0, 1, 2


class DiskError(Exception):
    """The image file cannot serve as a disk."""


@dataclass
class Request:
    """One queued transfer; dma lists (physical address, length) pieces of memory."""

    op: int
    sector: int
    count: int
    dma: list[tuple[int, int]]
    tag: int  # whatever the submitter needs to route the completion
    done_at: int  # virtual time of completion


class Disk:
    """A sector-addressed disk image with a queue of requests."""

    def __init__(self, path: Path, ram: PhysicalMemory) -> None:
        try:
            self._file = open(path, "r+b")
        except OSError as err:
            raise DiskError(f"{path}: cannot open disk image: {err.strerror}") from None
        size = self._file.seek(0, 2)
        if size == 0 or size % SECTOR:
            self._file.close()
            raise DiskError(f"{path}: disk image size {size} is not a positive multiple of {SECTOR} bytes")
        self.path = path
        self.ram = ram
        self.sectors = size // SECTOR
        self._queue: deque[Request] = deque()
        self.reads = self.writes = self.sectors_moved = 0

    def submit(self, op: int, sector: int, count: int, dma: list[tuple[int, int]], tag: int, now: int) -> None:
        """Queue a request (already checked by the kernel); it completes after the ones before it."""
        start = max(now, self._queue[-1].done_at if self._queue else now)
        self._queue.append(Request(op, sector, count, dma, tag, start + LATENCY + PER_SECTOR * count))

    def next_completion(self) -> int | None:
        """Virtual time at which the oldest pending request completes, or None."""
        return self._queue[0].done_at if self._queue else None

    def complete_until(self, now: int) -> list[Request]:
        """Carry out, in order, every request due by virtual time `now`; return them."""
        done = []
        while self._queue and self._queue[0].done_at <= now:
            req = self._queue.popleft()
            self._transfer(req)
            done.append(req)
        return done

    def _transfer(self, req: Request) -> None:
        """Move the data of one request between the image and RAM."""
        if req.op == FLUSH:
            self._file.flush()
            return
        self._file.seek(req.sector * SECTOR)
        if req.op == READ:
            data = self._file.read(req.count * SECTOR)
            pos = 0
            for pa, length in req.dma:
                self.ram.write(pa, data[pos:pos + length])
                pos += length
            self.reads += 1
        else:
            self._file.write(b"".join(self.ram.read(pa, length) for pa, length in req.dma))
            self.writes += 1
        self.sectors_moved += req.count

    def close(self) -> None:
        """Finish every queued request and flush the image to the host."""
        while self._queue:
            self._transfer(self._queue.popleft())
        self._file.flush()
        self._file.close()
