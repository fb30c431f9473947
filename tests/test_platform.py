"""Pins of the Unicorn behaviours the board is built on (see shared PLATFORM.md).

If an upgrade of unicorn changes one of these, the board's trap translation or clock
would silently go wrong; these tests make it fail loudly instead. They drive raw
Unicorn, not the board, with hand-encoded RV64 instructions under a hand-built Sv39
page table in U-mode.
"""

from __future__ import annotations

import struct

import pytest
import unicorn
from unicorn import UC_ARCH_RISCV, UC_HOOK_BLOCK, UC_HOOK_INTR, UC_MODE_RISCV64, UC_PROT_ALL, Uc, UcError
from unicorn.riscv_const import UC_RISCV_REG_PC, UC_RISCV_REG_PRIV, UC_RISCV_REG_SATP, UC_RISCV_REG_T0

RAM = 0x8000_0000
CODE_VA = 0x1_0000
LI_T0_0, LI_T1_10, ADDI_T0_1, BLT_BACK = 0x00000293, 0x00A00313, 0x00128293, 0xFE62CEE3
ECALL, EBREAK, LUI_T2_0x300, LD_T3_8_T2 = 0x00000073, 0x00100073, 0x003003B7, 0x0083BE03


def user_machine(words: list[int], software_bits: int = 0) -> Uc:
    """Unicorn in U-mode with `words` at CODE_VA (R+X+U, and software_bits of the PTE)
    under Sv39, nothing else mapped."""
    uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV64)
    uc.mem_map(RAM, 1 << 20, UC_PROT_ALL)
    root, mid, leaf, code = RAM, RAM + 0x1000, RAM + 0x2000, RAM + 0x3000
    pte = lambda pa, flags: struct.pack("<Q", (pa >> 12) << 10 | flags | 1)  # noqa: E731
    uc.mem_write(root + 8 * 0, pte(mid, 0))
    uc.mem_write(mid + 8 * 0, pte(leaf, 0))
    uc.mem_write(leaf + 8 * (CODE_VA >> 12), pte(code, 0x2 | 0x8 | 0x10 | 0x40 | 0x80 | software_bits))
    uc.mem_write(code, struct.pack(f"<{len(words)}I", *words))
    uc.reg_write(UC_RISCV_REG_SATP, (8 << 60) | (root >> 12))
    uc.reg_write(UC_RISCV_REG_PRIV, 0)
    return uc


def exceptions(uc: Uc) -> list[tuple[int, int]]:
    """Record (intno, pc) of every exception hook call, stopping the CPU at each."""
    seen: list[tuple[int, int]] = []

    def hook(uc_: Uc, intno: int, _d: object) -> None:
        seen.append((intno, uc_.reg_read(UC_RISCV_REG_PC)))
        uc_.emu_stop()

    uc.hook_add(UC_HOOK_INTR, hook)
    return seen


def test_unicorn_version_is_the_pinned_one():
    assert unicorn.__version__ == "2.1.4"


def test_ecall_reaches_the_hook_as_cause_8_with_pc_advanced_by_4():
    uc = user_machine([LI_T0_0, ECALL])
    seen = exceptions(uc)
    uc.emu_start(CODE_VA, 0xFFFF_FFFF_FFFF_F000)
    assert seen == [(8, CODE_VA + 8)]


def test_the_mmu_ignores_the_ptes_software_bits():
    """Bits 8 and 9 of a PTE are reserved for supervisor software (privileged spec,
    Sv32/Sv39 PTE format): the kernel keeps Perm.MARK in bit 8, so a marked page must
    translate like any other."""
    uc = user_machine([LI_T0_0, ECALL], software_bits=0x300)
    seen = exceptions(uc)
    uc.emu_start(CODE_VA, 0xFFFF_FFFF_FFFF_F000)
    assert seen == [(8, CODE_VA + 8)]


def test_load_page_fault_reaches_the_hook_as_cause_13_with_pc_advanced_by_4():
    uc = user_machine([LUI_T2_0x300, LD_T3_8_T2])
    seen = exceptions(uc)
    uc.emu_start(CODE_VA, 0xFFFF_FFFF_FFFF_F000)
    assert seen == [(13, CODE_VA + 8)]


