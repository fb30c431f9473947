"""Lab syscall, hidden graders: the call as --stats and traces show it; numbers that
follow the system."""

from __future__ import annotations

import re

import pytest

from labsupport import guest


@pytest.mark.points(10)
def test_the_call_is_counted_and_named_in_the_trace():
    from lamina.trace import ChromeTrace

    trace = ChromeTrace()
    g = guest("sysinfo", tracer=trace)
    names = [e.get("name") for e in trace.document()["traceEvents"]]
    assert "sysinfo" in names, "the trace has no system call named sysinfo"
    d = g.result.domains[0]
    assert d.stats.syscalls >= 2 and d.exit_status == 0, f"sysinfo did not run: {g.trouble()}"


@pytest.mark.points(5)
def test_the_numbers_follow_the_system():
    one = guest("sysinfo")
    more = guest("sysinfo", "spin 100000", "spin 100000", "spin 100000", "spin 100000")
    def numbers(g):
        return {k: int(v) for k, v in re.findall(r"^(free frames|live domains) (\d+)$", g.output, re.M)}
    a, b = numbers(one), numbers(more)
    assert a.get("live domains") == 1 and b.get("live domains") == 5, f"live domains: {a} alone, {b} with 4 more"
    assert b.get("free frames", 0) < a.get("free frames", 0), "more domains hold more frames: fewer should be free"
