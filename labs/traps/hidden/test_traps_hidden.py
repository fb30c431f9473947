"""Lab traps, hidden graders: nested faults, the alarm's schedule over many intervals,
a handler slower than the interval, the call's edges, and fork beside an alarm."""

from __future__ import annotations

import re

import pytest

from labsupport import guest

BUDGET = 5_000_000  # guest instructions: each program needs under 500,000; a fault loop ends here

# One alarm may come a few instructions late (a domain stops at block boundaries); the
# schedule must not drift.
LATE_MAX = 10


@pytest.mark.points(10)
def test_a_fault_inside_the_handler_gets_a_frame_below_the_first():
    g = guest("faulthandler", budget=BUDGET)
    v = g.values
    assert v.get("nested.max_depth") == "2" and v.get("nested.value") == "5", \
        f"a fault in the handler must push a second frame below the first, on the exception stack: {v}; {g.trouble()}"


@pytest.mark.points(10)
def test_sixty_four_alarms_keep_to_the_schedule():
    g = guest("alarmtest gaps 777 64", budget=BUDGET)
    m = re.search(r"(\d+) alarms, largest drift (\d+) instructions", g.output)
    assert m, f"alarmtest printed {g.output!r}; {g.trouble()}"
    assert int(m[1]) == 64, f"{m[1]} alarms in 64 intervals"
    assert int(m[2]) <= LATE_MAX, \
        f"the alarms drift {m[2]} instructions from the schedule over 64 intervals: when one comes late, the " \
        f"next is still due on the original schedule (keep the remainder instead of starting a full interval)"


@pytest.mark.points(10)
def test_a_slow_handler_is_never_interrupted_and_missed_alarms_are_counted():
    g = guest("alarmtest slow", budget=BUDGET)
    m = re.search(r"(\d+) alarms handled, (\d+) missed, nested (\w+)", g.output)
    assert m, f"alarmtest printed {g.output!r}; {g.trouble()}"
    assert m[3] == "no", "the alarm handler was entered while it was running: alarms must wait while the " \
                         "domain is on its exception stack"
    assert int(m[1]) + int(m[2]) in (199, 200), \
        f"{m[1]} handled + {m[2]} missed alarms in 200 intervals: each alarm due while the handler ran is missed " \
        f"and counted in the next alarm's tval"


@pytest.mark.points(10)
def test_the_alarm_counts_only_the_domains_own_time_and_stops_with_its_handler():
    v = guest("alarmtest calls", budget=BUDGET).values
    assert v.get("calls.no_handler") == "-22", f"alarm() with no fault handler must be -EINVAL: {v}"
    assert v.get("calls.after_sleep") == "5", \
        f"{v.get('calls.after_sleep')} alarms in 5,500 own instructions around a million asleep: only the " \
        f"domain's own instructions count"
    assert v.get("calls.after_removal") == "0", "alarms went on after the fault handler was removed"
    assert v.get("calls.after_off") == v.get("calls.after_rearm") == "5", f"alarm(0) must stop them: {v}"


@pytest.mark.points(15)
def test_fork_and_the_alarm_share_the_fault_handler():
    g = guest("alarmtest fork", budget=BUDGET)
    m = re.search(r"after fork, (\d+) alarms, child exit (\d+), page (\d+)", g.output)
    assert m, f"alarmtest printed {g.output!r}; {g.trouble()} (faults that are not alarms must go on to the " \
              f"handler installed before sigalarm's, fork's copy-on-write handler)"
    assert int(m[1]) >= 19 and m[2] == "0" and m[3] == "3", f"after fork: {m[0]}"
