"""Address spaces: Sv39 page tables that the kernel builds in guest RAM.

Each domain has one AddressSpace. The emulated CPU walks these tables in hardware; the
kernel writes them and walks them itself to check and copy user memory. All frames
for tables come from the FrameTable, charged to the domain that owns the space.
"""

from __future__ import annotations

import struct
from itertools import compress
from typing import Iterator, NamedTuple

from emulator.ram import PhysicalMemory
from emulator.riscv import (PAGE_SHIFT, PAGE_SIZE, PTE_A, PTE_D, PTE_R, PTE_RSW, PTE_U, PTE_V, PTE_W, PTE_X,
                            SATP_MODE_SV39, SV39_LEVELS, SV39_VPN_BITS, make_pte, pte_frame, vpn)
from kernel.abi import USER_VA_LIMIT, Perm
from kernel.frames import FrameKind, FrameTable

TABLE_PAGE = struct.Struct("<512Q")  # a page-table page: 512 little-endian PTEs
LEAF_REGION_SHIFT = PAGE_SHIFT + SV39_VPN_BITS  # one leaf table maps 2 MiB
VPN_MASK = (1 << SV39_VPN_BITS) - 1
# PTE_R, PTE_W and PTE_X are Perm.R, Perm.W and Perm.X shifted left by one, so converting
# is a shift: IntFlag arithmetic costs 0.4 to 0.7 us an operation in Python 3.11, and
# these conversions run on every page a system call checks or maps.
RWX_SHIFT = 1
assert (PTE_R, PTE_W, PTE_X) == (Perm.R << RWX_SHIFT, Perm.W << RWX_SHIFT, Perm.X << RWX_SHIFT)
RWX = 7  # Perm.R | Perm.W | Perm.X, as a plain int
MARK = 8  # Perm.MARK as a plain int: kept in the PTE's first RSW bit, which the MMU ignores
MARK_SHIFT = 5
assert PTE_RSW == Perm.MARK << MARK_SHIFT
PERMS = tuple(Perm(bits) for bits in range(16))  # each combination made once: Perm(n) costs 0.35 us
# R, RW, RX, RWX, each with or without the mark: Sv39 reserves W without R, and a page
# needs some access.
VALID_PERMS = frozenset(PERMS[rights | mark] for rights in (1, 3, 5, 7) for mark in (0, MARK))


def pte_flags(perm: Perm) -> int:
    """PTE bits for a user page with ABI permissions perm (A and D preset: no A/D faults)."""
    return PTE_U | PTE_A | PTE_D | (int(perm) & RWX) << RWX_SHIFT | (int(perm) & MARK) << MARK_SHIFT


def pte_perm(pte: int) -> Perm:
    """ABI permissions of a leaf PTE."""
    return PERMS[(pte >> RWX_SHIFT) & RWX | (pte >> MARK_SHIFT) & MARK]


def leaf_entry(pa: int, perm: Perm) -> int:
    """The leaf entry that maps frame pa with permissions perm."""
    return make_pte(pa, pte_flags(perm))


def narrowed_entries(entries: list[int], mask: int) -> list[int]:
    """Leaf entries (0: none) with their rights ANDed with mask's and mask's mark added."""
    clear, add = (~mask & RWX) << RWX_SHIFT, (mask & MARK) << MARK_SHIFT
    return [e & ~clear | add if e else 0 for e in entries]


def within(perm: int, limit: int) -> bool:
    """True if permissions perm ask for no right beyond limit (plain ints: see above).
    The mark is no right: any mapping may carry it or not."""
    return perm & ~int(limit) & RWX == 0


def valid_perm(perm: int) -> bool:
    """True for R, R+W, R+X, R+W+X, each with or without the mark."""
    return perm in VALID_PERMS


def is_user_page(va: int) -> bool:
    """True if va is a page-aligned address of the user half."""
    return va % PAGE_SIZE == 0 and 0 <= va < USER_VA_LIMIT


class Mapping(NamedTuple):
    """One user page mapping: virtual page -> frame, with permissions. (A named tuple:
    lookups make one per page checked, and a frozen dataclass costs twice as much.)"""

    va: int
    pa: int
    perm: Perm


