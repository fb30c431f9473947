"""Memory calls: frames into address spaces, sharing, quotas and visible revocation.

Secure bindings for memory: a domain names frames only through its own mappings, may
act on another domain's address space only with authority over it, and may share a
frame only with permissions no wider than its own. Every frame a domain's subtree
holds counts against the quota of that domain and of each ancestor, so no subtree can
exhaust RAM for the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.riscv import PAGE_SIZE, pte_frame
from kernel.abi import (CAUSE_REVOKE, PAGE_MOVE, PAGE_OWNED, PAGE_SHARED, QUERY_OWNED, QUERY_SHARED, USER_VA_LIMIT,
                        DomState, Errno, Perm)
from kernel.errors import require
from kernel.vm import MARK, PERMS, RWX, is_user_page, leaf_entry, narrowed_entries, pte_perm, valid_perm, within

if TYPE_CHECKING:
    from kernel.domain import Domain
    from kernel.kernel import Kernel

MAX_PAGES_PER_CALL = 1 << 16
MIN_QUOTA = 16


def map_frame(k: Kernel, d: Domain, va: int, pa: int, perm: Perm) -> None:
    """Map frame pa at va in d (va must be free) and record the mapping."""
    d.space.map(va, pa, perm)
    k.frames.add_mapper(pa, d.id, va)


def unmap_page(k: Kernel, d: Domain, va: int) -> bool:
    """Remove d's mapping at va; the frame is freed if nobody else maps it."""
    pa = d.space.unmap(va)
    if pa is None:
        return False
    k.frames.remove_mapper(pa, d.id, va)
    k.board.cpu.flush_tlb()
    return True


def release_space(k: Kernel, d: Domain) -> None:
    """Unmap everything d maps and free its page tables. The entries are left as they
    are: the tables go, and the space is never walked again."""
    for va, e in list(d.space.leaf_entries()):
        k.frames.remove_mapper(pte_frame(e), d.id, va)
    d.space.release_tables()
    k.board.cpu.flush_tlb()


def tables_bound(npages: int) -> int:
    """Most page-table frames mapping npages contiguous pages can need."""
    return 2 + (npages + 511) // 512 + 1


def sys_page_alloc(k: Kernel, d: Domain, dom: int, va: int, npages: int, perm: int) -> int:
    """page_alloc(dom, va, npages, perm): map npages fresh zeroed frames at va, all or nothing."""
    target = k.resolve(d, dom)
    require(user_range(va, npages) and valid_perm(perm), Errno.EINVAL)
    require(not any(target.space.entries(va, npages)), Errno.EEXIST)
    require(k.can_charge(target, npages + tables_bound(npages)), Errno.ENOMEM)
    frames = [k.frames.alloc(target.id) for _ in range(npages)]  # user pages; can_charge: enough are free
    target.space.set_entries(va, [leaf_entry(pa, PERMS[perm]) for pa in frames])
    for i, pa in enumerate(frames):
        k.frames.add_mapper(pa, target.id, va + i * PAGE_SIZE)
    return 0


def sys_page_map(k: Kernel, d: Domain, src_dom: int, src_va: int, dst_dom: int, dst_va: int, perm: int) -> int:
    """page_map(src_dom, src_va, dst_dom, dst_va, perm): map src's frame at dst_va too.

    perm may not exceed the source mapping's. A mapping already at dst_va is replaced,
    which also serves to change a page's permissions in place (copy-on-write).
    """
    src, dst = k.resolve(d, src_dom), k.resolve(d, dst_dom)
    require(is_user_page(src_va) and is_user_page(dst_va) and valid_perm(perm), Errno.EINVAL)
    m = src.space.lookup(src_va)
    require(m is not None, Errno.EFAULT)
    require(within(perm, m.perm) or exclusive(k, src, m.pa), Errno.EACCES)
    return 0 if place_frame(k, dst, dst_va, m.pa, PERMS[perm]) else -Errno.ENOMEM


def exclusive(k: Kernel, d: Domain, pa: int) -> bool:
    """True if frame pa is d's own and mapped only once: then rights on it concern d
    alone, which could as well copy it to a fresh page, so they may widen (how
    copy-on-write takes back a page nobody shares any more without copying it)."""
    owner, mappers = k.frames.owner_and_mappers(pa)
    return owner == d.id and mappers == 1


