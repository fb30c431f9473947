"""The board's RV64 hart: Unicorn wrapped so that it behaves like the RISC-V spec says.

User code runs in U-mode under Sv39. Unicorn delivers synchronous exceptions in its own
way (no jump to stvec; pc already advanced by 4; no stval; ebreak as an emulator
error), and this module turns each of them into one architectural `Trap` with the
trapping pc and stval, handed to the trap handler the kernel installs, as hardware
would jump to the kernel's trap vector. It is the only module that talks to Unicorn
about execution.
"""

from __future__ import annotations

import ctypes
from typing import Callable, Sequence

from unicorn import (
    UC_ARCH_RISCV,
    UC_CTL_IO_WRITE,
    UC_CTL_TLB_FLUSH,
    UC_ERR_EXCEPTION,
    UC_ERR_FETCH_PROT,
    UC_ERR_FETCH_UNMAPPED,
    UC_ERR_INSN_INVALID,
    UC_ERR_READ_PROT,
    UC_ERR_READ_UNMAPPED,
    UC_ERR_WRITE_PROT,
    UC_ERR_WRITE_UNMAPPED,
    UC_HOOK_BLOCK,
    UC_HOOK_CODE,
    UC_MODE_RISCV64,
    UC_PROT_ALL,
    Uc,
    UcError,
)
from unicorn.riscv_const import (
    UC_RISCV_REG_PC,
    UC_RISCV_REG_PRIV,
    UC_RISCV_REG_X0,
)

from emulator import decode, mmu
from emulator.clock import InstructionClock
from emulator.hooks import NARGS, Hooks, Registers
from emulator.ram import PhysicalMemory
from emulator.riscv import A0, PTE_X, Cause, Trap, cause_from_code

PRIV_USER = 0
PRIV_MACHINE = 3
LOAD_MISALIGNED = int(Cause.LOAD_MISALIGNED)
# emu_start needs an end address; this one can never be fetched from U-mode under
# Sv39 (a kernel-half address no user PTE maps), so a run only ends by a stop.
UNREACHABLE_PC = 0xFFFF_FFFF_FFFF_F000

# The trap vector: handler(scause, sepc) -> keep running. The kernel reads stval with
# Cpu.trap_value and the argument registers through Cpu.trapframe, as a kernel reads
# CSRs and its saved registers after a real trap.
TrapHandler = Callable[[int, int], bool]

_ERROR_CAUSES = {
    UC_ERR_FETCH_UNMAPPED: Cause.INSN_ACCESS_FAULT,
    UC_ERR_FETCH_PROT: Cause.INSN_ACCESS_FAULT,
    UC_ERR_READ_UNMAPPED: Cause.LOAD_ACCESS_FAULT,
    UC_ERR_READ_PROT: Cause.LOAD_ACCESS_FAULT,
    UC_ERR_WRITE_UNMAPPED: Cause.STORE_ACCESS_FAULT,
    UC_ERR_WRITE_PROT: Cause.STORE_ACCESS_FAULT,
}


class CpuContext:
    """The saved user state of one hart context: x1..x31, pc and satp.

    Every domain runs in U-mode with the same CSRs except satp, so registers, pc and
    satp are the whole context. While a context is on the hart its registers live in
    Unicorn; otherwise here, where the kernel may change them (an IPC reply, a new
    child) without a context switch. The pc is kept in regs[0], the slot x0 would have
    (x0 is always zero), so that a switch in C moves it with the registers.
    """

    __slots__ = ("regs", "satp", "address")

    def __init__(self, regs: ctypes.Array | None = None, satp: int = 0, pc: int = 0) -> None:
        self.regs = regs if regs is not None else Registers()
        self.regs[0] = pc
        self.satp = satp
        self.address = ctypes.addressof(self.regs)  # what the native switch is given

    @property
    def pc(self) -> int:
        """Where the context resumes."""
        return self.regs[0]

    @pc.setter
    def pc(self, value: int) -> None:
        self.regs[0] = value & decode.XLEN_MASK

    @classmethod
    def with_registers(cls, satp: int, pc: int, regs: dict[int, int]) -> CpuContext:
        """A context whose registers are zero except `regs`."""
        ctx = cls(Registers(), satp, pc)
        for n, value in regs.items():
            if n:
                ctx.regs[n] = value & decode.XLEN_MASK
        return ctx


