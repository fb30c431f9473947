"""Lab ipc, public graders: a call carries four words and the reply four back, a page
lent with a call or a reply lands at the receiver's window, and a page is never lent
with wider rights than its sender holds.

ipcping (userland/tests/ipcping.c) is a client and its server; it prints each result as
"name = value". Expected values come from what it sends: its server replies with each
word plus one, writes a known text into the page it was lent, and lends one back."""

from __future__ import annotations

import pytest

from labsupport import guest

BUDGET = 20_000_000
EACCES, R, PAGE_SHARED = 13, 1, 1 << 9


def ping(n: int = 20) -> tuple[dict[str, str], object]:
    g = guest(f"ipcping {n}", budget=BUDGET)
    return g.values, g


@pytest.mark.points(15)
def test_a_call_carries_four_words_and_the_reply_four_back():
    v, g = ping()
    assert v.get("first.status") == "0", f"the first call returned {v.get('first.status')}; {g.trouble()}"
    words = [v.get(f"first.w{i}") for i in range(4)]
    assert words == ["3", "21", "31", "41"], \
        f"the client sent 2, 20, 30, 40 and the server replies with each plus one; the client got {words}"
    assert v.get("round_trips") == "20", f"{v.get('round_trips')} of 20 round trips came back with their answer"


@pytest.mark.points(15)
def test_a_page_lent_with_a_call_or_a_reply_lands_at_the_receivers_window():
    v, g = ping()
    assert v.get("first.server_wrote") == "written by the server", \
        f"the client's page, lent with the call, did not show the server's write: {v.get('first.server_wrote')}; " \
        f"{g.trouble()}"
    assert v.get("first.page_at_window") == "1" and v.get("first.page_text") == "the server's page", \
        f"the page lent with the reply is not at the client's window: {v.get('first.page_text')}"


@pytest.mark.points(15)
def test_a_page_is_never_lent_with_wider_rights_than_the_sender_holds():
    v, g = ping()
    for side in ("call", "reply"):
        assert v.get(f"{side}.page_wider_than_mine") == str(-EACCES), \
            f"lending a read-only page writable with a {side} returned {v.get(side + '.page_wider_than_mine')}: " \
            f"it must be -EACCES (rights never wider than the sender's)"
    assert v.get("first.page_rights") == str(R | PAGE_SHARED), \
        f"the page lent read-only arrived with rights {v.get('first.page_rights')}, not read-only"
