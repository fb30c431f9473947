"""Booting to the shell (issue 5): init starts /bin/sh from the disk, the shell runs the
utilities in /bin as processes (fork, execv), and when it exits init has the file
server write everything back and stop, so the machine halts with a clean disk.

Each test boots configs/default.toml as `lamina run` does, on its own copy of a disk
image holding every program in /bin, types a script into the console, and checks what
a user would see: the console, the exit status, and the image afterwards.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import threading
from dataclasses import dataclass
from pathlib import Path

import pytest

from fs_images import assert_clean, read_back
from lamina.hostconsole import TerminalInput
from lamina.system import RunOptions, RunResult, run_config, shell_system
from toolchain.ext2 import Ext2Image


@pytest.fixture(scope="module")
def disk_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A disk image with every program in /bin, made once (never build/disk.img, which
    a test must not write to)."""
    from toolchain.build import build_all, default_build_dir
    from toolchain.diskimage import build_disk_image

    return build_disk_image(build_all(default_build_dir()), tmp_path_factory.mktemp("disk"))


@dataclass
class Session:
    """What a shell session showed: the console, the run, the image it wrote."""

    output: bytes
    log: list[str]
    result: RunResult
    image: Path

    @property
    def text(self) -> str:
        return self.output.decode(errors="replace")

    @property
    def lines(self) -> list[str]:
        return self.text.splitlines()

    @property
    def status(self) -> int:
        return self.result.exit_status


def session(disk_image: Path, tmp_path: Path, script: str, **kw) -> Session:
    """Boot to the shell on a copy of the image, type script, run to the end."""
    image = tmp_path / "disk.img"
    shutil.copyfile(disk_image, image)
    out = bytearray()
    log: list[str] = []
    options = RunOptions(console_sink=out.extend, log=log.append, disk=image,
                         console_input=script.encode(), **kw)
    result = run_config(shell_system(options), options)
    return Session(bytes(out), log, result, image)


@pytest.fixture
def sh(disk_image: Path, tmp_path: Path):
    """session() on this test's own copy of the image."""
    return lambda script, **kw: session(disk_image, tmp_path, script, **kw)


def names_in(image: Path, directory: str) -> list[str]:
    """The names in a directory of the image, without "." and ".."."""
    with Ext2Image(image) as fs:
        names = (e.name.decode() for e in fs.listdir(directory))
        return sorted(n for n in names if n not in (".", ".."))


def test_ls_bin_piped_to_wc_counts_every_program_in_bin(sh, disk_image: Path) -> None:
    s = sh("ls /bin | wc -l\n")
    assert [int(n) for n in s.lines] == [len(names_in(disk_image, "/bin"))]
    assert s.status == 0


def test_output_redirected_to_a_file_reaches_the_disk_and_the_image_stays_clean(sh) -> None:
    s = sh("echo hi > f; cat f\n")
    assert s.lines == ["hi"]
    assert read_back(s.image, "/f") == b"hi\n"
    assert_clean(s.image)


def test_double_redirection_appends(sh) -> None:
    s = sh("echo one > f\necho two >> f\necho three >> f\ncat f\n")
    assert s.lines == ["one", "two", "three"]


def test_input_redirection_reads_a_file(sh) -> None:
    s = sh("echo 'a b c' > f; wc -w < f; grep b < f\n")
    assert [line.strip() for line in s.lines] == ["3", "a b c"]


def test_a_pipeline_of_three_programs(sh, disk_image: Path) -> None:
    s = sh("ls /bin | grep s | wc -l\n")
    assert [int(n) for n in s.lines] == [sum("s" in n for n in names_in(disk_image, "/bin"))]


def test_false_sets_status_1_and_true_0(sh) -> None:
    s = sh("false; echo $?\ntrue\necho $?\n")
    assert s.lines == ["1", "0"]