def user_range(va: int, npages: int) -> bool:
    """True if npages pages from va are a page-aligned range of the user half."""
    return is_user_page(va) and 1 <= npages <= MAX_PAGES_PER_CALL and va + npages * PAGE_SIZE <= USER_VA_LIMIT


def sys_page_map_range(k: Kernel, d: Domain, src_dom: int, src_va: int, dst_dom: int, dst_va: int,
                       npages: int, mask: int) -> int:
    """page_map_range(src_dom, src_va, dst_dom, dst_va, npages, mask): every page src maps
    in the range is mapped at the same offset from dst_va in dst, its rights ANDed with
    mask's and marked if mask has Perm.MARK (the same range of the same domain: narrowed
    in place; PAGE_MOVE: each source mapping is then removed). Holes are skipped; the
    pages placed. One crossing instead of one per page: what fork and exec are made of."""
    src, dst = k.resolve(d, src_dom), k.resolve(d, dst_dom)
    in_place, span = src is dst and src_va == dst_va, npages * PAGE_SIZE
    overlap = src is dst and not in_place and src_va < dst_va + span and dst_va < src_va + span
    if not (user_range(src_va, npages) and user_range(dst_va, npages)) or mask & ~(RWX | MARK | PAGE_MOVE) \
            or not mask & 1 or overlap or (in_place and mask & PAGE_MOVE):
        return -Errno.EINVAL
    require(k.can_charge(dst, tables_bound(npages)), Errno.ENOMEM)
    sources = src.space.entries(src_va, npages)
    olds = sources if in_place else dst.space.entries(dst_va, npages)
    dst.space.set_entries(dst_va, [e or old for e, old in zip(narrowed_entries(sources, mask), olds)])
    if not in_place:
        share_frames(k, src, dst, src_va, dst_va, sources, olds, mask & PAGE_MOVE)
    if dst is d or (src is d and mask & PAGE_MOVE):
        k.board.cpu.flush_tlb()  # only the caller's translations can be cached: the hart's TLB is flushed at every switch of address space
    return npages - sources.count(0)


def share_frames(k: Kernel, src: Domain, dst: Domain, src_va: int, dst_va: int, sources: list[int],
                 olds: list[int], move: int) -> None:
    """The frame table's side of page_map_range: dst now maps each source frame, instead
    of the frame it mapped there before; with move, src no longer does."""
    for i, (e, old) in enumerate(zip(sources, olds)):
        if not e:
            continue
        pa, old_pa, offset = pte_frame(e), pte_frame(old) if old else None, i * PAGE_SIZE
        if old_pa != pa:
            k.frames.add_mapper(pa, dst.id, dst_va + offset)  # first: a moved frame is never unmapped
            if old_pa is not None:
                k.frames.remove_mapper(old_pa, dst.id, dst_va + offset)
        if move:
            k.frames.remove_mapper(pa, src.id, src_va + offset)
    if move:
        src.space.set_entries(src_va, [0] * len(sources))
        check_revocation(src)


def sys_page_unmap_range(k: Kernel, d: Domain, dom: int, va: int, npages: int) -> int:
    """page_unmap_range(dom, va, npages): remove every mapping in the range (holes are
    no error); the pages unmapped. What exec clears the old image with."""
    target = k.resolve(d, dom)
    require(user_range(va, npages), Errno.EINVAL)
    olds = target.space.entries(va, npages)
    target.space.set_entries(va, [0] * npages)
    for i, e in enumerate(olds):
        if e:
            k.frames.remove_mapper(pte_frame(e), target.id, va + i * PAGE_SIZE)
    if target is d:
        k.board.cpu.flush_tlb()
    check_revocation(target)
    return npages - olds.count(0)


def sys_page_query_range(k: Kernel, d: Domain, dom: int, va: int, npages: int, buf: int) -> int:
    """page_query_range(dom, va, npages, buf): a byte per page of the range into buf, 0 if
    nothing is mapped there, else its Perm bits with QUERY_OWNED and QUERY_SHARED (as
    page_query's PAGE_OWNED and PAGE_SHARED); the pages mapped. One crossing a region."""
    target = k.resolve(d, dom)
    require(user_range(va, npages), Errno.EINVAL)
    answer = bytearray(npages)
    for i, e in enumerate(target.space.entries(va, npages)):
        if e:
            owner, mappers = k.frames.owner_and_mappers(pte_frame(e))
            answer[i] = int(pte_perm(e)) | QUERY_OWNED * (owner == target.id) | QUERY_SHARED * (mappers > 1)
    require(d.space.copy_out(buf, bytes(answer)), Errno.EFAULT)
    return npages - answer.count(0)


