"""What must hold of the kernel's memory and domain records after every system call.

The kernel's design promises (kernel/frames.py, kernel/memory.py, kernel/kernel.py,
kernel/devices.py): every frame is free or has exactly one owner, the domain charged
for it; a user page is owned by one of the domains that map it (when the owner unmaps
its last mapping the charge moves to a remaining mapper); page-table frames belong to
the domain whose tables they are and are never mapped in user space; every mapping is
recorded in the frame table, so sharing is always explicit; a frame under disk DMA is
pinned by the kernel (a KERNEL mapper per request) and stays charged to its owner until
the request ends, even if nobody maps it any more; a domain that has ended holds
nothing but such pinned frames. These checks state each promise as a small function over a Kernel, for
the fuzz test (tests/test_fuzz_kernel.py) and for labs that want to grade a kernel.

Page tables are read here the way the MMU reads them (straight from RAM), not through
the kernel's own walker, so a check cannot share a bug with the code it checks. Each
check raises InvariantViolation saying what is wrong.
"""

from __future__ import annotations

import struct
from collections import Counter
from dataclasses import dataclass, field
from itertools import compress

from emulator.riscv import PAGE_SIZE, PTE_A, PTE_D, PTE_R, PTE_U, PTE_V, PTE_W, SV39_LEVELS, pte_frame
from kernel.abi import CAUSE_REVOKE, DomState, Perm
from kernel.domain import Domain
from kernel.frames import KERNEL, FrameInfo, FrameKind
from kernel.kernel import Kernel

_TABLE = struct.Struct(f"<{PAGE_SIZE // 8}Q")
_USER_LEAF = PTE_U | PTE_A | PTE_D | PTE_R
_PPN_MASK = ((1 << 44) - 1) << 10
_RIGHTS = Perm.R | Perm.W | Perm.X  # the mark (Perm.MARK) is no right
USER_ROOT_SLOTS = 256  # root entries 256..511 map the kernel half: never valid for a user space


class InvariantViolation(AssertionError):
    """A promise of the kernel's design does not hold."""


def require(condition: bool, message: str) -> None:
    """Raise InvariantViolation(message) unless condition holds."""
    if not condition:
        raise InvariantViolation(message)


@dataclass(frozen=True)
class DomainRecord:
    """What decides a domain's authority: whether it lives, its parent, its capabilities."""

    alive: bool
    parent: int | None
    caps: frozenset[int]


@dataclass
class KernelView:
    """The kernel's state at one moment: every live domain's page tables as the MMU sees
    them, the frames they reach, and the domain tree with its capabilities."""

    mappings: dict[tuple[int, int], tuple[int, Perm]] = field(default_factory=dict)  # (dom, va) -> (pa, perm)
    tables: dict[int, int] = field(default_factory=dict)  # table frame -> the domain whose table it is
    pins: dict[int, set[int]] = field(default_factory=dict)  # frame -> tags of the DMA requests using it
    frames: dict[int, FrameInfo] = field(default_factory=dict)  # frame table record of each reachable frame
    serials: dict[int, int] = field(default_factory=dict)  # which allocation of the frame each one is
    domains: dict[int, DomainRecord] = field(default_factory=dict)

    def mappers_of(self) -> dict[int, list[tuple[int, int]]]:
        """pa -> every (domain, va) whose page table maps it."""
        out: dict[int, list[tuple[int, int]]] = {}
        for (did, va), (pa, _perm) in self.mappings.items():
            out.setdefault(pa, []).append((did, va))
        return out


def live_domains(k: Kernel) -> list[Domain]:
    """Domains that have not ended (and so have an address space)."""
    return [d for d in k.domains.values() if d.alive and not d.reaped]


def _leaf_perm(pte: int) -> Perm:
    """ABI permissions of a leaf PTE: R, W and X from bits 1 to 3, the mark from bit 8
    (the first bit the privileged spec reserves for supervisor software)."""
    return _PERMS[(pte >> 1) & 7] | (Perm.MARK if pte >> 8 & 1 else Perm(0))


_PERMS = [Perm((bits & 1) * Perm.R | (bits >> 1 & 1) * Perm.W | (bits >> 2 & 1) * Perm.X) for bits in range(8)]


