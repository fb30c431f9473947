"""Lab util, public graders: find and xargs through the shell, on the disk image."""

from __future__ import annotations

import pytest

from labsupport import shell

TREE_SCRIPT = "mkdir -p a/b\necho x > a/b/f\necho y > a/f\n"


def lines(script: str) -> list[str]:
    """What the shell printed for script."""
    g = shell(script)
    assert g.finished, g.trouble()
    return g.lines


@pytest.mark.points(10)
def test_find_lists_every_path_under_a_directory():
    got = lines(TREE_SCRIPT + "find a\n")
    assert sorted(got) == ["a/b", "a/b/f", "a/f"], f"find a printed {got}, expected a/b, a/b/f and a/f"


@pytest.mark.points(10)
def test_find_name_keeps_only_paths_whose_last_name_matches():
    got = lines(TREE_SCRIPT + "echo z > a/ff\nfind a -name f\n")
    assert sorted(got) == ["a/b/f", "a/f"], f"find a -name f printed {got}, expected a/b/f and a/f (not a/ff)"


@pytest.mark.points(5)
def test_find_starts_from_an_absolute_path():
    got = lines("find /bin -name ls\n")
    assert got == ["/bin/ls"], f"find /bin -name ls printed {got}"


@pytest.mark.points(10)
def test_xargs_runs_the_command_with_the_line_as_its_last_argument():
    got = lines("echo hello | xargs echo bye\n")
    assert got == ["bye hello"], f"echo hello | xargs echo bye printed {got}"


@pytest.mark.points(5)
def test_xargs_runs_the_command_once_per_line_in_order():
    got = lines("echo one > l\necho two >> l\necho three >> l\ncat l | xargs echo line\n")
    assert got == ["line one", "line two", "line three"], f"xargs printed {got}"
