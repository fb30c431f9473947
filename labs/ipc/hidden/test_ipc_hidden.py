"""Lab ipc, hidden graders: every error of the calls, arrival order and notifications,
the direct hand-over (counted in scheduler decisions), and the file server on the
student's IPC."""

from __future__ import annotations

import pytest

from labsupport import guest, shell

BUDGET = 20_000_000
EDEADLK, ESRCH, EINVAL, EFAULT = 35, 3, 22, 14


@pytest.mark.points(10)
def test_every_error_of_call_recv_and_reply():
    g = guest("ipcping 5", budget=BUDGET)
    v = g.values
    want = {"call.self": -EDEADLK, "call.no_such_domain": -ESRCH, "call.exited_server": -ESRCH,
            "call.server_exits_before_reply": -ESRCH, "call.page_write_only": -EINVAL,
            "call.window_unaligned": -EINVAL, "call.page_unmapped": -EFAULT, "recv.window_unaligned": -EINVAL,
            "reply.not_a_caller": -ESRCH, "reply.no_such_caller": -ESRCH, "reply.page_unmapped": -EFAULT}
    wrong = {name: v.get(name) for name, err in want.items() if v.get(name) != str(err)}
    assert not wrong, f"these calls returned the wrong value (docs/abi.md lists each error): {wrong}; {g.trouble()}"


@pytest.mark.points(10)
def test_callers_are_received_in_arrival_order_and_a_notification_first():
    v = guest("ipcping 5", budget=BUDGET).values
    assert v.get("queue.first_received") == "1" and v.get("queue.second_received") == "1", \
        "waiting callers must be received first come, first served"
    n = guest("notifydemo", budget=BUDGET).values
    assert (n.get("order.first_sender"), n.get("order.second_sender_is_child")) == ("0", "1"), \
        f"a pending notification (sender 0) must be received before a queued call: {n}"


@pytest.mark.points(15)
def test_a_call_hands_the_cpu_straight_to_the_server_and_a_reply_straight_back():
    from lamina.config import DomainSpec, SystemConfig
    from lamina.system import RunOptions
    from labsupport import boot

    decisions = [0]

    def count_decisions(k) -> None:
        pick = k.scheduler.next

        def counted():
            decisions[0] += 1
            return pick()
        k.scheduler.next = counted

    # The spinner holds nearly all the tickets: only the hand-over gives the server the
    # CPU when it is called, and the client when it is answered.
    config = SystemConfig("handover", quantum=100_000, domains=(
        DomainSpec("spin", "spin", ("300000",), share=1_000_000), DomainSpec("ipc", "ipcbench", ("200",), share=1)))
    g = boot(config, BUDGET, RunOptions(before_run=count_decisions))
    assert g.status(1) == 0, f"ipcbench did not finish well (status {g.status(1)}); {g.trouble()}"
    assert decisions[0] < 100, \
        f"{decisions[0]} scheduler decisions for 200 round trips: a call to a waiting server, and a reply to a " \
        f"waiting caller, must switch straight to it (set k.handoff), not go through the scheduler"


@pytest.mark.points(15)
def test_the_file_server_runs_on_your_ipc():
    g = shell("echo hello from ipc > note\ncat note\n")
    assert "hello from ipc" in g.output, f"the shell printed {g.output[-300:]!r}; {g.trouble()}"
