"""Build userland: the user library and every program, incrementally and reproducibly.

The build is a short list of steps, each one command making one file:

  generate  include/lamina/abi.h, abi.ld; gen/usys.S    (from kernel/abi.py)
  compile   userland/lib/*.c *.S, gen/usys.S, userland/<kind>/*.c  ->  obj/.../*.o
  archive   the library objects           ->  lib/libuser.a
  link      crt0 + program + libuser.a    ->  bin/<name>

A step runs only when toolchain.stamps says its output is stale; compilations and links
run a few at a time on a thread pool. Outputs do not depend on where the source tree or
the build directory is (see toolchain.zig.prefix_maps), so building the same sources
twice gives byte-identical programs. This module sits below the `lamina build` command
and above toolchain.zig, which knows the flags.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

from toolchain import stamps, zig
from toolchain.abi_header import write_abi_files
from toolchain.layout import REPO_ROOT, BuildTree, SourceTree
from toolchain.zig import BuildError

# progress(done, total, what): called once per step, from the calling thread.
Progress = Callable[[int, int, str], None]

MAX_PARALLEL_JOBS = 4

# Builds found up to date in this process, by (build directory, source root, programs):
# every file the answer rested on (stamps, outputs, inputs, source folders) with its
# (size, mtime) then. A process that boots many systems (a test suite, a benchmark)
# asks about the same build again and again; while none of those files has changed,
# neither has the answer, and a stat each costs far less than reading every stamp.
FileFacts = tuple[tuple[str, tuple[int, int] | None], ...]
_UP_TO_DATE: dict[tuple[Path, Path, tuple[str, ...]], FileFacts] = {}


class UnknownProgram(BuildError):
    """A program was asked for by a name that no userland/<kind>/<name>.c has."""


@dataclass(frozen=True)
class Step:
    """One command that makes one output file from some inputs."""

    verb: str  # "compile", "archive" or "link": what the step does, for progress
    label: str  # what a person calls the thing being made or compiled
    output: Path
    command: list[str]
    inputs: list[Path] = field(default_factory=list)  # for compiles, read from depfile
    depfile: Path | None = None


@dataclass
class Build:
    """The state of one build run: where from, where to, and how far along."""

    sources: SourceTree
    out: BuildTree
    progress: Progress
    total: int
    done: int = 0
    hashes: stamps.ContentHashes = field(default_factory=stamps.ContentHashes)
    watched: list[Path] = field(default_factory=list)  # what the up-to-date answers rest on
    ran: int = 0  # steps that had to run

    def report(self, what: str) -> None:
        """Count one step as finished and tell the progress callback."""
        self.done += 1
        self.progress(self.done, self.total, what)

    def environment(self) -> dict[str, str]:
        """The environment every zig command of this build runs in."""
        return zig.zig_environment(self.out.zig_cache)


def default_build_dir() -> Path:
    """$LAMINA_BUILD_DIR if set, else <repo root>/build."""
    configured = os.environ.get("LAMINA_BUILD_DIR")
    return Path(configured).resolve() if configured else REPO_ROOT / "build"


def list_programs(source_root: Path | None = None) -> list[str]:
    """The names of all user programs (one per userland/<kind>/<name>.c), sorted."""
    return SourceTree(_root(source_root)).programs()


def build_all(
    build_dir: Path | None = None,
    progress: Progress | None = None,
    source_root: Path | None = None,
) -> dict[str, Path]:
    """Bring the library and every program up to date; return {name: path of its ELF}."""
    return _build(list_programs(source_root), build_dir, progress, source_root)


def build_programs(
    names: list[str],
    build_dir: Path | None = None,
    progress: Progress | None = None,
    source_root: Path | None = None,
) -> dict[str, Path]:
    """Bring several programs (and the library they share) up to date in one pass, so
    the library is checked once, not once a program; return {name: path of its ELF}.
    Raises UnknownProgram, listing the available programs, for an unknown name."""
    return _build(list(dict.fromkeys(names)), build_dir, progress, source_root)


def build_program(
    name: str,
    build_dir: Path | None = None,
    progress: Progress | None = None,
    source_root: Path | None = None,
) -> Path:
    """Bring one program (and the library it links) up to date; return its ELF's path.
    Raises UnknownProgram, listing the available programs, for an unknown name."""
    return _build([name], build_dir, progress, source_root)[name]


def _root(source_root: Path | None) -> Path:
    """The source root to use: the given one, or this checkout."""
    return Path(source_root).resolve() if source_root else REPO_ROOT


def _ignore_progress(done: int, total: int, what: str) -> None:
    """The progress callback used when the caller gives none."""


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    """Hold an exclusive lock on a build directory: two `lamina` processes building into
    the same directory at once would otherwise read each other's half-written files."""
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "a+b") as handle:
        if os.name == "nt":
            import msvcrt

            handle.seek(0)
            msvcrt.locking(handle.fileno(), msvcrt.LK_LOCK, 1)
        else:
            import fcntl

            fcntl.flock(handle.fileno(), fcntl.LOCK_EX)
        try:
            yield
        finally:
            if os.name == "nt":
                handle.seek(0)
                msvcrt.locking(handle.fileno(), msvcrt.LK_UNLCK, 1)
            else:
                fcntl.flock(handle.fileno(), fcntl.LOCK_UN)


