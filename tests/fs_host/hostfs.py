"""The file server's ext2 core (userland/lib/ext2/*.c), compiled for the host and driven
from Python with ctypes, for tests.

The C is the very code fsd runs inside Lamina; only the block layer differs
(tests/fs_host/hostdisk.c reads and writes the image file). `HostFs` mounts an image
and offers the core's calls with Python types; a failing call raises `FsError` with the
errno the C returned, so a test reads `with pytest.raises(FsError) as e: ...;
e.value.errno == errno.ENOENT`.
"""

from __future__ import annotations

import ctypes
import errno as errno_names
import hashlib
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CORE_DIR = REPO / "userland" / "lib" / "ext2"
HOST_DISK = Path(__file__).with_name("hostdisk.c")
PUBLIC_HEADERS = REPO / "userland" / "include"

S_IFMT, S_IFDIR, S_IFREG = 0o170000, 0o040000, 0o100000


class FsError(OSError):
    """A core call returned -errno."""

    def __init__(self, err: int, what: str) -> None:
        super().__init__(err, f"{what}: {errno_names.errorcode.get(err, err)}")


class Stat(ctypes.Structure):
    _fields_ = [("ino", ctypes.c_uint32), ("mode", ctypes.c_uint32), ("links", ctypes.c_uint32),
                ("blocks", ctypes.c_uint32), ("size", ctypes.c_uint64), ("mtime", ctypes.c_uint32),
                ("pad", ctypes.c_uint32)]


class StatFs(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint32) for name in
                ("block_size", "blocks", "free_blocks", "inodes", "free_inodes", "groups")]


class Dirent(ctypes.Structure):
    _fields_ = [("ino", ctypes.c_uint32), ("type", ctypes.c_uint8), ("name_len", ctypes.c_uint8),
                ("name", ctypes.c_char * 256)]


SERVER = [REPO / "userland" / "lib" / "fsserver.c", REPO / "userland" / "lib" / "fsserver_clients.c"]


def _sources() -> list[Path]:
    """The C compiled for the host: the core, the request handlers, the file block layer."""
    return sorted(CORE_DIR.glob("*.c")) + SERVER + [HOST_DISK]


def build_library(out_dir: Path) -> Path:
    """Compile the core and the host block layer into a shared library in out_dir
    (reused while no source changed); return its path."""
    from toolchain.abi_header import render_abi_header
    from toolchain.zig import zig_environment

    inputs = _sources() + sorted(CORE_DIR.glob("*.h")) + sorted((PUBLIC_HEADERS / "lamina").glob("*.h"))
    digest = hashlib.sha256(render_abi_header().encode())
    for path in inputs:
        digest.update(path.read_bytes())
    lib = out_dir / f"libext2host-{digest.hexdigest()[:16]}.so"
    if lib.exists():
        return lib
    include = out_dir / "include"
    (include / "lamina").mkdir(parents=True, exist_ok=True)
    (include / "lamina" / "abi.h").write_text(render_abi_header())
    # -idirafter: <lamina/ext2.h> comes from userland/include, but <string.h> and the
    # rest from the host's C library, not from userland's freestanding headers.
    command = [sys.executable, "-m", "ziglang", "cc", "-shared", "-fPIC", "-O1", "-g", "-std=gnu17",
               "-Wall", "-Werror", f"-I{include}", "-idirafter", str(PUBLIC_HEADERS),
               "-o", str(lib), *map(str, _sources())]
    subprocess.run(command, check=True, capture_output=True, text=True, env=zig_environment(out_dir / "zig-cache"))
    return lib


