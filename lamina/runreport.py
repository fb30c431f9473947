"""`lamina run --report run.html`: one self-contained page about a run, for a lecture.

Classrooms often have no network to reach ui.perfetto.dev, so this page needs none: no
script, no font, no style from elsewhere. It shows, in virtual time (instructions):

- a timeline with a lane per domain: when it ran (bars), its system calls (ticks), its
  faults (red marks) and the messages between domains (arrows from lane to lane);
- the frames each domain held, over time;
- the run's statistics, the same numbers as `--stats-json`.

Every mark carries its exact numbers (a hover title), and the tables print them.
RunRecorder is the tracer that collects what the page shows.
"""

from __future__ import annotations

import html
from dataclasses import dataclass, field

from emulator.riscv import cause_from_code
from kernel.domain import Domain
from kernel.tracing import Tracer
from lamina.report import COLUMNS, stats_record, stats_rows
from lamina.trace import syscall_name

WIDTH = 1100  # the timeline's width in pixels (the page is readable at 1200 px)
LANE = 34  # pixels per domain lane
LEFT = 170  # room for the lanes' names
MAX_MARKS = 20_000  # system-call ticks drawn at most (a long run keeps its first ones)
PALETTE = ("#4e79a7", "#f28e2b", "#59a14f", "#b07aa1", "#76b7b2", "#edc948", "#9c755f", "#ff9da7", "#bab0ac", "#e15759")


@dataclass
class RunRecorder(Tracer):
    """What the report shows, as the kernel tells it."""

    names: dict[int, str] = field(default_factory=dict)  # domain id -> label (its latest name)
    slices: list[tuple[int, int, int]] = field(default_factory=list)  # (domain, start, end)
    syscalls: list[tuple[int, int, str]] = field(default_factory=list)  # (domain, at, name)
    faults: list[tuple[int, int, str, bool]] = field(default_factory=list)  # (domain, at, cause, handled)
    messages: list[tuple[int | None, int, str, int]] = field(default_factory=list)  # (sender, receiver, kind, at)
    frames: dict[int, list[tuple[int, int]]] = field(default_factory=dict)  # domain -> [(at, frames)]
    exits: dict[int, int] = field(default_factory=dict)  # domain -> when it ended

    def _see(self, d: Domain) -> None:
        self.names[d.id] = d.label

    def slice(self, d, start, end):
        self._see(d)
        self.slices.append((d.id, start, end))
        self.frames.setdefault(d.id, []).append((end, d.subtree_pages))

    def syscall_enter(self, d, number, pc, at):
        self._see(d)
        if len(self.syscalls) < MAX_MARKS:
            self.syscalls.append((d.id, at, syscall_name(number)))

    def fault(self, d, cause, pc, tval, at, handled):
        self._see(d)
        self.faults.append((d.id, at, cause_from_code(cause).label, handled))

    def message(self, sender, receiver, kind, at):
        self._see(receiver)
        self.messages.append((sender.id if sender else None, receiver.id, kind, at))

    def exited(self, d, at):
        self._see(d)
        self.exits[d.id] = at
        self.frames.setdefault(d.id, []).append((at, d.subtree_pages))  # what it held to the end


def _color(did: int) -> str:
    return PALETTE[(did - 1) % len(PALETTE)]


def _x(t: int, end: int) -> float:
    return LEFT + (WIDTH - LEFT - 10) * t / max(end, 1)


def timeline_svg(rec: RunRecorder, end: int) -> str:
    """The lanes: slices, system calls, faults, and messages between lanes."""
    ids = sorted(rec.names)
    lane = {did: i for i, did in enumerate(ids)}
    height = LANE * len(ids) + 40
    out = [f'<svg class="timeline" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
           f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="12">',
           '<defs><marker id="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="6" markerHeight="6" '
           'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#333"/></marker></defs>']
    for did in ids:
        y = lane[did] * LANE + 20
        out.append(f'<g class="lane" data-domain="{did}"><text x="4" y="{y + 15}">{html.escape(rec.names[did])}</text>'
                   f'<line x1="{LEFT}" y1="{y + 26}" x2="{WIDTH - 10}" y2="{y + 26}" stroke="#ddd"/>')
        for d, start, stop in rec.slices:
            if d == did:
                x0, x1 = _x(start, end), _x(stop, end)
                out.append(f'<rect x="{x0:.1f}" y="{y + 4}" width="{max(x1 - x0, 0.6):.1f}" height="16" '
                           f'fill="{_color(did)}"><title>ran {start:,} to {stop:,}: {stop - start:,} instructions'
                           f'</title></rect>')
        out.append("</g>")
    for d, at, name in rec.syscalls:
        x, y = _x(at, end), lane[d] * LANE + 20
        out.append(f'<line class="syscall" x1="{x:.1f}" y1="{y + 21}" x2="{x:.1f}" y2="{y + 26}" stroke="#333">'
                   f'<title>{html.escape(name)} at {at:,}</title></line>')
    for d, at, cause, handled in rec.faults:
        x, y = _x(at, end), lane[d] * LANE + 20
        fill = "#e15759" if not handled else "#f28e2b"
        out.append(f'<path class="fault" d="M{x:.1f},{y + 2} l4,7 l-8,0 z" fill="{fill}">'
                   f'<title>{html.escape(cause)} at {at:,}{" (handled by its handler)" if handled else ""}</title></path>')
    for sender, receiver, kind, at in rec.messages:
        if sender is None or sender not in lane or receiver not in lane or sender == receiver:
            continue
        x, y0, y1 = _x(at, end), lane[sender] * LANE + 32, lane[receiver] * LANE + 32
        y1 += -10 if y1 > y0 else 10
        out.append(f'<line class="message" x1="{x:.1f}" y1="{y0}" x2="{x:.1f}" y2="{y1}" stroke="#333" '
                   f'stroke-width="0.7" marker-end="url(#arrow)"><title>{kind} from {html.escape(rec.names[sender])} '
                   f'to {html.escape(rec.names[receiver])} at {at:,}</title></line>')
    out.append(f'<text x="{LEFT}" y="{height - 4}" fill="#555">0</text>'
               f'<text x="{WIDTH - 10}" y="{height - 4}" fill="#555" text-anchor="end">{end:,} instructions</text></svg>')
    return "\n".join(out)


