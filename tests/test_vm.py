"""kernel/vm.py's AddressSpace on its own: real RAM, a real frame table, no CPU.

The guest tests reach these paths through system calls; here each method is held to
what it promises, with expected values from the Sv39 layout in the RISC-V privileged
specification (section 4.4), not from the code under test: a virtual address splits
into VPN[2] (bits 38..30), VPN[1] (29..21), VPN[0] (20..12) and the page offset; a PTE
holds the frame number from bit 10 and the flags V=1, R=2, W=4, X=8, U=16, A=64, D=128
below it, with bits 8 and 9 left to software (Lamina keeps Perm.MARK in bit 8,
docs/abi.md). Every mutant of vm.py that the guest tests let through and that can
change behaviour fails a test here or in test_kernel_edges.py.
"""

from __future__ import annotations

import pytest

from emulator.ram import PhysicalMemory
from kernel.abi import USER_VA_LIMIT, Perm
from kernel.frames import FrameKind, FrameTable
from kernel.vm import AddressSpace, narrowed_entries

PAGE = 4096
V, R, W, X, U, A, D, MARK = 1, 2, 4, 8, 16, 64, 128, 256
RAM_BASE = 0x8000_0000
OWNER = 7


def leaf(pa: int, rights: int) -> int:
    """The leaf PTE the spec gives for a user page at pa with rights (PTE bits)."""
    return (pa >> 12) << 10 | rights | U | A | D | V


def vpns(va: int) -> tuple[int, int, int]:
    return (va >> 30) & 511, (va >> 21) & 511, (va >> 12) & 511


@pytest.fixture
def frames() -> FrameTable:
    return FrameTable(PhysicalMemory(RAM_BASE, 64 * PAGE))


@pytest.fixture
def space(frames: FrameTable) -> AddressSpace:
    s = AddressSpace(frames, OWNER)
    s.allocate_root()
    return s


def page(frames: FrameTable, fill: int = 0) -> int:
    """A user frame, filled with one byte value."""
    pa = frames.alloc(OWNER)
    frames.ram.fill(pa, PAGE, fill)
    return pa


def walk(space: AddressSpace, va: int) -> int:
    """The leaf PTE of va found by walking the three levels by hand (0: none)."""
    ram, table = space.ram, space.root
    for index in vpns(va)[:2]:
        pte = ram.read_u64(table + 8 * index)
        if not pte & V:
            return 0
        table = (pte >> 10) << 12
    return ram.read_u64(table + 8 * vpns(va)[2])


def test_map_writes_the_leaf_entry_the_spec_describes_and_refuses_a_second_map(space, frames):
    pa = page(frames)
    va = 0x1234_5000
    assert space.map(va, pa, Perm.R | Perm.W) is True
    assert walk(space, va) == leaf(pa, R | W)
    assert space.map(va, page(frames), Perm.R) is False, "a mapped page must not be mapped over"
    assert walk(space, va) == leaf(pa, R | W), "a refused map must leave the entry as it was"
    assert space.pages_mapped == 1


def test_the_mark_is_kept_in_the_first_software_bit(space, frames):
    pa = page(frames)
    space.map(0x5000, pa, Perm.R | Perm.MARK)
    assert walk(space, 0x5000) == leaf(pa, R) | MARK


def test_lookup_names_the_page_containing_an_address(space, frames):
    pa = page(frames)
    space.map(0x40_0000, pa, Perm.R | Perm.X)
    m = space.lookup(0x40_0000 + 0x123)
    assert (m.va, m.pa, m.perm) == (0x40_0000, pa, Perm.R | Perm.X)
    assert space.lookup(0x40_1000) is None and space.lookup(0x80_0000) is None


def test_unmap_returns_the_frame_once(space, frames):
    pa = page(frames)
    space.map(0x7000, pa, Perm.R)
    assert space.unmap(0x7000) == pa
    assert walk(space, 0x7000) == 0
    assert space.unmap(0x7000) is None and space.unmap(0x40_0000_0000 - PAGE) is None
    assert space.pages_mapped == 0


def test_page_zero_and_the_last_user_page_are_ordinary_pages(space, frames):
    first, last = page(frames, 0x11), page(frames, 0x22)
    assert space.map(0, first, Perm.R | Perm.W) and space.map(USER_VA_LIMIT - PAGE, last, Perm.R | Perm.W)
    assert walk(space, 0) == leaf(first, R | W) and walk(space, USER_VA_LIMIT - PAGE) == leaf(last, R | W)
    assert space.copy_in(0, 4) == b"\x11" * 4 and space.copy_in(5, 1) == b"\x11"
    assert space.copy_in(USER_VA_LIMIT - 4, 4) == b"\x22" * 4, "a copy may end exactly at the limit"
    assert space.copy_in(USER_VA_LIMIT - 4, 5) is None, "nor one byte past it"
    assert [m.va for m in space.mappings()] == [0, USER_VA_LIMIT - PAGE]


