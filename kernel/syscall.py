"""System calls: the argument registers in, one handler per call, the result in a0.

Each handler receives the kernel, the calling domain and the raw argument registers,
and returns the value for a0 (a negative Errno on failure). A handler that ends or
suspends the caller says so through the kernel (exit, yield), and the dispatcher
then stops the CPU.
"""

from __future__ import annotations

import inspect
from typing import TYPE_CHECKING, Callable

from emulator.riscv import A0, A7, PAGE_SIZE
from kernel.abi import CONSOLE_WRITE_MAX, USER_VA_LIMIT, Errno, Perm, Sys
from kernel.domain import State
from kernel.frames import OutOfFrames
from kernel.vm import is_user_page, valid_perm

if TYPE_CHECKING:
    from kernel.domain import Domain
    from kernel.kernel import Kernel

Handler = Callable[..., int]
MAX_PAGES_PER_CALL = 1 << 16


def sys_exit(k: Kernel, d: Domain, status: int) -> int:
    """exit(status): the domain ends; its frames return to the free pool."""
    k.exit_domain(d, status & 0xFF)
    return 0


def sys_yield(k: Kernel, d: Domain) -> int:
    """yield(): give the rest of this quantum to the next runnable domain."""
    k.request_reschedule()
    return 0


def sys_getid(k: Kernel, d: Domain) -> int:
    """getid(): the caller's domain id. Also the cheapest call: the null syscall."""
    return d.id


def sys_console_write(k: Kernel, d: Domain, buf: int, length: int) -> int:
    """console_write(buf, len): send len bytes at buf to the console; returns len."""
    if length > CONSOLE_WRITE_MAX:
        return -Errno.EINVAL
    data = d.space.copy_in(buf, length)
    if data is None:
        return -Errno.EFAULT
    k.board.console.write(data)
    return length


def sys_page_alloc(k: Kernel, d: Domain, va: int, npages: int, perm: int) -> int:
    """page_alloc(va, npages, perm): map npages fresh zeroed frames at va, all or nothing."""
    if not is_user_page(va) or not 1 <= npages <= MAX_PAGES_PER_CALL:
        return -Errno.EINVAL
    if va + npages * PAGE_SIZE > USER_VA_LIMIT or not valid_perm(perm):
        return -Errno.EINVAL
    pages = [va + i * PAGE_SIZE for i in range(npages)]
    if any(d.space.lookup(p) is not None for p in pages):
        return -Errno.EEXIST
    # Tables may be needed too: reserve a generous bound so the call cannot half-succeed.
    if not k.can_charge(d, npages + 3 + npages // 512):
        return -Errno.ENOMEM
    try:
        for p in pages:
            d.space.map(p, k.alloc_frame(d), Perm(perm))
    except OutOfFrames:
        for p in pages:
            pa = d.space.unmap(p)
            if pa is not None:
                k.frames.free(pa)
        return -Errno.ENOMEM
    return 0


SYSCALLS: dict[int, Handler] = {
    Sys.EXIT: sys_exit,
    Sys.YIELD: sys_yield,
    Sys.CONSOLE_WRITE: sys_console_write,
    Sys.PAGE_ALLOC: sys_page_alloc,
    Sys.GETID: sys_getid,
}

# How many argument registers each handler takes (a0, a1, ...), worked out once.
ARITY = {num: len(inspect.signature(h).parameters) - 2 for num, h in SYSCALLS.items()}


def dispatch_syscall(k: Kernel, d: Domain) -> None:
    """Run the system call the domain asked for in a7 and put its result in a0."""
    cpu = k.board.cpu
    number = cpu.reg(A7)
    handler = SYSCALLS.get(number)
    if handler is None:
        result = -Errno.ENOSYS
    else:
        args = [cpu.reg(A0 + i) for i in range(ARITY[number])]
        result = handler(k, d, *args)
    if d.state != State.EXITED:
        cpu.set_reg(A0, result)