class AddressSpace:
    """An Sv39 address space owned by one domain."""

    def __init__(self, frames: FrameTable, owner: int) -> None:
        self.frames = frames
        self.ram: PhysicalMemory = frames.ram
        self.owner = owner
        self.root = 0
        self.tables: list[int] = []
        self.pages_mapped = 0
        # Leaf table of each 2 MiB region walked so far. Tables are freed only with the
        # whole space, so an entry never goes stale; fork and copy-on-write walk every
        # page, and this turns their three-level walks into one dictionary lookup.
        self._leaf_tables: dict[int, int] = {}

    def allocate_root(self) -> None:
        """Allocate the root table (separate from __init__ so the owner exists first)."""
        self.root = self.frames.alloc(self.owner, FrameKind.TABLE)
        self.tables = [self.root]
        self._leaf_tables.clear()

    @property
    def satp(self) -> int:
        """The satp value that selects this address space."""
        return SATP_MODE_SV39 | (self.root // PAGE_SIZE)

    @property
    def released(self) -> bool:
        """True once the tables are freed: the space maps nothing, and its old tables,
        perhaps another domain's memory by now, must never be read as tables again."""
        return not self.root

    def _slot(self, va: int, create: bool) -> int | None:
        """Physical address of the leaf PTE for va, making missing tables if create."""
        region = va >> LEAF_REGION_SHIFT
        leaf = self._leaf_tables.get(region)
        if leaf is None:
            if self.released:
                if create:
                    raise ValueError("mapping into a released address space")
                return None
            leaf = self._leaf_table(va, create)
            if leaf is None:
                return None
            self._leaf_tables[region] = leaf
        return leaf + 8 * ((va >> PAGE_SHIFT) & VPN_MASK)

    def _leaf_table(self, va: int, create: bool) -> int | None:
        """Walk from the root to the leaf table for va, making missing tables if create."""
        # BEGIN LAB pgtbl
        table = self.root
        for level in range(SV39_LEVELS - 1, 0, -1):
            slot = table + 8 * vpn(va, level)
            pte = self.ram.read_u64(slot)
            if pte & PTE_V:
                table = pte_frame(pte)
                continue
            if not create:
                return None
            table = self.frames.alloc(self.owner, FrameKind.TABLE)
            self.tables.append(table)
            self.ram.write_u64(slot, make_pte(table, 0))  # non-leaf: no R/W/X
        return table
        # END LAB pgtbl

    def map(self, va: int, pa: int, perm: Perm) -> bool:
        """Map the page at va to frame pa; False if va is already mapped."""
        # BEGIN LAB pgtbl
        slot = self._slot(va, create=True)
        assert slot is not None
        if self.ram.read_u64(slot) & PTE_V:
            return False
        self.ram.write_u64(slot, leaf_entry(pa, perm))
        self.pages_mapped += 1
        return True
        # END LAB pgtbl

    def unmap(self, va: int) -> int | None:
        """Remove the mapping at va and return its frame, or None if none was there."""
        # BEGIN LAB pgtbl
        slot = self._slot(va, create=False)
        if slot is None:
            return None
        pte = self.ram.read_u64(slot)
        if not pte & PTE_V:
            return None
        self.ram.write_u64(slot, 0)
        self.pages_mapped -= 1
        return pte_frame(pte)
        # END LAB pgtbl

    def lookup(self, va: int) -> Mapping | None:
        """The mapping of the page containing va, or None."""
        # BEGIN LAB pgtbl
        page = va - va % PAGE_SIZE
        slot = self._slot(page, create=False)
        if slot is None:
            return None
        pte = self.ram.read_u64(slot)
        if not pte & PTE_V:
            return None
        return Mapping(page, pte_frame(pte), pte_perm(pte))
        # END LAB pgtbl

    # The range calls work on runs of raw entries (an int per page, 0 for none), read
    # and written a leaf table's part at a time: a Mapping per page would cost more
    # than the rest of such a call.

    def entries(self, va: int, npages: int) -> list[int]:
        """The leaf entries of npages pages from va, 0 where nothing is mapped."""
        out: list[int] = []
        for start, n in self._runs(va, npages):
            slot = self._slot(start, create=False)
            out += self.ram.read_u64s(slot, n) if slot is not None else (0,) * n
        return out

    def set_entries(self, va: int, entries: list[int]) -> None:
        """Replace the leaf entries of the pages from va (0: nothing mapped there) with
        entries read by entries() (perhaps narrowed by narrowed_entries()) or made by
        leaf_entry()."""
        for start, n in self._runs(va, len(entries)):
            first = (start - va) >> PAGE_SHIFT
            part = entries[first:first + n]
            slot = self._slot(start, create=part.count(0) < n)
            if slot is None:
                continue  # nothing is mapped here, and nothing is to be
            self.pages_mapped += self.ram.read_u64s(slot, n).count(0) - part.count(0)
            self.ram.write_u64s(slot, part)

    @staticmethod
    def _runs(va: int, npages: int) -> Iterator[tuple[int, int]]:
        """(first page, pages) for each piece of a range that one leaf table maps."""
        while npages > 0:
            n = min(npages, (1 << SV39_VPN_BITS) - ((va >> PAGE_SHIFT) & VPN_MASK))
            yield va, n
            va += n * PAGE_SIZE
            npages -= n

    def mappings(self) -> Iterator[Mapping]:
        """Every user mapping, in address order (none once released)."""
        for va, pte in self.leaf_entries():
            yield Mapping(va, pte_frame(pte), pte_perm(pte))

    def leaf_entries(self) -> Iterator[tuple[int, int]]:
        """(va, raw entry) of every user mapping, in address order. Tables are made only
        through _slot, which remembers every leaf table, so only those are read."""
        for region in sorted(self._leaf_tables):
            first, ptes = self._occupied(self._leaf_tables[region])
            base = (region << LEAF_REGION_SHIFT) + first * PAGE_SIZE
            for i in compress(range(len(ptes)), ptes):  # the non-zero entries only
                yield base + i * PAGE_SIZE, ptes[i]

    def _occupied(self, table: int) -> tuple[int, tuple[int, ...]]:
        """The index of the first non-zero entry of a table, and the entries from it to
        the last non-zero one. Mappings come in runs, and finding the run's ends in the
        table as one big integer costs far less than looking at 512 entries one by one."""
        raw = self.ram.read(table, PAGE_SIZE)
        bits = int.from_bytes(raw, "little")
        if not bits:
            return 0, ()
        first, end = ((bits & -bits).bit_length() - 1) // 64, (bits.bit_length() + 63) // 64
        return first, struct.unpack_from(f"<{end - first}Q", raw, 8 * first)

    def describe(self) -> list[str]:
        """The page table as xv6's vmprint prints it: a line for the root, then one per
        valid entry, depth first, indented by level, with its index, the entry and the
        frame it points to; a leaf also shows its virtual address and rights."""
        # BEGIN LAB pgtbl
        lines = [f"page table {self.root:#x}"]

        def walk(table: int, level: int, base: int) -> None:
            depth = SV39_LEVELS - level
            for i, pte in enumerate(TABLE_PAGE.unpack(self.ram.read(table, PAGE_SIZE))):
                if not pte & PTE_V:
                    continue
                va = base + (i << (PAGE_SHIFT + SV39_VPN_BITS * level))
                line = f"{' ..' * depth}{i}: pte {pte:#x} pa {pte_frame(pte):#x}"
                if level == 0:
                    rights = "".join(c if pte & bit else "-" for c, bit in (("r", PTE_R), ("w", PTE_W), ("x", PTE_X)))
                    lines.append(f"{line} va {va:#x} {rights}")
                else:
                    lines.append(line)
                    walk(pte_frame(pte), level - 1, va)

        if not self.released:
            walk(self.root, SV39_LEVELS - 1, 0)
        return lines
        # END LAB pgtbl

    def pieces(self, va: int, length: int, need: Perm) -> list[tuple[int, int]] | None:
        """The physical (address, length) pieces behind [va, va+length), each page
        mapped with at least `need`; None if any byte is not. What copies and DMA use."""
        if length < 0 or va < 0 or va + length > USER_VA_LIMIT:
            return None
        out = []
        required = PTE_V | (int(need) & RWX) << RWX_SHIFT  # checked on the raw PTE: no Mapping made
        while length > 0:
            offset = va % PAGE_SIZE
            slot = self._slot(va - offset, create=False)
            pte = 0 if slot is None else self.ram.read_u64(slot)
            if pte & required != required:
                return None
            chunk = min(length, PAGE_SIZE - offset)
            out.append((pte_frame(pte) + offset, chunk))
            va += chunk
            length -= chunk
        return out

    def copy_in(self, va: int, length: int) -> bytes | None:
        """Read user memory with the user's rights (readable pages); None on any hole."""
        parts = self.pieces(va, length, Perm.R)
        return None if parts is None else b"".join(self.ram.read(pa, n) for pa, n in parts)

    def copy_out(self, va: int, data: bytes) -> bool:
        """Write user memory with the user's rights (writable pages); False on any hole,
        and then nothing is written."""
        parts = self.pieces(va, len(data), Perm.W)
        if parts is None:
            return False
        pos = 0
        for pa, n in parts:
            self.ram.write(pa, data[pos:pos + n])
            pos += n
        return True

    def release_tables(self) -> None:
        """Free every page-table frame (the caller has dealt with the mapped pages); the
        space is released for good and maps nothing from now on."""
        for table in self.tables:
            self.frames.free(table)
        self.tables = []
        self.pages_mapped = 0
        self._leaf_tables.clear()
        self.root = 0
