"""Scripts for kfuzz, the system-call interpreter the kernel fuzz test runs.

userland/tests/kfuzz.c executes a script of records, each a call number and seven
arguments; an argument is a literal or a symbolic value the interpreter resolves when
it runs (its own id, its Nth child, a scratch page, ...), so that random scripts meet
the interesting cases. This module writes records in the interpreter's format and
holds the Hypothesis strategies that draw scripts: every system call of kernel/abi.py,
with arguments biased toward valid values, boundaries, other domains' ids, unaligned
and huge addresses. tests/kfuzz_runner.py runs them.
"""

from __future__ import annotations

import re
import struct
from dataclasses import dataclass
from pathlib import Path

from hypothesis import strategies as st

from emulator.riscv import PAGE_SIZE
from kernel.abi import CONSOLE_WRITE_MAX, NOTIFY_USER_SHIFT, STRUCTS, TIMER_MAX, USER_VA_LIMIT, Sys

KFUZZ_SOURCE = Path(__file__).resolve().parent.parent / "userland" / "tests" / "kfuzz.c"
# The interpreter's protocol (argument kinds, pseudo-ops, limits), read from its source.
PROTOCOL = re.compile(r"^#define (K_\w+|OP_\w+|NARGS|NSCRATCH|PROBE_\w+) \(?(-?0x[0-9a-fA-F]+|-?\d+)", re.M)
P = {name: int(value, 0) for name, value in PROTOCOL.findall(KFUZZ_SOURCE.read_text())}
MASK = (1 << 64) - 1
RECORD = struct.Struct("<9Q")
OPS = {P["OP_SERVE"]: "serve", P["OP_PEEK"]: "peek", P["OP_POKE"]: "poke", P["OP_RESUME"]: "resume"}


# --- scripts -------------------------------------------------------------------------

@dataclass(frozen=True)
class Arg:
    """One argument of a record: a kind (K_*) and the word it is resolved from."""

    kind: int
    word: int = 0

    def __repr__(self) -> str:
        names = {P["K_SELF"]: "self", P["K_PEER"]: "peer", P["K_XSTACK"]: "xstack", P["K_SENDER"]: "sender"}
        if self.kind == P["K_LIT"]:
            return hex(self.word)
        if self.kind in names:
            return names[self.kind]
        if self.kind in (P["K_PAGE"], P["K_PROG"]):
            what = "page" if self.kind == P["K_PAGE"] else ("text", "rodata", "data", "stack")[(self.word >> 12) % 4]
            index = f"{self.word >> 12}" if self.kind == P["K_PAGE"] else ""
            return f"{what}({index})" + (f"+{self.word & 0xfff:#x}" if self.word & 0xfff else "")
        kind = {P["K_CHILD"]: "child", P["K_BUF"]: "buf", P["K_CODE"]: "code", P["K_RESULT"]: "result"}[self.kind]
        return f"{kind}({self.word})"


@dataclass(frozen=True)
class Call:
    """One script record: a system call (or pseudo-op) and its arguments."""

    num: int
    args: tuple[Arg, ...] = ()

    def encode(self) -> bytes:
        args = list(self.args) + [Arg(P["K_LIT"])] * (P["NARGS"] - len(self.args))
        kinds = sum(a.kind << (4 * j) for j, a in enumerate(args))
        return RECORD.pack(self.num, kinds, *(a.word & MASK for a in args))

    def __repr__(self) -> str:
        name = OPS.get(self.num) or (Sys(self.num).name.lower() if self.num in Sys._value2member_map_ else self.num)
        return f"{name}({', '.join(map(repr, self.args))})"


@dataclass(frozen=True)
class Setup:
    """One fuzz run: the board, the quota each interpreter boots with, and their scripts."""

    ram_mib: int
    quantum: int
    page_quota: int
    scripts: tuple[tuple[Call, ...], ...]


# How scripts are drawn. Hypothesis spends ~0.1 ms on each value it draws, more than
# the kernel spends on a call, so each record is drawn as one 8-byte string and decoded:
# byte 0 picks the call, each further byte one argument from a pool of values. Pools
# list their simplest values first, because Hypothesis shrinks bytes toward zero.
Pool = list[Arg]
RECORD_BYTES = 8


