"""Running the suite for `lamina bench`: a table on the terminal, figures as JSON."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.suite import Figure, run_suite


def figures_json(figures: list[Figure], repeat: int) -> str:
    """The figures, their targets and the machine, as JSON text."""
    import unicorn

    doc = {
        "repeat": repeat,
        "machine": {"python": platform.python_version(), "unicorn": unicorn.__version__,
                    "processor": platform.machine(), "system": platform.system()},
        "figures": [{**asdict(f), "met": f.met} for f in figures],
    }
    return json.dumps(doc, indent=2) + "\n"


def print_figures(figures: list[Figure], console: Console) -> None:
    """One row per figure: ratio, target, verdict and the raw numbers."""
    table = Table(title="Lamina benchmarks (each a ratio to a baseline measured in the same run; medians)")
    for col in ("figure", "ratio", "target", "met", "details"):
        table.add_column(col, justify="right" if col == "ratio" else "left")
    for f in figures:
        verdict = {True: "yes", False: "NO", None: "-"}[f.met]
        details = ", ".join(f"{k} {v:,.2f}" for k, v in f.detail.items())
        table.add_row(f.name, f"{f.ratio:.2f}", f.target or "-", verdict, details)
    console.print(table)


def main(json_path: Path | None, repeat: int, console: Console) -> int:
    """Run every benchmark, print the table, write JSON if asked."""
    figures = run_suite(repeat, progress=lambda name: console.print(f"[dim]measuring {name}...[/dim]"))
    print_figures(figures, console)
    if json_path is not None:
        json_path.write_text(figures_json(figures, repeat))
    return 0
