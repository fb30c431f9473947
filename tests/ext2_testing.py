"""Helpers shared by the ext2 image tool's tests: e2fsprogs where installed, the CLI."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from toolchain.ext2 import MkfsOptions, check_image, make_filesystem
from toolchain.imagecmd import main as image_main


def e2fsprogs(tool: str) -> str | None:
    """The path of an e2fsprogs tool, looking in sbin directories too, or None."""
    return shutil.which(tool) or shutil.which(tool, path="/sbin:/usr/sbin:/usr/local/sbin")


E2FSCK, DEBUGFS, MKE2FS = e2fsprogs("e2fsck"), e2fsprogs("debugfs"), e2fsprogs("mke2fs")
needs_e2fsprogs = pytest.mark.skipif(not (E2FSCK and DEBUGFS and MKE2FS), reason="e2fsprogs not installed")


def assert_clean(image: Path) -> None:
    """Our checker finds nothing, and e2fsck -fn (when installed) agrees."""
    assert [str(p) for p in check_image(image)] == []
    if E2FSCK:
        done = subprocess.run([E2FSCK, "-fn", str(image)], capture_output=True, text=True)
        assert done.returncode == 0, done.stdout + done.stderr


def debugfs(image: Path, request: str, write: bool = False) -> str:
    """The output of one debugfs request on the image."""
    command = [DEBUGFS] + (["-w"] if write else []) + ["-R", request, str(image)]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout


def image_cmd(capsys: pytest.CaptureFixture[str], *argv: str) -> tuple[int, str, str]:
    """Run `lamina image ARGV...`; (exit status, stdout, stderr)."""
    status = image_main(["image", *map(str, argv)])
    out, err = capsys.readouterr()
    return status, out, err


@pytest.fixture
def fresh(tmp_path: Path) -> Path:
    """A new 8 MiB image with 1 KiB blocks."""
    path = tmp_path / "disk.img"
    make_filesystem(path, MkfsOptions(size=8 << 20, block_size=1024))
    return path
