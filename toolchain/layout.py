"""Where things are: userland's sources, and where their build products go.

A SourceTree is a checkout's root (the directory holding userland/); a BuildTree is a
build directory. Keeping both as plain path arithmetic here lets the builder read as a
list of steps, and lets tests point the builder at a copy of the sources.

Programs live in one folder per kind (PROGRAM_FOLDERS), each program one C file; the
disk image keeps the kinds apart the same way, so `ls /bin` on the guest shows exactly
the utilities of userland/bin and nothing that only tests the kernel.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

# The directory holding the toolchain package, kernel/ and userland/.
REPO_ROOT = Path(__file__).resolve().parent.parent

LIBRARY_SUFFIXES = (".c", ".S")


@dataclass(frozen=True)
class ProgramFolder:
    """A kind of program: its folder under userland/ and the directory of the disk image
    it is installed in (the same name: /bin holds userland/bin)."""

    name: str
    purpose: str

    @property
    def disk_directory(self) -> str:
        """Where the image keeps this kind: /bin for userland/bin."""
        return f"/{self.name}"


PROGRAM_FOLDERS = (
    ProgramFolder("bin", "utilities a user runs from the shell"),
    ProgramFolder("sbin", "init and the servers a boot configuration starts"),
    ProgramFolder("demos", "the kernel's mechanisms shown one at a time, faults included"),
    ProgramFolder("tests", "programs the test suite runs against the kernel and the libraries"),
    ProgramFolder("bench", "the workloads of lamina bench and lamina bloat"),
)


@dataclass(frozen=True)
class SourceTree:
    """The user-side sources of one checkout."""

    root: Path

    @property
    def userland(self) -> Path:
        """userland/: the C library, the programs and the linker script."""
        return self.root / "userland"

    @property
    def include_dir(self) -> Path:
        """userland/include: the library's headers (string.h, stdio.h, ...)."""
        return self.userland / "include"

    @property
    def linker_script(self) -> Path:
        """userland/user.ld: the layout of every user program."""
        return self.userland / "user.ld"

    @property
    def crt0(self) -> Path:
        """userland/lib/crt0.S: the entry point, linked first into every program."""
        return self.userland / "lib" / "crt0.S"

    def library_sources(self) -> list[Path]:
        """Every source of the user library except crt0, in a fixed order: userland/lib
        and its subdirectories (userland/lib/ext2: the file server's ext2 core)."""
        lib = self.userland / "lib"
        sources = sorted(p for p in lib.rglob("*") if p.suffix in LIBRARY_SUFFIXES and p != self.crt0)
        seen: dict[str, Path] = {}
        for p in sources:  # the archive names members by file name: two alike would collide
            if p.name in seen:
                raise ValueError(f"{self.relative(p)} and {self.relative(seen[p.name])} would both be "
                                 f"{p.name}.o in libuser.a; rename one")
            seen[p.name] = p
        return sources

    def program_sources(self) -> dict[str, Path]:
        """Every program's source, by name (userland/<folder>/<name>.c), sorted by name.
        A name is a program's identity everywhere (lamina run NAME, /bin/NAME), so two
        folders may not both have it."""
        found: dict[str, Path] = {}
        for folder in PROGRAM_FOLDERS:
            for source in sorted((self.userland / folder.name).glob("*.c")):
                if source.stem in found:
                    raise ValueError(f"{self.relative(source)} and {self.relative(found[source.stem])} "
                                     f"are both program '{source.stem}'; rename one")
                found[source.stem] = source
        return dict(sorted(found.items()))

    def programs(self) -> list[str]:
        """The names of all programs, sorted."""
        return list(self.program_sources())

    def program_source(self, name: str) -> Path:
        """The source file of program name (KeyError if there is none)."""
        return self.program_sources()[name]

    def program_folder(self, name: str) -> ProgramFolder:
        """The kind of program name is: the folder its source is in."""
        folder = self.program_source(name).parent.name
        return next(f for f in PROGRAM_FOLDERS if f.name == folder)

    def relative(self, path: Path) -> str:
        """path as the compiler should see it: relative to the root, forward slashes."""
        return path.relative_to(self.root).as_posix()


@dataclass(frozen=True)
class BuildTree:
    """The products of one build directory."""

    root: Path

    @property
    def include_dir(self) -> Path:
        """Generated headers (lamina/abi.h) and linker fragments (lamina/abi.ld)."""
        return self.root / "include"

    @property
    def abi_header(self) -> Path:
        """The generated C header of the kernel ABI, included as <lamina/abi.h>."""
        return self.include_dir / "lamina" / "abi.h"

    @property
    def abi_linker_fragment(self) -> Path:
        """The generated layout constants userland/user.ld includes as lamina/abi.ld."""
        return self.include_dir / "lamina" / "abi.ld"

    @property
    def syscall_stubs(self) -> Path:
        """The generated system-call stubs, compiled into the user library."""
        return self.root / "gen" / "usys.S"

    @property
    def zig_cache(self) -> Path:
        """zig's global and local caches, kept out of the user's home directory."""
        return self.root / "zig-cache"

    @property
    def library(self) -> Path:
        """The user library archive, linked into every program."""
        return self.root / "lib" / "libuser.a"

    def object_for(self, relative_source: str) -> Path:
        """The object file of a source given relative to the source root (x.c -> x.c.o,
        so crt0.S and a crt0.c could never collide)."""
        return self.root / "obj" / f"{relative_source}.o"

    def relative(self, path: Path) -> str:
        """A path in this build directory as a person would name it: bin/hello."""
        return path.relative_to(self.root).as_posix()

    def stamp_for(self, output: Path) -> Path:
        """Where the stamp of an output of this build lives (see toolchain.stamps)."""
        return self.root / "stamps" / f"{output.relative_to(self.root)}.stamp"

    def binary(self, name: str) -> Path:
        """The linked ELF of program name."""
        return self.root / "bin" / name
