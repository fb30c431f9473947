"""The CPU scheduler: which runnable domain gets the next instruction quantum.

Round robin over a FIFO queue: deterministic, since nothing but the order of events in
virtual time decides it.
"""

from __future__ import annotations

from collections import deque

from kernel.domain import Domain, State


class RoundRobin:
    """Runnable domains take turns, each for one quantum."""

    def __init__(self) -> None:
        self._queue: deque[Domain] = deque()

    def add(self, domain: Domain) -> None:
        """Make domain eligible to run (at the back of the queue)."""
        self._queue.append(domain)

    def next(self) -> Domain | None:
        """The domain to run now, removed from the queue; None if nothing is runnable."""
        while self._queue:
            domain = self._queue.popleft()
            if domain.state == State.RUNNABLE:
                return domain
        return None

    def __len__(self) -> int:
        return sum(1 for d in self._queue if d.state == State.RUNNABLE)