def _build(
    names: list[str],
    build_dir: Path | None,
    progress: Progress | None,
    source_root: Path | None,
) -> dict[str, Path]:
    """Build the named programs and everything they need; return {name: ELF path}."""
    directory = Path(build_dir).resolve() if build_dir else default_build_dir()
    key = (directory, _root(source_root), tuple(names))
    known = _UP_TO_DATE.get(key)
    if known is not None and _file_facts(path for path, _ in known) == known:
        return {name: BuildTree(directory).binary(name) for name in names}
    with _locked(directory):
        return _build_unlocked(names, directory, progress, source_root)


def _file_facts(paths: Iterator[str] | list[str]) -> FileFacts:
    """(path, (size, mtime in ns)) of each path, None for one that is missing."""
    facts = []
    for path in paths:
        try:
            status = os.stat(path)
            facts.append((path, (status.st_size, status.st_mtime_ns)))
        except OSError:
            facts.append((path, None))
    return tuple(facts)


def _build_unlocked(
    names: list[str],
    directory: Path,
    progress: Progress | None,
    source_root: Path | None,
) -> dict[str, Path]:
    """_build's work, with the build directory locked."""
    sources = SourceTree(_root(source_root))
    available = sources.program_sources()
    _check_names(available, names)
    out = BuildTree(directory)
    library_sources = [sources.crt0, *sources.library_sources(), out.syscall_stubs]
    program_sources = [available[name] for name in names]
    total = 1 + len(library_sources) + len(program_sources) + 1 + len(names)
    build = Build(sources, out, progress or _ignore_progress, total)

    rewritten = write_abi_files(out.abi_header, out.abi_linker_fragment, out.syscall_stubs)
    if rewritten:
        build.report("generate " + ", ".join(out.relative(path) for path in rewritten))
    else:
        build.report("generated ABI files are up to date")

    compiles = {source: _compile_step(build, source) for source in library_sources + program_sources}
    _run_steps(build, list(compiles.values()))

    library_objects = [compiles[source].output for source in library_sources[1:]]
    _run_steps(build, [_archive_step(build, library_objects)])

    crt0 = compiles[sources.crt0].output
    links = [
        _link_step(build, name, [crt0, compiles[source].output])
        for name, source in zip(names, program_sources)
    ]
    _run_steps(build, links)
    if build.ran == 0:  # folders too: a source added or removed changes its folder
        folders = {str(path.parent) for path in library_sources + program_sources}
        _UP_TO_DATE[(out.root, sources.root, tuple(names))] = _file_facts(
            sorted(folders | {str(path) for path in build.watched}))
    return {name: out.binary(name) for name in names}


