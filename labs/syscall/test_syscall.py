"""Lab syscall, public graders: sysinfo from the ABI definition to a user program."""

from __future__ import annotations

import re

import pytest

from labsupport import guest

SYSINFO = 35


def seen_at_the_call(kernel_observations: list, k) -> None:
    """After-syscall hook body: what the kernel holds when a sysinfo call returns."""
    if k.board.cpu.trapframe[7] == SYSINFO:
        kernel_observations.append((k.frames.free_count, len(k.live_domains)))


@pytest.mark.points(5)
def test_the_abi_defines_sysinfo_and_its_structure():
    from kernel import abi

    assert getattr(abi.Sys, "SYSINFO", None) == SYSINFO, "kernel/abi.py: Sys.SYSINFO should be 35"
    assert abi.STRUCTS.get("sysinfo") == [("uint64_t", "free_frames"), ("uint64_t", "domains")], \
        "kernel/abi.py: STRUCTS['sysinfo'] should be free_frames and domains, both uint64_t"


@pytest.mark.points(5)
def test_the_build_generates_the_header_and_the_stub():
    from toolchain.build import build_program, default_build_dir

    build_program("sysinfo")
    header = (default_build_dir() / "include" / "lamina" / "abi.h").read_text()
    stubs = (default_build_dir() / "gen" / "usys.S").read_text()
    assert re.search(r"#define SYS_SYSINFO 35\b", header), "abi.h has no SYS_SYSINFO 35"
    assert "struct sysinfo" in header, "abi.h has no struct sysinfo"
    assert re.search(r"sys_sysinfo:\s*\n\s*li\s+a7, SYS_SYSINFO\s*\n\s*ecall", stubs), "usys.S has no sys_sysinfo stub"


@pytest.mark.points(15)
def test_sysinfo_reports_the_free_frames_and_live_domains_at_the_call():
    observed: list = []

    def watch(k):
        k.after_syscall = lambda d: seen_at_the_call(observed, k)

    g = guest("sysinfo", "spin 200000", "spin 200000", before_run=watch)
    assert g.status(0) == 0, f"sysinfo exited {g.status(0)}: {g.output!r}; {g.trouble()}"
    got = dict(re.findall(r"^(free frames|live domains) (\d+)$", g.output, re.M))
    assert len(observed) == 1, f"the kernel saw {len(observed)} sysinfo calls, expected 1"
    free, live = observed[0]
    assert int(got.get("free frames", -1)) == free, f"sysinfo printed {got}; the kernel had {free} frames free"
    assert int(got.get("live domains", -1)) == live == 3, f"sysinfo printed {got}; {live} domains were alive"


@pytest.mark.points(10)
def test_sysinfo_returns_0_and_refuses_a_pointer_it_cannot_write_with_efault():
    g = guest("sysinfo -e")
    results = dict(re.findall(r"^sysinfo\.(\w+) = (-?\d+)$", g.output, re.M))
    assert results == {"ok": "0", "null": "-14", "read_only": "-14", "beyond_user": "-14"}, \
        f"sysinfo -e reported {results}; docs/abi.md says 0 for a good pointer and -EFAULT (-14) for the others"
