"""The edges of the user address space, as docs/abi.md states them: page 0 and the
last page below USER_VA_LIMIT are pages like any other for the memory calls, IPC and
buffers (the loader only leaves page 0 unmapped), and a range may end exactly at
USER_VA_LIMIT but not one byte past it. An off-by-one at either edge fails here.

userland/tests/edges.c makes the calls; each expected value is the ABI's.
"""

from __future__ import annotations

import pytest

from guest import run, shared
from kernel.abi import PAGE_OWNED, PAGE_SHARED, Errno, Perm
from reported import reported

RW = int(Perm.R | Perm.W)


@pytest.fixture(scope=shared)
def edges() -> dict:
    r = run("edges")
    assert r.domain().exit_status == 0, r.text + "\n".join(r.log)
    k = r.result.kernel
    assert k.frames.free_count == k.frames.nframes
    return reported(r.text)


def test_page_zero_is_unmapped_at_start_and_then_an_ordinary_page(edges):
    assert edges["zero.query_at_start"] == -Errno.ENOENT
    assert edges["zero.alloc"] == 0
    assert edges["zero.query"] == RW | PAGE_OWNED
    assert edges["zero.stored_and_loaded"] == 1234 + 5678
    assert edges["zero.unmap"] == 0 and edges["zero.query_after_unmap"] == -Errno.ENOENT


def test_a_range_may_end_exactly_at_the_limit_and_not_past_it(edges):
    assert edges["last.alloc_two_ending_at_limit"] == 0
    assert edges["last.alloc_again"] == -Errno.EEXIST
    assert edges["last.alloc_past_limit"] == -Errno.EINVAL
    assert edges["last.alloc_at_limit"] == -Errno.EINVAL


def test_the_last_byte_below_the_limit_is_queried_and_the_limit_is_not(edges):
    assert edges["last.query"] == edges["last.query_last_byte"] == RW | PAGE_OWNED
    assert edges["last.query_at_limit"] == -Errno.EINVAL


def test_a_buffer_may_end_at_the_limit_and_one_byte_more_is_efault(edges):
    assert edges["last.write_ending_at_limit"] == 5
    assert edges["last.write_past_limit"] == -Errno.EFAULT
    assert edges["zero.console_write"] == 0


def test_the_last_page_is_shared_to_page_zero_and_the_limit_is_refused_both_ways(edges):
    assert edges["last.share_to_page_zero"] == 0 and edges["last.seen_at_page_zero"] == 1
    assert edges["last.share_to_limit"] == edges["last.share_from_limit"] == -Errno.EINVAL
    assert edges["last.unmap_page_zero"] == 0


def test_the_last_page_is_granted_to_a_child_and_sent_by_ipc(edges):
    assert edges["child.map_into_its_last_page"] == 0
    assert edges["child.query_its_last_page"] == int(Perm.R) | PAGE_SHARED  # the parent owns it
    assert edges["child.send_page_at_limit"] == -Errno.EINVAL
    assert edges["child.call_with_the_last_page"] == 0 and edges["child.window_it_got"] == 1
    assert edges["child.byte_it_read"] == ord("e")
