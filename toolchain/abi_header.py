"""Generate userland's view of the kernel ABI from kernel/abi.py.

kernel/abi.py is the single source of truth for syscall numbers, error codes, page
permissions, memory layout and the structures passed through memory. This module
renders it for the user side of the boundary, in three files:

- `lamina/abi.h`: a C header. The `#define`s are plain numbers (no casts or suffixes),
  so assembly files include it too; the structs are hidden from the assembler, which
  gets their field offsets as `#define`s instead.
- `lamina/abi.ld`: a linker-script fragment that userland/user.ld includes, so the
  address programs are linked at also comes from kernel/abi.py.
- `usys.S`: one system-call stub per `Sys` member, like xv6's generated usys.S.

All are written into the build directory, never into the source tree, and only when
their text changes, so regenerating them does not make an incremental build redo work.
"""

from __future__ import annotations

import enum
import functools
import inspect
import os
import re
from pathlib import Path

from kernel import abi

BANNER = (
    "GENERATED from kernel/abi.py by toolchain/abi_header.py: do not edit.\n"
    "Change kernel/abi.py instead; the build regenerates this file."
)

# `NAME = value  # comment`: each constant's trailing comment in abi.py goes with it
# into the header, where a C programmer will look for it.
_TRAILING_COMMENT = re.compile(r"^\s*([A-Z_][A-Z0-9_]*)\s*(?::[^=]*)?=\s*[^#]*#\s*(.*?)\s*$")

# Names of the constants of an enum in C: `Sys.EXIT` is SYS_EXIT, `DomState.STOPPED` is
# DOM_STATE_STOPPED. Error codes keep their standard C names (ENOMEM, not ERRNO_ENOMEM).
_SPECIAL_PREFIXES = {"Errno": ""}

# Sizes of the C types kernel/abi.py may use in STRUCTS.
_C_TYPE_SIZES = {"uint64_t": 8, "int64_t": 8, "char": 1}

# A system call after which the kernel never returns to the caller.
_NORETURN_CALLS = {"EXIT"}


def _trailing_comments(source_lines: list[str]) -> dict[str, str]:
    """Map each `NAME = value  # comment` line's NAME to its comment."""
    comments: dict[str, str] = {}
    for line in source_lines:
        match = _TRAILING_COMMENT.match(line)
        if match:
            comments[match.group(1)] = match.group(2)
    return comments


def _define(name: str, value: int, comment: str = "") -> str:
    """One `#define NAME value` line, with an optional C comment after it."""
    text = f"#define {name} {_c_number(value)}"
    if comment:
        text = f"{text:<36} /* {comment.replace('*/', '* /')} */"
    return text


def _c_number(value: int) -> str:
    """Spell a constant the way a reader expects: small counts in decimal, addresses in hex."""
    return hex(value) if value >= 0x10000 else str(value)


def enum_prefix(cls: type[enum.Enum]) -> str:
    """The C prefix of an enum's constants: the class name in UPPER_SNAKE_CASE and '_'."""
    if cls.__name__ in _SPECIAL_PREFIXES:
        return _SPECIAL_PREFIXES[cls.__name__]
    return re.sub(r"(?<!^)(?=[A-Z])", "_", cls.__name__).upper() + "_"


def abi_enums() -> list[type[enum.Enum]]:
    """The integer enums and flag sets kernel/abi.py defines, in source order."""
    return [
        value
        for value in vars(abi).values()
        if isinstance(value, type) and issubclass(value, (enum.IntEnum, enum.IntFlag))
        and value.__module__ == abi.__name__
    ]


def _enum_block(cls: type[enum.Enum]) -> list[str]:
    """The #define lines for every member of one enum, under its docstring."""
    comments = _trailing_comments(inspect.getsourcelines(cls)[0])
    summary = (cls.__doc__ or cls.__name__).strip().splitlines()[0]
    lines = [f"/* {cls.__name__}: {summary} */"]
    prefix = enum_prefix(cls)
    for member in cls:
        lines.append(_define(prefix + str(member.name), int(member.value), comments.get(str(member.name), "")))
    return lines


def plain_constants() -> list[tuple[str, int]]:
    """Module-level integer constants of kernel/abi.py (PAGE_SIZE, USER_*, ...), in source order."""
    return [
        (name, value)
        for name, value in vars(abi).items()
        if name.isupper() and isinstance(value, int) and not isinstance(value, enum.Enum)
    ]


def _struct_fields(fields: list[tuple[str, str]]) -> list[tuple[str, str, int, int]]:
    """(C type, declarator, byte offset, byte size) of each field, laid out in order."""
    laid_out = []
    offset = 0
    for c_type, declarator in fields:
        if c_type not in _C_TYPE_SIZES:
            raise ValueError(f"kernel/abi.py STRUCTS: cannot lay out C type {c_type!r}")
        count = re.fullmatch(r"\w+(?:\[(\d+)\])?", declarator)
        if count is None:
            raise ValueError(f"kernel/abi.py STRUCTS: cannot parse field {declarator!r}")
        size = _C_TYPE_SIZES[c_type] * int(count.group(1) or 1)
        laid_out.append((c_type, declarator, offset, size))
        offset += size
    return laid_out


