"""Chrome Trace Event files of a run (`lamina run --trace FILE`), in virtual time.

The file opens in Perfetto UI (ui.perfetto.dev) and chrome://tracing: one track per
domain and one for the kernel; time slices, system calls, faults and upcalls as
slices; IPC as flow arrows from sender to receiver; disk work and network frames
(described as tcpdump would) on device tracks;
instruction and page counters. A timestamp is virtual time: 1 µs in the viewer is one
guest instruction, so the same command always writes the same bytes.

Categories (`--trace-cats`) choose what is recorded, like Nachos's debug flags:
sched, syscall, fault, ipc, device, counter.
"""

from __future__ import annotations

import json
from pathlib import Path

from emulator.riscv import cause_from_code
from kernel.abi import Sys
from kernel.domain import Domain
from kernel.tracing import Tracer
from lamina.framedesc import describe_frame

CATEGORIES = ("sched", "syscall", "fault", "ipc", "device", "counter")
PID = 1
KERNEL_TID = 0
DEVICE_TID = {"disk": 100_000, "nic": 100_001}


class TraceError(ValueError):
    """Bad trace options."""


def parse_categories(text: str | None) -> frozenset[str]:
    """'syscall,ipc' -> the set; None -> every category."""
    if not text:
        return frozenset(CATEGORIES)
    cats = frozenset(c.strip() for c in text.split(",") if c.strip())
    unknown = sorted(cats - set(CATEGORIES))
    if unknown:
        raise TraceError(f"unknown trace categories {', '.join(unknown)}; choose from {', '.join(CATEGORIES)}")
    return cats


def syscall_name(number: int) -> str:
    """'ipc_call' for a system call number."""
    try:
        return Sys(number).name.lower()
    except ValueError:
        return f"syscall {number}"


class ChromeTrace(Tracer):
    """Collects trace events during a run; `write` saves them."""

    def __init__(self, categories: frozenset[str] = frozenset(CATEGORIES)) -> None:
        self.cats = categories
        self.events: list[dict] = []
        self._named: dict[int, str] = {}  # track id -> its name now
        self._open_syscall: dict[int, tuple[str, int, int]] = {}  # domain id -> (name, pc, at)
        self._flows = 0
        self._last_running: int | None = None
        self._thread(KERNEL_TID, "kernel")

    # --- helpers ---------------------------------------------------------------------

    def _thread(self, tid: int, name: str) -> None:
        """Name a track, and name it again when its name changes (a domain that exec'd
        a program is named after it; viewers take the last name)."""
        if self._named.get(tid) != name:
            if tid not in self._named:
                self.events.append({"ph": "M", "name": "thread_sort_index", "pid": PID, "tid": tid,
                                    "args": {"sort_index": tid}})
            self._named[tid] = name
            self.events.append({"ph": "M", "name": "thread_name", "pid": PID, "tid": tid, "args": {"name": name}})

    def _track(self, d: Domain) -> int:
        """The track of domain d, named on first use."""
        self._thread(d.id, d.label)
        return d.id

    def _slice(self, cat: str, name: str, tid: int, start: int, end: int, args: dict | None = None) -> None:
        """A complete (X) event."""
        event = {"ph": "X", "cat": cat, "name": name, "pid": PID, "tid": tid, "ts": start, "dur": end - start}
        if args:
            event["args"] = args
        self.events.append(event)

    # --- kernel events ---------------------------------------------------------------

    def slice(self, d: Domain, start: int, end: int) -> None:
        if "sched" in self.cats:
            tid = self._track(d)
            self._slice("sched", "running", tid, start, end, {"instructions": d.stats.instructions})
            if self._last_running != d.id:
                self._slice("sched", f"switch to {d.label}", KERNEL_TID, start, start)
            self._last_running = d.id
        if "counter" in self.cats:
            self.events.append({"ph": "C", "cat": "counter", "name": f"pages {d.label}", "pid": PID, "ts": end,
                                "args": {"frames": d.subtree_pages}})
            self.events.append({"ph": "C", "cat": "counter", "name": f"instructions {d.label}", "pid": PID, "ts": end,
                                "args": {"instructions": d.stats.instructions}})

    def syscall_enter(self, d: Domain, number: int, pc: int, at: int) -> None:
        if "syscall" in self.cats:
            self._open_syscall[d.id] = (syscall_name(number), pc, at)

    def syscall_exit(self, d: Domain, at: int) -> None:
        opened = self._open_syscall.pop(d.id, None)
        if opened is not None:
            name, pc, start = opened
            self._slice("syscall", name, self._track(d), start, at, {"pc": d.describe_pc(pc)})

    def fault(self, d: Domain, cause: int, pc: int, tval: int, at: int, handled: bool) -> None:
        if "fault" in self.cats:
            name = ("upcall: " if handled else "fatal: ") + cause_from_code(cause).label
            self._slice("fault", name, self._track(d), at, at, {"pc": d.describe_pc(pc), "tval": hex(tval)})

    def message(self, sender: Domain | None, receiver: Domain, kind: str, at: int) -> None:
        if "ipc" not in self.cats:
            return
        self._flows += 1
        src = self._track(sender) if sender is not None else KERNEL_TID
        dst = self._track(receiver)
        self._slice("ipc", f"{kind} sent", src, at, at)
        self._slice("ipc", f"{kind} received", dst, at, at)
        common = {"cat": "ipc", "name": kind, "pid": PID, "id": self._flows, "ts": at}
        self.events.append({"ph": "s", "tid": src, **common})
        self.events.append({"ph": "f", "bp": "e", "tid": dst, **common})

    def device(self, d: Domain | None, device: str, what: str, start: int, end: int) -> None:
        if "device" in self.cats:
            tid = DEVICE_TID[device]
            self._thread(tid, device)
            self._slice("device", what, tid, start, end, {"for": d.label if d else "nobody"})

    def frame(self, d: Domain | None, direction: str, data: bytes, at: int) -> None:
        if "device" in self.cats:
            tid = DEVICE_TID["nic"]
            self._thread(tid, "nic")
            who = d.label if d else "nobody"
            self._slice("device", f"{direction} {describe_frame(data)}", tid, at, at,
                        {"for": who, "bytes": len(data)})

    def exited(self, d: Domain, at: int) -> None:
        self.syscall_exit(d, at)  # exit never returns: close its slice here
        if "sched" in self.cats:
            status = d.exit_status if d.exit_status is not None else "?"
            self._slice("sched", f"exit {status}", self._track(d), at, at)

    # --- output ----------------------------------------------------------------------

    def document(self) -> dict:
        """The whole trace as a Chrome Trace Event JSON object."""
        meta = [{"ph": "M", "name": "process_name", "pid": PID, "args": {"name": "Lamina board"}}]
        return {"traceEvents": meta + self.events, "displayTimeUnit": "ns",
                "otherData": {"time unit": "1 us = 1 guest instruction (virtual time)"}}

    def text(self) -> str:
        """The trace as canonical JSON (same run, same bytes)."""
        return json.dumps(self.document(), sort_keys=True, separators=(",", ":")) + "\n"

    def write(self, path: Path) -> None:
        """Save the trace as canonical JSON."""
        path.write_text(self.text())
