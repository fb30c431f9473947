"""Architectural definitions of RV64 that the board implements and the kernel relies on.

Trap causes and the Sv39 page-table format come from the RISC-V privileged
specification; register numbers and ABI names from the unprivileged one. Kept in one
module so that the emulator and the kernel share a single definition.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum


class Cause(IntEnum):
    """Synchronous exception codes (scause with the interrupt bit clear)."""

    INSN_MISALIGNED = 0
    INSN_ACCESS_FAULT = 1
    ILLEGAL_INSTRUCTION = 2
    BREAKPOINT = 3
    LOAD_MISALIGNED = 4
    LOAD_ACCESS_FAULT = 5
    STORE_MISALIGNED = 6
    STORE_ACCESS_FAULT = 7
    ECALL_FROM_U = 8
    ECALL_FROM_S = 9
    ECALL_FROM_M = 11
    INSN_PAGE_FAULT = 12
    LOAD_PAGE_FAULT = 13
    STORE_PAGE_FAULT = 15

    @property
    def label(self) -> str:
        """The cause as a reader would say it: 'load page fault'."""
        return self.name.lower().replace("_", " ").replace("insn", "instruction")


_BY_CODE = {int(c): c for c in Cause}


def cause_from_code(code: int) -> Cause:
    """The Cause for an exception code; codes the spec does not define count as illegal."""
    return _BY_CODE.get(code, Cause.ILLEGAL_INSTRUCTION)


PAGE_FAULTS = frozenset({Cause.INSN_PAGE_FAULT, Cause.LOAD_PAGE_FAULT, Cause.STORE_PAGE_FAULT})


@dataclass(frozen=True, slots=True)
class Trap:
    """A synchronous trap as the privileged spec defines it.

    pc is the address of the trapping instruction (sepc), tval the faulting virtual
    address for page faults, the instruction bits for illegal instructions, and 0
    otherwise (stval).
    """

    cause: Cause
    pc: int
    tval: int = 0


# Sv39 page-table entries.
PAGE_SHIFT = 12
PAGE_SIZE = 1 << PAGE_SHIFT
PTE_V = 1 << 0
PTE_R = 1 << 1
PTE_W = 1 << 2
PTE_X = 1 << 3
PTE_U = 1 << 4
PTE_G = 1 << 5
PTE_A = 1 << 6
PTE_D = 1 << 7
PTE_RSW = 1 << 8  # the first of two bits the MMU ignores, for supervisor software
PTE_PPN_SHIFT = 10
SV39_LEVELS = 3
SV39_VPN_BITS = 9
SATP_MODE_SV39 = 8 << 60


def pte_frame(pte: int) -> int:
    """Physical address of the page or table a PTE points to."""
    return (pte >> PTE_PPN_SHIFT) << PAGE_SHIFT


def make_pte(pa: int, flags: int) -> int:
    """A valid PTE pointing at physical address pa with the given flag bits."""
    return ((pa >> PAGE_SHIFT) << PTE_PPN_SHIFT) | flags | PTE_V


def vpn(va: int, level: int) -> int:
    """Index into the level-`level` table for virtual address va (level 2 is the root)."""
    return (va >> (PAGE_SHIFT + SV39_VPN_BITS * level)) & ((1 << SV39_VPN_BITS) - 1)


# Integer registers: x0..x31 and their ABI names, in register-number order.
REG_NAMES = (
    "zero ra sp gp tp t0 t1 t2 s0 s1 a0 a1 a2 a3 a4 a5 a6 a7 "
    "s2 s3 s4 s5 s6 s7 s8 s9 s10 s11 t3 t4 t5 t6"
).split()
SP, A0, A1, A2, A3, A4, A5, A6, A7 = 2, 10, 11, 12, 13, 14, 15, 16, 17
