"""The ext2 image tool on bad input: damaged images refused saying what and where, and
the checker naming the block and inode that disagree. Never a traceback."""

from __future__ import annotations

import random
import struct
from pathlib import Path

import pytest

from ext2_testing import E2FSCK, assert_clean, fresh, image_cmd  # noqa: F401  (fresh is a fixture)
from toolchain.ext2 import CorruptImage, Ext2Error, Ext2Image, MkfsOptions, check_image, make_filesystem
from toolchain.ext2.layout import SUPERBLOCK_OFFSET


# ---- damaged images --------------------------------------------------------------------------

def _patch(path: Path, offset: int, data: bytes) -> None:
    """Overwrite bytes of a file in place."""
    with open(path, "r+b") as f:
        f.seek(offset)
        f.write(data)


@pytest.mark.parametrize("damage, message", [
    ("not-ext2", r"not an ext2 image: the magic number at byte 1080"),
    ("tiny", r"not an ext2 image, or a truncated one: the file has 100 bytes"),
    ("truncated", r"truncated image: the superblock says 8192 blocks of 1024 bytes"),
    ("bad-magic", r"magic number at byte 1080 is 0x0000"),
    ("block-size", r"byte 1048\).*impossible block size"),
    ("group-count", r"byte 1024\).*group count mismatch"),
    ("descriptor", r"group descriptor 0 \(byte 2048\): block bitmap at block 99999"),
])
def test_damaged_images_are_refused_saying_what_and_where(
        tmp_path: Path, fresh: Path, damage: str, message: str) -> None:
    if damage == "not-ext2":
        fresh.write_bytes(random.Random(3).randbytes(64 << 10))
    elif damage == "tiny":
        fresh.write_bytes(b"#" * 100)
    elif damage == "truncated":
        fresh.write_bytes(fresh.read_bytes()[: 4 << 20])
    elif damage == "bad-magic":
        _patch(fresh, SUPERBLOCK_OFFSET + 56, b"\0\0")
    elif damage == "block-size":
        _patch(fresh, SUPERBLOCK_OFFSET + 24, struct.pack("<I", 9))
    elif damage == "group-count":
        _patch(fresh, SUPERBLOCK_OFFSET, struct.pack("<I", 2048 + 8))
    elif damage == "descriptor":
        _patch(fresh, 2048, struct.pack("<I", 99999))
    with pytest.raises(CorruptImage, match=message):
        Ext2Image(fresh)


def test_bad_inode_and_block_numbers_inside_files_are_named_in_the_error(fresh: Path) -> None:
    with Ext2Image(fresh, writable=True) as image:
        inode = image.write_file("/file", b"x" * 5000)
        inode.block[1] = 10_000_000
        image.volume.write_inode(inode)
        image.link("/file", "/other")
        root = image.stat("/")
        block = image.blocks.lookup(root, 0)
        data = bytearray(image.volume.disk.read_block(block))
        at = data.index(b"other") - 8
        data[at:at + 4] = struct.pack("<I", 999_999)
        image.volume.disk.write_block(block, bytes(data))
    with Ext2Image(fresh) as image:
        with pytest.raises(CorruptImage, match=f"inode {inode.number}: block pointer 10000000 is outside"):
            image.read_file("/file")
        with pytest.raises(CorruptImage, match="inode 999999 does not exist"):
            image.stat("/other")


def test_cli_reports_a_damaged_image_in_one_line_without_a_traceback(
        fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _patch(fresh, SUPERBLOCK_OFFSET + 56, b"\0\0")
    status, out, err = image_cmd(capsys, "ls", fresh, "/")
    assert status == 1
    assert err.count("\n") == 1 and "Traceback" not in err
    assert err.startswith("lamina image ls: ") and "byte 1080" in err


def test_random_damage_to_metadata_gives_ext2_errors_never_crashes(tmp_path: Path) -> None:
    base = tmp_path / "base.img"
    make_filesystem(base, MkfsOptions(size=1 << 20, block_size=1024, inode_count=64))
    with Ext2Image(base, writable=True) as image:
        image.mkdir("/d")
        image.write_file("/d/f", b"a" * 30_000)
        image.symlink("t" * 80, "/s")
    pristine = base.read_bytes()
    damaged = tmp_path / "damaged.img"
    for seed in range(150):
        rng = random.Random(seed)
        data = bytearray(pristine)
        for _ in range(rng.randint(1, 6)):
            data[rng.randrange(40 << 10)] = rng.randrange(256)
        damaged.write_bytes(data)
        try:
            check_image(damaged)
            with Ext2Image(damaged, writable=True) as image:
                for path, inode in image.walk("/"):
                    if inode.is_regular() and inode.size < (1 << 20):
                        image.read_file(path)
                image.write_file("/new", b"n" * 3000)
                image.unlink("/d/f")
        except Ext2Error:
            pass


# ---- the checker and fsck ----------------------------------------------------------------------

def test_checker_names_the_block_and_inode_that_disagree(fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with Ext2Image(fresh, writable=True) as image:
        inode = image.write_file("/f", b"z" * 3000)
        block = image.blocks.lookup(inode, 0)
        inode.links_count = 3
        image.volume.write_inode(inode)
        image.allocator.free_block(block)            # bitmap now says free, but the file owns it
    problems = [str(p) for p in check_image(fresh)]
    assert any(f"blocks {block} are in use but marked free" in p for p in problems)
    assert any(f"inode {inode.number}: link count is 3 but 1 directory entries name it" in p for p in problems)
    status, out, _ = image_cmd(capsys, "fsck", fresh)
    assert status == 1
    assert "problem(s)" in out
    if E2FSCK:
        assert "e2fsck -fn: problems" in out


def test_fsck_of_a_clean_image_exits_zero(fresh: Path, capsys: pytest.CaptureFixture[str]) -> None:
    status, out, _ = image_cmd(capsys, "fsck", fresh)
    assert status == 0
    assert "lamina check: clean" in out
