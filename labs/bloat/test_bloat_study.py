"""Lab bloat, public graders: the answers file against the reference tree's own counts
(measured here, in the same run, by the same study), and memcpy made cheaper.

Counts in Lamina are exact and deterministic, so a measured answer is right or wrong:
the reference is `lamina bloat` run on the instructor's tree, never a number written
into the grader. Crossings and messages do not depend on memcpy's speed."""

from __future__ import annotations

import os
import tomllib
from pathlib import Path

import pytest

from labsupport import bloat_study, guest

# (answers.toml key, the study's workload, its layering, the figure)
COUNTED = [
    ("null_operation_instructions", "null operation", "raw kernel calls", "instructions"),
    ("read_4k_crossings", "read 4 KiB", "file server over IPC", "crossings"),
    ("read_4k_messages", "read 4 KiB", "file server over IPC", "messages"),
    ("create_file_crossings", "create a file", "file server over IPC", "crossings"),
    ("fork_exit_crossings", "fork and exit", "process personality (library OS)", "crossings"),
    ("pipe_4k_messages", "pipe transfer of 4 KiB", "process personality (library OS)", "messages"),
]
# Any copy a byte at a time costs at least a load and a store per byte: a page copy in
# fewer instructions than it has bytes moves several bytes an instruction.
PAGE = 4096


def answers() -> dict:
    tree = Path(os.environ.get("LAMINA_LAB_TREE", Path(__file__).resolve().parents[2]))
    with open(tree / "labs" / "bloat" / "answers.toml", "rb") as f:
        return tomllib.load(f)


def reference() -> dict:
    """The study's figures on the instructor's tree: {(workload, layering): cost}."""
    return bloat_study(str(Path(__file__).resolve().parents[2]))


@pytest.mark.points(30)
def test_the_measured_answers_match_the_reference_trees_counts():
    given, want = answers(), reference()
    wrong = []
    for key, workload, layering, figure in COUNTED:
        right = want[(workload, layering)][figure]
        if not isinstance(given.get(key), (int, float)) or round(given[key], 2) != round(right, 2):
            wrong.append(f"{key} = {given.get(key)} ({workload}, {layering}: {figure} per operation)")
    assert not wrong, "these answers are not what the study measures: " + "; ".join(wrong)


@pytest.mark.points(10)
def test_the_costliest_layer_of_a_read_through_the_file_server():
    costs = reference()[("read 4 KiB", "file server over IPC")]["by_layer"]
    right = max(costs, key=costs.get)
    got = answers().get("read_4k_costliest_layer")
    assert got == right, f"read_4k_costliest_layer = {got!r}: look at the study's layers for reading 4 KiB " \
                         f"through the file server (lamina bloat, or its --html report)"


@pytest.mark.points(10)
def test_a_faster_memcpy_still_copies_every_byte_right():
    g = guest("copybench")
    v = g.values
    assert 0 < int(v.get("copy.page_instructions", "-1")) < PAGE, \
        "memcpy still copies a byte at a time (or copybench did not run): nothing new to check yet"
    assert v.get("copy.wrong") == "0", \
        f"{v.get('copy.wrong')} copies (over source and destination offsets 0..7 and lengths around the word " \
        f"and block sizes) went wrong, or wrote outside the destination; {g.trouble()}"


@pytest.mark.points(20)
def test_a_page_copy_moves_several_bytes_an_instruction():
    g = guest("copybench")
    v = g.values
    page = int(v.get("copy.page_instructions", "-1"))
    assert 0 < page < PAGE, \
        f"an aligned 4 KiB memcpy takes {page:,} instructions: a byte at a time costs at least two a byte; " \
        f"move a word (8 bytes) at a time where source and destination allow it"
