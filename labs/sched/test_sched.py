"""Lab sched, public graders: programs run, shares follow tickets exactly, and a
sleeper gets no burst. Expected values come from the stride-scheduling paper: over a
stretch in which all are runnable, a client with t of T tickets gets t/T of the
instructions, give or take one quantum (its slice in progress)."""

from __future__ import annotations

import pytest

from labsupport import guest, run_system

QUANTUM = 10_000


@pytest.mark.points(10)
def test_programs_run_on_your_scheduler():
    g = guest("hello sched", "spin 100000")
    assert g.finished and g.status(0) == 0 and g.status(1) == 0, f"hello and spin did not both end: {g.trouble()}"
    assert "argv[1] = sched" in g.output


@pytest.mark.points(20)
def test_three_spinners_with_3_2_1_tickets_get_3_2_1_of_the_instructions():
    from lamina.config import DomainSpec, SystemConfig

    config = SystemConfig("shares", quantum=QUANTUM, domains=tuple(
        DomainSpec(f"t{t}", "spin", ("2000000000",), share=t * 100) for t in (3, 2, 1)))
    g = run_system(config, max_instructions=6_000_000)
    got = [d.stats.instructions for d in g.result.domains]
    total = sum(got)
    for name, have, tickets in zip(("3 tickets", "2 tickets", "1 ticket"), got, (3, 2, 1)):
        want = total * tickets / 6
        assert abs(have - want) <= QUANTUM, \
            f"the domain with {name} ran {have:,} of {total:,} instructions; stride scheduling gives {want:,.0f} " \
            f"within one quantum ({QUANTUM:,}); all three: {got}"


@pytest.mark.points(15)
def test_a_domain_that_slept_gets_no_catch_up_burst():
    from kernel.abi import DomState
    from kernel.sched import StrideScheduler
    from labsupport import sched_domain

    s = StrideScheduler()
    a, b = sched_domain(1, 100), sched_domain(2, 100)
    s.add(a)
    for _ in range(50):  # a runs alone for 50 slices while b sleeps
        d = s.next()
        assert d is a, f"the only runnable domain should run, not {d}"
        s.charge(a, 1000)
        s.add(a)
    b.state = DomState.RUNNABLE
    s.add(b)  # b wakes: it competes from now on, with no credit for its sleep
    runs = {1: 0, 2: 0}
    for _ in range(20):
        d = s.next()
        runs[d.id] += 1
        s.charge(d, 1000)
        s.add(d)
    assert runs[2] <= 11, f"after sleeping, b ran {runs[2]} of the next 20 equal slices: it banked credit while " \
                          f"it slept (its pass must start at global_pass, the pass of the domain picked last)"
    assert runs[2] >= 9, f"after waking, b ran only {runs[2]} of 20 slices with equal tickets"
