"""Booting a whole system from a configuration: a board, the kernel, its domains.

`boot_config` turns a declarative SystemConfig (lamina/config.py) into a running
machine; `run_config` runs it until every domain has ended; `run_programs` is what
`lamina run PROG ARGS + PROG ...` does, through an ad-hoc configuration. Tests call
these functions directly.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from emulator.board import Board, BoardConfig
from emulator.elf import ElfError, ElfImage, read_elf
from kernel.bindings import Binding
from kernel.domain import Domain
from kernel.kernel import Kernel
from kernel.tracing import Tracer
from lamina.config import SystemConfig, config_for_programs, load_config
from lamina.hostconsole import TerminalInput
from lamina.loader import spawn


@dataclass
class RunOptions:
    """Knobs of one run that are not part of the system description."""

    quantum: int | None = None  # overrides the configuration's
    ram_mib: int | None = None  # overrides the configuration's
    native: bool = True
    build_dir: Path | None = None
    max_instructions: int | None = None
    disk: Path | None = None  # a disk image overriding the configuration's
    nic_mac: bytes | None = None  # give the board a NIC with this MAC address (lamina/cluster.py)
    console_sink: Callable[[bytes], None] | None = None
    console_input: bytes | None = None  # fed to the console, then end of input
    console_terminal: TerminalInput | None = None  # lines typed at a terminal: wait for them
    log: Callable[[str], None] | None = None
    progress: Callable[[int, int, str], None] | None = None
    tracer: Tracer | None = None  # receives the kernel's events (lamina/trace.py)
    before_run: Callable[[Kernel], None] | None = None  # e.g. attach an instruction listing


@dataclass
class RunResult:
    """The outcome of a run: the kernel (for its counters) and the booted domains."""

    kernel: Kernel
    config: SystemConfig
    domains: list[Domain] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        """The first domain's exit status (the program the command line names first)."""
        first = self.domains[0]
        return first.exit_status if first.exit_status is not None else 1


def resolve_build_dir(options: RunOptions) -> Path:
    """The build directory for this run."""
    from toolchain.build import default_build_dir

    return options.build_dir or default_build_dir()


def load_program(name: str, options: RunOptions) -> ElfImage:
    """The checked executable of program `name`, built (and only it) if needed."""
    return load_programs([name], options)[name]


def load_programs(names: list[str], options: RunOptions) -> dict[str, ElfImage]:
    """The checked executables of these programs, built if needed in one pass (the
    up-to-date check of the library they share is most of a boot's host time)."""
    from toolchain.build import build_programs

    paths = build_programs(names, build_dir=resolve_build_dir(options), progress=options.progress)
    return {name: read_elf(path, name) for name, path in paths.items()}


def built_program_finder(options: RunOptions) -> Callable[[str], ElfImage | None]:
    """The kernel's find_program: a program already built, by name (None if there is
    none, or it is not a valid executable). Never builds: it is asked inside a system
    call, when a process names the program it exec'd."""
    from toolchain.layout import BuildTree

    build = BuildTree(resolve_build_dir(options))
    cache: dict[str, ElfImage | None] = {}

    def find(name: str) -> ElfImage | None:
        if "/" in name or "\\" in name or name.startswith("."):
            return None  # a name, never a path out of the build's bin directory
        if name not in cache:
            path = build.binary(name)
            try:
                cache[name] = read_elf(path, name) if path.is_file() else None
            except ElfError:
                cache[name] = None
        return cache[name]
    return find


def power_on(config: SystemConfig, options: RunOptions) -> Kernel:
    """A board built as the configuration says, with a kernel and no domains yet."""
    native_cache = resolve_build_dir(options) / "host" if options.native else None
    disk = options.disk or (Path(config.disk) if config.disk else None)
    board_config = BoardConfig(ram_mib=options.ram_mib or config.ram_mib, native_cache=native_cache,
                               disk_image=disk, nic_mac=options.nic_mac)
    if options.console_sink is not None:
        board_config.console_sink = options.console_sink
    board = Board(board_config)
    if options.console_input is not None:
        board.console.feed(options.console_input)
        board.console.close_input()
    quantum = options.quantum or config.quantum
    kernel = Kernel(board, quantum=quantum, log=options.log) if options.log else Kernel(board, quantum=quantum)
    kernel.tracer = options.tracer
    kernel.find_program = built_program_finder(options)
    return kernel


