"""`lamina image ...`: make, inspect and edit ext2 disk images from the host's shell.

The command-line face of toolchain/ext2. Each subcommand is a function that takes its
arguments and two output streams and returns an exit status (0 done, 1 refused with a
one-line reason on stderr, 2 a usage mistake), so tests and the `lamina` CLI call them
alike. The lamina CLI hooks in with `add_image_commands(subparsers)` and, for
`args.command == "image"`, `run_image_command(args)`; `python -m toolchain.imagecmd image ...`
works without it.

    image create DISK --size 32M [--block-size 1024|2048|4096] [--inodes N] [--from DIR]
    image ls DISK [PATH]        image cat DISK PATH        image rm DISK PATH
    image put DISK HOST_PATH GUEST_PATH                     image get DISK GUEST_PATH HOST_PATH
    image mkdir DISK PATH       image fsck DISK
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Callable, TextIO

from toolchain.ext2 import (
    Ext2Error,
    Ext2Image,
    MkfsOptions,
    check_image,
    get_file,
    import_tree,
    make_filesystem,
    parse_size,
    put_file,
    run_e2fsck,
)
from toolchain.ext2.layout import S_IFMT, TYPE_LETTER


def mode_string(mode: int) -> str:
    """An inode mode the way ls -l shows it, e.g. 'drwxr-xr-x'."""
    letters = TYPE_LETTER.get(mode & S_IFMT, "?")
    for shift, special, marks in ((6, 0o4000, "sS"), (3, 0o2000, "sS"), (0, 0o1000, "tT")):
        bits = mode >> shift & 7
        execute = "x" if bits & 1 else "-"
        if mode & special:
            execute = marks[0] if bits & 1 else marks[1]
        letters += ("r" if bits & 4 else "-") + ("w" if bits & 2 else "-") + execute
    return letters


def cmd_create(disk: Path, size: int, block_size: int, inodes: int | None, source: Path | None,
               stdout: TextIO, stderr: TextIO) -> int:
    """Format DISK (created or overwritten) as empty ext2, then copy the host tree source in."""
    if source is not None and not source.is_dir():
        raise Ext2Error(f"{source}: not a directory on the host")
    geo = make_filesystem(disk, MkfsOptions(size=size, block_size=block_size, inode_count=inodes))
    if source is not None:
        with Ext2Image(disk, writable=True) as image:
            for skipped in import_tree(image, source):
                stderr.write(f"image create: skipped {skipped}: not a file, directory or symbolic link\n")
    stdout.write(f"{disk}: ext2, {geo.blocks_count} blocks of {geo.block_size} bytes, "
                 f"{geo.inodes_count} inodes, {geo.group_count} block group(s)\n")
    return 0


def cmd_ls(disk: Path, path: str, stdout: TextIO, stderr: TextIO) -> int:
    """List a directory (or one file) like `ls -l`: mode, links, size, name."""
    with Ext2Image(disk) as image:
        inode = image.lookup(path)
        if inode.is_dir():
            rows = [(image.volume.read_inode(e.inode), e.name.decode("utf-8", "surrogateescape"),
                     path.rstrip("/") + "/" + e.name.decode("utf-8", "surrogateescape"))
                    for e in image.listdir(path) if e.name not in (b".", b"..")]
        else:
            rows = [(inode, path.rsplit("/", 1)[-1], path)]
        links = max((len(str(i.links_count)) for i, _, _ in rows), default=1)
        sizes = max((len(str(i.size)) for i, _, _ in rows), default=1)
        for child, name, full in rows:
            target = f" -> {image.readlink(full)}" if child.is_symlink() else ""
            stdout.write(f"{mode_string(child.mode)} {child.links_count:>{links}} {child.size:>{sizes}} {name}{target}\n")
    return 0


def cmd_cat(disk: Path, path: str, stdout: TextIO, stderr: TextIO) -> int:
    """Write a file's bytes to stdout (its binary buffer when it has one)."""
    with Ext2Image(disk) as image:
        binary = getattr(stdout, "buffer", None)
        stdout.flush()
        for chunk in image.iter_file(path):
            if binary is not None:
                binary.write(chunk)
            else:
                stdout.write(chunk.decode("utf-8", "replace"))
        if binary is not None:
            binary.flush()
    return 0


def cmd_rm(disk: Path, path: str, stdout: TextIO, stderr: TextIO) -> int:
    """Remove a file, symbolic link or empty directory."""
    with Ext2Image(disk, writable=True) as image:
        if image.lookup(path).is_dir():
            image.rmdir(path)
        else:
            image.unlink(path)
    return 0


def cmd_put(disk: Path, host: Path, guest: str, stdout: TextIO, stderr: TextIO) -> int:
    """Copy a host file into the image, replacing a file already there."""
    with Ext2Image(disk, writable=True) as image:
        put_file(image, host, guest)
    return 0


def cmd_get(disk: Path, guest: str, host: Path, stdout: TextIO, stderr: TextIO) -> int:
    """Copy a file out of the image onto the host."""
    with Ext2Image(disk) as image:
        get_file(image, guest, host)
    return 0


def cmd_mkdir(disk: Path, path: str, stdout: TextIO, stderr: TextIO) -> int:
    """Make a directory (its parent must exist)."""
    with Ext2Image(disk, writable=True) as image:
        image.mkdir(path)
    return 0