def lit(value: int) -> Arg:
    """A literal argument (negative numbers as 64-bit two's complement)."""
    return Arg(P["K_LIT"], value & MASK)


def lits(*values: int) -> Pool:
    """Literal arguments."""
    return [lit(v) for v in values]


def ks(name: str, *words: int) -> Pool:
    """Symbolic arguments of kind `name` (K_CHILD, K_PAGE, ...) with these words."""
    return [Arg(P[name], w) for w in words or (0,)]


def pool(*groups: tuple[float, Pool]) -> Pool:
    """The groups' values, each group taking a share of the pool set by its weight."""
    values = []
    for weight, items in groups:
        values += [items[i % len(items)] for i in range(round(12 * weight))]
    return values


def pages(*offsets: int) -> Pool:
    """Every scratch page, at each of the offsets."""
    return [Arg(P["K_PAGE"], n << 12 | off) for off in offsets for n in range(P["NSCRATCH"])]


SELF = lits(0) + ks("K_SELF")
OTHERS = [(6, ks("K_CHILD", 0, 1, 2, 3)), (3, ks("K_PEER")), (2, lits(1, 2, 3, 4, 5, 6, 7, 8)),
          (1, ks("K_RESULT", 0, 1, 2, 3, 4, 5)), (1, lits(1 << 40, 1 << 63, -1, 100_000))]
DOMAIN = pool((3, SELF), *OTHERS)
MEM_DOMAIN = pool((6, SELF), (4, ks("K_CHILD", 0, 0, 1, 2)), (1, ks("K_PEER")), (1, lits(1, 2, 3, 4, 1 << 63)))
CHILD = ks("K_CHILD", 0, 0, 1, 2, 3)
PERM = pool((6, lits(3, 1, 5, 7, 3 | 8)), (1, lits(0, 2, 4, 6, 8, 16, 0xFF, -1)))
SHARE_PERM = pool((6, lits(1, 1, 3, 5, 7)), (1, lits(0, 2, 4, 6, 8, 0xFF, -1)))
RANGE_MASK = pool((6, lits(5, 1, 3, 7, 1 | 8, 5 | 16, 7 | 16, 1 | 8 | 16)), (1, lits(0, 2, 8, 16, 0xFF, -1)))  # rights, MARK, MOVE
# The program's own pages (text, rodata, data, stack) are fine to read or share but
# fatal to remap in the interpreter itself, so only ANY_VA offers them.
PROG_PAGES = ks("K_PROG", 0, 1 << 12, 2 << 12, 3 << 12)
BAD_VAS = lits(0, USER_VA_LIMIT, USER_VA_LIMIT + PAGE_SIZE, 1 << 63, -PAGE_SIZE, 0x8000_0000, 0x12345)
UNALIGNED = pages(1, 8, 0x800, 0xFF8, 0xFFF)
SAFE_VA = pool((8, pages(0)), (1, UNALIGNED), (1, BAD_VAS))
ANY_VA = pool((8, pages(0)), (1, UNALIGNED), (1, BAD_VAS), (2, PROG_PAGES))
MAPPED_VA = pool((4, PROG_PAGES), (6, pages(0)), (1, UNALIGNED), (1, BAD_VAS))  # likely mapped in the interpreter
# The most a call may ask for is rare: the kernel checks each of those 65536 pages.
NPAGES = pool((6, lits(1, 1, 2, 3)), (1, lits(0, 8, 600, 5000, (1 << 16) + 1, 1 << 40, -1)), (1 / 12, lits(1 << 16)))
BUF = ks("K_BUF", 0, 8, 3, 500)
OUT_PTR = pool((4, BUF), (2, pages(0)), (1, ks("K_PROG", 1 << 12)), (1, BAD_VAS))  # the kernel writes there
IN_PTR = pool((4, BUF), (2, pages(0)), (1, PROG_PAGES), (1, BAD_VAS))  # the kernel reads there
# A name for domain_name: where domain_info into the buffer's start leaves one (after
# its 64-bit fields).
NAME_PTR = pool((4, ks("K_BUF", 8 * (len(STRUCTS["domain_info"]) - 1))), (2, BUF), (1, PROG_PAGES), (1, BAD_VAS))
WORD = lits(0, 1, 7, -1, 1 << 63, 0x1234_5678_9ABC_DEF0, 0xFFFF_FFFF, 1 << 32)
SEND_PAGE = pool((4, lits(0)), (4, pages(1, 3, 5, 7, 2, 0)), (1, ks("K_PROG", 5, 2 << 12 | 3, 1 << 12 | 1)),
                 (1, BAD_VAS))
