"""kernel/frames.py's FrameTable on its own: real RAM, no CPU.

What it promises (its module docstring and docs/architecture.md): every frame is free
or has one owner, charged for it; the lowest free frame goes first; a frame is freed
with its last mapping, and its charge moves to another mapper when its owner stops
mapping it; a reused frame is told apart from its earlier allocation.
"""

from __future__ import annotations

import pytest

from emulator.ram import PhysicalMemory
from kernel.frames import FREE, KERNEL, FrameInfo, FrameKind, FrameTable, OutOfFrames

PAGE = 4096
BASE = 0x8000_0000


@pytest.fixture
def charges() -> list[tuple[int, int]]:
    return []


@pytest.fixture
def frames(charges) -> FrameTable:
    return FrameTable(PhysicalMemory(BASE, 8 * PAGE), on_charge=lambda owner, delta: charges.append((owner, delta)))


def test_frames_go_lowest_first_zeroed_and_charged_to_their_owner(frames, charges):
    frames.ram.fill(BASE, 2 * PAGE, 0xEE)
    a, b = frames.alloc(1), frames.alloc(2, FrameKind.TABLE)
    assert (a, b) == (BASE, BASE + PAGE)
    assert frames.ram.read(a, PAGE) == bytes(PAGE) and frames.ram.read(b, PAGE) == bytes(PAGE)
    assert (frames.held_by(1), frames.held_by(2), frames.held_by(3), frames.free_count) == (1, 1, 0, 6)
    assert charges == [(1, 1), (2, 1)]
    assert frames.owned_frames() == {a: frames.info(a), b: frames.info(b)}
    assert (frames.info(b).owner, frames.info(b).kind) == (2, FrameKind.TABLE)


def test_running_out_raises_and_a_freed_frame_comes_back(frames):
    got = [frames.alloc(1) for _ in range(8)]
    with pytest.raises(OutOfFrames):
        frames.alloc(1)
    frames.free(got[3])
    assert frames.alloc(2) == got[3]


def test_a_reused_frame_is_told_apart_from_its_earlier_allocation(frames):
    pa = frames.alloc(1)
    first = frames.serial(pa)
    assert frames.still_allocated(pa, first)
    frames.free(pa)
    assert frames.info(pa) == FrameInfo(FREE, FrameKind.FREE, ()), "a free frame has no owner and no mappers"
    assert not frames.still_allocated(pa, first), "freed, and not yet reused"
    assert frames.alloc(2) == pa
    assert frames.serial(pa) != first
    assert not frames.still_allocated(pa, first) and frames.still_allocated(pa, frames.serial(pa))


def test_the_last_mapping_frees_the_frame_and_the_charge_follows_the_mappers(frames, charges):
    pa = frames.alloc(1)
    frames.add_mapper(pa, 1, 0x1000)
    frames.add_mapper(pa, 2, 0x5000)
    frames.add_mapper(pa, 3, 0x9000)
    frames.remove_mapper(pa, 1, 0x1000)  # the owner lets go: the earliest other mapper pays
    assert (frames.info(pa).owner, frames.held_by(1), frames.held_by(2)) == (2, 0, 1)
    frames.remove_mapper(pa, 3, 0x9000)
    assert frames.info(pa).owner == 2 and frames.info(pa).mappers == ((2, 0x5000),)
    frames.remove_mapper(pa, 2, 0x5000)
    assert frames.info(pa).kind == FrameKind.FREE and frames.free_count == 8 and frames.owned_frames() == {}
    assert sum(delta for _, delta in charges) == 0


def test_a_dma_hold_keeps_the_owner_charged_until_it_ends(frames):
    pa = frames.alloc(1)
    frames.add_mapper(pa, 1, 0x1000)
    frames.add_mapper(pa, KERNEL, 7)  # a disk request's pin, tagged 7
    frames.remove_mapper(pa, 1, 0x1000)
    assert frames.info(pa).owner == 1 and frames.held_by(1) == 1
    frames.remove_mapper(pa, KERNEL, 7)
    assert frames.info(pa).kind == FrameKind.FREE and frames.held_by(1) == 0


@pytest.mark.parametrize("pa, message", [(BASE + 1, "not page-aligned"), (BASE + 8 * PAGE, "not a frame of RAM"),
                                         (BASE - PAGE, "not a frame of RAM")])
def test_addresses_outside_ram_or_unaligned_are_refused(frames, pa, message):
    with pytest.raises(ValueError, match=message):
        frames.info(pa)


def test_freeing_twice_or_while_mapped_is_refused(frames):
    pa = frames.alloc(1)
    frames.add_mapper(pa, 1, 0)
    with pytest.raises(ValueError, match="still mapped"):
        frames.free(pa)
    frames.remove_mapper(pa, 1, 0)
    with pytest.raises(ValueError, match="already free"):
        frames.free(pa)


def test_the_charge_stays_with_an_owner_that_still_maps_the_frame(frames):
    pa = frames.alloc(1)
    frames.add_mapper(pa, 2, 0x5000)  # another domain's mapping recorded first
    frames.add_mapper(pa, 1, 0x1000)
    frames.add_mapper(pa, 3, 0x9000)
    for domain, va in ((3, 0x9000), (2, 0x5000)):  # not the owner: nothing moves
        frames.remove_mapper(pa, domain, va)
        assert (frames.info(pa).owner, frames.held_by(1), frames.held_by(2)) == (1, 1, 0), f"after {domain} let go"