def cmd_fsck(disk: Path, use_e2fsck: bool, stdout: TextIO, stderr: TextIO) -> int:
    """Check the image with the Python checker, then `e2fsck -fn` if installed; 1 if either finds a problem."""
    problems = check_image(disk)
    for problem in problems:
        stdout.write(f"{problem}\n")
    stdout.write(f"lamina check: {'clean' if not problems else f'{len(problems)} problem(s)'}\n")
    status = 1 if problems else 0
    outcome = run_e2fsck(disk) if use_e2fsck else None
    if outcome is not None:
        code, output = outcome
        if code != 0:
            stdout.write(output + "\n")
            status = 1
        stdout.write(f"e2fsck -fn: {'clean' if code == 0 else 'problems'} (exit status {code})\n")
    elif use_e2fsck:
        stdout.write("e2fsck -fn: not run (e2fsprogs is not installed)\n")
    return status


def _size(text: str) -> int:
    """argparse type for sizes like 32M."""
    try:
        return parse_size(text)
    except ValueError as err:
        raise argparse.ArgumentTypeError(str(err)) from None


def add_image_commands(subparsers: argparse._SubParsersAction) -> None:
    """Add `image` and its subcommands to a parser's subparsers."""
    image = subparsers.add_parser("image", help="make, inspect and edit ext2 disk images",
                                  description="Make, inspect and edit ext2 disk images without mounting them.")
    sub = image.add_subparsers(dest="image_command", required=True, metavar="SUBCOMMAND")
    create = sub.add_parser("create", help="format a new ext2 image, optionally filled from a host directory")
    create.add_argument("disk", type=Path, metavar="DISK")
    create.add_argument("--size", type=_size, required=True, help="e.g. 32M, 512K, 1G or bytes")
    create.add_argument("--block-size", type=int, default=1024, choices=(1024, 2048, 4096))
    create.add_argument("--inodes", type=int, default=None, metavar="N", help="inode count (default: one per 4 KiB of disk, per 16 KiB from 512M up)")
    create.add_argument("--from", dest="source", type=Path, default=None, metavar="DIR",
                        help="copy this host directory tree into the new image")
    for name, helptext in (("ls", "list a directory like ls -l"), ("cat", "print a file"),
                           ("rm", "remove a file or empty directory"), ("mkdir", "make a directory")):
        command = sub.add_parser(name, help=helptext)
        command.add_argument("disk", type=Path, metavar="DISK")
        command.add_argument("path", metavar="PATH", **({"nargs": "?", "default": "/"} if name == "ls" else {}))
    put = sub.add_parser("put", help="copy a host file into the image")
    put.add_argument("disk", type=Path, metavar="DISK")
    put.add_argument("host", type=Path, metavar="HOST_PATH")
    put.add_argument("guest", metavar="GUEST_PATH")
    get = sub.add_parser("get", help="copy a file out of the image")
    get.add_argument("disk", type=Path, metavar="DISK")
    get.add_argument("guest", metavar="GUEST_PATH")
    get.add_argument("host", type=Path, metavar="HOST_PATH")
    fsck = sub.add_parser("fsck", help="check the image (and run e2fsck -fn if installed)")
    fsck.add_argument("disk", type=Path, metavar="DISK")
    fsck.add_argument("--no-e2fsck", action="store_true", help="only run the Python checker")


def _dispatch(args: argparse.Namespace, out: TextIO, err: TextIO) -> int:
    """Call the function for args.image_command."""
    commands: dict[str, Callable[[], int]] = {
        "create": lambda: cmd_create(args.disk, args.size, args.block_size, args.inodes, args.source, out, err),
        "ls": lambda: cmd_ls(args.disk, args.path, out, err),
        "cat": lambda: cmd_cat(args.disk, args.path, out, err),
        "rm": lambda: cmd_rm(args.disk, args.path, out, err),
        "put": lambda: cmd_put(args.disk, args.host, args.guest, out, err),
        "get": lambda: cmd_get(args.disk, args.guest, args.host, out, err),
        "mkdir": lambda: cmd_mkdir(args.disk, args.path, out, err),
        "fsck": lambda: cmd_fsck(args.disk, not args.no_e2fsck, out, err),
    }
    return commands[args.image_command]()


def run_image_command(args: argparse.Namespace, stdout: TextIO | None = None, stderr: TextIO | None = None) -> int:
    """Run a parsed `image` subcommand; errors become one line on stderr and exit status 1."""
    out, err = stdout or sys.stdout, stderr or sys.stderr
    try:
        return _dispatch(args, out, err)
    except Ext2Error as error:
        err.write(f"lamina image {args.image_command}: {error}\n")
    except OSError as error:
        where = f"{error.filename}: " if error.filename else ""
        err.write(f"lamina image {args.image_command}: {where}{error.strerror or error}\n")
    return 1


def main(argv: list[str] | None = None) -> int:
    """`python -m toolchain.imagecmd image SUBCOMMAND ...`."""
    parser = argparse.ArgumentParser(prog="lamina")
    add_image_commands(parser.add_subparsers(dest="command", required=True))
    return run_image_command(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