WINDOW = pool((2, lits(0)), (4, pages(0)), (1, UNALIGNED), (1, BAD_VAS))
CALLEE = pool((4, CHILD), *OTHERS, (1, SELF))
# What an IPC call asks an agent child to do (kf_server_main): a call number, then
# arguments as the agent sees them (0 is the agent itself; its window and stack pages).
# The low byte of the call word is the number, the rest the fourth argument.
AGENT_CALL = pool((2, lits(0)), (5, lits(*(n | x << 8 for n in Sys if n != Sys.EXIT for x in (0, 3, 0x4000_0000)))),
                  (1, lits(Sys.EXIT, 99, -1)))
AGENT_ARG = pool((4, lits(0, 1, 2, 3, 4, 5, 6)), (2, lits(0x4000_0000, 0x3000_0000, 0x4000_1000, 0x4000_0003)),
                 (2, ks("K_SELF") + ks("K_PEER") + ks("K_CHILD", 0, 1, 2)), (1, lits(16, 64, 1 << 16, 1 << 63, -1)))
CALLER = pool((4, ks("K_SENDER")), *OTHERS, (1, SELF))
QUOTA = pool((4, lits(96, 48, 64, 128, 1024, 8192)), (1, lits(16, 24, 32, 0, 15, -1, 1 << 40)))
OWN_QUOTA = lits(96, 64, 128, 1024, 8192, 16)  # rarely one the interpreter cannot live in
HANDLER_ENTRY = pool((4, ks("K_CODE", 0, 1, 2)), (1, lits(0, 0x10002, 0x20000, -4)))
XSTACK_TOP = pool((4, ks("K_XSTACK")), (1, lits(0, 0x1000, USER_VA_LIMIT, USER_VA_LIMIT + PAGE_SIZE, 0x4000_0800)))
PEEK_VA = pool((4, pages(0)), (1, PROG_PAGES), (1, UNALIGNED), (1, BUF), (1, BAD_VAS))
POKE_VA = pool((4, pages(0)), (1, UNALIGNED), (1, BUF), (1, ks("K_PROG", 0, 1 << 12)), (1, BAD_VAS))


def is_self(dom: Arg) -> bool:
    return dom.kind == P["K_SELF"] or dom == Arg(P["K_LIT"], 0)


def page_target(b0: int, b1: int) -> tuple[Arg, Arg]:
    """(dom, va) for a call that changes the mapping at va: never one of the
    interpreter's own pages, which would end its script early."""
    dom = MEM_DOMAIN[b0 % len(MEM_DOMAIN)]
    vas = SAFE_VA if is_self(dom) else ANY_VA
    return dom, vas[b1 % len(vas)]


def quota_target(b0: int, b1: int) -> tuple[Arg, Arg]:
    """(dom, pages) for set_quota."""
    dom = DOMAIN[b0 % len(DOMAIN)]
    quotas = OWN_QUOTA if is_self(dom) else QUOTA
    return dom, quotas[b1 % len(quotas)]


