"""The instruction clock: exact guest-instruction counts and deadline stops.

Virtual time on the board is the number of guest instructions executed. A block hook
charges each translated block before it runs and stops the CPU at the first block
boundary at or past a deadline, which is how the kernel gets deterministic preemption.
When a trap ends a block early, `retract` takes back the instructions that did not run,
so the count stays exact.

Two implementations of the same hook give identical counts: native C (fast, built with
ziglang, see native.py) and pure Python (the fallback, and the reference in tests).
"""

from __future__ import annotations

import ctypes

from unicorn import UC_HOOK_BLOCK, Uc
from unicorn.unicorn_py3.unicorn import uclib
from unicorn.unicorn_py3.arch.types import uc_hook_h

NEVER = (1 << 64) - 1


class ClockState(ctypes.Structure):
    """Shared with the native hook: the layout matches struct clock_state in clock.c."""

    _fields_ = [
        ("count", ctypes.c_uint64),
        ("deadline", ctypes.c_uint64),
        ("block_start", ctypes.c_uint64),
        ("block_size", ctypes.c_uint64),
        ("expired", ctypes.c_uint64),
    ]


class InstructionClock:
    """Counts guest instructions on one CPU and stops it at deadlines."""

    def __init__(self, uc: Uc, native: ctypes.CDLL | None) -> None:
        self.state = ClockState(0, NEVER, 0, 0, 0)
        self.native = native is not None
        if native is not None:
            self._install_native(uc, native)
        else:
            uc.hook_add(UC_HOOK_BLOCK, self._python_block_hook)

    def _install_native(self, uc: Uc, lib: ctypes.CDLL) -> None:
        """Register the C block hook through Unicorn's C API (the binding has no way)."""
        lib.lamina_clock_init(ctypes.cast(uclib.uc_emu_stop, ctypes.c_void_p))
        self._handle = uc_hook_h()
        hook = ctypes.cast(lib.lamina_clock_block, ctypes.c_void_p)
        status = uclib.uc_hook_add(
            uc._uch, ctypes.byref(self._handle), UC_HOOK_BLOCK, hook,
            ctypes.c_void_p(ctypes.addressof(self.state)), 1, 0,
        )
        if status != 0:
            raise RuntimeError(f"uc_hook_add for the native clock failed with status {status}")
        self._lib = lib  # keep the library loaded while the hook is registered

    def _python_block_hook(self, uc: Uc, address: int, size: int, _data: object) -> None:
        """The reference hook: same decisions as lamina_clock_block in clock.c."""
        s = self.state
        if s.count >= s.deadline:
            s.expired = 1
            uc.emu_stop()
            return
        s.count += size >> 2
        s.block_start = address
        s.block_size = size

    @property
    def count(self) -> int:
        """Guest instructions executed so far."""
        return self.state.count

    def arm(self, instructions: int) -> None:
        """Stop the CPU at the first block boundary once `instructions` more have run."""
        self.state.deadline = self.state.count + instructions
        self.state.expired = 0

    def disarm(self) -> None:
        """No deadline: run until something else stops the CPU."""
        self.state.deadline = NEVER
        self.state.expired = 0

    @property
    def expired(self) -> bool:
        """True if the last stop came from the deadline."""
        return bool(self.state.expired)

    def retract(self, trap_pc: int) -> None:
        """The instruction at trap_pc trapped: uncount it and the rest of its block."""
        s = self.state
        end = s.block_start + s.block_size
        if s.block_start <= trap_pc < end:
            s.count -= (end - trap_pc) >> 2
            s.block_size = trap_pc - s.block_start
