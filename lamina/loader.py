"""The boot loader: builds each domain the system description names, from an ELF image.

It runs above the kernel and uses only the kernel's mechanisms (create a domain, take
frames, map them, set registers, make it runnable), as seL4 Microkit's loader does
and as a library OS's exec will: loading programs is not the exokernel's business.
For each domain it maps the program's segments with their permissions, a stack with
argc/argv on it, and sets the entry registers (pc = entry, sp, a0 = argc, a1 = argv).
"""

from __future__ import annotations

import struct
from dataclasses import dataclass
from typing import Callable

from emulator.elf import ElfImage, Segment
from emulator.riscv import A0, A1, PAGE_SIZE, SP
from kernel import memory
from kernel.abi import MAX_ARG_BYTES, MAX_ARGS, USER_STACK_PAGES, USER_STACK_TOP, Perm
from kernel.bindings import Binding
from kernel.domain import Domain
from kernel.frames import FrameKind
from kernel.kernel import DEFAULT_PAGE_QUOTA, Kernel
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


def spawn(k: Kernel, image: ElfImage, argv: list[str], page_quota: int = DEFAULT_PAGE_QUOTA,
          share: int = 100, bindings: list[Binding] | None = None, start: bool = True) -> Domain:
    """Boot a domain running image with argv (argv[0] is the program name)."""
    needed = page_count(image) + 4
    if needed > page_quota:
        raise LoadError(f"{image.name}: needs {needed} frames, more than its quota of {page_quota}")
    if needed > k.frames.free_count:
        raise LoadError(f"{image.name}: not enough free RAM to load it")
    d = k.create_domain(image.name, argv, image, None, page_quota)
    d.share = share
    d.bindings = list(bindings or [])
    try:
        entry = load_image(d.space, image, argv, lambda va, perm: new_page(k, d, va, perm))
    except LoadError:
        k.destroy_domain(d)
        raise
    share_read_only_pages(k, d, image)
    k.board.cpu.fence_i()  # frames may have held another program's code
    d.context = k.board.cpu.new_context(entry.pc, d.space.satp, entry.regs)
    if start:
        k.wake(d)
    return d


def new_page(k: Kernel, d: Domain, va: int, perm: Perm) -> int:
    """A fresh frame charged to d, mapped at va."""
    pa = k.frames.alloc(d.id, FrameKind.PAGE)
    memory.map_frame(k, d, va, pa, perm)
    return pa


def share_read_only_pages(k: Kernel, d: Domain, image: ElfImage) -> None:
    """Map the read-only pages (text, constants) of a program already running from the
    frames that instance uses, instead of fresh copies: less memory, and the emulator
    translates the code once for all of them. Sharing goes through the frame table's
    record of mappings, like any page_map."""
    for m in list(d.space.mappings()):
        if m.perm & Perm.W:
            continue
        key = (image.digest, m.va)
        known = k.shared_pages.get(key)
        if known is not None and k.frames.still_allocated(*known):
            memory.unmap_page(k, d, m.va)
            memory.map_frame(k, d, m.va, known[0], m.perm)
        else:
            k.shared_pages[key] = (m.pa, k.frames.serial(m.pa))