def test_an_unknown_command_is_reported_with_status_127(sh) -> None:
    s = sh("nosuchcommand a b; echo $?\n")
    assert s.lines == ["sh: nosuchcommand: command not found", "127"]


def test_quotes_keep_blanks_and_double_quotes_expand_status(sh) -> None:
    s = sh("""false; echo 'a  $? b' "c  $?" d\\ e '' "it's" # not this\n""")
    assert s.lines == ["a  $? b c  1 d e  it's"]


def test_a_syntax_error_is_reported_with_status_2_and_the_shell_goes_on(sh) -> None:
    s = sh("echo 'open\necho $?\necho a | | b\necho $?\n")
    assert s.lines == ["sh: syntax error: unterminated quote", "2", "sh: syntax error near '|'", "2"]


def test_and_or_lists_run_on_the_previous_status(sh) -> None:
    s = sh("false && echo no || echo yes; true && echo also\n")
    assert s.lines == ["yes", "also"]


def test_cd_changes_the_directory_that_relative_paths_start_from(sh) -> None:
    s = sh("mkdir dir\ncd dir\necho x > f\npwd\nls\ncd ..\ncat dir/f\nls /dir\ncd /nope\necho $?\n")
    assert s.lines == ["/dir", "f", "x", "f", "sh: cd: /nope: no such file or directory", "1"]


def test_mkdir_mv_rm_change_the_tree(sh, disk_image: Path) -> None:
    s = sh("mkdir -p a/b\necho x > a/b/f\nmv a/b/f a/g\nls a\nrm a\necho $?\nrm -r a\nls\n")
    assert s.lines == ["b", "g", "rm: a: is a directory", "1", *names_in(disk_image, "/")]
    assert_clean(s.image)


def test_grep_exits_1_when_nothing_matched(sh) -> None:
    s = sh("echo abc > f\ngrep zzz f; echo $?\ngrep b f; echo $?\ngrep x nofile; echo $?\n")
    assert s.lines == ["1", "abc", "0", "grep: nofile: no such file or directory", "2"]


def test_a_background_job_runs_while_the_shell_goes_on_and_wait_reports_it(sh) -> None:
    s = sh("sleep 300000 &\necho started\nwait $!\necho waited $?\n")
    assert s.lines[0] == "started"
    assert re.fullmatch(r"sleep: asked 300000, slept \d+", s.lines[1])
    assert s.lines[2] == "waited 0"


def test_wait_reports_each_job_once(sh) -> None:
    s = sh("sleep 1000 &\nwait $!; echo $?\nwait $!; echo $?\n")
    assert re.fullmatch(r"sleep: asked 1000, slept \d+", s.lines[0])
    assert s.lines[1] == "0"
    assert re.fullmatch(r"sh: wait: \d+: not a job of this shell", s.lines[2])
    assert s.lines[3] == "127"


@pytest.mark.parametrize("signal,status", [("", 143), ("-9", 137)])
def test_kill_ends_a_background_job_and_wait_shows_the_signal(sh, signal: str, status: int) -> None:
    s = sh(f"sleep 100000000 &\nkill {signal} $!\nwait $!\necho $?\n")
    assert s.lines == [str(status)]  # 128 + SIGTERM or SIGKILL; sleep never printed


def test_ps_lists_init_the_file_server_the_shell_and_itself_by_name(sh) -> None:
    s = sh("ps\n")
    rows = {f[-1]: f for f in (line.split() for line in s.lines[1:])}
    assert s.lines[0].split() == ["PID", "PPID", "STATE", "PAGES", "INSTRUCTIONS", "COMMAND"]
    assert sorted(rows) == ["fsd", "init", "netd", "ps", "sh"]
    assert rows["init"][:2] == ["1", "0"]  # booted first, by the kernel
    assert rows["fsd"][1] == rows["netd"][1] == "0"  # servers booted by the kernel
    assert rows["sh"][1] == "1"  # init's child, after exec
    assert rows["ps"][1] == rows["sh"][0] and rows["ps"][2] == "runnable"


