"""Lab traps, public graders: a fault reaches the program's own handler and the
faulting instruction runs again; an alarm every N instructions of the program's own
time comes exactly K times in K intervals, and leaves every register as it was.

Expected values come from the program's own instruction counter (rdinstret counts
only its instructions while it runs alone), and from the fault the program provokes
(the address it touched, the instruction that touched it)."""

from __future__ import annotations

import re

import pytest

from labsupport import guest

BUDGET = 5_000_000  # guest instructions: each program needs under 500,000; a fault loop ends here


@pytest.mark.points(15)
def test_a_page_fault_reaches_the_handler_which_maps_the_page_and_the_load_runs_again():
    g = guest("faulthandler", budget=BUDGET)
    v = g.values
    assert v.get("install") == "0", f"fault_handler_install failed: {v.get('install')}; {g.trouble()}"
    assert v.get("demand.cause") == "13", \
        f"the handler did not see a load page fault (cause 13) in its frame: cause = {v.get('demand.cause')}; " \
        f"{g.trouble()} (deliver_upcall must write the fault_frame and start the handler)"
    assert v.get("demand.tval") == hex(0x1000_0000), f"the frame's tval should be the address loaded from: {v}"
    assert v.get("demand.value") == "0" and v.get("demand.write_back") == "1234", \
        f"after fault_return the load did not run again and find the fresh page: {v}"


@pytest.mark.points(20)
def test_k_intervals_of_the_programs_own_instructions_bring_k_alarms():
    for interval, k in ((1000, 10), (777, 40)):
        g = guest(f"alarmtest count {interval} {k}", budget=BUDGET)
        m = re.search(r"alarmtest: (\d+) alarms in", g.output)
        assert m, f"alarmtest printed {g.output!r}; {g.trouble()}"
        assert int(m[1]) == k, \
            f"{m[1]} alarms in {k} intervals of {interval} instructions: want exactly {k} (count_alarm must " \
            f"fire once per interval of the domain's own instructions, carrying the remainder over)"


@pytest.mark.points(10)
def test_an_alarm_leaves_every_register_as_it_was():
    g = guest("alarmtest regs", budget=BUDGET)
    m = re.search(r"(\d+) alarms during the computation, answer (\w+)", g.output)
    assert m, f"alarmtest printed {g.output!r}; {g.trouble()} (an alarm must resume the interrupted code with " \
              f"every register and the pc it resumes at as they were)"
    assert int(m[1]) > 100, f"only {m[1]} alarms every 300 instructions of a 20,000-step loop"
    assert m[2] == "unchanged", "a computation in registers gave another answer with alarms: some register, or " \
                                "the pc it resumes at, was not saved in the frame or not restored by fault_return"
