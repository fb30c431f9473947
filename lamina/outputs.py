"""Files the `lamina` command writes (stats JSON, traces, flame graphs, reports, pcaps):
checked before any work is done, so a mistyped path costs a line, not a run.

A run or a benchmark can take minutes; finding out at the end that the folder for its
report does not exist would lose all of it. So every output path is checked when the
command starts (its folder exists and may be written, and it is not itself a folder),
and written with a one-line message if writing still fails. `-` means standard output.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

STDOUT = Path("-")


class OutputError(Exception):
    """An output file that cannot be written; the message says which and why."""


def check_output(path: Path | None, option: str) -> None:
    """Refuse an output path that cannot be written (None, or '-', is fine)."""
    if path is None or path == STDOUT:
        return
    folder = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise OutputError(f"{option} {path}: is a folder; name a file in it")
    if not folder.is_dir():
        raise OutputError(f"{option} {path}: there is no folder {folder}")
    if not os.access(folder, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise OutputError(f"{option} {path}: not allowed to write there")


def write_output(path: Path, data: str | bytes, option: str) -> None:
    """Write a whole output file ('-': standard output), or raise OutputError."""
    if path == STDOUT:
        text = data if isinstance(data, str) else data.decode()
        sys.stdout.write(text)
        sys.stdout.flush()
        return
    try:
        if isinstance(data, str):
            path.write_text(data)
        else:
            path.write_bytes(data)
    except OSError as err:
        raise OutputError(f"{option} {path}: cannot write: {err.strerror}") from None