def test_a_program_that_only_uses_printf_follows_a_redirected_stdout(sh) -> None:
    s = sh("ps | grep init\nhello > h; wc -l < h\n")
    assert [line.split()[-1] for line in s.lines[:-1]] == ["init"]
    assert s.lines[-1].strip() == "3"


def test_a_fault_after_exec_names_the_new_program_and_its_source_line(sh) -> None:
    s = sh("/demos/nullderef\necho $?\n")
    [line] = [x for x in s.log if "killed" in x]
    assert "(nullderef)" in line and "nullderef.c:" in line and "<main+" in line
    assert s.lines[-1] == "139"


def bomb_size(s: Session) -> int:
    """How many processes forkbomb said its bomb reached."""
    said = [line for line in s.lines if line.startswith("forkbomb: the bomb stopped growing at ")]
    assert len(said) == 1, s.text
    return int(said[0].split()[6])


def test_a_fork_bomb_is_contained_by_its_quota_and_the_shell_survives(sh) -> None:
    s = sh("/demos/forkbomb 400\necho alive $?\nls /bin | wc -l\n")
    assert 10 < bomb_size(s) < 400 // 8  # each process holds several pages
    assert s.lines[1] == "alive 0" and int(s.lines[2]) > 10
    assert s.status == 0
    k = s.result.kernel
    assert k.frames.free_count == k.frames.nframes  # every process was reaped


@pytest.mark.stress
def test_a_fork_bomb_under_the_shells_own_job_quota_leaves_the_shell_usable(sh) -> None:
    s = sh("/demos/forkbomb\necho alive $?\n")
    assert bomb_size(s) > 100
    assert s.lines[-1] == "alive 0"
    assert s.status == 0


def test_jobs_left_running_when_the_shell_exits_are_ended_and_reaped_by_init(sh) -> None:
    s = sh("sleep 100000000 &\nsleep 100000000 | cat &\necho bye\n")
    assert s.lines == ["bye"]
    assert s.status == 0
    k = s.result.kernel
    assert not k.live_domains
    assert k.frames.free_count == k.frames.nframes
    assert_clean(s.image)


def test_exit_status_of_the_shell_is_the_machines(sh) -> None:
    assert sh("exit 3\necho never\n").status == 3
    assert sh("false\n").status == 1


