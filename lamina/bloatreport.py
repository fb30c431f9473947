"""Showing the bloat study: a terminal table, JSON for scripts, a self-contained HTML
page with an inline SVG chart for a lecture (no network access, no scripts)."""

from __future__ import annotations

import html
import json
import math
from dataclasses import asdict

from rich.console import Console
from rich.table import Table

from lamina.bloat import Cost

COLOURS = {"program": "#4e79a7", "C library": "#f28e2b", "file client": "#59a14f",
           "file server": "#e15759", "library OS": "#76b7b2"}


def costs_json(costs: list[Cost]) -> str:
    """The study as JSON text (stable key order)."""
    return json.dumps({"unit": "per operation, guest counts", "costs": [asdict(c) for c in costs]},
                      indent=2, sort_keys=True) + "\n"


def print_costs(costs: list[Cost], console: Console) -> None:
    """One row per workload and layering, with the instructions of each layer."""
    table = Table(title="The bloat study: the cost of one operation under each layering (guest counts)")
    for col in ("workload", "layering", "instructions", "by layer", "crossings", "IPC msgs", "faults",
                "frames", "code lines of the layers"):
        table.add_column(col, justify="right" if col in ("instructions", "crossings", "IPC msgs", "faults", "frames") else "left")
    for c in costs:
        layers = ", ".join(f"{k} {v:,.0f}" for k, v in c.by_layer.items())
        lines = ", ".join(f"{k} {v:,}" for k, v in c.lines.items())
        table.add_row(c.workload, c.layering, f"{c.instructions:,.1f}", layers, f"{c.crossings:.2f}",
                      f"{c.messages:.2f}", f"{c.faults:.2f}", str(c.frames), lines)
    console.print(table)


# The page (costs_html): one chart for every operation, on one logarithmic scale, so the
# null call (9 instructions) and fork (27,000) sit on one axis; every number printed.
CHART = 480  # pixels of the bars' axis: with the labels (210) and the totals (80), 770 px
GLOSSARY = (
    ("instruction", "one guest RISC-V instruction retired: Lamina's unit of time and of cost"),
    ("crossing", "a trap into the kernel: a system call or a fault"),
    ("IPC message", "a call, reply or notification between two domains, through the kernel"),
    ("fault", "a page fault or other exception the kernel delivers (copy-on-write is made of them)"),
    ("frame", "a 4 KiB page of physical memory; page tables count too"),
    ("layer", "whose code ran the instructions: the program, the C library, the library OS, a server"),
)


def _log_x(value: float, top: float) -> float:
    """Where value lands on the shared log axis (1 at the left, top at the right)."""
    return CHART * math.log10(max(value, 1.0)) / math.log10(max(top, 10.0))


def _ratio_callouts(group: list[Cost]) -> list[str]:
    """'C library = 96x raw kernel calls' for each layering after the group's first."""
    base = group[0]
    return [f"{html.escape(c.layering)} = {c.instructions / base.instructions:,.0f}x {html.escape(base.layering)}"
            for c in group[1:] if base.instructions > 0]


