"""Frame quotas and visible revocation from the guest: set_quota, the room kept for
page tables, and what happens when a quota is lowered below what a subtree holds
(docs/abi.md, quotas and revocation).

The program quotademo makes the calls and prints each result as a `name = value` line;
the tests check those values and what the kernel logged.
"""

from __future__ import annotations

import pytest

from guest import run, run_system, shared
from kernel.abi import CAUSE_REVOKE, Errno
from kernel.memory import tables_bound
from lamina.config import BindingSpec, DomainSpec, SystemConfig
from reported import reported

QUOTA = 64  # the page quota quotademo fill runs under


@pytest.fixture(scope=shared)
def fill():
    """quotademo fill's results: a domain booted with a quota of QUOTA frames."""
    spec = DomainSpec("quotademo", "quotademo", ("fill",), page_quota=QUOTA,
                      bindings=(BindingSpec("console"),))
    r = run_system(SystemConfig("quota", domains=(spec,)))
    assert r.result.exit_status == 0, r.text
    return reported(r.text)


def revocation(mode: str):
    """quotademo's run in mode (comply, ignore, force or blocked): its results and log."""
    r = run(f"quotademo {mode}")
    assert r.result.exit_status == 0, r.text
    k = r.result.kernel
    assert k.frames.free_count == k.frames.nframes
    return reported(r.text), r.log


# --- page_alloc ------------------------------------------------------------------------

# --- quotas ------------------------------------------------------------------------------

def test_page_alloc_is_refused_with_enomem_at_the_quota(fill):
    assert fill["fill.quota"] == QUOTA
    assert fill["fill.refused_with"] == -Errno.ENOMEM
    assert fill["fill.pages_allocated"] > 0
    # docs/abi.md: page_alloc of n pages needs n + 3 + ceil(n / 512) frames under the
    # quota. quotademo allocates one page at a time, in one leaf table, so each success
    # takes one frame, and the first refusal leaves exactly one frame fewer than needed.
    assert fill["fill.headroom"] == (1 + 3 + 1) - 1


