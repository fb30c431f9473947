"""Lab util, hidden graders: find and xargs together, errors, no input."""

from __future__ import annotations

import pytest

from labsupport import shell


@pytest.mark.points(10)
def test_find_piped_to_xargs_counts_each_file():
    g = shell("mkdir -p a/b/c\necho x > a/b/f\necho yy > a/f\necho zzz > a/b/c/f\nfind a -name f | xargs wc -c\n")
    got = sorted(" ".join(line.split()) for line in g.lines)
    assert got == ["2 a/b/f", "3 a/f", "4 a/b/c/f"], f"find a -name f | xargs wc -c printed {g.lines}"


@pytest.mark.points(5)
def test_find_says_when_a_directory_is_missing_and_fails():
    g = shell("find nowhere\necho status $?\n")
    assert g.lines[-1] == "status 1" and "find: nowhere: no such file or directory" in g.output, \
        f"find nowhere should say there is no such directory and exit 1; the shell showed {g.lines}"


@pytest.mark.points(5)
def test_xargs_without_input_runs_nothing():
    g = shell("echo -n '' > empty\ncat empty | xargs echo never\necho done\n")
    assert g.lines == ["done"], f"xargs with no input lines ran the command: {g.lines}"
