"""How a system call fails: it raises CallFailed(errno) from wherever the failure is
found (often several calls deep), and the dispatcher (kernel/syscall.py) returns
-errno to the domain. Nothing has changed when a call fails this way: every check
comes before the first change it guards."""

from __future__ import annotations

from kernel.abi import Errno


class CallFailed(Exception):
    """The system call being served ends now with -errno."""

    def __init__(self, errno: Errno) -> None:
        super().__init__(errno.name)
        self.errno = errno


def require(condition: object, errno: Errno) -> None:
    """End the system call with -errno unless condition holds."""
    if not condition:
        raise CallFailed(errno)
