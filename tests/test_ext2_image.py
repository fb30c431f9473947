"""The ext2 image tool's promises: images e2fsck calls clean, exact copies, clear refusals.

toolchain/ext2 makes and edits the disk images the file service will read, so what is
checked here is what another ext2 implementation sees: e2fsck's verdict on our images
(when e2fsprogs is installed), files written by debugfs into images made by mke2fs read
back byte for byte, a full disk that stays consistent, damaged images refused with a
message naming the place, and the same inputs giving the same bytes.
"""

from __future__ import annotations

import os
import random
import struct
import subprocess
from pathlib import Path

import pytest

from toolchain.ext2 import (
    DiskFull,
    Ext2Error,
    Ext2Image,
    MkfsOptions,
    PathError,
    UnsupportedImage,
    make_filesystem,
    parse_size,
)
from toolchain.ext2.layout import DOUBLE
from toolchain.imagecmd import main as image_main  # noqa: F401
from ext2_testing import DEBUGFS, E2FSCK, MKE2FS, assert_clean, debugfs, fresh, image_cmd, needs_e2fsprogs  # noqa: F401


# ---- formatting ------------------------------------------------------------------------

@pytest.mark.parametrize("block_size", [1024, 2048, 4096])
def test_new_image_is_clean_ext2_with_root_and_lost_found(tmp_path: Path, block_size: int) -> None:
    path = tmp_path / "disk.img"
    make_filesystem(path, MkfsOptions(size=32 << 20, block_size=block_size))
    assert path.stat().st_size == 32 << 20
    assert_clean(path)
    with Ext2Image(path) as image:
        names = [e.name for e in image.listdir("/")]
        assert names == [b".", b"..", b"lost+found"]
        assert image.stat("/").links_count == 3
        assert image.volume.geo.block_size == block_size


def test_1k_image_of_32m_has_four_groups_with_backup_superblocks(tmp_path: Path) -> None:
    path = tmp_path / "disk.img"
    geo = make_filesystem(path, MkfsOptions(size=32 << 20, block_size=1024))
    assert geo.group_count == 4
    raw = path.read_bytes()
    for group in (1, 3):                 # sparse_super: groups 0, 1 and powers of 3, 5, 7
        start = geo.group_first_block(group) * 1024
        magic, = struct.unpack_from("<H", raw, start + 56)
        group_nr, = struct.unpack_from("<H", raw, start + 90)
        assert (magic, group_nr) == (0xEF53, group)
    assert struct.unpack_from("<H", raw, geo.group_first_block(2) * 1024 + 56) == (0,)


@needs_e2fsprogs
def test_4k_image_of_200m_spans_two_groups_and_e2fsck_agrees_on_counts(tmp_path: Path) -> None:
    path = tmp_path / "disk.img"
    geo = make_filesystem(path, MkfsOptions(size=200 << 20, block_size=4096))
    assert geo.group_count == 2
    assert_clean(path)
    stats = debugfs(path, "stats")
    with Ext2Image(path) as image:
        assert f"Free blocks:              {image.volume.sb.free_blocks_count}" in stats
        assert f"Free inodes:              {image.volume.sb.free_inodes_count}" in stats


def test_sizes_read_like_32M_512K_1G_or_bytes() -> None:
    assert parse_size("32M") == 32 << 20
    assert parse_size("512K") == 512 << 10
    assert parse_size("1G") == 1 << 30
    assert parse_size("123456") == 123456
    with pytest.raises(ValueError, match="not a size"):
        parse_size("12Q")


def test_too_small_or_odd_requests_are_refused_with_reason(tmp_path: Path) -> None:
    with pytest.raises(Ext2Error, match="too small"):
        make_filesystem(tmp_path / "a.img", MkfsOptions(size=20 << 10))
    with pytest.raises(Ext2Error, match="block size 3000"):
        make_filesystem(tmp_path / "b.img", MkfsOptions(size=8 << 20, block_size=3000))


# ---- contents ----------------------------------------------------------------------------

