"""Building a domain's initial address space from an ELF image and argv.

This is what the kernel does at boot for each domain the configuration names: map the
program's segments with their permissions, map a stack, copy argc/argv onto it, and set
the entry registers (pc = entry, sp, a0 = argc, a1 = argv).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Callable

from emulator.elf import ElfImage, Segment
from emulator.riscv import A0, A1, PAGE_SIZE, SP
from kernel.abi import MAX_ARG_BYTES, MAX_ARGS, USER_STACK_PAGES, USER_STACK_TOP, Perm
from kernel.vm import AddressSpace

STACK_BOTTOM = USER_STACK_TOP - USER_STACK_PAGES * PAGE_SIZE
NewPage = Callable[[int, Perm], int]


class LoadError(Exception):
    """The image or the arguments cannot be loaded; the message says why."""


@dataclass(frozen=True)
class EntryState:
    """Registers a new domain starts with."""

    pc: int
    regs: dict[int, int]


def segment_perm(seg: Segment) -> Perm:
    """ABI permissions for a segment (always readable: Sv39 has no write- or execute-only)."""
    perm = Perm.R
    if seg.writable:
        perm |= Perm.W
    if seg.executable:
        perm |= Perm.X
    return perm


def check_image(image: ElfImage) -> None:
    """Refuse segments outside the part of the user address space programs may use."""
    for seg in image.segments:
        end = seg.vaddr + seg.memsz
        if seg.vaddr < PAGE_SIZE:
            raise LoadError(f"{image.name}: segment at {seg.vaddr:#x} maps page 0 (kept unmapped to catch null pointers)")
        if end > STACK_BOTTOM:
            raise LoadError(f"{image.name}: segment {seg.vaddr:#x}-{end:#x} reaches the stack at {STACK_BOTTOM:#x}")


def check_argv(argv: list[str]) -> list[bytes]:
    """argv encoded for the guest, or LoadError if it is too large."""
    if len(argv) > MAX_ARGS:
        raise LoadError(f"too many arguments: {len(argv)} (at most {MAX_ARGS})")
    encoded = [a.encode() for a in argv]
    if any(b"\0" in a for a in encoded):
        raise LoadError("an argument contains a NUL byte")
    if sum(len(a) + 1 for a in encoded) > MAX_ARG_BYTES:
        raise LoadError(f"arguments take more than {MAX_ARG_BYTES} bytes")
    return encoded


def page_count(image: ElfImage) -> int:
    """Frames the image and its stack need (tables not included)."""
    pages = set()
    for seg in image.segments:
        first = seg.vaddr // PAGE_SIZE
        last = (seg.vaddr + seg.memsz - 1) // PAGE_SIZE
        pages.update(range(first, last + 1))
    return len(pages) + USER_STACK_PAGES


def map_segment(space: AddressSpace, seg: Segment, new_page: NewPage) -> None:
    """Map one segment page by page, copying its file bytes.

    A page shared with an earlier segment keeps its frame and gets the union of both
    segments' permissions (only possible with linker scripts that do not page-align).
    """
    perm = segment_perm(seg)
    page = seg.vaddr - seg.vaddr % PAGE_SIZE
    end = seg.vaddr + seg.memsz
    while page < end:
        existing = space.lookup(page)
        if existing is None:
            pa = new_page(page, perm)
        else:
            pa = existing.pa
            if existing.perm | perm != existing.perm:
                space.unmap(page)
                space.map(page, pa, existing.perm | perm)
        lo = max(page, seg.vaddr)
        hi = min(page + PAGE_SIZE, seg.vaddr + len(seg.data))
        if hi > lo:
            space.ram.write(pa + (lo - page), seg.data[lo - seg.vaddr : hi - seg.vaddr])
        page += PAGE_SIZE


def map_stack_with_args(space: AddressSpace, argv: list[bytes], new_page: NewPage) -> EntryState:
    """Map the stack and lay out argv on it: strings at the top, then the pointer array."""
    for i in range(USER_STACK_PAGES):
        new_page(STACK_BOTTOM + i * PAGE_SIZE, Perm.R | Perm.W)
    strings = b"".join(a + b"\0" for a in argv)
    strings_at = USER_STACK_TOP - len(strings)
    pointers = []
    at = strings_at
    for a in argv:
        pointers.append(at)
        at += len(a) + 1
    table = struct.pack(f"<{len(argv) + 1}Q", *pointers, 0)
    argv_at = (strings_at - len(table)) & ~15
    assert space.copy_out(strings_at, strings) and space.copy_out(argv_at, table)
    return EntryState(pc=0, regs={SP: argv_at, A0: len(argv), A1: argv_at})


def load_image(space: AddressSpace, image: ElfImage, argv: list[str], new_page: NewPage) -> EntryState:
    """Fill space with image and argv; the entry state for the domain's first run.

    new_page(va, perm) maps a fresh zeroed frame at va and returns its address."""
    check_image(image)
    encoded = check_argv(argv)
    for seg in image.segments:
        map_segment(space, seg, new_page)
    entry = map_stack_with_args(space, encoded, new_page)
    return EntryState(pc=image.entry, regs=entry.regs)