def _check_names(available: dict[str, Path], names: list[str]) -> None:
    """Raise UnknownProgram unless every name is one of the available programs."""
    for name in names:
        if name not in available:
            listing = ", ".join(available) or "(none)"
            raise UnknownProgram(f"unknown program '{name}'; available programs: {listing}\n")


def _compile_step(build: Build, source: Path) -> Step:
    """The step compiling one source to an object file. Sources in the tree are named
    relative to its root; generated ones (in the build directory) by absolute path."""
    if source.is_relative_to(build.out.root):
        label = build.out.relative(source)
        argument = str(source)
    else:
        label = argument = build.sources.relative(source)
    obj = build.out.object_for(label)
    depfile = obj.with_name(obj.name + ".d")
    command = zig.compile_command(
        argument,
        obj,
        depfile,
        include_dirs=[build.sources.include_dir, build.out.include_dir],
        path_maps=zig.prefix_maps(build.sources.root, build.out.root),
    )
    return Step("compile", label, obj, command, depfile=depfile)


def _archive_step(build: Build, objects: list[Path]) -> Step:
    """The step packing the library objects into libuser.a."""
    archive = build.out.library
    return Step("archive", build.out.relative(archive), archive, zig.archive_command(archive, objects), inputs=objects)


def _link_step(build: Build, name: str, objects: list[Path]) -> Step:
    """The step linking one program: crt0 and its object first, then the library."""
    binary = build.out.binary(name)
    script = build.sources.linker_script
    command = zig.link_command(
        binary,
        build.sources.relative(script),
        script_dirs=[build.out.include_dir],
        objects=objects,
        libraries=[build.out.library],
    )
    inputs = [*objects, build.out.library, script, build.out.abi_linker_fragment]
    return Step("link", build.out.relative(binary), binary, command, inputs=inputs)


def _run_steps(build: Build, steps: list[Step]) -> None:
    """Run the stale steps among steps, a few at a time; raise BuildError if any failed,
    carrying every failure's diagnostics in the order the steps were given."""
    stale = []
    for step in steps:
        if stamps.is_up_to_date(step.output, build.out.stamp_for(step.output), step.command, build.hashes,
                                build.sources.root, build.watched):
            build.report(f"{step.label} is up to date")
        else:
            stale.append(step)
    if not stale:
        return
    build.ran += len(stale)
    failures: list[BuildError] = []
    workers = min(MAX_PARALLEL_JOBS, os.cpu_count() or 2)
    with ThreadPoolExecutor(max_workers=workers) as pool:
        futures = [(step, pool.submit(_execute, build, step)) for step in stale]
        for step, future in futures:
            try:
                future.result()
            except BuildError as error:
                failures.append(error)
                continue
            stamp = build.out.stamp_for(step.output)
            stamps.record(stamp, step.output, step.command, _inputs_of(build, step), build.hashes, build.sources.root)
            build.report(f"{step.verb} {step.label}")
    if failures:
        command = failures[0].command
        raise BuildError("".join(error.stderr for error in failures), command)


def _execute(build: Build, step: Step) -> None:
    """Run one step's command (on a worker thread), starting from no output at all."""
    stamps.forget(build.out.stamp_for(step.output))
    step.output.unlink(missing_ok=True)
    step.output.parent.mkdir(parents=True, exist_ok=True)
    zig.run(step.command, cwd=build.sources.root, env=build.environment())


def _inputs_of(build: Build, step: Step) -> list[Path]:
    """Every file a finished step read: its depfile's list for a compile, else its inputs."""
    if step.depfile is None:
        return step.inputs
    listed = stamps.parse_depfile(step.depfile.read_text())
    return [build.sources.root / path for path in listed]
