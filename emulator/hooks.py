"""The board's hot hooks, in two implementations with one behaviour.

The instruction clock (a block hook) and trap entry (an interrupt hook) run millions
of times, so they are C (native/hooks.c, built by native.py) registered through
Unicorn's C API. Each has a pure-Python twin here that makes the same decisions on the
same shared HookState: the fallback when the C library cannot be built, and the
reference that tests compare the native hooks against. hooks.c's header comment says
how compressed instructions are counted and how the counter CSRs are made to read
virtual time.
"""

from __future__ import annotations

import ctypes
from typing import Callable, NamedTuple

from unicorn import UC_CTL_IO_WRITE, UC_CTL_TLB_FLUSH, UC_HOOK_BLOCK, UC_HOOK_INTR, Uc
from unicorn.riscv_const import UC_RISCV_REG_A0, UC_RISCV_REG_PC, UC_RISCV_REG_PRIV, UC_RISCV_REG_SATP, UC_RISCV_REG_X0
from unicorn.unicorn_py3.arch.types import uc_hook_h
from unicorn.unicorn_py3.unicorn import uclib

from emulator import decode, mmu
from emulator.ram import PhysicalMemory
from emulator.riscv import PTE_W, PTE_X

NARGS = 8  # a0..a7 are fetched at every trap: the system-call number and arguments
A0_INDEX = 10  # a0 is x10
HANDLER = ctypes.CFUNCTYPE(None)
Registers = ctypes.c_uint64 * 32  # x1..x31 of a saved context; [0], x0's slot, holds its pc
PRIV_MACHINE, PRIV_USER = 3, 0
CAUSE_ILLEGAL = 2  # Cause.ILLEGAL_INSTRUCTION: how Unicorn reports a read of the time CSR


BLOCK_CACHE = 512  # entries of hooks.c's block cache


class BlockEntry(ctypes.Structure):
    """struct block_entry in hooks.c: instruction facts remembered for one block."""

    _fields_ = [("address", ctypes.c_uint64), ("epoch", ctypes.c_uint64), ("last", ctypes.c_uint64),
                ("size", ctypes.c_uint32), ("n", ctypes.c_uint32), ("system", ctypes.c_uint32),
                ("pad", ctypes.c_uint32)]


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
        ("block_base", ctypes.c_uint64),
        ("ram_base", ctypes.c_uint64),
        ("ram_host", ctypes.c_uint64),
        ("ram_size", ctypes.c_uint64),
        ("satp", ctypes.c_uint64),
        ("code_vpn", ctypes.c_uint64),
        ("code_host", ctypes.c_uint64),
        ("code_writable", ctypes.c_uint64),
        ("code_epoch", ctypes.c_uint64),
        ("idle", ctypes.c_uint64),
        ("csr_pending", ctypes.c_uint64),
        ("csr_rd", ctypes.c_uint64),
        ("csr_value", ctypes.c_uint64),
        ("block_last", ctypes.c_uint64),
        ("blocks", BlockEntry * BLOCK_CACHE),  # the native clock's block cache (hooks.c)
    ]


class TrapBinding(ctypes.Structure):
    """struct trap_binding in hooks.c: the handler to call and the state it shares."""

    _fields_ = [("handler", HANDLER), ("state", ctypes.POINTER(HookState))]


class BlockFacts(NamedTuple):
    """What the clock needs to know of a block (struct block_facts in hooks.c)."""

    n: int  # instructions starting in it
    last: int  # address of the last of them
    system: bool  # the last one's opcode is SYSTEM (maybe a counter read)
    cacheable: bool  # no byte of it can change without a page-table change


