"""The device-binding calls from the guest: console_write, console_read and bind_grant,
for success and every documented error.

devcalls makes the calls and prints each result as a `name = value` line; one run
boots it with disk and NIC bindings, another with no console input yet.
"""

from __future__ import annotations

import pytest

from guest import boot, run, run_system, shared
from kernel.abi import CONSOLE_WRITE_MAX, Errno, Notify
from lamina.config import BindingSpec, DomainSpec, SystemConfig, config_for_programs
from reported import reported


@pytest.fixture(scope=shared)
def dev():
    r = run("devcalls", console_input=b"hello world")
    assert r.result.exit_status == 0, r.text + "\n".join(r.log)
    k = r.result.kernel
    assert k.frames.free_count == k.frames.nframes
    return reported(r.text), r


@pytest.fixture(scope=shared)
def narrow():
    bindings = (BindingSpec("console"), BindingSpec("disk", 0, 100), BindingSpec("nic", 17, 53))
    spec = DomainSpec("devcalls", "devcalls", ("narrow",), bindings=bindings)
    r = run_system(SystemConfig("bindings", domains=(spec,)))
    assert r.result.exit_status == 0, r.text + "\n".join(r.log)
    return reported(r.text)


# --- console_write ----------------------------------------------------------------------------

def test_console_write_writes_the_bytes_and_returns_their_count(dev):
    r, run_ = dev
    assert r["console_write.bytes"] == 10
    assert r["console_write.longest"] == CONSOLE_WRITE_MAX
    assert "raw write\n" in run_.text
    assert r["console_write.nothing"] == 0


def test_a_zero_length_buffer_is_checked_by_place_only(dev):
    # One rule for every buffer argument (docs/abi.md): [buf, buf + len) must lie in the
    # user half; with len 0 no byte is read, so NULL is fine and a kernel address is not.
    r, _ = dev
    assert r["console_write.nothing_at_null"] == r["console_write.nothing_at_the_limit"] == 0
    assert r["console_write.nothing_in_the_kernel_half"] == -Errno.EFAULT


def test_console_write_longer_than_the_limit_is_einval(dev):
    r, _ = dev
    assert r["console_write.too_long"] == -Errno.EINVAL


def test_console_write_from_unmapped_memory_is_efault(dev):
    r, _ = dev
    assert r["console_write.unmapped"] == -Errno.EFAULT


def test_console_write_without_a_console_binding_is_eperm(dev):
    r, _ = dev
    assert r["child_write_without_binding.status"] == Errno.EPERM  # the child exits with -result


# --- console_read -----------------------------------------------------------------------------

def test_console_read_returns_the_input_in_pieces_then_0_at_its_end(dev):
    r, _ = dev
    assert (r["console_read.first"], r["console_read.first_text"]) == (5, "hello")
    # read with the largest length allowed
    assert (r["console_read.rest"], r["console_read.rest_text"]) == (6, " world")
    assert r["console_read.at_end"] == 0


@pytest.mark.parametrize("case", ["zero_length", "too_long"])
def test_console_read_of_a_bad_length_is_einval(dev, case):
    r, _ = dev
    assert r[f"console_read.{case}"] == -Errno.EINVAL


@pytest.mark.parametrize("case", ["unmapped", "read_only"])
def test_console_read_into_memory_it_cannot_write_is_efault(dev, case):
    r, _ = dev
    assert r[f"console_read.{case}"] == -Errno.EFAULT


def test_console_read_without_a_console_binding_is_eperm(dev):
    r, _ = dev
    assert r["child_read_without_binding.status"] == Errno.EPERM


def test_console_read_before_input_is_eagain_then_notify_console_follows():
    b = boot(config_for_programs([["devcalls", "wait"]]))
    k = b.result.kernel
    k.run()
    assert bytes(b.output_buffer) == b"wait.first_read = -11\n"  # -EAGAIN
    assert b.log == ["machine halted: no domain can run; blocked: domain 1 (devcalls)"]
    k.board.console.feed(b"typed\n")
    k.run()
    r = reported(bytes(b.output_buffer).decode())
    assert r["wait.sender"] == 0 and r["wait.bits"] == Notify.CONSOLE
    assert (r["wait.other_words"], r["wait.page"]) == (0, 0), "a notification is one word and carries no page"
    assert r["wait.a6_kept"] == r["wait.a7_kept"] == 1, "docs/abi.md: ipc_recv leaves a6 and a7 unchanged"
    assert r["wait.read"] == 6 and r["wait.text"] == "typed"
    assert b.result.domains[0].exit_status == 0


