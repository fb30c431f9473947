"""Fuzzing the kernel with random system calls made by real RISC-V programs.

Hypothesis draws scripts of kernel calls (tests/kfuzz_scripts.py); the guest program
kfuzz (userland/tests/kfuzz.c) executes them with raw ecalls, two or three
interpreters side by side, on a small board (tests/kfuzz_runner.py). After every trap
the kernel takes, the checks of kernel_invariants.py run: no Python exception escapes
the kernel; every frame is free, owned by exactly one domain, or shared only through a
recorded mapping; no domain reaches a frame nobody granted it (and memory probes agree
with the page tables); charges add up; ended domains hold nothing. At the end every
domain tree is destroyed and every frame must be free.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, seed, settings

from examples import UNDER_MUTATION, examples
from emulator.elf import ElfImage
from kernel.abi import SECTOR_SIZE, Sys
from kfuzz_runner import DISK_SECTORS, FuzzRun, FuzzStats, run_setup
from kfuzz_scripts import HANDLER, Arg, Call, P, S, Setup, lit, setups
from lamina.system import RunOptions, load_program
from guest import shared


@pytest.fixture(scope=shared)
def kfuzz() -> ElfImage:
    return load_program("kfuzz", RunOptions())


@pytest.fixture(scope=shared)
def disk(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A small disk image the runs share (what they write there does not matter)."""
    path = tmp_path_factory.mktemp("kfuzz") / "disk.img"
    path.write_bytes(bytes(DISK_SECTORS * SECTOR_SIZE))
    return path


# --- the interpreter and the checks work --------------------------------------------

PAGE0, PAGE1 = (Arg(P["K_PAGE"], n << 12) for n in (0, 1))
PAGE0_RW = Arg(P["K_PAGE"], 3)  # as a page to send: scratch page 0, read-write
CHILD0 = Arg(P["K_CHILD"], 0)
SELF = Arg(P["K_SELF"])


def one_script(image: ElfImage, disk: Path, *script: Call) -> FuzzRun:
    """Run one interpreter with this script (and no peer) to the end, under the checks."""
    run = FuzzRun(image, disk, Setup(ram_mib=16, quantum=1000, page_quota=8192, scripts=(tuple(script),)))
    run.run()
    return run


def test_interpreter_runs_a_script_and_reports_each_result(kfuzz: ElfImage, disk: Path) -> None:
    run = one_script(
        kfuzz, disk,
        HANDLER,
        Call(S.PAGE_ALLOC, (SELF, PAGE0, lit(1), lit(3))),
        Call(P["OP_POKE"], (PAGE0, lit(0x1234))),
        Call(P["OP_PEEK"], (PAGE0,)),
        Call(P["OP_PEEK"], (PAGE1,)),  # unmapped: the fault handler turns the fault into PROBE_FAULT
        Call(S.DOMAIN_CREATE),
        Call(P["OP_SERVE"], (CHILD0,)),
        Call(S.IPC_CALL, (CHILD0, lit(S.GETID), lit(0), lit(0), lit(0), PAGE0_RW, lit(0))),
        Call(P["OP_RESUME"]),
    )
    d = run.interpreters[0]
    assert d.exit_status == 0, run.log
    child = d.id + 1
    assert run.results[d.id] == [0, 0, 0, 0x1234, P["PROBE_FAULT"], child, 0, 0, 0]
    run.finish()


def test_a_child_destroyed_during_its_disk_read_leaves_its_parent_charged_for_nothing(
        kfuzz: ElfImage, disk: Path) -> None:
    # The agent child allocates its own window page and starts a disk read into it; the
    # frame stays pinned (and charged to the child) after the child is destroyed, and
    # must not stay counted in the parent's subtree once the read completes.
    run = one_script(
        kfuzz, disk,
        Call(S.DOMAIN_CREATE),
        Call(P["OP_SERVE"], (CHILD0,)),
        Call(S.BIND_GRANT, (CHILD0, lit(2), lit(0), lit(8))),
        Call(S.IPC_CALL, (CHILD0, lit(S.PAGE_ALLOC | 3 << 8), lit(0), lit(0x4000_0000), lit(1), lit(0), lit(0))),
        Call(S.IPC_CALL, (CHILD0, lit(S.DISK_IO | 0x4000_0000 << 8), lit(0), lit(0), lit(1), lit(0), lit(0))),
        Call(S.DOMAIN_DESTROY, (CHILD0,)),
        Call(S.PAGE_ALLOC, (SELF, PAGE0, lit(1), lit(3))),
    )
    d = run.interpreters[0]
    assert run.results[d.id] == [d.id + 1, 0, 0, 0, 0, 0, 0]
    run.finish()  # the invariants held after every call, and all frames came back


