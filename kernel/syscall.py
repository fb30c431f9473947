"""System calls: the argument registers in, one handler per call, the result in a0.

Each handler receives the kernel, the calling domain and the raw argument registers,
and returns the value for a0 (a negative Errno on failure), or None when it has set
the caller's registers itself or the caller does not continue (exit, a blocking IPC).
The handlers live with the mechanism they expose; this module gathers them. A
handler's name says which call it serves: sys_page_map serves Sys.PAGE_MAP, so adding
a call is adding its number to kernel/abi.py and a handler of that name.
"""

from __future__ import annotations

import inspect
import struct
from typing import TYPE_CHECKING, Callable, Sequence

from kernel import bindings, devices, ipc, lifecycle, memory, net, notify, upcall
from kernel.abi import Errno, Sys, struct_format
from kernel.errors import CallFailed

if TYPE_CHECKING:
    from kernel.domain import Domain
    from kernel.kernel import Kernel

Handler = Callable[..., "int | None"]


def sys_exit(k: Kernel, d: Domain, status: int) -> None:
    """exit(status): the domain ends; its frames return to the free pool."""
    k.exit_domain(d, status & 0xFF)


def sys_yield(k: Kernel, d: Domain) -> int:
    """yield(): give the rest of this quantum to the next runnable domain."""
    k.reschedule_pending = True  # give up the CPU at the end of this trap
    return 0


def sys_getid(k: Kernel, d: Domain) -> int:
    """getid(): the caller's domain id. Also the cheapest call: the null syscall."""
    return d.id


# BEGIN LAB syscall:
SYSINFO = struct.Struct(struct_format("sysinfo"))


def sys_sysinfo(k: Kernel, d: Domain, info: int) -> int:
    """sysinfo(struct sysinfo *): how many frames are free and how many domains are alive
    (the caller included), written to *info. -EFAULT if info is not writable."""
    data = SYSINFO.pack(k.frames.free_count, len(k.live_domains))
    return 0 if d.space.copy_out(info, data) else -Errno.EFAULT


# END LAB syscall
def unknown_call(k: Kernel, d: Domain) -> int:
    """What a number no system call has gets: -ENOSYS."""
    return -Errno.ENOSYS


def handlers() -> dict[int, Handler]:
    """Every Sys number's handler: the function sys_<name in lower case> of this module
    or of the module of the mechanism it exposes."""
    found = {name: fn for module in (memory, lifecycle, upcall, ipc, notify, bindings, devices, net)
             for name, fn in vars(module).items() if name.startswith("sys_")}
    found.update((name, fn) for name, fn in globals().items() if name.startswith("sys_"))
    missing = [num.name for num in Sys if f"sys_{num.name.lower()}" not in found]
    if missing:
        raise ImportError(f"no handler for {', '.join(missing)}: write sys_<name>(k, d, <arguments>)")
    return {num: found[f"sys_{num.name.lower()}"] for num in Sys}


# Each call's handler and how many argument registers (a0, a1, ...) it takes.
TABLE = {num: (h, len(inspect.signature(h).parameters) - 2) for num, h in handlers().items()}
UNKNOWN = (unknown_call, 0)


def dispatch_syscall(k: Kernel, d: Domain, frame: Sequence[int]) -> None:
    """Run the system call the domain asked for in a7 and put its result in a0. frame
    is a0..a7 as saved at trap entry; what is written to it reaches the registers."""
    handler, nargs = TABLE.get(frame[7], UNKNOWN)
    try:
        result = handler(k, d, *frame[:nargs]) if nargs else handler(k, d)
    except CallFailed as failure:
        result = -failure.errno
    if result is not None:
        frame[0] = result
