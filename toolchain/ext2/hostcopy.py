"""Copying between the host's files and an ext2 image: put, get, and a whole directory tree.

Part of the top layer of toolchain/ext2, used by `lamina image put|get|create --from`.
What crosses over is contents, names, the file type and one permission fact: whether
the host file is executable (0755) or not (0644). Owners, times and other permission
bits are not copied, so an image made from the same tree is the same on every machine.
Host hard links become hard links; host symbolic links become symbolic links; devices,
sockets and FIFOs are skipped and reported.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path, PurePosixPath

from toolchain.ext2.errors import Ext2Error, PathError
from toolchain.ext2.image import Ext2Image


def host_mode(path: Path) -> int:
    """The permissions a host file gets in the image: 0755 if its owner may execute it, else 0644."""
    return 0o755 if os.stat(path).st_mode & stat.S_IXUSR else 0o644


def guest_join(directory: str, name: str) -> str:
    """A guest path for name inside directory."""
    return str(PurePosixPath("/") / directory / name)


def put_file(image: Ext2Image, host: Path, guest: str) -> str:
    """Copy a host file into the image (into guest if it names a directory); the guest path written."""
    host = Path(host)
    if not host.is_file():
        raise Ext2Error(f"{host}: not a regular file on the host")
    if image.exists(guest) and image.lookup(guest).is_dir():
        guest = guest_join(guest, host.name)
    with open(host, "rb") as stream:
        image.write_stream(guest, stream, host_mode(host))
    return guest


def get_file(image: Ext2Image, guest: str, host: Path) -> Path:
    """Copy a file out of the image (into host if it names a directory); the host path written."""
    host = Path(host)
    if host.is_dir():
        host = host / PurePosixPath(guest).name
    chunks = image.iter_file(guest)
    with open(host, "wb") as out:
        for chunk in chunks:
            out.write(chunk)
    return host


def import_tree(image: Ext2Image, source: Path, guest: str = "/") -> list[str]:
    """Copy everything under the host directory source into guest, in name order; host paths skipped."""
    source = Path(source)
    if not source.is_dir():
        raise Ext2Error(f"{source}: not a directory on the host")
    seen: dict[tuple[int, int], str] = {}   # (device, inode) on the host -> first guest path
    skipped: list[str] = []
    _import_dir(image, source, guest, seen, skipped)
    return skipped


def _import_dir(image: Ext2Image, source: Path, guest: str, seen: dict[tuple[int, int], str],
                skipped: list[str]) -> None:
    """Copy the entries of one host directory, recursing into subdirectories."""
    for name in sorted(os.listdir(source)):
        host = source / name
        target = guest_join(guest, name)
        info = os.lstat(host)
        if stat.S_ISLNK(info.st_mode):
            image.symlink(os.readlink(host), target)
        elif stat.S_ISDIR(info.st_mode):
            if not image.exists(target):
                image.mkdir(target, 0o755)
            elif not image.lookup(target).is_dir():
                raise PathError(f"{target}: exists in the image and is not a directory")
            _import_dir(image, host, target, seen, skipped)
        elif stat.S_ISREG(info.st_mode):
            key = (info.st_dev, info.st_ino)
            if info.st_nlink > 1 and key in seen:
                image.link(seen[key], target)
            else:
                put_file(image, host, target)
                seen[key] = target
        else:
            skipped.append(str(host))
