"""TCP's connection states and sequence-number arithmetic (RFC 9293 sections 3.3.2,
3.4 and the acceptability test of 3.10.7.4), used by the connection (tcp.py)."""

from __future__ import annotations

from enum import Enum

MOD = 1 << 32  # sequence numbers wrap around at 2**32


class State(Enum):
    """The states of RFC 9293 3.3.2 (LISTEN is the stack's listener table)."""

    CLOSED = "CLOSED"
    SYN_SENT = "SYN-SENT"
    SYN_RECEIVED = "SYN-RECEIVED"
    ESTABLISHED = "ESTABLISHED"
    FIN_WAIT_1 = "FIN-WAIT-1"
    FIN_WAIT_2 = "FIN-WAIT-2"
    CLOSE_WAIT = "CLOSE-WAIT"
    CLOSING = "CLOSING"
    LAST_ACK = "LAST-ACK"
    TIME_WAIT = "TIME-WAIT"


SENDING = {State.ESTABLISHED, State.CLOSE_WAIT, State.FIN_WAIT_1, State.CLOSING, State.LAST_ACK}
RECEIVING = {State.ESTABLISHED, State.FIN_WAIT_1, State.FIN_WAIT_2}


def seq_lt(a: int, b: int) -> bool:
    """a < b in sequence space (RFC 9293 section 3.4: arithmetic modulo 2**32)."""
    return 0 < (b - a) % MOD < MOD // 2


def seq_le(a: int, b: int) -> bool:
    """a <= b in sequence space."""
    return a == b or seq_lt(a, b)


def acceptable(seq: int, length: int, rcv_nxt: int, wnd: int) -> bool:
    """The acceptability test of RFC 9293 3.10.7.4: does a segment of `length` at `seq`
    overlap the receive window [rcv_nxt, rcv_nxt + wnd)?"""
    end = (rcv_nxt + wnd) % MOD
    if length == 0:
        return seq == rcv_nxt if wnd == 0 else seq_le(rcv_nxt, seq) and seq_lt(seq, end)
    if wnd == 0:
        return False
    last = (seq + length - 1) % MOD
    return any(seq_le(rcv_nxt, s) and seq_lt(s, end) for s in (seq, last)) or \
        (seq_lt(seq, rcv_nxt) and seq_lt(rcv_nxt, last))