class PageTableReader:
    """Reads every live domain's page tables from RAM, as the MMU would.

    Checks run after every system call, when few tables have changed, so each table's
    decoded entries are remembered with its bytes and decoded again only if they differ.
    """

    def __init__(self, k: Kernel) -> None:
        self.k = k
        self._decoded: dict[tuple[int, int], tuple[bytes, list[tuple[int, int, Perm | None]]]] = {}

    def read(self) -> KernelView:
        """The page tables and the frames they reach; checks their form as it goes."""
        view = KernelView()
        for d in live_domains(self.k):
            require(bool(d.space.tables) and d.space.tables[0] == d.space.root,
                    f"{d.label}: its table list does not start with its root")
            self._walk(view, d.id, d.space.root, SV39_LEVELS - 1, 0)
        view.pins = dma_pins(self.k)
        view.domains = {d.id: DomainRecord(d.alive and not d.reaped, d.parent.id if d.parent else None,
                                           frozenset(d.caps)) for d in self.k.domains.values()}
        for pa in set(view.tables) | {pa for pa, _perm in view.mappings.values()} | set(view.pins):
            view.frames[pa] = self.k.frames.info(pa)
            view.serials[pa] = self.k.frames.serial(pa)
        return view

    def _walk(self, view: KernelView, did: int, table: int, level: int, base: int) -> None:
        """Record every mapping under one table."""
        if table in view.tables:
            raise InvariantViolation(f"domain {did}: page table {table:#x} is linked twice "
                                     f"(also a table of domain {view.tables[table]})")
        view.tables[table] = did
        span = PAGE_SIZE << (9 * level)
        for i, pa, perm in self._entries(did, table, level, base):
            if perm is None:
                self._walk(view, did, pa, level - 1, base + i * span)
            else:
                view.mappings[(did, base + i * span)] = (pa, perm)

    def _entries(self, did: int, table: int, level: int, base: int) -> list[tuple[int, int, Perm | None]]:
        """(index, frame, perm) of each valid entry of a table (perm None: a pointer to a
        table), after checking each entry's form."""
        ram = self.k.board.ram
        if not ram.contains(table, PAGE_SIZE):
            raise InvariantViolation(f"domain {did}: page table {table:#x} is not in RAM")
        raw = ram.read(table, PAGE_SIZE)
        known = self._decoded.get((table, level))
        if known is not None and known[0] == raw:
            return known[1]
        entries = _TABLE.unpack(raw)
        decoded: list[tuple[int, int, Perm | None]] = []
        for i in compress(range(len(entries)), entries):  # the non-zero entries
            pte, va = entries[i], base + i * (PAGE_SIZE << (9 * level))
            if not pte & PTE_V:
                continue
            if level == SV39_LEVELS - 1 and i >= USER_ROOT_SLOTS:
                raise InvariantViolation(f"domain {did}: root entry {i} maps the kernel half")
            if level > 0:
                if pte & ~_PPN_MASK != PTE_V:
                    raise InvariantViolation(f"domain {did}: entry for {va:#x} at level {level} "
                                             f"is not a plain pointer to a table: {pte:#x}")
                decoded.append((i, pte_frame(pte), None))
                continue
            if pte & _USER_LEAF != _USER_LEAF or (pte & PTE_W and not pte & PTE_R):
                raise InvariantViolation(f"domain {did}: leaf for {va:#x} has flags {pte & 0x3ff:#x} "
                                         f"(needs U, A, D and R, or R before W)")
            if not ram.contains(pte_frame(pte), PAGE_SIZE):
                raise InvariantViolation(f"domain {did}: {va:#x} maps {pte_frame(pte):#x}, outside RAM")
            decoded.append((i, pte_frame(pte), _leaf_perm(pte)))
        self._decoded[(table, level)] = (raw, decoded)
        return decoded


def dma_pins(k: Kernel) -> dict[int, set[int]]:
    """Frames that disk requests in flight use, with the requests' tags."""
    pins: dict[int, set[int]] = {}
    for tag, (_owner, pieces) in k.dma_owner.items():
        for pa, _length in pieces:
            pins.setdefault(pa - pa % PAGE_SIZE, set()).add(tag)
    return pins


def read_page_tables(k: Kernel) -> KernelView:
    """Walk the page tables of every live domain, checking their form as it goes."""
    return PageTableReader(k).read()


# --- the frame table -----------------------------------------------------------------

def check_no_frame_is_lost(k: Kernel, view: KernelView) -> None:
    """Every frame in use is reachable from a live domain's page tables or held for a
    disk request (no leaks)."""
    in_use = k.frames.nframes - k.frames.free_count
    require(in_use == len(view.frames),
            f"{in_use} frames are in use but live page tables and DMA reach {len(view.frames)}")


