"""The memory calls from the guest: page_alloc, page_map, page_unmap, page_query and
the range forms page_map_range, page_query_range and page_unmap_range, each for
success and for every error it documents (docs/abi.md). Quotas and revocation are
tests/test_quotas.py's.

The program memcalls makes the calls and prints each result as a `name = value` line;
the tests check those values.
"""

from __future__ import annotations

import pytest

from guest import run, shared
from kernel.abi import PAGE_OWNED, PAGE_SHARED, QUERY_OWNED, QUERY_SHARED, Errno, Perm
from reported import reported

RW = Perm.R | Perm.W


@pytest.fixture(scope=shared)
def mem():
    """memcalls' results, and its run."""
    r = run("memcalls")
    assert r.result.exit_status == 0, r.text
    return reported(r.text), r


def test_page_alloc_maps_zeroed_writable_pages(mem):
    r, _ = mem
    assert r["page_alloc.two_pages"] == 0
    assert r["page_alloc.zeroed"] == 0
    assert r["page_alloc.writable"] == 42


def test_page_alloc_charges_the_frames_to_the_domain(mem):
    r, _ = mem
    assert r["page_alloc.pages_charged_at_least"] >= 2


def test_page_alloc_refuses_an_address_already_mapped(mem):
    r, _ = mem
    assert r["page_alloc.in_use"] == -Errno.EEXIST


def test_page_alloc_is_all_or_nothing(mem):
    r, _ = mem
    assert r["page_alloc.partly_in_use"] == -Errno.EEXIST
    assert r["page_alloc.partly_in_use_mapped_nothing"] == -Errno.ENOENT


@pytest.mark.parametrize("case", ["unaligned", "beyond_user", "crosses_user_limit"])
def test_page_alloc_refuses_addresses_outside_user_pages(mem, case):
    r, _ = mem
    assert r[f"page_alloc.{case}"] == -Errno.EINVAL


@pytest.mark.parametrize("case", ["zero_pages", "too_many_pages"])
def test_page_alloc_refuses_page_counts_out_of_range(mem, case):
    r, _ = mem
    assert r[f"page_alloc.{case}"] == -Errno.EINVAL


@pytest.mark.parametrize("case", ["write_only", "no_rights", "unknown_rights"])
def test_page_alloc_refuses_rights_sv39_cannot_map(mem, case):
    r, _ = mem
    assert r[f"page_alloc.{case}"] == -Errno.EINVAL


def test_page_alloc_accepts_read_only_and_executable_pages(mem):
    r, _ = mem
    assert r["page_alloc.read_only"] == 0 and r["page_alloc.executable"] == 0
    assert r["page_query.read_only"] == Perm.R | PAGE_OWNED


def test_page_alloc_keeps_the_mark_beside_the_rights(mem):
    r, _ = mem
    assert r["page_alloc.marked"] == 0
    assert r["page_alloc.marked_rights"] == Perm.R | Perm.MARK | PAGE_OWNED


def test_page_alloc_in_an_unknown_domain_is_esrch(mem):
    r, _ = mem
    assert r["page_alloc.no_such_domain"] == -Errno.ESRCH


def test_page_alloc_beyond_the_quota_is_enomem(mem):
    r, _ = mem
    assert r["page_alloc.over_quota"] == -Errno.ENOMEM


# --- page_query ------------------------------------------------------------------------

def test_page_query_reports_rights_and_ownership(mem):
    r, _ = mem
    assert r["page_query.read_write"] == RW | PAGE_OWNED
    assert r["page_query.text"] == Perm.R | Perm.X | PAGE_OWNED


def test_page_query_accepts_any_address_inside_the_page(mem):
    r, _ = mem
    assert r["page_query.inside_page"] == r["page_query.read_write"]


def test_page_query_of_an_unmapped_page_is_enoent(mem):
    r, _ = mem
    assert r["page_query.unmapped"] == -Errno.ENOENT
    assert r["page_query.page_zero"] == -Errno.ENOENT


def test_page_query_beyond_the_user_half_is_einval(mem):
    r, _ = mem
    assert r["page_query.beyond_user"] == -Errno.EINVAL


