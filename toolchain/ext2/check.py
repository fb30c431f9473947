"""fsck in Python: check that an ext2 image agrees with itself, and say where it does not.

Part of the top layer of toolchain/ext2 (`lamina image fsck` runs it). It rebuilds from
first principles what the summary structures claim: which blocks are owned (metadata,
file data, indirect blocks), which inodes are reachable from the root, how many names
each inode has; then compares with the block and inode bitmaps, the link counts,
i_blocks, and the free counts in the group descriptors and superblock. Each Problem names
its place (an inode, a block, a group, a path). It only reads. `run_e2fsck` runs the real
e2fsck read-only as a second opinion when e2fsprogs is installed.
"""

from __future__ import annotations

import shutil
import subprocess
from collections import deque
from dataclasses import dataclass
from pathlib import Path

from toolchain.ext2.directory import parse_block
from toolchain.ext2.errors import Ext2Error
from toolchain.ext2.features import COMPAT_RESIZE_INODE, INCOMPAT_FILETYPE
from toolchain.ext2.image import Ext2Image
from toolchain.ext2.layout import DOUBLE, FILE_TYPE_OF_MODE, RESIZE_INO, ROOT_INO, S_IFMT, Inode

MAX_LISTED = 20   # blocks or inodes listed in one bitmap problem before "..."


@dataclass(frozen=True)
class Problem:
    """One inconsistency: where it is and what is wrong."""

    where: str
    what: str

    def __str__(self) -> str:
        """'where: what', the way it is printed."""
        return f"{self.where}: {self.what}"


def _ranges(numbers: list[int]) -> str:
    """A short text for a sorted list of numbers: '5-9, 12' (the first MAX_LISTED runs)."""
    runs: list[list[int]] = []
    for n in numbers:
        if runs and n == runs[-1][1] + 1:
            runs[-1][1] = n
        else:
            runs.append([n, n])
    text = ", ".join(f"{a}-{b}" if a != b else f"{a}" for a, b in runs[:MAX_LISTED])
    return text + (f", ... ({len(runs) - MAX_LISTED} more runs)" if len(runs) > MAX_LISTED else "")


