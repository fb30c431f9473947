"""Statistics at the end of a run: per domain and in total, as a table or as JSON.

Every figure is in guest-visible units (instructions, traps, frames), never host time,
so the same command always reports the same numbers: a JSON report is byte-identical
across runs.
"""

from __future__ import annotations

import json
from typing import Any

from rich.console import Console
from rich.table import Table

from kernel.domain import Domain
from lamina.system import RunResult

STATS_FORMAT = 1


def domain_record(d: Domain) -> dict[str, Any]:
    """One domain's counters as plain data."""
    killed = None
    if d.killed_by is not None:
        t = d.killed_by
        killed = {"cause": t.cause.label, "code": int(t.cause), "pc": t.pc, "tval": t.tval}
    s = d.stats
    return {
        "id": d.id,
        "name": d.name,
        "program": d.image.name if d.image else None,
        "parent": d.creator,
        "argv": d.argv,
        "status": d.exit_status,
        "killed_by": killed,
        "instructions": s.instructions,
        "crossings": s.crossings,
        "syscalls": s.syscalls,
        "faults": s.faults,
        "upcalls": s.upcalls,
        "ipc_sent": s.ipc_sent,
        "pages_peak": s.pages_peak,
        "slices": s.slices,
    }


def stats_record(result: RunResult) -> dict[str, Any]:
    """The whole run's counters as plain data (the --stats-json document)."""
    k = result.kernel
    domains = [domain_record(d) for d in k.domains.values()]
    return {
        "format": STATS_FORMAT,
        "quantum": k.quantum,
        "ram_mib": k.board.config.ram_mib,
        "total": {
            "instructions": k.board.instructions,
            "context_switches": k.switches,
            "crossings": sum(d["crossings"] for d in domains),
            "syscalls": sum(d["syscalls"] for d in domains),
            "faults": sum(d["faults"] for d in domains),
            "frames_free_at_end": k.frames.free_count,
        },
        "domains": domains,
    }


def stats_json(result: RunResult) -> str:
    """The stats document as canonical JSON text (sorted keys, fixed layout)."""
    return json.dumps(stats_record(result), indent=2, sort_keys=True) + "\n"


COLUMNS = ("domain", "parent", "command", "status", "instructions", "syscalls", "faults", "crossings",
           "pages peak", "slices")


def stats_rows(record: dict[str, Any]) -> list[list[str]]:
    """The table's rows: a domain each, then the total of each column that adds up."""
    rows = []
    for d in record["domains"]:
        status = str(d["status"]) if d["killed_by"] is None else f"killed ({d['killed_by']['cause']})"
        rows.append([str(d["id"]), str(d["parent"] or ""), " ".join(d["argv"]), status, f"{d['instructions']:,}",
                     f"{d['syscalls']:,}", f"{d['faults']:,}", f"{d['crossings']:,}", f"{d['pages_peak']:,}",
                     f"{d['slices']:,}"])
    t = record["total"]
    rows.append(["all", "", "", "", f"{t['instructions']:,}", f"{t['syscalls']:,}", f"{t['faults']:,}",
                 f"{t['crossings']:,}", "", f"{sum(d['slices'] for d in record['domains']):,}"])
    return rows


def print_stats(result: RunResult, console: Console) -> None:
    """A per-domain table of the counters, with a total row. Numbers are never cut: the
    command column folds instead, whatever the width."""
    record = stats_record(result)
    rows = stats_rows(record)
    table = Table(title="Lamina run statistics (virtual time = guest instructions)",
                  caption=f"{record['total']['context_switches']:,} context switches; "
                          f"{record['total']['frames_free_at_end']:,} frames free at the end")
    for col in COLUMNS:
        table.add_column(col, justify="left" if col in ("command", "status") else "right",
                         overflow="fold" if col == "command" else "ellipsis", no_wrap=col != "command")
    for row in rows:
        table.add_row(*row)
    # Never narrower than the numbers need: a narrow terminal wraps the lines, but no
    # figure is cut (rich would otherwise shorten "1,305,127" to "1,305,1…").
    fixed = sum(max(len(c), *(len(r[i]) for r in rows)) + 3 for i, c in enumerate(COLUMNS) if c != "command") + 1
    width = console.width
    console.width = max(width, fixed + 12)
    try:
        console.print(table)
    finally:
        console.width = width
