"""The alarm: alarm(interval) upcalls with CAUSE_ALARM every interval of the domain's
own instructions, and sigalarm (<lamina/alarm.h>) on top of it, run by alarmtest.

Expected counts come from the program's own instruction counter (rdinstret, which
counts only this program's instructions while it runs alone): spinning K and a half
intervals must bring exactly K alarms. A domain is stopped at block boundaries only (the
emulator's granularity, ../shared/PLATFORM.md), so one alarm may start a few
instructions late; the schedule never drifts.
"""

from __future__ import annotations

import re

import pytest

from guest import run
from kernel.abi import CAUSE_ALARM, Errno
from reported import reported

# The spin loop is rdinstret, a subtraction and a branch: a stop at the first block
# boundary past the due point is at most a few instructions late. Ten covers the loop
# and the return path of the call that may be running then.
LATE_MAX = 10


def alarmtest(*argv: str):
    r = run(["alarmtest", *argv])
    assert r.result.exit_status == 0, r.text + "\n".join(r.log)
    return r


@pytest.mark.parametrize("interval,k", [(1000, 10), (777, 40), (250, 30), (100_000, 3)])
def test_k_intervals_of_own_instructions_bring_k_alarms(interval, k):
    r = alarmtest("count", str(interval), str(k))
    assert f"{k} alarms in {k} intervals of {interval} instructions" in r.text


def test_every_alarm_is_one_upcall():
    r = alarmtest("count", "1000", "10")
    assert r.domain().stats.upcalls == 10


@pytest.mark.parametrize("interval,k", [(1000, 20), (777, 64), (101, 64)])
def test_alarms_keep_to_the_schedule_however_many_come(interval, k):
    r = alarmtest("gaps", str(interval), str(k))
    m = re.search(r"(\d+) alarms, largest drift (\d+) instructions, (\d+) missed", r.text)
    assert m, r.text
    assert int(m[1]) == k and int(m[3]) == 0
    assert int(m[2]) <= LATE_MAX  # late by a block at most, never adding up


def test_an_alarm_restores_every_register():
    r = alarmtest("regs")
    m = re.search(r"(\d+) alarms during the computation, answer unchanged", r.text)
    assert m and int(m[1]) > 100, r.text


def test_a_handler_is_never_interrupted_and_alarms_due_meanwhile_are_counted_missed():
    r = alarmtest("slow")
    m = re.search(r"(\d+) alarms handled, (\d+) missed, nested no", r.text)
    assert m, r.text
    handled, missed = int(m[1]), int(m[2])
    assert handled > 0 and missed > 0
    assert handled + missed in (199, 200)  # 200 intervals spun (the last one at the edge)


def test_the_call_refuses_bad_requests_and_counts_only_time_the_domain_runs():
    r = reported(alarmtest("calls").text)
    assert r["calls.off_no_handler"] == 0  # turning off needs no handler
    assert r["calls.no_handler"] == -Errno.EINVAL  # no fault handler to deliver it to
    assert r["calls.install"] == 0 and r["calls.again"] == 0
    assert r["calls.too_big"] == -Errno.EINVAL and r["calls.max"] == 0  # TIMER_MAX itself is allowed
    assert r["calls.after_sleep"] == 5  # 5,500 own instructions; a million asleep do not count


def test_removing_the_fault_handler_stops_the_alarm_and_zero_turns_it_off():
    r = reported(alarmtest("calls").text)
    assert r["calls.remove"] == 0 and r["calls.raw"] == 0
    assert r["calls.after_removal"] == 0
    assert r["calls.rearm"] == 0 and r["calls.after_rearm"] == 5
    assert r["calls.off"] == 0 and r["calls.after_off"] == 5


def test_another_domain_running_does_not_count_toward_the_alarm():
    alone = alarmtest("regs")
    both = run(["alarmtest", "regs"], ["alarmtest", "regs"])
    assert all(d.exit_status == 0 for d in both.result.domains), both.text
    counts = re.findall(r"(\d+) alarms during the computation", both.text)
    expected = re.search(r"(\d+) alarms during the computation", alone.text)[1]
    assert counts == [expected, expected]


def test_fork_and_alarms_share_the_fault_handler():
    r = alarmtest("fork")
    m = re.search(r"after fork, (\d+) alarms, child exit 0, page 3", r.text)
    assert m and int(m[1]) >= 19, r.text


def test_the_cause_number_is_in_the_custom_range():
    assert 24 <= CAUSE_ALARM <= 31  # RISC-V reserves 24..31 of scause for custom use


def test_an_alarm_never_stretches_the_callers_time_slice():
    # An alarm further away than the slice's end leaves the end where it was: alarmtest
    # asks for one every million instructions, beside a spinner, with slices of 10,000.
    from lamina.config import DomainSpec, SystemConfig
    from guest import run_system
    from recorder import Recorder

    quantum = 10_000
    recorder = Recorder()
    config = SystemConfig("alarm-slices", quantum=quantum, domains=(
        DomainSpec("alarm", "alarmtest", ("count", "1000000", "1")), DomainSpec("spin", "spin", ("2000000",))))
    r = run_system(config, tracer=recorder)
    alarm = r.domain(0).id  # it ends first: every slice of its was taken beside the spinner
    longest = max(end - start for did, start, end in recorder.slices if did == alarm)
    assert longest <= quantum + LATE_MAX, f"a slice of {longest:,} instructions, with a quantum of {quantum:,}"


def test_in_handler_means_on_the_exception_stack_page():
    # docs/abi.md: the exception stack is the page below xstack_top; a stack pointer at
    # xstack_top is an empty exception stack, one at the page's bottom edge is below it.
    from kernel.abi import XSTACK_SIZE
    from kernel.domain import Domain
    from kernel.upcall import in_handler

    d = Domain(1, "d", [], None, None)  # type: ignore[arg-type]
    d.xstack_top = top = 0x4000_3000
    assert in_handler(d, top) and in_handler(d, top - 8) and in_handler(d, top - XSTACK_SIZE + 8)
    assert not in_handler(d, top - XSTACK_SIZE) and not in_handler(d, top + 8)
