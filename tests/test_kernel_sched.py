"""The stride scheduler's promises (Waldspurger and Weihl, 1995), checked over any mix
of tickets, slice lengths, sleeps, wake-ups and late arrivals, and then on real guests.

The model the tests hold kernel/sched.py to, from the paper rather than the code:
- a client's pass advances by stride = STRIDE1 / tickets for each instruction it uses,
  and the runnable client with the lowest pass runs next; so two clients runnable over
  the same stretch never differ in pass by more than one slice's worth of either's
  stride (the paper's "relative error of at most one quantum");
- a client that slept, or arrives late, starts from the pass of the client picked last:
  it banks no credit for the time it did not compete, so it gets no catch-up burst;
- each time a client is queued it runs once: queueing a client already queued is a
  no-op, never a second turn.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from examples import examples
from kernel.abi import DomState
from kernel.domain import Domain
from kernel.sched import STRIDE1, StrideScheduler

MAX_SLICE = 100  # instructions a slice may use in the simulation


def domain(i: int, tickets: int) -> Domain:
    """A real kernel Domain record, with nothing but what the scheduler reads."""
    d = Domain(i, f"d{i}", [], None, None)  # type: ignore[arg-type]
    d.share = tickets
    return d


@dataclass
class Plan:
    """A client in the simulation: its tickets, when it arrives, and its sleeps."""

    tickets: int
    arrives: int  # the step it first becomes runnable
    sleeps: list[tuple[int, int]] = field(default_factory=list)  # (after this many of its own slices, for steps)


@dataclass
class Client:
    """What the test knows of one client as the simulation runs."""

    d: Domain
    plan: Plan
    stride: int
    service: int = 0  # instructions it has used
    runs: int = 0
    queued: bool = False  # the model's own record of whether it has a turn coming
    turns_given: int = 0  # times it was queued while not queued
    turns_taken: int = 0
    awake_since: int = 0  # the step it last became runnable
    service_at_wake: int = 0
    others_at_wake: dict[int, int] = field(default_factory=dict)  # every client's service then
    asleep_until: int | None = None


plans = st.lists(
    st.builds(Plan, tickets=st.integers(1, 1000), arrives=st.integers(0, 30),
              sleeps=st.lists(st.tuples(st.integers(1, 20), st.integers(1, 60)), max_size=3)),
    min_size=2, max_size=6)


def simulate(plan_list: list[Plan], slices: list[int], duplicate_adds: list[bool]) -> list[Client]:
    """Drive a StrideScheduler as the kernel does, checking the promises at every step."""
    sched = StrideScheduler()
    clients = [Client(domain(i + 1, p.tickets), p, STRIDE1 // p.tickets) for i, p in enumerate(plan_list)]

    def queue(c: Client, step: int) -> None:
        c.d.state = DomState.RUNNABLE
        sched.add(c.d)
        if not c.queued:
            c.queued, c.turns_given = True, c.turns_given + 1

    for step, (used, duplicate) in enumerate(zip(slices, duplicate_adds)):
        for c in clients:
            if step == c.plan.arrives or c.asleep_until == step:
                c.asleep_until, c.awake_since, c.service_at_wake = None, step, c.service
                c.others_at_wake = {o.d.id: o.service for o in clients}
                queue(c, step)
            elif duplicate and c.queued:
                queue(c, step)  # a wake-up of a client already runnable (a notify, say)
        d = sched.next()
        if d is None:
            continue
        c = next(x for x in clients if x.d is d)
        assert c.queued, f"{d.label} ran without a turn queued"
        c.queued, c.turns_taken = False, c.turns_taken + 1
        check_no_client_gets_ahead(clients, c)
        sched.charge(d, used)
        c.service += used
        c.runs += 1
        sleep = next((s for after, s in c.plan.sleeps if after == c.runs), None)
        if sleep is not None:
            d.state, c.asleep_until = DomState.BLOCKED, step + 1 + sleep
        else:
            queue(c, step)
    while (d := sched.next()) is not None:  # drain: every remaining entry is a turn still owed
        c = next(x for x in clients if x.d is d)
        assert c.queued, f"{d.label} was queued twice for one turn"
        c.queued, c.turns_taken = False, c.turns_taken + 1
    for c in clients:
        assert c.turns_taken == c.turns_given, f"{c.d.label}: {c.turns_taken} turns for {c.turns_given} queued"
    return clients


def check_no_client_gets_ahead(clients: list[Client], picked: Client) -> None:
    """The client about to run has not, since it last woke, used more than its tickets'
    worth relative to any client runnable all that time: their passes (service times
    stride) may differ by one slice of the other's and one of whichever ran last before
    the wake, never more (a client that banked credit while asleep would be far ahead)."""
    widest = max(c.stride for c in clients)
    for other in clients:
        if other is picked or other.asleep_until is not None or other.turns_given == 0:
            continue
        if other.awake_since > picked.awake_since:
            continue  # other was not competing for the whole stretch
        mine = (picked.service - picked.service_at_wake) * picked.stride
        theirs = (other.service - picked.others_at_wake[other.d.id]) * other.stride
        assert mine <= theirs + (widest + other.stride) * MAX_SLICE, (
            f"{picked.d.label} ({picked.plan.tickets} tickets) got ahead of {other.d.label} "
            f"({other.plan.tickets} tickets) since step {picked.awake_since}: {mine} vs {theirs} in pass")


@settings(max_examples=examples(300), deadline=None, derandomize=True, database=None)
@given(plans, st.lists(st.integers(1, MAX_SLICE), min_size=50, max_size=400),
       st.lists(st.booleans(), min_size=400, max_size=400))
def test_every_client_gets_its_tickets_worth_without_bursts_or_second_turns(plan_list, slices, duplicates):
    simulate(plan_list, slices, duplicates)


def test_three_guests_with_3_2_1_tickets_get_3_2_1_of_the_instructions_within_a_quantum():
    from guest import run_system
    from lamina.config import DomainSpec, SystemConfig

    quantum, spin = 10_000, ("2000000000",)
    config = SystemConfig("shares", quantum=quantum, domains=tuple(
        DomainSpec(f"t{t}", "spin", spin, share=t * 100) for t in (3, 2, 1)))
    r = run_system(config, max_instructions=6_000_000)
    got = [d.stats.instructions for d in r.result.domains]
    total = sum(got)
    for d, tickets in zip(r.result.domains, (3, 2, 1)):
        assert abs(d.stats.instructions - total * tickets / 6) <= quantum, (got, total)


def test_a_pass_advances_by_the_integer_stride_and_an_empty_slice_counts_as_one_instruction():
    # stride = STRIDE1 // tickets, an integer (the paper's stride1 / tickets, rounded
    # down); a slice that used no instruction is charged as one, so a domain that
    # blocks at once still moves on.
    s = StrideScheduler()
    d = domain(1, 3)
    stride = STRIDE1 // 3
    for used, after in ((0, stride), (1, 2 * stride), (5, 7 * stride)):
        s.charge(d, used)
        assert d.pass_value == after and isinstance(d.pass_value, int), (used, d.pass_value, after)


# early: the poker notifies within the first quantum of its slice; late: a spinner shares
# the CPU first, so the poker's slice alone starts well after virtual time 0.
@pytest.mark.parametrize("spinner, before", [(None, "0"), ("5000", "60000")], ids=["early", "late"])
def test_a_domain_woken_while_another_runs_alone_waits_at_most_to_the_end_of_that_quantum(spinner, before):
    # Running alone, a domain keeps the CPU for up to ALONE_QUANTA quanta in one slice;
    # the moment it wakes another domain, its slice is cut back to the end of the
    # quantum it is in (kernel/kernel.py), so the woken domain waits less than a quantum.
    from guest import run_system
    from lamina.config import BindingSpec, DomainSpec, SystemConfig
    from recorder import Recorder

    quantum, console = 10_000, (BindingSpec("console"),)
    others = (DomainSpec("spinner", "spin", (spinner,)),) if spinner else ()
    config = SystemConfig("wake", quantum=quantum, domains=(
        DomainSpec("waiter", "notifydemo", ("wait",), bindings=console), *others,
        DomainSpec("poker", "notifydemo", ("poke", "1", "3000000", before), bindings=console)))
    recorder = Recorder()
    r = run_system(config, tracer=recorder)
    assert all(d.exit_status == 0 for d in r.result.domains), r.text
    names = {d.id: d.name for d in r.result.domains}
    slices = [(names[did], s, e) for did, s, e in recorder.slices]
    [at] = [at for sender, _, kind, at in recorder.messages if kind == "notify" and sender is not None]
    [(start, end)] = [(s, e) for name, s, e in slices if name == "poker" and s <= at <= e]
    boundary = start + quantum * (1 + (at - start) // quantum)
    # The hart stops at the end of a translated block (../shared/PLATFORM.md): the
    # poker's loop is a block of a few instructions, so the slice ends within one.
    assert boundary <= end < boundary + 16, \
        f"the poker's slice from {start} woke the waiter at {at} and ran on to {end}, not {boundary}"
    assert next(name for name, s, _ in slices if s >= end) == "waiter"
    assert max(e - s for name, s, e in slices if name == "poker") > quantum, "it never ran alone"
    if spinner:
        assert start > 2 * quantum and all(e <= start for name, _, e in slices if name == "spinner")
    else:
        assert at - start < quantum, "the notification should come in the slice's first quantum"
