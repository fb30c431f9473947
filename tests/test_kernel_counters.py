"""Every counter `--stats` prints, checked against a count made another way, and the
IPC hand-over seen in the schedule.

Lamina's numbers are its teaching content, so a counter that quietly stops counting is
a wrong lecture. Each test counts the same thing independently of the kernel's counter:
messages by the programs that send them, system calls by watching the hart execute
ecall, pages by walking the page tables in RAM, faults and upcalls by the program that
takes them, slices by the trace. And a call must switch straight to the server (a reply
straight back), even with another domain waiting to run.
"""

from __future__ import annotations

from collections import Counter

import pytest

from guest import run, run_system
from kernel_invariants import PageTableReader
from lamina.config import DomainSpec, SystemConfig
from recorder import Recorder
from reported import reported

ECALL = 0x00000073


def ecalls_executed(*commands: list[str], **kw) -> tuple[Counter, object]:
    """Run the commands, counting per domain the ecall instructions the hart executes
    (a code hook watching every instruction: no kernel counter involved)."""
    seen: Counter = Counter()

    def watch(kernel):
        cpu = kernel.board.cpu

        def before(address: int) -> None:
            if cpu.fetch(address) == ECALL:
                seen[kernel.current.id] += 1
        cpu.watch_instructions(before)

    return seen, run(*commands, before_run=watch, **kw)


# --- the IPC hand-over ----------------------------------------------------------------------

def test_a_call_switches_straight_to_the_server_and_a_reply_straight_back():
    recorder = Recorder()
    # The spinner is always runnable and, with all the tickets, always the scheduler's
    # choice: only the hand-over gives the server the CPU the moment it is called.
    spinner = DomainSpec("spin", "spin", ("3000000",), share=1_000_000)
    client = DomainSpec("ipc", "ipcbench", ("200",), share=1)
    run_system(SystemConfig("handover", quantum=100_000, domains=(spinner, client)), tracer=recorder)
    starts = {start: did for did, start, _end in recorder.slices}
    handed = 0
    for sender, receiver, kind, at in recorder.messages:
        # A message sent while its sender runs (not one a receiver picks up from its queue):
        # the sender's slice ends as it blocks, and the receiver's starts at that instant.
        mine = [end for did, start, end in recorder.slices if did == sender and start <= at <= end]
        if kind not in ("call", "reply") or not mine:
            continue
        assert starts.get(mine[0]) == receiver, (
            f"after the {kind} from domain {sender} to {receiver} at {at}, domain {starts.get(mine[0])} "
            f"ran next: the direct hand-over did not happen")
        handed += 1
    assert handed >= 398  # 200 round trips: all but the first call, which found the server not yet waiting


def test_a_hand_over_happens_only_from_a_blocked_domain_to_a_runnable_one_with_nothing_pending():
    # Kernel.hand_over's guard, called outside any trap: each refusal must come before
    # it touches the hart (which only a domain's trap may switch).
    from guest import boot
    from kernel.abi import CAUSE_REVOKE, DomState
    from lamina.config import config_for_programs

    k = boot(config_for_programs([["hello"], ["hello"]])).result.kernel
    d, to = k.domains[1], k.domains[2]
    for d_state, to_state, pending in ((DomState.RUNNABLE, DomState.RUNNABLE, None),
                                       (DomState.BLOCKED, DomState.BLOCKED, None),
                                       (DomState.BLOCKED, DomState.STOPPED, None),
                                       (DomState.BLOCKED, DomState.RUNNABLE, (CAUSE_REVOKE, 1))):
        d.state, to.state, to.pending_upcall = d_state, to_state, pending
        assert k.hand_over(d, to) is False, f"handed over from a {d_state.name} domain to a {to_state.name} one"
        assert k.current is None and k.switches == 0


