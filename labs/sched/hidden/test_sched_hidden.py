"""Lab sched, hidden graders: one turn per queue entry, O(log n) decisions, and the
whole system on the student's scheduler."""

from __future__ import annotations

import math

import pytest

from labsupport import sched_domain, shell


@pytest.mark.points(10)
def test_queueing_a_queued_domain_twice_gives_it_one_turn():
    from kernel.sched import StrideScheduler

    s = StrideScheduler()
    a, b = sched_domain(1, 100), sched_domain(2, 100)
    s.add(a)
    s.add(a)  # already queued: no second turn
    s.add(b)
    first, second, third = s.next(), s.next(), s.next()
    assert {first.id, second.id} == {1, 2} and third is None, \
        f"a domain added twice while queued got two turns: picks were {first}, {second}, {third}"


@pytest.mark.points(15)
def test_a_decision_among_a_thousand_domains_looks_at_o_log_n_of_them():
    from kernel.sched import StrideScheduler
    from labsupport import counting_sched_domain

    def looks_per_decision(n: int) -> float:
        counter = [0]
        s = StrideScheduler()
        domains = [counting_sched_domain(i + 1, 100 + i % 7, counter) for i in range(n)]
        for d in domains:
            s.add(d)
        counter[0] = 0
        decisions = 2 * n
        for _ in range(decisions):
            d = s.next()
            s.charge(d, 1000)
            s.add(d)
        return counter[0] / decisions

    small, large = looks_per_decision(10), looks_per_decision(1000)
    bound = 8 * math.log2(1000)
    assert large <= bound, f"a decision among 1,000 runnable domains read a pass or state {large:.0f} times " \
                           f"(among 10: {small:.0f}); a heap needs O(log n), about {bound:.0f} at most"


@pytest.mark.points(10)
def test_the_shell_and_the_file_server_run_on_your_scheduler():
    g = shell("echo one > f\ncat f\nls /bin | wc -l\n")
    assert "one" in g.lines and int(g.lines[-1]) > 10, f"the shell showed {g.lines}; {g.trouble()}"
