"""Run the ziglang toolchain (zig cc, zig ar, ld.lld) for Lamina's RISC-V user programs.

This module knows the compiler and linker flags and how to invoke the tools; it does not
know which files make up userland (that is toolchain.build's job). Every command runs
with the zig caches inside the build directory, and a failing command raises BuildError
carrying the tool's own diagnostics verbatim, so a student sees `file.c:3:5: error: ...`
exactly as the compiler printed it.
"""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import ziglang

ZIG = [sys.executable, "-m", "ziglang"]

# What Lamina's own programs use: RV64IMA plus CSR instructions. The board runs
# compressed (C) code too (the Linux personality's binaries have it), but Lamina's
# programs are built without it so that the instruction counts its documents publish
# stay comparable and a disassembly has one instruction width. `+m` is not optional:
# without it zig's compiler_rt __muldi3 recursed forever.
TARGET_FLAGS = [
    "-target", "riscv64-freestanding-none",
    "-mcpu=generic_rv64+m+a+zicsr",
    "-mabi=lp64",
    "-mcmodel=medany",
]

# How user code is compiled.
# -ffreestanding: there is no hosted C library. In clang it implies -fno-builtin, so
#   our own strlen/memcpy are not treated as known functions (and a byte loop inside
#   memset is not "optimised" into a call to memset). clang may still emit calls to
#   memcpy/memset/memmove/memcmp for struct copies; userland/lib provides them.
#   (Adding -fno-builtin was measured to change no object file, so it is left out.)
# -fno-sanitize=all: zig cc turns on UBSan (which needs a runtime we do not have) when
#   optimisation is off; say so explicitly so changing -O2 cannot silently pull it in.
# -fno-unwind-tables: no .eh_frame; debuggers use the .debug_frame that -g emits.
# -fno-omit-frame-pointer: s0 always holds the frame, so the profiler (lamina/flame.py)
#   can walk guest call stacks.
CODE_FLAGS = [
    "-std=gnu17",
    "-O2",
    "-g",
    "-ffreestanding",
    "-nostdlib",
    "-fno-sanitize=all",
    "-fno-stack-protector",
    "-fno-asynchronous-unwind-tables",
    "-fno-unwind-tables",
    "-fno-omit-frame-pointer",
    "-Wall",
    "-Werror",
]

# How programs are linked: a static image laid out by userland/user.ld, pages of 4 KiB,
# and no build id (it would be a hash of the inputs: harmless, but noise in diffs).
LINK_FLAGS = [
    "-nostdlib",
    "-static",
    "-z", "max-page-size=4096",
    "-z", "common-page-size=4096",
    "--build-id=none",
]


class BuildError(Exception):
    """A build step failed; str() is the tool's stderr exactly as it printed it."""

    def __init__(self, stderr: str, command: list[str] | None = None) -> None:
        super().__init__(stderr)
        self.stderr = stderr
        self.command = command or []


@functools.cache  # asked for every build step; reading package metadata costs ~0.7 ms
def toolchain_version() -> str:
    """The installed ziglang package version (part of every command's identity)."""
    return metadata.version("ziglang")


@functools.cache
def zig_lib_dir() -> Path:
    """The directory of the installed ziglang package (holds clang's builtin headers)."""
    return Path(ziglang.__file__).resolve().parent


def zig_environment(cache_root: Path) -> dict[str, str]:
    """The environment for zig commands: ours, with zig's caches under cache_root."""
    env = dict(os.environ)
    env["ZIG_GLOBAL_CACHE_DIR"] = str(cache_root / "global")
    env["ZIG_LOCAL_CACHE_DIR"] = str(cache_root / "local")
    return env


def prefix_maps(source_root: Path, build_dir: Path) -> list[str]:
    """Flags that rewrite absolute paths in debug info, so outputs do not depend on where
    the tree, the build directory or the ziglang package is. clang applies the last map
    whose prefix matches, and matches prefixes as strings, not path components (a tree
    at ~/lamina matches a package under ~/lamina-venv), so the maps go shortest prefix
    first: the longest, most specific match wins (a build directory inside the tree, a
    package beside it)."""
    maps = {str(zig_lib_dir()): "zig", str(source_root): ".", str(build_dir): "build"}
    return [f"-ffile-prefix-map={prefix}={name}" for prefix, name in sorted(maps.items(), key=lambda m: len(m[0]))]


def compile_command(
    source: str,
    obj: Path,
    depfile: Path,
    include_dirs: list[Path],
    path_maps: list[str],
) -> list[str]:
    """The zig cc command compiling one C or assembly source (a path relative to the
    working directory) to obj, writing a make-style dependency list to depfile."""
    includes = [f"-I{directory}" for directory in include_dirs]
    return [
        *ZIG, "cc", *TARGET_FLAGS, *CODE_FLAGS, *path_maps, *includes,
        "-MD", "-MF", str(depfile),
        "-c", source, "-o", str(obj),
    ]


def archive_command(archive: Path, objects: list[Path]) -> list[str]:
    """The zig ar command packing objects into a static library, deterministically (D:
    zero timestamps and owners)."""
    return [*ZIG, "ar", "rcsD", str(archive), *map(str, objects)]


def link_command(
    output: Path,
    linker_script: str,
    script_dirs: list[Path],
    objects: list[Path],
    libraries: list[Path],
) -> list[str]:
    """The ld.lld command linking objects (then libraries) into an executable ELF."""
    search = [f"-L{directory}" for directory in script_dirs]
    return [
        *ZIG, "ld.lld", *LINK_FLAGS, *search, "-T", linker_script,
        "-o", str(output), *map(str, objects), *map(str, libraries),
    ]


def run(command: list[str], cwd: Path, env: dict[str, str]) -> str:
    """Run one toolchain command in cwd; return its stderr (warnings) or raise BuildError."""
    result = subprocess.run(command, cwd=cwd, env=env, capture_output=True, text=True)
    if result.returncode != 0:
        stderr = result.stderr or result.stdout or f"{command[3]} exited with status {result.returncode}\n"
        raise BuildError(stderr, command)
    return result.stderr
