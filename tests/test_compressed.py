"""The hart runs compressed (RVC) code and reads its counters deterministically.

Lamina's own programs are built without compressed instructions, but the board runs
RV64GC, so a program may carry 2-byte instructions (the Linux personality will): they
are counted one by one, preempted like any others, and their faults report the pc and
tval the privileged spec gives. The counter CSRs (cycle, time, instret) read virtual
time and instructions retired, never host time. `userland/tests/rvc.c` has the code;
expected counts come from its disassembly, expected values from the spec.
"""

from __future__ import annotations

import re

import capstone
import pytest
from elftools.elf.elffile import ELFFile

from emulator.riscv import Cause
from guest import run
from lamina.report import stats_json
from toolchain.build import build_program

NATIVE = pytest.mark.parametrize("native", [True, False], ids=["native", "python"])


def disassembly(symbol: str) -> list[capstone.CsInsn]:
    """The instructions of a function of rvc, decoded with compressed ones allowed."""
    with open(build_program("rvc"), "rb") as f:
        elf = ELFFile(f)
        sym = elf.get_section_by_name(".symtab").get_symbol_by_name(symbol)[0]
        text = elf.get_section_by_name(".text")
        start = sym["st_value"] - text["sh_addr"]
        code = text.data()[start:start + sym["st_size"]]
    md = capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC)
    return list(md.disasm(code, sym["st_value"]))


def symbol_address(symbol: str) -> int:
    """Where a function of rvc starts."""
    return disassembly(symbol)[0].address


def values(text: str) -> dict[str, int]:
    """The 'name value' lines rvc counters prints."""
    return {m[1]: int(m[2]) for m in re.finditer(r"^(\w+) (\d+)$", text, re.M)}


def test_the_mixed_loop_really_mixes_both_lengths():
    sizes = {i.size for i in disassembly("mixed_loop")}
    assert sizes == {2, 4}


@NATIVE
def test_mixed_code_is_counted_one_instruction_at_a_time(native):
    body = disassembly("mixed_loop")
    per_turn = next(n for n, i in enumerate(body, 1) if i.mnemonic.endswith("bnez"))  # loop start to branch
    few, many = (run(["rvc", "count", str(n)], native=native).domain().stats.instructions for n in (1000, 3000))
    assert many - few == 2000 * per_turn


@NATIVE
def test_a_compressed_jump_to_itself_is_preempted_and_stops_at_the_instruction_limit(native):
    r = run(["rvc", "loop"], ["hello", "x"], max_instructions=3_000_000, native=native)
    assert "argv[1] = x" in r.text  # the other domain got the CPU
    assert r.result.kernel.board.instructions == 3_000_000
    assert r.domain(0).stats.instructions > 2_900_000 and r.domain(0).alive


@NATIVE
def test_a_fault_in_a_compressed_store_reports_its_pc_and_address(native):
    r = run(["rvc", "store"], native=native)
    trap = r.domain().killed_by
    assert trap.cause == Cause.STORE_PAGE_FAULT
    assert trap.pc == symbol_address("compressed_store")
    assert trap.tval == 0x30000000 + 8


@NATIVE
def test_c_ebreak_is_a_breakpoint_whose_tval_is_its_pc(native):
    r = run(["rvc", "ebreak"], native=native)
    trap = r.domain().killed_by
    assert trap.cause == Cause.BREAKPOINT and trap.tval == trap.pc
    assert [i.mnemonic for i in disassembly("main") if i.address == trap.pc] == ["c.ebreak"]


@NATIVE
def test_a_misaligned_amo_is_a_store_amo_fault_with_the_address(native):
    r = run(["rvc", "amo"], native=native)
    address = int(re.search(r"amoadd.d at (0x[0-9a-f]+)", r.text)[1], 16)
    trap = r.domain().killed_by
    assert (trap.cause, trap.tval) == (Cause.STORE_MISALIGNED, address)
    assert address % 8 == 4


@NATIVE
def test_counters_read_virtual_time_and_instructions_retired_as_the_spec_counts_them(native):
    r = run(["rvc", "counters"], native=native)
    v = values(r.text)
    # Each read returns what retired before it: rdcycle, rdtime, rdinstret follow each
    # other; four nops and a rdinstret; then li and ecall (an ecall does not retire).
    assert v["time"] == v["cycle"] + 1
    assert v["instret"] == v["cycle"] + 2  # nothing idled: virtual time is instructions
    assert v["instret_after"] == v["instret"] + 5
    assert v["clock"] == v["instret_after"] + 2


@NATIVE
def test_cycle_and_time_include_the_time_a_domain_slept_and_instret_does_not(native):
    r = run(["rvc", "sleep", "50000"], native=native)
    v = values(r.text)
    idle = r.result.kernel.board.idle
    assert idle > 40_000
    assert v["time"] == v["cycle"] + 1 and v["clock"] == v["instret_after"] + 2 + idle
    assert v["cycle"] == v["instret"] - 2 + idle


def test_a_program_reading_every_counter_gives_identical_stats_on_every_run():
    runs = [run(["rvc", "counters"], ["rvc", "sleep", "30000"], ["spin", "20000"]) for _ in range(3)]
    assert len({stats_json(r.result) for r in runs}) == 1
    assert len({r.output for r in runs}) == 1


def test_an_instruction_listing_of_compressed_code_counts_and_decodes_each_instruction():
    import io

    from lamina.insntrace import InstructionListing, parse_window

    out = io.StringIO()
    r = run(["rvc", "count", "3"], before_run=lambda k: InstructionListing(k, parse_window("1:0-100000"), out))
    rows = [line.split() for line in out.getvalue().splitlines()]
    # #0, #1, ... each once; the last is the exit's ecall, which is listed but does not retire
    assert [int(row[3][1:]) for row in rows] == list(range(r.domain().stats.instructions + 1))
    loop = [" ".join(row[7:]) for row in rows if "<mixed_loop" in row[5]]  # hex, mnemonic, operands
    body = disassembly("mixed_loop")[:5]
    assert [text.split()[1] for text in loop[:5]] == [i.mnemonic for i in body]
    assert [len(text.split()[0]) for text in loop[:5]] == [2 * i.size for i in body]  # 4 or 8 hex digits