def test_fetch_page_fault_is_cause_12_with_target_plus_4():
    uc = user_machine([LUI_T2_0x300, 0x00038067])  # jr t2
    seen = exceptions(uc)
    uc.emu_start(CODE_VA, 0xFFFF_FFFF_FFFF_F000)
    assert seen == [(12, 0x30_0000 + 4)]


def test_ebreak_is_an_emulator_error_with_pc_at_the_ebreak():
    uc = user_machine([LI_T0_0, EBREAK])
    exceptions(uc)
    with pytest.raises(UcError) as err:
        uc.emu_start(CODE_VA, 0xFFFF_FFFF_FFFF_F000)
    assert err.value.errno == unicorn.UC_ERR_INSN_INVALID
    assert uc.reg_read(UC_RISCV_REG_PC) == CODE_VA + 4


def test_stopping_in_a_block_hook_keeps_that_block_from_running():
    # The instruction clock charges a block when its hook runs, and relies on a stop
    # requested there to prevent the block from executing at all.
    uc = user_machine([LI_T0_0, LI_T1_10, ADDI_T0_1, BLT_BACK, ECALL])
    blocks = []

    def hook(uc_: Uc, address: int, size: int, _d: object) -> None:
        blocks.append(address)
        if len(blocks) == 3:
            uc_.emu_stop()

    uc.hook_add(UC_HOOK_BLOCK, hook)
    exceptions(uc)
    uc.emu_start(CODE_VA, 0xFFFF_FFFF_FFFF_F000)
    # Blocks 1 (li, li, addi, blt) and 2 (addi, blt) ran; the third did not.
    assert uc.reg_read(UC_RISCV_REG_T0) == 2
    assert uc.reg_read(UC_RISCV_REG_PC) == CODE_VA + 8


@pytest.mark.parametrize("native", [True, False])
def test_hooks_register_count_and_deliver_a_trap(native):
    from emulator.hooks import Hooks
    from emulator.native import load_hook_library
    from toolchain.build import default_build_dir

    lib = load_hook_library(default_build_dir() / "host") if native else None
    assert (lib is not None) == native, "the native hooks did not build"
    uc = user_machine([LI_T0_0, LI_T1_10, ADDI_T0_1, BLT_BACK, ECALL])
    seen = []

    def handler() -> None:
        seen.append((hooks.state.cause, hooks.state.pc, hooks.state.count))
        hooks.state.keep_running = 0

    hooks = Hooks(uc, lib, handler)
    hooks.state.deadline = 1 << 40
    uc.emu_start(CODE_VA, 0xFFFF_FFFF_FFFF_F000)
    # li, li, ten (addi, blt): the ecall traps, so it does not retire
    assert seen == [(8, CODE_VA + 16, 2 + 2 * 10)]


# --- compressed code and counters (the board's answers: tests/test_compressed.py) ---

C_NOP, C_EBREAK = 0x0001, 0x9002
RDCYCLE_A0, RDTIME_A0 = 0xC0002573, 0xC0102573
NOP = 0x00000013


def halfwords(*parcels: int) -> list[int]:
    """16-bit parcels packed into the 32-bit words user_machine takes (c.nop padding)."""
    parcels = parcels + (C_NOP,) * (len(parcels) % 2)
    return [parcels[i] | parcels[i + 1] << 16 for i in range(0, len(parcels), 2)]


def test_a_fault_in_a_compressed_instruction_also_reaches_the_hook_at_pc_plus_4():
    from unicorn.riscv_const import UC_RISCV_REG_A1

    c_ld_a0_0_a1 = 0b011 << 13 | 3 << 7 | 2 << 2  # c.ld a0, 0(a1)
    uc = user_machine(halfwords(C_NOP, c_ld_a0_0_a1))
    uc.reg_write(UC_RISCV_REG_A1, 0x30_0000)
    seen = exceptions(uc)
    uc.emu_start(CODE_VA, 0xFFFF_FFFF_FFFF_F000)
    assert seen == [(13, CODE_VA + 2 + 4)]  # the c.ld is at CODE_VA + 2


