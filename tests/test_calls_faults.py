"""The fault calls from the guest: set_fault_handler and fault_return, through the
__fault_entry trampoline of <lamina/fault.h>, for success and every documented error.

faulthandler repairs its own faults (demand paging, a read-only alias, a nested fault,
an illegal instruction); sharedemo shows a page shared read-only with a child. Both
print each result as a `name = value` line.
"""

from __future__ import annotations

import re

import pytest

from emulator.riscv import Cause
from guest import run, shared
from kernel.abi import PAGE_OWNED, PAGE_SHARED, USER_STACK_TOP, Errno, Perm
from reported import reported

DEMAND_VA = 0x1000_0000
XSTACK_TOP = USER_STACK_TOP + 2 * 4096  # FAULT_XSTACK_TOP in <lamina/fault.h>
FAULT_FRAME_SIZE = 36 * 8  # x[32], pc, cause, tval, pad


def function_range(domain, name: str) -> range:
    """The addresses of function `name` in the domain's program."""
    start, size = next((a, size) for a, size, n in domain.image.symbols if n == name)
    return range(start, start + size)


@pytest.fixture(scope=shared)
def faults():
    r = run("faulthandler")
    assert r.result.exit_status == 0, r.text + "\n".join(r.log)
    k = r.result.kernel
    assert k.frames.free_count == k.frames.nframes
    return reported(r.text), r


@pytest.fixture(scope=shared)
def share():
    r = run("sharedemo")
    assert r.result.exit_status == 0, r.text + "\n".join(r.log)
    return reported(r.text), r


# --- the handler at work ------------------------------------------------------------------

def test_a_handler_maps_a_missing_page_and_the_load_runs_again(faults):
    r, _ = faults
    assert r["install"] == 0
    assert r["demand.value"] == 0  # read from the fresh page the handler mapped
    assert r["demand.write_back"] == 1234


def test_the_fault_frame_holds_cause_tval_and_the_faulting_pc(faults):
    r, run_ = faults
    assert r["demand.cause"] == Cause.LOAD_PAGE_FAULT
    assert r["demand.pad"] == 0  # docs/abi.md: the frame's last word is 0
    assert r["demand.tval"] == DEMAND_VA
    touch = function_range(run_.domain(), "touch")
    assert r["demand.touch"] == touch.start
    assert r["demand.pc"] in touch  # the load inside touch()


def test_the_frame_is_pushed_on_the_exception_stack(faults):
    r, _ = faults
    assert XSTACK_TOP - 4096 <= r["demand.frame_at"] <= XSTACK_TOP - FAULT_FRAME_SIZE
    assert r["demand.frame_at"] % 16 == 0
    assert r["demand.interrupted_sp"] < USER_STACK_TOP  # saved from the normal stack


def test_a_fault_inside_the_handler_gets_a_nested_frame(faults):
    r, _ = faults
    assert r["nested.max_depth"] == 2
    assert r["nested.value"] == 5


def test_a_write_to_a_read_only_alias_faults_until_the_alias_is_widened(faults):
    r, _ = faults
    assert r["alias.map"] == 0 and r["alias.read"] == 42
    assert r["alias.faults_before_write"] == 0
    assert r["alias.faults_after_write"] == 1
    assert r["alias.shared_sees_write"] == 43
    assert r["alias.rights_after"] == Perm.R | Perm.W | PAGE_OWNED | PAGE_SHARED


def test_a_handler_can_skip_an_illegal_instruction(faults):
    r, _ = faults
    assert r["illegal.cause"] == Cause.ILLEGAL_INSTRUCTION
    assert r["illegal.tval"] == 0x30002573  # the instruction's bits: csrr a0, mstatus
    assert r["illegal.pc_is_tval"] == 0


def test_a_handler_can_skip_a_breakpoint(faults):
    r, run_ = faults
    assert r["breakpoint.cause"] == Cause.BREAKPOINT
    assert r["breakpoint.pc_is_tval"] == 1
    assert r["breakpoint.tval"] in function_range(run_.domain(), "emit_ebreak")