class CodeReader:
    """The Python twin of hooks.c's code reading: instruction starts, counter reads and
    the block cache, in the code the hart fetches under state.satp."""

    def __init__(self, state: HookState, ram: PhysicalMemory | None) -> None:
        self.state = state
        self.ram = ram
        self._blocks: dict[tuple[int, int], tuple[int, BlockFacts]] = {}  # (address, size) -> (epoch, facts)

    def _page(self, va: int) -> tuple[int, bool] | None:
        """(physical address of va, whether its PTE allows stores) if the hart can fetch
        from va, else None (code_page)."""
        if self.ram is None:
            return None
        pa = mmu.translate(self.ram, self.state.satp, va, PTE_X)
        if pa is None:
            return None
        return pa, mmu.translate(self.ram, self.state.satp, va, PTE_W) is not None

    def parcel(self, va: int) -> int | None:
        """The 16-bit parcel at va, or None if it cannot be fetched (parcel_at)."""
        page = self._page(va)
        return None if page is None else self.ram.read_u16(page[0])  # type: ignore[union-attr]

    def scan(self, start: int, end: int) -> BlockFacts:
        """Walk the instruction starts in [start, end) a page at a time (scan_block)."""
        n, va, last, p, cacheable = 0, start, start, 0, True
        while va < end:
            page = self._page(va)
            if page is None:
                n += (end - va + 3) // 4
                cacheable, last = False, 1  # unknown: no pc is odd (see scan_block)
                break
            pa, writable = page
            cacheable = cacheable and not writable
            stop = min(end, (va | 0xFFF) + 1)
            code = self.ram.read(pa, stop - va)  # type: ignore[union-attr]
            at = 0
            while va < stop:
                p = code[at] | code[at + 1] << 8
                length = decode.insn_length(p)
                last, va, at, n = va, va + length, at + length, n + 1
        if decode.is_fence_i(p):
            cacheable = False
            self.state.code_epoch += 1
        return BlockFacts(n, last, p & 0x7F == decode.OPCODE_SYSTEM, cacheable)

    def facts(self, address: int, size: int) -> BlockFacts:
        """The facts of a block, from the cache when still good (block_facts)."""
        epoch = self.state.code_epoch
        cached = self._blocks.get((address, size))
        if cached is not None and cached[0] == epoch:
            return cached[1]
        facts = self.scan(address, address + size)
        if facts.cacheable:
            self._blocks[(address, size)] = (epoch, facts)
        return facts

    def counter_read(self, va: int) -> tuple[int, int]:
        """(counter CSR, destination register) if the instruction at va reads a counter,
        else (0, 0) (counter_read)."""
        lo = self.parcel(va)
        if lo is None or decode.insn_length(lo) != 4:
            return 0, 0
        hi = self.parcel(va + 2)
        if hi is None:
            return 0, 0
        insn = lo | hi << 16
        return decode.counter_csr(insn), decode.rd(insn)


def counter_value(s: HookState, csr: int, retired: int) -> int:
    """What counter csr reads after `retired` instructions (counter_value in hooks.c)."""
    return retired if csr == decode.CSR_INSTRET else retired + s.idle


def retract(s: HookState, code: CodeReader, pc: int) -> None:
    """Uncount the trapping instruction at pc and the rest of its block (lamina_retract)."""
    end = s.block_start + s.block_size
    if s.block_start <= pc < end:
        # The block's last instruction (an ecall always is) needs no scan.
        s.count = s.count - 1 if pc == s.block_last else s.block_base + code.scan(s.block_start, pc).n
        s.block_size = pc - s.block_start
        s.csr_pending = 0


def _add_hook(uc: Uc, kind: int, function: ctypes._CFuncPtr, data: int) -> uc_hook_h:
    """Register a C function as a Unicorn hook over all addresses."""
    handle = uc_hook_h()
    status = uclib.uc_hook_add(uc._uch, ctypes.byref(handle), kind,
                               ctypes.cast(function, ctypes.c_void_p), ctypes.c_void_p(data), 1, 0)
    if status != 0:
        raise RuntimeError(f"uc_hook_add of a native hook failed with status {status}")
    return handle


