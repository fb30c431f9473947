"""The toolchain's promises: the generated ABI header, the builder, and the ELF it makes.

Programs cannot run here (that is the kernel's tests' job), so these tests check what a
program file must look like for the loader and the trap code to work: three PT_LOAD
segments with distinct permissions, entry at _start, only 4-byte instructions; and what
the builder must do: rebuild exactly what changed, produce the same bytes every time,
and show the compiler's own error messages.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
from pathlib import Path

import pytest
from capstone import CS_ARCH_RISCV, CS_MODE_RISCV64, CS_MODE_RISCVC, Cs
from elftools.elf.constants import P_FLAGS
from elftools.elf.elffile import ELFFile

from kernel import abi
from toolchain import abi_header, zig
from toolchain.build import (
    BuildError,
    UnknownProgram,
    build_all,
    build_program,
    build_programs,
    default_build_dir,
    list_programs,
)
from toolchain.layout import REPO_ROOT, BuildTree

PROGRAMS_OTHER_TESTS_NEED = {
    "hello", "spin", "nullderef", "illegal", "privileged", "writetext", "badjump",
    "ebreak", "peek", "poke", "malloctest",
}
R, W, X = P_FLAGS.PF_R, P_FLAGS.PF_W, P_FLAGS.PF_X


def header_defines(text: str) -> dict[str, int]:
    """The `#define NAME number` lines of a header, as a dict."""
    found = re.findall(r"^#define (\w+) (0x[0-9a-f]+|\d+)\b", text, flags=re.MULTILINE)
    return {name: int(value, 0) for name, value in found}


def load_segments(path: Path) -> list[tuple[int, int, int]]:
    """(vaddr, memsz, flags) of each PT_LOAD segment of an ELF file."""
    with path.open("rb") as f:
        elf = ELFFile(f)
        return [
            (seg["p_vaddr"], seg["p_memsz"], seg["p_flags"])
            for seg in elf.iter_segments()
            if seg["p_type"] == "PT_LOAD"
        ]


@functools.cache
def symbols(path: Path) -> dict[str, tuple[int, int]]:
    """{name: (address, size)} of the symbols of an ELF file."""
    with path.open("rb") as f:
        table = ELFFile(f).get_section_by_name(".symtab")
        return {s.name: (s["st_value"], s["st_size"]) for s in table.iter_symbols() if s.name}


def symbol(path: Path, name: str) -> tuple[int, int]:
    """(address, size) of a symbol of an ELF file."""
    assert name in symbols(path), f"{path.name} has no symbol {name}"
    return symbols(path)[name]


def text_of(path: Path) -> tuple[int, bytes]:
    """(address, bytes) of an ELF file's .text section."""
    with path.open("rb") as f:
        text = ELFFile(f).get_section_by_name(".text")
        return text["sh_addr"], text.data()


def function_words(path: Path, name: str) -> list[tuple[int, int]]:
    """(address, 32-bit word) of each instruction of a function."""
    base, text = text_of(path)
    start, size = symbol(path, name)
    code = text[start - base : start - base + size]
    return [(start + i, int.from_bytes(code[i : i + 4], "little")) for i in range(0, len(code), 4)]


def disassemble(path: Path, name: str) -> list[tuple[int, str, str]]:
    """(address, mnemonic, operands) of each instruction of a function."""
    base, text = text_of(path)
    start, size = symbol(path, name)
    decoder = Cs(CS_ARCH_RISCV, CS_MODE_RISCV64)
    code = text[start - base : start - base + size]
    return [(i.address, i.mnemonic, i.op_str) for i in decoder.disasm(code, start)]


def recorder() -> tuple[list[str], object]:
    """A progress callback that keeps every message, and the list it keeps them in."""
    messages: list[str] = []

    def progress(done: int, total: int, what: str) -> None:
        assert 1 <= done <= total
        messages.append(what)

    return messages, progress


def compiled(messages: list[str]) -> set[str]:
    """The sources a build's progress messages say were compiled."""
    return {m.removeprefix("compile ") for m in messages if m.startswith("compile ")}


def work_done(messages: list[str]) -> list[str]:
    """The progress messages of steps that ran a command."""
    return [m for m in messages if m.split()[0] in ("compile", "archive", "link")]


