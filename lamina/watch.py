"""`lamina run --watch`: a live view of the machine for lectures and demos.

Redrawn after every time slice: the domains (the one that just had the CPU marked and
highlighted) with their state, instructions, system calls, faults and frames; a strip
with a cell per recent slice, coloured by domain, so the schedule scrolls by; the frames
each domain holds as bars; the guest's output in a pane of its own (it reaches the
terminal through the view, so nothing is lost or overdrawn, and all of it is printed
again when the run ends); and the last messages between domains.

`--watch-speed N` paces the run at N instructions of virtual time per second of wall
time, so an audience can follow; the space bar pauses and resumes where the terminal
allows it. The view changes at the end of each slice (a domain alone on the CPU runs
long slices: `--quantum` makes them shorter). The guest cannot tell: its time is virtual.
"""

from __future__ import annotations

import os
import sys
import time
from collections import deque

from rich.console import Console, Group
from rich.live import Live
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from kernel.domain import Domain
from kernel.tracing import Tracer

RECENT = 6
STRIP = 60  # slices shown in the timeline strip
OUTPUT_LINES = 8  # lines of guest output the pane shows
BAR = 30  # characters of the longest frames bar
COLOURS = ("blue", "dark_orange", "green", "magenta", "cyan", "yellow", "red", "bright_blue", "bright_magenta", "white")
class TeeTracer(Tracer):
    """Sends every kernel event to several tracers (say, a trace file and the live view)."""

    def __init__(self, *tracers: Tracer) -> None:
        self.tracers = tracers

    def slice(self, *args) -> None:
        for t in self.tracers:
            t.slice(*args)

    def syscall_enter(self, *args) -> None:
        for t in self.tracers:
            t.syscall_enter(*args)

    def syscall_exit(self, *args) -> None:
        for t in self.tracers:
            t.syscall_exit(*args)

    def fault(self, *args) -> None:
        for t in self.tracers:
            t.fault(*args)

    def message(self, *args) -> None:
        for t in self.tracers:
            t.message(*args)

    def device(self, *args) -> None:
        for t in self.tracers:
            t.device(*args)

    def exited(self, *args) -> None:
        for t in self.tracers:
            t.exited(*args)


def colour(did: int) -> str:
    """A domain's colour in the view."""
    return COLOURS[(did - 1) % len(COLOURS)]


class PauseKey:
    """The space bar, read without waiting, where the terminal allows it (a terminal on
    standard input that the guest is not reading): pressed() says if it was pressed."""

    def __init__(self) -> None:
        self.saved = None
        self.enabled = sys.stdin.isatty()
        if self.enabled and os.name != "nt":
            import termios
            import tty

            self.saved = termios.tcgetattr(sys.stdin.fileno())
            tty.setcbreak(sys.stdin.fileno())

    def pressed(self) -> bool:
        """True if space was pressed since the last look."""
        if not self.enabled:
            return False
        if os.name == "nt":
            import msvcrt

            return bool(msvcrt.kbhit()) and msvcrt.getwch() == " "
        import select

        hit = False
        while select.select([sys.stdin], [], [], 0)[0]:
            hit |= os.read(sys.stdin.fileno(), 1) == b" "
        return hit

    def close(self) -> None:
        """Give the terminal back as it was."""
        if self.saved is not None:
            import termios

            termios.tcsetattr(sys.stdin.fileno(), termios.TCSADRAIN, self.saved)


