"""Running the suite for `lamina bench`: a table on the terminal, figures as JSON."""

from __future__ import annotations

import json
import platform
from dataclasses import asdict
from pathlib import Path

from rich.console import Console
from rich.table import Table

from bench.suite import Figure, run_suite


def figures_json(figures: list[Figure], pairs: int) -> str:
    """The figures, their targets and the machine, as JSON text."""
    import unicorn

    doc = {
        "pairs": pairs,
        "machine": {"python": platform.python_version(), "unicorn": unicorn.__version__,
                    "processor": platform.machine(), "system": platform.system()},
        "figures": [{**asdict(f), "met": f.met} for f in figures],
    }
    return json.dumps(doc, indent=2) + "\n"


def print_figures(figures: list[Figure], console: Console) -> None:
    """One row per figure: ratio, the middle half of the pairs' ratios, target, verdict
    and the raw numbers."""
    table = Table(title="Lamina benchmarks (each the median ratio of measured/baseline pairs taken back to back)")
    for col in ("figure", "ratio", "middle half", "target", "met", "details"):
        table.add_column(col, justify="right" if col in ("ratio", "middle half") else "left")
    for f in figures:
        verdict = {True: "yes", False: "NO", None: "-"}[f.met]
        details = ", ".join(f"{k} {v:,.2f}" for k, v in f.detail.items())
        low, high = f.spread
        table.add_row(f.name, f"{f.ratio:,.2f}", f"{low:,.2f} to {high:,.2f}", f.target or "-", verdict, details)
    console.print(table)


def main(json_path: Path | None, pairs: int, console: Console, only: set[str] | None = None) -> int:
    """Run the benchmarks, print the table, write JSON if asked."""
    figures = run_suite(pairs, progress=lambda name: console.print(f"[dim]measuring {name}...[/dim]"), only=only)
    print_figures(figures, console)
    if json_path is not None:
        json_path.write_text(figures_json(figures, pairs))
    return 0
