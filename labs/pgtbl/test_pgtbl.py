"""Lab pgtbl, public graders: programs on the student's page tables, isolation, the
exact number of tables, and the printer. Expected values come from Sv39's geometry."""

from __future__ import annotations

import re

import pytest

from labsupport import guest

LEVELS, BITS, PAGE = 3, 9, 4096


def tables_needed(vas: set[int]) -> int:
    """The page-table pages Sv39 needs to map these pages: the root, a level-1 table per
    distinct VPN[2], a level-0 table per distinct (VPN[2], VPN[1])."""
    return 1 + len({va >> 30 for va in vas}) + len({va >> 21 for va in vas})


def table_frames(k, did: int) -> int:
    """Frames the frame table says domain did holds as page tables."""
    from kernel.frames import FrameKind

    return sum(1 for info in k.frames.owned_frames().values() if info.owner == did and info.kind == FrameKind.TABLE)


@pytest.mark.points(10)
def test_programs_run_on_your_page_tables():
    g = guest("hello a b")
    assert g.output.splitlines()[-3:] == ["argv[0] = hello", "argv[1] = a", "argv[2] = b"], \
        f"hello printed {g.output!r}; {g.trouble()}"
    assert g.status() == 0


@pytest.mark.points(15)
def test_a_domain_cannot_reach_what_it_was_not_granted():
    from emulator.riscv import Cause

    g = guest("peek 0x30000000", "writetext")
    peek, write = g.result.domains
    assert peek.killed_by is not None and peek.killed_by.cause == Cause.LOAD_PAGE_FAULT \
        and peek.killed_by.tval == 0x30000000, f"reading unmapped memory: {g.trouble()}"
    assert write.killed_by is not None and write.killed_by.cause == Cause.STORE_PAGE_FAULT, \
        f"writing read-only text must be a store page fault: {g.trouble()}"


@pytest.mark.points(15)
def test_every_domain_holds_exactly_the_tables_sv39_needs():
    seen: dict[int, set[int]] = {}
    checked: list[str] = []

    def check(k, d):
        if not d.alive:
            return  # an ended domain's tables are freed with it
        vas = seen.setdefault(d.id, set())
        vas.update(m.va for m in d.space.mappings())
        want, have = tables_needed(vas), table_frames(k, d.id)
        if want != have:
            checked.append(f"{d.label} maps {len(vas)} pages and holds {have} table pages; Sv39 needs {want}")

    g = guest("memcalls", "edges", "cowtest 16 5", before_run=lambda k: setattr(k, "after_syscall", lambda d: check(k, d)))
    assert all(s == 0 for s in (g.status(0), g.status(1), g.status(2))), g.trouble()
    assert not checked, checked[0]


@pytest.mark.points(10)
def test_the_printer_shows_every_level_of_a_fresh_program():
    from lamina.config import config_for_programs
    from lamina.system import RunOptions, boot_config

    d = boot_config(config_for_programs([["hello"]]), RunOptions()).domains[0]
    lines = d.space.describe()
    assert lines[0] == f"page table {d.space.root:#x}", f"first line: {lines[0]!r}"
    leaves = [line for line in lines[1:] if " va " in line]
    mappings = list(d.space.mappings())
    assert len(leaves) == len(mappings), f"{len(leaves)} leaf lines for {len(mappings)} pages"
    for line, m in zip(leaves, mappings):
        match = re.fullmatch(r" \.\. \.\. \.\.(\d+): pte 0x[0-9a-f]+ pa (0x[0-9a-f]+) va (0x[0-9a-f]+) ([r-][w-][x-])", line)
        assert match, f"a leaf line should read ' .. .. ..IDX: pte 0x.. pa 0x.. va 0x.. rwx', not {line!r}"
        rights = "".join(c if m.perm & bit else "-" for c, bit in (("r", 1), ("w", 2), ("x", 4)))
        assert (int(match[1]), int(match[2], 16), int(match[3], 16), match[4]) == \
            ((m.va >> 12) & 511, m.pa, m.va, rights), f"{line!r} does not match {m}"
    upper = [line for line in lines[1:] if " va " not in line]
    assert len(upper) == tables_needed({m.va for m in mappings}) - 1, "a line for each table below the root"
