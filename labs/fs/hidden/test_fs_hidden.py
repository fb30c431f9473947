"""Lab fs, hidden graders: truncation and removal give back every block, the file
service's whole workload (a 5 MiB file, cut and grown) on a sound image, and programs
as large as the shell loaded from the disk."""

from __future__ import annotations

import re

import pytest

from labsupport import fresh_disk, fsck, shell, with_file_server

BUDGET = 400_000_000
# fswork moves a 5 MiB file several times: 190 million instructions with the C library's
# word-at-a-time memcpy, 430 million with lab bloat's byte-at-a-time handout.
FSWORK_BUDGET = 1_000_000_000


@pytest.mark.points(15)
def test_cutting_and_removing_files_gives_back_every_block(tmp_path):
    disk = fresh_disk(tmp_path)
    g = with_file_server(disk, "bigfile @fsd", budget=BUDGET)
    v = g.values
    assert v.get("cut.sectors") == str(101 * 2), \
        f"after cutting 300 blocks to 100 the file holds {v.get('cut.sectors')} sectors: 100 data blocks and the " \
        f"single indirect block make 202 (the double indirect tree goes entirely)"
    assert v.get("remove.blocks_not_back") == "0", \
        f"{v.get('remove.blocks_not_back')} blocks were not given back when both files went (indirect blocks too)"


@pytest.mark.points(15)
def test_the_file_services_workload_leaves_a_sound_image(tmp_path):
    disk = fresh_disk(tmp_path)
    g = with_file_server(disk, "fswork @fsd", budget=FSWORK_BUDGET)
    m = re.search(r"fswork: (\d+) checks, (\d+) failed", g.output)
    assert m and m[2] == "0", f"fswork: {[line for line in g.output.splitlines() if 'FAILED' in line][:5]}; " \
                              f"{g.trouble()}"
    problems = fsck(disk)
    assert not problems, f"the image is not sound ext2 after fswork: {problems}"


@pytest.mark.points(10)
def test_programs_as_large_as_the_shell_load_from_the_disk():
    g = shell("echo loaded\n")
    assert "loaded" in g.output, f"the shell (300 KB, behind the double indirect block) did not run: " \
                                 f"{g.output[-300:]!r}; {g.trouble()}"
