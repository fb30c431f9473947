"""The board's hot hooks, in two implementations with one behaviour.

The instruction clock (a block hook) and trap entry (an interrupt hook) run millions
of times, so they are C (native/hooks.c, built by native.py) registered through
Unicorn's C API. Each has a pure-Python twin here that makes the same decisions on the
same shared HookState: the fallback when the C library cannot be built, and the
reference that tests compare the native hooks against.
"""

from __future__ import annotations

import ctypes
from typing import Callable

from unicorn import UC_CTL_IO_WRITE, UC_CTL_TLB_FLUSH, UC_HOOK_BLOCK, UC_HOOK_INTR, Uc
from unicorn.riscv_const import UC_RISCV_REG_A0, UC_RISCV_REG_PC, UC_RISCV_REG_PRIV, UC_RISCV_REG_SATP, UC_RISCV_REG_X0
from unicorn.unicorn_py3.arch.types import uc_hook_h
from unicorn.unicorn_py3.unicorn import uclib

NARGS = 8  # a0..a7 are fetched at every trap: the system-call number and arguments
A0_INDEX = 10  # a0 is x10
HANDLER = ctypes.CFUNCTYPE(None)
Registers = ctypes.c_uint64 * 32  # x1..x31 of a saved context; [0], x0's slot, holds its pc
PRIV_MACHINE, PRIV_USER = 3, 0


class HookState(ctypes.Structure):
    """Shared by the hooks and Python: layout of struct hook_state in hooks.c."""

    _fields_ = [
        ("count", ctypes.c_uint64),
        ("deadline", ctypes.c_uint64),
        ("block_start", ctypes.c_uint64),
        ("block_size", ctypes.c_uint64),
        ("expired", ctypes.c_uint64),
        ("cause", ctypes.c_uint64),
        ("pc", ctypes.c_uint64),
        ("resume_pc", ctypes.c_uint64),
        ("a", ctypes.c_uint64 * NARGS),
        ("keep_running", ctypes.c_uint64),
        ("stop_pc", ctypes.c_uint64),
    ]


class TrapBinding(ctypes.Structure):
    """struct trap_binding in hooks.c: the handler to call and the state it shares."""

    _fields_ = [("handler", HANDLER), ("state", ctypes.POINTER(HookState))]


def retract(s: HookState, pc: int) -> None:
    """Uncount the trapping instruction at pc and the rest of its block (lamina_retract)."""
    end = s.block_start + s.block_size
    if s.block_start <= pc < end:
        s.count -= (end - pc) >> 2
        s.block_size = pc - s.block_start


def _add_hook(uc: Uc, kind: int, function: ctypes._CFuncPtr, data: int) -> uc_hook_h:
    """Register a C function as a Unicorn hook over all addresses."""
    handle = uc_hook_h()
    status = uclib.uc_hook_add(uc._uch, ctypes.byref(handle), kind,
                               ctypes.cast(function, ctypes.c_void_p), ctypes.c_void_p(data), 1, 0)
    if status != 0:
        raise RuntimeError(f"uc_hook_add of a native hook failed with status {status}")
    return handle


