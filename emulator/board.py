"""The board: RAM, one RV64 hart with its instruction clock, the console, and
optionally a disk and a network interface.

A Board is the whole machine the kernel runs on. BoardConfig says how it is built.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from emulator.console import Console, write_to_host_stdout
from emulator.cpu import Cpu
from emulator.disk import Disk
from emulator.native import load_hook_library
from emulator.nic import Nic
from emulator.ram import PhysicalMemory

RAM_BASE = 0x8000_0000
DEFAULT_RAM_MIB = 128


@dataclass
class BoardConfig:
    """How to build a board. native_cache: where to build/find native helpers (None: pure Python)."""

    ram_mib: int = DEFAULT_RAM_MIB
    native_cache: Path | None = None
    disk_image: Path | None = None
    nic_mac: bytes | None = None  # a NIC with this MAC address (None: no NIC)
    console_sink: Callable[[bytes], None] = field(default=write_to_host_stdout)


class Board:
    """An emulated RV64 machine."""

    def __init__(self, config: BoardConfig | None = None) -> None:
        config = config or BoardConfig()
        if not 1 <= config.ram_mib <= 4096:
            raise ValueError(f"RAM size must be 1 to 4096 MiB, not {config.ram_mib}")
        self.config = config
        self.ram = PhysicalMemory(RAM_BASE, config.ram_mib << 20)
        self.cpu = Cpu(self.ram, load_hook_library(config.native_cache))
        self.console = Console(config.console_sink)
        self.disk = Disk(config.disk_image, self.ram) if config.disk_image else None
        self.nic = Nic(config.nic_mac) if config.nic_mac is not None else None

    @property
    def instructions(self) -> int:
        """Guest instructions retired since power-on."""
        return self.cpu.clock.count

    @property
    def now(self) -> int:
        """Virtual time: instructions retired plus idle time skipped, in instructions."""
        clock = self.cpu.clock
        return clock.count + clock.idle

    @property
    def idle(self) -> int:
        """Virtual time spent with nothing to run."""
        return self.cpu.clock.idle

    def idle_until(self, time: int) -> None:
        """Nothing can run until virtual time `time`: let it pass at once."""
        self.cpu.clock.idle_until(time)

    def shutdown(self) -> None:
        """Power off: devices finish their work and flush to the host."""
        if self.disk is not None:
            self.disk.close()
            self.disk = None
