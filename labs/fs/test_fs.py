"""Lab fs, public graders: a 300-block file (through the double indirect block) reads
back; one block at 70 MiB (through the triple indirect block) takes four blocks; and
the disk is sound ext2 afterwards (`e2fsck -fn`, or Lamina's own checker where
e2fsprogs is not installed).

Expected values come from ext2's layout with 1 KiB blocks: 12 direct pointers, 256 a
block; 300 blocks need 300 data blocks, the single indirect block, the double indirect
block and one single indirect block under it; a lone block at 70 MiB needs itself and
one indirect block of each level."""

from __future__ import annotations

import pytest

from labsupport import fresh_disk, fsck, with_file_server

BUDGET = 200_000_000


def bigfile(tmp_path, *args: str):
    disk = fresh_disk(tmp_path)
    g = with_file_server(disk, " ".join(["bigfile", "@fsd", *args]), budget=BUDGET)
    v = g.values
    return v, g, disk


@pytest.mark.points(20)
def test_a_file_of_300_blocks_reads_back_through_the_double_indirect_block(tmp_path):
    v, g, _ = bigfile(tmp_path)
    assert "big.write_failed_at" not in v, \
        f"writing block {v.get('big.write_failed_at')} failed with {v.get('big.write_error')}: block 12 is the " \
        f"first behind the single indirect block, block 268 the first behind the double indirect one"
    assert v.get("big.wrong_blocks") == "0", f"{v.get('big.wrong_blocks')} blocks read back wrong; {g.trouble()}"
    assert v.get("big.disk_blocks_used") == "303", \
        f"the file took {v.get('big.disk_blocks_used')} blocks of the disk: 300 of data, the single indirect " \
        f"block, the double indirect block and one single indirect block under it make 303"
    assert v.get("big.sectors") == str(303 * 2), f"i_blocks counts every block in 512-byte sectors: {v}"


@pytest.mark.points(15)
def test_a_block_at_70_mib_takes_four_blocks_through_the_triple_indirect_block(tmp_path):
    v, g, _ = bigfile(tmp_path)
    assert v.get("sparse.write") == "1024" and v.get("sparse.readback") == "1", \
        f"a block written at 70 MiB (file block 71,680, behind the triple indirect block) did not read back: {v}; " \
        f"{g.trouble()}"
    assert v.get("sparse.blocks_used") == "4", \
        f"the lone block took {v.get('sparse.blocks_used')} disk blocks: itself and one indirect block of each " \
        f"level make 4 (holes on the way stay holes)"
    assert v.get("sparse.hole_zero_words") == "256", "the hole before it must read as zeros"


@pytest.mark.points(10)
def test_the_disk_is_sound_ext2_afterwards(tmp_path):
    v, g, disk = bigfile(tmp_path)
    wrote = "big.write_failed_at" not in v and v.get("big.wrong_blocks") == "0" and v.get("sparse.write") == "1024"
    assert wrote and v.get("remove.sync") == "0", \
        f"bigfile did not write both files and get to the end, so there is nothing to check yet: {v}; {g.trouble()}"
    problems = fsck(disk)
    assert not problems, f"the image is not sound ext2 after bigfile: {problems}"