class Checker:
    """One pass over an open image, collecting Problems."""

    def __init__(self, image: Ext2Image) -> None:
        """Check image (opened read-only is enough)."""
        self.image = image
        self.volume = image.volume
        self.geo = image.volume.geo
        self.problems: list[Problem] = []
        self.owner: dict[int, str] = {}        # block -> who owns it
        self.in_use: dict[int, Inode] = {}      # inodes the bitmap marks used (numbers >= s_first_ino, and root)
        self.names: dict[int, int] = {}         # inode -> directory entries naming it
        self.xattr_blocks: set[int] = set()
        self.filetype = bool(self.volume.sb.feature_incompat & INCOMPAT_FILETYPE)

    def report(self, where: str, what: str) -> None:
        """Record a problem."""
        self.problems.append(Problem(where, what))

    def run(self) -> list[Problem]:
        """Every problem found, in the order the passes found them."""
        self.claim_metadata()
        self.scan_inodes()
        self.walk_tree()
        self.compare_links()
        self.compare_block_bitmaps()
        self.compare_inode_counts()
        return self.problems

    # ---- pass 1: who owns which block ---------------------------------------------------

    def claim(self, block: int, owner: str) -> None:
        """Note that owner uses block, reporting a block used twice."""
        if block in self.owner:
            self.report(f"block {block}", f"used by both {self.owner[block]} and {owner}")
        else:
            self.owner[block] = owner

    def claim_metadata(self) -> None:
        """Claim superblocks, descriptor tables, bitmaps and inode tables of every group."""
        for group, desc in enumerate(self.volume.groups):
            for block in self.geo.superblock_blocks(group):
                self.claim(block, f"group {group} superblock/descriptors")
            self.claim(desc.block_bitmap, f"group {group} block bitmap")
            self.claim(desc.inode_bitmap, f"group {group} inode bitmap")
            for block in range(desc.inode_table, desc.inode_table + self.geo.inode_table_blocks):
                self.claim(block, f"group {group} inode table")

    def scan_inodes(self) -> None:
        """Read every inode the bitmap marks used, claim its blocks and check its own fields."""
        size, per_group = self.geo.inode_size, self.geo.inodes_per_group
        for group, desc in enumerate(self.volume.groups):
            bitmap = self.volume.disk.read_block(desc.inode_bitmap)
            table = self.volume.disk.read_bytes(desc.inode_table * self.geo.block_size, per_group * size)
            for index in range(per_group):
                ino = group * per_group + index + 1
                marked = bitmap[index // 8] >> (index % 8) & 1
                if ino < self.geo.first_ino and ino != ROOT_INO:
                    if not marked:
                        self.report(f"inode {ino}", "reserved inode is marked free in the inode bitmap")
                    self.claim_reserved(ino)
                elif marked:
                    self.scan_used_inode(self.volume.read_inode(ino))
                else:
                    links = int.from_bytes(table[index * size + 26:index * size + 28], "little")
                    if links:
                        self.report(f"inode {ino}", f"has {links} links but is marked free in the inode bitmap")

    def scan_used_inode(self, inode: Inode) -> None:
        """Check an inode the bitmap marks used, and remember it if it really is."""
        if inode.links_count == 0 or inode.mode == 0:
            self.report(f"inode {inode.number}", "marked used in the inode bitmap but is free (no links or no mode)")
            return
        self.in_use[inode.number] = inode
        self.check_inode(inode)

    def claim_reserved(self, ino: int) -> None:
        """Claim the blocks of a reserved inode (the journal, bad blocks list, resize inode)."""
        inode = self.volume.read_inode(ino)
        if ino == RESIZE_INO and self.volume.sb.feature_compat & COMPAT_RESIZE_INODE:
            # Its tree points at the reserved descriptor blocks, already claimed as metadata.
            if inode.block[DOUBLE]:
                self.claim(inode.block[DOUBLE], f"inode {ino} (resize inode)")
            return
        if inode.mode or any(inode.block):
            self.claim_blocks(inode)

    def claim_blocks(self, inode: Inode) -> int:
        """Claim every block of an inode; the count of blocks found (data, indirect and xattr)."""
        count = 0
        try:
            for _, block, level in self.image.blocks.walk(inode):
                self.claim(block, f"inode {inode.number}" + (" (indirect block)" if level else ""))
                count += 1
        except Ext2Error as err:
            self.report(f"inode {inode.number}", str(err))
        if inode.file_acl:
            if not self.geo.first_data_block <= inode.file_acl < self.geo.blocks_count:
                self.report(f"inode {inode.number}", f"xattr block {inode.file_acl} is outside the filesystem")
            elif inode.file_acl not in self.xattr_blocks:   # one xattr block may serve many inodes
                self.xattr_blocks.add(inode.file_acl)
                self.claim(inode.file_acl, f"inode {inode.number} xattr block")
            count += 1
        return count

    def check_inode(self, inode: Inode) -> None:
        """Check one in-use inode: its type, dtime, block count and size."""
        where = f"inode {inode.number}"
        if inode.file_type not in FILE_TYPE_OF_MODE:
            self.report(where, f"mode {inode.mode:#o} has no valid file type")
        if inode.dtime:
            self.report(where, f"in use but has a deletion time {inode.dtime}")
        count = self.claim_blocks(inode)
        sectors = count * (self.geo.block_size // 512)
        if inode.blocks != sectors:
            self.report(where, f"i_blocks is {inode.blocks} sectors but it owns {count} blocks ({sectors} sectors)")
        try:
            indexes = [index for index, _ in self.image.blocks.data_blocks(inode)]
        except Ext2Error:
            return   # already reported by claim_blocks
        in_size = -(-inode.size // self.geo.block_size)
        if indexes and indexes[-1] >= in_size and (inode.is_regular() or inode.is_dir()):
            self.report(where, f"size {inode.size} but has a data block at index {indexes[-1]} past the end")
        if inode.is_dir():
            if inode.size % self.geo.block_size or len(indexes) != in_size:
                self.report(where, f"directory size {inode.size} does not match its {len(indexes)} "
                                   f"blocks of {self.geo.block_size} bytes (holes, or a partial block)")

    # ---- pass 2: the directory tree ------------------------------------------------------

    def walk_tree(self) -> None:
        """Visit every directory reachable from the root, counting names and checking entries."""
        root = self.in_use.get(ROOT_INO)
        if root is None or not root.is_dir():
            self.report("inode 2", "the root directory is missing or not a directory")
            return
        parents = {ROOT_INO: ROOT_INO}
        queue: deque[tuple[str, Inode]] = deque([("/", root)])
        while queue:
            path, inode = queue.popleft()
            for name, child in self.check_directory(path, inode, parents[inode.number]):
                if child.number in parents:
                    self.report(path, f"entry {name!r} names directory inode {child.number}, "
                                      "which already has a parent (a directory hard link or loop)")
                    continue
                parents[child.number] = inode.number
                queue.append((path.rstrip("/") + "/" + name, child))
        found = self.image.dirs.find(root, b"lost+found")
        if found is None or found.inode not in self.in_use or not self.in_use[found.inode].is_dir():
            self.report("/lost+found", "missing, or not a directory (fsck needs it to reconnect files)")

    def check_directory(self, path: str, inode: Inode, parent: int) -> list[tuple[str, Inode]]:
        """Check a directory's entries and count its names; the subdirectories found in it."""
        subdirs: list[tuple[str, Inode]] = []
        position = 0
        for index, block in self.image.dirs.block_list(inode):
            where = f"{path} (directory inode {inode.number}, block {index}, disk block {block})"
            try:
                slots = parse_block(self.volume.disk.read_block(block), self.filetype, where)
            except Ext2Error as err:
                self.report(path, str(err))
                continue
            for slot in slots:
                entry = slot.entry
                if not entry.inode:
                    continue
                name = entry.name.decode("utf-8", "surrogateescape")
                expected = {0: (b".", inode.number), 1: (b"..", parent)}.get(position)
                position += 1
                if expected and (entry.name, entry.inode) != expected:
                    self.report(where, f"entry {position - 1} is {name!r} -> inode {entry.inode}, "
                                       f"expected {expected[0].decode()!r} -> inode {expected[1]}")
                child = self.in_use.get(entry.inode)
                if child is None:
                    self.report(where, f"entry {name!r} names inode {entry.inode}, which is not in use")
                    continue
                self.names[entry.inode] = self.names.get(entry.inode, 0) + 1
                kind = FILE_TYPE_OF_MODE.get(child.file_type, 0)
                if self.filetype and entry.file_type != kind:
                    self.report(where, f"entry {name!r} has file type {entry.file_type}, but inode "
                                       f"{entry.inode} has mode {child.mode & S_IFMT:#o} (type {kind})")
                if child.is_dir() and entry.name not in (b".", b".."):
                    subdirs.append((name, child))
        if position < 2:
            self.report(path, f"directory inode {inode.number} lacks its '.' and '..' entries")
        return subdirs

    # ---- passes 4 and 5: counts and bitmaps ----------------------------------------------

    def compare_links(self) -> None:
        """Link counts against names found, and inodes no directory names."""
        for ino, inode in self.in_use.items():
            names = self.names.get(ino, 0)
            if names == 0:
                self.report(f"inode {ino}", "in use but no directory entry reachable from / names it")
            elif names != inode.links_count:
                self.report(f"inode {ino}", f"link count is {inode.links_count} but {names} directory entries name it")

    def compare_block_bitmaps(self) -> None:
        """Each group's block bitmap against the blocks found owned, and the free-block counts."""
        total_free = 0
        for group, desc in enumerate(self.volume.groups):
            first, count = self.geo.group_first_block(group), self.geo.group_block_count(group)
            bitmap = self.volume.disk.read_block(desc.block_bitmap)
            bits = int.from_bytes(bitmap, "little")
            unowned, unmarked = [], []
            for index in range(count):
                marked, owned = bits >> index & 1, first + index in self.owner
                if marked and not owned:
                    unowned.append(first + index)
                elif owned and not marked:
                    unmarked.append(first + index)
            if unowned:
                self.report(f"group {group} block bitmap", f"blocks {_ranges(unowned)} are marked used but nothing owns them")
            if unmarked:
                self.report(f"group {group} block bitmap", f"blocks {_ranges(unmarked)} are in use but marked free")
            if bits >> count != (1 << (8 * self.geo.block_size - count)) - 1:
                self.report(f"group {group} block bitmap", f"padding bits past the group's {count} blocks are not all set")
            free = count - bin(bits & ((1 << count) - 1)).count("1")
            total_free += free
            if desc.free_blocks_count != free:
                self.report(f"group {group}", f"descriptor says {desc.free_blocks_count} free blocks, bitmap has {free}")
        if self.volume.sb.free_blocks_count != total_free:
            self.report("superblock", f"s_free_blocks_count is {self.volume.sb.free_blocks_count}, bitmaps have {total_free} free")

    def compare_inode_counts(self) -> None:
        """Each group's inode bitmap padding and free-inode and directory counts."""
        per_group = self.geo.inodes_per_group
        total_free = 0
        for group, desc in enumerate(self.volume.groups):
            bits = int.from_bytes(self.volume.disk.read_block(desc.inode_bitmap), "little")
            if bits >> per_group != (1 << (8 * self.geo.block_size - per_group)) - 1:
                self.report(f"group {group} inode bitmap", f"padding bits past the group's {per_group} inodes are not all set")
            free = per_group - bin(bits & ((1 << per_group) - 1)).count("1")
            total_free += free
            if desc.free_inodes_count != free:
                self.report(f"group {group}", f"descriptor says {desc.free_inodes_count} free inodes, bitmap has {free}")
            dirs = sum(1 for ino, inode in self.in_use.items()
                       if inode.is_dir() and self.geo.group_of_inode(ino) == group)
            if desc.used_dirs_count != dirs:
                self.report(f"group {group}", f"descriptor says {desc.used_dirs_count} directories, found {dirs}")
        if self.volume.sb.free_inodes_count != total_free:
            self.report("superblock", f"s_free_inodes_count is {self.volume.sb.free_inodes_count}, bitmaps have {total_free} free")


def check_image(path: str | Path) -> list[Problem]:
    """Every inconsistency in the image at path; an image that cannot even be opened is one Problem."""
    try:
        with Ext2Image(path) as image:
            return Checker(image).run()
    except Ext2Error as err:
        return [Problem(str(path), str(err))]


def run_e2fsck(path: str | Path) -> tuple[int, str] | None:
    """(exit status, output) of `e2fsck -fn path` (read-only, forced), or None if e2fsck is not installed."""
    program = shutil.which("e2fsck") or shutil.which("e2fsck", path="/sbin:/usr/sbin")
    if program is None:
        return None
    done = subprocess.run([program, "-fn", str(path)], capture_output=True, text=True, timeout=300)
    return done.returncode, (done.stdout + done.stderr).strip()
