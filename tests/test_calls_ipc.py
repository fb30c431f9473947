"""The IPC calls from the guest: ipc_call, ipc_recv, ipc_reply, ipc_reply_recv and
notify, through the wrappers of <lamina/ipc.h>, each for success and for every error
it documents (docs/abi.md).

ipcping runs a client against a server child; notifydemo exercises notifications.
Both print each result as a `name = value` line.
"""

from __future__ import annotations

import pytest

from guest import run, shared
from kernel.abi import PAGE_SHARED, Errno, Notify, Perm
from reported import reported

ROUND_TRIPS = 200
USER_BIT0 = 1 << 16


@pytest.fixture(scope=shared)
def ping():
    r = run(f"ipcping {ROUND_TRIPS}")
    assert r.result.exit_status == 0, r.text + "\n".join(r.log)
    k = r.result.kernel
    assert k.frames.free_count == k.frames.nframes
    return reported(r.text), r


@pytest.fixture(scope=shared)
def note():
    r = run("notifydemo")
    assert r.result.exit_status == 0, r.text + "\n".join(r.log)
    return reported(r.text)


# --- calls and replies ---------------------------------------------------------------------

def test_a_call_carries_four_words_and_the_reply_four_back(ping):
    r, _ = ping
    assert r["first.status"] == 0
    # ipcping sends (2, 20, 30, 40); its server replies with each word plus one
    assert [r[f"first.w{i}"] for i in range(4)] == [3, 21, 31, 41]


def test_a_page_sent_with_a_call_is_shared_with_the_server(ping):
    r, _ = ping
    assert r["first.server_wrote"] == "written by the server"


def test_a_page_sent_with_a_reply_lands_at_the_callers_window(ping):
    r, _ = ping
    assert r["first.page_at_window"] == 1
    assert r["first.page_text"] == "the server's page"
    assert r["first.page_rights"] == Perm.R | PAGE_SHARED  # read-only as lent, the server's


def test_every_round_trip_comes_back_with_its_own_answer(ping):
    r, _ = ping
    assert r["round_trips"] == ROUND_TRIPS


def test_waiting_callers_are_received_in_arrival_order(ping):
    r, _ = ping
    assert r["queue.destroy_waiting"] == 0  # the one between them, destroyed while queued, is skipped
    assert r["queue.first_received"] == 1
    assert r["queue.second_received"] == 1


def test_a_page_offered_to_a_receiver_without_a_window_goes_nowhere(ping):
    r, _ = ping
    assert r["queue.no_window_page"] == 0
    assert r["queue.page_zero_after"] == -Errno.ENOENT  # not mapped at address 0 in its place


def test_a_page_the_receiver_cannot_pay_a_page_table_for_is_not_placed_but_the_call_arrives(ping):
    r, _ = ping
    assert r["tight.set_quota"] == 0 and r["tight.call"] == 0
    assert r["tight.page_received"] == 0  # a5 = 0: no page came
    assert r["tight.window_query"] == -Errno.ENOENT  # and nothing is mapped at the window


def test_a_reply_to_a_waiting_caller_returns_0(ping):
    r, _ = ping
    assert r["queue.reply"] == 0


def test_calling_oneself_is_edeadlk(ping):
    r, _ = ping
    assert r["call.self"] == -Errno.EDEADLK


@pytest.mark.parametrize("case", ["no_such_domain", "exited_server", "destroyed_server"])
def test_calling_a_domain_that_is_not_there_is_esrch(ping, case):
    r, _ = ping
    assert r[f"call.{case}"] == -Errno.ESRCH


def test_a_caller_whose_server_exits_before_replying_gets_esrch(ping):
    r, _ = ping
    assert r["call.server_exits_before_reply"] == -Errno.ESRCH
    # docs/abi.md, the IPC register protocol: no reply came, so no words and no page
    assert (r["call.server_exits_words"], r["call.server_exits_page"]) == (0, 0)
    assert r["call.server_exits_a6_a7_kept"] == 1
    assert r["server.exit_status"] == 3


@pytest.mark.parametrize("case", ["page_write_only", "page_unknown_rights", "window_unaligned"])
def test_a_call_with_a_malformed_page_or_window_is_einval(ping, case):
    r, _ = ping
    assert r[f"call.{case}"] == -Errno.EINVAL


