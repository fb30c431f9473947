"""Baselines on raw Unicorn: the same guest code with nothing of Lamina around it.

The guest loop is spin_loop from the real `spin` program, called directly in M-mode
with flat memory and no hooks: the fastest the emulator can run that code. The
system-call baseline is a loop of ecall to an empty Python hook, the least any
Python kernel could pay for a crossing. The switch floor is the board itself with no
kernel: two contexts that trap and switch straight to each other, the least an IPC
round trip (two traps, two switches) could cost on this board.
"""

from __future__ import annotations

import struct
from pathlib import Path

from unicorn import UC_ARCH_RISCV, UC_HOOK_INTR, UC_MODE_RISCV64, UC_PROT_ALL, Uc
from unicorn.riscv_const import UC_RISCV_REG_A0, UC_RISCV_REG_RA, UC_RISCV_REG_SP

from emulator.elf import ElfImage

RETURN_ADDRESS = 0x7000_0000  # where spin_loop returns to: emu_start's end address
STACK_TOP = 0x7100_0000
PAGE = 4096
ECALL, ADDI_T0_M1, BNEZ_T0_BACK8 = 0x00000073, 0xFFF28293, 0xFE029CE3


def _map_image(uc: Uc, image: ElfImage) -> None:
    """Map every segment of image at its own addresses, flat."""
    for seg in image.segments:
        start = seg.vaddr - seg.vaddr % PAGE
        end = -(-(seg.vaddr + seg.memsz) // PAGE) * PAGE
        try:
            uc.mem_map(start, end - start, UC_PROT_ALL)
        except Exception:
            pass  # shares a page with the previous segment
        uc.mem_write(seg.vaddr, seg.data)


def raw_spin_loop(image: ElfImage) -> Uc:
    """A Uc ready to call spin_loop; run it with run_raw_spin_loop."""
    uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV64)
    _map_image(uc, image)
    uc.mem_map(RETURN_ADDRESS, PAGE, UC_PROT_ALL)
    uc.mem_map(STACK_TOP - 16 * PAGE, 16 * PAGE, UC_PROT_ALL)
    return uc


def run_raw_spin_loop(uc: Uc, image: ElfImage, iterations: int) -> None:
    """spin_loop(iterations) on raw Unicorn, from entry to return."""
    uc.reg_write(UC_RISCV_REG_A0, iterations)
    uc.reg_write(UC_RISCV_REG_RA, RETURN_ADDRESS)
    uc.reg_write(UC_RISCV_REG_SP, STACK_TOP)
    uc.emu_start(image.symbol_address("spin_loop"), RETURN_ADDRESS)


def raw_ecall_loop(calls: int) -> Uc:
    """A Uc whose code makes `calls` ecalls to an empty Python hook, then ends."""
    uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV64)
    uc.mem_map(0x1_0000, PAGE, UC_PROT_ALL)
    # t0 = calls (set by register); loop: ecall; addi t0, t0, -1; bnez t0, loop
    uc.mem_write(0x1_0000, struct.pack("<3I", ECALL, ADDI_T0_M1, BNEZ_T0_BACK8))
    uc.hook_add(UC_HOOK_INTR, lambda uc_, intno, data: None)
    return uc


def run_raw_ecall_loop(uc: Uc, calls: int) -> None:
    """Make the calls."""
    from unicorn.riscv_const import UC_RISCV_REG_T0

    uc.reg_write(UC_RISCV_REG_T0, calls)
    uc.emu_start(0x1_0000, 0x1_0000 + 12)


# --- the floor under IPC: traps and direct switches with no kernel at all -------------------

CODE_VA = 0x1_0000
JAL_X0_BACK4 = 0xFFDFF06F  # jal x0, -4: back to the ecall


def switch_floor_board(native_cache: Path):
    """A board with two U-mode contexts, each under its own Sv39 table mapping one code
    page that loops `ecall; j back`. Returns (board, [context A, context B])."""
    from emulator.board import Board, BoardConfig
    from emulator.riscv import PTE_A, PTE_R, PTE_U, PTE_X, SATP_MODE_SV39, make_pte

    board = Board(BoardConfig(ram_mib=1, native_cache=native_cache, console_sink=lambda data: None))
    ram = board.ram
    code = ram.base
    ram.write(code, struct.pack("<2I", ECALL, JAL_X0_BACK4))
    contexts = []
    for n in range(2):
        root, mid, leaf = (ram.base + PAGE * (1 + 3 * n + i) for i in range(3))
        ram.write_u64(root, make_pte(mid, 0))
        ram.write_u64(mid, make_pte(leaf, 0))
        ram.write_u64(leaf + 8 * (CODE_VA // PAGE), make_pte(code, PTE_R | PTE_X | PTE_U | PTE_A))
        contexts.append(board.cpu.new_context(CODE_VA, SATP_MODE_SV39 | root >> 12, {}))
    return board, contexts


def run_switch_floor(board, contexts, traps: int) -> None:
    """Ping-pong between the two contexts: every ecall resumes after itself (as the
    kernel does) and switches directly to the other context, `traps` times."""
    cpu = board.cpu
    count = 0

    def on_trap(cause: int, pc: int) -> bool:
        nonlocal count
        count += 1
        cpu.pc = pc + 4
        cpu.switch_in_trap(contexts[count % 2])
        return count < traps

    cpu.trap_handler = on_trap
    cpu.run(contexts[0], 1 << 40)
