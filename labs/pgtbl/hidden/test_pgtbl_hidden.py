"""Lab pgtbl, hidden graders: the memory calls, the shell, the edges."""

from __future__ import annotations

import pytest

from labsupport import guest, shell


@pytest.mark.points(10)
def test_unmap_and_lookup_as_the_memory_calls_see_them():
    import re

    g = guest("memcalls")
    got = dict(re.findall(r"^(\S+) = (-?\w+)$", g.output, re.M))
    for name, want in (("page_unmap.original", "0"), ("page_unmap.original_gone", "-2"),
                       ("page_unmap.last_mapping", "0"), ("page_unmap.frame_freed", "1"),
                       ("page_unmap.again", "-2"), ("page_query.unmapped", "-2"), ("page_query.page_zero", "-2")):
        assert got.get(name) == want, f"memcalls {name} = {got.get(name)}, expected {want}"
    assert g.status() == 0, g.trouble()


@pytest.mark.points(10)
def test_the_shell_runs_on_your_page_tables():
    g = shell("ls /bin | wc -l\necho done\n")
    assert g.lines[-1] == "done" and int(g.lines[0]) > 10, f"the shell showed {g.lines}; {g.trouble()}"


@pytest.mark.points(5)
def test_page_zero_and_the_last_page_are_ordinary_pages():
    g = guest("edges")
    assert g.status() == 0 and "zero.stored_and_loaded = 6912" in g.output and \
        "last.write_ending_at_limit = 5" in g.output, f"edges: {g.trouble()}"
