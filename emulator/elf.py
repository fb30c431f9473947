"""Reading RV64 ELF executables: the board's boot loader format.

`read_elf` checks an executable and returns its loadable segments (with permissions),
entry point and symbols, or raises ElfError saying what is wrong and where. Symbolizer
turns addresses back into `function+offset` and `file:line` (DWARF, via pyelftools).
"""

from __future__ import annotations

import bisect
import functools
import hashlib
import io
import struct
from dataclasses import dataclass, field
from pathlib import Path

from elftools.common.exceptions import ELFError
from elftools.elf.constants import P_FLAGS
from elftools.elf.elffile import ELFFile

EM_RISCV = 243


class ElfError(Exception):
    """An executable Lamina cannot load; the message names the file and the problem."""


@dataclass(frozen=True)
class Segment:
    """A PT_LOAD segment: memsz bytes at vaddr, the first len(data) from the file."""

    vaddr: int
    memsz: int
    data: bytes
    readable: bool
    writable: bool
    executable: bool


@dataclass
class ElfImage:
    """A checked executable: what a loader needs, plus symbols for messages and traces."""

    name: str
    path: Path | None
    entry: int
    segments: list[Segment]
    symbols: list[tuple[int, int, str]] = field(default_factory=list)  # (start, size, name), sorted
    raw: bytes = b""

    def symbol_at(self, address: int) -> str | None:
        """'name+0xoff' for the function containing address, or None. A symbol without a
        size (an assembly label) reaches to the next symbol."""
        if not hasattr(self, "_starts"):
            self._starts = [s[0] for s in self.symbols]
        i = bisect.bisect_right(self._starts, address) - 1
        if i < 0:
            return None
        start, size, name = self.symbols[i]
        end = start + size if size else (self._starts[i + 1] if i + 1 < len(self._starts) else start + 4)
        if address >= end:
            return None
        off = address - start
        return f"{name}+{off:#x}" if off else name

    @property
    def digest(self) -> str:
        """A hash of the file's bytes: two images with the same digest are the same program."""
        if not hasattr(self, "_digest"):
            self._digest = hashlib.sha256(self.raw).hexdigest()
        return self._digest

    def symbol_address(self, name: str) -> int | None:
        """Address of the named symbol, or None (the first of that name, by address)."""
        if not hasattr(self, "_by_name"):
            self._by_name: dict[str, int] = {}
            for start, _size, sym in self.symbols:
                self._by_name.setdefault(sym, start)
        return self._by_name.get(name)


def read_elf(path: Path | str, name: str | None = None) -> ElfImage:
    """Read and check the RV64 executable at path. A file read before, unchanged since
    (same size and modification time), is not parsed again: every boot in a process
    (a test suite's, a benchmark's) loads the same few programs. Images are never
    changed once made, so sharing them is safe."""
    path = Path(path)
    try:
        stat = path.stat()
    except OSError as err:
        raise ElfError(f"{path}: cannot read: {err.strerror}") from None
    return _read_elf_file(path, name or path.name, stat.st_size, stat.st_mtime_ns)


@functools.lru_cache(maxsize=256)
def _read_elf_file(path: Path, name: str, size: int, mtime_ns: int) -> ElfImage:
    """read_elf's work, for one version of the file (size and mtime_ns are its key)."""
    try:
        raw = path.read_bytes()
    except OSError as err:
        raise ElfError(f"{path}: cannot read: {err.strerror}") from None
    return parse_elf(raw, name, path)


def parse_elf(raw: bytes, name: str, path: Path | None = None) -> ElfImage:
    """Check and parse an executable held in memory."""
    where = str(path) if path else name
    if raw[:4] != b"\x7fELF":
        raise ElfError(f"{where}: not an ELF file (bad magic {raw[:4]!r})")
    _check_tables_fit(raw, where)
    try:
        elf = ELFFile(io.BytesIO(raw))
        _check_header(elf, where)
        segments = _segments(elf, where)
        symbols = _symbols(elf)
    except ELFError as err:
        raise ElfError(f"{where}: malformed ELF: {err}") from None
    entry = elf.header["e_entry"]
    if not any(s.executable and s.vaddr <= entry < s.vaddr + s.memsz for s in segments):
        raise ElfError(f"{where}: entry point {entry:#x} is not inside an executable segment")
    return ElfImage(name, path, entry, segments, symbols, raw)


ELF64_HEADER = struct.Struct("<16sHHIQQQIHHHHHH")  # e_ident .. e_shstrndx: 64 bytes


def _check_tables_fit(raw: bytes, where: str) -> None:
    """Say plainly that a file is cut short (a truncated build output, a half-copied
    file) before the ELF parser trips over the missing bytes with a message of its own."""
    if len(raw) < ELF64_HEADER.size:
        raise ElfError(f"{where}: truncated: {len(raw)} bytes, too short for an ELF header ({ELF64_HEADER.size})")
    fields = ELF64_HEADER.unpack_from(raw)
    phoff, shoff, phentsize, phnum, shentsize, shnum = fields[5], fields[6], fields[9], fields[10], fields[11], fields[12]
    for table, offset, count, size in (("program headers", phoff, phnum, phentsize),
                                       ("section headers", shoff, shnum, shentsize)):
        end = offset + count * size
        if count and end > len(raw):
            raise ElfError(f"{where}: truncated: its {table} end at byte {end:,}, but the file has {len(raw):,}")


ELF64_SYM = struct.Struct("<IBBHQQ")  # st_name, st_info, st_other, st_shndx, st_value, st_size
SYMBOL_TYPES = {0, 1, 2}  # STT_NOTYPE, STT_OBJECT, STT_FUNC: the low 4 bits of st_info


