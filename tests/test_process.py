"""The Unix process model as a library OS (issue 5): fork with user-level
copy-on-write, wait/exit/kill, and file descriptors over the console and the file
service, all in userland/lib (fork.c, wait.c, fd.c, proc.c) on the kernel's calls.

Each test runs a real program (userland/tests/) and checks what it printed, its
exit status, and that every frame came back once the run ended.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fs_images import fs_system, python_mkfs, read_back
from guest import run, run_system, shared
from reported import reported


def finished(*command: str, **kw):
    """Run command to its end; assert exit 0 and every frame free; the run."""
    r = run(list(command), **kw)
    assert r.result.exit_status == 0, r.text + "\n".join(r.log)
    k = r.result.kernel
    assert k.frames.free_count == k.frames.nframes
    return r


def test_forked_children_each_exit_status_is_waited_for_exactly_once() -> None:
    r = finished("forktest", "6")
    assert "forktest: reaped 6 children, 0 bad, then wait returned -10" in r.text
    for i in range(6):
        assert f"forktest: child {i} is pid {i + 2}, parent 1" in r.text


@pytest.mark.parametrize("pages,written", [(16, 5), (32, 0), (8, 8)])
def test_only_pages_written_after_fork_are_copied(pages: int, written: int) -> None:
    r = finished("cowtest", str(pages), str(written))
    assert f"cowtest: child copied {written} pages for {written} writes to {pages} pages" in r.text
    assert "cowtest: child read 0 wrong bytes" in r.text


@pytest.mark.parametrize("written", [5, 16])
def test_pages_nobody_else_maps_are_taken_back_without_a_copy(written: int) -> None:
    """After the child has ended, the parent alone maps its marked pages: page_map lets
    a domain widen a frame only it maps, so a write takes the page back, no copy."""
    r = finished("cowtest", "16", str(written))
    assert f"cowtest: parent took back {written} pages, copied 0, for {written} writes" in r.text


def test_a_childs_writes_never_reach_the_parents_pages() -> None:
    r = finished("cowtest", "16", "16")
    assert "cowtest: parent sees 0 pages changed, child exit 0" in r.text


@pytest.fixture(scope=shared)
def w() -> dict:
    """What waittest reported (it runs once for all the tests that read it)."""
    return reported(finished("waittest").text)


def test_a_child_killed_by_a_fault_reads_as_signalled_with_sigsegv(w: dict) -> None:
    assert (w["fault.wait_is_pid"], w["fault.signalled"], w["fault.signal"]) == (1, 1, 11)


def test_kill_ends_a_spinning_child_and_wait_reports_the_signal(w: dict) -> None:
    assert w["kill.nohang"] == 0  # WNOHANG while it still spins
    assert (w["kill.kill"], w["kill.wait_is_pid"], w["kill.signalled"], w["kill.signal"]) == (0, 1, 1, 15)
    assert w["kill.again"] == -3  # ESRCH: it is gone


def test_kill_needs_authority_over_the_target(w: dict) -> None:
    assert w["kill.self"] == -22  # EINVAL
    assert w["kill.parent_refused"] == 1  # a child gets EPERM killing its parent


def test_an_orphan_is_adopted_and_reaped_by_its_grandparent(w: dict) -> None:
    assert w["orphan.parent_wait_is_pid"] == 1 and w["orphan.parent_status"] == 7
    assert w["orphan.new_parent"] == w["pid"]
    assert (w["orphan.reaped_other_pid"], w["orphan.exited"], w["orphan.status"]) == (1, 1, 42)
    assert w["wait.none_left"] == -10  # ECHILD: every child was reported once


def test_echo_writes_its_arguments_to_standard_output() -> None:
    assert finished("echo", "hello,", "process", "model").output == b"hello, process model\n"


def test_true_and_false_exit_0_and_1() -> None:
    assert run(["true"]).result.exit_status == 0
    assert run(["false"]).result.exit_status == 1


def test_cat_without_files_copies_console_input_to_its_end() -> None:
    r = finished("cat", console_input=b"line one\nline two\n")
    assert r.output == b"line one\nline two\n"


def file_system(tmp_path: Path, *clients: list[str]):
    image = python_mkfs(tmp_path / "disk.img", 4 << 20, 1024,
                        {"/hello.txt": b"hello from a file\n", "/abc.txt": b"abcdefghijklmnopqrstuvwxyz\n"})
    return image, run_system(fs_system(image, *clients))


def test_cat_reads_files_through_descriptors_on_the_file_server(tmp_path: Path) -> None:
    _, r = file_system(tmp_path, ["cat", "-F", "@fsd", "/hello.txt", "/abc.txt", "/missing"])
    assert "hello from a file\nabcdefghijklmnopqrstuvwxyz\n" in r.text
    assert "cat: /missing: ENOENT" in r.text
    assert r.domain(1).exit_status == 1


def test_descriptors_share_offsets_through_dup_and_fork_and_redirect_with_dup2(tmp_path: Path) -> None:
    image, r = file_system(tmp_path, ["fdtest", "-F", "@fsd", "/abc.txt", "/out.txt"])
    assert r.domain(1).exit_status == 0, r.text + "\n".join(r.log)
    w = reported(r.text)
    assert (w["read.first"], w["read.dup"]) == ("abcd", "efgh")  # dup shares the offset
    assert w["read.child"] == "ijkl"  # the child goes on from the parent's offset
    assert w["read.parent_after_child"] == "ijkl"  # ... which is the parent's own
    assert (w["close"], w["close.again"], w["read.dup_after_close"]) == (0, -9, "mnop")
    assert w["redirect.dup2"] == 1 and w["redirect.console_seek"] == -29  # ESPIPE
    expected = b"written through fd 1\nprinted through fd 1\n"  # write(1, ...), then printf
    assert w["redirect.size"] == len(expected)
    assert w["bad_fd"] == -9
    assert "through fd 1" not in r.text
    assert read_back(image, "/out.txt") == expected


@pytest.fixture(scope=shared)
def pipes() -> dict:
    """What pipetest reported (one run, 20000 bytes: five times the ring)."""
    return reported(finished("pipetest", "20000").text)


def test_a_childs_output_through_a_pipe_reaches_the_parent_in_order(pipes: dict) -> None:
    assert pipes["stream.pipe"] == 0
    assert (pipes["stream.bytes"], pipes["stream.wrong_bytes"]) == (20000, 0)
    assert pipes["stream.last_read"] == 0  # the end, once the writer exited
    assert pipes["stream.writer_status"] == 0
    assert pipes["stream.seek"] == -29  # ESPIPE


def test_a_reader_sees_the_end_when_the_writer_is_killed_without_closing(pipes: dict) -> None:
    assert pipes["killed.first_read"] == 1
    assert pipes["killed.read_after_kill"] == 0
    assert pipes["killed.signal"] == 9


def test_writing_a_pipe_without_readers_is_epipe(pipes: dict) -> None:
    assert pipes["noreader.write"] == -32
    assert pipes["noreader.read_write_end"] == -9  # EBADF


def fork_cost(pages: int, fill: int) -> tuple[int, int]:
    """Instructions and system calls of one fork + exit + wait, by difference of runs."""
    from guest import run as run_programs

    def totals(n: int) -> tuple[int, int]:
        ds = run_programs(f"forkexit {n} {pages} {fill}").result.kernel.domains.values()
        return sum(d.stats.instructions for d in ds), sum(d.stats.syscalls for d in ds)

    (i1, s1), (i3, s3) = totals(1), totals(3)
    return (i3 - i1) // 2, (s3 - s1) // 2


def test_fork_cost_depends_neither_on_bytes_nor_much_on_pages():
    small, full = fork_cost(64, 1), fork_cost(64, 4000)
    assert small == full  # copy-on-write: the bytes in the pages are never touched
    bigger = fork_cost(256, 1)
    # A region is one query and a map call or two, whatever its size: 192 more pages
    # add at most a query of the next QUERY_PAGES (256) and its runs' two calls...
    assert bigger[1] - small[1] <= 3
    # ... and the guest only looks at their query bytes: a few instructions a page.
    assert bigger[0] - small[0] < 20 * (256 - 64)


@pytest.mark.parametrize("slack", [12, 40, 100, 400])
def test_fork_at_the_quota_fails_with_enomem_and_the_parent_lives_on(slack: int) -> None:
    # Before: the fork succeeded, and the parent died on its next store, a copy-on-write
    # fault its quota could not pay for (or a failed fork left its pages unusable).
    r = finished("forkquota", str(slack))
    assert "failed: out of memory (or over quota)" in r.text
    assert "forkquota: the parent wrote its pages and runs on" in r.text
    assert not [line for line in r.log if "killed" in line], r.log


def test_a_pipe_refuses_ring_positions_the_other_side_made_up(pipes: dict) -> None:
    assert pipes["hostile.write"] == -5  # EIO, not a write past the pipe's page
    assert pipes["hostile.read"] == -5  # EIO, not a read past it


def test_a_forked_child_gets_the_stack_below_its_stack_pointer_fresh_as_it_touches_it() -> None:
    r = finished("forkstack")
    # deep() looks at every 64th byte of 6 pages: old bytes may remain only in the one
    # page fork copied whole (the page of its own frame), at most 4096 / 64 samples.
    old = int(r.text.split("child saw ")[1].split()[0])
    added = int(r.text.split("child added ")[1].split()[0])
    assert old <= 4096 // 64
    assert 5 <= added <= 6  # the frame's pages below fork's page, each added on first touch
    assert "forkstack: child reads back yes" in r.text
    assert "forkstack: parent still sees its own stack: yes" in r.text
