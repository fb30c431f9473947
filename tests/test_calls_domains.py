"""The domain calls from the guest: domain_create (exofork), domain_set_regs,
domain_set_state, domain_destroy, domain_info, domain_name, set_share, cap_grant, and exit, yield
and getid, each for success and for every error it documents (docs/abi.md).

The programs exofork, domcalls and capdemo make the calls and print each result as a
`name = value` line; proportional share is measured on two spinning domains.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from guest import run, run_system, shared
from kernel.abi import DomState, Errno, Notify
from lamina.config import DomainSpec, SystemConfig, config_for_programs
from reported import reported
from toolchain.build import build_program

AUTHORITY_CALLS = ["page_alloc", "page_query", "page_map_into", "page_map_from", "page_unmap",
                   "set_quota", "set_share", "set_fault_handler", "domain_set_regs",
                   "domain_set_state", "domain_name", "bind_grant", "cap_grant", "cap_check"]


def finished(command: str):
    """Run command to its end (exit 0, every frame back); its results and run."""
    r = run(command)
    assert r.result.exit_status == 0, r.text + "\n".join(r.log)
    k = r.result.kernel
    assert k.frames.free_count == k.frames.nframes
    return reported(r.text), r


@pytest.fixture(scope=shared)
def fork():
    return finished("exofork")


@pytest.fixture(scope=shared)
def dom():
    return finished("domcalls")[0]


@pytest.fixture(scope=shared)
def cap():
    return finished("capdemo")[0]


# --- exofork -------------------------------------------------------------------------------

def test_domain_create_returns_the_child_id_in_the_parent_and_0_in_the_child(fork):
    r, run_ = fork
    assert r["create.returned_id"] == 2
    assert "child: domain_create returned 0; I am domain 2, child of 1" in run_.text


def test_a_new_child_is_stopped_and_holds_only_its_page_table(fork):
    r, _ = fork
    assert r["child.state_before_start"] == DomState.STOPPED
    assert r["child.pages_before_filling"] == 1


def test_a_filled_and_started_child_runs_and_its_exit_notifies_the_parent(fork):
    r, _ = fork
    assert r["give_image"] == r["copy_stack"] == r["bind_console"] == r["start"] == 0
    assert r["recv.sender"] == 0
    assert r["recv.bits"] == Notify.CHILD


def test_an_exited_child_keeps_its_status_for_domain_info_but_no_frames(fork):
    r, _ = fork
    assert r["child.state_after_exit"] == DomState.EXITED
    assert r["child.exit_status"] == 7
    assert r["child.pages_after_exit"] == 0


def test_a_destroyed_child_is_gone(fork):
    r, _ = fork
    assert r["destroy"] == 0
    assert r["info_after_destroy"] == -Errno.ESRCH


# --- getid, yield, exit ----------------------------------------------------------------------

def test_getid_and_yield(dom):
    assert dom["getid"] == 1
    assert dom["yield"] == 0


def test_exit_keeps_the_low_byte_of_the_status(dom):
    assert dom["exit.status_low_byte"] == 0x34


def test_a_child_outlives_its_exited_parent_and_becomes_a_root():
    r = run("domcalls orphan")
    parent, = r.result.domains
    assert parent.exit_status == 5
    assert reported(r.text)["orphan.parent_now"] == 0
    k = r.result.kernel
    assert k.frames.free_count == k.frames.nframes


# --- domain_create and domain_info -------------------------------------------------------------

def test_a_child_starts_stopped_with_its_parents_share_and_quota(dom):
    assert dom["create.id_is_positive"] == 1
    assert dom["fresh.state"] == DomState.STOPPED
    assert dom["fresh.parent_is_me"] == dom["fresh.share_is_mine"] == dom["fresh.quota_is_mine"] == 1
    assert dom["fresh.exit_status"] == 0, "docs/abi.md: exit_status is 0 before the domain exits"


def test_domain_info_of_an_unknown_domain_is_esrch(dom):
    assert dom["info.no_such_domain"] == -Errno.ESRCH


@pytest.mark.parametrize("case", ["null_pointer", "read_only_pointer"])
def test_domain_info_into_memory_it_cannot_write_is_efault(dom, case):
    assert dom[f"info.{case}"] == -Errno.EFAULT


def test_domain_info_needs_no_authority(cap):
    assert cap["parent.domain_info"] == 0
    assert cap["sibling_before_grant.domain_info"] == 0


# --- domain_set_regs ---------------------------------------------------------------------------

def test_set_regs_on_the_caller_is_einval(dom):
    assert dom["set_regs.self"] == -Errno.EINVAL


def test_set_regs_on_a_stopped_child_returns_0(dom):
    assert dom["set_regs.stopped_child"] == 0


def test_set_regs_with_an_odd_pc_is_einval(dom):
    assert dom["set_regs.odd_pc"] == -Errno.EINVAL


def test_set_regs_from_an_unreadable_struct_is_efault(dom):
    assert dom["set_regs.bad_pointer"] == -Errno.EFAULT


def test_set_regs_on_a_domain_that_is_not_stopped_is_ebusy(dom):
    assert dom["running.state"] == DomState.RUNNABLE
    assert dom["set_regs.running"] == -Errno.EBUSY


@pytest.mark.parametrize("case", ["no_such_domain", "exited"])
def test_set_regs_on_a_missing_or_exited_domain_is_esrch(dom, case):
    assert dom[f"set_regs.{case}"] == -Errno.ESRCH


# --- domain_set_state --------------------------------------------------------------------------

def test_a_running_child_can_be_stopped_and_restarted(dom):
    assert dom["set_state.stop"] == 0
    assert dom["stopped.state"] == DomState.STOPPED
    assert dom["set_state.restart"] == 0


@pytest.mark.parametrize("case", ["self", "blocked_is_not_settable", "unknown_state"])
def test_set_state_refuses_itself_and_states_it_cannot_set(dom, case):
    assert dom[f"set_state.{case}"] == -Errno.EINVAL


def test_set_state_on_a_domain_blocked_in_ipc_is_ebusy(dom):
    assert dom["blocked.state"] == DomState.BLOCKED
    assert dom["set_state.blocked"] == -Errno.EBUSY


@pytest.mark.parametrize("case", ["no_such_domain", "exited", "destroyed"])
def test_set_state_on_a_missing_or_ended_domain_is_esrch(dom, case):
    assert dom[f"set_state.{case}"] == -Errno.ESRCH


# --- domain_destroy ----------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["fresh", "running", "exited"])
def test_destroy_works_on_a_child_in_any_state(dom, case):
    assert dom[f"destroy.{case}"] == 0


def test_destroying_the_caller_itself_is_einval(dom):
    assert dom["destroy.self"] == -Errno.EINVAL


@pytest.mark.parametrize("case", ["no_such_domain", "twice"])
def test_destroy_of_an_unknown_or_destroyed_domain_is_esrch(dom, case):
    assert dom[f"destroy.{case}"] == -Errno.ESRCH


def test_destroying_a_domain_tree_returns_all_its_frames(dom):
    assert dom["tree.call_from"] == 1 and dom["tree.grandchild_parent_is_root"] == 1
    assert dom["tree.pages_grew"] == 1
    assert dom["tree.grandparent_acts_on_grandchild"] == 0, "docs/abi.md: any ancestor has authority"
    assert dom["destroy.tree"] == 0
    assert dom["tree.pages_returned"] == 0  # the parent's subtree is back where it was


def test_destroying_a_tree_removes_its_descendants_too(dom):
    assert dom["tree.root_info"] == dom["tree.grandchild_info"] == -Errno.ESRCH


def test_a_call_from_a_destroyed_domain_cannot_be_answered(dom):
    assert dom["tree.reply_to_destroyed"] == -Errno.ESRCH


# --- set_share ---------------------------------------------------------------------------------

def test_a_domain_gives_its_child_a_share_up_to_its_own(dom):
    assert dom["set_share.child"] == 0
    assert dom["share.child"] == dom["share.mine"] // 2
    assert dom["set_share.child_one"] == 0, "1 ticket is the least share, and allowed"
    assert dom["set_share.child_equal_to_mine"] == 0, "a child may have as much as its parent"
    assert dom["share.child_after_equal"] == dom["share.mine"]
    assert dom["set_share.child_above_mine"] == -Errno.EINVAL


def test_the_largest_share_may_be_kept_and_given():
    adhoc = config_for_programs([["domcalls", "topshare"]])
    r = run_system(replace(adhoc, domains=(replace(adhoc.domains[0], share=1_000_000),)))
    top = reported(r.text)
    assert r.result.domains[0].exit_status == 0, r.text
    assert (top["top.set_own"], top["top.set_child"], top["top.child"]) == (0, 0, 1_000_000)


def test_a_domain_may_lower_but_not_raise_its_own_share(dom):
    assert dom["set_share.raise_own"] == -Errno.EPERM
    assert dom["set_share.own_unchanged"] == 0, "setting one's own share to what it is is no raise"
    assert dom["set_share.lower_own"] == 0
    assert dom["share.mine_after"] == dom["share.mine"] - 10


@pytest.mark.parametrize("case", ["zero", "above_maximum"])
def test_set_share_refuses_tickets_out_of_range(dom, case):
    assert dom[f"set_share.{case}"] == -Errno.EINVAL


def test_set_share_of_an_unknown_domain_is_esrch(dom):
    assert dom["set_share.no_such_domain"] == -Errno.ESRCH


def test_cpu_is_shared_in_proportion_to_tickets_while_both_run():
    spin = ("2000000000",)
    config = SystemConfig("shares", quantum=10_000, domains=(
        DomainSpec("heavy", "spin", spin, share=300), DomainSpec("light", "spin", spin, share=100)))
    r = run_system(config, max_instructions=4_000_000)
    heavy, light = r.result.domains
    assert heavy.alive and light.alive
    assert heavy.stats.instructions / light.stats.instructions == pytest.approx(3, rel=0.05)


# --- authority and cap_grant -------------------------------------------------------------------

@pytest.mark.parametrize("call", AUTHORITY_CALLS)
def test_a_domain_cannot_act_on_its_sibling_without_a_capability(cap, call):
    assert cap[f"sibling_before_grant.{call}"] == -Errno.EPERM


@pytest.mark.parametrize("call", AUTHORITY_CALLS)
def test_a_child_cannot_act_on_its_parent(cap, call):
    assert cap[f"parent.{call}"] == -Errno.EPERM


def test_cap_check_answers_whether_a_domain_has_authority_over_another(cap):
    assert cap["main.check_before_grant"] == 0  # a sibling, before the grant
    assert cap["main.check_ancestor"] == 1
    assert cap["main.check_no_such_holder"] == -Errno.ESRCH
    assert cap["main.check_after_grant"] == 1
    assert cap["sibling_after_grant.cap_check"] == 1  # the holder, asking about its target


@pytest.mark.parametrize("call", AUTHORITY_CALLS + ["domain_destroy"])
def test_cap_grant_lets_the_recipient_act_on_the_target(cap, call):
    assert cap["main.cap_grant"] == 0
    assert cap[f"sibling_after_grant.{call}"] >= 0


def test_a_capability_holder_can_destroy_the_target(cap):
    assert cap["sibling_after_grant.domain_destroy"] == 0
    assert cap["main.target_after_agent_destroyed_it"] == -Errno.ESRCH


@pytest.mark.parametrize("case", ["no_such_target", "no_such_recipient"])
def test_cap_grant_naming_an_unknown_domain_is_esrch(dom, case):
    assert dom[f"cap_grant.{case}"] == -Errno.ESRCH


def test_a_child_cannot_grant_authority_over_its_parent(dom):
    assert dom["cap_grant.over_parent_status"] == Errno.EPERM  # the child exits with -result


# --- domain_name -----------------------------------------------------------------------

def test_a_domain_is_born_with_its_programs_name_and_a_child_inherits_it(dom):
    assert dom["name.booted_as_domcalls"] == 1
    assert dom["name.child_inherits"] == 1


def test_domain_name_renames_self_or_a_child_and_domain_info_reads_it_back(dom):
    assert dom["name.child"] == 0 and dom["name.child_reads_back"] == 1
    assert dom["name.longest"] == 0 and dom["name.longest_reads_back"] == 1
    assert dom["name.back"] == 0


@pytest.mark.parametrize("case, errno", [("too_long", Errno.ENAMETOOLONG), ("empty", Errno.EINVAL),
                                         ("unprintable", Errno.EINVAL), ("null_pointer", Errno.EFAULT),
                                         ("no_such_domain", Errno.ESRCH)])
def test_domain_name_errors(dom, case, errno):
    assert dom[f"name.{case}"] == -errno
    assert dom["name.unchanged_by_errors"] == 1


def test_a_name_does_not_lend_another_programs_symbols():
    build_program("hello")  # the kernel finds only programs built already: make sure it is
    r = run("domcalls impostor")
    [line] = [x for x in r.log if "killed" in x]
    assert "(hello)" in line  # the name is what the domain asked for...
    assert "hello.c" not in line and "<" not in line  # ...but its pc is described by nothing


def test_a_name_of_the_program_a_domain_runs_gives_its_symbols():
    r = run("domcalls honest")
    [line] = [x for x in r.log if "killed" in x]
    assert "(domcalls)" in line and "<main+" in line and "domcalls.c:" in line, line



def test_a_domain_destroyed_while_alive_ends_with_137_and_an_exited_one_keeps_its_status():
    # docs/abi.md, domain_destroy: each domain of the tree still alive ends with 137
    # (128 + SIGKILL); one that had exited keeps the status it exited with. The status
    # is what --stats and the trace show. A domain that ends while another runs was
    # destroyed; one that ends while it runs itself exited (or faulted).
    from kernel.tracing import Tracer

    class Endings(Tracer):
        def __init__(self) -> None:
            self.kernel = None
            self.destroyed: list[int | None] = []
            self.exited_itself: dict[int, int | None] = {}

        def exited(self, d, at):
            if self.kernel.current is d:
                self.exited_itself[d.id] = d.exit_status
            else:
                self.destroyed.append(d.exit_status)

    endings = Endings()
    r = run("domcalls", tracer=endings, before_run=lambda k: setattr(endings, "kernel", k))
    assert r.result.exit_status == 0, r.text
    assert len(endings.destroyed) >= 4 and set(endings.destroyed) == {137}, endings.destroyed
    assert None not in endings.exited_itself.values()
    for did, status in endings.exited_itself.items():
        assert r.result.kernel.domains[did].exit_status == status, "destroying an exited domain changed its status"