def test_every_mapping_is_listed_once_in_address_order(space, frames):
    # Slots 0, 63, 64 and 511 of one leaf table (the run's ends are found 64 bits at a
    # time), one page alone in another 2 MiB region, and one in another 1 GiB region.
    region = 0x4000_0000
    vas = [region + i * PAGE for i in (0, 63, 64, 511)] + [region + 0x20_0000 + 5 * PAGE, 0x8000_0000]
    pas = {}
    for va in reversed(vas):
        pas[va] = page(frames)
        space.map(va, pas[va], Perm.R)
    assert [(m.va, m.pa, m.perm) for m in space.mappings()] == [(va, pas[va], Perm.R) for va in vas]
    assert [(va, e) for va, e in space.leaf_entries()] == [(va, leaf(pas[va], R)) for va in vas]
    space.unmap(region)
    space.unmap(region + 511 * PAGE)
    assert [m.va for m in space.mappings()] == vas[1:3] + vas[4:]


def test_a_space_with_no_pages_lists_none(space, frames):
    space.map(0x1000, page(frames), Perm.R)
    space.unmap(0x1000)  # leaves an empty leaf table behind
    assert list(space.mappings()) == []


def test_range_entries_read_and_write_what_the_walk_sees(space, frames):
    base = 0x20_0000 - 2 * PAGE  # four pages across a leaf table's edge
    pas = [page(frames) for _ in range(3)]
    space.map(base, pas[0], Perm.R)
    space.map(base + 2 * PAGE, pas[1], Perm.R | Perm.W)
    assert space.entries(base, 4) == [leaf(pas[0], R), 0, leaf(pas[1], R | W), 0]
    space.set_entries(base, [0, leaf(pas[2], R | X), leaf(pas[1], R), leaf(pas[0], R | W)])
    assert [walk(space, base + i * PAGE) for i in range(4)] == [0, leaf(pas[2], R | X), leaf(pas[1], R), leaf(pas[0], R | W)]
    assert space.pages_mapped == 3


def test_narrowing_takes_rights_away_and_adds_only_a_marks_mark():
    rwx = leaf(0x8000_1000, R | W | X)
    assert narrowed_entries([rwx, 0], int(Perm.R)) == [leaf(0x8000_1000, R), 0]
    assert narrowed_entries([rwx], int(Perm.R | Perm.X)) == [leaf(0x8000_1000, R | X)]
    assert narrowed_entries([rwx, 0], int(Perm.R | Perm.MARK)) == [leaf(0x8000_1000, R) | MARK, 0], \
        "a hole stays a hole, marked or not"
    assert narrowed_entries([rwx | MARK], int(Perm.R | Perm.W)) == [leaf(0x8000_1000, R | W) | MARK], \
        "narrowing never takes a mark away"


