"""A checker for Chrome Trace Event files: what Perfetto and chrome://tracing require.

Used by the tests; returns a list of problems (empty when the file is valid).
"""

from __future__ import annotations

from collections import defaultdict

REQUIRED = {"X": ("name", "ph", "pid", "tid", "ts", "dur"), "M": ("name", "ph", "pid", "args"),
            "C": ("name", "ph", "pid", "ts", "args"), "s": ("name", "ph", "pid", "tid", "ts", "id"),
            "f": ("name", "ph", "pid", "tid", "ts", "id")}


def problems(document: dict) -> list[str]:
    """Every way the document breaks the format: fields, nesting, flows."""
    found = []
    events = document.get("traceEvents")
    if not isinstance(events, list):
        return ["no traceEvents list"]
    slices: dict[tuple[int, int], list[tuple[int, int, str]]] = defaultdict(list)
    flows: dict[int, list[str]] = defaultdict(list)
    for i, e in enumerate(events):
        ph = e.get("ph")
        if ph not in REQUIRED:
            found.append(f"event {i}: unknown phase {ph!r}")
            continue
        missing = [f for f in REQUIRED[ph] if f not in e]
        if missing:
            found.append(f"event {i}: missing {missing}")
            continue
        if ph == "X":
            if not isinstance(e["ts"], int) or not isinstance(e["dur"], int) or e["dur"] < 0:
                found.append(f"event {i}: bad ts/dur")
            slices[(e["pid"], e["tid"])].append((e["ts"], e["ts"] + e["dur"], e["name"]))
        if ph in ("s", "f"):
            flows[e["id"]].append(ph)
    for track, spans in slices.items():
        found += _nesting(track, spans)
    for flow_id, phases in flows.items():
        if sorted(phases) != ["f", "s"]:
            found.append(f"flow {flow_id}: unpaired {phases}")
    return found


def _nesting(track, spans) -> list[str]:
    """Slices on one track must be disjoint or nested (touching ends is fine)."""
    out = []
    ordered = sorted(spans, key=lambda s: (s[0], -s[1]))
    stack: list[tuple[int, int, str]] = []
    for start, end, name in ordered:
        while stack and stack[-1][1] <= start and not (stack[-1][1] == start == end):
            stack.pop()
        if stack and end > stack[-1][1]:
            out.append(f"track {track}: {name} [{start},{end}) overlaps {stack[-1][2]} {stack[-1][:2]}")
        stack.append((start, end, name))
    return out
