"""The bytes of a directory block: entries found, added and removed. No I/O.

Part of the format layer of toolchain/ext2. A directory's data blocks are each a chain of
variable-length entries: inode number (4 bytes), rec_len (2), name_len (1), file_type (1),
then the name, padded to a multiple of 4. rec_len is the distance to the next entry, and
the last entry's rec_len runs to the end of the block, so every block is fully covered.
An entry with inode 0 is unused space. Adding a name splits an entry whose rec_len is
longer than it needs; removing one folds its space into the entry before it.
Without the filetype feature the type byte is the high byte of a 16-bit name_len.
"""

from __future__ import annotations

from dataclasses import dataclass

from toolchain.ext2.errors import CorruptImage
from toolchain.ext2.layout import DIRENT_HEADER, MAX_NAME_LEN, DirEntry, dirent_size


@dataclass(frozen=True)
class SlotEntry:
    """An entry as it lies in a block: where it starts, how long its slot is, what it holds."""

    offset: int
    rec_len: int
    entry: DirEntry


def parse_block(data: bytes, filetype: bool, where: str) -> list[SlotEntry]:
    """Every entry of a directory block, unused ones included; CorruptImage naming the byte at fault."""
    slots = []
    offset = 0
    while offset < len(data):
        if offset + DIRENT_HEADER.size > len(data):
            raise CorruptImage(f"{where}, byte {offset}: directory entry header runs past the block end")
        ino, rec_len, name_len, type_byte = DIRENT_HEADER.unpack_from(data, offset)
        if not filetype:
            name_len, type_byte = name_len | type_byte << 8, 0
        if rec_len < DIRENT_HEADER.size or rec_len % 4 or offset + rec_len > len(data):
            raise CorruptImage(f"{where}, byte {offset}: directory entry has impossible rec_len "
                               f"{rec_len} (must be a multiple of 4, at least 8, within the block)")
        if DIRENT_HEADER.size + name_len > rec_len:
            raise CorruptImage(f"{where}, byte {offset}: directory entry name_len {name_len} "
                               f"does not fit in its rec_len {rec_len}")
        name = bytes(data[offset + DIRENT_HEADER.size:offset + DIRENT_HEADER.size + name_len])
        slots.append(SlotEntry(offset, rec_len, DirEntry(ino, name, type_byte)))
        offset += rec_len
    return slots


def live_entries(data: bytes, filetype: bool, where: str) -> list[DirEntry]:
    """The names in a directory block (entries with inode 0 skipped)."""
    return [slot.entry for slot in parse_block(data, filetype, where) if slot.entry.inode]


def _pack(entry: DirEntry, rec_len: int, filetype: bool) -> bytes:
    """The bytes of one entry occupying a slot of rec_len bytes."""
    type_byte = entry.file_type if filetype else 0
    header = DIRENT_HEADER.pack(entry.inode, rec_len, len(entry.name), type_byte)
    return (header + entry.name).ljust(rec_len, b"\0")


def empty_block(block_size: int) -> bytes:
    """A directory block holding nothing: one unused entry spanning the block."""
    return DIRENT_HEADER.pack(0, block_size, 0, 0).ljust(block_size, b"\0")


def first_block(block_size: int, self_ino: int, parent_ino: int, dir_type: int, filetype: bool) -> bytes:
    """The first block of a new directory: '.' naming itself and '..' naming its parent."""
    dot = _pack(DirEntry(self_ino, b".", dir_type), dirent_size(1), filetype)
    dotdot = _pack(DirEntry(parent_ino, b"..", dir_type), block_size - len(dot), filetype)
    return dot + dotdot


def add_entry(data: bytes, entry: DirEntry, filetype: bool, where: str) -> bytes | None:
    """The block with entry added in the first slot with room, or None if no slot has room."""
    if not 0 < len(entry.name) <= MAX_NAME_LEN:
        raise ValueError(f"a name must be 1..{MAX_NAME_LEN} bytes, not {len(entry.name)}")
    needed = dirent_size(len(entry.name))
    for slot in parse_block(data, filetype, where):
        used = dirent_size(len(slot.entry.name)) if slot.entry.inode else 0
        if slot.rec_len - used < needed:
            continue
        out = bytearray(data)
        if used:
            out[slot.offset:slot.offset + used] = _pack(slot.entry, used, filetype)
            start, length = slot.offset + used, slot.rec_len - used
        else:
            start, length = slot.offset, slot.rec_len
        out[start:start + length] = _pack(entry, length, filetype)
        return bytes(out)
    return None


def remove_entry(data: bytes, name: bytes, filetype: bool, where: str) -> bytes | None:
    """The block with the entry called name removed, or None if the name is not in it."""
    previous: SlotEntry | None = None
    for slot in parse_block(data, filetype, where):
        if slot.entry.inode and slot.entry.name == name:
            out = bytearray(data)
            if previous is None:
                # The first entry of a block has no predecessor to absorb it: mark it unused.
                out[slot.offset:slot.offset + 4] = bytes(4)
            else:
                merged = previous.rec_len + slot.rec_len
                out[previous.offset + 4:previous.offset + 6] = merged.to_bytes(2, "little")
            return bytes(out)
        previous = slot
    return None


def replace_inode(data: bytes, name: bytes, ino: int, file_type: int, filetype: bool, where: str) -> bytes | None:
    """The block with the entry called name pointing at ino instead, or None if the name is not in it."""
    for slot in parse_block(data, filetype, where):
        if slot.entry.inode and slot.entry.name == name:
            out = bytearray(data)
            out[slot.offset:slot.offset + 4] = ino.to_bytes(4, "little")
            if filetype:
                out[slot.offset + 7] = file_type
            return bytes(out)
    return None
