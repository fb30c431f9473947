"""Domains reach only memory they were granted: not another domain's frames, not their
own page tables, not unmapped addresses. Every attempt is a fault of the attacker and
changes nothing elsewhere."""

from __future__ import annotations

from emulator.riscv import Cause
from guest import boot, run
from kernel.abi import USER_STACK_TOP
from lamina.config import config_for_programs


def frames_of_first_run():
    """Physical layout of 'spin 300000' booted alone: deterministic, so the same next time."""
    b = boot(config_for_programs([["spin", "300000"], ["peek", "0x1"]]))
    spin, peek = b.result.domains
    data_frame = next(m.pa for m in spin.space.mappings() if m.perm & 2)
    return spin.space.root, data_frame, peek.space.root


def test_physical_layout_is_deterministic():
    assert frames_of_first_run() == frames_of_first_run()


def test_a_domain_cannot_read_another_domains_frame():
    _, victim_frame, _ = frames_of_first_run()
    r = run("spin 300000", f"peek {victim_frame:#x}", quantum=5000)
    spin, peek = r.result.domains
    assert peek.killed_by.cause == Cause.LOAD_PAGE_FAULT
    assert peek.killed_by.tval == victim_frame
    assert spin.exit_status == 0


def test_a_domain_cannot_write_another_domains_frame():
    _, victim_frame, _ = frames_of_first_run()
    alone = run("spin 300000").text
    r = run("spin 300000", f"poke {victim_frame:#x} 0x4141414141414141", quantum=5000)
    spin, poke = r.result.domains
    assert poke.killed_by.cause == Cause.STORE_PAGE_FAULT
    assert poke.killed_by.tval == victim_frame
    assert spin.exit_status == 0
    assert alone.splitlines()[-1] in r.text  # the victim computed the same checksum


def test_a_domain_cannot_touch_its_own_page_tables():
    _, _, own_root = frames_of_first_run()
    r = run("spin 300000", f"poke {own_root:#x} 0xff")
    assert r.domain(1).killed_by.cause == Cause.STORE_PAGE_FAULT
    assert r.domain(1).killed_by.tval == own_root


def test_unmapped_and_kernel_half_addresses_fault():
    for addr in (0x0, 0x3000_0000, USER_STACK_TOP, 0xFFFF_FFFF_8000_0000):
        d = run(f"peek {addr:#x}").domain()
        assert d.killed_by.cause == Cause.LOAD_PAGE_FAULT, hex(addr)
        assert d.killed_by.tval == addr


def test_same_virtual_address_reads_each_domains_own_frame():
    # Both read the last stack word, which holds the tail of their own argv strings.
    # If switching domains left stale TLB entries, the second would read the first's.
    addr = USER_STACK_TOP - 8
    spellings = (f"{addr:#x}", str(addr))  # same address, different argv bytes
    r = run(f"peek {spellings[0]}", f"peek {spellings[1]}", quantum=50)
    values = [line.split("= ")[1] for line in r.text.splitlines() if " = " in line]
    seen = {int(v, 16).to_bytes(8, "little") for v in values}
    assert seen == {spelling.encode()[-7:] + b"\0" for spelling in spellings}


def test_instances_of_one_program_share_read_only_frames_but_not_writable_ones():
    b = boot(config_for_programs([["spin", "10"], ["spin", "20"]]))
    first, second = (dict((m.va, m) for m in d.space.mappings()) for d in b.result.domains)
    assert first.keys() == second.keys()
    for va, m in first.items():
        if m.perm & 2:
            assert m.pa != second[va].pa, hex(va)  # data and stack: private
        else:
            assert m.pa == second[va].pa, hex(va)  # text and constants: one frame


def test_shared_text_survives_its_first_owner_exiting():
    r = run("spin 10", "spin 100000", quantum=1000)
    assert [d.exit_status for d in r.result.domains] == [0, 0]
    assert r.result.kernel.frames.free_count == r.result.kernel.frames.nframes