# --- the fuzz tests ----------------------------------------------------------------------

def fuzz(image: ElfImage, disk: Path, examples: int, max_calls: int, seed_value: int | None = None) -> FuzzStats:
    """Run `examples` random setups under the checks; what they did. Without a seed the
    draws are Hypothesis's derandomized ones (the same every run); with one, that seed's."""
    stats = FuzzStats()

    @settings(max_examples=examples, deadline=None, derandomize=seed_value is None, database=None,
              suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
    @given(setups(max_calls))
    def one(setup: Setup) -> None:
        stats.merge(run_setup(image, disk, setup))

    if seed_value is not None:
        one = seed(seed_value)(one)
    one()
    return stats


def assert_every_call_succeeded_somewhere(stats: FuzzStats) -> None:
    """Random scripts that only ever failed argument checks would test little."""
    never = [s.name for s in Sys if s != Sys.EXIT and not stats.succeeded[s]]
    assert not never, f"these calls never succeeded: {never}; {stats}"


def test_random_call_sequences_keep_every_kernel_invariant(kfuzz: ElfImage, disk: Path) -> None:
    stats = fuzz(kfuzz, disk, examples=examples(420), max_calls=30)
    print(f"\nkfuzz: {stats}")
    assert stats.sequences >= examples(420) * 2
    if not UNDER_MUTATION:  # a tenth of the examples need not reach every call
        assert_every_call_succeeded_somewhere(stats)


@pytest.mark.stress
def test_many_more_random_call_sequences_keep_every_kernel_invariant(kfuzz: ElfImage, disk: Path) -> None:
    stats = fuzz(kfuzz, disk, examples=6000, max_calls=60)
    print(f"\nkfuzz: {stats}")
    assert_every_call_succeeded_somewhere(stats)


@pytest.mark.stress
@pytest.mark.parametrize("seed_value", [1, 2, 3, 4, 5])
def test_random_call_sequences_from_other_seeds_keep_every_kernel_invariant(
        kfuzz: ElfImage, disk: Path, seed_value: int) -> None:
    stats = fuzz(kfuzz, disk, examples=2000, max_calls=40, seed_value=seed_value)
    print(f"\nkfuzz seed {seed_value}: {stats}")
    assert_every_call_succeeded_somewhere(stats)


def test_lowering_a_quota_over_an_exited_child_never_walks_its_freed_page_tables(
        kfuzz: ElfImage, disk: Path) -> None:
    # The child maps one page (so it has a root, a middle and a leaf table), runs, and is
    # killed by its first fetch (its address space has no code). Its leaf table is the
    # last frame freed, so the parent's next page is that frame, and the parent fills it
    # with a PTE pointing outside RAM. Lowering the parent's own quota revokes at once
    # over its subtree, which still holds the exited (not destroyed) child: its address
    # space must map nothing now, not the parent's data read as a table.
    outside_ram = (1 << 40) >> 12 << 10 | 0x1  # valid, pointing at 1 TiB
    page7 = Arg(P["K_PAGE"], 7 << 12)  # in the program's own 2 MiB: no new table needed
    run = one_script(
        kfuzz, disk,
        Call(S.DOMAIN_CREATE),
        Call(S.PAGE_ALLOC, (CHILD0, PAGE0, lit(1), lit(3))),
        Call(S.DOMAIN_SET_STATE, (CHILD0, lit(1))),
        Call(S.YIELD),
        Call(S.PAGE_ALLOC, (SELF, page7, lit(1), lit(3))),
        Call(P["OP_POKE"], (page7, lit(outside_ram))),
        Call(S.SET_QUOTA, (SELF, lit(16))),
    )
    assert not [line for line in run.log if "kernel error" in line], run.log
    d = run.interpreters[0]
    child = run.kernel.domains[d.id + 1]
    assert child.exit_status == 139 and not list(child.space.mappings())
    run.finish()