@pytest.mark.parametrize("npages", [1, 511, 512, 513, 1024, 1025, 65536])
def test_the_room_kept_for_page_tables_is_what_the_abi_states(npages):
    # docs/abi.md, quotas: npages + 3 + ceil(npages / 512) for page_alloc, 4 for page_map
    assert npages + tables_bound(npages) == npages + 3 + -(-npages // 512)
    assert tables_bound(1) == 4


def test_a_domain_may_take_every_free_frame_and_not_one_more():
    from guest import boot
    from lamina.config import config_for_programs

    k = boot(config_for_programs([["hello"]])).result.kernel
    d = k.domains[1]
    d.page_quota = 10 * k.frames.nframes  # only RAM limits it
    assert k.can_charge(d, k.frames.free_count) and not k.can_charge(d, k.frames.free_count + 1)


def test_unmapping_a_page_makes_room_under_the_quota(fill):
    assert fill["fill.unmap_one"] == 0 and fill["fill.alloc_again"] == 0


def test_domain_create_and_page_map_are_refused_at_the_quota(fill):
    assert fill["domain_create.over_quota"] == -Errno.ENOMEM
    assert fill["page_map.over_quota"] == fill["page_map_range.over_quota"] == -Errno.ENOMEM
    assert fill["page_alloc.over_quota"] == -Errno.ENOMEM
    assert fill["domain_create.with_room"] == 1


def test_a_domain_may_lower_its_own_quota_to_what_it_holds(fill):
    assert fill["set_quota.exactly_held"] == 0
    assert fill["fill.quota_after"] < QUOTA


def test_a_domain_cannot_raise_its_own_quota(fill):
    assert fill["set_quota.raise_own"] == -Errno.EPERM


def test_a_child_starts_with_its_parents_quota_whatever_it_is(fill):
    assert fill["domain_create.with_room"] == 1
    assert fill["domain_create.child_quota_is_mine"] == 1, "quotademo's quota is lowered, not the default"


def test_a_quota_may_be_set_to_the_callers_own(fill):
    assert fill["set_quota.own_unchanged"] == 0, "setting one's own quota to what it is is no raise"
    assert fill["set_quota.child_equal_to_mine"] == 0, "a child may have as large a quota as its parent"


def test_set_quota_refuses_values_out_of_range(fill):
    assert fill["set_quota.below_minimum"] == -Errno.EINVAL
    assert fill["set_quota.child_above_mine"] == -Errno.EINVAL


def test_set_quota_of_an_unknown_domain_is_esrch(fill):
    assert fill["set_quota.no_such_domain"] == -Errno.ESRCH


# --- revocation ---------------------------------------------------------------------------

def test_lowering_a_quota_asks_the_childs_handler_for_the_excess():
    r, log = revocation("comply")
    assert r["parent.set_quota"] == 0
    assert r["child.cause"] == CAUSE_REVOKE
    assert r["child.tval"] == 5  # quotademo lowers the quota 5 below what the child holds
    assert r["child.pages_after"] == r["child.quota"] == r["parent.child_held"] - 5
    assert r["parent.child_status"] == 0
    assert not any("revoked" in line for line in log)


def test_a_revocation_request_ignored_for_a_slice_is_enforced():
    r, log = revocation("ignore")
    assert r["parent.child_held_right_after"] == r["parent.child_held"]  # it had a slice
    assert any("domain 2 (quotademo): revoked 5 pages" in line for line in log)
    assert r["parent.child_status"] == 139  # its stack went first: highest addresses
    # A child made by domain_create runs its parent's program: its pc has those symbols.
    [killed] = [line for line in log if "killed" in line]
    assert killed.startswith("domain 2 (quotademo)") and "<report+" in killed and "report.c:" in killed, killed


def test_a_request_complied_with_in_part_is_enforced_for_the_rest():
    r, log = revocation("partial")
    assert r["parent.child_held_right_after"] == r["parent.child_held"]  # it had its slice
    assert any("domain 2 (quotademo): revoked 3 pages" in line for line in log), log
    assert r["parent.child_status"] == 139  # the 3 taken are its highest: its stack among them


def test_a_child_without_a_handler_loses_pages_at_once():
    r, log = revocation("force")
    assert r["parent.child_held_right_after"] == r["parent.child_held"] - 5
    assert any("domain 2 (quotademo): revoked 5 pages" in line for line in log)


def test_a_request_that_comes_during_the_handler_waits_for_it_to_return_then_comes_at_once():
    # docs/abi.md: asynchronous upcalls never interrupt a handler; a revocation request
    # comes as the handler returns with fault_return, in time to comply in that slice.
    r, log = revocation("inhandler")
    assert r["parent.set_quota"] == 0 and r["child.demand_read"] == 0
    assert r["child.cause"] == CAUSE_REVOKE and r["child.tval"] == 5
    assert r["child.nested"] == 0  # not inside the handler that was running
    assert r["child.pages_after"] == r["child.quota"] == r["parent.child_held"] - 5
    assert not any("revoked" in line for line in log)  # complied with: nothing taken by force
    assert r["parent.child_status"] == 0


def test_a_blocked_child_loses_pages_at_once_though_it_has_a_handler():
    r, log = revocation("blocked")
    assert r["parent.child_held_right_after"] == r["parent.child_held"] - 5
    assert r["parent.destroy"] == 0


def test_a_quota_raised_back_before_the_child_runs_withdraws_the_revocation():
    # docs/abi.md: set_quota below what the subtree holds starts a revocation; raised
    # back to what it holds before the child has had its slice, nothing is owed.
    r, log = revocation("relent")
    assert r["parent.set_quota"] == 0 and r["parent.raise_back"] == 0
    assert "child.cause" in r, f"the child never held its quota again: pages were taken ({log})"
    assert r["child.cause"] == 0, "the child was asked for frames it no longer owed"
    assert r["child.pages_after"] == r["child.quota"] == r["parent.child_held"]
    assert not any("revoked" in line for line in log)
    assert r["parent.child_status"] == 0


def test_forced_revocation_takes_the_highest_pages_the_domain_owns_first():
    # docs/abi.md: pages are taken highest addresses first, and only pages the domain
    # owns (its text, shared from the parent, is not its own). The expected pages come
    # from the child's mappings as the kernel's page tables held them just before.
    before: dict[int, list[tuple[int, int]]] = {}
    taken: list[list[int]] = []

    def watch(k, d):
        for child in (c for c in k.domains.values() if c.alive and c.parent is not None):
            now = [(m.va, k.frames.info(m.pa).owner) for m in child.space.mappings()]
            gone = sorted({va for va, _ in before.get(child.id, [])} - {va for va, _ in now})
            if len(gone) == 5:
                owned = sorted((va for va, owner in before[child.id] if owner == child.id), reverse=True)
                taken.append(gone)
                assert gone == sorted(owned[:5]), f"took {[hex(v) for v in gone]}, not the 5 highest owned"
            before[child.id] = now

    r = run("quotademo force", before_run=lambda k: setattr(k, "after_syscall", lambda d: watch(k, d)))
    assert r.result.exit_status == 0, r.text
    assert len(taken) == 1, "the forced revocation was not seen"
