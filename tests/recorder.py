"""A tracer for tests that reads the schedule: the slices and messages the kernel
reports, in order, by domain id."""

from __future__ import annotations

from kernel.tracing import Tracer


class Recorder(Tracer):
    """A tracer that keeps slices and messages in the order the kernel reports them."""

    def __init__(self) -> None:
        self.slices: list[tuple[int, int, int]] = []  # (domain id, start, end)
        self.messages: list[tuple[int | None, int, str, int]] = []  # (sender, receiver, kind, at)

    def slice(self, d, start, end):
        self.slices.append((d.id, start, end))

    def message(self, sender, receiver, kind, at):
        self.messages.append((sender.id if sender else None, receiver.id, kind, at))