# --- bind_grant -------------------------------------------------------------------------------

def test_a_parent_passes_the_console_to_its_child(dev):
    r, run_ = dev
    assert r["bind_grant.console"] == r["bind_grant.console_again"] == r["bind_grant.to_myself"] == 0
    assert r["child_with_binding.status"] == 0
    assert "child: printed with a console binding from its parent" in run_.text


@pytest.mark.parametrize("case", ["console_with_range", "console_with_hi", "console_with_lo", "unknown_device",
                                  "disk_empty_extent", "nic_bad_protocol", "nic_bad_port"])
def test_bind_grant_refuses_malformed_bindings(dev, case):
    r, _ = dev
    assert r[f"bind_grant.{case}"] == -Errno.EINVAL


def test_bind_grant_of_a_device_not_held_is_eperm(dev):
    r, _ = dev
    assert r["bind_grant.disk_not_held"] == -Errno.EPERM
    assert r["bind_grant.nic_top_protocol"] == r["bind_grant.nic_top_port"] == -Errno.EPERM, \
        "protocol 255 and port 65535 are well formed: refused only because the caller holds no NIC"


def test_bind_grant_to_an_unknown_domain_is_esrch(dev):
    r, _ = dev
    assert r["bind_grant.no_such_domain"] == -Errno.ESRCH


def test_bind_grant_to_a_domain_without_authority_is_eperm():
    r = reported(run("capdemo").text)
    assert r["sibling_before_grant.bind_grant"] == -Errno.EPERM


def test_bind_grant_passes_on_part_of_a_binding(narrow):
    assert narrow["disk.inside"] == 0
    assert narrow["nic.same_filter"] == 0
    assert narrow["child.disk_part_of_mine"] == 0


@pytest.mark.parametrize("case", ["disk.beyond", "nic.any_protocol", "nic.any_port",
                                  "nic.other_protocol"])
def test_bind_grant_cannot_widen_a_binding(narrow, case):
    assert narrow[case] == -Errno.EPERM


def test_a_child_cannot_pass_on_more_than_it_was_given(narrow):
    assert narrow["child.disk_whole_of_parents"] == -Errno.EPERM
    assert narrow["child.nic_any_port"] == -Errno.EPERM


def test_timer_refuses_a_deadline_past_timer_max_and_virtual_time_only_moves_forward():
    from kernel.abi import TIMER_MAX

    r = run("devcalls time")
    got = reported(r.text)
    assert got["time.huge"] == got["time.just_over"] == -Errno.EINVAL
    assert got["time.max"] == 0 and got["time.reached_max"] == 1 and got["time.forward"] == 1
    assert TIMER_MAX < r.result.kernel.board.now < 1 << 64


def test_a_timer_moved_later_wakes_the_domain_only_at_the_later_deadline():
    from guest import run

    r = reported(run("devcalls rearm").text)
    assert r["rearm.later"] == 0
    assert r["rearm.woke_after_the_later"] == 1, "the first deadline, since replaced, woke the domain"
    assert r["rearm.late_by_less_than"] == 1


def test_a_domain_that_ends_while_waiting_for_input_is_not_woken_by_it():
    from kernel_invariants import check_waiters_are_alive

    b = boot(config_for_programs([["devcalls", "wait"]]))
    k, d = b.result.kernel, b.result.domains[0]
    k.run()
    assert d.id in k.console_readers  # it asked, found none, and waits
    k.destroy_domain(d)
    check_waiters_are_alive(k)
    k.board.console.feed(b"typed\n")
    k.run()
    assert d.notify_bits == 0, "the ended domain was notified of the input"