class Hooks:
    """Installs the clock and trap hooks on a Uc; `handler()` is the trap vector. ram is
    the memory the hart fetches code from (None only for bare test machines, whose
    code is then counted as 4-byte instructions)."""

    def __init__(self, uc: Uc, lib: ctypes.CDLL | None, handler: Callable[[], None],
                 ram: PhysicalMemory | None = None) -> None:
        self.state = HookState()
        self.state.code_epoch = 1  # zeroed cache entries belong to no epoch
        self.native = lib is not None
        self._handler = handler
        self.code = CodeReader(self.state, ram)
        if ram is not None:
            self.state.ram_base, self.state.ram_host, self.state.ram_size = ram.base, ram.host_address, ram.size
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
        lib.lamina_load_regs.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.POINTER(Registers), ctypes.c_uint64]
        lib.lamina_save_regs.argtypes = [ctypes.c_void_p, ctypes.POINTER(Registers)]
        lib.lamina_settle_counter.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
        lib.lamina_retract.argtypes = [ctypes.c_void_p, ctypes.c_uint64]
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
            self._lib.lamina_load_regs(uc._uch, self._state_address, regs, satp)
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

    def retract(self, pc: int) -> None:
        """Uncount the trapping instruction at pc and the rest of its block (lamina_retract)."""
        if self.native:
            self._lib.lamina_retract(self._state_address, pc)
        else:
            retract(self.state, self.code, pc)

    def settle_counter(self, uc: Uc) -> None:
        """Give a counter read that ended the last block its value (lamina_settle_counter)."""
        if self.native:
            self._lib.lamina_settle_counter(uc._uch, self._state_address)
            return
        s = self.state
        if s.csr_pending:
            s.csr_pending = 0
            if s.csr_rd:
                uc.reg_write(UC_RISCV_REG_X0 + s.csr_rd, s.csr_value)

    def forget_code(self) -> None:
        """Page tables or memory may have changed: forget the code page and blocks
        remembered for counting (lamina_forget_code)."""
        self.state.code_vpn = 0
        self.state.code_epoch += 1

    def _load_satp(self, uc: Uc, satp: int) -> None:
        """Switch to the page table satp and flush the TLB (load_satp in hooks.c)."""
        uc.reg_write(UC_RISCV_REG_PRIV, PRIV_MACHINE)
        uc.reg_write(UC_RISCV_REG_SATP, satp)
        uc.reg_write(UC_RISCV_REG_PRIV, PRIV_USER)
        uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)
        self.state.satp = satp
        self.forget_code()

    def _python_block_hook(self, uc: Uc, address: int, size: int, _data: object) -> None:
        """Twin of lamina_block_hook."""
        s = self.state
        self.settle_counter(uc)
        if s.count >= s.deadline:
            s.expired = 1
            s.stop_pc = address
            uc.emu_stop()
            return
        facts = self.code.facts(address, size)
        s.block_base = s.count
        s.count += facts.n
        s.block_start = address
        s.block_size = size
        s.block_last = facts.last
        csr, rd = self.code.counter_read(facts.last) if facts.system else (0, 0)
        if csr:
            s.csr_pending, s.csr_rd, s.csr_value = 1, rd, counter_value(s, csr, s.count - 1)

    def _emulate_time_read(self, uc: Uc, pc: int) -> bool:
        """Twin of emulate_time_read: perform a trapping read of the time CSR."""
        s = self.state
        csr, rd = self.code.counter_read(pc)
        if s.cause != CAUSE_ILLEGAL or csr != decode.CSR_TIME:
            return False
        if rd:
            uc.reg_write(UC_RISCV_REG_X0 + rd, counter_value(s, csr, s.count))
        s.count += 1
        uc.reg_write(UC_RISCV_REG_PC, pc + 4)
        return True

    def _python_trap_hook(self, uc: Uc, intno: int, _data: object) -> None:
        """Twin of lamina_trap_hook."""
        s = self.state
        next_pc = uc.reg_read(UC_RISCV_REG_PC)
        s.pc = s.resume_pc = next_pc - 4
        s.cause = intno
        retract(s, self.code, s.pc)
        self.settle_counter(uc)
        if self._emulate_time_read(uc, s.pc):
            return
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