def check_table_frames(k: Kernel, view: KernelView) -> None:
    """A page-table frame is a TABLE owned by the domain whose table it is, listed in its
    space, and never mapped in any address space."""
    listed = {pa: d.id for d in live_domains(k) for pa in d.space.tables}
    require(listed == view.tables, "the domains' table lists differ from the tables their roots reach: "
                                   f"{sorted(set(listed.items()) ^ set(view.tables.items()))}")
    for pa, did in view.tables.items():
        info = view.frames[pa]
        if info.kind != FrameKind.TABLE or info.owner != did or info.mappers:
            raise InvariantViolation(f"table {pa:#x} of domain {did} is recorded as a {info.kind.name} frame "
                                     f"owned by domain {info.owner}, mapped by {info.mappers}")


def check_page_frames(k: Kernel, view: KernelView) -> None:
    """A user page is a PAGE frame whose recorded mappers are exactly the page-table
    entries that map it plus one KERNEL entry per disk request using it, and whose
    owner is one of the domains mapping it (or, if only DMA holds it, whoever was)."""
    mapped = view.mappers_of()
    for pa, info in view.frames.items():
        if pa in view.tables:
            continue
        users = mapped.get(pa, [])
        expected = set(users) | {(KERNEL, tag) for tag in view.pins.get(pa, ())}
        if info.kind != FrameKind.PAGE or len(info.mappers) != len(expected) or not expected.issuperset(info.mappers):
            raise InvariantViolation(f"frame {pa:#x} ({info.kind.name}): the frame table records mappers "
                                     f"{sorted(info.mappers)}; the page tables and the disk requests in flight "
                                     f"say {sorted(expected)}")
        if users and all(did != info.owner for did, _va in users):
            raise InvariantViolation(f"frame {pa:#x} is owned by domain {info.owner}, "
                                     f"which does not map it ({sorted(users)})")


def check_mapping_counts(k: Kernel, view: KernelView) -> None:
    """Each address space's count of pages mapped is the number of leaf entries the
    walk of its page tables finds."""
    walked: dict[int, int] = {}
    for did, _va in view.mappings:
        walked[did] = walked.get(did, 0) + 1
    for d in live_domains(k):
        require(d.space.pages_mapped == walked.get(d.id, 0),
                f"{d.label} counts {d.space.pages_mapped} pages mapped; its page tables map {walked.get(d.id, 0)}")


def check_owners(k: Kernel, view: KernelView) -> None:
    """Every frame in use is owned by a known domain, a live one unless only a disk
    request still holds the frame."""
    for pa, info in view.frames.items():
        owner = k.domains.get(info.owner)
        if owner is None:
            raise InvariantViolation(f"frame {pa:#x} is owned by unknown domain {info.owner}")
        if (not owner.alive or owner.reaped) and not (pa in view.pins and info.kind == FrameKind.PAGE
                                                      and all(did == KERNEL for did, _ in info.mappers)):
            raise InvariantViolation(f"frame {pa:#x} is owned by ended {owner.label} (mapped by {info.mappers})")


def check_charges(k: Kernel, view: KernelView) -> None:
    """Each domain is charged for exactly the frames it owns, and its subtree total is
    the sum of those charges over it and its descendants (for a destroyed domain, the
    ones destroyed with it)."""
    owned = Counter(info.owner for info in view.frames.values())
    for d in k.domains.values():
        if k.frames.held_by(d.id) != owned[d.id]:
            raise InvariantViolation(f"{d.label} is charged for {k.frames.held_by(d.id)} frames "
                                     f"but owns {owned[d.id]}")
    for d in k.domains.values():
        expected = sum(owned[x.id] for x in [d, *d.descendants()])
        if d.subtree_pages != expected:
            raise InvariantViolation(f"{d.label}: subtree_pages is {d.subtree_pages}, its subtree owns {expected}")


# --- domains -----------------------------------------------------------------------

def check_domain_tree(k: Kernel) -> None:
    """Parent and child links agree, and a live domain's ancestors are all live."""
    for d in live_domains(k):
        for a in d.ancestors():
            require(a.alive and not a.reaped and a.id in k.domains, f"{d.label} has ended ancestor {a.label}")
        if d.parent is not None:
            require(d in d.parent.children, f"{d.label} is not among the children of its parent {d.parent.label}")
        for c in d.children:
            require(c.parent is d, f"{c.label} is a child of {d.label} but its parent is "
                                   f"{c.parent.label if c.parent else None}")
            require(not c.reaped, f"{d.label} still lists destroyed child {c.label}")


