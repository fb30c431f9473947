"""Exact instruction accounting: counts match what the disassembly says must run.

spin N runs spin_loop, one loop whose body has a fixed number of instructions, and
nothing else in spin depends on N except through the number of digits of the
argument. So between two runs with arguments of the same length, the count must
differ by exactly (N1 - N2) x (instructions per iteration), read off the disassembly.
"""

from __future__ import annotations

import capstone
import pytest

from emulator.elf import read_elf
from guest import run, shared

BRANCHES = {"beq", "bne", "blt", "bge", "bltu", "bgeu", "beqz", "bnez", "bltz", "bgez", "blez", "bgtz"}


def loop_body_length(elf_path) -> int:
    """Instructions in one iteration of spin_loop's single backward branch loop."""
    image = read_elf(elf_path)
    start = image.symbol_address("spin_loop")
    size = next(s for a, s, n in image.symbols if n == "spin_loop")
    text = next(s for s in image.segments if s.executable)
    code = text.data[start - text.vaddr:start - text.vaddr + size]
    md = capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64)
    loops = []
    for insn in md.disasm(code, start):
        assert insn.size == 4, "user code must have no compressed instructions"
        if insn.mnemonic in BRANCHES:
            offset = int(insn.op_str.split(",")[-1].strip(), 0)  # capstone prints pc-relative
            if offset < 0:
                loops.append(-offset // 4 + 1)
    assert len(loops) == 1, f"spin_loop should have exactly one loop, found {loops}"
    return loops[0]


@pytest.fixture(scope=shared)
def per_iteration() -> int:
    from toolchain.build import build_program

    return loop_body_length(build_program("spin"))  # the program the runs below run


def spin_count(n: str, **kw) -> int:
    return run(f"spin {n}", **kw).domain().stats.instructions


def test_spin_loop_body_is_a_handful_of_instructions(per_iteration):
    assert 2 <= per_iteration <= 8


@pytest.mark.parametrize("small,large", [("100000", "200000"), ("50000", "60000"), ("1", "9")])
def test_instruction_count_grows_by_exactly_n_times_the_loop_body(per_iteration, small, large):
    assert spin_count(large) - spin_count(small) == (int(large) - int(small)) * per_iteration


def test_concurrent_domains_are_counted_exactly_as_when_alone():
    alone = [spin_count("100000"), spin_count("50000")]
    together = run("spin 100000", "spin 50000", quantum=10_000).result
    assert [d.stats.instructions for d in together.domains] == alone
    assert together.kernel.board.instructions == sum(alone)


def test_both_domains_make_progress_under_preemption():
    r = run("spin 100000", "spin 50000", quantum=10_000).result
    first, second = r.domains
    assert first.stats.slices > 10 and second.stats.slices > 5
    assert r.kernel.switches >= 2 * second.stats.slices - 1


def test_a_slice_ends_at_the_first_block_boundary_past_the_quantum():
    r = run("spin 100000", "spin 100000", quantum=1000).result
    for d in r.domains:
        # Every full slice is at least the quantum and at most a quantum plus one block.
        assert d.stats.slices == pytest.approx(d.stats.instructions / 1000, rel=0.05)


def test_a_domain_alone_keeps_the_cpu_for_several_quanta():
    alone = run("spin 100000", quantum=1000).domain()
    assert alone.stats.slices < alone.stats.instructions / 1000 / 10



def test_ipc_round_trips_hand_the_cpu_over_directly_and_stay_exactly_counted():
    r = run("ipcbench 200")
    assert "200 round trips, last reply 201" in r.text
    k = r.result.kernel
    client, server = k.domains[1], k.domains[2]
    assert k.switches >= 400  # every call and every reply switched domains
    assert client.stats.instructions + server.stats.instructions == k.board.instructions


def test_direct_switches_are_the_same_with_native_and_python_hooks():
    from lamina.report import stats_json

    assert stats_json(run("ipcbench 50").result) == stats_json(run("ipcbench 50", native=False).result)
