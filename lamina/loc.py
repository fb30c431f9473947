"""Lines of code per layer: how big each layer of Lamina is (`lamina stats --loc`).

Counts non-blank lines that are not only a comment, per layer directory and language,
so that the bloat study can put a layer's size beside what it costs at run time.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

REPO_ROOT = Path(__file__).resolve().parent.parent
LAYERS = ("emulator", "kernel", "userland", "toolchain", "lamina")
LANGUAGES = {".py": "Python", ".c": "C", ".h": "C", ".S": "assembly", ".ld": "linker script"}
LINE_COMMENTS = {".py": "#", ".c": "//", ".h": "//", ".S": "#", ".ld": "/*"}


@dataclass(frozen=True)
class LayerSize:
    """Code lines of one layer in one language, and how many files hold them."""

    layer: str
    language: str
    files: int
    lines: int


def code_lines(path: Path) -> int:
    """Lines that hold code: not blank, not only a comment, not inside a docstring or /* */ block."""
    marker = LINE_COMMENTS.get(path.suffix, "#")
    count = 0
    in_block = None
    for raw in path.read_text(errors="replace").splitlines():
        line = raw.strip()
        if in_block:
            if in_block in line:
                in_block = None
            continue
        if not line or line.startswith(marker) or line.startswith("*"):
            continue
        if path.suffix == ".py" and line[:3] in ('"""', "'''"):
            quote = line[:3]
            if line.count(quote) == 1:
                in_block = quote
            continue
        if path.suffix != ".py" and line.startswith("/*"):
            if "*/" not in line:
                in_block = "*/"
            continue
        count += 1
    return count


def layer_sizes(root: Path = REPO_ROOT) -> list[LayerSize]:
    """Sizes of every layer, by language, in a fixed order."""
    sizes = []
    for layer in LAYERS:
        by_language: dict[str, list[int]] = {}
        for path in sorted((root / layer).rglob("*")):
            if path.suffix in LANGUAGES and path.is_file() and "__pycache__" not in path.parts:
                by_language.setdefault(LANGUAGES[path.suffix], []).append(code_lines(path))
        for language, counts in sorted(by_language.items()):
            sizes.append(LayerSize(layer, language, len(counts), sum(counts)))
    return sizes


def total_lines(layer: str, root: Path = REPO_ROOT) -> int:
    """All code lines of one layer, every language."""
    return sum(s.lines for s in layer_sizes(root) if s.layer == layer)
