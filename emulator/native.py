"""Building and loading the board's native helpers (host code, compiled with ziglang).

The instruction clock runs once per translated block and trap entry once per system
call, so both are written in C (native/hooks.c) and built for the host on first use
with the same ziglang package that builds userland. If the build fails (or
LAMINA_NATIVE=0), the board falls back to pure-Python hooks that behave identically,
only slower.
"""

from __future__ import annotations

import ctypes
import hashlib
import os
import platform
import subprocess
import sys
import tempfile
import warnings
from pathlib import Path

import unicorn

SOURCE = Path(__file__).with_name("native") / "hooks.c"
# hooks.c calls no library function (Unicorn's entry points come in as pointers), so it
# is built freestanding: zig then need not first build a C library for the host, which
# took 4 to 5 s of a fresh clone's first `lamina run` (0.3 s without). Where a shared
# library cannot be linked that way, the build falls back to the ordinary one.
FREESTANDING = ["-nostdlib", "-ffreestanding", "-fno-sanitize=all"]


def _library_suffix() -> str:
    """File suffix of a shared library on this host."""
    return {"Windows": ".dll", "Darwin": ".dylib"}.get(platform.system(), ".so")


def _library_path(cache_dir: Path) -> Path:
    """Where the library for this source, host and unicorn version is cached."""
    key = hashlib.sha256(SOURCE.read_bytes())
    key.update(f"{sys.platform}-{platform.machine()}-{unicorn.__version__}-{FREESTANDING}".encode())
    return cache_dir / f"lamina-hooks-{key.hexdigest()[:16]}{_library_suffix()}"


def _compile(target: Path) -> None:
    """Compile hooks.c into target, atomically (a concurrent build never sees half a file)."""
    target.parent.mkdir(parents=True, exist_ok=True)
    env = dict(os.environ)
    env.setdefault("ZIG_GLOBAL_CACHE_DIR", str(target.parent / "zig-cache"))
    env.setdefault("ZIG_LOCAL_CACHE_DIR", str(target.parent / "zig-cache"))
    fd, tmp = tempfile.mkstemp(dir=target.parent, suffix=target.suffix)
    os.close(fd)
    cmd = [sys.executable, "-m", "ziglang", "cc", "-O2", "-shared", "-fPIC", "-o", tmp, str(SOURCE)]
    try:
        result = subprocess.run(cmd + FREESTANDING, capture_output=True, text=True, env=env)
        if result.returncode != 0:
            result = subprocess.run(cmd, capture_output=True, text=True, env=env)
        if result.returncode != 0:
            raise OSError(f"zig cc failed building {SOURCE.name}:\n{result.stderr}")
        os.replace(tmp, target)
    finally:
        if os.path.exists(tmp):
            os.unlink(tmp)


def load_hook_library(cache_dir: Path | None) -> ctypes.CDLL | None:
    """The native hook library, built into cache_dir if needed; None to use Python hooks."""
    if cache_dir is None or os.environ.get("LAMINA_NATIVE", "1") == "0":
        return None
    path = _library_path(cache_dir)
    try:
        if not path.exists():
            _compile(path)
        return ctypes.CDLL(str(path))
    except OSError as err:
        warnings.warn(f"native hooks unavailable, using the slower Python hooks: {err}")
        return None