class Hooks:
    """Installs the clock and trap hooks on a Uc; `handler()` is the trap vector."""

    def __init__(self, uc: Uc, lib: ctypes.CDLL | None, handler: Callable[[], None]) -> None:
        self.state = HookState()
        self.native = lib is not None
        self._handler = handler
        if lib is not None:
            self._install_native(uc, lib)
        else:
            uc.hook_add(UC_HOOK_BLOCK, self._python_block_hook)
            uc.hook_add(UC_HOOK_INTR, self._python_trap_hook)

    def _install_native(self, uc: Uc, lib: ctypes.CDLL) -> None:
        """Register hooks.c's functions; keep every ctypes object they point to alive."""
        as_pointer = lambda f: ctypes.cast(f, ctypes.c_void_p)  # noqa: E731
        lib.lamina_hooks_init(as_pointer(uclib.uc_emu_stop), as_pointer(uclib.uc_reg_read),
                              as_pointer(uclib.uc_reg_write), as_pointer(uclib.uc_ctl))
        lib.lamina_load_regs.argtypes = [ctypes.c_void_p, ctypes.POINTER(Registers), ctypes.c_uint64]
        lib.lamina_save_regs.argtypes = [ctypes.c_void_p, ctypes.POINTER(Registers)]
        # The switch is on the IPC path: plain addresses convert fastest.
        lib.lamina_switch_in_trap.argtypes = [ctypes.c_void_p] * 4 + [ctypes.c_uint64]
        self._switch = lib.lamina_switch_in_trap
        self._state_address = ctypes.addressof(self.state)
        self._c_handler = HANDLER(self._handler)
        self._state_pointer = ctypes.pointer(self.state)
        self._binding = TrapBinding(self._c_handler, self._state_pointer)
        self._handles = [
            _add_hook(uc, UC_HOOK_BLOCK, lib.lamina_block_hook, ctypes.addressof(self.state)),
            _add_hook(uc, UC_HOOK_INTR, lib.lamina_trap_hook, ctypes.addressof(self._binding)),
        ]
        self._lib = lib

    def save_regs(self, uc: Uc, regs: ctypes.Array) -> None:
        """Copy x1..x31 of the hart into regs (lamina_save_regs)."""
        if self.native:
            self._lib.lamina_save_regs(uc._uch, regs)
        else:
            for i in range(1, 32):
                regs[i] = uc.reg_read(UC_RISCV_REG_X0 + i)

    def load_regs(self, uc: Uc, regs: ctypes.Array, satp: int) -> None:
        """Load x1..x31 and satp, flushing the TLB (lamina_load_regs)."""
        if self.native:
            self._lib.lamina_load_regs(uc._uch, regs, satp)
            return
        for i in range(1, 32):
            uc.reg_write(UC_RISCV_REG_X0 + i, regs[i])
        self._load_satp(uc, satp)

    def switch_in_trap(self, uc: Uc, old: int, new: int, satp: int) -> None:
        """Inside a trap: save the trapped context into the registers at address old
        (a0..a7 from the trap frame, the resume pc into [0]), load the registers at
        address new and satp, and make new's a0..a7 the trap frame and new's [0] the
        resume pc, in one call (lamina_switch_in_trap). The trap hook writes the frame
        and pc back on its way out. Addresses, not arrays: this is the IPC path, and
        plain integers are what ctypes converts fastest."""
        if self.native:
            self._switch(uc._uch, self._state_address, old, new, satp)
            return
        old_regs, new_regs = Registers.from_address(old), Registers.from_address(new)
        frame = self.state.a
        old_regs[0], self.state.resume_pc = self.state.resume_pc, new_regs[0]
        for i in range(1, 32):
            if A0_INDEX <= i < A0_INDEX + NARGS:
                old_regs[i] = frame[i - A0_INDEX]
                frame[i - A0_INDEX] = new_regs[i]
            else:
                old_regs[i] = uc.reg_read(UC_RISCV_REG_X0 + i)
                uc.reg_write(UC_RISCV_REG_X0 + i, new_regs[i])
        self._load_satp(uc, satp)

    def _load_satp(self, uc: Uc, satp: int) -> None:
        """Switch to the page table satp and flush the TLB (load_satp in hooks.c)."""
        uc.reg_write(UC_RISCV_REG_PRIV, PRIV_MACHINE)
        uc.reg_write(UC_RISCV_REG_SATP, satp)
        uc.reg_write(UC_RISCV_REG_PRIV, PRIV_USER)
        uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)

    def _python_block_hook(self, uc: Uc, address: int, size: int, _data: object) -> None:
        """Twin of lamina_block_hook."""
        s = self.state
        if s.count >= s.deadline:
            s.expired = 1
            s.stop_pc = address
            uc.emu_stop()
            return
        s.count += size >> 2
        s.block_start = address
        s.block_size = size

    def _python_trap_hook(self, uc: Uc, intno: int, _data: object) -> None:
        """Twin of lamina_trap_hook."""
        s = self.state
        next_pc = uc.reg_read(UC_RISCV_REG_PC)
        s.pc = s.resume_pc = next_pc - 4
        s.cause = intno
        retract(s, s.pc)
        saved = [uc.reg_read(UC_RISCV_REG_A0 + i) for i in range(NARGS)]
        s.a[:] = saved
        s.keep_running = 1
        self._handler()
        for i in range(NARGS):
            if s.a[i] != saved[i]:
                uc.reg_write(UC_RISCV_REG_A0 + i, s.a[i])
        if s.resume_pc != next_pc:
            uc.reg_write(UC_RISCV_REG_PC, s.resume_pc)
        if not s.keep_running:
            s.stop_pc = s.resume_pc
            uc.emu_stop()
