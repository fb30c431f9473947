"""Memory calls: frames into address spaces, sharing, quotas and visible revocation.

Secure bindings for memory: a domain names frames only through its own mappings, may
act on another domain's address space only with authority over it, and may share a
frame only with permissions no wider than its own. Every frame a domain's subtree
holds counts against the quota of that domain and of each ancestor, so no subtree can
exhaust RAM for the others.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from emulator.riscv import PAGE_SIZE
from kernel.abi import CAUSE_REVOKE, PAGE_OWNED, PAGE_SHARED, USER_VA_LIMIT, DomState, Errno, Perm, Sys
from kernel.frames import FrameKind, OutOfFrames
from kernel.vm import is_user_page, valid_perm, within

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
    """Unmap everything d maps and free its page tables."""
    for m in list(d.space.mappings()):
        d.space.unmap(m.va)
        k.frames.remove_mapper(m.pa, d.id, m.va)
    d.space.release_tables()
    k.board.cpu.flush_tlb()


def tables_bound(npages: int) -> int:
    """Most page-table frames mapping npages contiguous pages can need."""
    return 2 + (npages + 511) // 512 + 1


def sys_page_alloc(k: Kernel, d: Domain, dom: int, va: int, npages: int, perm: int) -> int:
    """page_alloc(dom, va, npages, perm): map npages fresh zeroed frames at va, all or nothing."""
    target = k.resolve(d, dom)
    if isinstance(target, Errno):
        return -target
    if not is_user_page(va) or not 1 <= npages <= MAX_PAGES_PER_CALL or not valid_perm(perm):
        return -Errno.EINVAL
    if va + npages * PAGE_SIZE > USER_VA_LIMIT:
        return -Errno.EINVAL
    pages = [va + i * PAGE_SIZE for i in range(npages)]
    if any(target.space.lookup(p) is not None for p in pages):
        return -Errno.EEXIST
    if not k.can_charge(target, npages + tables_bound(npages)):
        return -Errno.ENOMEM
    try:
        for p in pages:
            map_frame(k, target, p, k.frames.alloc(target.id, FrameKind.PAGE), Perm(perm))
    except OutOfFrames:  # cannot happen after can_charge; kept so a bug cannot leak frames
        for p in pages:
            unmap_page(k, target, p)
        return -Errno.ENOMEM
    return 0


def sys_page_map(k: Kernel, d: Domain, src_dom: int, src_va: int, dst_dom: int, dst_va: int, perm: int) -> int:
    """page_map(src_dom, src_va, dst_dom, dst_va, perm): map src's frame at dst_va too.

    perm may not exceed the source mapping's. A mapping already at dst_va is replaced,
    which also serves to change a page's permissions in place (copy-on-write).
    """
    src = k.resolve(d, src_dom)
    dst = k.resolve(d, dst_dom)
    for t in (src, dst):
        if isinstance(t, Errno):
            return -t
    if not is_user_page(src_va) or not is_user_page(dst_va) or not valid_perm(perm):
        return -Errno.EINVAL
    m = src.space.lookup(src_va)
    if m is None:
        return -Errno.EFAULT
    if not within(perm, m.perm):
        return -Errno.EACCES
    return 0 if place_frame(k, dst, dst_va, m.pa, Perm(perm)) else -Errno.ENOMEM


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
    if isinstance(target, Errno):
        return -target
    if not is_user_page(va):
        return -Errno.EINVAL
    if not unmap_page(k, target, va):
        return -Errno.ENOENT
    check_revocation(k, target)
    return 0


def sys_page_query(k: Kernel, d: Domain, dom: int, va: int) -> int:
    """page_query(dom, va): the mapping's Perm bits, plus PAGE_OWNED and PAGE_SHARED."""
    target = k.resolve(d, dom)
    if isinstance(target, Errno):
        return -target
    if not 0 <= va < USER_VA_LIMIT:
        return -Errno.EINVAL
    m = target.space.lookup(va)
    if m is None:
        return -Errno.ENOENT
    info = k.frames.info(m.pa)
    bits = int(m.perm)
    if info.owner == target.id:
        bits |= PAGE_OWNED
    if len(info.mappers) > 1:
        bits |= PAGE_SHARED
    return bits


def sys_set_quota(k: Kernel, d: Domain, dom: int, pages: int) -> int:
    """set_quota(dom, pages): set the frame quota of dom's subtree (not above the caller's).

    Lowering it below what the subtree holds starts a visible revocation."""
    target = k.resolve(d, dom)
    if isinstance(target, Errno):
        return -target
    if target is d and pages > d.page_quota:
        return -Errno.EPERM  # a domain may lower but not raise its own; only via a parent
    if not MIN_QUOTA <= pages <= d.page_quota:
        return -Errno.EINVAL
    target.page_quota = pages
    if target.subtree_pages > pages:
        request_revocation(k, target)
    return 0


def request_revocation(k: Kernel, d: Domain) -> None:
    """Ask d to give frames back: an upcall when it next runs, forced unmapping if it has
    not by the end of that time slice (the abort protocol). A domain that cannot run its
    handler first (none, not runnable, or the caller itself) loses them at once."""
    excess = d.subtree_pages - d.page_quota
    d.revoke_target = d.page_quota
    if d.fault_entry and d.state == DomState.RUNNABLE and d is not k.current:
        d.pending_upcall = (CAUSE_REVOKE, excess)
    else:
        force_revocation(k, d)


def check_revocation(k: Kernel, d: Domain) -> None:
    """After d freed memory: is an outstanding revocation satisfied?"""
    if d.revoke_target is not None and d.subtree_pages <= d.revoke_target:
        d.revoke_target = None


def force_revocation(k: Kernel, d: Domain) -> None:
    """Take frames from d's subtree, highest addresses first, until it is within quota."""
    target = d.revoke_target if d.revoke_target is not None else d.page_quota
    taken = 0
    for victim in [d] + d.descendants():
        if not victim.alive:
            continue  # an exited domain holds nothing: its space is released
        for m in sorted(victim.space.mappings(), key=lambda m: -m.va):
            if d.subtree_pages <= target:
                break
            if k.frames.info(m.pa).owner == victim.id:
                unmap_page(k, victim, m.va)
                taken += 1
    d.revoke_target = None
    if taken:
        k.log(f"{d.label}: revoked {taken} pages to bring it within its quota of {target}")


SYSCALLS = {
    Sys.PAGE_ALLOC: sys_page_alloc,
    Sys.PAGE_MAP: sys_page_map,
    Sys.PAGE_UNMAP: sys_page_unmap,
    Sys.PAGE_QUERY: sys_page_query,
    Sys.SET_QUOTA: sys_set_quota,
}