class HostLib:
    """The loaded library, with argument types declared."""

    def __init__(self, path: Path) -> None:
        c = ctypes.CDLL(str(path))
        vp, u32, u64, cp, lp = ctypes.c_void_p, ctypes.c_uint32, ctypes.c_uint64, ctypes.c_char_p, ctypes.c_long
        signatures = {
            "host_mount": (vp, [cp, u32, cp, ctypes.c_size_t, ctypes.POINTER(lp)]),
            "host_fs_of": (vp, [vp]),
            "host_count": (lp, [vp, ctypes.c_int]),
            "host_unmount": (lp, [vp]),
            "host_abandon": (None, [vp]),
            "ext2_sync": (lp, [vp]),
            "ext2_statfs": (None, [vp, ctypes.POINTER(StatFs)]),
            "ext2_lookup": (lp, [vp, cp, ctypes.POINTER(u32)]),
            "ext2_stat": (lp, [vp, u32, ctypes.POINTER(Stat)]),
            "ext2_read": (lp, [vp, u32, u64, ctypes.c_char_p, ctypes.c_size_t]),
            "ext2_write": (lp, [vp, u32, u64, ctypes.c_char_p, ctypes.c_size_t]),
            "ext2_truncate": (lp, [vp, u32, u64]),
            "ext2_create": (lp, [vp, cp, u32, ctypes.POINTER(u32)]),
            "ext2_mkdir": (lp, [vp, cp, u32]),
            "ext2_unlink": (lp, [vp, cp]),
            "ext2_rmdir": (lp, [vp, cp]),
            "ext2_link": (lp, [vp, cp, cp]),
            "ext2_rename": (lp, [vp, cp, cp]),
            "ext2_readdir": (lp, [vp, u32, ctypes.POINTER(u64), ctypes.POINTER(Dirent)]),
            "ext2_open": (lp, [vp, u32]),
            "ext2_close": (lp, [vp, u32]),
            "host_server_new": (vp, [vp]),
            "host_server_free": (None, [vp]),
            "host_server_request": (None, [vp, lp, ctypes.POINTER(ctypes.c_ulong), vp, ctypes.c_int,
                                           ctypes.POINTER(ctypes.c_ulong)]),
        }
        for name, (restype, argtypes) in signatures.items():
            fn = getattr(c, name)
            fn.restype, fn.argtypes = restype, argtypes
        self.c = c


class MountRefused(Exception):
    """The core would not mount the image; str() is its reason."""

    def __init__(self, err: int, reason: str) -> None:
        super().__init__(reason)
        self.errno = err


def _path(p: str) -> bytes:
    return p.encode()


