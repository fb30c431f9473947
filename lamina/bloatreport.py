"""Showing the bloat study: a terminal table, JSON for scripts, a self-contained HTML
page with inline SVG charts for a lecture (no network access, no scripts)."""

from __future__ import annotations

import html
import json
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


def _bar_chart(workload: str, costs: list[Cost]) -> str:
    """An SVG of stacked horizontal bars, one per layering, split by layer."""
    width, row, left = 640, 34, 230
    biggest = max(c.instructions for c in costs) or 1
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{left + width + 120}" height="{row * len(costs) + 30}"'
             f' role="img" aria-label="{html.escape(workload)}">']
    for i, c in enumerate(costs):
        y, x = 10 + i * row, left
        parts.append(f'<text x="0" y="{y + 17}" font-size="13">{html.escape(c.layering)}</text>')
        for layer, value in c.by_layer.items():
            w = max(value / biggest * width, 0.5)
            parts.append(f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="22" fill="{COLOURS.get(layer, "#999")}">'
                         f'<title>{html.escape(layer)}: {value:,.1f}</title></rect>')
            x += w
        parts.append(f'<text x="{x + 6:.1f}" y="{y + 17}" font-size="13" data-instructions="{c.instructions:.1f}">'
                     f'{c.instructions:,.1f}</text>')
    parts.append("</svg>")
    return "".join(parts)


def costs_html(costs: list[Cost]) -> str:
    """A self-contained page: per workload, a chart and the table of its numbers."""
    workloads: dict[str, list[Cost]] = {}
    for c in costs:
        workloads.setdefault(c.workload, []).append(c)
    legend = " ".join(f'<span style="color:{colour}">&#9632;</span> {html.escape(name)}' for name, colour in COLOURS.items())
    body = [f"<h1>Where the instructions go</h1><p>Guest instructions for one operation, split by the layer "
            f"whose code ran them (kernel work costs crossings, not guest instructions).</p><p>{legend}</p>"]
    for workload, group in workloads.items():
        body.append(f"<h2>{html.escape(workload)}</h2>{_bar_chart(workload, group)}")
        body.append("<table><tr><th>layering</th><th>instructions</th><th>crossings</th><th>IPC messages</th>"
                    "<th>faults</th><th>frames</th></tr>")
        for c in group:
            body.append(f"<tr><td>{html.escape(c.layering)}</td><td>{c.instructions:,.1f}</td><td>{c.crossings:.2f}</td>"
                        f"<td>{c.messages:.2f}</td><td>{c.faults:.2f}</td><td>{c.frames}</td></tr>")
        body.append("</table>")
    style = ("body{font-family:sans-serif;max-width:60em;margin:2em auto}table{border-collapse:collapse}"
             "td,th{border:1px solid #ccc;padding:.2em .6em;text-align:right}td:first-child{text-align:left}")
    return (f'<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Lamina bloat study</title>'
            f"<style>{style}</style></head><body>{''.join(body)}</body></html>\n")
