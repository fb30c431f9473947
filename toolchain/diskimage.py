"""The default disk image: every user program in the directory of its kind (/bin for
userland/bin, /sbin for userland/sbin, ...: toolchain.layout.PROGRAM_FOLDERS) of an ext2
file system, and the web pages of userland/www in /www (httpd serves them).

`lamina build` makes `<build>/disk.img` after building userland, with the Python ext2
tool (no mkfs needed). The image is byte-identical for identical programs, and only
remade when one of them changed.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from toolchain.ext2 import Ext2Image, MkfsOptions, make_filesystem, put_file
from toolchain.layout import PROGRAM_FOLDERS, REPO_ROOT, SourceTree

IMAGE_NAME = "disk.img"
IMAGE_SIZE = 32 << 20
BLOCK_SIZE = 1024
WWW_DIR = REPO_ROOT / "userland" / "www"  # copied to /www


def www_files() -> list[Path]:
    """The files of userland/www (not its subdirectories), sorted."""
    return sorted(p for p in WWW_DIR.glob("*") if p.is_file()) if WWW_DIR.is_dir() else []


def install_paths(programs: dict[str, Path]) -> dict[str, str]:
    """Where each program goes on the image: /<kind>/<name>, by the folder its source
    is in (a name this checkout has no source for goes to /bin)."""
    sources = SourceTree(REPO_ROOT).program_sources()
    return {name: f"/{sources[name].parent.name if name in sources else 'bin'}/{name}" for name in programs}


def inputs_digest(programs: dict[str, Path]) -> str:
    """A hash of every program's place and bytes: the image's whole input."""
    h = hashlib.sha256(f"{IMAGE_SIZE}/{BLOCK_SIZE}".encode())
    for name, path in sorted(install_paths(programs).items()):
        h.update(path.encode() + b"\0" + programs[name].read_bytes())
    for page in www_files():
        h.update(b"www/" + page.name.encode() + b"\0" + page.read_bytes())
    return h.hexdigest()


def build_disk_image(programs: dict[str, Path], build_dir: Path) -> Path:
    """<build_dir>/disk.img with each program in its kind's directory; remade only if
    they changed."""
    image = build_dir / IMAGE_NAME
    stamp = build_dir / "stamps" / f"{IMAGE_NAME}.sha256"
    digest = inputs_digest(programs)
    if image.exists() and stamp.exists() and stamp.read_text() == digest:
        return image
    build_dir.mkdir(parents=True, exist_ok=True)
    tmp = image.with_suffix(".tmp")
    make_filesystem(tmp, MkfsOptions(size=IMAGE_SIZE, block_size=BLOCK_SIZE, label="lamina"))
    with Ext2Image(tmp, writable=True) as fs:
        for folder in PROGRAM_FOLDERS:
            fs.mkdir(folder.disk_directory, 0o755)
        for name, path in sorted(install_paths(programs).items()):
            put_file(fs, programs[name], path)
        fs.mkdir("/www", 0o755)
        for page in www_files():
            put_file(fs, page, f"/www/{page.name}")
    tmp.replace(image)
    stamp.parent.mkdir(parents=True, exist_ok=True)
    stamp.write_text(digest)
    return image
