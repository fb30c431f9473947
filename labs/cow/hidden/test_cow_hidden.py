"""Lab cow, hidden graders: a thousand forks leak no frame, a page nobody else maps is
taken back without a copy, the stack below the stack pointer, and fork with exec in
the shell."""

from __future__ import annotations

import re

import pytest

from labsupport import guest, shell

BUDGET = 40_000_000


@pytest.mark.points(15)
def test_a_thousand_forks_leave_every_frame_free():
    g = guest("forkexit 1000 8", budget=BUDGET)
    assert g.finished and g.status() == 0, f"forkexit 1000 8 did not end well; {g.trouble()}"
    frames = g.result.kernel.frames
    assert frames.free_count == frames.nframes, \
        f"{frames.nframes - frames.free_count} frames are still held after every process ended: a copy that " \
        f"replaced a shared page must leave the old frame to its other holders, and nothing else"


@pytest.mark.points(10)
def test_a_page_nobody_else_maps_is_taken_back_without_a_copy():
    g = guest("cowtest 16 5", budget=BUDGET)
    m = re.search(r"parent took back (\d+) pages, copied (\d+), for 5 writes", g.output)
    assert m, f"cowtest printed {g.output!r}; {g.trouble()}"
    assert (m[1], m[2]) == ("5", "0"), \
        f"after the child ended, the parent took back {m[1]} and copied {m[2]} of the 5 pages it wrote: a page " \
        f"only this process maps (page_query: PAGE_OWNED, not PAGE_SHARED) is made writable again, not copied"


@pytest.mark.points(10)
def test_the_stack_below_the_stack_pointer_and_each_processs_own_stack():
    g = guest("forkstack", budget=BUDGET)
    assert "forkstack: child reads back yes" in g.output and "parent still sees its own stack: yes" in g.output, \
        f"forkstack printed {g.output!r}; {g.trouble()}"


@pytest.mark.points(10)
def test_the_shell_forks_and_execs_a_pipeline():
    g = shell("echo one two three | wc -w\n")
    assert re.search(r"^\s*3\s*$", g.output, re.M), f"the shell printed {g.output[-300:]!r}; {g.trouble()}"
