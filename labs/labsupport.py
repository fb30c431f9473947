"""What every lab's graders share: running real programs on the tree under test with a
guest-instruction budget, and saying what went wrong in guest terms.

`guest(...)` boots programs as `lamina run` does and returns what a student would see:
the console, the kernel's log (a fault's domain, pc, symbol and source line; a Python
exception raised by kernel code, with its line), exit statuses. A run that uses its
whole budget is reported as not finishing, never waited on by the clock. With
LAMINA_LAB_TRACES set, each run leaves a Perfetto trace there, named after the test.
"""

from __future__ import annotations

import functools
import os
import re
from dataclasses import dataclass, field
from pathlib import Path

from lamina.config import SystemConfig, config_for_programs
from lamina.system import RunOptions, RunResult, run_config

DEFAULT_BUDGET = 50_000_000  # guest instructions: far more than any lab's programs need


def values(text: str) -> dict[str, str]:
    """The "name = value" lines a test program printed (userland/include/lamina/report.h),
    the values as printed."""
    return dict(line.split(" = ", 1) for line in text.splitlines() if " = " in line)


@dataclass
class Guest:
    """What one run showed."""

    result: RunResult
    output: str
    log: list[str] = field(default_factory=list)
    budget: int = DEFAULT_BUDGET

    @property
    def kernel(self):
        return self.result.kernel

    @property
    def values(self) -> dict[str, str]:
        """The "name = value" lines the programs printed."""
        return values(self.output)

    @property
    def lines(self) -> list[str]:
        return self.output.splitlines()

    def status(self, index: int = 0) -> int | None:
        """The exit status of the index-th booted domain (None if it never ended)."""
        return self.result.domains[index].exit_status

    @property
    def finished(self) -> bool:
        """False if the run used its whole instruction budget (a guest loop)."""
        return self.kernel.board.instructions < self.budget

    def trouble(self) -> str:
        """What went wrong, for a grader's message: unfinished, a kernel error (with the
        Python exception's location), or a domain killed by a fault."""
        if not self.finished:
            return f"the programs did not finish within {self.budget:,} instructions"
        errors = [line for line in self.log if "kernel error" in line or "killed" in line]
        return "; ".join(errors) if errors else "no fault and no kernel error"


def trace_path() -> Path | None:
    """Where this test's trace goes, if traces are wanted."""
    folder = os.environ.get("LAMINA_LAB_TRACES")
    test = os.environ.get("PYTEST_CURRENT_TEST", "run").split(" ")[0]
    return Path(folder) / (re.sub(r"[^\w.-]+", "_", test) + ".json") if folder else None


def boot(config: SystemConfig, budget: int = DEFAULT_BUDGET, options: RunOptions | None = None) -> Guest:
    """Run a configuration to its end (or its budget); what it showed."""
    out = bytearray()
    log: list[str] = []
    tracer = None
    if trace_path() is not None:
        from lamina.trace import ChromeTrace

        tracer = ChromeTrace()
    opts = options or RunOptions()
    opts.console_sink, opts.log, opts.max_instructions = out.extend, log.append, budget
    opts.tracer = opts.tracer or tracer
    result = run_config(config, opts)
    if tracer is not None:
        trace_path().parent.mkdir(parents=True, exist_ok=True)  # type: ignore[union-attr]
        tracer.write(trace_path())  # type: ignore[arg-type]
    return Guest(result, out.decode(errors="replace"), log, budget)


def guest(*commands: str | list[str], budget: int = DEFAULT_BUDGET, **options) -> Guest:
    """Run each command ("prog arg arg", or a list) as its own console-bound domain;
    options are RunOptions fields (before_run=..., say)."""
    argvs = [c.split() if isinstance(c, str) else list(c) for c in commands]
    return boot(config_for_programs(argvs), budget, RunOptions(**options))


def shell(script: str, budget: int = DEFAULT_BUDGET) -> Guest:
    """Boot to the shell (configs/default.toml) on a fresh copy of the disk image that
    holds the tree's programs, type script, and run to the end."""
    import shutil
    import tempfile

    from lamina.system import shell_system
    from toolchain.build import build_all, default_build_dir
    from toolchain.diskimage import build_disk_image

    build = default_build_dir()
    image = build_disk_image(build_all(build), build)
    with tempfile.TemporaryDirectory() as scratch:
        disk = Path(scratch) / "disk.img"
        shutil.copyfile(image, disk)
        options = RunOptions(disk=disk, console_input=script.encode())
        return boot(shell_system(options), budget, options)


def lamina_in(tree: Path | str, *args: str) -> str:
    """What `lamina ARGS` prints, run in another tree (the instructor's, say) with its
    own build directory."""
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("LAMINA_BUILD_DIR", "LAMINA_LAB_TREE")}
    return subprocess.run([sys.executable, "-m", "lamina.cli", *args], cwd=tree, env=env,
                          capture_output=True, text=True, check=True).stdout


