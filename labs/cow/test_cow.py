"""Lab cow, public graders: forked children run and report; a child copies only the
pages it writes, and neither process sees the other's writes; the parent's memory is
shared, not copied, at fork.

Expected values come from the programs' own arithmetic (cowtest writes K of M pages,
so K copies) and from what fork must not do (copy pages nobody wrote)."""

from __future__ import annotations

import re

import pytest

from labsupport import guest

BUDGET = 20_000_000  # guest instructions: each program needs far less; a fault loop ends here
LOOP_HINT = ("a copy-on-write fault that leaves the page without write permission, or does not map the copy, "
             "faults again and again")


def line(g, pattern: str) -> re.Match:
    m = re.search(pattern, g.output)
    trouble = g.trouble()
    hint = f" ({LOOP_HINT})" if not g.finished or "store page fault" in trouble else ""
    assert m, f"no line matching {pattern!r} in {g.output!r}; {trouble}{hint}"
    return m


@pytest.mark.points(15)
def test_forked_children_run_and_each_status_comes_back_once():
    g = guest("forktest 5", budget=BUDGET)
    line(g, r"forktest: ok")
    assert g.status() == 0


@pytest.mark.points(20)
def test_a_child_copies_only_the_pages_it_writes_and_the_parent_never_sees_them():
    g = guest("cowtest 16 5", budget=BUDGET)
    m = line(g, r"child copied (\d+) pages for 5 writes to 16 pages")
    assert int(m[1]) == 5, f"the child copied {m[1]} pages for 5 writes: each first write to a shared page " \
                           f"copies that page, and only that one"
    assert line(g, r"child read (\d+) wrong bytes")[1] == "0", "the child read other bytes than the parent wrote"
    after = line(g, r"child sees (\d+) of the parent's writes after fork")
    assert after[1] == "0", "the parent's write after fork showed in the child's memory: at fork the parent's " \
                            "writable pages must be made copy-on-write too, not only the child's"
    seen = line(g, r"parent sees (\d+) pages changed")
    assert seen[1] == "0", f"the child's writes reached the parent's memory in {seen[1]} pages: at fork the " \
                           f"parent's writable pages must be made copy-on-write too, not only the child's"


@pytest.mark.points(15)
def test_the_parents_memory_is_shared_at_fork_not_copied():
    g = guest("forkexit 1 64", budget=BUDGET)
    assert g.status(0) == 0, f"forkexit failed; {g.trouble()}"
    parent = g.result.domains[0]
    child = next(d for d in g.result.kernel.domains.values() if d is not parent)
    assert child.stats.pages_peak < 32, \
        f"the child held {child.stats.pages_peak} frames of its own at most, after a fork from a parent with 64 " \
        f"pages of heap: fork must map the parent's pages into the child, not copy them"
