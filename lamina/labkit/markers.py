"""Solution regions: the code a lab asks students to write, marked in the solution tree.

The instructor's tree is the solution tree: the code Lamina runs. A lab marks what
students write with a pair of comment lines, in Python

    # BEGIN LAB pgtbl
    ...the solution...
    # END LAB pgtbl

and in C (or assembly)

    /* BEGIN LAB cow: return -ENOSYS; */
    ...the solution...
    /* END LAB cow */

The text after the colon is the stub that replaces the region in a handout, indented
as the BEGIN line is. A Python region without one gets a stub that raises
NotImplementedError naming the lab and the function; a C region must say its stub (a
function's return type decides what it can be). A colon with nothing after it removes
the region (an enum member, a table entry). Markers are comments, so the solution tree
builds and runs exactly as without them.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

NAME = r"[a-z][a-z0-9_-]*"
BEGIN = re.compile(rf"^(?P<indent>\s*)(?:#|/\*|//)\s*BEGIN LAB (?P<lab>{NAME})(?P<colon>:(?P<stub>.*?))?\s*(?:\*/)?\s*$")
END = re.compile(rf"^\s*(?:#|/\*|//)\s*END LAB (?P<lab>{NAME})\s*(?:\*/)?\s*$")
DEF = re.compile(r"^\s*(?:async\s+)?def\s+(\w+)|^\s*class\s+(\w+)")
C_FUNCTION = re.compile(r"^(?:[\w\s\*]+?[\s\*])?(\w+)\s*\([^;]*$")  # "name(" (or "int name(") at column 0
SUFFIXES = (".py", ".c", ".h", ".S")
ANSWERS = "answers.toml"  # a lab's answers file (labs/NAME/answers.toml): "#" markers, a stub each


class MarkerError(ValueError):
    """A malformed region; the message names the file and line."""


@dataclass(frozen=True)
class Region:
    """One solution region: lines [begin, end] of a file (0-based, both markers included)."""

    lab: str
    path: Path
    begin: int
    end: int
    stub: str | None  # None: the default (Python only); "": remove the region
    indent: str
    where: str  # the function (or class) the region is in, for messages and stubs

    @property
    def lines(self) -> int:
        """Lines of solution between the markers."""
        return self.end - self.begin - 1


def find_regions(path: Path, text: str | None = None) -> list[Region]:
    """Every region in a file, checked: markers pair up, do not nest, name one lab."""
    lines = (text if text is not None else path.read_text()).splitlines()
    regions: list[Region] = []
    open_at: tuple[int, re.Match] | None = None
    for i, line in enumerate(lines):
        begin, end = BEGIN.match(line), END.match(line)
        if begin:
            if open_at is not None:
                raise MarkerError(f"{path}:{i + 1}: BEGIN LAB {begin['lab']} inside the region opened at line {open_at[0] + 1}")
            open_at = (i, begin)
        elif end:
            if open_at is None or open_at[1]["lab"] != end["lab"]:
                raise MarkerError(f"{path}:{i + 1}: END LAB {end['lab']} with no BEGIN LAB {end['lab']} open")
            start, m = open_at
            stub = m["stub"].strip().removesuffix("*/").strip() if m["colon"] else None
            if stub is None and path.suffix != ".py":
                raise MarkerError(f"{path}:{start + 1}: a C region needs its stub after a colon, "
                                  f"e.g. /* BEGIN LAB {m['lab']}: return -ENOSYS; */")
            regions.append(Region(m["lab"], path, start, i, stub, m["indent"], enclosing(lines, start, path)))
            open_at = None
    if open_at is not None:
        raise MarkerError(f"{path}:{open_at[0] + 1}: BEGIN LAB {open_at[1]['lab']} is never closed")
    return regions


def enclosing(lines: list[str], at: int, path: Path) -> str:
    """The name of the function (or class) a region starts in, looking upward: in
    Python the nearest def or class indented less than the region, in C the nearest
    function name at the start of a line. The file's name for a region at top level."""
    indent = len(lines[at]) - len(lines[at].lstrip())
    for line in reversed(lines[:at]):
        if path.suffix == ".py":
            m = DEF.match(line)
            if m and len(line) - len(line.lstrip()) < indent:
                return next(g for g in m.groups() if g)
        elif line[:1].isalpha() and (m := C_FUNCTION.match(line)):
            return m.group(1)
    return path.name


def stub_lines(region: Region) -> list[str]:
    """What replaces a region in a handout."""
    if region.stub == "":
        return []
    if region.stub is None:
        text = f'raise NotImplementedError("not implemented: lab {region.lab}, {region.where}")'
    else:
        text = region.stub
    return [f"{region.indent}{text}"]


def carve(text: str, path: Path, stubbed: set[str]) -> str:
    """The file with the regions of the labs in `stubbed` replaced by their stubs and
    every other lab's markers removed, its solution kept (a handout of lab L stubs {L}:
    the system needs the other labs' code to run)."""
    regions = find_regions(path, text)
    lines = text.splitlines()
    out: list[str] = []
    i = 0
    for r in regions:
        out.extend(lines[i:r.begin])
        out.extend(stub_lines(r) if r.lab in stubbed else lines[r.begin + 1:r.end])
        i = r.end + 1
    out.extend(lines[i:])
    return "\n".join(out) + ("\n" if text.endswith("\n") else "")


def regions_in_tree(root: Path, folders: tuple[str, ...] = ("kernel", "emulator", "userland")) -> list[Region]:
    """Every region in the source folders of a tree, and in the labs' answers files."""
    found: list[Region] = []
    paths = [p for folder in folders for p in sorted((root / folder).rglob("*")) if p.suffix in SUFFIXES]
    for path in paths + sorted((root / "labs").glob(f"*/{ANSWERS}")):
        if path.is_file() and "LAB" in (text := path.read_text(errors="replace")):
            found.extend(find_regions(path, text))
    return found
