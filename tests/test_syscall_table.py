"""kernel/syscall.py's table: every number docs/abi.md lists reaches the handler named
after it, with as many argument registers as the handler takes, and a kernel missing a
handler refuses to start with a message that names the call.

The table is built when the kernel is imported, so these tests call the builder
again: a mistake in it must fail here, not only in a boot that every test shares.
"""

from __future__ import annotations

import inspect

import pytest

from kernel import memory, syscall
from kernel.abi import Sys

MODULES = ("memory", "lifecycle", "upcall", "ipc", "notify", "bindings", "devices", "net", "syscall")


def test_every_call_number_reaches_the_handler_named_after_it():
    table = syscall.handlers()
    assert sorted(table) == sorted(Sys)
    for num, handler in table.items():
        assert handler.__name__ == f"sys_{num.name.lower()}", f"{num.name} reaches {handler.__name__}"
        assert handler.__module__.split(".")[-1] in MODULES, f"{num.name}'s handler is in {handler.__module__}"
        assert handler is getattr(__import__(handler.__module__, fromlist=["_"]), handler.__name__)


def test_each_entry_takes_the_argument_registers_its_handler_names():
    table = syscall.handlers()
    for num, (handler, nargs) in syscall.TABLE.items():
        assert handler is table[num]
        assert nargs == len(inspect.signature(handler).parameters) - 2  # all but (k, d)


def test_a_number_no_call_has_is_enosys():
    assert syscall.TABLE.get(max(Sys) + 1, syscall.UNKNOWN) == (syscall.unknown_call, 0)


def test_a_missing_handler_stops_the_kernel_with_its_name(monkeypatch):
    monkeypatch.delattr(memory, "sys_page_alloc")
    with pytest.raises(ImportError, match=r"^no handler for PAGE_ALLOC: write sys_<name>\(k, d, <arguments>\)$"):
        syscall.handlers()
    monkeypatch.delattr(memory, "sys_page_unmap")
    first, second = sorted((Sys.PAGE_ALLOC, Sys.PAGE_UNMAP))
    with pytest.raises(ImportError, match=rf"^no handler for {first.name}, {second.name}: write"):
        syscall.handlers()


def test_dispatch_puts_enosys_in_a0_for_a_number_no_call_has():
    from guest import boot
    from kernel.abi import Errno
    from lamina.config import config_for_programs

    b = boot(config_for_programs([["hello"]]))
    frame = [11, 22, 33, 44, 55, 66, 77, max(Sys) + 1]
    syscall.dispatch_syscall(b.result.kernel, b.result.domains[0], frame)
    assert frame == [-Errno.ENOSYS, 22, 33, 44, 55, 66, 77, max(Sys) + 1], "only a0 changes"


def test_the_kernels_own_log_goes_to_standard_error_marked_as_lamina(capsys):
    from kernel.kernel import _stderr_log

    _stderr_log("domain 1 (x) killed")
    assert capsys.readouterr() == ("", "lamina: domain 1 (x) killed\n")


def test_a_failed_call_names_its_errno():
    from kernel.abi import Errno
    from kernel.errors import CallFailed

    failure = CallFailed(Errno.EFAULT)
    assert (str(failure), failure.errno) == ("EFAULT", Errno.EFAULT)


def test_a_handler_that_fails_stops_only_its_caller_with_the_trap_recorded(monkeypatch):
    # A kernel bug in one call must not take the machine down: the caller is stopped as
    # if it had faulted there (status 139), the log says where, and the others run on.
    import re

    from guest import run

    def broken(k, d):
        raise RuntimeError("a bug in a handler")

    monkeypatch.setitem(syscall.TABLE, Sys.GETID, (broken, 0))
    r = run(["nullcall", "3"], ["hello"])
    [line] = [x for x in r.log if "kernel error" in x]
    match = re.search(r"kernel error handling cause 8 at pc (0x[0-9a-f]+) for domain 1 \(nullcall\): "
                      r"RuntimeError\('a bug in a handler'\); domain stopped", line)
    assert match, line
    caller, other = r.result.domains
    assert caller.exit_status == 139 and caller.killed_by.pc == int(match[1], 16) != 0
    assert other.exit_status == 0 and "hello" in r.text.lower()
