"""The `lamina` command as a newcomer meets it: help, version, the list of programs,
and output files whose folder is wrong refused with one line before any work is done.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest


def lamina(*args: str) -> subprocess.CompletedProcess:
    """Run the CLI as a user would, in a fresh interpreter."""
    return subprocess.run([sys.executable, "-m", "lamina.cli", *args], capture_output=True, text=True)


def test_lamina_alone_prints_the_help_with_every_command():
    r = lamina()
    assert r.returncode == 0
    for command in ("run", "net", "programs", "build", "image", "bench", "bloat", "stats"):
        assert command in r.stdout
    assert "usage: lamina" in r.stdout


def test_version_names_the_installed_package():
    from importlib import metadata

    r = lamina("--version")
    assert r.returncode == 0 and r.stdout.strip() == f"lamina {metadata.version('lamina')}"


def test_programs_lists_every_program_under_its_kind():
    userland = Path(__file__).resolve().parent.parent / "userland"
    r = subprocess.run([sys.executable, "-m", "lamina.cli", "programs"], capture_output=True, text=True,
                       env={"COLUMNS": "400", "PATH": ""})
    assert r.returncode == 0
    rows = {line.split("│")[1].strip(): line.split("│")[3].split() for line in r.stdout.splitlines()
            if line.startswith("│")}
    for kind in ("bin", "sbin", "demos", "tests", "bench"):
        assert sorted(rows[f"/{kind}"]) == sorted(p.stem for p in (userland / kind).glob("*.c"))


def test_stats_without_a_flag_prints_the_lines_of_code():
    r = lamina("stats")
    assert r.returncode == 0 and "kernel" in r.stdout and "Python" in r.stdout


OUTPUTS = [
    ("run", "--stats-json", "hello"),
    ("run", "--trace", "hello"),
    ("run", "--flame", "hello"),
    ("bloat", "--html"),
    ("bloat", "--json"),
    ("bench", "--json"),
    ("net", "--pcap", "nicping", "ping", "1", "+", "nicping", "echo", "1"),
]


@pytest.mark.parametrize("words", OUTPUTS, ids=[" ".join(w[:2]) for w in OUTPUTS])
def test_an_output_in_a_folder_that_does_not_exist_is_one_line_and_nothing_runs(words, tmp_path):
    command, option, *rest = words
    target = tmp_path / "no" / "such" / "out.file"
    r = lamina(command, option, str(target), *rest)
    assert r.returncode == 2
    assert r.stderr.strip().splitlines() == [f"lamina {command}: {option} {target}: there is no folder {target.parent}"]
    assert "measuring" not in r.stderr and "Traceback" not in r.stderr  # nothing ran


def test_an_output_that_is_a_folder_is_refused(tmp_path):
    r = lamina("run", "--stats-json", str(tmp_path), "hello")
    assert r.returncode == 2
    assert r.stderr.strip() == f"lamina run: --stats-json {tmp_path}: is a folder; name a file in it"
    assert r.stdout == ""  # hello never ran


def test_the_stats_table_never_cuts_a_number_and_its_total_row_adds_up():
    import io

    from rich.console import Console

    from guest import run
    from lamina.report import print_stats

    r = run("spin 400000", ["hello", "an_argument_long_enough_to_need_folding", "and_another_one"])
    out = io.StringIO()
    print_stats(r.result, Console(file=out, width=80))
    text = out.getvalue()
    for d in r.result.domains:
        assert f"{d.stats.instructions:,}" in text
    total_row = next(line for line in text.splitlines() if line.startswith("│    all"))
    cells = [c.strip() for c in total_row.strip("│").split("│")]
    assert cells[-1] == str(sum(d.stats.slices for d in r.result.domains))  # slices, not "N switches"
    assert "context switches" in text
