"""`lamina bloat`: what one operation costs under each layering the system supports.

For each standard workload, the same operation is done by programs built on different
layers (raw kernel calls; the C library; the file server over IPC; ...). The cost of
one operation is measured by difference: a run doing it N times minus a run doing it
zero times, divided by N, so start-up and exit cancel out. Every figure is a guest
count (instructions, kernel crossings, IPC messages, faults, frames), so the table is
the same on every machine and every run; instructions are split by the layer whose
code executed them (lamina/flame.py), and those parts add up to the total.
"""

from __future__ import annotations

import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from lamina.config import BindingSpec, DomainSpec, SystemConfig
from lamina.flame import FlameProfiler, layer_of
from lamina.loc import REPO_ROOT, code_lines
from lamina.system import RunOptions, run_config
from toolchain.layout import SourceTree

CONSOLE = BindingSpec("console")
REPEAT = 20  # operations per measuring run


@dataclass(frozen=True)
class Variant:
    """One workload done on one layering: how to build its system for n operations."""

    workload: str
    layering: str
    system: Callable[[int, Path], SystemConfig]
    programs: tuple[str, ...]  # the programs whose own code is the "program" layer


@dataclass
class Cost:
    """The cost of one operation (differences of two runs, divided by the count)."""

    workload: str
    layering: str
    instructions: float
    by_layer: dict[str, float]
    crossings: float
    messages: float
    faults: float
    frames: int  # frames held at the peak by the domains involved (whole run)
    lines: dict[str, int] = field(default_factory=dict)  # code lines of each layer used
    repetitions: int = REPEAT  # operations in the measuring run the figures are divided by


def solo(program: str, *args: str, disk: bool = False) -> Callable[[int, Path], SystemConfig]:
    """A system of one program run with its args then n."""
    def build(n: int, image: Path) -> SystemConfig:
        binds = (CONSOLE, BindingSpec("disk", 0, 16)) if disk else (CONSOLE,)
        return SystemConfig(f"bloat-{program}", disk=str(image) if disk else None,
                            domains=(DomainSpec(program, program, (*args, str(n)), bindings=binds),))
    return build


def with_fsd(program: str, *args: str) -> Callable[[int, Path], SystemConfig]:
    """fsd serving the image, and one client program given @fsd, args, then n (with a
    capability for fsd: it shuts the server down at the end)."""
    def build(n: int, image: Path) -> SystemConfig:
        return SystemConfig(f"bloat-{program}", disk=str(image), domains=(
            DomainSpec("fsd", "fsd", bindings=(CONSOLE, BindingSpec("disk", 0, 1 << 30))),
            DomainSpec(program, program, ("@fsd", *args, str(n)), bindings=(CONSOLE,), caps=("fsd",)),
        ))
    return build


VARIANTS = (
    Variant("null operation", "raw kernel calls", solo("nullcall"), ("nullcall",)),
    Variant("write a line to the console", "raw kernel calls", solo("rawwrite"), ("rawwrite",)),
    Variant("write a line to the console", "C library", solo("printwrite"), ("printwrite",)),
    Variant("read 4 KiB", "raw kernel calls (disk sectors)", solo("rawread", disk=True), ("rawread",)),
    Variant("read 4 KiB", "file server over IPC", with_fsd("fsbench", "/4k.bin"), ("fsbench",)),
    Variant("create a file", "file server over IPC", with_fsd("fscreate"), ("fscreate",)),
    Variant("fork and exit", "process personality (library OS)", solo("forkexit"), ("forkexit",)),
    Variant("pipe transfer of 4 KiB", "process personality (library OS)", solo("pipebench"), ("pipebench",)),
)


def make_image(path: Path) -> Path:
    """A small ext2 disk with /4k.bin, for the file workloads."""
    from toolchain.ext2 import Ext2Image, MkfsOptions, make_filesystem

    make_filesystem(path, MkfsOptions(size=8 << 20))
    with Ext2Image(path, writable=True) as fs:
        fs.write_file("/4k.bin", bytes(range(256)) * 16)
    return path


@dataclass
class Totals:
    """Guest counts of one run."""

    instructions: int
    by_layer: dict[str, int]
    crossings: int
    messages: int
    faults: int
    frames: int


def measure_run(config: SystemConfig, options: RunOptions) -> Totals:
    """Run a system with the flame profiler on; its totals."""
    profilers: list[FlameProfiler] = []
    options.before_run = lambda k: profilers.append(FlameProfiler(k))
    result = run_config(config, options)
    by_layer: dict[str, int] = {}
    for stack, weight in profilers[0].weights.items():
        layer = stack.split(";", 1)[0]
        by_layer[layer] = by_layer.get(layer, 0) + weight
    ds = result.kernel.domains.values()
    return Totals(result.kernel.board.instructions, by_layer, sum(d.stats.crossings for d in ds),
                  sum(d.stats.ipc_sent for d in ds), sum(d.stats.faults for d in ds),
                  sum(d.stats.pages_peak for d in ds))


def layer_lines(layer: str, programs: tuple[str, ...]) -> int:
    """Code lines of a layer: every userland source the flame profiler would put in it
    (for "program", only the workload's own programs)."""
    if layer == "program":
        sources = SourceTree(REPO_ROOT).program_sources()
        return sum(code_lines(sources[p]) for p in programs)
    userland = REPO_ROOT / "userland"
    return sum(code_lines(f) for f in sorted(userland.rglob("*"))
               if f.suffix in (".c", ".S") and layer_of(f.relative_to(REPO_ROOT).as_posix()) == layer)


def measure(variant: Variant, image_dir: Path, n: int = REPEAT) -> Cost:
    """The per-operation cost of one variant."""
    def run(count: int) -> Totals:
        image = make_image(image_dir / f"{variant.programs[0]}-{count}.img")
        options = RunOptions(console_sink=lambda data: None, log=lambda line: None)
        return measure_run(variant.system(count, image), options)

    zero, many = run(0), run(n)
    layers = sorted(set(zero.by_layer) | set(many.by_layer))
    by_layer = {layer: (many.by_layer.get(layer, 0) - zero.by_layer.get(layer, 0)) / n for layer in layers}
    lines = {layer: layer_lines(layer, variant.programs) for layer in layers if by_layer[layer]}
    return Cost(variant.workload, variant.layering, (many.instructions - zero.instructions) / n,
                {k: v for k, v in by_layer.items() if v}, (many.crossings - zero.crossings) / n,
                (many.messages - zero.messages) / n, (many.faults - zero.faults) / n, many.frames, lines, n)


def study(progress: Callable[[str], None] = lambda s: None) -> list[Cost]:
    """Every variant of every workload."""
    costs = []
    with tempfile.TemporaryDirectory() as tmp:
        for variant in VARIANTS:
            progress(f"{variant.workload} / {variant.layering}")
            costs.append(measure(variant, Path(tmp)))
    return costs
