"""Running real RISC-V programs on a fresh board, for tests.

`run` boots the programs the way `lamina run` does (an ad-hoc configuration, one
console-bound domain each) and captures what a user would see: console output, the
kernel's log lines, exit statuses, and the kernel itself for its counters.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from lamina.config import SystemConfig
from lamina.system import RunOptions, RunResult, boot_config, run_config, run_programs


def shared(fixture_name: str, config) -> str:
    """The scope of a fixture whose guest run many tests read: once per module, except
    under mutation testing (mutmut sets MUTANT_UNDER_TEST), where each test runs it
    afresh. mutmut runs a mutant against the tests it saw reach the mutated function;
    a run made once for the module is seen by its first test only."""
    return "function" if "MUTANT_UNDER_TEST" in os.environ else "module"


@dataclass
class GuestRun:
    """What a run showed: console bytes, kernel log lines, and the run itself."""

    result: RunResult
    output: bytes = b""
    log: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")

    def domain(self, index: int = 0):
        return self.result.domains[index]


def options(**kw) -> tuple[RunOptions, bytearray, list[str]]:
    """RunOptions that capture console output and log lines."""
    out = bytearray()
    log: list[str] = []
    opts = RunOptions(console_sink=out.extend, log=log.append, **kw)
    return opts, out, log


def run(*commands: list[str] | str, **kw) -> GuestRun:
    """Run each command (a list, or a string split on spaces) concurrently until all end."""
    argvs = [c.split() if isinstance(c, str) else list(c) for c in commands]
    opts, out, log = options(**kw)
    result = run_programs(argvs, opts)
    return GuestRun(result, bytes(out), log)


def run_system(config: SystemConfig, **kw) -> GuestRun:
    """Boot a configuration and run it until no domain can run."""
    opts, out, log = options(**kw)
    result = run_config(config, opts)
    return GuestRun(result, bytes(out), log)


def boot(config: SystemConfig, **kw) -> GuestRun:
    """Boot a configuration without running it (the caller drives the kernel)."""
    opts, out, log = options(**kw)
    result = boot_config(config, opts)
    run_ = GuestRun(result, b"", log)
    run_.output_buffer = out  # type: ignore[attr-defined]
    return run_