S = Sys
# Sequences of records drawn as one, because they test something only together:
ANSWER = -1  # receive, then answer the sender (reply, or reply and receive again)
RETOUCH = -2  # map and touch a page, change its mapping, touch it again: no stale translation may survive
# (weight, call number, parameters): a parameter is a pool (one byte picks from it) or a
# function of two bytes giving two arguments that depend on each other.
CALL_TABLE = [
    (2, S.GETID, ()),
    (2, S.YIELD, ()),
    (2, S.CONSOLE_WRITE, (IN_PTR, lits(8, 0, 1, 100, 4096, 5000, CONSOLE_WRITE_MAX, CONSOLE_WRITE_MAX + 1, -1))),
    (8, S.PAGE_ALLOC, (page_target, NPAGES, PERM)),
    (6, S.PAGE_MAP, (MEM_DOMAIN, MAPPED_VA, page_target, SHARE_PERM)),
    (5, S.PAGE_UNMAP, (page_target,)),
    (3, S.PAGE_QUERY, (MEM_DOMAIN, MAPPED_VA)),
    (3, S.PAGE_MAP_RANGE, (MEM_DOMAIN, MAPPED_VA, page_target, NPAGES, RANGE_MASK)),
    (2, S.PAGE_QUERY_RANGE, (MEM_DOMAIN, MAPPED_VA, NPAGES, OUT_PTR)),
    (2, S.PAGE_UNMAP_RANGE, (MEM_DOMAIN, MAPPED_VA, NPAGES)),
    (5, S.DOMAIN_CREATE, ()),
    (2, S.DOMAIN_SET_REGS, (DOMAIN, IN_PTR)),
    (3, S.DOMAIN_SET_STATE, (DOMAIN, lits(1, 1, 0, 2, 3, 99, -1))),
    (3, S.DOMAIN_DESTROY, (DOMAIN,)),
    (2, S.DOMAIN_INFO, (DOMAIN, OUT_PTR)),
    (4, S.DOMAIN_NAME, (DOMAIN, NAME_PTR)),
    (2, S.SET_FAULT_HANDLER, (DOMAIN, HANDLER_ENTRY, XSTACK_TOP)),
    (1, S.FAULT_RETURN, (pool((5, BAD_VAS), (1, ks("K_BUF"))),)),
    (2, S.ALARM, (lits(0, 1, 7, 1000, 100_000, TIMER_MAX, TIMER_MAX + 1, -1),)),
    (6, S.IPC_CALL, (CALLEE, AGENT_CALL, AGENT_ARG, AGENT_ARG, AGENT_ARG, SEND_PAGE, WINDOW)),
    (2, S.IPC_RECV, (WINDOW,)),
    (2, S.IPC_REPLY, (CALLER, WORD, WORD, WORD, WORD, SEND_PAGE)),
    (2, S.IPC_REPLY_RECV, (CALLER, WORD, WORD, WORD, WORD, SEND_PAGE, WINDOW)),
    (3, S.NOTIFY, (DOMAIN, lits(1 << NOTIFY_USER_SHIFT, 3 << 20, 1 << 63, 1, 0, -1))),
    (2, S.SET_SHARE, (DOMAIN, lits(50, 1, 100, 1000, 1_000_000, 1_000_001, 0, -1))),
    (3, S.SET_QUOTA, (quota_target,)),
    (3, S.CAP_GRANT, (DOMAIN, DOMAIN)),
    (2, S.CAP_CHECK, (DOMAIN, DOMAIN)),
    *([(1, S.SYSINFO, (OUT_PTR,))] if hasattr(S, "SYSINFO") else []),  # lab syscall's call, once written
    (3, S.BIND_GRANT, (DOMAIN, lits(2, 2, 1, 3, 3, 0, 4, -1), lits(0, 0, 8, 17, 1, 6, 256, -1),
                       lits(16, 0, 10, 32, 53, 80, 65536, -1))),
    (2, S.CONSOLE_READ, (OUT_PTR, lits(8, 1, 64, 0, CONSOLE_WRITE_MAX + 1, -1))),
    (3, S.DISK_IO, (lits(0, 1, 2, 3, -1), lits(0, 1, 8, 31, 32, 63, 64, -1), lits(1, 1, 8, 0, 256, 257, -1),
                    pool((4, BUF), (4, pages(0)), (1, ks("K_PROG", 1 << 12)), (1, UNALIGNED), (1, BAD_VAS)))),
    (1, S.DISK_INFO, ()),
    (2, S.NIC_SEND, (IN_PTR, lits(60, 14, 1514, 13, 1515, 0, -1))),
    (2, S.NIC_RECV, (OUT_PTR, lits(1514, 60, 14, 0, -1))),
    (1, S.NIC_INFO, ()),
    (1, S.CLOCK, ()),
    (2, S.TIMER, (lits(50_000, 0, 1, 300_000, 1 << 63, -1),)),
    (4, P["OP_SERVE"], (CHILD,)),
    (3, P["OP_PEEK"], (PEEK_VA,)),
    (3, P["OP_POKE"], (POKE_VA, WORD)),
    (1, P["OP_RESUME"], ()),
    (3, ANSWER, (WINDOW, WORD, SEND_PAGE, lits(1, 0))),
    (3, RETOUCH, (pages(0), pages(0), lits(0, 1, 2), lits(1, 3))),
]
CALL_KINDS = [(num, params) for weight, num, params in CALL_TABLE for _ in range(weight)]
HANDLER = Call(S.SET_FAULT_HANDLER, (Arg(P["K_SELF"]), Arg(P["K_CODE"], 0), Arg(P["K_XSTACK"])))
SERVER = [Call(S.DOMAIN_CREATE), Call(P["OP_SERVE"], (Arg(P["K_CHILD"], 0),))]


