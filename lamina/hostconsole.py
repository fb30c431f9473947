"""The host's side of the console's input: what `lamina run` types into the machine.

Two ways, chosen by what the host's standard input is:

- piped or redirected (`echo 'ls /bin' | lamina run`): all of it is read before boot
  and fed to the console, followed by the end of input. The run is then a function of
  its input alone, as deterministic as any other.
- a terminal: a reader thread takes whole lines (the terminal echoes and edits them,
  so the guest must not echo) and the machine, instead of halting when every domain
  is blocked waiting for console input, waits in real time for the next line. Only
  that wait is real time; virtual time does not move while the machine waits.

This module is host plumbing above the board: it knows the emulator's Console
(feed, close_input) and nothing of domains; lamina/system.py decides when to wait.
A thread and a queue work the same on Linux, macOS and Windows (no termios, no fork).
"""

from __future__ import annotations

import os
import queue
import sys
import threading
from typing import BinaryIO

from emulator.console import Console

# How often (seconds) a wait looks up from the queue, so that Ctrl-C is noticed on
# every platform (Queue.get without a timeout cannot be interrupted on Windows).
POLL_SECONDS = 0.2


# The most bytes the reader thread takes in one read (a terminal gives one line).
READ_SIZE = 4096


class TerminalInput:
    """Lines typed at a terminal, read by a daemon thread, handed over on demand. The
    thread reads the file descriptor itself (os.read), not a Python file object: a
    thread blocked inside a buffered reader holds its lock, and the interpreter would
    abort at exit waiting for it."""

    def __init__(self, stream: BinaryIO) -> None:
        self._stream = stream  # held, so that it is not closed while the thread reads
        self._fd = stream.fileno()
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._thread = threading.Thread(target=self._read, name="lamina-console-input", daemon=True)
        self._thread.start()

    def _read(self) -> None:
        """The thread: queue each line as it is typed; None at end of input (Ctrl-D)."""
        try:
            while data := os.read(self._fd, READ_SIZE):
                self._lines.put(data)
        except OSError:
            pass  # the descriptor was closed under us: treat it as the end of input
        self._lines.put(None)

    def wait_and_feed(self, console: Console) -> None:
        """Block until a line (or the end of input) is there, then give it, and any
        further lines already typed, to the console."""
        item = self._get()
        while True:
            if item is None:
                console.close_input()
                return
            console.feed(item)
            try:
                item = self._lines.get_nowait()
            except queue.Empty:
                return

    def _get(self) -> bytes | None:
        """The next line or None, waiting in small steps so Ctrl-C gets through."""
        while True:
            try:
                return self._lines.get(timeout=POLL_SECONDS)
            except queue.Empty:
                continue


def piped_input(stream: BinaryIO | None) -> bytes:
    """All of a non-terminal standard input (nothing if there is none)."""
    if stream is None:
        return b""
    try:
        return stream.read()
    except (OSError, ValueError):
        return b""


def host_stdin() -> tuple[bytes | None, TerminalInput | None]:
    """The host's standard input as console input: (bytes to feed at boot, None) when
    it is piped, (None, a TerminalInput) when it is a terminal."""
    stdin = sys.stdin
    if stdin is not None and stdin.isatty():
        return None, TerminalInput(stdin.buffer)
    return piped_input(stdin.buffer if stdin is not None else None), None
