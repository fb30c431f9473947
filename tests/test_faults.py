"""Faulting programs are stopped with the architectural cause, pc and tval, alone.

Each expected pc is checked against the program's own disassembly: it must be the
instruction that can trap (a load, a store, the illegal word...), inside main.
"""

from __future__ import annotations

import capstone
import pytest

from emulator.riscv import Cause
from guest import run

DISASM = capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64)


def instruction_at(domain, pc: int) -> capstone.CsInsn:
    """Disassemble the program's instruction at pc from its ELF image."""
    for seg in domain.image.segments:
        if seg.executable and seg.vaddr <= pc < seg.vaddr + len(seg.data):
            off = pc - seg.vaddr
            return next(DISASM.disasm(seg.data[off:off + 4], pc))
    raise AssertionError(f"{pc:#x} is not in the program's text")


def main_range(domain) -> range:
    start = domain.image.symbol_address("main")
    size = next(s for a, s, n in domain.image.symbols if n == "main")
    return range(start, start + size)


def test_null_dereference_is_a_load_page_fault_at_the_load_with_tval_zero():
    d = run("nullderef").domain()
    t = d.killed_by
    assert t.cause == Cause.LOAD_PAGE_FAULT and t.tval == 0
    assert t.pc in main_range(d)
    assert instruction_at(d, t.pc).mnemonic in ("ld", "lw", "lb", "lbu", "lwu", "lh", "lhu")


def test_illegal_word_is_an_illegal_instruction_with_its_bits_in_tval():
    d = run("illegal").domain()
    t = d.killed_by
    assert t.cause == Cause.ILLEGAL_INSTRUCTION and t.tval == 0
    assert t.pc in main_range(d)
    raw = next(s for s in d.image.segments if s.executable)
    assert raw.data[t.pc - raw.vaddr:t.pc - raw.vaddr + 4] == b"\0\0\0\0"


def test_privileged_csr_write_from_user_mode_is_illegal():
    d = run("privileged").domain()
    t = d.killed_by
    assert t.cause == Cause.ILLEGAL_INSTRUCTION
    assert instruction_at(d, t.pc).mnemonic.startswith("csr")
    assert t.tval == int.from_bytes(instruction_at(d, t.pc).bytes, "little")


def test_writing_own_text_is_a_store_page_fault_at_mains_address():
    d = run("writetext").domain()
    t = d.killed_by
    assert t.cause == Cause.STORE_PAGE_FAULT
    assert t.tval == d.image.symbol_address("main")
    assert instruction_at(d, t.pc).mnemonic in ("sw", "sd")


def test_jump_to_unmapped_address_is_an_instruction_page_fault_there():
    t = run("badjump").domain().killed_by
    assert (t.cause, t.pc, t.tval) == (Cause.INSN_PAGE_FAULT, 0x3000_0000, 0x3000_0000)


def test_ebreak_is_a_breakpoint_at_the_ebreak():
    d = run("ebreak").domain()
    t = d.killed_by
    assert t.cause == Cause.BREAKPOINT and t.tval == t.pc
    assert instruction_at(d, t.pc).mnemonic == "ebreak"


@pytest.mark.parametrize("program", ["nullderef", "illegal", "privileged", "writetext", "badjump", "ebreak"])
def test_a_fault_stops_only_that_domain_and_a_concurrent_spin_finishes(program):
    r = run(program, "spin 50000", quantum=1000)
    faulty, spinner = r.result.domains
    assert faulty.exit_status == 139 and faulty.killed_by is not None
    assert spinner.exit_status == 0 and spinner.killed_by is None
    assert "spin: checksum" in r.text
    assert len(r.log) == 1


def test_fault_message_names_domain_program_cause_pc_symbol_and_tval():
    r = run("nullderef")
    (line,) = r.log
    t = r.domain().killed_by
    assert line.startswith("domain 1 (nullderef) killed: load page fault at pc ")
    assert f"{t.pc:#x} <main+" in line and "nullderef.c:" in line
    assert line.endswith("tval 0x0")


def test_a_faulting_instruction_is_not_counted_as_executed():
    # The load that faults retires nothing: the count stops just before it, and so
    # it is the same whatever the quantum.
    counts = {run("nullderef", quantum=q).domain().stats.instructions for q in (1, 7, 100_000)}
    assert len(counts) == 1
