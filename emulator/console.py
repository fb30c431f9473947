"""The console device: a byte stream out to the host, and a queue of input bytes.

What the guest writes goes to an output sink (the host's stdout, or a buffer in tests).
Input is fed by the host side (a terminal or piped stdin) and taken by the kernel on
behalf of the domain bound to the console.
"""

from __future__ import annotations

from collections import deque
from typing import Callable


class Console:
    """A character device: write() sends bytes out; feed() and read() carry input."""

    def __init__(self, sink: Callable[[bytes], None]) -> None:
        self._sink = sink
        self._input: deque[int] = deque()
        self.input_closed = False
        self.bytes_written = 0

    def write(self, data: bytes) -> None:
        """Transmit data to the host."""
        self.bytes_written += len(data)
        self._sink(data)

    def feed(self, data: bytes) -> None:
        """Host side: queue bytes for the guest to read."""
        self._input.extend(data)

    def close_input(self) -> None:
        """Host side: no more input will come (end of file)."""
        self.input_closed = True

    def read(self, limit: int) -> bytes:
        """Take up to limit queued input bytes (fewer, or none, if fewer are queued)."""
        count = min(limit, len(self._input))
        return bytes(self._input.popleft() for _ in range(count))

    @property
    def input_ready(self) -> int:
        """How many input bytes are queued."""
        return len(self._input)
