"""Just enough instruction decoding to rebuild what Unicorn leaves out of a trap.

Unicorn reports a page fault without its faulting address (stval). The address is
recomputed from the trapping instruction: for loads and stores it is x[rs1] + imm, for
atomics x[rs1]. The hart runs RV64GC code, so both encodings are decoded: 4-byte
instructions, and the 2-byte compressed (RVC) loads and stores, whose base is x2 (sp)
or one of x8..x15 and whose offset is a scaled, unsigned immediate. The clock uses
`insn_length` to count instruction starts in a block, and the counter CSRs are
recognised here for the board to answer them with virtual time (hooks.c).
"""

from __future__ import annotations

from typing import Callable

OPCODE_LOAD = 0x03
OPCODE_LOAD_FP = 0x07
OPCODE_STORE = 0x23
OPCODE_STORE_FP = 0x27
OPCODE_AMO = 0x2F
OPCODE_SYSTEM = 0x73
EBREAK = 0x0010_0073
C_EBREAK = 0x9002
XLEN_MASK = (1 << 64) - 1
SP = 2

# The counter CSRs a user program may read: rdcycle, rdtime, rdinstret.
CSR_CYCLE, CSR_TIME, CSR_INSTRET = 0xC00, 0xC01, 0xC02
COUNTERS = frozenset({CSR_CYCLE, CSR_TIME, CSR_INSTRET})
AMO_LR = 0b00010  # funct5 of lr.w/lr.d: a load; every other AMO counts as a store


def _sign_extend(value: int, bits: int) -> int:
    """Two's-complement value of the low `bits` bits."""
    sign = 1 << (bits - 1)
    return (value & (sign - 1)) - (value & sign)


def _bits(insn: int, hi: int, lo: int) -> int:
    """insn[hi:lo], as the specification writes a field."""
    return (insn >> lo) & ((1 << (hi - lo + 1)) - 1)


def insn_length(parcel: int) -> int:
    """Length in bytes of the instruction whose first 16-bit parcel is given: 4 if its
    low two bits are 11, else 2 (compressed). The hart has no longer encodings."""
    return 4 if parcel & 3 == 3 else 2


def rd(insn: int) -> int:
    """The destination register field of a 4-byte instruction."""
    return _bits(insn, 11, 7)


def memory_address(insn: int, read_reg: Callable[[int], int]) -> int | None:
    """Virtual address a load, store or AMO accesses, or None for other instructions.

    insn is the instruction's bits (16 of them for a compressed one); read_reg(n)
    returns integer register xn as it was when the instruction trapped.
    """
    if insn_length(insn) == 2:
        operand = _compressed_operand(insn)
        if operand is None:
            return None
        base, offset = operand
        return (read_reg(base) + offset) & XLEN_MASK
    opcode = insn & 0x7F
    rs1 = _bits(insn, 19, 15)
    if opcode in (OPCODE_LOAD, OPCODE_LOAD_FP):
        offset = _sign_extend(insn >> 20, 12)
    elif opcode in (OPCODE_STORE, OPCODE_STORE_FP):
        offset = _sign_extend(((insn >> 25) << 5) | _bits(insn, 11, 7), 12)
    elif opcode == OPCODE_AMO:
        offset = 0
    else:
        return None
    base = read_reg(rs1) if rs1 else 0
    return (base + offset) & XLEN_MASK


def _compressed_operand(insn: int) -> tuple[int, int] | None:
    """(base register, offset) of a compressed RV64 load or store, or None (RVC table in
    the unprivileged spec: quadrant 0 uses rs1' = x8 + insn[9:7], quadrant 2 uses sp)."""
    quadrant, funct3 = insn & 3, _bits(insn, 15, 13)
    if quadrant == 0 and funct3 in (1, 3, 5, 7):  # c.fld c.ld c.fsd c.sd: 8-byte scaled
        return 8 + _bits(insn, 9, 7), _bits(insn, 12, 10) << 3 | _bits(insn, 6, 5) << 6
    if quadrant == 0 and funct3 in (2, 6):  # c.lw c.sw: 4-byte scaled
        return 8 + _bits(insn, 9, 7), _bits(insn, 12, 10) << 3 | _bits(insn, 6, 6) << 2 | _bits(insn, 5, 5) << 6
    if quadrant == 2 and funct3 in (1, 3):  # c.fldsp c.ldsp
        return SP, _bits(insn, 12, 12) << 5 | _bits(insn, 6, 5) << 3 | _bits(insn, 4, 2) << 6
    if quadrant == 2 and funct3 == 2:  # c.lwsp
        return SP, _bits(insn, 12, 12) << 5 | _bits(insn, 6, 4) << 2 | _bits(insn, 3, 2) << 6
    if quadrant == 2 and funct3 in (5, 7):  # c.fsdsp c.sdsp
        return SP, _bits(insn, 12, 10) << 3 | _bits(insn, 9, 7) << 6
    if quadrant == 2 and funct3 == 6:  # c.swsp
        return SP, _bits(insn, 12, 9) << 2 | _bits(insn, 8, 7) << 6
    return None


def is_ebreak(insn: int) -> bool:
    """True for ebreak and c.ebreak."""
    return insn in (EBREAK, C_EBREAK)


def is_fence_i(parcel: int) -> bool:
    """True if the parcel begins fence.i (MISC-MEM, funct3 1): code has changed."""
    return parcel & 0x707F == 0x100F


def is_store_amo(insn: int) -> bool:
    """True for an AMO or store-conditional: a misaligned one is a store/AMO fault, not a
    load fault (only lr is a load)."""
    return insn_length(insn) == 4 and insn & 0x7F == OPCODE_AMO and _bits(insn, 31, 27) != AMO_LR


def counter_csr(insn: int) -> int:
    """The counter CSR a 4-byte instruction reads without writing it (csrrs/csrrc and
    their immediate forms with a zero source: rdcycle, rdtime, rdinstret), or 0."""
    if insn & 0x7F != OPCODE_SYSTEM or _bits(insn, 13, 12) < 2 or _bits(insn, 19, 15):
        return 0
    csr = insn >> 20
    return csr if csr in COUNTERS else 0