def substitute_ids(arg: str, ids: dict[str, int]) -> str:
    """'@name' becomes the domain id of the configuration's domain called name, so a
    client can be told where its server is; '@@x' stands for a literal '@x'."""
    if arg.startswith("@@"):
        return arg[1:]
    if arg.startswith("@") and arg[1:] in ids:
        return str(ids[arg[1:]])
    return arg


def boot_config(config: SystemConfig, options: RunOptions | None = None) -> RunResult:
    """Power on and create every domain the configuration describes, in order."""
    options = options or RunOptions()
    images = load_programs([spec.program for spec in config.domains], options)
    kernel = power_on(config, options)
    result = RunResult(kernel, config)
    first = kernel.next_domain_id
    ids = {spec.name: first + i for i, spec in enumerate(config.domains)}
    for spec in config.domains:
        bindings = [Binding(b.kind, b.lo, b.hi) for b in spec.bindings]
        argv = [spec.program, *(substitute_ids(a, ids) for a in spec.args)]
        d = spawn(kernel, images[spec.program], argv, page_quota=spec.page_quota,
                         share=spec.share, bindings=bindings, start=spec.start)
        d.name = spec.name
        result.domains.append(d)
    for spec, d in zip(config.domains, result.domains):
        d.caps.update(ids[name] for name in spec.caps)  # what cap_grant would give
    return result


class HeldHaltNotice:
    """A kernel log that holds back "machine halted" lines: with a terminal, a machine
    whose domains all wait for console input is waiting for the person, not halted.
    The last such line is logged only if the run really ends there."""

    def __init__(self, kernel: Kernel) -> None:
        self.log = kernel.log
        self.held: str | None = None
        kernel.log = self

    def __call__(self, line: str) -> None:
        if line.startswith("machine halted"):
            self.held = line
        else:
            self.log(line)

    def release(self) -> None:
        """The run is over: log the halt, if it ended with one."""
        if self.held is not None:
            self.log(self.held)
        self.held = None


def waits_for_terminal(kernel: Kernel, options: RunOptions) -> bool:
    """Whether the machine stopped only because a domain waits for console input that
    a person may still type."""
    limit = options.max_instructions
    return (options.console_terminal is not None and not kernel.board.console.input_closed
            and bool(kernel.console_readers) and bool(kernel.live_domains)
            and (limit is None or kernel.board.instructions < limit))


def run_config(config: SystemConfig, options: RunOptions | None = None) -> RunResult:
    """Boot the configuration and schedule until no domain can run (with a terminal,
    until none can run and no more input can come)."""
    options = options or RunOptions()
    result = boot_config(config, options)
    kernel = result.kernel
    if options.before_run is not None:
        options.before_run(kernel)
    halt = HeldHaltNotice(kernel) if options.console_terminal is not None else None
    try:
        while True:
            kernel.run(max_instructions=options.max_instructions)
            if options.console_terminal is None or not waits_for_terminal(kernel, options):
                break
            if halt is not None:
                halt.held = None
            options.console_terminal.wait_and_feed(kernel.board.console)
    finally:
        if halt is not None:
            halt.release()
        kernel.shutdown()
    return result


def shell_system(options: RunOptions, interactive: bool = False) -> SystemConfig:
    """configs/default.toml, booting to the shell, ready to run: every program built
    and the disk image holding them made (options.disk becomes it, unless it names
    another image); with interactive, init tells the shell that a person types."""
    from dataclasses import replace

    from toolchain.build import build_all
    from toolchain.diskimage import build_disk_image

    from lamina.cluster import mac_address

    config = load_config("default")
    if options.nic_mac is None:  # netd's network card: machine 0 of a cluster, 10.0.0.1
        options.nic_mac = mac_address(0)
    if options.disk is None:
        build_dir = resolve_build_dir(options)
        options.disk = build_disk_image(build_all(build_dir, options.progress), build_dir)
    if interactive:
        domains = tuple(replace(d, args=(*d.args, "-i")) if d.name == "init" else d for d in config.domains)
        config = replace(config, domains=domains)
    return config


def run_programs(commands: list[list[str]], options: RunOptions | None = None) -> RunResult:
    """Run each argv in `commands` as its own console-bound domain, concurrently."""
    options = options or RunOptions()
    return run_config(config_for_programs(commands), options)
