"""Disk images and file-server systems for the file service's tests.

Images come from e2fsprogs' mke2fs (when installed) or from toolchain/ext2, and are
checked afterwards with `e2fsck -fn` (toolchain/ext2's own checker when e2fsck is not
installed). Files are read back with debugfs when installed, else with toolchain/ext2.
`fs_system` describes a boot configuration: the file server fsd, alone bound to the
disk, and client programs that find it through the "@fsd" argument.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from lamina.config import BindingSpec, DomainSpec, SystemConfig
from toolchain.ext2 import Ext2Image, MkfsOptions, check_image, make_filesystem, run_e2fsck

MKE2FS = shutil.which("mke2fs") or shutil.which("mke2fs", path="/sbin:/usr/sbin")
DEBUGFS = shutil.which("debugfs") or shutil.which("debugfs", path="/sbin:/usr/sbin")
CONSOLE = BindingSpec("console")
SECTOR = 512

# The 256 runs the test pattern is made of (see userland/tests/fsput.c): within a
# run of 256 bytes starting at i, byte i + j is run_start + 13 * j.
_RUNS = [bytes((b + 13 * j) & 0xFF for j in range(256)) for b in range(256)]


def pattern(n: int, seed: int) -> bytes:
    """The first n bytes of fsput's test pattern for seed."""
    runs = (_RUNS[((i >> 16) * 31 + (i >> 8) * 7 + seed) & 0xFF] for i in range(0, n, 256))
    return b"".join(runs)[:n]


def mke2fs(path: Path, size: str, block_size: int = 1024, *extra: str, features: str = "none",
           kind: str = "ext2") -> Path:
    """An image made by mke2fs (skips the test if e2fsprogs is not installed): ext2 with
    no optional features unless features (-O; "" for mke2fs's defaults) or kind say so."""
    if MKE2FS is None:
        pytest.skip("mke2fs is not installed")
    options = ["-O", features] if features else []
    subprocess.run([MKE2FS, "-q", "-F", "-t", kind, *options, "-b", str(block_size), *extra, str(path), size],
                   check=True, capture_output=True)
    return path


def python_mkfs(path: Path, size: int, block_size: int = 1024, files: dict[str, bytes] | None = None) -> Path:
    """An ext2 image made by toolchain/ext2, holding files {path: bytes}."""
    make_filesystem(path, MkfsOptions(size=size, block_size=block_size))
    with Ext2Image(path, writable=True) as image:
        for name, data in (files or {}).items():
            image.write_file(name, data)
    return path


def assert_clean(path: Path) -> None:
    """The image passes `e2fsck -fn` (or toolchain/ext2's checker without e2fsprogs)."""
    result = run_e2fsck(path)
    if result is None:
        assert check_image(path) == []
        return
    status, output = result
    assert status == 0, output


def read_back(path: Path, name: str) -> bytes:
    """The contents of file name in the image, read by debugfs (or toolchain/ext2)."""
    if DEBUGFS is None:
        with Ext2Image(path) as image:
            return image.read_file(name)
    done = subprocess.run([DEBUGFS, "-R", f"cat {name}", str(path)], capture_output=True, check=True)
    return done.stdout


def fs_system(image: Path, *clients: list[str], fsd_args: tuple[str, ...] = (), bound: bool = True,
              operators: bool = True) -> SystemConfig:
    """fsd (bound to the whole disk unless bound is False) and one console-bound
    domain per client command, in that order; with operators, each client holds a
    capability for fsd (configs give one to init), so it may also shut fsd down."""
    sectors = image.stat().st_size // SECTOR
    disk = (BindingSpec("disk", 0, sectors),) if bound else ()
    domains = [DomainSpec("fsd", "fsd", fsd_args, bindings=(CONSOLE, *disk))]
    for i, command in enumerate(clients):
        domains.append(DomainSpec(f"client{i}", command[0], tuple(command[1:]), bindings=(CONSOLE,),
                                  caps=("fsd",) if operators else ()))
    return SystemConfig("fileserver", disk=str(image), domains=tuple(domains))
