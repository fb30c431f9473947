"""Just enough instruction decoding to rebuild what Unicorn leaves out of a trap.

Unicorn reports a page fault without its faulting address (stval). The address is
recomputed from the trapping instruction: for loads and stores it is x[rs1] + imm, for
atomics x[rs1]. Only 32-bit encodings are decoded: Lamina's user code has no
compressed instructions (toolchain flags), and the board treats the rest as illegal.
"""

from __future__ import annotations

from typing import Callable

OPCODE_LOAD = 0x03
OPCODE_LOAD_FP = 0x07
OPCODE_STORE = 0x23
OPCODE_STORE_FP = 0x27
OPCODE_AMO = 0x2F
EBREAK = 0x0010_0073
XLEN_MASK = (1 << 64) - 1


def _sign_extend(value: int, bits: int) -> int:
    """Two's-complement value of the low `bits` bits."""
    sign = 1 << (bits - 1)
    return (value & (sign - 1)) - (value & sign)


def memory_address(insn: int, read_reg: Callable[[int], int]) -> int | None:
    """Virtual address a load, store or AMO accesses, or None for other instructions.

    read_reg(n) returns integer register xn as it was when the instruction trapped.
    """
    opcode = insn & 0x7F
    rs1 = (insn >> 15) & 0x1F
    if opcode in (OPCODE_LOAD, OPCODE_LOAD_FP):
        offset = _sign_extend(insn >> 20, 12)
    elif opcode in (OPCODE_STORE, OPCODE_STORE_FP):
        offset = _sign_extend(((insn >> 25) << 5) | ((insn >> 7) & 0x1F), 12)
    elif opcode == OPCODE_AMO:
        offset = 0
    else:
        return None
    base = read_reg(rs1) if rs1 else 0
    return (base + offset) & XLEN_MASK


def is_ebreak(insn: int) -> bool:
    """True for the ebreak instruction."""
    return insn == EBREAK
