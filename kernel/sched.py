"""The CPU scheduler: proportional share by stride scheduling (Waldspurger, 1995).

Each runnable domain has a pass value; the one with the smallest pass runs next, and
after its slice its pass grows by the instructions it used times its stride
(STRIDE1 / tickets). Over time each domain's share of instructions is proportional to
its tickets. A heap keeps picking O(log n) in the number of runnable domains; ties
break by arrival order, so the schedule is deterministic.
"""

from __future__ import annotations

import heapq
import itertools

from kernel.domain import Domain, State

STRIDE1 = 1 << 20
MAX_SHARE = 1_000_000


class StrideScheduler:
    """Runnable domains in order of pass value."""

    def __init__(self) -> None:
        self._heap: list[tuple[int, int, Domain]] = []
        self._arrivals = itertools.count()
        self.global_pass = 0  # pass of the domain picked last: where newcomers start

    def add(self, d: Domain) -> None:
        """Make d eligible to run. A domain that slept does not bank credit for it."""
        # BEGIN LAB sched
        if d.queued:
            return
        d.pass_value = max(d.pass_value, self.global_pass)
        heapq.heappush(self._heap, (d.pass_value, next(self._arrivals), d))
        d.queued = True
        # END LAB sched

    def next(self) -> Domain | None:
        """The runnable domain with the smallest pass, removed from the queue."""
        # BEGIN LAB sched
        while self._heap:
            _pass, _seq, d = heapq.heappop(self._heap)
            d.queued = False
            if d.state == State.RUNNABLE:
                self.global_pass = d.pass_value
                return d
        return None
        # END LAB sched

    def charge(self, d: Domain, instructions: int) -> None:
        """Advance d's pass for the instructions it just used."""
        # BEGIN LAB sched
        d.pass_value += max(instructions, 1) * (STRIDE1 // d.share)
        # END LAB sched

    def has_runnable(self) -> bool:
        """True if some queued domain is runnable (stale entries at the top, of domains
        that blocked or exited since they were queued, are dropped on the way)."""
        while self._heap and self._heap[0][2].state != State.RUNNABLE:
            heapq.heappop(self._heap)[2].queued = False
        return bool(self._heap)