def decode_call(raw: bytes) -> tuple[Call, ...]:
    """The record (or records) RECORD_BYTES drawn bytes stand for."""
    num, params = CALL_KINDS[raw[0] % len(CALL_KINDS)]
    args: list[Arg] = []
    at = 1
    for param in params:
        if isinstance(param, list):
            args.append(param[raw[at] % len(param)])
            at += 1
        else:
            args.extend(param(raw[at], raw[at + 1]))
            at += 2
    assert at <= RECORD_BYTES
    if num == ANSWER:
        window, word, page, and_receive = args
        sender = Arg(P["K_SENDER"])
        if and_receive.word:
            return Call(S.IPC_RECV, (window,)), Call(S.IPC_REPLY_RECV, (sender, word, word, word, word, page, window))
        return Call(S.IPC_RECV, (window,)), Call(S.IPC_REPLY, (sender, word, word, word, word, page))
    if num == RETOUCH:
        page, other, how, perm = args
        me = Arg(P["K_SELF"])
        change = (Call(S.PAGE_UNMAP, (me, page)), Call(S.PAGE_MAP, (me, other, me, page, perm)),
                  Call(S.PAGE_MAP, (me, page, me, page, perm)))[how.word]  # unmap, remap, new rights
        return (Call(S.PAGE_ALLOC, (me, page, lit(1), lit(3))), Call(P["OP_POKE"], (page, lit(how.word))), change,
                Call(P["OP_POKE"], (page, lit(7))))
    return (Call(num, tuple(args)),)


CALLS = st.binary(min_size=RECORD_BYTES, max_size=RECORD_BYTES).map(decode_call)


@st.composite
def scripts(draw: st.DrawFn, max_calls: int) -> tuple[Call, ...]:
    """A script: an optional fault handler and IPC server child, random calls, and
    sometimes an explicit exit."""
    head = [HANDLER] if draw(st.booleans()) else []
    head += SERVER if draw(st.booleans()) else []
    body = [c for calls in draw(st.lists(CALLS, min_size=max_calls // 2, max_size=max_calls)) for c in calls]
    tail = [Call(S.EXIT, (draw(st.sampled_from(lits(0, 1, 255, 256, -1))),))] if draw(st.integers(0, 7)) == 0 else []
    return tuple(head + body + tail)


def setups(max_calls: int) -> st.SearchStrategy[Setup]:
    """Boards and scripts: two or three interpreters on a 16 MiB or a 1 MiB board (each
    one's peer is the next one)."""
    return st.builds(
        Setup,
        ram_mib=st.sampled_from([16, 1]),
        quantum=st.sampled_from([1_000, 100_000, 300]),
        page_quota=st.sampled_from([96, 8192, 160]),
        scripts=st.lists(scripts(max_calls), min_size=2, max_size=3).map(tuple),
    )
