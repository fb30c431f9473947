"""The file server's ext2 core (userland/lib/ext2/) and request handlers
(userland/lib/fsserver.c), compiled for the host and run on image files
(tests/fs_host/): the cases that would take long in the emulator, checked with
e2fsck -fn and against a model.
"""

from __future__ import annotations

import errno
import random
from pathlib import Path

import pytest

from fs_host.hostfs import FsError, HostFs, HostLib, HostServer, MountRefused, build_library
from fs_images import assert_clean, mke2fs, pattern, python_mkfs, read_back


@pytest.fixture(scope="session")
def lib(tmp_path_factory: pytest.TempPathFactory) -> HostLib:
    """The core, built for the host once per session."""
    return HostLib(build_library(tmp_path_factory.mktemp("ext2host")))


def fails(err: int, fn, *args) -> None:
    """fn(*args) raises FsError with errno err."""
    with pytest.raises(FsError) as e:
        fn(*args)
    assert e.value.errno == err, e.value


def test_triple_indirect_blocks_and_truncation_give_every_block_back(lib: HostLib, tmp_path: Path) -> None:
    image = mke2fs(tmp_path / "disk.img", "8M", 1024)
    far = (12 + 256 + 256 * 256 + 5) * 1024 + 100  # past the double indirect blocks
    with HostFs(lib, image) as fs:
        free = fs.statfs().free_blocks
        ino = fs.create("/sparse")
        fs.write_ino(ino, 0, b"start")
        fs.write_ino(ino, 20 * 1024, pattern(5000, 1))
        fs.write_ino(ino, far, b"far away")
        assert fs.stat("/sparse").size == far + 8
        assert fs.read_ino(ino, far - 3, 20) == b"\0\0\0far away"
        assert fs.read_ino(ino, 5, 1000) == bytes(1000)  # a hole reads as zeros
    assert_clean(image)
    assert read_back(image, "/sparse")[far:] == b"far away"
    with HostFs(lib, image) as fs:
        fs.truncate_ino(fs.lookup("/sparse"), 7)
        assert fs.read_file("/sparse") == b"start\0\0"
        fs.unlink("/sparse")
        assert fs.statfs().free_blocks == free
    assert_clean(image)


@pytest.mark.parametrize("block_size, extra", [(1024, ()), (2048, ()), (4096, ()),
                                               (1024, ("-g", "1024", "-O", "sparse_super,filetype"))])
def test_random_operations_match_a_model(lib: HostLib, tmp_path: Path, block_size: int, extra) -> None:
    image = mke2fs(tmp_path / "disk.img", "8M", block_size, *extra, features="" if extra else "none")
    rng = random.Random(block_size)
    files: dict[str, bytearray] = {}  # path -> contents (hard links share one bytearray)
    dirs = {"/", "/lost+found"}
    fs = HostFs(lib, image, cache_blocks=32)  # a small cache: evictions happen
    for step in range(400):
        parent = rng.choice(sorted(dirs))
        path = parent.rstrip("/") + "/" + rng.choice("abcdefg") + rng.choice("xyz")
        op = rng.choice(["create", "write", "truncate", "unlink", "mkdir", "rmdir", "rename", "link", "remount"])
        exists = path in files or path in dirs
        if op == "create" and not exists:
            data = bytearray(rng.randbytes(rng.choice([0, 10, 1000, 5000, 70000])))
            fs.write_file(path, bytes(data))
            files[path] = data
        elif op in ("write", "truncate") and files:
            victim = rng.choice(sorted(files))
            data = files[victim]
            ino = fs.lookup(victim)
            where = rng.randrange(0, len(data) + 3000)
            if op == "write":
                chunk = rng.randbytes(rng.randrange(1, 9000))
                fs.write_ino(ino, where, chunk)
                data.extend(bytes(max(0, where - len(data))))
                data[where:where + len(chunk)] = chunk
            else:
                fs.truncate_ino(ino, where)
                del data[where:]
                data.extend(bytes(where - len(data)))
        elif op == "unlink" and files:
            victim = rng.choice(sorted(files))
            fs.unlink(victim)
            del files[victim]
        elif op == "mkdir" and not exists:
            fs.mkdir(path)
            dirs.add(path)
        elif op == "rmdir" and len(dirs) > 2:
            victim = rng.choice(sorted(dirs - {"/"}))
            if any(p.startswith(victim + "/") for p in list(files) + list(dirs)):
                fails(errno.ENOTEMPTY, fs.rmdir, victim)
            else:
                fs.rmdir(victim)
                dirs.discard(victim)
        elif op in ("rename", "link") and files and path not in dirs:
            victim = rng.choice(sorted(files))
            if op == "rename":
                fs.rename(victim, path)
                files[path] = files.pop(victim)
            elif path not in files:
                fs.link(victim, path)
                files[path] = files[victim]
        elif op == "remount":
            fs.unmount()
            assert_clean(image)
            fs = HostFs(lib, image, cache_blocks=32)
    for path, data in files.items():
        assert fs.read_file(path) == bytes(data), path
    fs.unmount()
    assert_clean(image)
    for path, data in files.items():
        assert read_back(image, path) == bytes(data), path