def make_small_tree(root: Path) -> Path:
    """A tiny userland (two headers, two library files, two programs) around the real
    crt0.S and user.ld, small enough to build in a moment."""
    files = {
        "include/a.h": "int a_value(void);\n",
        "include/b.h": "int b_value(void);\n",
        "lib/a.c": "#include <a.h>\nint a_value(void) { return 1; }\n",
        "lib/b.c": "#include <b.h>\nint b_value(void) { return 2; }\n",
        "lib/exit.c": (
            "void sys_exit(int status) __attribute__((noreturn));\n"
            "void exit(int status) { sys_exit(status); }\n"
        ),
        "bin/one.c": "#include <a.h>\nint main(void) { return a_value(); }\n",
        "bin/two.c": "#include <b.h>\nint main(void) { return b_value(); }\n",
    }
    userland = root / "userland"
    for name, text in files.items():
        (userland / name).parent.mkdir(parents=True, exist_ok=True)
        (userland / name).write_text(text)
    shutil.copy(REPO_ROOT / "userland" / "user.ld", userland / "user.ld")
    shutil.copy(REPO_ROOT / "userland" / "lib" / "crt0.S", userland / "lib" / "crt0.S")
    return root


@pytest.fixture(scope="module")
def copied_tree_build(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every program built from a copy of userland/ in another directory, into another
    build directory: {name: ELF path}."""
    root = tmp_path_factory.mktemp("tree")
    shutil.copytree(REPO_ROOT / "userland", root / "userland")
    return build_all(tmp_path_factory.mktemp("other-build"), source_root=root)


# The generated ABI header


def test_header_defines_every_syscall_errno_perm_and_layout_constant() -> None:
    defines = header_defines(abi_header.render_abi_header())
    for call in abi.Sys:
        assert defines[f"SYS_{call.name}"] == call.value
    for error in abi.Errno:
        assert defines[error.name] == error.value
    for perm in abi.Perm:
        assert defines[f"PERM_{perm.name}"] == perm.value
    for name in ("PAGE_SIZE", "USER_TEXT_BASE", "USER_STACK_TOP", "USER_STACK_PAGES", "MAX_ARGS", "MAX_ARG_BYTES"):
        assert defines[name] == getattr(abi, name)


def test_header_says_it_is_generated() -> None:
    assert "GENERATED from kernel/abi.py" in abi_header.render_abi_header().splitlines()[2]


def test_abi_files_are_rewritten_only_when_their_text_changes(tmp_path: Path) -> None:
    out = BuildTree(tmp_path)
    paths = (out.abi_header, out.abi_linker_fragment, out.syscall_stubs)
    assert abi_header.write_abi_files(*paths) == list(paths)
    os.utime(out.abi_header, ns=(1, 1))
    assert abi_header.write_abi_files(*paths) == []
    assert out.abi_header.stat().st_mtime_ns == 1
    out.abi_header.write_text("stale\n")
    assert abi_header.write_abi_files(*paths) == [out.abi_header]
    assert out.abi_header.read_text() == abi_header.render_abi_header()


def test_every_system_call_has_a_stub_and_a_c_declaration() -> None:
    stubs = abi_header.render_syscall_stubs()
    declarations = (REPO_ROOT / "userland" / "include" / "lamina" / "syscall.h").read_text()
    for call in abi.Sys:
        name = abi_header.syscall_stub_name(call)
        assert re.search(rf"^{name}:\n\s+li\s+a7, SYS_{call.name}\n\s+ecall$", stubs, re.MULTILINE)
        assert re.search(rf"\b{name}\(", declarations), f"lamina/syscall.h does not declare {name}"


def test_struct_offsets_in_header_match_the_c_layout(tmp_path: Path) -> None:
    out = BuildTree(tmp_path)
    abi_header.write_abi_files(out.abi_header, out.abi_linker_fragment, out.syscall_stubs)
    checks = ["#include <stddef.h>", "#include <lamina/abi.h>"]
    for name, fields in abi.STRUCTS.items():
        for _, declarator in fields:
            field = declarator.split("[")[0]
            macro = f"{name.upper()}_{field.upper()}"
            checks.append(f'_Static_assert(offsetof(struct {name}, {field}) == {macro}, "{macro}");')
        checks.append(f'_Static_assert(sizeof(struct {name}) == {name.upper()}_SIZE, "{name}");')
    (tmp_path / "check.c").write_text("\n".join(checks) + "\n")
    command = zig.compile_command("check.c", tmp_path / "check.o", tmp_path / "check.d", [out.include_dir], [])
    zig.run(command, cwd=tmp_path, env=zig.zig_environment(tmp_path / "zig-cache"))


# Building


def test_every_program_builds_to_a_riscv64_elf(built_programs: dict[str, Path]) -> None:
    assert sorted(built_programs) == list_programs()
    assert PROGRAMS_OTHER_TESTS_NEED <= set(built_programs)
    for path in built_programs.values():
        with path.open("rb") as f:
            elf = ELFFile(f)
            assert (elf.elfclass, elf["e_machine"], elf["e_type"]) == (64, "EM_RISCV", "ET_EXEC")


def test_path_maps_let_the_most_specific_prefix_win(monkeypatch: pytest.MonkeyPatch) -> None:
    # clang matches prefixes as strings and applies the last match: a venv beside the
    # tree (~/lamina-venv next to ~/lamina) must still map to "zig", not to "./-venv".
    tree, build, package = Path("/w/lamina"), Path("/w/lamina/build"), Path("/w/lamina-venv/lib/ziglang")
    monkeypatch.setattr(zig, "zig_lib_dir", lambda: package)
    assert zig.prefix_maps(tree, build) == [
        f"-ffile-prefix-map={tree}=.",
        f"-ffile-prefix-map={build}=build",
        f"-ffile-prefix-map={package}=zig",
    ]


def test_builds_are_byte_identical_wherever_tree_and_build_directory_are(
    built_programs: dict[str, Path], copied_tree_build: dict[str, Path]
) -> None:
    assert built_programs.keys() == copied_tree_build.keys()
    for name, path in built_programs.items():
        assert path.read_bytes() == copied_tree_build[name].read_bytes(), name


def test_programs_contain_no_absolute_paths(built_programs: dict[str, Path]) -> None:
    build_dir = next(iter(built_programs.values())).parent.parent
    for path in built_programs.values():
        data = path.read_bytes()
        assert str(REPO_ROOT).encode() not in data
        assert str(build_dir).encode() not in data
        assert str(zig.zig_lib_dir()).encode() not in data


def test_rebuild_without_changes_runs_no_command_and_touches_no_file(
    built_programs: dict[str, Path],
) -> None:
    build_dir = next(iter(built_programs.values())).parent.parent
    products = [p for p in build_dir.rglob("*") if p.is_file() and "zig-cache" not in p.parts]
    before = {p: p.stat().st_mtime_ns for p in products}
    messages, progress = recorder()
    assert build_all(build_dir, progress) == built_programs
    assert work_done(messages) == []
    assert {p: p.stat().st_mtime_ns for p in products} == before


def test_touching_a_source_without_changing_it_rebuilds_nothing(tmp_path: Path) -> None:
    root = make_small_tree(tmp_path / "tree")
    build_all(tmp_path / "build", source_root=root)
    os.utime(root / "userland" / "include" / "a.h")
    os.utime(root / "userland" / "bin" / "one.c")
    messages, progress = recorder()
    build_all(tmp_path / "build", progress, source_root=root)
    assert work_done(messages) == []


def test_editing_a_header_recompiles_exactly_the_files_that_include_it(tmp_path: Path) -> None:
    root = make_small_tree(tmp_path / "tree")
    build_all(tmp_path / "build", source_root=root)
    with (root / "userland" / "include" / "a.h").open("a") as header:
        header.write("int a_other(void);\n")
    messages, progress = recorder()
    build_all(tmp_path / "build", progress, source_root=root)
    assert compiled(messages) == {"userland/lib/a.c", "userland/bin/one.c"}


def test_changing_a_program_relinks_only_that_program(tmp_path: Path) -> None:
    root = make_small_tree(tmp_path / "tree")
    build_all(tmp_path / "build", source_root=root)
    (root / "userland" / "bin" / "two.c").write_text("int main(void) { return 7; }\n")
    messages, progress = recorder()
    build_all(tmp_path / "build", progress, source_root=root)
    assert work_done(messages) == ["compile userland/bin/two.c", "link bin/two"]


def test_a_damaged_program_is_made_again_not_taken_as_built(tmp_path: Path) -> None:
    from emulator.elf import read_elf

    root = make_small_tree(tmp_path / "tree")
    built = build_all(tmp_path / "build", source_root=root)
    whole = built["one"].read_bytes()
    built["one"].write_bytes(whole[:100])  # truncated, as by a full disk or a killed copy
    messages, progress = recorder()
    build_all(tmp_path / "build", progress, source_root=root)
    assert work_done(messages) == ["link bin/one"]
    assert built["one"].read_bytes() == whole
    read_elf(built["one"])


def test_a_truncated_executable_is_refused_saying_so_and_where(tmp_path: Path) -> None:
    from emulator.elf import ElfError, read_elf

    whole = build_program("hello").read_bytes()
    for size, words in ((40, "too short for an ELF header"), (100, "its program headers end at byte"),
                        (5000, "its section headers end at byte")):
        path = tmp_path / f"hello-{size}"
        path.write_bytes(whole[:size])
        with pytest.raises(ElfError) as caught:
            read_elf(path)
        assert str(caught.value).startswith(f"{path}: truncated: ") and words in str(caught.value)


def test_a_syntax_error_reports_the_compilers_message_with_file_and_line(tmp_path: Path) -> None:
    root = make_small_tree(tmp_path / "tree")
    (root / "userland" / "bin" / "broken.c").write_text("int main(void)\n{\n  return 0\n}\n")
    with pytest.raises(BuildError) as caught:
        build_program("broken", tmp_path / "build", source_root=root)
    message = str(caught.value)
    assert message.startswith("userland/bin/broken.c:3:11: error: expected ';'")
    assert message == caught.value.stderr
    assert not (tmp_path / "build" / "bin" / "broken").exists()


def test_an_unknown_program_is_refused_with_the_list_of_programs() -> None:
    with pytest.raises(UnknownProgram) as caught:
        build_program("no-such-program")
    assert "no-such-program" in str(caught.value)
    assert all(name in str(caught.value) for name in list_programs())


def test_several_programs_build_in_one_pass_that_checks_the_library_once(tmp_path: Path) -> None:
    steps: list[str] = []
    built = build_programs(["hello", "spin", "hello"], tmp_path, lambda done, total, what: steps.append(what))
    assert sorted(built) == ["hello", "spin"]
    assert built == {name: build_program(name, tmp_path) for name in ("hello", "spin")}
    library = [what for what in steps if "userland/lib/" in what]
    assert library and len(library) == len(set(library))  # each library source once
    with pytest.raises(UnknownProgram, match="no-such-program"):
        build_programs(["hello", "no-such-program"], tmp_path)


def test_build_directory_defaults_to_lamina_build_dir_or_repo_build(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.delenv("LAMINA_BUILD_DIR", raising=False)
    assert default_build_dir() == REPO_ROOT / "build"
    monkeypatch.setenv("LAMINA_BUILD_DIR", str(tmp_path))
    assert default_build_dir() == tmp_path.resolve()


# What the loader and the trap code rely on


def test_programs_have_text_rodata_and_data_segments_with_distinct_permissions(
    built_programs: dict[str, Path],
) -> None:
    for name, path in built_programs.items():
        segments = load_segments(path)
        assert [flags for _, _, flags in segments] == [R | X, R, R | W], name
        assert segments[0][0] == abi.USER_TEXT_BASE
        pages = [(vaddr // abi.PAGE_SIZE, (vaddr + memsz - 1) // abi.PAGE_SIZE) for vaddr, memsz, _ in segments]
        for (_, last), (first, _) in zip(pages, pages[1:]):
            assert last < first, f"{name}: two segments share a page"


def test_programs_enter_at_start_and_define_gp_and_end(built_programs: dict[str, Path]) -> None:
    for name, path in built_programs.items():
        with path.open("rb") as f:
            entry = ELFFile(f)["e_entry"]
        assert entry == symbol(path, "_start")[0] == abi.USER_TEXT_BASE, name
        data_vaddr, data_memsz, _ = load_segments(path)[-1]
        assert symbol(path, "_end")[0] == data_vaddr + data_memsz
        assert symbol(path, "__global_pointer$")[0] >= data_vaddr


def test_the_loaders_symbol_table_is_what_pyelftools_reads(built_programs: dict[str, Path]) -> None:
    from emulator.elf import read_elf

    wanted_types = ("STT_FUNC", "STT_NOTYPE", "STT_OBJECT")
    for name in ("sh", "fsd", "netd", "spin"):
        with built_programs[name].open("rb") as f:
            table = ELFFile(f).get_section_by_name(".symtab")
            expected = sorted({(s["st_value"], s["st_size"], s.name) for s in table.iter_symbols()
                               if s["st_info"]["type"] in wanted_types and s.name and s["st_value"]
                               and not s.name.startswith((".L", "$"))})
        assert read_elf(built_programs[name]).symbols == expected, name


def test_a_symbol_table_linked_to_a_missing_string_table_is_refused_by_name(
    built_programs: dict[str, Path], tmp_path: Path
) -> None:
    from emulator.elf import ElfError, read_elf

    raw = bytearray(built_programs["hello"].read_bytes())
    with built_programs["hello"].open("rb") as f:
        elf = ELFFile(f)
        index = next(i for i, sec in enumerate(elf.iter_sections()) if sec.name == ".symtab")
        header_at = elf["e_shoff"] + index * elf["e_shentsize"]
    SH_LINK = 40  # offset of sh_link in an Elf64_Shdr
    raw[header_at + SH_LINK:header_at + SH_LINK + 4] = (9999).to_bytes(4, "little")
    damaged = tmp_path / "hello"
    damaged.write_bytes(bytes(raw))
    with pytest.raises(ElfError, match=r"hello: malformed ELF: .*section 9999"):
        read_elf(damaged)


def test_the_compiler_emits_no_compressed_instructions(built_programs: dict[str, Path]) -> None:
    # The board runs compressed code (tests/test_compressed.py), but Lamina's own programs
    # are built RV64IMA so published instruction counts stay as they are; only rvc
    # carries compressed instructions, written by hand in assembly.
    decoder = Cs(CS_ARCH_RISCV, CS_MODE_RISCV64 | CS_MODE_RISCVC)
    for name, path in built_programs.items():
        if name == "rvc":
            continue
        base, text = text_of(path)
        assert len(text) % 4 == 0
        for offset in range(0, len(text), 4):
            word = text[offset : offset + 4]
            if name == "illegal" and word == bytes(4):
                continue  # the deliberate illegal instruction
            decoded = list(decoder.disasm(word, base + offset, count=1))
            assert decoded and decoded[0].size == 4, f"{name}: {word.hex()} at {base + offset:#x}"


def test_spin_loop_is_one_loop_without_calls(built_programs: dict[str, Path]) -> None:
    instructions = disassemble(built_programs["spin"], "spin_loop")
    backward = [(a, op) for a, m, op in instructions if m.startswith("b") and op.split(", ")[-1].startswith("-")]
    assert len(backward) == 1
    branch_address = backward[0][0]
    target = branch_address + int(backward[0][1].split(", ")[-1], 16)
    body = [m for a, m, _ in instructions if target <= a <= branch_address]
    assert "jal" not in body and "jalr" not in body
    assert "mul" in body


def test_fault_programs_contain_their_faulting_instruction(built_programs: dict[str, Path]) -> None:
    def main_of(name: str) -> list[tuple[int, str, str]]:
        return disassemble(built_programs[name], "main")

    assert 0 in [word for _, word in function_words(built_programs["illegal"], "main")]
    assert any(m == "ebreak" for _, m, _ in main_of("ebreak"))
    assert any(m == "csrw" and op.startswith("satp") for _, m, op in main_of("privileged"))
    assert any(m == "ld" and op.endswith("0(zero)") for _, m, op in main_of("nullderef"))


def test_default_disk_image_keeps_each_kind_of_program_in_its_own_directory(built_programs, tmp_path):
    import shutil
    import subprocess

    from toolchain.diskimage import build_disk_image
    from toolchain.ext2 import Ext2Image

    userland = Path(__file__).resolve().parent.parent / "userland"
    image = build_disk_image(built_programs, tmp_path)
    with Ext2Image(image) as fs:
        for kind in ("bin", "sbin", "demos", "tests", "bench"):
            names = [e.name.decode() for e in fs.listdir(f"/{kind}") if e.name not in (b".", b"..")]
            assert sorted(names) == sorted(p.stem for p in (userland / kind).glob("*.c")), kind
        assert "nullderef" not in [e.name.decode() for e in fs.listdir("/bin")]  # ls /bin: utilities only
        assert fs.read_file("/bin/hello") == built_programs["hello"].read_bytes()
        assert fs.read_file("/tests/kfuzz") == built_programs["kfuzz"].read_bytes()
    again = build_disk_image(built_programs, tmp_path / "again")
    assert again.read_bytes() == image.read_bytes()
    if shutil.which("e2fsck"):
        assert subprocess.run(["e2fsck", "-fn", str(image)], capture_output=True).returncode == 0


def test_two_builds_into_one_directory_at_once_both_succeed(tmp_path):
    from concurrent.futures import ThreadPoolExecutor

    from toolchain.build import build_program

    with ThreadPoolExecutor(2) as pool:
        paths = list(pool.map(lambda name: build_program(name, build_dir=tmp_path), ["hello", "spin"]))
    assert [p.name for p in paths] == ["hello", "spin"] and all(p.stat().st_size > 0 for p in paths)