def test_page_query_in_an_unknown_domain_is_esrch(mem):
    r, _ = mem
    assert r["page_query.no_such_domain"] == -Errno.ESRCH


# --- page_map --------------------------------------------------------------------------

def test_page_map_alias_sees_the_frames_data_and_later_writes(mem):
    r, _ = mem
    assert r["page_map.read_only_alias"] == 0
    assert r["page_map.alias_sees_data"] == 41
    assert r["page_map.alias_sees_writes"] == 99


def test_page_map_marks_both_mappings_shared(mem):
    r, _ = mem
    assert r["page_map.alias_rights"] == Perm.R | PAGE_OWNED | PAGE_SHARED
    assert r["page_map.original_rights"] == RW | PAGE_OWNED | PAGE_SHARED


@pytest.mark.parametrize("case", ["wider_than_alias", "adds_execute", "widen_in_place"])
def test_page_map_refuses_wider_permissions(mem, case):
    r, _ = mem
    assert r[f"page_map.{case}"] == -Errno.EACCES


def test_page_map_widens_a_frame_the_domain_alone_maps_and_owns(mem):
    """Rights on an exclusive frame concern nobody else: widening is copying for free."""
    r, _ = mem
    assert r["page_map.widen_exclusive"] == 0
    assert r["page_map.widened_rights"] == RW | PAGE_OWNED


def test_the_mark_is_set_and_cleared_like_a_right_but_grants_nothing(mem):
    r, _ = mem
    assert r["page_map.mark_in_place"] == 0
    assert r["page_map.marked_rights"] == Perm.R | Perm.MARK | PAGE_OWNED
    assert r["page_map.unmark_and_widen"] == 0


def test_page_map_of_an_unmapped_source_is_efault(mem):
    r, _ = mem
    assert r["page_map.unmapped_source"] == -Errno.EFAULT


@pytest.mark.parametrize("case", ["unaligned_source", "unaligned_destination",
                                  "destination_beyond_user", "write_only"])
def test_page_map_refuses_bad_addresses_and_rights(mem, case):
    r, _ = mem
    assert r[f"page_map.{case}"] == -Errno.EINVAL


@pytest.mark.parametrize("side", ["source", "destination"])
def test_page_map_with_an_unknown_domain_is_esrch(mem, side):
    r, _ = mem
    assert r[f"page_map.no_such_{side}_domain"] == -Errno.ESRCH


def test_page_map_onto_itself_narrows_rights_in_place(mem):
    r, _ = mem
    assert r["page_map.narrow_in_place"] == 0
    assert r["page_map.narrowed_rights"] == Perm.R | PAGE_OWNED


def test_page_map_replaces_the_mapping_at_the_destination(mem):
    r, _ = mem
    assert r["page_map.replace_other_frame"] == 0
    assert r["page_map.replaced_alias_sees_new_frame"] == 0
    assert r["page_map.old_frame_no_longer_shared"] == RW | PAGE_OWNED


# --- page_unmap ------------------------------------------------------------------------

def test_a_frame_lives_on_while_another_mapping_remains(mem):
    r, _ = mem
    assert r["page_unmap.original"] == 0
    assert r["page_unmap.original_gone"] == -Errno.ENOENT
    assert r["page_unmap.alias_keeps_data"] == 99
    assert r["page_unmap.alias_now_sole_owner"] == Perm.R | PAGE_OWNED


def test_unmapping_the_last_mapping_frees_the_frame(mem):
    r, _ = mem
    assert r["page_unmap.last_mapping"] == 0
    assert r["page_unmap.frame_freed"] == 1


def test_page_unmap_of_an_unmapped_page_is_enoent(mem):
    r, _ = mem
    assert r["page_unmap.again"] == -Errno.ENOENT


@pytest.mark.parametrize("case", ["unaligned", "beyond_user"])
def test_page_unmap_refuses_addresses_outside_user_pages(mem, case):
    r, _ = mem
    assert r[f"page_unmap.{case}"] == -Errno.EINVAL


def test_page_unmap_in_an_unknown_domain_is_esrch(mem):
    r, _ = mem
    assert r["page_unmap.no_such_domain"] == -Errno.ESRCH