def test_an_unlinked_file_lives_until_it_is_closed(lib: HostLib, tmp_path: Path) -> None:
    image = mke2fs(tmp_path / "disk.img", "4M", 1024)
    with HostFs(lib, image) as fs:
        free = fs.statfs().free_inodes
        ino = fs.write_file("/doomed", b"x" * 50000)
        fs.open(ino)
        fs.unlink("/doomed")
        fails(errno.ENOENT, fs.lookup, "/doomed")
        assert fs.read_ino(ino, 49990, 100) == b"x" * 10
        assert fs.statfs().free_inodes == free - 1
        fs.close(ino)
        assert fs.statfs().free_inodes == free
    assert_clean(image)


def test_rename_follows_the_posix_rules(lib: HostLib, tmp_path: Path) -> None:
    image = mke2fs(tmp_path / "disk.img", "4M", 1024, features="")  # with filetype
    with HostFs(lib, image) as fs:
        for d in ("/a", "/a/b", "/c", "/empty", "/full", "/full/x"):
            fs.mkdir(d)
        fs.write_file("/f", b"file")
        fs.write_file("/g", b"other")
        fails(errno.EINVAL, fs.rename, "/a", "/a/b/inside")
        fails(errno.EISDIR, fs.rename, "/f", "/c")
        fails(errno.ENOTDIR, fs.rename, "/c", "/f")
        fails(errno.ENOTEMPTY, fs.rename, "/c", "/full")
        fails(errno.ENOENT, fs.rename, "/nothing", "/n")
        fs.rename("/f", "/f")  # the same file: nothing happens
        fs.rename("/f", "/g")
        assert fs.read_file("/g") == b"file"
        fs.rename("/a", "/c/moved")  # a directory to a new parent: ".." follows
        assert fs.lookup("/c/moved/b/..") == fs.lookup("/c/moved")
        assert fs.lookup("/c/moved/..") == fs.lookup("/c")
        fs.rename("/c/moved", "/empty")  # over an empty directory
        assert fs.stat("/").links == 2 + 3 + 1  # ., .., lost+found, c, empty, full
        fs.link("/g", "/c/g2")
        assert fs.stat("/g").links == 2
        fails(errno.EPERM, fs.link, "/c", "/c2")
        fails(errno.EEXIST, fs.link, "/g", "/c/g2")
    assert_clean(image)


def test_a_directory_grows_to_many_blocks_and_empties_again(lib: HostLib, tmp_path: Path) -> None:
    image = mke2fs(tmp_path / "disk.img", "4M", 1024)
    names = [f"{i:04d}-" + "n" * (i % 200) for i in range(400)]
    with HostFs(lib, image) as fs:
        fs.mkdir("/big")
        for name in names:
            fs.create("/big/" + name)
        assert fs.stat("/big").size > 20 * 1024
        assert sorted(fs.listdir("/big")) == sorted([".", "..", *names])
        fails(errno.ENOTEMPTY, fs.rmdir, "/big")
        for name in names[::2]:
            fs.unlink("/big/" + name)
        fs.sync()
    assert_clean(image)
    with HostFs(lib, image) as fs:
        for name in names[1::2]:
            fs.unlink("/big/" + name)
        assert sorted(fs.listdir("/big")) == [".", ".."]
        fs.rmdir("/big")
    assert_clean(image)


def test_an_indexed_directory_stays_clean_when_changed(lib: HostLib, tmp_path: Path) -> None:
    import subprocess

    from fs_images import MKE2FS

    source = tmp_path / "tree" / "many"
    source.mkdir(parents=True)
    for i in range(300):
        (source / f"file-{i:03d}").write_text(str(i))
    image = mke2fs(tmp_path / "disk.img", "8M", 1024, "-d", str(source.parent), features="")
    e2fsck = Path(MKE2FS).with_name("e2fsck")
    subprocess.run([str(e2fsck), "-fyD", str(image)], capture_output=True)  # builds hash indexes
    with HostFs(lib, image) as fs:
        fs.create("/many/new")
        fs.unlink("/many/file-007")
        fs.rename("/many/file-100", "/many/renamed")
        assert fs.read_file("/many/file-123") == b"123"
    assert_clean(image)