def frames_svg(rec: RunRecorder, end: int) -> str:
    """Frames each domain's subtree held at the end of each of its slices."""
    top = max(1, max((f for points in rec.frames.values() for _, f in points), default=1))
    height = 160
    out = [f'<svg class="frames" width="{WIDTH}" height="{height}" viewBox="0 0 {WIDTH} {height}" '
           f'xmlns="http://www.w3.org/2000/svg" font-family="sans-serif" font-size="12">']
    legend_y = 14
    for did, points in sorted(rec.frames.items()):
        coords = []
        last, y_last = 0, None
        for at, frames in points:  # after an exit, the slice's end records 0: its frames went back
            x, y = _x(at, end), height - 20 - (height - 40) * frames / top
            if y_last is not None:
                coords.append(f"{x:.1f},{y_last:.1f}")  # a step: the count held until now
            coords.append(f"{x:.1f},{y:.1f}")
            last, y_last = frames if frames else last, y
        out.append(f'<polyline class="frames-line" data-domain="{did}" fill="none" stroke="{_color(did)}" '
                   f'stroke-width="1.5" points="{" ".join(coords)}"><title>{html.escape(rec.names[did])}: '
                   f'{last:,} frames at its last slice</title></polyline>')
        out.append(f'<text x="4" y="{legend_y}" fill="{_color(did)}">{html.escape(rec.names[did])}: '
                   f'up to {max(f for _, f in points):,}</text>')
        legend_y += 14
    out.append(f'<text x="{WIDTH - 10}" y="{height - 4}" fill="#555" text-anchor="end">top: {top:,} frames</text></svg>')
    return "\n".join(out)


def stats_table_html(result) -> str:
    """The --stats table, as HTML (the same rows)."""
    rows = stats_rows(stats_record(result))
    head = "".join(f"<th>{html.escape(c)}</th>" for c in COLUMNS)
    body = "".join("<tr>" + "".join(f'<td class="{"text" if i in (2, 3) else "num"}">{html.escape(v)}</td>'
                                    for i, v in enumerate(row)) + "</tr>" for row in rows)
    return f'<table class="stats"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


STYLE = """
body { font-family: sans-serif; margin: 1.5em; color: #222; max-width: 1200px; }
h1 { font-size: 1.4em; } h2 { font-size: 1.1em; margin-top: 1.6em; }
.note { color: #555; font-size: 0.9em; }
table.stats { border-collapse: collapse; font-size: 0.95em; }
table.stats th, table.stats td { border: 1px solid #ccc; padding: 2px 8px; }
td.num { text-align: right; font-variant-numeric: tabular-nums; }
svg { display: block; max-width: 100%; height: auto; }
"""


def report_html(result, rec: RunRecorder, command: str) -> str:
    """The whole page."""
    record = stats_record(result)
    end = max([result.kernel.board.now, *(stop for _, _, stop in rec.slices)])
    total = record["total"]
    return f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Lamina run: {html.escape(command)}</title>
<style>{STYLE}</style></head><body>
<h1>Lamina run: <code>{html.escape(command)}</code></h1>
<p>{total['instructions']:,} guest instructions in {end:,} of virtual time; {len(rec.names)} domains,
{total['syscalls']:,} system calls, {total['faults']:,} faults, {len(rec.messages):,} messages,
{total['context_switches']:,} context switches. Virtual time is counted in instructions, so this page
is the same for the same command, run after run.</p>
<h2>Who ran when</h2>
<p class="note">A lane per domain: bars are its time slices, ticks below them its system calls,
triangles its faults (red: fatal; orange: handled by its own handler), arrows the messages
it sent. Hover over any mark for its exact numbers.{" Only the first " + f"{MAX_MARKS:,}" + " system calls are drawn." if len(rec.syscalls) >= MAX_MARKS else ""}</p>
{timeline_svg(rec, end)}
<h2>Frames held</h2>
<p class="note">Each domain's frames (pages and page tables, its children's included), at the end of each of its slices.</p>
{frames_svg(rec, end)}
<h2>Statistics</h2>
<p class="note">The same numbers as <code>lamina run --stats-json</code>.</p>
{stats_table_html(result)}
</body></html>
"""