def test_put_then_get_returns_the_same_bytes_including_5mib_and_empty_files(
        tmp_path: Path, fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    big = random.Random(1).randbytes(5 << 20)
    files = {"big.bin": big, "empty": b"", "small.txt": b"hello\n", "edge": b"x" * 1024 * 12}
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
        assert image_cmd(capsys, "put", fresh, tmp_path / name, "/" + name)[0] == 0
    for name, data in files.items():
        out = tmp_path / ("out-" + name)
        assert image_cmd(capsys, "get", fresh, "/" + name, out)[0] == 0
        assert out.read_bytes() == data
    with Ext2Image(fresh) as image:
        assert image.stat("/big.bin").block[DOUBLE] != 0     # 5 MiB of 1 KiB blocks needs double indirection
        assert image.stat("/empty").blocks == 0
    assert_clean(fresh)


def test_cat_prints_the_file_and_ls_shows_mode_links_size_name(
        tmp_path: Path, fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Ext2Image(fresh, writable=True) as image:
        image.write_file("/notes.txt", b"one\ntwo\n")
        image.mkdir("/bin")
        image.symlink("/notes.txt", "/link")
    status, out, _ = image_cmd(capsys, "cat", fresh, "/notes.txt")
    assert (status, out) == (0, "one\ntwo\n")
    status, out, _ = image_cmd(capsys, "ls", fresh, "/")
    assert status == 0
    assert out.splitlines() == [
        "drwxr-xr-x 2  1024 bin",
        "lrwxrwxrwx 1    10 link -> /notes.txt",
        "drwx------ 2 16384 lost+found",
        "-rw-r--r-- 1     8 notes.txt",
    ]


def test_cli_mkdir_put_rm_edit_the_image(tmp_path: Path, fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    (tmp_path / "prog").write_bytes(b"\x7fELF")
    assert image_cmd(capsys, "mkdir", fresh, "/bin")[0] == 0
    assert image_cmd(capsys, "put", fresh, tmp_path / "prog", "/bin")[0] == 0    # into a directory: keeps its name
    assert image_cmd(capsys, "ls", fresh, "/bin")[1] == "-rw-r--r-- 1 4 prog\n"
    assert image_cmd(capsys, "rm", fresh, "/bin/prog")[0] == 0
    assert image_cmd(capsys, "rm", fresh, "/bin")[0] == 0
    status, _, err = image_cmd(capsys, "rm", fresh, "/bin")
    assert (status, err) == (1, "lamina image rm: /bin: no such file or directory\n")
    assert_clean(fresh)


def test_truncate_frees_blocks_and_regrowth_reads_zeros(fresh: Path) -> None:
    with Ext2Image(fresh, writable=True) as image:
        image.write_file("/f", b"A" * 300_000)
        free_before = image.volume.sb.free_blocks_count
        image.truncate("/f", 1000)
        assert image.volume.sb.free_blocks_count > free_before + 290
        image.truncate("/f", 5000)
        assert image.read_file("/f") == b"A" * 1000 + bytes(4000)
    assert_clean(fresh)


def test_names_change_with_mkdir_link_rename_unlink_rmdir_and_stay_consistent(fresh: Path) -> None:
    with Ext2Image(fresh, writable=True) as image:
        image.mkdir("/a")
        image.mkdir("/a/b")
        image.write_file("/a/f", b"data")
        image.link("/a/f", "/a/b/g")
        for i in range(150):                         # enough names to need a second directory block
            image.write_file(f"/a/n{i:03}", b"x" * i)
        for i in range(0, 150, 2):
            image.unlink(f"/a/n{i:03}")
        image.rename("/a/b", "/c")                   # a directory changes parent
        image.rename("/a/f", "/c/f2")                # a file moves; its other name stays
        image.mkdir("/e")
        image.rmdir("/e")
        image.write_file("/victim", b"old")
        image.rename("/a/n001", "/victim")           # rename over an existing file replaces it
        assert image.stat("/c/g").links_count == 2
        assert image.stat("/a").links_count == 2
        assert image.stat("/c").links_count == 2
        assert image.stat("/").links_count == 5      # ., .., lost+found, a, c
        assert image.read_file("/victim") == b"x"
        assert not image.exists("/a/n001")
    assert_clean(fresh)
    if DEBUGFS:
        listing = debugfs(fresh, "ls -p /c")
        assert "/f2/" in listing and "/g/" in listing


def test_rename_and_rmdir_refuse_what_rename2_and_rmdir2_refuse(fresh: Path) -> None:
    with Ext2Image(fresh, writable=True) as image:
        image.mkdir("/d")
        image.mkdir("/d/sub")
        image.write_file("/d/sub/f", b"")
        with pytest.raises(PathError, match="inside itself"):
            image.rename("/d", "/d/sub/x")
        with pytest.raises(PathError, match="not empty"):
            image.rmdir("/d")
        with pytest.raises(PathError, match="not empty"):
            image.rename("/lost+found", "/d")
        with pytest.raises(PathError, match="is a directory"):
            image.unlink("/d")
        with pytest.raises(PathError, match="already exists"):
            image.mkdir("/d/sub")
        with pytest.raises(PathError, match="no such file"):
            image.read_file("/d/nope")
    assert_clean(fresh)


# ---- other people's images -----------------------------------------------------------------

MKE2FS_VARIANTS = {
    "1k-defaults": ["-b", "1024"],                                           # ext_attr, resize_inode, dir_index
    "4k-defaults": ["-b", "4096"],
    "1k-basic-rev1": ["-b", "1024", "-O", "none,filetype,sparse_super", "-I", "128"],
    "4k-basic-rev1": ["-b", "4096", "-O", "none,filetype,sparse_super", "-I", "128"],
    "2k-revision-0": ["-b", "2048", "-r", "0"],
}


@needs_e2fsprogs
@pytest.mark.parametrize("variant", MKE2FS_VARIANTS)
def test_images_made_by_mke2fs_read_back_debugfs_files_and_stay_clean_after_edits(
        tmp_path: Path, variant: str) -> None:
    path = tmp_path / "disk.img"
    subprocess.run([MKE2FS, "-q", "-F", "-t", "ext2", *MKE2FS_VARIANTS[variant], str(path), "16M"],
                   check=True, capture_output=True)
    payload = random.Random(2).randbytes(700_000)
    (tmp_path / "payload").write_bytes(payload)
    debugfs(path, "mkdir dir", write=True)
    debugfs(path, f"write {tmp_path / 'payload'} dir/payload", write=True)
    with Ext2Image(path, writable=True) as image:
        assert image.read_file("/dir/payload") == payload
        image.write_file("/dir/ours", b"ours" * 5000)
        image.rename("/dir/payload", "/moved")
        image.mkdir("/dir/sub")
    assert_clean(path)
    assert "ours" in debugfs(path, "ls /dir")
    assert debugfs(path, "cat /dir/ours") == "ours" * 5000


@needs_e2fsprogs
def test_removing_files_with_xattr_blocks_frees_them_cleanly(tmp_path: Path) -> None:
    path = tmp_path / "xattr.img"
    subprocess.run([MKE2FS, "-q", "-F", "-t", "ext2", "-b", "1024", "-I", "128", str(path), "4M"],
                   check=True, capture_output=True)
    (tmp_path / "hi").write_text("hi\n")
    debugfs(path, f"write {tmp_path / 'hi'} tagged", write=True)
    debugfs(path, "ea_set /tagged user.colour blue", write=True)
    with Ext2Image(path, writable=True) as image:
        assert image.stat("/tagged").file_acl != 0
        free = image.volume.sb.free_blocks_count
        image.unlink("/tagged")
        assert image.volume.sb.free_blocks_count == free + 2    # its data block and its xattr block
    assert_clean(path)


@needs_e2fsprogs
def test_ext4_images_are_refused_naming_the_features(tmp_path: Path) -> None:
    path = tmp_path / "ext4.img"
    subprocess.run([MKE2FS, "-q", "-F", "-t", "ext4", str(path), "8M"], check=True, capture_output=True)
    with pytest.raises(UnsupportedImage, match=r"byte 1120.*unsupported incompatible features.*extent"):
        Ext2Image(path)


@needs_e2fsprogs
def test_unknown_read_only_compatible_feature_allows_reading_but_not_writing(tmp_path: Path) -> None:
    path = tmp_path / "huge.img"
    subprocess.run([MKE2FS, "-q", "-F", "-t", "ext2", "-O", "huge_file", str(path), "4M"],
                   check=True, capture_output=True)
    with Ext2Image(path) as image:
        assert b"lost+found" in [e.name for e in image.listdir("/")]
    with pytest.raises(UnsupportedImage, match="cannot write.*huge_file"):
        Ext2Image(path, writable=True)


# ---- running out of space ----------------------------------------------------------------

def test_full_disk_raises_and_leaves_no_trace_of_the_failed_file(tmp_path: Path) -> None:
    path = tmp_path / "small.img"
    make_filesystem(path, MkfsOptions(size=512 << 10, block_size=1024))
    with Ext2Image(path, writable=True) as image:
        image.write_file("/keep", b"k" * 100_000)
        free = image.volume.sb.free_blocks_count
        with pytest.raises(DiskFull, match="no free blocks"):
            image.write_file("/too-big", bytes(1 << 20))
        assert not image.exists("/too-big")
        assert image.volume.sb.free_blocks_count == free
        image.write_file("/fits", b"f" * 2000)       # the space is still usable
    assert_clean(path)


def test_full_disk_mid_mkdir_and_out_of_inodes_keep_the_image_clean(tmp_path: Path) -> None:
    path = tmp_path / "small.img"
    make_filesystem(path, MkfsOptions(size=256 << 10, block_size=1024, inode_count=32))
    with Ext2Image(path, writable=True) as image:
        with pytest.raises(DiskFull, match="no free inodes"):
            for i in range(40):
                image.write_file(f"/e{i}", b"")
        image.unlink("/e0")
        with pytest.raises(DiskFull, match="no free blocks"):
            image.write_file("/fill", bytes(1 << 20))
        image.write_file("/fill", b"")
        with pytest.raises(DiskFull):
            while True:
                image.data.write(image.stat("/fill"), image.stat("/fill").size, bytes(1024))
        with pytest.raises(DiskFull):
            image.mkdir("/dir")                       # needs a block for '.' and '..'
        assert not image.exists("/dir")
    assert_clean(path)


# ---- reproducibility ---------------------------------------------------------------------------

def _host_tree(root: Path) -> Path:
    """A small host directory tree with a subdirectory, a hard link, a symlink and an executable."""
    (root / "etc").mkdir(parents=True)
    (root / "etc" / "motd").write_text("welcome\n")
    (root / "bin").mkdir()
    (root / "bin" / "tool").write_bytes(b"\x7fELF" + bytes(5000))
    os.chmod(root / "bin" / "tool", 0o755)
    os.link(root / "etc" / "motd", root / "motd-again")
    os.symlink("etc/motd", root / "motd-link")
    return root


def test_create_from_a_host_tree_copies_files_links_and_modes(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    tree = _host_tree(tmp_path / "tree")
    disk = tmp_path / "disk.img"
    assert image_cmd(capsys, "create", disk, "--size", "4M", "--from", tree)[0] == 0
    with Ext2Image(disk) as image:
        assert image.read_file("/etc/motd") == b"welcome\n"
        assert image.stat("/motd-again").number == image.stat("/etc/motd").number
        assert image.stat("/etc/motd").links_count == 2
        assert image.readlink("/motd-link") == "etc/motd"
        assert image.stat("/bin/tool").mode & 0o777 == 0o755
    assert_clean(disk)


def test_same_inputs_give_byte_identical_images(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    tree = _host_tree(tmp_path / "tree")
    monkeypatch.delenv("SOURCE_DATE_EPOCH", raising=False)
    for name in ("one.img", "two.img"):
        assert image_cmd(capsys, "create", tmp_path / name, "--size", "2M", "--from", tree)[0] == 0
    assert (tmp_path / "one.img").read_bytes() == (tmp_path / "two.img").read_bytes()
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    assert image_cmd(capsys, "create", tmp_path / "three.img", "--size", "2M", "--from", tree)[0] == 0
    with Ext2Image(tmp_path / "three.img") as image:
        assert image.stat("/etc/motd").mtime == 1700000000
        assert image.volume.sb.wtime == 1700000000


def test_image_tool_modules_stay_small_and_say_their_job() -> None:
    package = Path(__file__).resolve().parent.parent / "toolchain" / "ext2"
    for module in sorted(package.glob("*.py")) + [package.parent / "imagecmd.py"]:
        text = module.read_text()
        assert text.startswith('"""'), module.name
        assert len(text.splitlines()) <= 400, module.name


def test_writes_are_refused_on_an_image_opened_read_only(fresh: Path) -> None:
    with Ext2Image(fresh) as image:
        with pytest.raises(Ext2Error, match="read-only"):
            image.write_file("/x", b"1")
    assert_clean(fresh)