def _check_header(elf: ELFFile, where: str) -> None:
    """Refuse anything but a little-endian 64-bit RISC-V executable."""
    if elf.elfclass != 64:
        raise ElfError(f"{where}: {elf.elfclass}-bit ELF, expected 64-bit (RV64)")
    if not elf.little_endian:
        raise ElfError(f"{where}: big-endian ELF, expected little-endian")
    if elf.header["e_machine"] not in ("EM_RISCV", EM_RISCV):
        raise ElfError(f"{where}: machine {elf.header['e_machine']}, expected RISC-V")
    if elf.header["e_type"] != "ET_EXEC":
        raise ElfError(f"{where}: type {elf.header['e_type']}, expected a static executable (ET_EXEC)")


def _segments(elf: ELFFile, where: str) -> list[Segment]:
    """The PT_LOAD segments, checked for sizes that make sense."""
    segments = []
    for i, seg in enumerate(elf.iter_segments()):
        if seg["p_type"] != "PT_LOAD" or seg["p_memsz"] == 0:
            continue
        if seg["p_filesz"] > seg["p_memsz"]:
            raise ElfError(f"{where}: segment {i} has filesz {seg['p_filesz']} > memsz {seg['p_memsz']}")
        data = seg.data()
        if len(data) != seg["p_filesz"]:
            raise ElfError(f"{where}: segment {i} is truncated ({len(data)} of {seg['p_filesz']} bytes)")
        flags = seg["p_flags"]
        segments.append(Segment(
            vaddr=seg["p_vaddr"], memsz=seg["p_memsz"], data=data,
            readable=bool(flags & P_FLAGS.PF_R), writable=bool(flags & P_FLAGS.PF_W),
            executable=bool(flags & P_FLAGS.PF_X),
        ))
    if not segments:
        raise ElfError(f"{where}: no loadable (PT_LOAD) segments")
    return segments


def _symbols(elf: ELFFile) -> list[tuple[int, int, str]]:
    """Function and object symbols, sorted by address.

    The table is read with struct rather than pyelftools' symbol objects: those cost
    about 15 us a symbol, and a program with the C library has thousands, which made
    reading symbols most of the time it took to boot to the shell."""
    table = elf.get_section_by_name(".symtab")
    if table is None:
        return []  # symbols are optional: a program without them runs, with bare pcs
    names = elf.get_section(table["sh_link"]).data()
    data = table.data()
    found = set()
    for name_at, info, _other, _shndx, value, size in ELF64_SYM.iter_unpack(data[:len(data) - len(data) % ELF64_SYM.size]):
        if info & 0xF not in SYMBOL_TYPES or not value or not name_at:
            continue
        end = names.find(b"\0", name_at)
        name = names[name_at:end if end >= 0 else len(names)].decode(errors="replace")
        if name and not name.startswith(".L") and not name.startswith("$"):
            found.add((value, size, name))
    return sorted(found)


@functools.lru_cache(maxsize=32)
def _line_rows(raw: bytes) -> list[tuple[int, str, int, str]]:
    """Symbolizer._load for the ELF file raw."""
    rows: list[tuple[int, str, int, str]] = []
    try:
        elf = ELFFile(io.BytesIO(raw))
        if elf.has_dwarf_info():
            dwarf = elf.get_dwarf_info()
            for cu in dwarf.iter_CUs():
                lp = dwarf.line_program_for_CU(cu)
                if lp is None:
                    continue
                files = lp["file_entry"]
                unit = cu.get_top_DIE().attributes.get("DW_AT_name")
                unit_name = unit.value.decode(errors="replace") if unit else ""
                for entry in lp.get_entries():
                    st = entry.state
                    if st is None or st.end_sequence:
                        continue
                    index = st.file - 1 if lp.header["version"] < 5 else st.file
                    if 0 <= index < len(files):
                        fname = files[index].name.decode(errors="replace")
                        rows.append((st.address, fname, st.line, unit_name))
    except (ELFError, ValueError, KeyError, IndexError, AttributeError):
        rows = []
    rows.sort()
    return rows


class Symbolizer:
    """Address to 'file:line' from DWARF line tables, read on first use."""

    def __init__(self, image: ElfImage) -> None:
        self.image = image
        self._rows: list[tuple[int, str, int, str]] | None = None

    def _load(self) -> list[tuple[int, str, int, str]]:
        """(address, file, line, compilation unit) rows of every line program, sorted;
        read once per program (the domains of a fork bomb share it: each death is
        described, and parsing DWARF costs most of a second)."""
        return _line_rows(self.image.raw)


    def _row(self, address: int) -> tuple[int, str, int, str] | None:
        """The line-table row covering address."""
        if self._rows is None:
            self._rows = self._load()
        i = bisect.bisect_right(self._rows, (address, "\uffff", 1 << 30, "")) - 1
        return self._rows[i] if i >= 0 else None

    def line_at(self, address: int) -> str | None:
        """'file.c:12' for the line containing address, or None."""
        row = self._row(address)
        return f"{row[1]}:{row[2]}" if row else None

    def unit_at(self, address: int) -> str | None:
        """The source file (compilation unit, e.g. 'userland/lib/printf.c') the code at
        address was compiled from, or None."""
        row = self._row(address)
        return row[3] if row else None

    def describe(self, address: int) -> str:
        """'0x1002c <main+0x18> (hello.c:12)', with what is known."""
        text = f"{address:#x}"
        sym = self.image.symbol_at(address)
        if sym:
            text += f" <{sym}>"
        line = self.line_at(address) if sym else None
        if line:
            text += f" ({line})"
        return text