class LiveView(Tracer):
    """Redraws the machine as the kernel reports slices and messages; console_sink is
    where the guest's output goes while the view is up."""

    def __init__(self, console: Console, speed: float | None = None, keys: PauseKey | None = None) -> None:
        self.console = console
        self.speed = speed  # instructions of virtual time per second of wall time
        self.keys = keys
        self.domains: dict[int, Domain] = {}
        self.recent: deque[str] = deque(maxlen=RECENT)
        self.strip: deque[int] = deque(maxlen=STRIP)
        self.output: deque[str] = deque([""], maxlen=OUTPUT_LINES)
        self.transcript = bytearray()  # everything the guest wrote
        self.running: int | None = None
        self.now = 0
        self.started: tuple[float, int] | None = None  # (wall clock, virtual time) at the first slice
        self.paused = False
        self.live = Live(self._view(), console=console, refresh_per_second=8, transient=False)

    def __enter__(self) -> LiveView:
        self.live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.running = None
        self.live.update(self._view())
        self.live.__exit__(*exc)
        if self.keys is not None:
            self.keys.close()

    # --- what is shown -------------------------------------------------------------------

    def _table(self) -> Table:
        """A row per domain; the one that had the CPU last is marked and bold."""
        table = Table(title=f"Lamina: virtual time {self.now:,} instructions" + ("  [PAUSED: space resumes]" if self.paused else ""))
        for col in ("", "domain", "state", "instructions", "syscalls", "faults", "frames"):
            table.add_column(col, justify="left" if col in ("", "domain", "state") else "right")
        for d in sorted(self.domains.values(), key=lambda x: x.id):
            on_cpu = d.id == self.running
            state = "running" if on_cpu and d.alive else d.state.name.lower()
            table.add_row(Text("▶" if on_cpu else " ", style=colour(d.id)), Text(d.label, style=colour(d.id)), state,
                          f"{d.stats.instructions:,}", f"{d.stats.syscalls:,}", f"{d.stats.faults:,}",
                          f"{d.subtree_pages:,}", style="bold" if on_cpu else None)
        return table

    def _strip(self) -> Text:
        """A cell per recent slice, in the colour of the domain that ran it."""
        text = Text("schedule: ")
        for did in self.strip:
            text.append("█", style=colour(did))
        return text

    def _frames(self) -> Text:
        """Frames held per domain, as bars."""
        top = max((d.subtree_pages for d in self.domains.values()), default=1) or 1
        text = Text()
        for d in sorted(self.domains.values(), key=lambda x: x.id):
            text.append(f"{d.label[:22]:<22} ", style=colour(d.id))
            text.append("■" * max(0, round(BAR * d.subtree_pages / top)), style=colour(d.id))
            text.append(f" {d.subtree_pages:,}\n")
        return text

    def _view(self) -> Group:
        parts = [self._table(), self._strip(), Panel(self._frames(), title="frames held", expand=False),
                 Panel(Text("\n".join(self.output)), title="guest output", height=OUTPUT_LINES + 2)]
        if self.recent:
            parts.append(Text("recent: " + " | ".join(self.recent), style="dim"))
        return Group(*parts)

    # --- the guest's output ------------------------------------------------------------

    def console_sink(self, data: bytes) -> None:
        """The board's console, while the view is up: into the pane (and the transcript)."""
        self.transcript.extend(data)
        *done, partial = (self.output.pop() + data.decode(errors="replace")).split("\n")
        self.output.extend(done)
        self.output.append(partial)

    # --- pace --------------------------------------------------------------------------

    def _pace(self) -> None:
        """Hold the run back to `speed` instructions a second, and wait while paused."""
        if self.keys is not None and self.keys.pressed():
            self.paused = True
            self.live.update(self._view())
            while not self.keys.pressed():
                time.sleep(0.05)
            self.paused = False
            self.started = None  # the pace starts again from here
        if not self.speed:
            return
        wall = time.monotonic()
        if self.started is None:
            self.started = (wall, self.now)
            return
        due = self.started[0] + (self.now - self.started[1]) / self.speed
        if due > wall:
            time.sleep(due - wall)

    # --- kernel events -----------------------------------------------------------------

    def slice(self, d: Domain, start: int, end: int) -> None:
        self.domains[d.id] = d
        self.running = d.id
        self.strip.append(d.id)
        self.now = end
        self._pace()  # first wait for the moment this slice ends at the chosen speed, then show it
        self.live.update(self._view())

    def message(self, sender: Domain | None, receiver: Domain, kind: str, at: int) -> None:
        self.domains[receiver.id] = receiver
        src = sender.label if sender else "kernel"
        self.recent.append(f"{at:,}: {kind} {src} -> {receiver.label}")

    def fault(self, d: Domain, cause: int, pc: int, tval: int, at: int, handled: bool) -> None:
        self.recent.append(f"{at:,}: fault in {d.label} at {pc:#x}")

    def exited(self, d: Domain, at: int) -> None:
        self.domains[d.id] = d
        self.recent.append(f"{at:,}: {d.label} exited ({d.exit_status})")
