"""Flame-graph data: folded stacks weighted by guest instructions (`--flame FILE`).

Every instruction a domain retires is charged to the call stack it ran under, and the
stacks are written in the folded format that speedscope, flamegraph.pl and inferno
read: `layer;domain;_start;main;printf 1234`. The outermost frame is the layer the
executing code belongs to (the program itself, the C library, ...), so a flame graph
shows at a glance how much of the work each layer does.

Stacks come from the frame-pointer chain (userland is built with frame pointers: s0
is the frame, the return address sits at s0-8 and the caller's s0 at s0-16), walked
when execution enters another function; weights come from the instruction clock, so
they add up exactly to the instructions retired.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from emulator.riscv import PAGE_SIZE
from kernel.domain import Domain
from kernel.kernel import Kernel

FP, RA = 8, 1
MAX_DEPTH = 64
# Which layer a source file belongs to: the first prefix that matches wins. One table,
# shared with the bloat study (lamina/bloat.py).
LAYERS = (
    ("userland/lib/ext2/", "file server"),
    ("userland/lib/fsserver", "file server"),  # fsserver.c, fsserver_clients.c
    ("userland/sbin/fsd.c", "file server"),
    ("userland/lib/fsclient.c", "file client"),
    ("userland/lib/fork.c", "library OS"),
    ("userland/lib/proc.c", "library OS"),
    ("userland/lib/wait.c", "library OS"),
    ("userland/lib/fd.c", "library OS"),
    ("userland/lib/pipe.c", "library OS"),
    ("userland/lib/fdsave.c", "library OS"),
    ("userland/lib/exec.", "library OS"),
    ("userland/lib/image.c", "library OS"),
    ("userland/lib/spawn.c", "library OS"),
    ("userland/lib/cwd.c", "library OS"),
    ("userland/lib/net/", "network server"),
    ("userland/sbin/netd.c", "network server"),
    ("userland/lib/netclient.c", "network client"),
    ("userland/lib/sh", "shell"),
    ("userland/lib/", "C library"),
    ("gen/usys.S", "C library"),
)  # anything else in userland/ is a program (userland/bin, demos, tests, ...)


def layer_of(source: str | None) -> str:
    """The layer a source file belongs to, from where it lives in userland/."""
    for marker, layer in LAYERS:
        if source and marker in source:
            return layer
    return "program" if source else "unknown"


class FlameProfiler:
    """Charges each retired instruction to (layer, domain, call stack)."""

    def __init__(self, kernel: Kernel) -> None:
        self.kernel = kernel
        self.weights: Counter[str] = Counter()
        self._pending: tuple[str, int] | None = None  # stack of the running block, count before it
        self._cache: tuple[int, str, int, str] | None = None  # domain, function, fp -> stack
        kernel.board.cpu.watch_blocks(self._block)

    def _function(self, d: Domain, address: int) -> tuple[str, str | None, int]:
        """(name, source file, start) of the function containing address."""
        image = d.image
        sym = image.symbol_at(address) if image else None
        name = sym.split("+")[0] if sym else f"{address:#x}"
        start = image.symbol_address(name) if image and sym else address
        source = d.symbolizer.unit_at(address) if d.symbolizer and sym else None
        return name, source, start or address

    def _read(self, d: Domain, va: int) -> int | None:
        """A 64-bit word of d's memory, or None if unmapped."""
        m = d.space.lookup(va)
        if m is None or va % PAGE_SIZE > PAGE_SIZE - 8:
            return None
        return d.space.ram.read_u64(m.pa + va % PAGE_SIZE)

    def _callers(self, d: Domain, address: int, entry: bool) -> list[str]:
        """Caller function names, innermost first, from ra (in a prologue) and the fp chain."""
        cpu = self.kernel.board.cpu
        names = []
        ra = cpu.reg(RA)
        if entry and ra:  # the new frame is not built yet: the caller is where ra points
            names.append(self._function(d, ra - 4)[0])
        fp = cpu.reg(FP)
        for _ in range(MAX_DEPTH):
            ra = self._read(d, fp - 8) if fp else None
            if not ra:
                break
            names.append(self._function(d, ra - 4)[0])
            fp = self._read(d, fp - 16) or 0
        return names

    def _stack(self, d: Domain, address: int) -> str:
        """The folded stack for code at address in d: the layer, the domain, then the
        calls, outermost first (folded() may put the domain first instead)."""
        name, source, start = self._function(d, address)
        fp = self.kernel.board.cpu.reg(FP)
        if self._cache and self._cache[:3] == (d.id, name, fp):
            return self._cache[3]
        callers = self._callers(d, address, entry=address == start)
        frames = [layer_of(source), d.label, *reversed(callers), name]
        stack = ";".join(f.replace(";", ":") for f in frames)
        self._cache = (d.id, name, fp, stack)
        return stack

    def _block(self, address: int, size: int) -> None:
        """Block hook (after the clock charged the block): settle the previous block's
        weight, start this one's. The count before it is the clock's own (a block's size
        in bytes does not say how many instructions it holds)."""
        before = self.kernel.board.cpu.state.block_base
        self._settle(before)
        d = self.kernel.current
        if d is not None:
            self._pending = (self._stack(d, address), before)

    def _settle(self, now: int) -> None:
        """Charge the pending block with what actually ran (traps may have cut it short)."""
        if self._pending is not None:
            stack, before = self._pending
            if now > before:
                self.weights[stack] += now - before
            self._pending = None

    def stacks(self, root: str = "layer") -> dict[str, int]:
        """Weight per folded stack: rooted at the layer (layer;domain;calls...), or, with
        root="domain", at the domain with the layer as the stack's last word's colour
        (domain;calls...;function;[layer])."""
        self._settle(self.kernel.board.cpu.clock.count)
        if root == "layer":
            return dict(self.weights)
        out: Counter[str] = Counter()
        for stack, weight in self.weights.items():
            layer, domain, *calls = stack.split(";")
            out[";".join([domain, *calls, f"[{layer}]"])] += weight
        return dict(out)

    def folded(self, root: str = "layer") -> str:
        """The folded-stacks text, sorted so that the same run gives the same bytes."""
        return "".join(f"{stack} {weight}\n" for stack, weight in sorted(self.stacks(root).items()))

    def write(self, path: Path) -> None:
        """Save the folded stacks."""
        path.write_text(self.folded())
