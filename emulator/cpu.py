"""The board's RV64 hart: Unicorn wrapped so that it behaves like the RISC-V spec says.

User code runs in U-mode under Sv39. Unicorn delivers synchronous exceptions in its own
way (no jump to stvec; pc already advanced by 4; no stval; ebreak as an emulator
error), and this module turns each of them into one architectural `Trap` with the
trapping pc and stval, handed to the trap handler the kernel installs, as hardware
would jump to the kernel's trap vector. It is the only module that talks to Unicorn
about execution.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Callable

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
    UC_HOOK_INTR,
    UC_MODE_RISCV64,
    UC_PROT_ALL,
    Uc,
    UcError,
)
from unicorn.riscv_const import (
    UC_RISCV_REG_PC,
    UC_RISCV_REG_PRIV,
    UC_RISCV_REG_SATP,
    UC_RISCV_REG_X0,
)

from emulator import decode, mmu
from emulator.clock import InstructionClock
from emulator.ram import PhysicalMemory
from emulator.riscv import PTE_X, Cause, Trap

PRIV_USER = 0
PRIV_MACHINE = 3
# emu_start needs an end address; this one can never be fetched from U-mode under
# Sv39 (a kernel-half address no user PTE maps), so a run only ends by a stop.
UNREACHABLE_PC = 0xFFFF_FFFF_FFFF_F000

TrapHandler = Callable[[Trap], bool]

_ERROR_CAUSES = {
    UC_ERR_FETCH_UNMAPPED: Cause.INSN_ACCESS_FAULT,
    UC_ERR_FETCH_PROT: Cause.INSN_ACCESS_FAULT,
    UC_ERR_READ_UNMAPPED: Cause.LOAD_ACCESS_FAULT,
    UC_ERR_READ_PROT: Cause.LOAD_ACCESS_FAULT,
    UC_ERR_WRITE_UNMAPPED: Cause.STORE_ACCESS_FAULT,
    UC_ERR_WRITE_PROT: Cause.STORE_ACCESS_FAULT,
}


@dataclass
class CpuContext:
    """The saved user state of one hart context: registers, pc, privilege and satp.

    Register writes aimed at a context that is not on the hart wait in `pending` and
    are applied when it is next loaded, so the kernel can set another domain's
    registers (an IPC reply, a new child) without a context switch.
    """

    saved: object | None  # Unicorn's context blob; None: not yet run (blank registers)
    satp: int
    pc: int
    pending: dict[int, int] = field(default_factory=dict)
    satp_dirty: bool = True

@dataclass
class _TrapInProgress:
    """While a trap handler runs: the architectural pc the hart will resume at."""

    trap: Trap
    resume_pc: int


class Cpu:
    """One RV64 hart running user code, with exact instruction accounting."""

    def __init__(self, ram: PhysicalMemory, clock_library: object | None) -> None:
        self.ram = ram
        self.uc = Uc(UC_ARCH_RISCV, UC_MODE_RISCV64)
        self.uc.mem_map_ptr(ram.base, ram.size, UC_PROT_ALL, ram.host_address)
        self.clock = InstructionClock(self.uc, clock_library)
        self.trap_handler: TrapHandler | None = None
        self._satp = 0
        self._trap: _TrapInProgress | None = None
        self._last_resume_pc = 0
        self._loaded: CpuContext | None = None
        self.uc.hook_add(UC_HOOK_INTR, self._on_exception)
        self.uc.reg_write(UC_RISCV_REG_PRIV, PRIV_USER)
        self._blank = self.uc.context_save()

    # --- registers -------------------------------------------------------------

    def reg(self, n: int) -> int:
        """Integer register xn of the running context."""
        return self.uc.reg_read(UC_RISCV_REG_X0 + n) if n else 0

    def set_reg(self, n: int, value: int) -> None:
        """Set integer register xn (writes to x0 are ignored, as in hardware)."""
        if n:
            self.uc.reg_write(UC_RISCV_REG_X0 + n, value & decode.XLEN_MASK)

    @property
    def pc(self) -> int:
        """The pc: inside a trap handler, the address the hart will resume at (sepc);
        otherwise the loaded context's saved pc."""
        if self._trap is not None:
            return self._trap.resume_pc
        assert self._loaded is not None, "no context on the hart"
        return self._loaded.pc

    @pc.setter
    def pc(self, value: int) -> None:
        if self._trap is not None:
            self._trap.resume_pc = value
        else:
            assert self._loaded is not None, "no context on the hart"
            self._loaded.pc = value

    # --- contexts ----------------------------------------------------------------

    def new_context(self, pc: int, satp: int, regs: dict[int, int]) -> CpuContext:
        """A fresh U-mode context: all registers zero except `regs`, under page table satp."""
        return CpuContext(None, satp, pc, dict(regs))

    def clone_context(self, satp: int, pc: int, regs: dict[int, int]) -> CpuContext:
        """A copy of the loaded context's registers, with a new satp, pc and some registers."""
        return CpuContext(self.uc.context_save(), satp, pc, dict(regs))

    def set_context_reg(self, ctx: CpuContext, n: int, value: int) -> None:
        """Set register xn of ctx, whether or not it is on the hart."""
        if ctx is self._loaded:
            self.set_reg(n, value)
        elif n:
            ctx.pending[n] = value & decode.XLEN_MASK

    def load(self, ctx: CpuContext) -> None:
        """Put ctx on the hart, saving whatever context was there.

        Switching contexts flushes the TLB: Unicorn's context_restore keeps it, and a
        stale entry would let one domain reach another's frames.
        """
        if ctx is self._loaded:
            return
        self._unload()
        self.uc.context_restore(ctx.saved if ctx.saved is not None else self._blank)
        if ctx.satp_dirty:
            self._write_satp(ctx.satp)
            ctx.satp_dirty = False
        for n, value in ctx.pending.items():
            self.uc.reg_write(UC_RISCV_REG_X0 + n, value)
        ctx.pending.clear()
        self.uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)
        self._satp = ctx.satp
        self._loaded = ctx

    def _unload(self) -> None:
        """Save the loaded context back into its record."""
        ctx = self._loaded
        if ctx is not None:
            if ctx.saved is None:
                ctx.saved = self.uc.context_save()
            else:
                self.uc.context_update(ctx.saved)
            self._loaded = None

    def forget(self, ctx: CpuContext) -> None:
        """ctx will never run again: drop it without saving."""
        if ctx is self._loaded:
            self._loaded = None

    def flush_tlb(self) -> None:
        """sfence.vma: forget cached translations after page tables change."""
        self.uc.ctl(UC_CTL_TLB_FLUSH, UC_CTL_IO_WRITE)

    def fence_i(self) -> None:
        """fence.i: forget translated code after instruction memory was rewritten."""
        self.uc.ctl_flush_tb()

    def _write_satp(self, satp: int) -> None:
        """Write satp, then drop back to U-mode: Unicorn checks CSR writes against the
        emulated privilege, so the write itself happens in M-mode."""
        self.uc.reg_write(UC_RISCV_REG_PRIV, PRIV_MACHINE)
        self.uc.reg_write(UC_RISCV_REG_SATP, satp)
        self.uc.reg_write(UC_RISCV_REG_PRIV, PRIV_USER)

    # --- execution -----------------------------------------------------------------

    def run(self, ctx: CpuContext, instructions: int) -> bool:
        """Run ctx for `instructions`, rounded up to the end of a basic block.

        Returns True if the run ended because the instruction budget ran out, False if
        a trap handler stopped it.
        """
        self.load(ctx)
        self.clock.arm(instructions)
        pc = ctx.pc
        while True:
            try:
                self.uc.emu_start(pc, UNREACHABLE_PC)
            except UcError as err:
                keep_running = self._deliver(self._trap_from_error(err))
                pc = self._last_resume_pc
                if keep_running:
                    continue
                self.uc.reg_write(UC_RISCV_REG_PC, pc)
            break
        ctx.pc = self.uc.reg_read(UC_RISCV_REG_PC)
        return self.clock.expired

    def _on_exception(self, uc: Uc, intno: int, _data: object) -> None:
        """UC_HOOK_INTR: Unicorn raised exception `intno` with pc already advanced by 4."""
        next_pc = uc.reg_read(UC_RISCV_REG_PC)
        pc = next_pc - 4
        try:
            cause = Cause(intno)
        except ValueError:
            cause = Cause.ILLEGAL_INSTRUCTION
        if not self._deliver(Trap(cause, pc, self._tval(cause, pc))):
            uc.emu_stop()
        if self._last_resume_pc != next_pc:
            uc.reg_write(UC_RISCV_REG_PC, self._last_resume_pc)

    def _deliver(self, trap: Trap) -> bool:
        """Charge the clock exactly and call the trap handler; True to resume."""
        self.clock.retract(trap.pc)
        if self.trap_handler is None:
            raise RuntimeError(f"trap with no handler installed: {trap}")
        self._trap = _TrapInProgress(trap, trap.pc)
        try:
            keep_running = self.trap_handler(trap)
        finally:
            self._last_resume_pc = self._trap.resume_pc
            self._trap = None
        return keep_running

    def _trap_from_error(self, err: UcError) -> Trap:
        """The trap behind an emu_start error (ebreak, or a physical access outside RAM)."""
        pc = self.uc.reg_read(UC_RISCV_REG_PC)
        if err.errno in _ERROR_CAUSES:
            cause = _ERROR_CAUSES[err.errno]
        elif err.errno in (UC_ERR_INSN_INVALID, UC_ERR_EXCEPTION):
            insn = self._fetch(pc)
            cause = Cause.BREAKPOINT if insn is not None and decode.is_ebreak(insn) else Cause.ILLEGAL_INSTRUCTION
        else:
            raise err  # an emulator failure, not a guest trap
        return Trap(cause, pc, self._tval(cause, pc))

    def _fetch(self, pc: int) -> int | None:
        """The instruction word at user address pc, or None if it cannot be fetched."""
        pa = mmu.translate(self.ram, self._satp, pc, PTE_X)
        if pa is None or not self.ram.contains(pa, 4):
            return None
        return self.ram.read_u32(pa)

    def _tval(self, cause: Cause, pc: int) -> int:
        """stval for a trap at pc, rebuilt since Unicorn does not write it."""
        if cause in (Cause.INSN_PAGE_FAULT, Cause.INSN_ACCESS_FAULT, Cause.BREAKPOINT):
            return pc
        if cause in (Cause.ECALL_FROM_U, Cause.ECALL_FROM_S, Cause.ECALL_FROM_M):
            return 0
        insn = self._fetch(pc)
        if insn is None:
            return 0
        if cause == Cause.ILLEGAL_INSTRUCTION:
            return insn
        address = decode.memory_address(insn, self.reg)
        return 0 if address is None else address
