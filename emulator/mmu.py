"""The board's Sv39 page-table walker, as the hardware performs it.

The emulated CPU walks page tables itself while running user code; this walker is the
board's own copy of that logic for the few times the board must translate an address
outside of execution: fetching the instruction that trapped, to rebuild stval.
"""

from __future__ import annotations

from emulator.ram import PhysicalMemory
from emulator.riscv import (
    PAGE_SIZE,
    PTE_R,
    PTE_U,
    PTE_V,
    PTE_W,
    PTE_X,
    SATP_MODE_SV39,
    SV39_LEVELS,
    pte_frame,
    vpn,
)

SATP_PPN_MASK = (1 << 44) - 1


def translate(ram: PhysicalMemory, satp: int, va: int, need: int = PTE_R) -> int | None:
    """Physical address for a user-mode access to va needing PTE bits `need`, or None.

    None means the access would fault: invalid or non-user entry, missing permission,
    a malformed table, or a table outside RAM.
    """
    if satp >> 60 != SATP_MODE_SV39 >> 60:
        return None
    if va >= 1 << 38:
        return None
    table = (satp & SATP_PPN_MASK) * PAGE_SIZE
    for level in range(SV39_LEVELS - 1, -1, -1):
        slot = table + 8 * vpn(va, level)
        if not ram.contains(slot, 8):
            return None
        pte = ram.read_u64(slot)
        if not pte & PTE_V or (pte & PTE_W and not pte & PTE_R):
            return None
        if pte & (PTE_R | PTE_X):
            if level != 0 or not pte & PTE_U or (pte & need) != need:
                return None  # Lamina never builds superpages; treat them as faults
            return pte_frame(pte) + (va % PAGE_SIZE)
        table = pte_frame(pte)
    return None