def check_ended_domains_hold_nothing(k: Kernel, view: KernelView) -> None:
    """A domain that exited or was destroyed owns no frame but those only disk requests
    still hold, has no page tables, no children, and is in no IPC queue."""
    ended = [d for d in k.domains.values() if not d.alive or d.reaped]
    pinned_only = Counter(info.owner for pa, info in view.frames.items()
                          if pa in view.pins and all(did == KERNEL for did, _ in info.mappers))
    for d in ended:
        require(d.state == DomState.EXITED, f"{d.label} was destroyed but its state is {d.state.name}")
        require(k.frames.held_by(d.id) == pinned_only[d.id],
                f"ended {d.label} still holds {k.frames.held_by(d.id)} frames")
        require(not d.space.tables, f"ended {d.label} still has page tables")
        require(d.space.released and not list(d.space.mappings()),
                f"ended {d.label}'s address space still walks its old (freed) root")
        require(not d.children or d.reaped, f"exited {d.label} still has children")
        require(d.ipc is None and not d.callers and not d.senders, f"ended {d.label} is still in IPC")
    for d in live_domains(k):
        for other in d.callers:
            require(other.alive and not other.reaped, f"{d.label} holds a call from ended {other.label}")


def check_ipc_waits(k: Kernel) -> None:
    """A blocked domain waits in IPC: to receive, or on a live peer that has it queued."""
    for d in live_domains(k):
        if d.state != DomState.BLOCKED:
            require(d.ipc is None, f"{d.label} is {d.state.name} but waits in IPC ({d.ipc and d.ipc.kind})")
            continue
        require(d.ipc is not None, f"{d.label} is blocked but not in IPC")
        if d.ipc.kind == "recv":
            continue
        peer = d.ipc.peer
        require(peer is not None and peer.alive and not peer.reaped,
                f"{d.label} waits ({d.ipc.kind}) on an ended domain")
        queue = peer.senders if d.ipc.kind == "call" else peer.callers
        require(d in queue, f"{d.label} waits ({d.ipc.kind}) on {peer.label}, which has not queued it")


def check_ipc_queues(k: Kernel) -> None:
    """A domain's queues hold only live domains waiting on it: callers not yet received
    (waiting to "call"), and callers received and owed a reply (waiting for the "reply")."""
    for d in live_domains(k):
        for queue, kind in ((d.senders, "call"), (d.callers, "reply")):
            for other in queue:
                require(other.alive and other.ipc is not None and other.ipc.kind == kind and other.ipc.peer is d,
                        f"{other.label} is in {d.label}'s {kind} queue but does not wait there "
                        f"({other.ipc and other.ipc.kind})")


def check_alarms(k: Kernel) -> None:
    """An alarm is set only while there is a fault handler to deliver it to, and the
    next one is always still ahead."""
    for d in live_domains(k):
        if d.alarm_interval:
            require(d.fault_entry != 0,
                    f"{d.label} has an alarm every {d.alarm_interval:,} instructions but no fault handler")
            require(d.alarm_left > 0, f"{d.label}'s next alarm is {-d.alarm_left:,} instructions overdue")


def check_waiters_are_alive(k: Kernel) -> None:
    """Only live domains wait for console input: one that ends leaves the set, so the
    kernel never wakes an ended domain."""
    for did in k.console_readers:
        require(k.domains[did].alive, f"{k.domains[did].label} has ended but still waits for console input")


def check_revocations(k: Kernel) -> None:
    """A revocation request waits to be delivered only while a revocation is
    outstanding: one withdrawn (the quota raised back) is never delivered."""
    for d in live_domains(k):
        if d.pending_upcall is not None and d.pending_upcall[0] == CAUSE_REVOKE:
            require(d.revoking, f"{d.label} is to be asked for frames though no revocation is outstanding")


# --- all of them ---------------------------------------------------------------------

def check_all(k: Kernel, reader: PageTableReader | None = None) -> KernelView:
    """Every invariant above; returns the page tables read, for comparisons over time.
    (A reader kept from one call to the next makes this faster.)"""
    view = (reader or PageTableReader(k)).read()
    check_no_frame_is_lost(k, view)
    check_table_frames(k, view)
    check_page_frames(k, view)
    check_mapping_counts(k, view)
    check_owners(k, view)
    check_charges(k, view)
    check_domain_tree(k)
    check_ended_domains_hold_nothing(k, view)
    check_ipc_waits(k)
    check_ipc_queues(k)
    check_alarms(k)
    check_waiters_are_alive(k)
    check_revocations(k)
    return view


