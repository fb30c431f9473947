"""The file service (issue 4): the ext2 server fsd in its own domain, the only one bound
to the disk, and client programs that reach files only by asking it over IPC.

Every test boots a system (tests/fs_images.fs_system), runs it until every domain has
ended or waits forever, and then checks what a user could check: the console, the
image with e2fsck -fn, and files read back with debugfs.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fs_images import assert_clean, fs_system, mke2fs, pattern, python_mkfs, read_back
from guest import run_system


def run(image: Path, *clients: list[str], **kw):
    """Boot fsd and the clients on image and run them; the GuestRun."""
    return run_system(fs_system(image, *clients, **kw))


def lamina_image(*args: str) -> int:
    """`lamina image ARGS...` in this process; its exit status."""
    from lamina.cli import main

    return main(["image", *args])


def lines(text: str, prefix: str = "") -> list[str]:
    """The console lines that start with prefix."""
    return [line for line in text.splitlines() if line.startswith(prefix)]


MAKERS = {
    "mke2fs-1k": lambda p: mke2fs(p, "16M", 1024),
    "mke2fs-4k": lambda p: mke2fs(p, "16M", 4096),
    "mke2fs-rev0": lambda p: mke2fs(p, "8M", 1024, "-r", "0", features=""),
    "mke2fs-default-features": lambda p: mke2fs(p, "8M", 2048, features=""),
    "toolchain-ext2": lambda p: python_mkfs(p, 8 << 20, 1024),
}


@pytest.mark.parametrize("maker", MAKERS)
def test_round_trip_is_byte_for_byte(tmp_path: Path, maker: str) -> None:
    image = MAKERS[maker](tmp_path / "disk.img")
    r = run(image, ["fsput", "@fsd", "/data.bin", "-p", "300000", "3"],
            ["fsput", "@fsd", "/hello.txt", "hello,", "file", "service"])
    assert "fsput: wrote 300000 bytes to /data.bin" in r.text
    assert "fsput: wrote 20 bytes to /hello.txt" in r.text
    assert_clean(image)  # written back by the write-back timer, without a sync
    assert read_back(image, "/data.bin") == pattern(300000, 3)
    assert read_back(image, "/hello.txt") == b"hello, file service\n"
    got = tmp_path / "got.bin"  # and as a user would fetch it: lamina image get
    assert lamina_image("get", str(image), "/data.bin", str(got)) == 0
    assert got.read_bytes() == pattern(300000, 3)
    r = run(image, ["fscat", "@fsd", "/hello.txt", "/data.bin"])
    assert r.domain(1).exit_status == 0
    assert r.output.endswith(b"hello, file service\n" + pattern(300000, 3))


def test_files_made_on_the_host_read_back_in_the_guest(tmp_path: Path) -> None:
    files = {"/small.txt": b"made on the host\n", "/two-mib.bin": pattern(2 << 20, 11)}
    image = python_mkfs(tmp_path / "disk.img", 8 << 20, 1024, files)
    r = run(image, ["fscat", "@fsd", "/small.txt", "/two-mib.bin"])
    assert r.output.endswith(files["/small.txt"] + files["/two-mib.bin"])


def test_workload_leaves_the_image_clean(tmp_path: Path) -> None:
    image = mke2fs(tmp_path / "disk.img", "16M", 1024)
    r = run(image, ["fswork", "@fsd"])
    assert "fswork: FAILED" not in r.text, r.text
    assert lines(r.text, "fswork: ")[-1].endswith(" checks, 0 failed")
    assert r.domain(1).exit_status == 0
    assert_clean(image)
    # The 5 MiB file, cut to 3 MiB + 3 bytes and grown back to 4 MiB: a hole of zeros.
    assert read_back(image, "/work/big") == pattern(3 * 2**20 + 3, 7) + bytes(2**20 - 3)
    assert read_back(image, "/work/log") == b"".join(b"line %d\n" % i for i in range(100))
    assert read_back(image, "/work/sub/f06link") == b"G" * 601
    r = run(image, ["fsls", "@fsd", "/work/sub"])
    names = [line.split()[-1] for line in lines(r.text)[1:]]
    assert sorted(names) == [".", "..", "f06link", "renamed"]


def test_listing_shows_types_sizes_and_links(tmp_path: Path) -> None:
    image = mke2fs(tmp_path / "disk.img", "4M", 1024)
    r = run(image, ["fsctl", "@fsd", "mkdir", "/d", ",", "mkdir", "/d/e", ",", "sync"])
    r = run(image, ["fsls", "@fsd", "/", "/d"])
    assert "d     1024  4 ." in r.text and "d     1024  3 d" in r.text
    assert "d    12288  2 lost+found" in r.text and "d     1024  2 e" in r.text


@pytest.mark.parametrize("damage, reason", [
    ("zeros", "bad magic number 0x0 at byte 1080 (not an ext2 file system)"),
    ("huge", "is larger than the disk"),
    ("inodes", "corrupted superblock: 4097 inodes is not 1 groups of 4096"),
    ("ext4", "unsupported incompatible feature extent"),
])
def test_a_disk_that_is_not_sound_ext2_is_refused(tmp_path: Path, damage: str, reason: str) -> None:
    image = tmp_path / "disk.img"
    if damage == "ext4":
        mke2fs(image, "8M", 1024, features="", kind="ext4")
    else:
        mke2fs(image, "8M", 1024, "-N", "4096")
        raw = bytearray(image.read_bytes())
        if damage == "zeros":
            raw[:] = bytes(len(raw))
        elif damage == "huge":
            raw[1024 + 4:1024 + 8] = (1 << 30).to_bytes(4, "little")  # s_blocks_count
        else:
            raw[1024:1028] = (4097).to_bytes(4, "little")  # s_inodes_count
        image.write_bytes(raw)
    before = image.read_bytes()
    r = run(image, ["fsctl", "@fsd", "statfs"])
    assert "fsd: cannot mount the disk: " in r.text and reason in r.text
    assert r.domain(0).exit_status == 1
    assert "statfs = ESRCH" in r.text  # the client learns there is no server
    assert image.read_bytes() == before


def test_bad_requests_get_errors_and_the_server_survives(tmp_path: Path) -> None:
    image = python_mkfs(tmp_path / "disk.img", 4 << 20, 1024, {"/bad.txt": b"bad\n"})
    r = run(image, ["fsbad", "@fsd"])
    got = dict(line.split(" = ") for line in lines(r.text) if " = " in line)
    expected = {
        "unknown request": "ENOSYS", "request zero": "ENOSYS", "open without a page": "EFAULT",
        "open path without NUL": "ENAMETOOLONG", "open name too long": "ENAMETOOLONG",
        "open empty path": "ENOENT", "open missing": "ENOENT", "open bad access mode": "EINVAL",
        "open root for writing": "EISDIR", "open under a file": "ENOTDIR",
        "open file as directory": "ENOTDIR", "create existing exclusively": "EEXIST",
        "rename second path without NUL": "ENAMETOOLONG", "rmdir root": "EBUSY",
        "unlink root": "EISDIR", "mkdir root": "EBUSY", "stat into a read-only page": "EFAULT",
        "read descriptor 99": "EBADF", "read descriptor -1": "EBADF", "close never opened": "EBADF",
        "open for reading": "0", "read too much": "EINVAL", "read into a read-only page": "EFAULT",
        "read without a page": "EFAULT", "write to a read-only descriptor": "EBADF",
        "truncate a read-only descriptor": "EBADF", "readdir of a file": "ENOTDIR",
        "seek bad whence": "EINVAL", "seek before the start": "EINVAL", "close": "0",
        "close again": "EBADF", "descriptors opened": "16", "one more": "EMFILE",
        "another domain's descriptor": "EBADF", "server alive": "0",
    }
    assert got == expected
    assert_clean(image)
    assert read_back(image, "/bad.txt") == b"bad\n"


def test_a_full_disk_returns_enospc_and_stays_consistent(tmp_path: Path) -> None:
    image = mke2fs(tmp_path / "disk.img", "2M", 1024)
    r = run(image, ["fsctl", "@fsd", "statfs", ",", "fill", "/full", ",", "mkdir", "/d", ",", "sync"])
    free = int(lines(r.text, "statfs: ")[0].split(", ")[1].split()[0])
    assert "fill /full: stopped by ENOSPC" in r.text
    written = int(lines(r.text, "fill /full = ")[0].split(" = ")[1])
    assert written % 1024 == 0 and written > (free - 16) * 1024  # all but a few indirect blocks
    assert "mkdir /d = ENOSPC" in r.text
    assert_clean(image)
    r = run(image, ["fsctl", "@fsd", "rm", "/full", ",", "statfs", ",", "sync"])
    assert f"{free} free;" in r.text  # every block came back
    assert_clean(image)


def test_a_domain_without_the_disk_binding_cannot_reach_the_disk(tmp_path: Path) -> None:
    image = python_mkfs(tmp_path / "disk.img", 4 << 20, 1024, {"/keep.txt": b"still here\n"})
    r = run(image, ["diskpeek", "-w"], ["fscat", "@fsd", "/keep.txt"])
    assert lines(r.text, "diskpeek: ") == [
        "diskpeek: disk_info = EPERM", "diskpeek: read superblock = EPERM",
        "diskpeek: overwrite superblock = EPERM"]
    assert "still here" in r.text
    assert_clean(image)
    r = run(image, ["fscat", "@fsd", "/keep.txt"], bound=False)
    assert "fsd: no disk to serve: disk_info says EPERM" in r.text
    assert "fscat: /keep.txt: ESRCH" in r.text


def test_clients_at_once_are_all_served(tmp_path: Path) -> None:
    image = mke2fs(tmp_path / "disk.img", "8M", 4096)
    clients = [["fsput", "@fsd", f"/f{i}", "-p", str(100000 + i), str(i)] for i in range(4)]
    r = run(image, *clients)
    assert len(lines(r.text, "fsput: wrote ")) == 4
    assert_clean(image)
    for i in range(4):
        assert read_back(image, f"/f{i}") == pattern(100000 + i, i)


def test_only_a_domain_with_authority_over_fsd_may_shut_it_down(tmp_path: Path) -> None:
    image = mke2fs(tmp_path / "disk.img", "4M", 1024)
    r = run(image, ["fsctl", "@fsd", "shutdown", ",", "mkdir", "/still"], operators=False)
    assert "shutdown = EPERM" in r.text and "mkdir /still = 0" in r.text  # refused, and still serving
    assert r.domain(0).alive  # fsd runs on


def test_shutdown_syncs_and_ends_the_server(tmp_path: Path) -> None:
    image = mke2fs(tmp_path / "disk.img", "4M", 1024)
    r = run(image, ["fsctl", "@fsd", "mkdir", "/kept", ",", "shutdown"])
    assert "shutdown = 0" in r.text
    assert "fsd: unmounted, every change written back; shutting down" in r.text
    assert r.domain(0).exit_status == 0
    assert_clean(image)
    assert "kept" in run(image, ["fsls", "@fsd"]).text


def test_a_file_unlinked_while_open_goes_when_its_client_ends(tmp_path: Path) -> None:
    image = python_mkfs(tmp_path / "disk.img", 4 << 20, 1024, {"/held": pattern(50000, 2)})
    r = run(image, ["fsctl", "@fsd", "hold", "/held", ",", "rm", "/held", ",", "statfs"])
    assert "hold /held = 0" in r.text and "rm /held = 0" in r.text
    held = int(lines(r.text, "statfs: ")[0].split(", ")[1].split()[0])
    assert_clean(image)  # the write-back timer found the client gone and freed the file
    r = run(image, ["fsctl", "@fsd", "statfs"])
    freed = int(lines(r.text, "statfs: ")[0].split(", ")[1].split()[0])
    assert freed - held >= 50000 // 1024


def test_a_path_ending_in_a_slash_names_a_directory(tmp_path: Path) -> None:
    # POSIX: "a/" is the directory a. A new file cannot be made there, and a file is not
    # a directory (before: O_CREAT made a regular file "a", and "/f/" opened the file).
    image = mke2fs(tmp_path / "disk.img", "4M", 1024)
    steps = ["creat /a/", "creat /f", "hold /f/", "stat /f/", "rm /f/", "mkdir /d/", "hold /d/", "stat /a"]
    words = [w for step in steps for w in (",", *step.split())][1:]
    r = run(image, ["fsctl", "@fsd", *words])
    results = dict(line.rsplit(" = ", 1) for line in r.text.splitlines() if " = " in line)
    assert results == {"creat /a/": "EISDIR", "creat /f": "0", "hold /f/": "ENOTDIR", "stat /f/": "ENOTDIR",
                       "rm /f/": "ENOTDIR", "mkdir /d/": "0", "hold /d/": "0", "stat /a": "ENOENT"}
