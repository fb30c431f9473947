"""Lamina's user-program toolchain: turns userland/ into RISC-V ELF programs.

It sits beside the kernel, not inside it: it reads the kernel's ABI (kernel/abi.py) to
generate the C header userland compiles against, drives zig's clang and lld, and leaves
ELF files in the build directory for the kernel's loader. The public entry points are
re-exported here; `lamina build` calls build_all.
"""

from toolchain.build import (
    UnknownProgram,
    build_all,
    build_program,
    build_programs,
    default_build_dir,
    list_programs,
)
from toolchain.zig import BuildError

__all__ = [
    "BuildError",
    "UnknownProgram",
    "build_all",
    "build_program",
    "build_programs",
    "default_build_dir",
    "list_programs",
]
