"""Loading programs at user level (issue 5): execv and spawnv in userland/lib (image.c,
exec.c, exec.S, spawn.c) read executables through the real file server from a real
ext2 image, checked and staged before anything of the caller changes.

One run of exectest (userland/tests/exectest.c) does the work: it tries to exec
each damaged executable below, then forks children that exec, chains execs, passes
descriptors and a pipe across an exec, and spawns. The tests read its report.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest

from fs_images import fs_system
from guest import run, run_system
from reported import reported
from toolchain.build import build_program
from toolchain.ext2 import Ext2Image, MkfsOptions, make_filesystem

ENOENT, E2BIG, ENOEXEC, EACCES = -2, -7, -8, -13
STACK_BOTTOM = 0x4000_0000 - 16 * 4096
PHDR = struct.Struct("<IIQQQQQQ")  # type, flags, offset, vaddr, paddr, filesz, memsz, align
DAMAGE = ["notelf", "empty", "truncated_header", "truncated_text", "class32", "bigendian", "x86",
          "relocatable", "hard_float", "phoff_past_end", "too_many_phdrs", "segment_past_file",
          "segment_on_page0", "segment_into_stack", "segment_wraps", "segments_overlap",
          "filesz_over_memsz", "interpreter", "entry_in_data", "entry_unaligned"]


def phdrs(elf: bytes) -> list[list[int]]:
    """The program headers of elf, each as a mutable list of its fields."""
    phoff, = struct.unpack_from("<Q", elf, 32)
    phnum, = struct.unpack_from("<H", elf, 56)
    return [list(PHDR.unpack_from(elf, phoff + i * PHDR.size)) for i in range(phnum)]


def with_phdr(elf: bytes, index: int, **fields: int) -> bytes:
    """elf with program header index changed (fields named as in PHDR)."""
    names = ["type", "flags", "offset", "vaddr", "paddr", "filesz", "memsz", "align"]
    ph = phdrs(elf)[index]
    for name, value in fields.items():
        ph[names.index(name)] = value
    phoff, = struct.unpack_from("<Q", elf, 32)
    out = bytearray(elf)
    PHDR.pack_into(out, phoff + index * PHDR.size, *ph)
    return bytes(out)


def patched(elf: bytes, offset: int, fmt: str, value: int) -> bytes:
    """elf with the field at offset (struct format fmt) set to value."""
    out = bytearray(elf)
    struct.pack_into(fmt, out, offset, value)
    return bytes(out)


def damaged(elf: bytes) -> dict[str, bytes]:
    """Ways an executable can be wrong, each of which execv must refuse (ENOEXEC)."""
    loads = [i for i, ph in enumerate(phdrs(elf)) if ph[0] == 1]
    text, data = loads[0], loads[-1]
    text_va = phdrs(elf)[text][3]
    data_va = phdrs(elf)[data][3]
    return {
        "notelf": b"#!/bin/sh\necho not an ELF file\n",
        "empty": b"",
        "truncated_header": elf[:40],
        "truncated_text": elf[:0x1800],
        "class32": patched(elf, 4, "<B", 1),
        "bigendian": patched(elf, 5, "<B", 2),
        "x86": patched(elf, 18, "<H", 62),
        "relocatable": patched(elf, 16, "<H", 1),
        "hard_float": patched(elf, 48, "<I", 4),  # EF_RISCV_FLOAT_ABI_DOUBLE: FP is off
        "phoff_past_end": patched(elf, 32, "<Q", len(elf) + 4096),
        "too_many_phdrs": patched(elf, 56, "<H", 500),
        "segment_past_file": with_phdr(elf, text, filesz=len(elf), memsz=len(elf)),
        "segment_on_page0": with_phdr(elf, text, vaddr=0),
        "segment_into_stack": with_phdr(elf, data, vaddr=STACK_BOTTOM - 4096, memsz=3 * 4096),
        "segment_wraps": with_phdr(elf, data, memsz=(1 << 64) - 4096),
        "segments_overlap": with_phdr(elf, data, vaddr=text_va + 4096),
        "filesz_over_memsz": with_phdr(elf, text, memsz=16),
        "interpreter": with_phdr(elf, data, type=3),
        "entry_in_data": patched(elf, 24, "<Q", data_va),
        "entry_unaligned": patched(elf, 24, "<Q", text_va + 2),
    }


@pytest.fixture(scope="module")
def image(tmp_path_factory) -> Path:
    """An ext2 image with /tests/exectest, /bin/{true,echo}, /data.txt, and bad executables
    in /bad (mode 0755, except /bad/not_executable: a good program, mode 0644)."""
    path = tmp_path_factory.mktemp("exec") / "disk.img"
    make_filesystem(path, MkfsOptions(size=8 << 20, block_size=1024))
    true = build_program("true").read_bytes()
    with Ext2Image(path, writable=True) as fs:
        for directory in ("/bin", "/tests", "/bad"):
            fs.mkdir(directory, 0o755)
        fs.write_file("/tests/exectest", build_program("exectest").read_bytes(), 0o755)
        for name in ("true", "echo"):
            fs.write_file(f"/bin/{name}", build_program(name).read_bytes(), 0o755)
        fs.write_file("/data.txt", b"abcdefghijklmnop\n")
        for name, data in damaged(true).items():
            fs.write_file(f"/bad/{name}", data, 0o755)
        fs.write_file("/bad/not_executable", true, 0o644)
    return path


MAIN = ["exectest", "-F", "@fsd", "main", *(f"/bad/{name}" for name in [*DAMAGE, "not_executable"])]


@pytest.fixture(scope="module")
def main_run(image: Path):
    """One run of `exectest main` with every bad executable; the GuestRun."""
    r = run_system(fs_system(image, MAIN))
    assert r.domain(1).exit_status == 0, r.text + "\n".join(r.log)
    return r


@pytest.fixture(scope="module")
def w(main_run) -> dict:
    return reported(main_run.text)


def test_exec_of_a_missing_file_or_a_directory_returns_an_error(w: dict) -> None:
    assert w["refuse.missing"] == ENOENT
    assert w["refuse.directory"] == EACCES


@pytest.mark.parametrize("name", DAMAGE)
def test_a_damaged_executable_is_refused_with_enoexec(w: dict, name: str) -> None:
    assert w[f"refuse.{name}"] == ENOEXEC


def test_every_kind_of_damage_is_tried() -> None:
    assert sorted(damaged(build_program("true").read_bytes())) == sorted(DAMAGE)


def test_a_program_without_execute_permission_is_refused_with_eacces(w: dict) -> None:
    assert w["refuse.not_executable"] == EACCES


def test_too_many_arguments_is_e2big(w: dict) -> None:
    assert w["refuse.too_many_args"] == E2BIG


def test_refused_execs_leave_the_program_intact(w: dict) -> None:
    assert w["refuse.memory_intact"] == 1  # data and heap as they were; it ran on


def test_argv_reaches_the_new_program_exactly(main_run) -> None:
    expected = ["exectest", "args", "", "two words", "", "x" * 1000] + [f"a{i}" for i in range(6, 32)]
    lines = main_run.text.split("args.status = ")[0].split("args.argc = 32\n")[1].splitlines()
    assert lines == [f"args.{i} = [{a}]" for i, a in enumerate(expected)]
    assert reported(main_run.text)["args.status"] == 32  # main's return value, through wait


def test_an_exec_chain_keeps_the_pid_and_the_parent(w: dict, main_run) -> None:
    pid = w["chain.first_pid"]
    for n in range(4):
        assert (w[f"chain.{n}.pid"], w[f"chain.{n}.ppid"]) == (pid, w["pid"])
    assert "chain  done\n" in main_run.text  # the last link exec'd /bin/echo
    assert w["chain.status"] == 0


def test_a_relative_path_is_found_from_the_current_directory_which_exec_keeps(w: dict) -> None:
    assert w["relative.chdir"] == 0 and w["relative.status"] == 0
    assert w["cwd.after_exec"] == "/tests"


def test_a_spawned_child_starts_in_its_parents_current_directory(w: dict) -> None:
    assert w["cwd.spawned"] == "/bin"


def test_without_a_file_server_exec_and_spawn_return_enodev() -> None:
    r = run(["exectest", "nofs"])
    assert r.result.exit_status == 0, r.text
    w = reported(r.text)
    assert (w["nofs.exec"], w["nofs.spawn"]) == (-19, -19)


def test_a_file_offset_and_a_pipe_on_stdout_survive_exec(w: dict) -> None:
    assert w["fds.first_read_is_abcd"] == 1 and w["fds.pipe"] == 0
    # the exec'd child read on from the offset, and its printf went into the pipe
    pid = w["fds.child_pid"]
    assert w["fds.through_pipe"] == f"read=efgh n=4 pid={pid} ppid={w['pid']}|"
    assert w["fds.child_status"] == 42


def test_children_forked_before_an_exec_are_waited_for_after_it(w: dict) -> None:
    assert (w["reap.wait_is_pid"], w["reap.status"], w["reap.exec_status"]) == (1, 7, 0)


def test_spawn_starts_a_child_with_argv_and_wait_sees_its_status(w: dict) -> None:
    assert w["spawn.is_child"] == 1 and w["spawn.wait_is_pid"] == 1
    assert w["spawn.status"] == 4  # "exectest args spawned ''": argc
    assert w["spawn.missing"] == ENOENT


def test_a_spawned_child_inherits_a_redirected_stdout(w: dict) -> None:
    assert w["spawn.through_pipe"] == "spawned into a pipe"
    assert w["spawn.pipe_child_status"] == 0


def test_spawn_costs_less_than_fork_and_exec(w: dict) -> None:
    assert w["cost.true_status"] == 0
    assert 0 < w["cost.spawn_wait"] < w["cost.fork_exec_wait"]


def test_no_process_was_killed(main_run) -> None:
    assert not any("killed" in line for line in main_run.log), main_run.log


def test_a_program_booted_by_the_kernel_can_exec(image: Path) -> None:
    r = run_system(fs_system(image, ["exectest", "-F", "@fsd", "chain", "1", "booted", "then", "exec'd"]))
    assert r.domain(1).exit_status == 0, r.text + "\n".join(r.log)
    w = reported(r.text)
    assert w["chain.1.pid"] == w["chain.0.pid"] == 2 and w["chain.1.ppid"] == 0
    assert "booted then exec'd\n" in r.text


def test_an_exec_costs_the_same_every_run(image: Path, w: dict) -> None:
    again = reported(run_system(fs_system(image, MAIN)).text)
    assert again["cost.fork_exec_wait"] == w["cost.fork_exec_wait"]
    assert again["cost.spawn_wait"] == w["cost.spawn_wait"]
