"""The benchmarks: each measures one hot path and its baseline in the same run.

Every benchmark returns a Figure: the ratio of Lamina's cost to the baseline's, the
target it should meet, and the raw numbers behind it.
"""

from __future__ import annotations

import statistics
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from bench.baseline import raw_ecall_loop, raw_spin_loop, run_raw_ecall_loop, run_raw_spin_loop
from bench.timing import median_seconds, timed
from lamina.config import config_for_programs
from lamina.system import RunOptions, boot_config, load_program


@dataclass
class Figure:
    """One benchmark result."""

    name: str
    ratio: float
    target: str  # e.g. ">= 0.6" or "<= 3"; "" when there is none yet
    detail: dict[str, float] = field(default_factory=dict)

    @property
    def met(self) -> bool | None:
        """Whether the ratio meets the target (None when there is no target)."""
        if not self.target:
            return None
        op, value = self.target.split()
        return self.ratio >= float(value) if op == ">=" else self.ratio <= float(value)


def quiet_options(**kw) -> RunOptions:
    """Options for a benchmark run: console output and log lines discarded."""
    return RunOptions(console_sink=lambda data: None, log=lambda line: None, **kw)


def time_lamina(commands: list[list[str]], repeat: int, tracer_factory=None, **kw) -> tuple[float, int]:
    """Median seconds of the kernel's run loop for these programs (boot not included),
    and the guest instructions one run executes."""
    return time_config(config_for_programs(commands), repeat, tracer_factory, **kw)