@pytest.mark.parametrize("side", ["call", "reply"])
def test_sending_an_unmapped_page_is_efault(ping, side):
    r, _ = ping
    assert r[f"{side}.page_unmapped"] == -Errno.EFAULT


@pytest.mark.parametrize("side", ["call", "reply"])
def test_sending_a_page_with_wider_rights_than_held_is_eacces(ping, side):
    r, _ = ping
    assert r[f"{side}.page_wider_than_mine"] == -Errno.EACCES


def test_recv_with_an_unaligned_window_is_einval(ping):
    r, _ = ping
    assert r["recv.window_unaligned"] == -Errno.EINVAL


@pytest.mark.parametrize("case", ["reply.not_a_caller", "reply_recv.not_a_caller",
                                  "reply.no_such_caller"])
def test_replying_to_a_domain_that_awaits_no_reply_is_esrch(ping, case):
    r, _ = ping
    assert r[case] == -Errno.ESRCH


def test_reply_recv_with_an_unaligned_window_fails_before_replying(ping):
    r, _ = ping
    assert r["reply_recv.window_unaligned"] == -Errno.EINVAL
    assert r["reply_errors.status"] == 0  # the caller got exactly one reply: the good one


def test_domains_that_block_and_wake_do_not_halt_the_machine(ping):
    _, run_ = ping
    assert not any("halted" in line for line in run_.log)


# --- notifications ----------------------------------------------------------------------------

@pytest.mark.parametrize("case", ["no_bits", "kernel_bit", "kernel_and_user_bits"])
def test_notify_accepts_only_user_bits(note, case):
    assert note[f"notify.{case}"] == -Errno.EINVAL


@pytest.mark.parametrize("case", ["no_such_domain", "zero_is_not_me", "exited_domain"])
def test_notify_to_a_domain_that_is_not_there_is_esrch(note, case):
    assert note[f"notify.{case}"] == -Errno.ESRCH


def test_notification_bits_accumulate_into_one_word(note):
    assert note["notify.first"] == note["notify.second"] == 0
    assert note["accumulate.sender"] == 0
    assert note["accumulate.bits"] == USER_BIT0 | USER_BIT0 << 1
    assert note["accumulate.page"] == 0


def test_a_pending_notification_is_received_before_a_queued_call(note):
    assert note["order.first_sender"] == 0
    assert note["order.first_bits"] == USER_BIT0 << 2
    assert note["order.second_sender_is_child"] == 1
    assert note["order.second_word"] == 77


def test_a_notification_wakes_a_domain_blocked_in_recv(note):
    assert note["wake.notify"] == 0
    assert note["wake.child_status"] == 16  # the sleeper exits with bits >> 16


def test_the_kernels_child_bit_arrives_with_user_bits_in_one_word(note):
    assert note["wake.sender"] == 0
    assert note["wake.bits"] == Notify.CHILD | USER_BIT0


def test_a_domain_blocked_forever_in_recv_does_not_stall_others():
    r = run("notifydemo wait", "spin 100000")
    waiter, spinner = r.result.domains
    assert spinner.exit_status == 0 and "spin: checksum" in r.text
    assert waiter.alive and "wait.sender" not in r.text
    assert r.log == ["machine halted: no domain can run; blocked: domain 1 (notifydemo)"]


def test_a_page_sent_again_with_fewer_rights_is_remapped_with_fewer_rights():
    # Regression: resending the same frame to the same window kept the old, wider rights.
    from guest import boot
    from kernel.abi import Perm
    from kernel.ipc import transfer_page
    from kernel.memory import sys_page_alloc
    from lamina.config import config_for_programs

    b = boot(config_for_programs([["hello"], ["hello"]]))
    k = b.result.kernel
    src, dst = b.result.domains
    page, window = 0x1000_0000, 0x2000_0000
    assert sys_page_alloc(k, src, 0, page, 1, Perm.R | Perm.W) == 0
    assert transfer_page(k, src, page | Perm.R | Perm.W, dst, window) == window
    assert dst.space.lookup(window).perm == Perm.R | Perm.W
    assert transfer_page(k, src, page | Perm.R, dst, window) == window
    assert dst.space.lookup(window).perm == Perm.R