@pytest.mark.parametrize("offset, value, reason", [
    (56, b"\x00\x00", "bad magic number"),
    (76, b"\x02\x00\x00\x00", "unsupported revision 2"),
    (24, b"\x05\x00\x00\x00", "unsupported block size"),
    (100, b"\x08\x00\x00\x00", "unsupported read-only-compatible feature huge_file"),
    (96, b"\x40\x00\x00\x00", "unsupported incompatible feature extent"),
    (58, b"\x02\x00", "marked as having errors"),
    (32, b"\x00\x00\x00\x00", "corrupted superblock: 0 blocks and"),
    (88, b"\x03\x00", "inode size 3"),
    (2048 + 8, b"\xff\xff\xff\x00", "corrupted group descriptor 0"),
])
def test_a_damaged_superblock_is_refused_with_a_reason(lib: HostLib, tmp_path: Path, offset: int, value: bytes,
                                                       reason: str) -> None:
    image = mke2fs(tmp_path / "disk.img", "4M", 1024)
    with open(image, "r+b") as f:
        f.seek(1024 + offset if offset < 1024 else offset)
        f.write(value)
    with pytest.raises(MountRefused) as e:
        HostFs(lib, image)
    assert reason in str(e.value)


def test_the_cache_joins_neighbouring_blocks_into_one_request(lib: HostLib, tmp_path: Path) -> None:
    image = mke2fs(tmp_path / "disk.img", "16M", 4096)
    with HostFs(lib, image, cache_blocks=512) as fs:
        fs.write_file("/one-mib", pattern(1 << 20, 5))
        before = fs.disk_count("writes")
        fs.sync()
        assert fs.disk_count("writes") - before < 20  # 256 data blocks, a few runs
    with HostFs(lib, image) as fs:
        assert fs.read_file("/one-mib") == pattern(1 << 20, 5)
        assert fs.disk_count("reads") < 30  # read ahead
    assert_clean(image)


def test_names_and_paths_have_limits(lib: HostLib, tmp_path: Path) -> None:
    image = python_mkfs(tmp_path / "disk.img", 4 << 20, 1024)
    with HostFs(lib, image) as fs:
        fs.create("/" + "n" * 255)
        fails(errno.ENAMETOOLONG, fs.create, "/" + "n" * 256)
        fails(errno.ENAMETOOLONG, fs.lookup, "/a" * 512)
        fails(errno.ENOENT, fs.lookup, "")
        fails(errno.EEXIST, fs.mkdir, "/.")
        fails(errno.ENOTDIR, fs.create, "/" + "n" * 255 + "/x")
        fails(errno.ENOSPC, lambda: [fs.create(f"/f{i}") for i in range(10000)])
    assert_clean(image)


FS_OPEN, FS_READ, FS_PREAD = 1, 3, 19  # <lamina/fsproto.h>


def test_pread_reads_at_its_offset_and_leaves_the_descriptors_alone(lib: HostLib, tmp_path: Path) -> None:
    data = bytes(range(256)) * 40  # 10,240 bytes: a read crossing blocks
    image = python_mkfs(tmp_path / "disk.img", 4 << 20, 1024, {"/data": data})
    with HostFs(lib, image) as fs:
        server = HostServer(fs)
        fd, size = server.request(1, [FS_OPEN, 0, 0], b"/data\0")[:2]
        assert fd >= 0 and size == len(data)
        assert server.request(1, [FS_PREAD, fd, 4096, 1500], b"")[0] == 4096
        assert server.page.raw == data[1500:1500 + 4096]
        assert server.request(1, [FS_PREAD, fd, 4096, len(data) - 100], b"")[0] == 100  # short at the end
        assert server.page.raw[:100] == data[-100:]
        assert server.request(1, [FS_PREAD, fd, 10, len(data) + 5], b"")[0] == 0  # past the end
        assert server.request(1, [FS_READ, fd, 16], b"")[0] == 16  # the offset never moved
        assert server.page.raw[:16] == data[:16]
        assert server.request(1, [FS_PREAD, fd, 4097, 0], b"")[0] == -errno.EINVAL  # more than a page
        assert server.request(1, [FS_PREAD, fd, 16, 0], b"", writable=False)[0] == -errno.EFAULT
        assert server.request(2, [FS_PREAD, fd, 16, 0], b"")[0] == -errno.EBADF  # another client's descriptor
        server.close()
    assert_clean(image)


def test_garbage_requests_never_break_the_server(lib: HostLib, tmp_path: Path) -> None:
    image = python_mkfs(tmp_path / "disk.img", 4 << 20, 1024, {"/keep": b"kept\n"})
    rng = random.Random(4)
    with HostFs(lib, image) as fs:
        server = HostServer(fs)
        for _ in range(3000):
            code = rng.choice([rng.randrange(0, 18), 19, 20, rng.getrandbits(64)])  # not 18, FS_SHUTDOWN
            words = [code] + [rng.choice([0, 1, 2, 15, 16, 4096, 4097, rng.getrandbits(64)]) for _ in range(3)]
            page = rng.choice([None, rng.randbytes(4096), b"/d\0", b"/x\0" + bytes(2045) + b"/y\0"])
            result = server.request(rng.randrange(1, 40), words, page, rng.random() < 0.8)[0]
            assert result >= 0 or -result in errno.errorcode
        assert server.request(1, [7], b"/keep\0")[0] == 0  # FS_STAT still works
        assert fs.read_file("/keep") == b"kept\n"
        server.close()
    assert_clean(image)