def test_interactive_shell_prompts_and_the_machine_waits_for_typed_lines(disk_image: Path, tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    shutil.copyfile(disk_image, image)
    read_end, write_end = os.pipe()
    typed = os.fdopen(write_end, "wb", buffering=0)
    out = bytearray()
    lines = iter([b"echo one\n", b"echo two > f; cat f\n", b"exit 4\n"])

    def console(data: bytes) -> None:
        # A person reads the prompt before typing the next line: so the machine must
        # have waited for each line instead of halting.
        out.extend(data)
        if out.endswith(b"$ "):
            typed.write(next(lines, b""))

    options = RunOptions(console_sink=console, log=lambda line: None, disk=image,
                         console_terminal=TerminalInput(os.fdopen(read_end, "rb", buffering=0)))
    result = run_config(shell_system(options, interactive=True), options)
    typed.close()
    assert out.decode() == "$ one\n$ two\n$ "
    assert result.exit_status == 4
    assert_clean(image)


def test_cli_runs_piped_commands_and_exits_0_with_a_clean_image(disk_image: Path, tmp_path: Path) -> None:
    image = tmp_path / "disk.img"
    shutil.copyfile(disk_image, image)
    done = subprocess.run([sys.executable, "-m", "lamina.cli", "run", "--disk", str(image)],
                          input="echo hello > greeting; cat greeting\n", capture_output=True, text=True)
    assert done.stdout == "hello\n", done.stderr
    assert done.returncode == 0
    assert read_back(image, "/greeting") == b"hello\n"
    assert_clean(image)


@pytest.mark.skipif(sys.platform == "win32", reason="the pty module is POSIX-only")
def test_cli_on_a_terminal_prompts_waits_for_lines_and_exits_with_the_shells_status(
        disk_image: Path, tmp_path: Path) -> None:
    import pty
    import select
    import time

    image = tmp_path / "disk.img"
    shutil.copyfile(disk_image, image)
    pid, terminal = pty.fork()
    if pid == 0:  # the child: lamina run on the pseudo-terminal
        os.execv(sys.executable, [sys.executable, "-m", "lamina.cli", "run", "--disk", str(image)])
    seen = bytearray()

    def until(text: bytes) -> None:
        """Read the terminal until text has appeared (the test's only use of real time)."""
        deadline = time.monotonic() + 60
        while text not in seen and time.monotonic() < deadline:
            if select.select([terminal], [], [], 0.5)[0]:
                try:
                    seen.extend(os.read(terminal, 4096))
                except OSError:
                    break

    until(b"$ ")
    os.write(terminal, b"echo typed > f; cat f\n")
    until(b"typed\r\n$ ")
    os.write(terminal, b"exit 5\n")
    until(b"\0")  # to the end
    _, status = os.waitpid(pid, 0)
    assert b"typed\r\n$ " in seen and b"Error" not in seen
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 5
    assert read_back(image, "/f") == b"typed\n"
    assert_clean(image)


def test_clients_that_end_without_closing_their_files_give_the_file_server_back_its_slots(sh) -> None:
    # Each wc holds /www/index.html open through its standard input and ends without
    # closing it; so does each sleep, killed while it holds it. None of them may leave
    # the file server unable to serve the next command.
    killed = "sleep 100000000 < /www/index.html &\nkill -9 $!\nwait $!\n" * 20
    s = sh("wc -c < /www/index.html\n" * 40 + killed + "wc -c < /www/index.html\n")
    counts = [line.strip() for line in s.lines if "too many" not in line and line.strip().isdigit()]
    assert "too many open files" not in s.text and "out of memory" not in s.text, s.text
    assert len(counts) == 41 and len(set(counts)) == 1


def test_with_a_disk_fsd_cannot_mount_init_says_the_file_server_is_not_running(tmp_path: Path) -> None:
    image = tmp_path / "garbage.img"
    image.write_bytes(b"\xff" * (4 << 20))
    out = bytearray()
    options = RunOptions(console_sink=out.extend, log=lambda line: None, disk=image, console_input=b"ls\n")
    result = run_config(shell_system(options), options)
    lines = out.decode().splitlines()
    assert lines[0].startswith("fsd: cannot mount the disk: bad magic number")
    assert lines[1:] == ["init: cannot run /bin/sh: the file server is not running"]
    assert result.exit_status == 127


def test_stats_and_trace_name_each_program_after_its_exec_and_its_parent(disk_image: Path, tmp_path: Path) -> None:
    from lamina.report import stats_record
    from lamina.trace import ChromeTrace

    tracer = ChromeTrace()
    s = session(disk_image, tmp_path, "ls /bin | wc -l; cat /www/index.html\n", tracer=tracer)
    domains = {d["id"]: d for d in stats_record(s.result)["domains"]}
    shell = next(d for d in domains.values() if d["name"] == "sh")
    children = sorted((d["argv"], d["parent"]) for d in domains.values() if d["parent"] == shell["id"])
    assert children == [(["cat"], shell["id"]), (["ls"], shell["id"]), (["wc"], shell["id"])]
    assert shell["parent"] == next(d["id"] for d in domains.values() if d["name"] == "init")
    tracks = {e["tid"]: e["args"]["name"] for e in tracer.document()["traceEvents"] if e.get("name") == "thread_name"}
    assert {tracks[d["id"]] for d in domains.values() if d["parent"] == shell["id"]} == \
        {f"domain {d['id']} ({d['argv'][0]})" for d in domains.values() if d["parent"] == shell["id"]}