# --- the range calls -------------------------------------------------------------------
# The region: pages 0, 1 and 3 read-write, page 2 a hole, page 4 read-execute, 5 to 7 holes.

def query_byte(perm: int, owned: bool, shared: bool) -> int:
    """page_query_range's byte for a page, from the ABI's definition."""
    return int(perm) | QUERY_OWNED * owned | QUERY_SHARED * shared


def test_page_query_range_gives_a_byte_per_page_and_counts_the_mapped(mem):
    r, _ = mem
    rw, rx = query_byte(RW, True, False), query_byte(Perm.R | Perm.X, True, False)
    assert r["page_query_range.mapped"] == 4
    assert r["page_query_range.bytes"] == int.from_bytes(bytes([rw, rw, 0, rw, rx, 0, 0, 0]), "little")


def test_the_range_calls_work_across_a_leaf_tables_edge(mem):
    # Four pages, two each side of a 2 MiB boundary (where one Sv39 leaf table ends and
    # the next begins), mapped elsewhere across another boundary, queried with a page
    # of hole on each side, read through, and unmapped.
    r, _ = mem
    shared_r = query_byte(Perm.R, True, True)  # this domain's frames, now mapped twice
    assert (r["range_edge.alloc"], r["range_edge.map"], r["range_edge.query"]) == (0, 4, 4)
    assert r["range_edge.bytes"] == int.from_bytes(bytes([0, shared_r, shared_r, shared_r, shared_r, 0, 0, 0]),
                                                    "little")
    assert (r["range_edge.first_sees"], r["range_edge.last_sees"]) == (11, 44)
    assert (r["range_edge.unmap"], r["range_edge.after"], r["range_edge.source_kept"]) == (4, 0, 4)


@pytest.mark.parametrize("case, errno", [("zero_pages", Errno.EINVAL), ("unaligned", Errno.EINVAL),
                                         ("beyond_user", Errno.EINVAL), ("bad_buffer", Errno.EFAULT),
                                         ("read_only_buffer", Errno.EFAULT), ("no_such_domain", Errno.ESRCH)])
def test_page_query_range_errors(mem, case, errno):
    r, _ = mem
    assert r[f"page_query_range.{case}"] == -errno


def test_page_map_range_maps_every_page_with_the_mask_skipping_holes(mem):
    r, _ = mem
    marked_r = Perm.R | Perm.MARK
    assert r["page_map_range.to_alias"] == 4
    assert r["page_map_range.alias_rw_page"] == query_byte(marked_r, True, True)
    assert r["page_map_range.alias_hole"] == 0
    assert r["page_map_range.alias_rx_page"] == query_byte(marked_r | Perm.X, True, True)
    assert r["page_map_range.alias_sees_data"] == 4040
    assert r["page_map_range.source_unchanged"] == query_byte(RW, True, True)


def test_page_map_range_onto_itself_narrows_and_marks_in_place(mem):
    r, _ = mem
    assert r["page_map_range.narrow_in_place"] == 4
    assert r["page_map_range.narrowed"] == query_byte(Perm.R | Perm.MARK, True, True)
    assert r["page_map_range.narrowed_rx"] == query_byte(Perm.R | Perm.X | Perm.MARK, True, True)


def test_page_map_range_never_widens_and_keeps_a_pages_mark(mem):
    r, _ = mem
    assert r["page_map_range.mask_never_widens"] == 4
    assert r["page_map_range.kept_narrow"] == query_byte(Perm.R | Perm.MARK, True, True)


def test_page_map_range_moves_pages(mem):
    r, _ = mem
    assert r["page_map_range.move"] == 4
    assert r["page_map_range.moved_from"] == 0
    assert r["page_map_range.moved_to"] == query_byte(Perm.R | Perm.MARK, True, True)
    assert r["page_map_range.moved_sees_data"] == 4040


def test_page_map_range_replaces_and_allocates_nothing(mem):
    r, _ = mem
    assert r["page_map_range.replaces"] == 1
    assert r["page_map_range.replaced_sees_new_frame"] == 0
    assert r["page_map_range.no_new_pages"] == 0


