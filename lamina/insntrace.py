"""`lamina run --trace-insns DOMAIN:START-END`: a listing of executed instructions.

For one domain (by id or name) and a window of its own instruction count, print each
instruction as it executes, disassembled with capstone and symbolized: where a
student sees exactly what ran, e.g. around a fault. Instruction indices are the
domain's retired-instruction count, the same numbers --stats reports.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TextIO

import capstone

from emulator.decode import insn_length
from kernel.domain import Domain
from kernel.kernel import Kernel

_SPEC = re.compile(r"^(?P<dom>[^:]+):(?P<start>\d+)-(?P<end>\d+)$")


class WindowError(ValueError):
    """A malformed --trace-insns argument."""


@dataclass(frozen=True)
class Window:
    """Which domain, and which of its instructions [start, end) to list."""

    domain: str
    start: int
    end: int


def parse_window(text: str) -> Window:
    """'2:100-200' or 'spin:0-50' -> Window."""
    m = _SPEC.match(text)
    if not m or int(m["start"]) >= int(m["end"]):
        raise WindowError(f"--trace-insns takes DOMAIN:START-END with START < END, e.g. 1:0-100, not {text!r}")
    return Window(m["dom"], int(m["start"]), int(m["end"]))


class InstructionListing:
    """Prints the window's instructions as the CPU reaches them."""

    def __init__(self, kernel: Kernel, window: Window, out: TextIO) -> None:
        self.kernel = kernel
        self.window = window
        self.out = out
        self.disasm = capstone.Cs(capstone.CS_ARCH_RISCV, capstone.CS_MODE_RISCV64 | capstone.CS_MODE_RISCVC)
        kernel.board.cpu.watch_instructions(self._before)

    def _matches(self, d: Domain) -> bool:
        """Is d the domain the window names?"""
        return self.window.domain in (str(d.id), d.name)

    def _index(self, d: Domain, address: int) -> int:
        """d's instruction index of the instruction at address, about to execute."""
        cpu = self.kernel.board.cpu
        state = cpu.state
        not_yet = cpu.instructions_in(address, state.block_start + state.block_size)  # rest of this block
        return d.stats.instructions + (cpu.clock.count - self.kernel.slice_start) - not_yet

    def _before(self, address: int) -> None:
        """Code hook: list the instruction if it falls in the window."""
        d = self.kernel.current
        if d is None or not self._matches(d):
            return
        index = self._index(d, address)
        if not self.window.start <= index < self.window.end:
            return
        insn = self.kernel.board.cpu.fetch(address)
        word = b"" if insn is None else insn.to_bytes(insn_length(insn & 0xFFFF), "little")
        text = next((f"{i.mnemonic} {i.op_str}".strip() for i in self.disasm.disasm(word, address)), "(undecodable)")
        self.out.write(f"{d.label} #{index:<8} {d.describe_pc(address):<40} {word[::-1].hex():>8}  {text}\n")
