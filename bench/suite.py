"""The benchmarks: each measures one hot path and its baseline in the same run.

Every benchmark returns a Figure: the ratio of Lamina's cost to its baseline's, the
target it should meet, and the raw numbers behind it. Each ratio is measured in pairs
(bench/timing.py): a sample of the path and a sample of its baseline back to back,
`pairs` times, and the figure is the median of the pairs' ratios, with the middle half
of them as its spread.

A sampler below runs one thing once and returns seconds per unit (per instruction,
per call, per round trip); the guest's work is fixed, so only host time varies.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bench.baseline import (raw_ecall_loop, raw_spin_loop, run_raw_ecall_loop, run_raw_spin_loop,
                            run_switch_floor, switch_floor_board)
from bench.timing import PairedRatio, Sampler, paired_ratio, timed
from lamina.config import SystemConfig, config_for_programs
from lamina.system import RunOptions, boot_config, load_program


@dataclass
class Figure:
    """One benchmark result."""

    name: str
    ratio: float
    target: str  # e.g. ">= 0.6" or "<= 3"; "" when there is none yet
    detail: dict[str, float] = field(default_factory=dict)
    spread: tuple[float, float] = (0.0, 0.0)  # first and third quartile of the pairs' ratios

    @property
    def met(self) -> bool | None:
        """Whether the ratio meets the target (None when there is no target)."""
        if not self.target:
            return None
        op, value = self.target.split()
        return self.ratio >= float(value) if op == ">=" else self.ratio <= float(value)


def figure(name: str, paired: PairedRatio, target: str = "", **detail: float) -> Figure:
    """A Figure from a paired measurement."""
    return Figure(name, paired.ratio, target, detail, (paired.low, paired.high))


def quiet_options(**kw) -> RunOptions:
    """Options for a benchmark run: console output and log lines discarded."""
    return RunOptions(console_sink=lambda data: None, log=lambda line: None, **kw)


def run_seconds(config: SystemConfig, tracer_factory=None, **kw) -> tuple[float, int]:
    """Seconds of the kernel's run loop for one run of a configuration (the boot is not
    included), and the guest instructions the run executed."""
    options = quiet_options(**kw)
    if tracer_factory is not None:
        options.tracer = tracer_factory()
    result = boot_config(config, options)
    seconds = timed(result.kernel.run)
    instructions = result.kernel.board.instructions
    result.kernel.shutdown()
    return seconds, instructions


def program_seconds(commands: list[list[str]], **kw) -> float:
    """Seconds of one run of these programs, side by side (boot not included)."""
    return run_seconds(config_for_programs(commands), **kw)[0]


def per_unit(commands: list[list[str]], units: int, **kw) -> Sampler:
    """A sampler: seconds per unit of work of one run of these programs."""
    return lambda: program_seconds(commands, **kw) / units


def difference_per_unit(more: list[list[str]], less: list[list[str]], units: int, **kw) -> Sampler:
    """A sampler: the seconds `more` takes beyond `less`, per unit of work, so that
    what both share (a program's start and exit) cancels out."""
    return lambda: (program_seconds(more, **kw) - program_seconds(less, **kw)) / units


# --- the baselines -------------------------------------------------------------------------

NULL_CALLS = 20_000


def null_call_sampler() -> Sampler:
    """Seconds per getid round trip in Lamina: the unit of most figures."""
    return per_unit([["nullcall", str(NULL_CALLS)]], NULL_CALLS)


def bare_ecall_sampler(calls: int = NULL_CALLS) -> Sampler:
    """Seconds per ecall to an empty Python hook on raw Unicorn: a fresh Uc for every
    sample, as Lamina boots a fresh board for each (see throughput)."""
    def sample() -> float:
        uc = raw_ecall_loop(calls)
        return timed(lambda: run_raw_ecall_loop(uc, calls)) / calls
    return sample


# --- the figures -----------------------------------------------------------------------------

def throughput(pairs: int, iterations: int = 5_000_000) -> Figure:
    """Guest instructions per second with exact accounting and preemption, over raw Unicorn.

    Steady state: Lamina's rate is the difference between `spin N` and `spin 0`
    (instructions over seconds), so the one-off costs of a run (translating the
    program's code afresh, tearing the domain down at exit) cancel out, as they are
    absent from the warm raw baseline."""
    image = load_program("spin", quiet_options())
    spin_0, fixed = run_seconds(config_for_programs([["spin", "0"]]))
    _, full = run_seconds(config_for_programs([["spin", str(iterations)]]))
    steady = full - fixed  # guest instructions of the loop itself: 4 x iterations
    lamina = difference_per_unit([["spin", str(iterations)]], [["spin", "0"]], steady)

    def raw() -> float:
        # A fresh Uc for every sample, made after the board's native library is loaded,
        # as each Lamina sample boots a fresh board: Unicorn's speed on this loop depends
        # on process state at the time a Uc is created (docs/performance.md), so both
        # sides must be made alike. The loop is run once untimed to translate it.
        uc = raw_spin_loop(image)
        run_raw_spin_loop(uc, image, 1)
        return timed(lambda: run_raw_spin_loop(uc, image, iterations)) / (4 * iterations)
    paired = paired_ratio(raw, lamina, pairs)  # raw seconds per instruction over Lamina's: a speed ratio
    return figure("exact-accounting throughput / raw Unicorn", paired, ">= 0.6",
                  lamina_mips=1e-6 / paired.baseline, raw_mips=1e-6 / paired.measured,
                  run_fixed_ms=spin_0 * 1e3)


def null_syscall(pairs: int) -> Figure:
    """One getid round trip, over a bare ecall to an empty Python hook."""
    paired = paired_ratio(null_call_sampler(), bare_ecall_sampler(), pairs)
    return figure("null system call / bare ecall to a Python hook", paired, "<= 3",
                  lamina_us=paired.measured * 1e6, bare_us=paired.baseline * 1e6)


def context_switch(pairs: int, yields: int = 5_000) -> Figure:
    """One switch between two domains that yield to each other, over the null call."""
    switch = per_unit([["yielder", str(yields)], ["yielder", str(yields)]], 2 * yields)
    paired = paired_ratio(switch, null_call_sampler(), pairs)
    return figure("context switch (yield to yield) / null call", paired, "", switch_us=paired.measured * 1e6)


def switch_floor_sampler(traps: int = 10_000) -> Sampler:
    """Seconds per two traps and two direct switches on the board with no kernel: the
    floor under an IPC round trip (bench/baseline.py)."""
    from lamina.system import resolve_build_dir

    native_cache = resolve_build_dir(quiet_options()) / "host"

    def sample() -> float:
        board, contexts = switch_floor_board(native_cache)
        return 2 * timed(lambda: run_switch_floor(board, contexts, traps)) / traps
    return sample


def ipc_round_trip(pairs: int, trips: int = 5_000) -> list[Figure]:
    """One IPC call plus its reply between two domains, over the null call; and the
    floor under it, also over the null call: two traps and two direct switches with no
    kernel at all, what any IPC whose logic runs in Python would pay at least."""
    paired = paired_ratio(per_unit([["ipcbench", str(trips)]], trips), null_call_sampler(), pairs)
    floor = paired_ratio(switch_floor_sampler(), null_call_sampler(), pairs)
    return [figure("IPC call + reply / null call", paired, "<= 4", round_trip_us=paired.measured * 1e6),
            figure("IPC floor: 2 traps + 2 switches, no kernel / null call", floor, "",
                   floor_us=floor.measured * 1e6)]


def file_read(pairs: int, reads: int = 1_000) -> Figure:
    """Reading 4 KiB through the file server (seek + read: two IPC round trips, a page
    shared each way), over the null call. The block is in fsd's cache after the first."""
    import tempfile

    from lamina.config import BindingSpec, DomainSpec
    from toolchain.ext2 import Ext2Image, MkfsOptions, make_filesystem

    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "bench.img"
        make_filesystem(image, MkfsOptions(size=8 << 20))
        with Ext2Image(image, writable=True) as fs:
            fs.write_file("/4k.bin", bytes(range(256)) * 16)
        config = SystemConfig("bench-fs", disk=str(image), domains=(
            DomainSpec("fsd", "fsd", bindings=(BindingSpec("console"), BindingSpec("disk", 0, 1 << 30))),
            DomainSpec("reader", "fsbench", ("@fsd", "/4k.bin", str(reads)), bindings=(BindingSpec("console"),),
                       caps=("fsd",)),
        ))
        paired = paired_ratio(lambda: run_seconds(config)[0] / reads, null_call_sampler(), pairs)
    return figure("read 4 KiB through the file server / null call", paired, "", read_us=paired.measured * 1e6)


def tracing_cost(pairs: int) -> Figure:
    """Guest instructions per second with a trace of slices (the sched category) on,
    over the same run untraced: tracing may cost at most half the speed."""
    from lamina.trace import ChromeTrace

    commands = [["spin", "200000"], ["spin", "200000"], ["yielder", "2000"]]
    plain = per_unit(commands, 1, quantum=2_000)
    traced = per_unit(commands, 1, quantum=2_000, tracer_factory=lambda: ChromeTrace(frozenset({"sched"})))
    paired = paired_ratio(plain, traced, pairs)  # untraced seconds over traced: a speed ratio
    return figure("traced (slices only) / untraced speed", paired, ">= 0.5",
                  untraced_ms=paired.measured * 1e3, traced_ms=paired.baseline * 1e3)


def guest_work(config: SystemConfig, **kw) -> tuple[int, int]:
    """Guest instructions and kernel crossings of one run, summed over its domains:
    exact and deterministic, so the figures' savings show in counts, not only in time."""
    from lamina.system import run_config

    options = quiet_options(**kw)
    domains = run_config(config, options).kernel.domains.values()
    return sum(d.stats.instructions for d in domains), sum(d.stats.crossings for d in domains)


def work_per_unit(more: tuple[int, int], less: tuple[int, int], units: int) -> dict[str, float]:
    """Instructions and crossings per unit of work, by difference of two runs' guest_work."""
    return {"instructions": (more[0] - less[0]) / units, "crossings": (more[1] - less[1]) / units}


def fork_sampler(pages: int, forks: int = 100) -> Sampler:
    """Seconds per fork + exit + wait of a process with `pages` heap pages mapped."""
    return difference_per_unit([["forkexit", str(forks), str(pages), "4000"]],
                               [["forkexit", "0", str(pages), "4000"]], forks)


def fork_wait(pairs: int) -> list[Figure]:
    """fork + exit + wait over the null call, and how fork's cost grows with the address
    space: 256 mapped heap pages against 16 (copy-on-write: pages, not bytes)."""
    small = paired_ratio(fork_sampler(16), null_call_sampler(), pairs)
    growth = paired_ratio(fork_sampler(256), fork_sampler(16), pairs)
    work = work_per_unit(guest_work(config_for_programs([["forkexit", "100", "16", "4000"]])),
                         guest_work(config_for_programs([["forkexit", "0", "16", "4000"]])), 100)
    return [figure("fork + exit + wait / null call", small, "<= 500", fork_us=small.measured * 1e6, **work),
            figure("fork with 256 heap pages / with 16", growth, "", fork_256_us=growth.measured * 1e6)]


def boot_one(pairs: int) -> Figure:
    """Booting one small program in-process (the build found up to date, the board made,
    the program loaded) and running it to its end, over the null call: what every test
    and every `lamina run` pays before its own work."""
    config = config_for_programs([["hello"]])
    boot = paired_ratio(lambda: run_seconds_with_boot(config), null_call_sampler(), pairs)
    instructions, crossings = guest_work(config)
    return figure("boot one small program in-process / null call", boot, "<= 10000",
                  boot_ms=boot.measured * 1e3, instructions=instructions, crossings=crossings)


def run_seconds_with_boot(config: SystemConfig) -> float:
    """Seconds of boot_config and the run together (run_seconds leaves the boot out)."""
    def boot_and_run() -> None:
        result = boot_config(config, quiet_options())
        result.kernel.run()
        result.kernel.shutdown()
    return timed(boot_and_run)


def shell_sessions(pairs: int, runs: int = 20) -> list[Figure]:
    """Booting to the shell prompt (the default system: init, fsd, netd, sh from the
    disk; the shell exits at once and the disk is flushed) and running a small program
    from the shell (fork, exec of /bin/true read through the file server, wait), each
    over the null call. Each session runs on a fresh copy of the disk image."""
    import shutil
    import tempfile

    from lamina.system import run_config, shell_system

    with tempfile.TemporaryDirectory() as tmp:
        built = quiet_options()
        shell_system(built)  # builds the programs and the disk image once

        def session(script: str) -> float:
            image = Path(tmp) / "disk.img"
            shutil.copyfile(built.disk, image)
            options = quiet_options(disk=image, console_input=script.encode())
            return timed(lambda: run_config(shell_system(options), options))

        # No warm-up pair: every session boots a fresh board from a fresh disk, and the
        # suite's first run has built and loaded everything a board needs.
        boot = paired_ratio(lambda: session(""), null_call_sampler(), pairs, warmup=0)
        per_exec = lambda: (session("true\n" * runs) - session("")) / runs  # noqa: E731
        exec_ = paired_ratio(per_exec, null_call_sampler(), pairs, warmup=0)

        def work(script: str) -> tuple[int, int]:
            image = Path(tmp) / "disk.img"
            shutil.copyfile(built.disk, image)
            return guest_work(shell_system(quiet_options(disk=image)), disk=image, console_input=script.encode())
        per_exec_work = work_per_unit(work("true\n" * runs), work(""), runs)
    return [figure("boot to the shell prompt (and shut down) / null call", boot, "", boot_ms=boot.measured * 1e3),
            figure("exec of a small program from the shell / null call", exec_, "<= 3000",
                   fork_exec_wait_us=exec_.measured * 1e6, **per_exec_work)]


def quantum_sampler(domains: int, quantum: int) -> Sampler:
    """Seconds per quantum of `domains` spinning domains, preempted every `quantum`."""
    def sample() -> float:
        seconds, instructions = run_seconds(config_for_programs([["spin", "20000"]] * domains),
                                            quantum=quantum, ram_mib=512)
        return seconds / (instructions / quantum)
    return sample


def scaling(pairs: int, quantum: int = 2_000) -> Figure:
    """Cost per quantum with 1,000 runnable domains against 10."""
    paired = paired_ratio(quantum_sampler(1000, quantum), quantum_sampler(10, quantum), max(1, pairs // 2), warmup=0)
    return figure("cost per quantum, 1,000 domains / 10", paired, "<= 1.5",
                  us_per_quantum_10=paired.baseline * 1e6, us_per_quantum_1000=paired.measured * 1e6)


BENCHMARKS: list[tuple[str, Callable[[int], Figure | list[Figure]]]] = [
    ("throughput", throughput),
    ("syscall", null_syscall),
    ("switch", context_switch),
    ("ipc", ipc_round_trip),
    ("fileread", file_read),
    ("fork", fork_wait),
    ("boot", boot_one),
    ("shell", shell_sessions),
    ("tracing", tracing_cost),
    ("scaling", scaling),
]


def run_suite(pairs: int = 5, progress: Callable[[str], None] = lambda s: None,
              only: set[str] | None = None) -> list[Figure]:
    """Every benchmark (or those named in `only`), in order."""
    figures: list[Figure] = []
    run_seconds(config_for_programs([["spin", "0"]]))  # builds and loads what every board uses
    for name, bench in BENCHMARKS:
        if only is not None and name not in only:
            continue
        progress(name)
        result = bench(pairs)
        figures.extend(result if isinstance(result, list) else [result])
    return figures