def test_every_handled_fault_is_counted(faults):
    r, _ = faults
    assert r["faults_seen"] == r["info.faults"] == 6


# --- errors ---------------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["misaligned_entry", "entry_beyond_user", "unaligned_xstack",
                                  "xstack_zero", "xstack_beyond_user"])
def test_set_fault_handler_refuses_bad_entries_and_stacks(faults, case):
    r, _ = faults
    assert r[f"set_handler.{case}"] == -Errno.EINVAL


@pytest.mark.parametrize("case", ["xstack_lowest", "xstack_at_limit", "restored"])
def test_set_fault_handler_takes_an_exception_stack_at_either_end_of_its_range(faults, case):
    r, _ = faults
    assert r[f"set_handler.{case}"] == 0  # XSTACK_SIZE and USER_VA_LIMIT themselves are in the range


def test_set_fault_handler_for_an_unknown_domain_is_esrch(faults):
    r, _ = faults
    assert r["set_handler.no_such_domain"] == -Errno.ESRCH


def test_set_fault_handler_for_a_domain_without_authority_is_eperm():
    r = reported(run("capdemo").text)
    assert r["sibling_before_grant.set_fault_handler"] == -Errno.EPERM


@pytest.mark.parametrize("case", ["null", "unmapped"])
def test_fault_return_from_an_unreadable_frame_is_efault(faults, case):
    r, _ = faults
    assert r[f"fault_return.{case}"] == -Errno.EFAULT


def test_a_fault_with_an_unmapped_exception_stack_kills_the_domain():
    r = run("faulthandler nostack")
    d = r.domain()
    assert reported(r.text)["set_handler"] == 0
    assert d.exit_status == 139 and d.killed_by.cause == Cause.LOAD_PAGE_FAULT
    # the kernel's one line: who, why, the fault (docs/abi.md, "Faults and upcalls")
    assert re.match(r"domain 1 \(faulthandler\) killed \(its fault handler's exception stack is unusable\): "
                    r"load page fault at pc 0x[0-9a-f]+ <touch\+0x[0-9a-f]+> \(faulthandler\.c:\d+\), "
                    r"tval 0x10000000$", r.log[0]), r.log[0]


def test_a_removed_handler_no_longer_gets_faults():
    r = run("faulthandler cleared")
    d = r.domain()
    assert reported(r.text)["clear"] == 0
    assert d.exit_status == 139 and d.killed_by.tval == DEMAND_VA
    assert "killed: load page fault" in r.log[0]


# --- a page shared read-only with a child -----------------------------------------------------

def test_a_child_reads_a_page_shared_read_only_and_sees_later_writes(share):
    r, _ = share
    assert r["share.map"] == 0
    assert r["child.read"] == 1111 and r["child.read_after_update"] == 2222
    assert r["child.rights"] == Perm.R | PAGE_SHARED  # not the child's frame


def test_child_cannot_write_a_parent_frame_shared_read_only(share):
    r, run_ = share
    assert "child.write_landed" not in r
    assert r["child.exit_status"] == 139
    assert r["share.value_after_child"] == 2222
    assert "domain 2 (sharedemo) killed: store page fault" in run_.log[0]
    assert run_.log[0].endswith(f"tval {0x1000_0000:#x}")


def test_the_parents_mapping_stops_being_shared_when_the_child_ends(share):
    r, _ = share
    assert r["share.parent_rights"] == Perm.R | Perm.W | PAGE_OWNED | PAGE_SHARED
    assert r["share.parent_rights_after"] == Perm.R | Perm.W | PAGE_OWNED


def test_fault_return_to_an_odd_pc_is_refused_with_einval(faults):
    r, _ = faults
    assert r["fault_return.odd_pc"] == -Errno.EINVAL