def test_page_map_range_replaces_a_page_at_an_offset_in_the_range(mem):
    r, _ = mem
    assert r["page_map_range.before_replacing_at_an_offset"] == 4141
    assert r["page_map_range.replaces_at_an_offset"] == 2
    assert r["page_map_range.offset_page_sees_new_frame"] == 0


def test_ranges_that_touch_without_overlapping_may_be_mapped_either_way(mem):
    r, _ = mem
    assert r["page_map_range.adjacent_after"] == r["page_map_range.adjacent_before"] == 2


@pytest.mark.parametrize("case", ["zero_pages", "too_many_pages", "unaligned", "beyond_user", "overlapping",
                                  "no_read", "unknown_mask", "move_in_place"])
def test_page_map_range_refuses_bad_ranges_and_masks(mem, case):
    r, _ = mem
    assert r[f"page_map_range.{case}"] == -Errno.EINVAL


def test_page_map_range_with_an_unknown_domain_is_esrch(mem):
    r, _ = mem
    assert r["page_map_range.no_such_domain"] == -Errno.ESRCH


def test_page_unmap_range_removes_what_is_there_and_frees_last_mappings(mem):
    r, _ = mem
    assert r["page_unmap_range.removed"] == 4
    assert r["page_unmap_range.again"] == 0
    assert r["page_unmap_range.last_mappings"] == 4
    assert r["page_unmap_range.frames_freed"] == 4


@pytest.mark.parametrize("case, errno", [("zero_pages", Errno.EINVAL), ("unaligned", Errno.EINVAL),
                                         ("no_such_domain", Errno.ESRCH)])
def test_page_unmap_range_errors(mem, case, errno):
    r, _ = mem
    assert r[f"page_unmap_range.{case}"] == -errno


def test_a_parent_shares_a_region_into_its_child_in_one_call(mem):
    r, _ = mem
    assert r["child.page_map_range"] == 4
    assert r["child.range_rights"] == Perm.R | Perm.MARK | PAGE_SHARED  # shared, and still ours
    assert r["child.page_unmap_range"] == 4
    assert r["child.range_gone"] == -Errno.ENOENT
    assert r["child.range_stays_here"] == RW | PAGE_OWNED


# --- the calls on a child ----------------------------------------------------------------

def test_a_parent_fills_its_child_and_the_child_is_charged(mem):
    r, _ = mem
    assert r["child.page_alloc"] == 0
    assert r["child.page_query"] == RW | PAGE_OWNED
    assert r["child.page_map_to_me"] == 0
    assert r["child.mapped_here_rights"] == RW | PAGE_SHARED  # shared, and the child's
    assert r["child.page_map_from_me"] == 0 and r["child.page_unmap"] == 0
    assert r["child.page_unmap_again"] == -Errno.ENOENT


def test_a_frame_a_destroyed_child_shared_stays_mapped_and_moves_to_the_mapper(mem):
    r, _ = mem
    assert r["child.destroy"] == 0
    assert r["child.frame_survives_here"] == 7
    assert r["child.frame_now_mine"] == RW | PAGE_OWNED


@pytest.mark.parametrize("call", ["page_alloc", "page_map", "page_unmap", "page_query"])
def test_memory_calls_on_a_destroyed_domain_are_esrch(mem, call):
    r, _ = mem
    assert r[f"child.{call}_after_destroy"] == -Errno.ESRCH


def test_every_frame_returns_after_the_memory_calls(mem):
    _, run_ = mem
    k = run_.result.kernel
    assert k.frames.free_count == k.frames.nframes


def test_a_domain_that_unmaps_its_own_page_faults_on_the_next_access(mem):
    mem, _ = mem
    # The translation was in the hart's TLB: the kernel must flush it, or the load would
    # still reach the old frame. memcalls' handler maps a zeroed page at the fault.
    assert mem["stale.before"] == 1234
    assert (mem["stale.unmap_range"], mem["stale.after_unmap_range"]) == (1, 0)
    assert (mem["stale.unmap"], mem["stale.after_unmap"]) == (0, 0)
    assert mem["stale.faults"] == 2