def time_config(config, repeat: int, tracer_factory=None, **kw) -> tuple[float, int]:
    """Median seconds of the kernel's run loop for a configuration (boot not included),
    and the guest instructions one run executes."""
    instructions = 0

    def once() -> None:
        nonlocal instructions
        options = quiet_options(**kw)
        if tracer_factory is not None:
            options.tracer = tracer_factory()
        result = boot_config(config, options)
        start = time.perf_counter()  # the boot above is excluded from the measurement
        result.kernel.run()
        once.elapsed.append(time.perf_counter() - start)  # type: ignore[attr-defined]
        instructions = result.kernel.board.instructions
        result.kernel.shutdown()

    once.elapsed = []  # type: ignore[attr-defined]
    median_seconds(once, repeat=repeat)
    samples = sorted(once.elapsed[1:])  # type: ignore[attr-defined]
    return samples[len(samples) // 2], instructions


def throughput(repeat: int, iterations: int = 5_000_000) -> Figure:
    """Guest instructions per second with exact accounting and preemption, over raw Unicorn.

    Steady state: the rate is the difference between `spin N` and `spin 0` (instructions
    over seconds), so the one-off costs of a run (translating the program's code afresh,
    tearing the domain down at exit) cancel out, as they are absent from the warm raw
    baseline. The whole run's ratio is kept in the details."""
    image = load_program("spin", quiet_options())
    uc = raw_spin_loop(image)
    raw_seconds = median_seconds(lambda: run_raw_spin_loop(uc, image, iterations), repeat=repeat)
    raw_rate = 4 * iterations / raw_seconds
    seconds, instructions = time_lamina([["spin", str(iterations)]], repeat)
    fixed_seconds, fixed_instructions = time_lamina([["spin", "0"]], repeat)
    rate = (instructions - fixed_instructions) / (seconds - fixed_seconds)
    return Figure("exact-accounting throughput / raw Unicorn", rate / raw_rate, ">= 0.6",
                  {"lamina_mips": rate / 1e6, "raw_mips": raw_rate / 1e6,
                   "whole_run_ratio": instructions / seconds / raw_rate, "run_fixed_ms": fixed_seconds * 1e3})


def null_syscall(repeat: int, calls: int = 20_000) -> tuple[Figure, float]:
    """One getid round trip, over a bare ecall to an empty Python hook. Also returns
    the null call's seconds, the unit of the figures that follow."""
    uc = raw_ecall_loop(calls)
    raw = median_seconds(lambda: run_raw_ecall_loop(uc, calls), repeat=repeat) / calls
    seconds, _ = time_lamina([["nullcall", str(calls)]], repeat)
    per_call = seconds / calls
    return (Figure("null system call / bare ecall to a Python hook", per_call / raw, "<= 3",
                   {"lamina_us": per_call * 1e6, "bare_us": raw * 1e6}), per_call)


def context_switch(repeat: int, null_call: float, yields: int = 5_000) -> Figure:
    """One switch between two domains that yield to each other, over the null call."""
    seconds, _ = time_lamina([["yielder", str(yields)], ["yielder", str(yields)]], repeat)
    per_switch = seconds / (2 * yields)
    return Figure("context switch (yield to yield) / null call", per_switch / null_call, "",
                  {"switch_us": per_switch * 1e6})


def ipc_round_trip(repeat: int, null_call: float, trips: int = 5_000) -> Figure:
    """One IPC call plus its reply between two domains, over the null call."""
    seconds, _ = time_lamina([["ipcbench", str(trips)]], repeat)
    per_trip = seconds / trips
    return Figure("IPC call + reply / null call", per_trip / null_call, "<= 4", {"round_trip_us": per_trip * 1e6})


def file_read(repeat: int, null_call: float, reads: int = 1_000) -> Figure:
    """Reading 4 KiB through the file server (seek + read: two IPC round trips, a page
    shared each way), over the null call. The block is in fsd's cache after the first."""
    import tempfile

    from lamina.config import BindingSpec, DomainSpec, SystemConfig
    from toolchain.ext2 import Ext2Image, MkfsOptions, make_filesystem

    with tempfile.TemporaryDirectory() as tmp:
        image = Path(tmp) / "bench.img"
        make_filesystem(image, MkfsOptions(size=8 << 20))
        with Ext2Image(image, writable=True) as fs:
            fs.write_file("/4k.bin", bytes(range(256)) * 16)
        config = SystemConfig("bench-fs", disk=str(image), domains=(
            DomainSpec("fsd", "fsd", bindings=(BindingSpec("console"), BindingSpec("disk", 0, 1 << 30))),
            DomainSpec("reader", "fsbench", ("@fsd", "/4k.bin", str(reads)), bindings=(BindingSpec("console"),)),
        ))
        seconds, _ = time_config(config, repeat)
    per_read = seconds / reads
    return Figure("read 4 KiB through the file server / null call", per_read / null_call, "",
                  {"read_us": per_read * 1e6})


def tracing_cost(repeat: int) -> Figure:
    """Guest instructions per second with a trace of slices (the sched category) on,
    over the same run untraced: tracing may cost at most half the speed."""
    from lamina.trace import ChromeTrace

    commands = [["spin", "200000"], ["spin", "200000"], ["yielder", "2000"]]
    plain, instructions = time_lamina(commands, repeat, quantum=2_000)
    traced, _ = time_lamina(commands, repeat, quantum=2_000, tracer_factory=lambda: ChromeTrace(frozenset({"sched"})))
    return Figure("traced (slices only) / untraced speed", plain / traced, ">= 0.5",
                  {"untraced_mips": instructions / plain / 1e6, "traced_mips": instructions / traced / 1e6})


def fork_wait(repeat: int, null_call: float, forks: int = 100) -> list[Figure]:
    """fork + exit + wait over the null call, and how fork's cost grows with the address
    space: 256 mapped heap pages against 16 (copy-on-write: pages, not bytes)."""
    def per_fork(pages: int) -> float:
        seconds, _ = time_lamina([["forkexit", str(forks), str(pages), "4000"]], repeat)
        base, _ = time_lamina([["forkexit", "0", str(pages), "4000"]], repeat)
        return (seconds - base) / forks
    small, large = per_fork(16), per_fork(256)
    return [Figure("fork + exit + wait / null call", small / null_call, "", {"fork_us": small * 1e6}),
            Figure("fork with 256 heap pages / with 16", large / small, "", {"fork_256_us": large * 1e6})]


def shell_sessions(repeat: int, null_call: float, runs: int = 20) -> list[Figure]:
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

        def median(script: str) -> float:
            return statistics.median(session(script) for _ in range(repeat))
        boot = median("")
        per_exec = (median("true\n" * runs) - boot) / runs
    return [Figure("boot to the shell prompt (and shut down) / null call", boot / null_call, "",
                   {"boot_ms": boot * 1e3}),
            Figure("exec of a small program from the shell / null call", per_exec / null_call, "",
                   {"fork_exec_wait_us": per_exec * 1e6})]


def scaling(repeat: int, quantum: int = 2_000) -> Figure:
    """Cost per quantum with 1,000 runnable domains against 10."""
    def per_quantum(n: int) -> float:
        commands = [["spin", "20000"]] * n
        seconds, instructions = time_lamina(commands, max(1, repeat // 2), quantum=quantum, ram_mib=512)
        return seconds / (instructions / quantum)
    few, many = per_quantum(10), per_quantum(1000)
    return Figure("cost per quantum, 1,000 domains / 10", many / few, "<= 1.5",
                  {"us_per_quantum_10": few * 1e6, "us_per_quantum_1000": many * 1e6})


def run_suite(repeat: int = 5, progress: Callable[[str], None] = lambda s: None) -> list[Figure]:
    """Every benchmark, in order."""
    figures = []
    progress("throughput")
    figures.append(throughput(repeat))
    progress("null system call")
    null_figure, null_seconds = null_syscall(repeat)
    figures.append(null_figure)
    progress("context switch")
    figures.append(context_switch(repeat, null_seconds))
    progress("IPC round trip")
    figures.append(ipc_round_trip(repeat, null_seconds))
    progress("file read")
    figures.append(file_read(repeat, null_seconds))
    progress("fork")
    figures.extend(fork_wait(repeat, null_seconds))
    progress("shell")
    figures.extend(shell_sessions(repeat, null_seconds))
    progress("tracing")
    figures.append(tracing_cost(repeat))
    progress("scaling")
    figures.append(scaling(repeat))
    return figures
