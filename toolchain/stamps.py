"""Decide whether a build step must run again, the way make would but by content.

Each output has a stamp file (kept apart from the outputs, under <build>/stamps/) that
records a digest of the command that made it and a content hash of every input it
read. For a compilation the inputs are the ones the compiler itself listed in its `-MD` depfile, so
editing any header rebuilds exactly the objects that include it. An output is up to
date when it exists as the step left it (the same size and modification time: a
truncated or overwritten program is made again, not copied into a disk image), the
command is unchanged (flags, paths, zig version) and every recorded input still hashes
the same. Hashing inputs' contents rather than comparing mtimes means `touch` on a
source alone rebuilds nothing, and a recompiled object that came out identical does not
force a relink.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path

from toolchain.zig import toolchain_version


def parse_depfile(text: str) -> list[str]:
    """The prerequisites listed in a make-style depfile (`out.o: a.c b.h \\` ...)."""
    joined = text.replace("\\\r\n", " ").replace("\\\n", " ")
    _, _, prerequisites = joined.partition(": ")
    paths: list[str] = []
    current = ""
    index = 0
    while index < len(prerequisites):
        char = prerequisites[index]
        if char == "\\" and index + 1 < len(prerequisites) and prerequisites[index + 1] in " #":
            current += prerequisites[index + 1]
            index += 2
            continue
        if char == "$" and prerequisites[index + 1 : index + 2] == "$":
            current += "$"
            index += 2
            continue
        if char.isspace():
            if current:
                paths.append(current)
            current = ""
        else:
            current += char
        index += 1
    if current:
        paths.append(current)
    return paths


def command_digest(command: list[str], root: Path) -> str:
    """A digest naming a command and the toolchain that runs it. The source tree's own
    location is left out (outputs do not depend on it: see toolchain.zig.prefix_maps),
    so a copy of a build directory serves a copy of the tree, such as a lab's handout."""
    text = "\0".join([toolchain_version(), *command]).replace(str(root), "<source>")
    return hashlib.sha256(text.encode()).hexdigest()


def _recorded_path(path: Path, root: Path) -> str:
    """How a stamp names an input: relative to the source tree if it is inside it."""
    return path.relative_to(root).as_posix() if path.is_relative_to(root) else str(path)


@dataclass
class ContentHashes:
    """Content hashes of files, remembered while a file's size and mtime stay the same."""

    _known: dict[Path, tuple[int, int, str]] = field(default_factory=dict)

    def of(self, path: Path) -> str | None:
        """The SHA-256 of path's content, or None if it does not exist."""
        try:
            status = path.stat()
        except FileNotFoundError:
            return None
        remembered = self._known.get(path)
        if remembered and remembered[:2] == (status.st_size, status.st_mtime_ns):
            return remembered[2]
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        self._known[path] = (status.st_size, status.st_mtime_ns, digest)
        return digest


def is_up_to_date(output: Path, stamp: Path, command: list[str], hashes: ContentHashes, root: Path,
                  watched: list[Path] | None = None) -> bool:
    """True if output exists and, by its stamp, was made by this command from inputs
    that have not changed since. Every file the answer rests on is added to watched."""
    if watched is not None:
        watched += [output, stamp]
    if not output.exists() or not stamp.exists():
        return False
    try:
        recorded = json.loads(stamp.read_text())
    except (OSError, ValueError):
        return False
    if recorded.get("command") != command_digest(command, root) or recorded.get("output") != output_facts(output):
        return False
    inputs: dict[str, str | None] = recorded.get("inputs", {})
    if watched is not None:
        watched += [root / path for path in inputs]
    return all(hashes.of(root / path) == digest for path, digest in inputs.items())


def forget(stamp: Path) -> None:
    """Drop a stamp, so a step interrupted half-way is redone next time."""
    stamp.unlink(missing_ok=True)


def output_facts(output: Path) -> list[int] | None:
    """The output as its step left it: [size, modification time in ns] (None if gone)."""
    try:
        status = output.stat()
    except FileNotFoundError:
        return None
    return [status.st_size, status.st_mtime_ns]


def record(stamp: Path, output: Path, command: list[str], inputs: list[Path], hashes: ContentHashes,
           root: Path) -> None:
    """Write a stamp: the output as made, the command, and the content hash of every
    input it read (the tree's own inputs named relative to the tree)."""
    digests = {_recorded_path(path, root): hashes.of(path) for path in inputs}
    text = json.dumps({"command": command_digest(command, root), "output": output_facts(output), "inputs": digests},
                      indent=1, sort_keys=True)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(text + "\n")