class Cpu:
    """One RV64 hart running user code, with exact instruction accounting."""

    def __init__(self, ram: PhysicalMemory, hook_library: object | None) -> None:
        self.ram = ram
        self.uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV64)
        self.uc.mem_map_ptr(ram.base, ram.size, UC_PROT_ALL, ram.host_address)
        self.hooks = Hooks(self.uc, hook_library, self._on_trap_entry, ram)
        self.state = self.hooks.state
        # Inside a trap handler: a0..a7 as saved at trap entry; writes to it are restored
        # into the registers when the handler returns. One view made once: reading a
        # ctypes array field makes a new array object each time.
        self.trapframe: ctypes.Array = self.state.a
        self.clock = InstructionClock(self.state, self.hooks.native)
        self.trap_handler: TrapHandler | None = None
        self._satp = 0
        self._in_trap = False
        self._trap_error: BaseException | None = None
        self._error_tval: int | None = None
        self._loaded: CpuContext | None = None
        self.uc.reg_write(UC_RISCV_REG_PRIV, PRIV_USER)

    # --- registers -------------------------------------------------------------

    def reg(self, n: int) -> int:
        """Integer register xn of the running context."""
        if self._in_trap and 0 <= n - A0 < NARGS:
            return self.trapframe[n - A0]  # fetched at trap entry
        return self.uc.reg_read(UC_RISCV_REG_X0 + n) if n else 0

    def set_reg(self, n: int, value: int) -> None:
        """Set integer register xn (writes to x0 are ignored, as in hardware)."""
        value &= decode.XLEN_MASK
        if self._in_trap and 0 <= n - A0 < NARGS:
            self.trapframe[n - A0] = value  # written back at trap exit
        elif n:
            self.uc.reg_write(UC_RISCV_REG_X0 + n, value)

    def registers(self) -> list[int]:
        """x0..x31 of the running context, as its program sees them: one native call,
        not 31 of Unicorn's (each costs more than a system call's whole dispatch)."""
        regs = Registers()
        self.hooks.save_regs(self.uc, regs)
        if self._in_trap:
            regs[A0:A0 + NARGS] = self.trapframe
        regs[0] = 0
        return list(regs)

    def set_registers(self, values: Sequence[int], pc: int) -> None:
        """From inside a trap handler: resume the running context with x1..x31 = values[1:]
        and pc, all at once (the direct switch's native path, to the same context)."""
        assert self._in_trap and self._loaded is not None
        old, new = Registers(), Registers(*values)
        new[0] = pc
        self.hooks.switch_in_trap(self.uc, ctypes.addressof(old), ctypes.addressof(new), self._satp)

    @property
    def pc(self) -> int:
        """The pc: inside a trap handler, the address the hart will resume at (sepc);
        otherwise the loaded context's saved pc."""
        if self._in_trap:
            return self.state.resume_pc
        assert self._loaded is not None, "no context on the hart"
        return self._loaded.pc

    @pc.setter
    def pc(self, value: int) -> None:
        if self._in_trap:
            self.state.resume_pc = value
        else:
            assert self._loaded is not None, "no context on the hart"
            self._loaded.pc = value

    # --- contexts ----------------------------------------------------------------

    def new_context(self, pc: int, satp: int, regs: dict[int, int]) -> CpuContext:
        """A fresh U-mode context: all registers zero except `regs`, under page table satp."""
        return CpuContext.with_registers(satp, pc, regs)

    def clone_context(self, satp: int, pc: int, regs: dict[int, int]) -> CpuContext:
        """A copy of the loaded context's registers (as the trap frame has them, inside a
        trap), with a new satp, pc and some registers changed."""
        ctx = CpuContext(Registers(), satp, pc)
        self.hooks.save_regs(self.uc, ctx.regs)
        if self._in_trap:
            ctx.regs[A0:A0 + NARGS] = self.trapframe
        for n, value in regs.items():
            if n:
                ctx.regs[n] = value & decode.XLEN_MASK
        return ctx

    def set_context_reg(self, ctx: CpuContext, n: int, value: int) -> None:
        """Set register xn of ctx, whether or not it is on the hart."""
        if ctx is self._loaded:
            self.set_reg(n, value)
        elif n:
            ctx.regs[n] = value & decode.XLEN_MASK

    def set_context_regs(self, ctx: CpuContext, first: int, values: Sequence[int]) -> None:
        """Set registers x[first], x[first+1], ... of ctx, whether or not it is on the hart."""
        # Saved registers and the trap frame are uint64 arrays: a store keeps the low 64
        # bits, as XLEN does, with no masking here (set_reg masks for the hart).
        if ctx is not self._loaded:
            ctx.regs[first:first + len(values)] = values
        elif self._in_trap and A0 <= first and first + len(values) <= A0 + NARGS:
            self.trapframe[first - A0:first - A0 + len(values)] = values
        else:
            for i, value in enumerate(values):
                self.set_reg(first + i, value)

    def load(self, ctx: CpuContext) -> None:
        """Put ctx on the hart, saving whatever context was there (the TLB is flushed:
        Unicorn would keep stale entries, and one domain could reach another's frames)."""
        if ctx is self._loaded:
            return
        self._unload()
        self.hooks.load_regs(self.uc, ctx.regs, ctx.satp)
        self._satp = ctx.satp
        self._loaded = ctx

    def _unload(self) -> None:
        """Save the loaded context's registers back into its record."""
        if self._loaded is not None:
            self.hooks.save_regs(self.uc, self._loaded.regs)
            self._loaded = None

    def switch_in_trap(self, ctx: CpuContext) -> None:
        """From inside a trap handler: when the handler returns, the hart continues in
        ctx instead (a direct switch, with no trip out of the emulator). The context
        that trapped is saved as the trap frame and resume pc leave it."""
        assert self._in_trap and self._loaded is not None
        # The trap hook restores the trap frame and pc on its way out: make them ctx's.
        self.hooks.switch_in_trap(self.uc, self._loaded.address, ctx.address, ctx.satp)
        self._loaded = ctx
        self._satp = ctx.satp

    @property
    def loaded(self) -> CpuContext | None:
        """The context on the hart."""
        return self._loaded

    def forget(self, ctx: CpuContext) -> None:
        """ctx will never run again: drop it without saving."""
        if ctx is self._loaded:
            self._loaded = None

    def flush_tlb(self) -> None:
        """sfence.vma: forget cached translations after page tables change."""
        self.uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)
        self.hooks.forget_code()

    def watch_instructions(self, callback: Callable[[int], None]) -> None:
        """A debugging port: call callback(address) before every instruction executes.
        About a thousand times slower than running freely; for short windows only."""
        self.uc.hook_add(UC_HOOK_CODE, lambda uc, address, size, data: callback(address))

    def watch_blocks(self, callback: Callable[[int, int], None]) -> None:
        """A debugging port: call callback(address, size) as each translated block starts,
        after the instruction clock has charged it. For profiling; slows the CPU down."""
        self.uc.hook_add(UC_HOOK_BLOCK, lambda uc, address, size, data: callback(address, size))

    def instructions_in(self, start: int, end: int) -> int:
        """How many instructions start in [start, end) of the running context's code
        (2-byte and 4-byte ones alike): what a listing of a block needs."""
        return self.hooks.code.scan(start, end).n

    def fence_i(self) -> None:
        """fence.i: forget translated code after instruction memory was rewritten."""
        self.uc.ctl_flush_tb()

    # --- execution -----------------------------------------------------------------

    def run(self, ctx: CpuContext, instructions: int) -> bool:
        """Run ctx for `instructions`, rounded up to the end of a basic block.

        Returns True if the run ended because the instruction budget ran out, False if
        a trap handler stopped it.
        """
        self.load(ctx)
        self.hooks.forget_code()  # devices may have written memory since the last run
        self.clock.arm(instructions)
        pc = ctx.pc
        while True:
            try:
                self.uc.emu_start(pc, UNREACHABLE_PC)
            except UcError as err:
                pc, keep_running = self._trap_from_error(err)
                self._error_tval = None
                if keep_running:
                    continue
                self.uc.reg_write(UC_RISCV_REG_PC, pc)
                self.state.stop_pc = pc
            break
        self.hooks.settle_counter(self.uc)  # a counter read that ended the last block
        if self._trap_error is not None:
            err, self._trap_error = self._trap_error, None
            raise err
        if self._loaded is not None:  # ctx, or another if a handler switched directly
            self._loaded.pc = self.state.stop_pc  # recorded by whichever hook stopped the run
        return self.clock.expired

    def _on_trap_entry(self) -> None:
        """Called by the trap hook, with cause, pc and the trap frame in self.state:
        run the kernel's trap vector and record whether to keep running.

        An exception escaping the vector (a board or kernel bug) stops the CPU and is
        raised again from run(): it must not vanish inside a C callback."""
        s = self.state
        if s.cause == LOAD_MISALIGNED:  # a plain int: an enum comparison costs ~0.1 us a trap
            s.cause = self._misaligned_cause(s.pc)
        self._in_trap = True
        try:
            s.keep_running = self.trap_handler(s.cause, s.pc)  # type: ignore[misc]
        except BaseException as err:
            self._trap_error = err
            s.keep_running = 0
        self._in_trap = False

    def _misaligned_cause(self, pc: int) -> int:
        """Unicorn reports a misaligned AMO as a load fault; the spec makes every AMO but
        lr a store/AMO fault (cause 6)."""
        insn = self.fetch(pc)
        if insn is not None and decode.is_store_amo(insn):
            return Cause.STORE_MISALIGNED
        return Cause.LOAD_MISALIGNED

    def trap_value(self, cause: int, pc: int) -> int:
        """stval for the trap being handled, rebuilt since Unicorn does not write it."""
        return self._tval(cause_from_code(cause), pc)

    def _trap_from_error(self, err: UcError) -> tuple[int, bool]:
        """Handle the trap behind an emu_start error (ebreak, or an access outside RAM)
        outside the hook: returns (pc to resume at, keep running)."""
        s = self.state
        self.hooks.settle_counter(self.uc)
        trap = self._error_trap(err)
        self.hooks.retract(trap.pc)
        saved = [self.uc.reg_read(UC_RISCV_REG_X0 + A0 + i) for i in range(NARGS)]
        s.a[:] = saved
        s.cause, s.pc, s.resume_pc = trap.cause, trap.pc, trap.pc
        self._error_tval = trap.tval
        self._on_trap_entry()
        for i in range(NARGS):
            if s.a[i] != saved[i]:
                self.uc.reg_write(UC_RISCV_REG_X0 + A0 + i, s.a[i])
        return s.resume_pc, bool(s.keep_running)

    def _error_trap(self, err: UcError) -> Trap:
        """The trap behind an emu_start error (ebreak, or a physical access outside RAM)."""
        pc = self.uc.reg_read(UC_RISCV_REG_PC)
        if err.errno in _ERROR_CAUSES:
            cause = _ERROR_CAUSES[err.errno]
        elif err.errno in (UC_ERR_INSN_INVALID, UC_ERR_EXCEPTION):
            insn = self.fetch(pc)
            cause = Cause.BREAKPOINT if insn is not None and decode.is_ebreak(insn) else Cause.ILLEGAL_INSTRUCTION
        else:
            raise err  # an emulator failure, not a guest trap
        return Trap(cause, pc, self._tval(cause, pc))

    def fetch(self, pc: int) -> int | None:
        """The instruction at user address pc (16 bits for a compressed one, 32 otherwise;
        the two halves of a 4-byte one may lie on different pages), or None if it cannot
        be fetched."""
        parcels = []
        for at in (pc, pc + 2):
            pa = mmu.translate(self.ram, self._satp, at, PTE_X)
            if pa is None:
                return None
            parcels.append(self.ram.read_u16(pa))
            if decode.insn_length(parcels[0]) == 2:
                return parcels[0]
        return parcels[0] | parcels[1] << 16

    def _tval(self, cause: Cause, pc: int) -> int:
        """stval for a trap at pc, rebuilt since Unicorn does not write it."""
        if self._error_tval is not None:
            return self._error_tval  # the error path knew it already
        if cause in (Cause.INSN_PAGE_FAULT, Cause.INSN_ACCESS_FAULT, Cause.BREAKPOINT):
            return pc
        if cause in (Cause.ECALL_FROM_U, Cause.ECALL_FROM_S, Cause.ECALL_FROM_M):
            return 0
        insn = self.fetch(pc)
        if insn is None:
            return 0
        if cause == Cause.ILLEGAL_INSTRUCTION:
            return insn
        address = decode.memory_address(insn, self.reg)
        return 0 if address is None else address
