"""The hardware layer: an RV64 board built on the Unicorn CPU emulator.

Everything above this package sees a RISC-V machine (physical memory, an Sv39 MMU,
architectural traps with cause, pc and tval, a console, an instruction clock) and
nothing of Unicorn. This package knows nothing of domains, syscalls or policy.
"""

from emulator.board import Board, BoardConfig
from emulator.riscv import Cause, Trap

__all__ = ["Board", "BoardConfig", "Cause", "Trap"]
