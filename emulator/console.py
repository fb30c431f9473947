"""The console device: a byte stream out to the host, and a queue of input bytes.

What the guest writes goes to an output sink (the host's stdout, or a buffer in tests).
Input is fed by the host side (a terminal or piped stdin) and taken by the kernel on
behalf of the domain bound to the console.
"""

from __future__ import annotations

import os
import sys
from collections import deque
from typing import Callable


def write_to_host_stdout(data: bytes) -> None:
    """Console output to the host's standard output, unbuffered. A reader that has gone
    (`lamina run hello | head -1`) is the end of the line, not an error: what the guest
    writes after that is dropped, as a serial line with nobody listening would drop it."""
    if _stdout_gone:
        return
    try:
        sys.stdout.buffer.write(data)
        sys.stdout.buffer.flush()
    except BrokenPipeError:
        _hang_up_stdout()


_stdout_gone = False


def _hang_up_stdout() -> None:
    """Stop writing to stdout for good, and point it at the null device so that Python's
    own flush at exit does not meet the closed pipe again."""
    global _stdout_gone
    _stdout_gone = True
    null = os.open(os.devnull, os.O_WRONLY)
    os.dup2(null, sys.stdout.fileno())
    os.close(null)


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
