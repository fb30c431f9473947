"""The walking skeleton: programs boot, print, exit with a status, and are counted."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from guest import run
from lamina.report import stats_json


def test_hello_prints_greeting_and_arguments_and_exits_zero():
    r = run("hello world")
    assert "Hello from Lamina!" in r.text
    assert "argv[1] = world" in r.text
    assert r.result.exit_status == 0


def test_each_program_sees_its_own_argv():
    r = run("hello one", "hello two three")
    assert r.text.count("Hello from Lamina!") == 2
    assert "argv[1] = one" in r.text and "argv[2] = three" in r.text


def test_malloc_works_on_pages_from_the_kernel():
    r = run("malloctest")
    assert "malloc ok" in r.text
    assert r.result.exit_status == 0


def test_libc_selftest_passes():
    r = run("libctest")
    assert r.result.exit_status == 0, r.text


def test_all_frames_return_to_the_free_pool_after_the_run():
    r = run("hello", "malloctest", "nullderef")
    k = r.result.kernel
    assert k.frames.free_count == k.frames.nframes


def test_stats_json_is_byte_identical_across_runs():
    a = stats_json(run("spin 20000", "spin 10000", "nullderef", quantum=1000).result)
    b = stats_json(run("spin 20000", "spin 10000", "nullderef", quantum=1000).result)
    assert a == b
    record = json.loads(a)
    assert [d["status"] for d in record["domains"]] == [0, 0, 139]


def test_quantum_changes_the_schedule_but_not_the_counts():
    fine = run("spin 30000", "spin 30000", quantum=500).result
    coarse = run("spin 30000", "spin 30000", quantum=1_000_000).result
    assert fine.kernel.switches > coarse.kernel.switches
    assert [d.stats.instructions for d in fine.domains] == [d.stats.instructions for d in coarse.domains]


def test_native_and_python_clocks_count_identically():
    native = run("spin 5000", "malloctest", "nullderef", quantum=777)
    python = run("spin 5000", "malloctest", "nullderef", quantum=777, native=False)
    assert native.result.kernel.board.cpu.clock.native
    assert not python.result.kernel.board.cpu.clock.native
    assert stats_json(native.result) == stats_json(python.result)


def lamina(*args: str) -> subprocess.CompletedProcess:
    """The lamina command, as a user runs it."""
    return subprocess.run([sys.executable, "-m", "lamina.cli", *args], capture_output=True, text=True)


def test_cli_runs_hello_and_exits_with_its_status():
    p = lamina("run", "hello", "world")
    assert p.returncode == 0
    assert "argv[1] = world" in p.stdout


def test_cli_exit_status_of_a_killed_program_is_139():
    p = lamina("run", "nullderef")
    assert p.returncode == 139
    assert "killed: load page fault" in p.stderr


def test_cli_unknown_program_lists_the_available_ones():
    p = lamina("run", "no-such-program")
    assert p.returncode == 2
    assert "unknown program 'no-such-program'" in p.stderr
    assert "hello" in p.stderr and "spin" in p.stderr


def test_cli_stats_json_file_is_written(tmp_path):
    out = tmp_path / "stats.json"
    p = lamina("run", "--stats", "--stats-json", str(out), "spin", "1000", "+", "hello")
    assert p.returncode == 0
    record = json.loads(out.read_text())
    assert [d["program"] for d in record["domains"]] == ["spin", "hello"]
    assert "instructions" in p.stderr  # the --stats table


@pytest.mark.parametrize("words", [["+"], ["hello", "+"], ["+", "hello"], ["hello", "+", "+", "spin"]])
def test_cli_rejects_empty_programs_around_plus(words):
    p = lamina("run", *words)
    assert p.returncode == 2
    assert "empty program" in p.stderr


def test_a_reader_closing_the_pipe_ends_the_output_not_the_machine():
    # `lamina run hello ... | head -1`: the reader goes after one line; the guest prints on
    # (printwrite prints 1.3 MB of lines, far past what a pipe holds)
    proc = subprocess.Popen([sys.executable, "-m", "lamina.cli", "run", "printwrite", "100000"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stdout.readline().endswith(b"\n")
    proc.stdout.close()
    _, err = proc.communicate()
    assert proc.returncode == 0, err.decode()
    assert b"Traceback" not in err and b"kernel error" not in err and b"BrokenPipe" not in err
