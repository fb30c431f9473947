"""Booting a whole system: a board, the kernel, and the domains a run asks for.

`run_programs` is what `lamina run` does, as a function tests can call: build the
programs on demand, boot, spawn one domain per program, schedule until all have ended,
and return what happened (exit statuses and the kernel's counters).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from emulator.board import Board, BoardConfig
from emulator.elf import read_elf
from kernel.domain import Domain
from kernel.kernel import DEFAULT_QUANTUM, Kernel


@dataclass
class RunOptions:
    """Knobs of one run."""

    quantum: int = DEFAULT_QUANTUM
    ram_mib: int = 128
    native: bool = True
    build_dir: Path | None = None
    max_instructions: int | None = None
    console_sink: Callable[[bytes], None] | None = None
    log: Callable[[str], None] | None = None
    progress: Callable[[int, int, str], None] | None = None


@dataclass
class RunResult:
    """The outcome of a run: the kernel (for its counters) and each domain, in spawn order."""

    kernel: Kernel
    domains: list[Domain] = field(default_factory=list)

    @property
    def exit_status(self) -> int:
        """The first program's exit status (the one the command line names first)."""
        first = self.domains[0]
        return first.exit_status if first.exit_status is not None else 1


def resolve_build_dir(options: RunOptions) -> Path:
    """The build directory for this run."""
    from toolchain.build import default_build_dir

    return options.build_dir or default_build_dir()


def boot(options: RunOptions) -> Kernel:
    """A powered-on board with a kernel and no domains yet."""
    native_cache = resolve_build_dir(options) / "host" if options.native else None
    config = BoardConfig(ram_mib=options.ram_mib, native_cache=native_cache)
    if options.console_sink is not None:
        config.console_sink = options.console_sink
    board = Board(config)
    if options.log is not None:
        return Kernel(board, quantum=options.quantum, log=options.log)
    return Kernel(board, quantum=options.quantum)


def program_path(name: str, options: RunOptions) -> Path:
    """The built executable for program `name`, building it (and only it) if needed."""
    from toolchain.build import build_program

    return build_program(name, build_dir=resolve_build_dir(options), progress=options.progress)


def run_programs(commands: list[list[str]], options: RunOptions | None = None) -> RunResult:
    """Run each argv in `commands` as its own domain, concurrently, until all end."""
    options = options or RunOptions()
    images = [read_elf(program_path(argv[0], options), argv[0]) for argv in commands]
    kernel = boot(options)
    result = RunResult(kernel)
    for image, argv in zip(images, commands):
        result.domains.append(kernel.spawn(image, argv))
    kernel.run(max_instructions=options.max_instructions)
    return result