def test_the_domain_handed_the_cpu_runs_out_the_quantum_without_a_reschedule_owed():
    # After a hand-over inside a trap, nothing is owed to the scheduler: the domain that
    # now runs keeps the CPU until it blocks or its quantum ends, even across calls
    # that do not block.
    handovers = []

    def watch(k, d):
        if k.current is not None and k.current is not d:
            handovers.append(k.reschedule_pending)

    run(["ipcbench", "50"], before_run=lambda k: setattr(k, "after_syscall", lambda d: watch(k, d)))
    assert len(handovers) >= 98 and not any(handovers), "a reschedule was left owed after a hand-over"


def test_each_round_trip_is_two_switches_and_two_slices():
    def counts(n: int) -> tuple[int, int]:
        recorder = Recorder()
        r = run(["ipcbench", str(n)], tracer=recorder)
        return r.result.kernel.switches, len(recorder.slices)
    (s1, l1), (s2, l2) = counts(100), counts(300)
    assert (s2 - s1, l2 - l1) == (400, 400)


# --- counters ------------------------------------------------------------------------------

def test_ipc_sent_counts_each_message_its_sender_sends():
    def sent(n: int) -> tuple[int, int]:
        r = run(["ipcbench", str(n)])
        client, server = r.result.kernel.domains[1], r.result.kernel.domains[2]
        return client.stats.ipc_sent, server.stats.ipc_sent
    (c1, s1), (c2, s2) = sent(100), sent(350)
    assert (c2 - c1, s2 - s1) == (250, 250)  # 250 more calls, and 250 more replies


def test_notifications_count_as_messages_of_their_sender():
    # Read off userland/demos/notifydemo.c: the parent's notify calls that succeed are
    # notify.first, notify.second, the one before its reply, wake.notify and the one
    # after it (5; the others fail), and it replies once; its child calls once.
    r = run("notifydemo")
    got = reported(r.text)
    assert got["notify.first"] == got["notify.second"] == got["wake.notify"] == 0
    parent, child = r.result.kernel.domains[1], r.result.kernel.domains[2]
    assert (parent.stats.ipc_sent, child.stats.ipc_sent) == (5 + 1, 1)


@pytest.mark.parametrize("command", [["nullcall", "500"], ["memcalls"], ["cowtest", "16", "5"], ["ipcbench", "50"]])
def test_syscalls_equal_the_ecalls_the_hart_executed(command):
    seen, r = ecalls_executed(command)
    for d in r.result.kernel.domains.values():
        assert d.stats.syscalls == seen[d.id], d.label


def test_crossings_are_system_calls_plus_faults():
    r = run("faulthandler")
    for d in r.result.kernel.domains.values():
        assert d.stats.crossings == d.stats.syscalls + d.stats.faults > 0


def test_faults_and_upcalls_equal_what_the_faulting_program_counted():
    r = run("faulthandler")
    got = reported(r.text)
    d = r.domain()
    assert d.stats.faults == d.stats.upcalls == got["faults_seen"] == 6


@pytest.mark.parametrize("command", [["memcalls"], ["cowtest", "16", "5"], ["edges"]])
def test_pages_peak_equals_the_most_frames_a_walk_of_the_page_tables_finds(command):
    peaks: Counter = Counter()

    def watch(kernel):
        reader = PageTableReader(kernel)

        def after(_d) -> None:
            view = reader.read()
            for did in {d.id for d in kernel.live_domains}:
                tables = sum(1 for owner in view.tables.values() if owner == did)
                pages = {pa for (mapper, _va), (pa, _perm) in view.mappings.items()
                         if view.frames[pa].owner == did}
                peaks[did] = max(peaks[did], tables + len(pages))
        kernel.after_syscall = after

    r = run(command, before_run=watch)
    for d in r.result.kernel.domains.values():
        assert d.stats.pages_peak == peaks[d.id], d.label


def test_slices_equal_the_slices_the_trace_recorded():
    recorder = Recorder()
    r = run(["spin", "300000"], ["yielder", "20"], ["ipcbench", "30"], quantum=10_000, tracer=recorder)
    per_domain = Counter(did for did, _s, _e in recorder.slices)
    for d in r.result.kernel.domains.values():
        assert d.stats.slices == per_domain[d.id], d.label