def test_c_ebreak_is_an_emulator_error_with_pc_at_it():
    uc = user_machine(halfwords(C_NOP, C_EBREAK))
    exceptions(uc)
    with pytest.raises(UcError) as err:
        uc.emu_start(CODE_VA, 0xFFFF_FFFF_FFFF_F000)
    assert err.value.errno == unicorn.UC_ERR_INSN_INVALID
    assert uc.reg_read(UC_RISCV_REG_PC) == CODE_VA + 2


def test_a_block_size_in_bytes_does_not_say_how_many_compressed_instructions_it_holds():
    c_j_self = 0xA001  # c.j . : a block of one 2-byte instruction
    uc = user_machine(halfwords(C_NOP, C_NOP, c_j_self))
    sizes = []

    def hook(uc_: Uc, address: int, size: int, _d: object) -> None:
        sizes.append((address, size))
        if len(sizes) == 3:
            uc_.emu_stop()

    uc.hook_add(UC_HOOK_BLOCK, hook)
    uc.emu_start(CODE_VA, 0xFFFF_FFFF_FFFF_F000)
    assert sizes == [(CODE_VA, 6), (CODE_VA + 4, 2), (CODE_VA + 4, 2)]  # 6 bytes, 3 instructions


def test_cycle_is_readable_in_user_mode_with_host_ticks_even_with_counteren_clear():
    from unicorn.riscv_const import UC_RISCV_REG_A0, UC_RISCV_REG_MCOUNTEREN, UC_RISCV_REG_SCOUNTEREN

    uc = user_machine([RDCYCLE_A0, NOP, ECALL])
    uc.reg_write(UC_RISCV_REG_PRIV, 3)
    uc.reg_write(UC_RISCV_REG_MCOUNTEREN, 0)
    uc.reg_write(UC_RISCV_REG_SCOUNTEREN, 0)
    uc.reg_write(UC_RISCV_REG_PRIV, 0)
    seen = exceptions(uc)
    uc.emu_start(CODE_VA, 0xFFFF_FFFF_FFFF_F000)
    assert seen == [(8, CODE_VA + 12)]  # no trap at the rdcycle: it cannot be trapped and emulated
    assert uc.reg_read(UC_RISCV_REG_A0) > 1000  # host ticks, not instructions


def test_a_csr_instruction_ends_its_translated_block():
    # The board answers a counter read in the hook that runs next, which is only safe
    # because nothing after the read runs in the same block.
    uc = user_machine([NOP, RDCYCLE_A0, NOP, NOP, ECALL])
    blocks = []
    uc.hook_add(UC_HOOK_BLOCK, lambda uc_, address, size, _d: blocks.append((address, size)))
    exceptions(uc)
    uc.emu_start(CODE_VA, 0xFFFF_FFFF_FFFF_F000)
    assert blocks[:2] == [(CODE_VA, 8), (CODE_VA + 8, 12)]


def test_time_is_an_illegal_instruction_in_user_mode():
    uc = user_machine([RDTIME_A0, ECALL])
    seen = exceptions(uc)
    uc.emu_start(CODE_VA, 0xFFFF_FFFF_FFFF_F000)
    assert seen == [(2, CODE_VA + 4)]


def test_a_misaligned_amo_is_reported_as_a_load_fault():
    # The spec says store/AMO address misaligned (6): the board corrects the cause.
    from unicorn.riscv_const import UC_RISCV_REG_A1

    amoadd_d_a0_a2_a1 = 0 << 27 | 12 << 20 | 11 << 15 | 3 << 12 | 10 << 7 | 0x2F
    uc = user_machine([amoadd_d_a0_a2_a1])
    uc.reg_write(UC_RISCV_REG_A1, CODE_VA + 4)
    seen = exceptions(uc)
    uc.emu_start(CODE_VA, 0xFFFF_FFFF_FFFF_F000)
    assert seen == [(4, CODE_VA + 4)]
