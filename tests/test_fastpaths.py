"""The fast paths keep the machine's behaviour exactly: a direct switch inside a trap
(one C call, or its Python twin) saves every register of the context that trapped and
hands the hart every register of the next one; and walking a page table in one read
finds the same mappings as walking it entry by entry.
"""

from __future__ import annotations

import ctypes

import pytest
from test_platform import CODE_VA, ECALL, RAM, user_machine
from unicorn.riscv_const import UC_RISCV_REG_X0

from emulator.hooks import A0_INDEX, NARGS, Hooks, Registers

A_REGS = [1, 5, 8, 10, 13, 17, 18, 31]  # some of each kind: ra, t0, s0, a0, a3, a7, s2, t6
SATP = (8 << 60) | (RAM >> 12)  # the page table user_machine builds


def addi(rd: int, imm: int) -> int:
    """addi rd, x0, imm: put a small constant in rd."""
    return (imm & 0xFFF) << 20 | rd << 7 | 0x13


def switched_registers(native: bool) -> tuple[list[int], list[int], int]:
    """Run code that sets A_REGS and traps; the handler switches to a context whose xi is
    1000 + i and resumes it at a second ecall. Returns what was saved of the first
    context, what the hart held at the second trap, and where that trap was."""
    from emulator.native import load_hook_library
    from toolchain.build import default_build_dir

    lib = load_hook_library(default_build_dir() / "host") if native else None
    assert (lib is not None) == native, "the native hooks did not build"
    code = [addi(r, 100 + r) for r in A_REGS] + [ECALL, ECALL]
    uc = user_machine(code)
    second_ecall = CODE_VA + 4 * (len(code) - 1)
    saved, new = Registers(), Registers()
    new[1:32] = [1000 + i for i in range(1, 32)]
    new[0] = second_ecall  # a saved context's pc lives in x0's slot
    seen: list[int] = []

    def handler() -> None:
        s = hooks.state
        if not seen:
            hooks.switch_in_trap(uc, ctypes.addressof(saved), ctypes.addressof(new), SATP)
            seen.append(s.pc)
            return
        for i in range(1, 32):  # the hart, with a0..a7 as the trap frame holds them
            in_frame = A0_INDEX <= i < A0_INDEX + NARGS
            seen.append(s.a[i - A0_INDEX] if in_frame else uc.reg_read(UC_RISCV_REG_X0 + i))
        seen.append(s.pc)
        s.keep_running = 0

    hooks = Hooks(uc, lib, handler)
    hooks.state.deadline = 1 << 40
    uc.emu_start(CODE_VA, 0xFFFF_FFFF_FFFF_F000)
    return list(saved), seen[1:32], seen[32]


@pytest.mark.parametrize("native", [True, False])
def test_a_direct_switch_saves_and_loads_every_register(native):
    saved, loaded, _ = switched_registers(native)
    assert saved[1:] == [100 + i if i in A_REGS else 0 for i in range(1, 32)]
    assert loaded == [1000 + i for i in range(1, 32)]


@pytest.mark.parametrize("native", [True, False])
def test_a_direct_switch_moves_the_pc_with_the_registers(native):
    saved, _, second_trap = switched_registers(native)
    assert saved[0] == CODE_VA + 4 * len(A_REGS)  # the resume pc of the context that trapped
    assert second_trap == CODE_VA + 4 * (len(A_REGS) + 1)  # the hart went on at the new one's


def test_the_native_switch_and_its_python_twin_agree():
    assert switched_registers(True) == switched_registers(False)


def test_walking_a_table_in_one_read_finds_every_mapping():
    from guest import boot
    from lamina.config import config_for_programs

    space = boot(config_for_programs([["spin", "10"]])).result.domains[0].space
    walked = list(space.mappings())
    assert walked and len(walked) == space.pages_mapped
    assert all(space.lookup(m.va) == m for m in walked)  # each found again by a lookup
    assert [m.va for m in walked] == sorted(m.va for m in walked)
