"""What the kernel tells a tracer, in virtual time: slices, system calls, faults,
messages, device work. The kernel calls these hooks only when a tracer is attached
(`Kernel.tracer`), so tracing costs nothing when it is off. This base class ignores
everything; lamina/trace.py records Chrome trace events.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from kernel.domain import Domain


class Tracer:
    """Kernel events, each stamped with virtual time (instructions)."""

    def slice(self, d: Domain, start: int, end: int) -> None:
        """d ran on the CPU from start to end."""

    def syscall_enter(self, d: Domain, number: int, pc: int, at: int) -> None:
        """d trapped into system call `number` at pc."""

    def syscall_exit(self, d: Domain, at: int) -> None:
        """d's current system call returned (later than it entered if it blocked)."""

    def fault(self, d: Domain, cause: int, pc: int, tval: int, at: int, handled: bool) -> None:
        """d faulted; handled says whether its own handler got the fault (an upcall)."""

    def message(self, sender: Domain | None, receiver: Domain, kind: str, at: int) -> None:
        """A message (call, reply, notification) from sender (None: the kernel) reached receiver."""

    def device(self, d: Domain | None, device: str, what: str, start: int, end: int) -> None:
        """A device worked for d from start to end."""

    def frame(self, d: Domain | None, direction: str, data: bytes, at: int) -> None:
        """An Ethernet frame was sent by d, or received for d (None: nobody took it)."""

    def exited(self, d: Domain, at: int) -> None:
        """d ended."""