def place_frame(k: Kernel, d: Domain, va: int, pa: int, perm: Perm) -> bool:
    """Make va in d map frame pa with perm, replacing whatever was there; False if d's
    quota cannot pay for the page tables. Mapping the frame already there changes only
    its permissions (how copy-on-write narrows or restores a page in place)."""
    old = d.space.lookup(va)
    if old is not None and old.pa == pa:
        if old.perm != perm:
            d.space.unmap(va)
            d.space.map(va, pa, perm)
            k.board.cpu.flush_tlb()
        return True
    if not k.can_charge(d, tables_bound(1)):
        return False
    unmap_page(k, d, va)
    map_frame(k, d, va, pa, perm)
    return True


def sys_page_unmap(k: Kernel, d: Domain, dom: int, va: int) -> int:
    """page_unmap(dom, va): remove a mapping; the frame is freed with its last mapping."""
    target = k.resolve(d, dom)
    require(is_user_page(va), Errno.EINVAL)
    require(unmap_page(k, target, va), Errno.ENOENT)
    check_revocation(target)
    return 0


def sys_page_query(k: Kernel, d: Domain, dom: int, va: int) -> int:
    """page_query(dom, va): the mapping's Perm bits, plus PAGE_OWNED and PAGE_SHARED."""
    target = k.resolve(d, dom)
    require(0 <= va < USER_VA_LIMIT, Errno.EINVAL)
    m = target.space.lookup(va)
    require(m is not None, Errno.ENOENT)
    owner, mappers = k.frames.owner_and_mappers(m.pa)
    return int(m.perm) | PAGE_OWNED * (owner == target.id) | PAGE_SHARED * (mappers > 1)


def sys_set_quota(k: Kernel, d: Domain, dom: int, pages: int) -> int:
    """set_quota(dom, pages): set the frame quota of dom's subtree (not above the caller's).

    Lowering it below what the subtree holds starts a visible revocation."""
    target = k.resolve(d, dom)
    require(target is not d or pages <= d.page_quota, Errno.EPERM)  # its own: lower, never raise
    require(MIN_QUOTA <= pages <= d.page_quota, Errno.EINVAL)
    target.page_quota = pages
    if target.subtree_pages > pages:
        request_revocation(k, target)
    else:
        check_revocation(target)  # raised back before it complied: nothing is owed
    return 0


def request_revocation(k: Kernel, d: Domain) -> None:
    """Ask d to give frames back: an upcall when it next runs, forced unmapping if it has
    not by the end of that time slice (the abort protocol). A domain that cannot run its
    handler first (none, not runnable, or the caller itself) loses them at once."""
    excess = d.subtree_pages - d.page_quota
    d.revoking = True
    if d.fault_entry and d.state == DomState.RUNNABLE and d is not k.current:
        d.pending_upcall = (CAUSE_REVOKE, excess)
    else:
        force_revocation(k, d)


def check_revocation(d: Domain) -> None:
    """After d freed memory or had its quota raised: is an outstanding revocation
    satisfied? Then it ends, and a request not yet delivered is withdrawn."""
    if d.revoking and d.subtree_pages <= d.page_quota:
        d.revoking = False
        if d.pending_upcall is not None and d.pending_upcall[0] == CAUSE_REVOKE:
            d.pending_upcall = None


def force_revocation(k: Kernel, d: Domain) -> None:
    """Take frames from d's subtree, highest addresses first, until it is within quota."""
    taken = 0
    for victim in [d] + d.descendants():  # an exited one maps nothing: its space is released
        for m in sorted(victim.space.mappings(), key=lambda m: -m.va):
            if d.subtree_pages <= d.page_quota:
                break
            if k.frames.info(m.pa).owner == victim.id:
                unmap_page(k, victim, m.va)
                taken += 1
    d.revoking = False
    if taken:
        k.log(f"{d.label}: revoked {taken} pages to bring it within its quota of {d.page_quota}")