def _struct_blocks() -> tuple[list[str], list[str]]:
    """C declarations of kernel/abi.py's STRUCTS, and #defines of their field offsets."""
    declarations: list[str] = []
    offsets: list[str] = []
    for name, fields in getattr(abi, "STRUCTS", {}).items():
        declarations.append(f"struct {name} {{")
        end = 0
        for c_type, declarator, offset, size in _struct_fields(fields):
            declarations.append(f"  {c_type} {declarator};")
            field = declarator.split("[")[0]
            offsets.append(_define(f"{name.upper()}_{field.upper()}", offset))
            end = offset + size
        declarations += ["};", ""]
        offsets.append(_define(f"{name.upper()}_SIZE", end))
    return declarations, offsets


@functools.cache  # kernel/abi.py is imported once: its rendering cannot change in a process
def render_abi_header() -> str:
    """The full text of lamina/abi.h for the current kernel/abi.py."""
    lines = ["/* lamina/abi.h: the kernel's user ABI, for C and assembly.", " *"]
    lines += [f" * {line}" for line in BANNER.splitlines()]
    lines += [" */", "#ifndef LAMINA_ABI_H", "#define LAMINA_ABI_H", ""]
    for cls in abi_enums():
        lines += _enum_block(cls) + [""]
    comments = _trailing_comments(inspect.getsourcelines(abi)[0])
    lines.append("/* Constants: layout, limits and flags. */")
    for name, value in plain_constants():
        lines.append(_define(name, value, comments.get(name, "")))
    lines.append("")
    declarations, offsets = _struct_blocks()
    if declarations:
        lines.append("/* Byte offsets of the fields of the structures below, for assembly. */")
        lines += offsets + [""]
        lines += ["#ifndef __ASSEMBLER__", "#include <stdint.h>", ""]
        lines.append("/* Structures passed through memory (every field 64 bits). */")
        lines += declarations
        lines += ["#endif /* __ASSEMBLER__ */", ""]
    lines += ["#endif /* LAMINA_ABI_H */", ""]
    return "\n".join(lines)


@functools.cache
def render_abi_linker_script() -> str:
    """The text of lamina/abi.ld: the layout constants userland/user.ld needs."""
    lines = ["/* lamina/abi.ld: user address-space layout for the linker.", " *"]
    lines += [f" * {line}" for line in BANNER.splitlines()]
    lines += [" */"]
    lines.append(f"USER_TEXT_BASE = {hex(abi.USER_TEXT_BASE)};")
    lines.append(f"PAGE_SIZE = {hex(abi.PAGE_SIZE)};")
    return "\n".join(lines) + "\n"


def syscall_stub_name(call: abi.Sys) -> str:
    """The C name of the stub for one system call: Sys.PAGE_ALLOC is sys_page_alloc."""
    return f"sys_{call.name.lower()}"


@functools.cache
def render_syscall_stubs() -> str:
    """The text of usys.S: for each Sys member, a function that puts the call number in
    a7 and executes ecall. The C arguments are already in a0..a6 and the result comes
    back in a0, so no stub touches anything else. <lamina/syscall.h> declares them."""
    comments = _trailing_comments(inspect.getsourcelines(abi.Sys)[0])
    lines = ["/* usys.S: Lamina's system-call stubs.", " *"]
    lines += [f" * {line}" for line in BANNER.splitlines()]
    lines += [" */", "", "#include <lamina/abi.h>", "", "        .text"]
    for call in abi.Sys:
        name = syscall_stub_name(call)
        lines += ["", f"/* {comments.get(call.name, name)} */"]
        lines += [f"        .globl {name}", f"        .type {name}, @function", f"{name}:"]
        lines += [f"        li      a7, SYS_{call.name}", "        ecall"]
        if call.name in _NORETURN_CALLS:
            lines.append("1:      j       1b                      /* the kernel does not come back */")
        else:
            lines.append("        ret")
        lines.append(f"        .size {name}, . - {name}")
    return "\n".join(lines) + "\n"


def write_text_if_changed(path: Path, text: str) -> bool:
    """Write text to path unless it already holds exactly that; True if it wrote."""
    if path.exists() and path.read_text() == text:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    temporary.write_text(text)
    os.replace(temporary, path)
    return True


def write_abi_files(header: Path, linker_fragment: Path, syscall_stubs: Path) -> list[Path]:
    """Bring lamina/abi.h, lamina/abi.ld and usys.S, at the given paths, up to date with
    kernel/abi.py. Returns the paths it had to (re)write."""
    files = {
        header: render_abi_header(),
        linker_fragment: render_abi_linker_script(),
        syscall_stubs: render_syscall_stubs(),
    }
    return [path for path, text in files.items() if write_text_if_changed(path, text)]