def test_copies_across_three_pages_land_in_each_frame_in_order(space, frames):
    pas = [page(frames) for _ in range(3)]
    for i, pa in enumerate(pas):
        space.map(0x10_0000 + i * PAGE, pa, Perm.R | Perm.W)
    data = bytes((i * 7 + i // 251) % 256 for i in range(PAGE + 300))
    va = 0x10_0000 + PAGE - 100  # 100 bytes in the first page, all of the second, the rest in the third
    assert space.copy_out(va, data) is True
    ram = frames.ram
    assert ram.read(pas[0] + PAGE - 100, 100) == data[:100]
    assert ram.read(pas[1], PAGE) == data[100:100 + PAGE]
    assert ram.read(pas[2], 200) == data[100 + PAGE:]
    assert space.copy_in(va, len(data)) == data
    assert space.copy_in(va + 1, 0) == b"" and space.copy_out(va, b"") is True


def test_copies_need_the_users_rights_on_every_page_and_do_nothing_otherwise(space, frames):
    rw, ro = page(frames, 0xAA), page(frames, 0xBB)
    space.map(0x3000, rw, Perm.R | Perm.W)
    space.map(0x4000, ro, Perm.R)
    assert space.copy_out(0x3000 + PAGE - 2, b"abcd") is False, "the second page is read-only"
    assert frames.ram.read(rw + PAGE - 2, 2) == b"\xaa\xaa", "a refused copy writes nothing"
    assert space.copy_in(0x3000 + PAGE - 2, 4) == b"\xaa\xaa\xbb\xbb"
    assert space.copy_in(0x4000 + PAGE - 2, 4) is None, "the page after is not mapped"
    assert space.pieces(0x4000, 8, Perm.X) is None, "not executable"
    assert space.pieces(0x4000, 8, Perm.R) == [(ro, 8)]


# 1 << 39 is past what Sv39's three 9-bit indices hold: a walk that did not check would
# wrap around to the page-0 region, which is mapped here.
@pytest.mark.parametrize("va, length", [(-PAGE, 8), (0x3000, -1), (USER_VA_LIMIT - 8, 16), (USER_VA_LIMIT, 1),
                                        (1 << 39, 8), ((1 << 39) + 0x3000, 8)])
def test_ranges_outside_the_user_half_are_refused(space, frames, va, length):
    space.map(0, page(frames), Perm.R | Perm.W)
    space.map(0x3000, page(frames), Perm.R | Perm.W)
    space.map(USER_VA_LIMIT - PAGE, page(frames), Perm.R | Perm.W)
    assert space.pieces(va, length, Perm.R) is None


def test_the_printer_indents_each_level_as_xv6s_vmprint(space, frames):
    pa, text = page(frames), page(frames)
    va = (3 << 30) | (5 << 21) | (9 << 12)
    space.map(va, pa, Perm.R | Perm.W)
    space.map(va + PAGE, text, Perm.R | Perm.X)
    top = space.ram.read_u64(space.root + 8 * 3)
    middle = space.ram.read_u64(((top >> 10) << 12) + 8 * 5)
    assert space.describe() == [
        f"page table {space.root:#x}",
        f" ..3: pte {top:#x} pa {(top >> 10) << 12:#x}",
        f" .. ..5: pte {middle:#x} pa {(middle >> 10) << 12:#x}",
        f" .. .. ..9: pte {leaf(pa, R | W):#x} pa {pa:#x} va {va:#x} rw-",
        f" .. .. ..10: pte {leaf(text, R | X):#x} pa {text:#x} va {va + PAGE:#x} r-x",
    ]


def test_tables_are_non_leaf_entries_owned_by_the_space(space, frames):
    space.map(0x4000_0000, page(frames), Perm.R)
    top = space.ram.read_u64(space.root + 8)
    assert top & (V | R | W | X) == V, "a pointer to the next level has V set and no R, W or X"
    tables = [space.root, (top >> 10) << 12]
    assert sorted(space.tables) == sorted(tables + [(space.ram.read_u64(tables[1]) >> 10) << 12])
    assert all((frames.info(t).kind, frames.info(t).owner) == (FrameKind.TABLE, OWNER) for t in space.tables)


def test_releasing_frees_every_table_and_maps_nothing_after(space, frames):
    pa = page(frames)
    space.map(0x4000_0000, pa, Perm.R)
    space.map(0x1000, page(frames), Perm.R)
    tables = list(space.tables)
    assert len(tables) == 5  # the root, two middle tables, two leaf tables
    held = frames.held_by(OWNER)
    space.release_tables()
    assert frames.held_by(OWNER) == held - 5
    assert all(frames.info(t).kind == FrameKind.FREE for t in tables)
    assert space.released and space.pages_mapped == 0 and space.tables == []
    assert list(space.mappings()) == [] and space.lookup(0x4000_0000) is None
    assert space.describe() == ["page table 0x0"]
    with pytest.raises(ValueError, match=r"^mapping into a released address space$"):
        space.map(0x4000_0000, pa, Perm.R)


def test_looking_at_regions_without_tables_builds_none(space, frames):
    before = list(space.tables)
    assert space.entries(0x4000_0000, 3) == [0, 0, 0]
    assert space.unmap(0x4000_0000) is None and space.lookup(0x4000_0000 + 8) is None
    assert space.pieces(0x4000_0000, 8, Perm.R) is None
    assert space.tables == before, "a walk that only looks must not make tables"


def test_setting_entries_makes_tables_only_where_something_is_mapped(space, frames):
    pa = page(frames)
    last = 0x60_0000 - PAGE  # the last page of one 2 MiB region; the next page starts another
    space.set_entries(last, [0, leaf(pa, R)])
    assert walk(space, last) == 0 and walk(space, last + PAGE) == leaf(pa, R)
    assert len(space.tables) == 3, "the root, one middle table, and a leaf table for the second region only"
    space.set_entries(last, [0, 0])
    assert walk(space, last + PAGE) == 0 and space.pages_mapped == 0 and len(space.tables) == 3