def _chart(costs: list[Cost]) -> str:
    """The whole study as one SVG: a row per layering, grouped by operation; the bar's
    length is its instructions on the log axis, its colours each layer's share."""
    top = max(c.instructions for c in costs)
    left, row, y = 0, 46, 24
    groups: dict[str, list[Cost]] = {}
    for c in costs:
        groups.setdefault(c.workload, []).append(c)
    parts = []
    for workload, group in groups.items():
        parts.append(f'<text x="{left}" y="{y}" font-weight="bold" font-size="14">{html.escape(workload)}</text>')
        y += 8
        for c in group:
            total = sum(c.by_layer.values()) or 1
            length = max(_log_x(c.instructions, top), 2.0)
            x = left
            parts.append(f'<g class="variant" data-instructions="{c.instructions:.1f}">'
                         f'<text x="{left}" y="{y + 13}" font-size="12">{html.escape(c.layering)}</text>')
            for layer, value in c.by_layer.items():
                w = length * value / total
                parts.append(f'<rect class="segment" data-layer="{html.escape(layer)}" x="{x + 210:.1f}" y="{y}" '
                             f'width="{max(w, 1.0):.1f}" height="16" fill="{COLOURS.get(layer, "#999")}">'
                             f'<title>{html.escape(layer)}: {value:,.1f}</title></rect>')
                x += w
            parts.append(f'<text x="{x + 216:.1f}" y="{y + 13}" font-size="12" font-weight="bold">'
                         f'{c.instructions:,.0f}</text>')
            detail = " · ".join(f"{layer} {value:,.0f}" for layer, value in c.by_layer.items())
            parts.append(f'<text x="{left + 210}" y="{y + 29}" font-size="11" fill="#444">{html.escape(detail)}</text></g>')
            y += row
        for callout in _ratio_callouts(group):
            parts.append(f'<text x="{left + 210}" y="{y}" font-size="12" fill="#b03030">{callout}</text>')
            y += 18
        y += 14
    ticks = [10 ** e for e in range(0, 7) if 10 ** e <= top * 1.5]
    axis = "".join(f'<line x1="{210 + _log_x(t, top):.1f}" y1="10" x2="{210 + _log_x(t, top):.1f}" y2="{y}" '
                   f'stroke="#eee"/><text x="{210 + _log_x(t, top):.1f}" y="{y + 14}" font-size="11" fill="#666" '
                   f'text-anchor="middle">{t:,}</text>' for t in ticks)
    return (f'<svg class="study" xmlns="http://www.w3.org/2000/svg" width="{210 + CHART + 80}" height="{y + 24}" '
            f'viewBox="0 0 {210 + CHART + 80} {y + 24}" font-family="sans-serif" role="img" '
            f'aria-label="guest instructions per operation, by layer">{axis}{"".join(parts)}</svg>')


def _table(costs: list[Cost]) -> str:
    """Every figure of the study, with the code lines of the layers each layering used."""
    rows = ["<table><tr><th>operation</th><th>layering</th><th>instructions</th><th>crossings</th>"
            "<th>IPC messages</th><th>faults</th><th>frames</th><th>code lines of its layers</th></tr>"]
    for c in costs:
        lines = ", ".join(f"{html.escape(k)} {v:,}" for k, v in c.lines.items())
        rows.append(f"<tr><td>{html.escape(c.workload)}</td><td>{html.escape(c.layering)}</td>"
                    f"<td>{c.instructions:,.1f}</td><td>{c.crossings:.2f}</td><td>{c.messages:.2f}</td>"
                    f"<td>{c.faults:.2f}</td><td>{c.frames}</td><td class=\"text\">{lines}</td></tr>")
    rows.append("</table>")
    return "".join(rows)


def costs_html(costs: list[Cost]) -> str:
    """A self-contained page for a lecture: one chart on one log scale with every number
    printed, ratio call-outs, the table of all figures, code lines, and a glossary."""
    repetitions = costs[0].repetitions
    legend = " ".join(f'<span style="color:{colour}">&#9632;</span> {html.escape(name)}' for name, colour in COLOURS.items())
    glossary = "".join(f"<dt>{html.escape(term)}</dt><dd>{html.escape(meaning)}</dd>" for term, meaning in GLOSSARY)
    body = (f"<h1>Where the instructions go</h1>"
            f"<p>Guest instructions for <em>one</em> operation under each layering, split by the layer whose code "
            f"ran them. Each figure is the difference of a run doing the operation {repetitions} times and one "
            f"doing it 0 times, divided by {repetitions}: exact counts, the same on every machine. The axis is "
            f"logarithmic, so the cheapest and the dearest operation fit on one chart; a bar's colours show each "
            f"layer's share of it, and the line under it the exact instructions of each.</p>"
            f"<p>{legend}</p>{_chart(costs)}<h2>Every figure</h2>{_table(costs)}"
            f"<h2>Words</h2><dl>{glossary}</dl>")
    style = ("body{font-family:sans-serif;max-width:780px;margin:1em auto;padding:0 10px}"
             "svg{max-width:100%;height:auto}table{border-collapse:collapse;font-size:13px}"
             "td,th{border:1px solid #ccc;padding:.2em .4em;text-align:right}td:first-child,td:nth-child(2),"
             "td.text{text-align:left}dt{font-weight:bold}dd{margin:0 0 .4em 1em}")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Lamina bloat study</title>'
            f"<style>{style}</style></head><body>{body}</body></html>\n")
