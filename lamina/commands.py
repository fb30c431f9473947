"""The `lamina` commands that build or report on Lamina itself rather than run a machine:
build, programs, stats, bloat and bench. (`lamina run` and `lamina net` are in cli.py.)

Each takes the parsed arguments and a console, and returns the exit status.
"""

from __future__ import annotations

import argparse
import sys

from rich.console import Console
from rich.table import Table

from lamina.outputs import OutputError, check_output, write_output


def cmd_build(stderr: Console, progress) -> int:
    """lamina build: build all of userland, and the disk image holding it."""
    from toolchain.build import BuildError, build_all, default_build_dir
    from toolchain.diskimage import build_disk_image

    try:
        built = build_all(progress=progress)
    except BuildError as err:
        stderr.print(str(err), highlight=False, markup=False)
        return 1
    image = build_disk_image(built, default_build_dir())
    stderr.print(f"built {len(built)} programs; {image} holds them by kind (/bin, /sbin, /demos, /tests, /bench)")
    return 0


def cmd_programs(stdout: Console) -> int:
    """lamina programs: every program `lamina run` can start, by kind."""
    from toolchain.layout import PROGRAM_FOLDERS, REPO_ROOT, SourceTree

    by_folder: dict[str, list[str]] = {}
    for name, source in SourceTree(REPO_ROOT).program_sources().items():
        by_folder.setdefault(source.parent.name, []).append(name)
    table = Table(title="Programs (lamina run NAME; on the disk image in /KIND/NAME)")
    for col in ("kind", "what they are", "programs"):
        table.add_column(col, overflow="fold")
    for folder in PROGRAM_FOLDERS:
        table.add_row(folder.disk_directory, folder.purpose, " ".join(by_folder.get(folder.name, [])))
    stdout.print(table)
    return 0


def cmd_stats(args: argparse.Namespace, stdout: Console) -> int:
    """lamina stats [--loc]: a table of code lines per layer and language (the one
    statistic there is, so also what plain `lamina stats` prints)."""
    from lamina.loc import layer_sizes

    table = Table(title="Lines of code per layer (not blank, not comments or docstrings)")
    for col in ("layer", "language", "files", "lines"):
        table.add_column(col, justify="right" if col in ("files", "lines") else "left")
    for size in layer_sizes():
        table.add_row(size.layer, size.language, str(size.files), f"{size.lines:,}")
    stdout.print(table)
    return 0


def cmd_bloat(args: argparse.Namespace, stderr: Console) -> int:
    """lamina bloat: run the study; a table, or JSON, and optionally an HTML page."""
    from lamina.bloat import study
    from lamina.bloatreport import costs_html, costs_json, print_costs

    try:
        check_output(args.json, "--json")
        check_output(args.html, "--html")
        costs = study(progress=lambda what: stderr.print(f"[dim]measuring {what}[/dim]", highlight=False))
        if args.json is not None:
            write_output(args.json, costs_json(costs), "--json")
        if args.json is None or str(args.json) != "-":
            print_costs(costs, Console(width=None if sys.stdout.isatty() else 160))
        if args.html:
            write_output(args.html, costs_html(costs), "--html")
    except OutputError as err:
        stderr.print(f"lamina bloat: {err}", highlight=False, markup=False)
        return 2
    return 0


def cmd_bench(args: argparse.Namespace, stderr: Console) -> int:
    """lamina bench: the benchmark suite; a table, or JSON."""
    from bench.report import figures_json, print_figures
    from bench.suite import run_suite

    stdout = Console(width=None if sys.stdout.isatty() else 140)
    try:
        check_output(args.json, "--json")
        only = set(args.only) if args.only else None
        figures = run_suite(args.pairs, progress=lambda name: stderr.print(f"[dim]measuring {name}...[/dim]"),
                            only=only)
        if args.json is None or str(args.json) != "-":
            print_figures(figures, stdout)
        if args.json is not None:
            write_output(args.json, figures_json(figures, args.pairs), "--json")
    except OutputError as err:
        stderr.print(f"lamina bench: {err}", highlight=False, markup=False)
        return 2
    return 0