def check_all_frames_free(k: Kernel) -> None:
    """Nothing holds memory any more: every frame is back in the free pool."""
    require(k.frames.free_count == k.frames.nframes,
            f"{k.frames.nframes - k.frames.free_count} frames are still in use: "
            f"{ {hex(pa): (i.owner, i.kind.name) for pa, i in k.frames.owned_frames().items()} }")
    require(not k.frames.owned_frames(), "the free pool is full but frames are still recorded as owned")
    for d in k.domains.values():
        require(k.frames.held_by(d.id) == 0 and d.subtree_pages == 0,
                f"{d.label} is still charged for frames after everything was freed")


# --- access over time ----------------------------------------------------------------

def ipc_partners(k: Kernel) -> set[frozenset[int]]:
    """Pairs of domains in an IPC exchange now (queued, or waiting for a reply)."""
    pairs = set()
    for d in live_domains(k):
        for other in [*d.senders, *d.callers, *([d.ipc.peer] if d.ipc and d.ipc.peer else [])]:
            pairs.add(frozenset((d.id, other.id)))
    return pairs


def had_authority(view: KernelView, actor: int, target: int) -> bool:
    """True if, in view, actor could act on target: itself, an ancestor of it, or holding
    a capability for it (the rule of kernel.has_authority, restated from the design)."""
    if actor == target:
        return True
    if target not in view.domains or actor not in view.domains:
        return False
    if target in view.domains[actor].caps:
        return True
    parent = view.domains[target].parent
    while parent is not None:
        if parent == actor:
            return True
        parent = view.domains[parent].parent
    return False


def check_access_was_granted(k: Kernel, actor: Domain, before: KernelView, after: KernelView,
                             partners: set[frozenset[int]]) -> None:
    """A domain gains a frame, or wider rights to one, only by an explicit grant made
    by the call `actor` just made:
      - a fresh frame (free before the call, or freed since `before` by the kernel, say
        when a disk request ended) that the actor had authority to allocate for the
        domain that maps it, and which is all zeros;
      - a frame some domain S already mapped, with rights no wider than S's (the mark
        is no right), where the actor has authority over both S and the receiver
        (page_map), or the actor is one of the two and they are IPC partners (a page
        sent with a call or reply);
      - with any rights, a frame S owned and alone mapped, once (and nothing pinned):
        rights on it concerned S alone, with the same authority as above.
    """
    old_users: dict[int, list[tuple[int, Perm]]] = {}  # of the same allocation of each frame
    for (did, _va), (pa, perm) in before.mappings.items():
        if before.serials[pa] == after.serials.get(pa):
            old_users.setdefault(pa, []).append((did, perm))
    for (did, va), (pa, perm) in after.mappings.items() - before.mappings.items():
        old = before.mappings.get((did, va))
        if old is not None and old[0] == pa and perm & ~old[1] & _RIGHTS == 0:
            continue  # the same mapping, or one with fewer rights
        where = f"domain {did} maps {va:#x} -> {pa:#x} ({perm!r}) after a call by {actor.label}"
        if pa not in old_users:
            require(before.serials.get(pa) != after.serials[pa], f"{where}: the frame was in use, mapped by "
                                                                 f"nobody (a page table or a buffer of a disk request)")
            require(had_authority(before, actor.id, did), f"{where}: a fresh frame, without authority over it")
            require(k.board.ram.read(pa, PAGE_SIZE) == bytes(PAGE_SIZE), f"{where}: a fresh frame that is not zeroed")
            continue
        exclusive = len(old_users[pa]) == 1 and not before.pins.get(pa) and \
            before.frames[pa].owner == old_users[pa][0][0]
        granted = any(
            (exclusive or perm & ~src_perm & _RIGHTS == 0) and (
                (had_authority(before, actor.id, src) and had_authority(before, actor.id, did))
                or (actor.id in (src, did) and frozenset((src, did)) in partners))
            for src, src_perm in old_users[pa])
        require(granted, f"{where}: no domain granted it (it was mapped by {old_users[pa]})")


def check_authority_was_respected(actor: Domain, before: KernelView, after: KernelView) -> None:
    """A call changes the domain tree only as the actor's authority allows: a domain
    ends only by its own exit or fault or by a destroy from a domain with authority over
    it or an ancestor; a capability is gained only from a domain with authority over
    its target."""
    for did, was in before.domains.items():
        now = after.domains.get(did)
        if was.alive and now is not None and not now.alive and did != actor.id:
            chain, up = [did], was.parent
            while up is not None:
                chain.append(up)
                up = before.domains[up].parent
            require(any(had_authority(before, actor.id, x) for x in chain),
                    f"domain {did} ended in a call by {actor.label}, which had no authority over it")
        for cap in (now.caps - was.caps) if now is not None else ():
            require(had_authority(before, actor.id, cap),
                    f"domain {did} gained authority over domain {cap} from {actor.label}, which had none")
