"""`lamina run --watch`: a live view of the machine for lectures and demos.

A terminal table, redrawn after every time slice: each domain with its state,
instructions, system calls, faults and frames, and the last messages between domains.
`--watch-speed N` slows the run down to N slices a second of host time so an
audience can follow; the guest cannot tell (its time is virtual).
"""

from __future__ import annotations

import time
from collections import deque

from rich.console import Console
from rich.live import Live
from rich.table import Table

from kernel.domain import Domain
from kernel.tracing import Tracer

RECENT = 6


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


class LiveView(Tracer):
    """Redraws the table of domains as the kernel reports slices and messages."""

    def __init__(self, console: Console, slices_per_second: float | None = None) -> None:
        self.console = console
        self.delay = 1.0 / slices_per_second if slices_per_second else 0.0
        self.domains: dict[int, Domain] = {}
        self.recent: deque[str] = deque(maxlen=RECENT)
        self.now = 0
        self.live = Live(self._table(), console=console, refresh_per_second=8, transient=False)

    def __enter__(self) -> LiveView:
        self.live.__enter__()
        return self

    def __exit__(self, *exc) -> None:
        self.live.update(self._table())
        self.live.__exit__(*exc)

    def _table(self) -> Table:
        """The current picture."""
        table = Table(title=f"Lamina: virtual time {self.now:,} instructions")
        for col in ("domain", "state", "instructions", "syscalls", "faults", "frames"):
            table.add_column(col, justify="left" if col in ("domain", "state") else "right")
        for d in sorted(self.domains.values(), key=lambda x: x.id):
            table.add_row(d.label, d.state.name.lower(), f"{d.stats.instructions:,}", f"{d.stats.syscalls:,}",
                          f"{d.stats.faults:,}", f"{d.subtree_pages:,}")
        if self.recent:
            table.caption = "recent: " + " | ".join(self.recent)
        return table

    def slice(self, d: Domain, start: int, end: int) -> None:
        self.domains[d.id] = d
        self.now = end
        self.live.update(self._table())
        if self.delay:
            time.sleep(self.delay)

    def message(self, sender: Domain | None, receiver: Domain, kind: str, at: int) -> None:
        self.domains[receiver.id] = receiver
        src = sender.label if sender else "kernel"
        self.recent.append(f"{at:,}: {kind} {src} -> {receiver.label}")

    def fault(self, d: Domain, cause: int, pc: int, tval: int, at: int, handled: bool) -> None:
        self.recent.append(f"{at:,}: fault in {d.label} at {pc:#x}")

    def exited(self, d: Domain, at: int) -> None:
        self.domains[d.id] = d
        self.recent.append(f"{at:,}: {d.label} exited ({d.exit_status})")