class HostFs:
    """A mounted image. Use as a context manager: leaving it unmounts (and syncs)."""

    def __init__(self, lib: HostLib, image: Path, cache_blocks: int = 64) -> None:
        self.c = lib.c
        why = ctypes.create_string_buffer(200)
        err = ctypes.c_long(0)
        self.h = self.c.host_mount(str(image).encode(), cache_blocks, why, len(why), ctypes.byref(err))
        if not self.h:
            raise MountRefused(-err.value, why.value.decode())
        self.fs = self.c.host_fs_of(self.h)

    def __enter__(self) -> HostFs:
        return self

    def __exit__(self, *exc: object) -> None:
        if self.h:
            self.unmount()

    def _check(self, result: int, what: str) -> int:
        if result < 0:
            raise FsError(-result, what)
        return result

    def unmount(self) -> None:
        h, self.h = self.h, None
        self._check(self.c.host_unmount(h), "unmount")

    def abandon(self) -> None:
        """Forget the mount without writing anything back (a crash)."""
        h, self.h = self.h, None
        self.c.host_abandon(h)

    def disk_count(self, which: str) -> int:
        return self.c.host_count(self.h, ("reads", "writes", "flushes").index(which))

    def sync(self) -> None:
        self._check(self.c.ext2_sync(self.fs), "sync")

    def statfs(self) -> StatFs:
        st = StatFs()
        self.c.ext2_statfs(self.fs, ctypes.byref(st))
        return st

    def lookup(self, path: str) -> int:
        ino = ctypes.c_uint32()
        self._check(self.c.ext2_lookup(self.fs, _path(path), ctypes.byref(ino)), f"lookup {path}")
        return ino.value

    def stat(self, path: str) -> Stat:
        st = Stat()
        self._check(self.c.ext2_stat(self.fs, self.lookup(path), ctypes.byref(st)), f"stat {path}")
        return st

    def create(self, path: str, perm: int = 0o644) -> int:
        ino = ctypes.c_uint32()
        self._check(self.c.ext2_create(self.fs, _path(path), perm, ctypes.byref(ino)), f"create {path}")
        return ino.value

    def read_ino(self, ino: int, offset: int, n: int) -> bytes:
        buf = ctypes.create_string_buffer(n)
        got = self._check(self.c.ext2_read(self.fs, ino, offset, buf, n), f"read {ino}")
        return buf.raw[:got]

    def write_ino(self, ino: int, offset: int, data: bytes) -> int:
        return self._check(self.c.ext2_write(self.fs, ino, offset, data, len(data)), f"write {ino}")

    def read_file(self, path: str) -> bytes:
        ino = self.lookup(path)
        return self.read_ino(ino, 0, self.stat(path).size)

    def write_file(self, path: str, data: bytes, chunk: int = 1 << 20) -> int:
        """Create (or truncate) path and write data to it; return its inode."""
        try:
            ino = self.create(path)
        except FsError as e:
            if e.errno != errno_names.EEXIST:
                raise
            ino = self.lookup(path)
            self.truncate_ino(ino, 0)
        for off in range(0, len(data), chunk):
            part = data[off:off + chunk]
            written = self.write_ino(ino, off, part)
            if written != len(part):
                raise FsError(errno_names.ENOSPC, f"short write to {path}")
        return ino

    def truncate_ino(self, ino: int, size: int) -> None:
        self._check(self.c.ext2_truncate(self.fs, ino, size), f"truncate {ino}")

    def mkdir(self, path: str, perm: int = 0o755) -> None:
        self._check(self.c.ext2_mkdir(self.fs, _path(path), perm), f"mkdir {path}")

    def unlink(self, path: str) -> None:
        self._check(self.c.ext2_unlink(self.fs, _path(path)), f"unlink {path}")

    def rmdir(self, path: str) -> None:
        self._check(self.c.ext2_rmdir(self.fs, _path(path)), f"rmdir {path}")

    def link(self, old: str, new: str) -> None:
        self._check(self.c.ext2_link(self.fs, _path(old), _path(new)), f"link {old} {new}")

    def rename(self, old: str, new: str) -> None:
        self._check(self.c.ext2_rename(self.fs, _path(old), _path(new)), f"rename {old} {new}")

    def open(self, ino: int) -> None:
        self._check(self.c.ext2_open(self.fs, ino), f"open {ino}")

    def close(self, ino: int) -> None:
        self._check(self.c.ext2_close(self.fs, ino), f"close {ino}")

    def listdir(self, path: str) -> dict[str, int]:
        """{name: inode} of every entry of the directory at path, "." and ".." included."""
        ino = self.lookup(path)
        pos = ctypes.c_uint64(0)
        ent = Dirent()
        names = {}
        while self._check(self.c.ext2_readdir(self.fs, ino, ctypes.byref(pos), ctypes.byref(ent)),
                          f"readdir {path}") == 1:
            names[ent.name[:ent.name_len].decode()] = ent.ino
        return names


class HostServer:
    """fsd's request handlers on a mounted HostFs: requests in, reply words out."""

    def __init__(self, fs: HostFs) -> None:
        self.c = fs.c
        self.srv = self.c.host_server_new(fs.h)
        self.page = ctypes.create_string_buffer(4096)

    def close(self) -> None:
        self.c.host_server_free(self.srv)

    def request(self, client: int, words: list[int], page: bytes | None = None, writable: bool = True) -> list[int]:
        """Send words (w[0] the FS_* code) with page contents (None: no page); the reply
        words, w[0] as a signed result. The page afterwards is in self.page.raw."""
        w = (ctypes.c_ulong * 4)(*[x & (2**64 - 1) for x in (words + [0, 0, 0, 0])[:4]])
        reply = (ctypes.c_ulong * 4)()
        if page is not None:
            ctypes.memmove(self.page, page.ljust(4096, b"\0")[:4096], 4096)
        self.c.host_server_request(self.srv, client, w, self.page if page is not None else None,
                                   int(writable), reply)
        result = [reply[i] for i in range(4)]
        result[0] = ctypes.c_long(result[0]).value
        return result
