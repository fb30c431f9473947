"""The graders themselves: for each lab, a wrong solution a careless student would
write loses the points of the grader that should catch it, with a message that points
at the mistake (not just "assertion failed").

Each case takes the solution tree (markers removed), makes one careless edit to a
solution region, and grades it with the one grader that should notice.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from lamina.labkit.catalog import find_lab
from lamina.labkit.grade import grade
from lamina.labkit.handout import write_tree
from toolchain.layout import REPO_ROOT


@dataclasses.dataclass(frozen=True)
class Mistake:
    lab: str
    file: str
    old: str  # text of the solution, exactly once in the file
    new: str  # what the careless student wrote instead
    grader: str  # the grader that must fail
    words: str  # what its message must say


MISTAKES = {
    # util: find prints each name alone, not the path that leads to it
    "util-names-not-paths": Mistake(
        "util", "userland/bin/find.c",
        "    consider(path, name);", "    consider(name, name);",
        "test_find_lists_every_path_under_a_directory", "expected a/b, a/b/f and a/f"),
    # syscall: sysinfo reports all the frames, not the free ones
    "syscall-all-frames": Mistake(
        "syscall", "kernel/syscall.py",
        "SYSINFO.pack(k.frames.free_count,", "SYSINFO.pack(k.frames.nframes,",
        "test_sysinfo_reports_the_free_frames_and_live_domains_at_the_call", "frames free"),
    # pgtbl: every page mapped writable, whatever rights were asked for
    "pgtbl-always-writable": Mistake(
        "pgtbl", "kernel/vm.py",
        "        self.ram.write_u64(slot, leaf_entry(pa, perm))\n        self.pages_mapped += 1",
        "        self.ram.write_u64(slot, leaf_entry(pa, perm | Perm.R | Perm.W))\n        self.pages_mapped += 1",
        "test_a_domain_cannot_reach_what_it_was_not_granted", "read-only text must be a store page fault"),
    # traps: a late alarm pushes every later one back (a full interval from the late one)
    "traps-drift": Mistake(
        "traps", "kernel/upcall.py",
        "d.alarm_left = d.alarm_interval - late", "d.alarm_left = d.alarm_interval",
        "test_sixty_four_alarms_keep_to_the_schedule", "drift"),
    # traps: the alarm library swallows every fault that is not an alarm, fork's too
    "traps-no-chain": Mistake(
        "traps", "userland/lib/alarm.c",
        "    if (next_handler != NULL)\n      next_handler(frame);\n    else\n      fault_handler_install(NULL);\n",
        "",
        "test_fork_and_the_alarm_share_the_fault_handler", "handler installed before sigalarm's"),
    # traps: the frame's pc is the next instruction, as if every upcall were an ecall
    "traps-pc-plus-4": Mistake(
        "traps", "kernel/upcall.py",
        "FRAME.pack(*regs, pc, cause, tval, 0)", "FRAME.pack(*regs, pc + 4, cause, tval, 0)",
        "test_an_alarm_leaves_every_register_as_it_was", "the pc it resumes at"),
    # sched: a domain that slept keeps its old, low pass and runs in a burst
    "sched-banked-credit": Mistake(
        "sched", "kernel/sched.py",
        "d.pass_value = max(d.pass_value, self.global_pass)", "pass",
        "test_a_domain_that_slept_gets_no_catch_up_burst", "banked credit"),
    # sched: the smallest pass found by a scan of every queued domain
    "sched-linear-scan": Mistake(
        "sched", "kernel/sched.py",
        "            _pass, _seq, d = heapq.heappop(self._heap)\n",
        "            best = min(self._heap, key=lambda e: (e[2].pass_value, e[1]))\n"
        "            self._heap.remove(best)\n            heapq.heapify(self._heap)\n            _pass, _seq, d = best\n",
        "test_a_decision_among_a_thousand_domains_looks_at_o_log_n_of_them", "O(log n)"),
    # cow: the copy is mapped with the page's old rights: still not writable
    "cow-still-read-only": Mistake(
        "cow", "userland/lib/fork.c",
        "int perm = (int)(rights & PERM_RWX) | PERM_W;", "int perm = (int)(rights & PERM_RWX);",
        "test_a_child_copies_only_the_pages_it_writes_and_the_parent_never_sees_them", "without write permission"),
    # cow: only the child's mapping is made copy-on-write; the parent keeps writing the shared frame
    "cow-parent-writable": Mistake(
        "cow", "userland/lib/fork.c",
        "  if (placed > 0 && cow)\n    placed = sys_page_map_range(0, (void *)va, 0, (void *)va, npages, mask);\n", "",
        "test_a_child_copies_only_the_pages_it_writes_and_the_parent_never_sees_them", "parent's writable pages"),
    # ipc: a page lent with any rights the sender names, whatever it holds itself
    "ipc-wider-rights": Mistake(
        "ipc", "kernel/ipc.py",
        "    if not within(perm, m.perm):\n        return Errno.EACCES\n", "",
        "test_a_page_is_never_lent_with_wider_rights_than_the_sender_holds", "never wider than the sender's"),
    # ipc: a call to a waiting server leaves the choice of who runs next to the scheduler
    "ipc-no-handoff": Mistake(
        "ipc", "kernel/ipc.py",
        "        k.handoff = server  # the caller waits, the server has work: switch straight to it\n", "",
        "test_a_call_hands_the_cpu_straight_to_the_server_and_a_reply_straight_back", "k.handoff"),
    # fs: the double indirect indexes swapped: each block gets an indirect block of its own
    "fs-double-indexes-swapped": Mistake(
        "fs", "userland/lib/ext2/ext2_bmap.c",
        "    idx[1] = (uint32_t)(fblock / p);\n    idx[2] = (uint32_t)(fblock % p);\n    return 2;",
        "    idx[1] = (uint32_t)(fblock % p);\n    idx[2] = (uint32_t)(fblock / p);\n    return 2;",
        "test_a_file_of_300_blocks_reads_back_through_the_double_indirect_block", "one single indirect block under it"),
    # fs: truncation frees the data blocks under an indirect block but never the indirect block itself
    "fs-indirect-leaked": Mistake(
        "fs", "userland/lib/ext2/ext2_bmap.c",
        "  if (err < 0 || first < keep)\n    return err;\n  err = block_free(fs, block);\n",
        "  if (err < 0 || first < keep || 1)\n    return err;\n  err = block_free(fs, block);\n",
        "test_cutting_and_removing_files_gives_back_every_block", "double indirect tree goes entirely"),
    # net: the UDP checksum over the header and data, but without the pseudo-header
    "net-no-pseudo-header": Mistake(
        "net", "userland/lib/net/udp.c",
        "  sum = csum_fold(csum_add(csum_pseudo(netif.ip, ip, IP_PROTO_UDP, UDP_HLEN + len), u, UDP_HLEN + len));",
        "  sum = csum_fold(csum_add(0, u, UDP_HLEN + len));",
        "test_every_udp_checksum_on_the_wire_is_right", "pseudo-header"),
    # net: bytes kept ahead join the stream, but their marks stay: they join again later
    "net-marks-kept": Mistake(
        "net", "userland/lib/net/ring.c",
        "  while (r->len < SOCK_BUF && is_ahead(r, at)) {\n    mark_ahead(r, at, 0);\n",
        "  while (r->len < SOCK_BUF && is_ahead(r, at)) {\n",
        "test_tcp_keeps_the_segments_after_a_gap_and_joins_them_when_it_is_filled", "at its own place, once"),
    # bloat: the word loop runs whenever there are 8 bytes left, aligned or not (a misaligned
    # access is legal here, so only the bytes copied show it: the tail after the words)
    "bloat-word-tail-lost": Mistake(
        "bloat", "userland/lib/string.c",
        "    for (; n >= 8; n -= 8, d += 8, s += 8)\n      *(word_t *)d = *(const word_t *)s;\n  }\n  while (n-- > 0)",
        "    for (; n >= 8; n -= 8, d += 8, s += 8)\n      *(word_t *)d = *(const word_t *)s;\n    return dst;\n  }\n"
        "  while (n-- > 0)",
        "test_a_faster_memcpy_still_copies_every_byte_right", "went wrong"),
    # bloat: an answer read off the wrong row (the raw disk read, not the file server's)
    "bloat-wrong-row": Mistake(
        "bloat", "labs/bloat/answers.toml",
        "read_4k_crossings = 5.1", "read_4k_crossings = 2.0",
        "test_the_measured_answers_match_the_reference_trees_counts", "read_4k_crossings = 2.0"),
}


def wrong_tree(tmp_path: Path, m: Mistake) -> Path:
    tree = tmp_path / "tree"
    write_tree(REPO_ROOT, tree, set())
    path = tree / m.file
    text = path.read_text()
    assert text.count(m.old) == 1, f"{m.file}: the solution text of this mistake is not there exactly once"
    path.write_text(text.replace(m.old, m.new))
    return tree


@pytest.mark.parametrize("key", sorted(MISTAKES))
def test_a_careless_solution_loses_the_graders_points_with_a_message_that_names_the_mistake(key, tmp_path):
    m = MISTAKES[key]
    lab = find_lab(REPO_ROOT, m.lab)
    test = next((t for t in lab.tests if t.name == m.grader), None)
    assert test is not None, f"lab {m.lab} has no grader {m.grader}"
    g = grade(REPO_ROOT, dataclasses.replace(lab, tests=[test]), wrong_tree(tmp_path, m), cost=False)
    (result,) = g.results
    assert not result.passed, f"{key}: grader {m.grader} passes a wrong solution"
    assert m.words in result.reason, f"{key}: the message does not point at the mistake: {result.reason}"