@functools.lru_cache(maxsize=None)
def bloat_study(tree: str) -> dict:
    """`lamina bloat`'s figures for a tree: {(workload, layering): cost}."""
    import json

    return {(c["workload"], c["layering"]): c for c in json.loads(lamina_in(tree, "bloat", "--json"))["costs"]}


def fresh_disk(scratch: Path) -> Path:
    """A copy of the tree's disk image (its programs on ext2), in scratch."""
    import shutil

    from toolchain.build import build_all, default_build_dir
    from toolchain.diskimage import build_disk_image

    build = default_build_dir()
    disk = scratch / "disk.img"
    shutil.copyfile(build_disk_image(build_all(build), build), disk)
    return disk


def with_file_server(disk: Path, *commands: str, budget: int = DEFAULT_BUDGET) -> Guest:
    """The file server fsd, alone bound to disk, and a console-bound client per command
    ("@fsd" in a command is fsd's id); run to the end."""
    from lamina.config import BindingSpec, DomainSpec

    console = BindingSpec("console")
    domains = [DomainSpec("fsd", "fsd", (), bindings=(console, BindingSpec("disk", 0, disk.stat().st_size // 512)))]
    for i, command in enumerate(commands):
        argv = command.split()
        domains.append(DomainSpec(f"client{i}", argv[0], tuple(argv[1:]), bindings=(console,), caps=("fsd",)))
    return boot(SystemConfig("fileserver", disk=str(disk), domains=tuple(domains)), budget)


def fsck(disk: Path) -> str:
    """What is wrong with the ext2 image: e2fsck -fn's report, or toolchain/ext2's checker's
    where e2fsprogs is not installed; "" if the image is clean."""
    from toolchain.ext2 import check_image, run_e2fsck

    result = run_e2fsck(disk)
    if result is None:
        return "; ".join(str(p) for p in check_image(disk))
    status, output = result
    return "" if status == 0 else output.strip()[-600:]


@dataclass
class Network:
    """What machines on one switch showed: each machine's console, and every frame
    the switch carried (in order)."""

    texts: list[str]
    frames: list[bytes]
    dropped: int

    def values(self, machine: int) -> dict[str, int]:
        """The "name = number" lines machine printed (netd's counters, nc's results)."""
        out = {}
        for line in self.texts[machine].splitlines():
            name, sep, value = line.partition(" = ")
            if sep and " " not in name and value.lstrip("-").isdigit():
                out[name] = int(value)
        return out


def machines(scratch: Path, *clients_of: list[str], drop_every: int = 0,
             until: int = 400_000_000) -> Network:
    """Machines 10.0.0.1, 10.0.0.2, ... on one switch, each running netd and its
    client commands ("-N @netd" put in front of each command's arguments); the switch
    loses every drop_every-th frame if given. Run until all is quiet."""
    from emulator.pcap import read_pcap
    from lamina.cluster import boot_cluster
    from lamina.config import BindingSpec, DomainSpec

    console, nic = BindingSpec("console"), BindingSpec("nic")
    configs, outs = [], []
    for n, commands in enumerate(clients_of):
        domains = [DomainSpec("netd", "netd", (), bindings=(console, nic))]
        for i, command in enumerate(commands):
            program, *args = command.split()
            domains.append(DomainSpec(f"c{i}", program, ("-N", "@netd", *args), bindings=(console,)))
        configs.append(SystemConfig(f"m{n}", domains=tuple(domains)))
        outs.append(bytearray())
    options = [RunOptions(console_sink=o.extend, log=lambda line: None) for o in outs]
    pcap = scratch / "net.pcap"
    cluster = boot_cluster(configs, options, pcap=pcap)
    cluster.switch.drop_every = drop_every
    try:
        cluster.run(until)
    finally:
        cluster.shutdown()
    frames = [f for _, _, f in read_pcap(pcap.read_bytes())]
    return Network([o.decode(errors="replace") for o in outs], frames, cluster.switch.dropped)


def run_system(config: SystemConfig, max_instructions: int = DEFAULT_BUDGET) -> Guest:
    """Run a configuration for max_instructions guest instructions (or to its end)."""
    return boot(config, max_instructions)


def sched_domain(did: int, tickets: int):
    """A kernel Domain record with nothing but what the scheduler reads: runnable, with
    `tickets` tickets, as the kernel makes them."""
    from kernel.abi import DomState
    from kernel.domain import Domain

    d = Domain(did, f"d{did}", [], None, None)  # type: ignore[arg-type]
    d.share, d.state = tickets, DomState.RUNNABLE
    return d


def counting_sched_domain(did: int, tickets: int, counter: list[int]):
    """sched_domain, but every read of its pass_value or state adds one to counter[0]:
    how many domains a scheduler decision looks at, whatever structure it keeps them in."""
    from kernel.domain import Domain

    class Counted(Domain):
        def __getattribute__(self, name: str):
            if name in ("pass_value", "state"):
                counter[0] += 1
            return object.__getattribute__(self, name)

    d = Counted.__new__(Counted)
    d.__dict__.update(sched_domain(did, tickets).__dict__)
    return d
