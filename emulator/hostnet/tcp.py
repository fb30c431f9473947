"""One TCP connection of the host bridge: the state machine of RFC 9293, in virtual time.

A TcpConnection holds no socket and sends nothing itself. The stack (stack.py) hands
it the segments that arrive (`receive`) and asks it, once per step, for the segments
to send (`output`); the application writes into its send buffer and reads from its
receive buffer. Times are virtual (guest instructions), so retransmission depends on
nothing but the order of events.

What it does: active and passive open, in-order delivery (a segment that does not
start at RCV.NXT is dropped and acknowledged, so the sender retransmits; RFC 9293
allows this), retransmission on timeout of the earliest unacknowledged segment alone
(the rest of the window goes again once an ACK moves SND.UNA) with exponential backoff
and an RFC 6298 estimate of the round trip, sending only within the peer's window
(with a one-byte probe when it is zero), FIN in both directions, RST sent and received
(RFC 5961's exact-sequence check), and a short TIME-WAIT. What it leaves out: urgent
data, window scaling, SACK, congestion control (the switch does not congest).
"""

from __future__ import annotations

from emulator.hostnet.packets import ACK, FIN, PSH, RST, SYN, Segment
from emulator.hostnet.tcpstate import (
    MOD,
    RECEIVING,
    SENDING,
    State,
    acceptable,
    seq_le,
    seq_lt,
)

MSS = 1460  # an Ethernet frame's 1500-byte payload minus the IP and TCP headers
RECV_BUFFER = 32 * 1024  # bytes received and not yet read: the most we advertise
SEND_BUFFER = 64 * 1024  # bytes written and not yet acknowledged
INITIAL_RTO = 20_000_000  # virtual instructions (RFC 6298 says 1 s; the guest is 100 MIPS-ish)
MIN_RTO = 1_000_000
MAX_RTO = 400_000_000
CHALLENGE_ACKS = 10  # ACKs answering dropped segments, per CHALLENGE_WINDOW (RFC 5961 section 7's
CHALLENGE_WINDOW = 10_000_000  # throttle; it also ends ACK wars between desynchronized ends)
MAX_RETRIES = 10  # timeouts in a row without an acknowledgement before giving up
TIME_WAIT = 2 * INITIAL_RTO  # 2 MSL, shortened: ports are not reused soon anyway

class TcpConnection:
    """A connection between (local port) and (remote IP, remote port)."""

    def __init__(self, local_port: int, remote_ip: bytes, remote_port: int, iss: int) -> None:
        self.local_port, self.remote_ip, self.remote_port = local_port, remote_ip, remote_port
        self.state = State.CLOSED
        self.iss = iss % MOD
        self.snd_una = self.snd_nxt = self.snd_max = self.iss  # snd_max: highest ever sent
        self.snd_wnd, self.snd_wl1, self.snd_wl2 = 0, 0, 0
        self.peer_mss = 536  # RFC 9293's default when the SYN carries no MSS option
        self.irs = self.rcv_nxt = self.rcv_edge = 0  # rcv_edge: the window's right edge offered
        self.max_window = 0  # the largest window the peer offered
        self.send_buffer = bytearray()  # first byte is at sequence number data_seq
        self.data_seq = (self.iss + 1) % MOD
        self.recv_buffer = bytearray()
        self.closing = False  # the application closed: a FIN follows the data
        self.peer_closed = False  # the peer's FIN arrived
        self.error: str | None = None  # 'refused', 'reset', 'timed out' once it ends badly
        self.ack_due = False
        self.advertised = 0  # the window of the last segment we sent
        self.timer: int | None = None  # retransmission (or persist, or TIME-WAIT) deadline
        self.rto, self.srtt, self.rttvar = INITIAL_RTO, None, 0
        self.retries = 0
        self.challenges, self.challenge_start = 0, 0
        self.timing: tuple[int, int] | None = None  # (sequence number, sent at) being timed
        self.probe = False
        self.recovering = False  # after a timeout, one segment at a time until an ACK
        self.now = 0
        self.segments_sent = self.retransmissions = 0

    # --- the application's side -------------------------------------------------------

    def connect(self, now: int) -> None:
        """Active open: send a SYN at the next output."""
        self.state, self.now = State.SYN_SENT, now

    def write(self, data: bytes) -> int:
        """Queue bytes to send; returns how many fit in the send buffer (0 once closing)."""
        if self.closing or self.state in (State.CLOSED, State.TIME_WAIT):
            return 0
        n = min(len(data), SEND_BUFFER - len(self.send_buffer))
        self.send_buffer += data[:n]
        return n

    @property
    def send_room(self) -> int:
        """How many more bytes write() would take."""
        return 0 if self.closing else SEND_BUFFER - len(self.send_buffer)

    def read(self, limit: int) -> bytes:
        """Take up to limit received bytes, in order."""
        data = bytes(self.recv_buffer[:limit])
        del self.recv_buffer[:limit]
        return data

    def close(self) -> None:
        """The application has no more to send: a FIN goes after the buffered data."""
        if self.state in (State.SYN_SENT, State.CLOSED) and not self.send_buffer:
            self.state = State.CLOSED
        self.closing = True

    def abort(self) -> Segment | None:
        """Drop the connection: the RST to send (RFC 9293 ABORT), if synchronized."""
        rst = None
        if self.state not in (State.CLOSED, State.SYN_SENT, State.TIME_WAIT):
            rst = self.segment(self.snd_max, RST)
        self.end("aborted")
        return rst

    @property
    def finished(self) -> bool:
        """The peer sent FIN and every byte before it has been read."""
        return self.peer_closed and not self.recv_buffer

    # --- segments arriving ------------------------------------------------------------

    def receive(self, seg: Segment, now: int) -> Segment | None:
        """Process an arriving segment (RFC 9293 section 3.10.7); returns a RST to send
        at once when the rules call for one, else None (ACKs go out with `output`)."""
        self.now = now
        if self.state == State.SYN_SENT:
            return self.receive_in_syn_sent(seg)
        if self.state == State.CLOSED:
            return None
        if self.state == State.SYN_RECEIVED and seg.flags & SYN and seg.seq == self.irs:
            self.snd_nxt = self.iss  # the peer did not get our SYN-ACK: send it again
            return None
        if not acceptable(seg.seq, seg.length, self.rcv_nxt, self.window()):
            if not seg.flags & RST:
                self.challenge()
                if self.window() == 0 and seg.seq == self.rcv_nxt and seg.flags & ACK \
                        and self.state != State.SYN_RECEIVED:
                    self.receive_ack(seg)  # at a zero window, valid ACKs still count (3.10.7.4)
            return None
        if seg.flags & RST:
            self.receive_rst(seg)
            return None
        if seg.flags & SYN:  # a SYN in a synchronized state: challenge ACK (RFC 5961 4.2)
            self.challenge()
            return None
        if not seg.flags & ACK:
            return None
        if self.state == State.SYN_RECEIVED:
            if not (seq_lt(self.snd_una, seg.ack) and seq_le(seg.ack, self.snd_max)):
                return Segment(self.local_port, self.remote_port, seg.ack, 0, RST, 0)
            self.state = State.ESTABLISHED
        if not self.receive_ack(seg):
            return None
        self.receive_text(seg)
        return None

    def receive_in_syn_sent(self, seg: Segment) -> Segment | None:
        """SYN-SENT: wait for the SYN-ACK (or a RST refusing the connection)."""
        ack_ok = seq_lt(self.iss, seg.ack) and seq_le(seg.ack, self.snd_max)
        if seg.flags & ACK and not ack_ok:
            return None if seg.flags & RST else Segment(self.local_port, self.remote_port, seg.ack, 0, RST, 0)
        if seg.flags & RST:
            if seg.flags & ACK:
                self.end("refused")
            return None
        if not seg.flags & SYN:
            return None
        self.irs, self.rcv_nxt = seg.seq, (seg.seq + 1) % MOD
        self.rcv_edge = (self.rcv_nxt + RECV_BUFFER) % MOD
        self.peer_mss = min(seg.mss or 536, MSS)
        self.ack_due = True
        if seg.flags & ACK:
            self.state, self.retries, self.recovering = State.ESTABLISHED, 0, False
            self.acknowledged(seg.ack)
            self.snd_wnd, self.snd_wl1, self.snd_wl2 = seg.window, seg.seq, seg.ack
            self.max_window = max(self.max_window, seg.window)
        else:  # simultaneous open
            self.state, self.snd_nxt = State.SYN_RECEIVED, self.iss
        return None

    def accept_syn(self, seg: Segment, now: int) -> None:
        """Passive open: a listener got this SYN; answer with SYN-ACK at the next output."""
        self.now = now
        self.irs, self.rcv_nxt = seg.seq, (seg.seq + 1) % MOD
        self.rcv_edge = (self.rcv_nxt + RECV_BUFFER) % MOD
        self.peer_mss = min(seg.mss or 536, MSS)
        self.snd_wnd, self.snd_wl1, self.snd_wl2 = seg.window, seg.seq, self.iss
        self.max_window = seg.window
        self.state = State.SYN_RECEIVED

    def challenge(self) -> None:
        """Answer a segment being dropped with an ACK saying where we are, at most
        CHALLENGE_ACKS times per CHALLENGE_WINDOW."""
        if self.now - self.challenge_start >= CHALLENGE_WINDOW:
            self.challenges, self.challenge_start = 0, self.now
        if self.challenges < CHALLENGE_ACKS:
            self.challenges += 1
            self.ack_due = True

    def receive_rst(self, seg: Segment) -> None:
        """A RST in the window: exactly at RCV.NXT it resets, else a challenge ACK (RFC 5961 3.2)."""
        if seg.seq != self.rcv_nxt:
            self.challenge()
        else:
            self.end("reset")

    def receive_ack(self, seg: Segment) -> bool:
        """The ACK field: advance SND.UNA, update the window, move the closing states.
        False if the segment is to be dropped."""
        if seq_lt(self.snd_max, seg.ack):  # acknowledges something never sent
            self.challenge()
            return False
        if seq_lt(self.snd_una, seg.ack):
            self.retries, self.recovering = 0, False  # progress: the whole window may go again
            self.acknowledged(seg.ack)
        if seq_le(self.snd_una, seg.ack):
            self.update_window(seg)
            if self.snd_wnd == 0:
                self.retries = 0  # a zero window answering our probe: the peer is alive
        fin_acked = self.closing and self.fin_sent and self.snd_una == (self.fin_seq + 1) % MOD
        if self.state == State.FIN_WAIT_1 and fin_acked:
            self.state = State.FIN_WAIT_2
        elif self.state == State.CLOSING and fin_acked:
            self.enter_time_wait()
        elif self.state == State.LAST_ACK and fin_acked:
            self.end(None)
            return False
        elif self.state == State.TIME_WAIT and seg.flags & FIN:
            self.ack_due = True
            self.enter_time_wait()
        return True

    def acknowledged(self, ack: int) -> None:
        """SND.UNA moves to ack: drop acknowledged bytes, sample the RTT, rearm the timer."""
        data_end = (self.data_seq + len(self.send_buffer)) % MOD
        upto = ack if seq_le(ack, data_end) else data_end
        if seq_lt(self.data_seq, upto):
            del self.send_buffer[:(upto - self.data_seq) % MOD]
            self.data_seq = upto
        self.snd_una = ack
        if seq_lt(self.snd_nxt, ack):
            self.snd_nxt = ack
        if self.timing is not None and seq_le(self.timing[0], ack):
            self.sample_rtt(self.now - self.timing[1])
            self.timing = None
        self.timer = None if self.snd_una == self.snd_max else self.now + self.rto

    def sample_rtt(self, rtt: int) -> None:
        """RFC 6298 section 2: smoothed round trip and its variation give the timeout."""
        if self.srtt is None:
            self.srtt, self.rttvar = rtt, rtt // 2
        else:
            self.rttvar = (3 * self.rttvar + abs(self.srtt - rtt)) // 4
            self.srtt = (7 * self.srtt + rtt) // 8
        self.rto = min(MAX_RTO, max(MIN_RTO, self.srtt + 4 * self.rttvar))

    def update_window(self, seg: Segment) -> None:
        """Take the peer's window from the newest segment (the SND.WL1/WL2 rule)."""
        if seq_lt(self.snd_wl1, seg.seq) or (self.snd_wl1 == seg.seq and seq_le(self.snd_wl2, seg.ack)):
            self.snd_wnd, self.snd_wl1, self.snd_wl2 = seg.window, seg.seq, seg.ack
            self.max_window = max(self.max_window, seg.window)

    def receive_text(self, seg: Segment) -> None:
        """Take the data (only from RCV.NXT on: in-order delivery) and the FIN."""
        payload, seq = seg.payload, seg.seq
        if seq_lt(seq, self.rcv_nxt):  # the front was received already
            skip = (self.rcv_nxt - seq) % MOD
            payload, seq = payload[skip:], self.rcv_nxt
        if seq != self.rcv_nxt:
            self.ack_due = True  # out of order: dropped, the duplicate ACK says where we are
            return
        if payload and self.state in RECEIVING:
            take = payload[:self.window()]
            self.recv_buffer += take
            self.rcv_nxt = (self.rcv_nxt + len(take)) % MOD
            self.ack_due = True
            if len(take) < len(payload):
                return  # the rest, and any FIN, did not fit
        if seg.flags & FIN and self.state not in (State.CLOSED, State.TIME_WAIT):
            if not self.peer_closed:
                self.rcv_nxt = (self.rcv_nxt + 1) % MOD
                self.peer_closed = True
            self.ack_due = True
            if self.state in (State.SYN_RECEIVED, State.ESTABLISHED):
                self.state = State.CLOSE_WAIT
            elif self.state == State.FIN_WAIT_1:
                self.state = State.CLOSING
            elif self.state == State.FIN_WAIT_2:
                self.enter_time_wait()

    # --- segments leaving -------------------------------------------------------------

    def window(self) -> int:
        """RCV.WND: what is left of the window offered (never more than the buffer's room)."""
        room = RECV_BUFFER - len(self.recv_buffer)
        if self.state == State.SYN_SENT:
            return room  # nothing received yet: the SYN offers the whole buffer
        offered = (self.rcv_edge - self.rcv_nxt) % MOD
        return min(room, offered if offered < MOD // 2 else 0)

    def open_window(self) -> bool:
        """Move the right edge to the buffer's room, but only by a worthwhile step (RFC 9293
        3.8.6.2.2, receiver's silly window avoidance); True if it moved."""
        room = RECV_BUFFER - len(self.recv_buffer)
        if room - self.window() < min(MSS, RECV_BUFFER // 2):
            return False
        self.rcv_edge = (self.rcv_nxt + room) % MOD
        return True

    @property
    def fin_seq(self) -> int:
        """The sequence number the FIN occupies, after the last byte of data."""
        return (self.data_seq + len(self.send_buffer)) % MOD

    @property
    def fin_sent(self) -> bool:
        """The FIN is inside what has been sent."""
        return self.closing and seq_lt(self.fin_seq, self.snd_max)

    def segment(self, seq: int, flags: int, payload: bytes = b"", mss: int | None = None) -> Segment:
        """A segment of this connection acknowledging RCV.NXT (except a bare SYN)."""
        ack = self.rcv_nxt if flags & ACK else 0
        self.advertised = self.window()
        self.segments_sent += 1
        return Segment(self.local_port, self.remote_port, seq % MOD, ack, flags, min(self.advertised, 0xFFFF),
                       payload, mss)

    def output(self, now: int) -> list[Segment]:
        """The segments to send now: SYN, data within the peer's window, FIN, or an ACK."""
        self.now = now
        out: list[Segment] = []
        if self.state == State.SYN_SENT and self.snd_nxt == self.iss:
            out.append(self.segment(self.iss, SYN, mss=MSS))
        elif self.state == State.SYN_RECEIVED and self.snd_nxt == self.iss:
            out.append(self.segment(self.iss, SYN | ACK, mss=MSS))
        if out:
            self.snd_nxt = (self.iss + 1) % MOD
            if self.snd_max == self.snd_nxt:
                self.retransmissions += 1
            self.snd_max = self.snd_nxt
        elif self.state in SENDING:
            out = self.output_data()
        if self.open_window() and self.state in RECEIVING | {State.SYN_RECEIVED}:
            self.ack_due = True  # the application read enough to be worth a window update
        if not out and self.ack_due and self.state not in (State.CLOSED, State.SYN_SENT):
            out.append(self.segment(self.snd_nxt, ACK))
        if out:
            self.ack_due = False
            if self.timer is None and self.snd_nxt != self.snd_una:
                self.timer = now + self.rto
        return out

    def output_data(self) -> list[Segment]:
        """Data from SND.NXT up to the peer's window, then the FIN once the data is sent;
        after a timeout, only the earliest unacknowledged segment."""
        out: list[Segment] = []
        if self.recovering and self.snd_nxt != self.snd_una:
            return out
        while True:
            offset = (self.snd_nxt - self.data_seq) % MOD
            pending = len(self.send_buffer) - offset if offset <= len(self.send_buffer) else 0
            room = (self.snd_una + self.snd_wnd - self.snd_nxt) % MOD if self.snd_wnd else 0
            size = min(pending, room, self.peer_mss)
            forced = self.probe and pending > 0
            if forced:  # the zero-window probe (RFC 9293 3.8.6.1), or the override timeout
                size, self.probe = min(pending, max(room, 1), self.peer_mss), False
            # sender's silly window avoidance (RFC 9293 3.8.6.2.1): no small segments
            # unless they carry all there is, or half the largest window offered
            if size > 0 and (forced or size in (self.peer_mss, pending) or size >= self.max_window // 2):
                self.send(out, self.segment(self.snd_nxt, ACK | PSH, bytes(self.send_buffer[offset:offset + size])))
                if self.recovering:
                    return out
                continue
            if self.closing and pending == 0 and self.snd_nxt == self.fin_seq:
                self.send(out, self.segment(self.snd_nxt, FIN | ACK))
                if self.state in (State.ESTABLISHED, State.SYN_RECEIVED):
                    self.state = State.FIN_WAIT_1
                elif self.state == State.CLOSE_WAIT:
                    self.state = State.LAST_ACK
            elif pending and self.timer is None and self.snd_una == self.snd_max:
                self.timer = self.now + self.rto  # the persist (or override) timer
            return out

    def send(self, out: list[Segment], seg: Segment) -> None:
        """Append seg and advance SND.NXT (and SND.MAX, timing the first new byte)."""
        out.append(seg)
        end = (seg.seq + seg.length) % MOD
        if seq_lt(self.snd_max, end):
            if self.timing is None and self.retries == 0:
                self.timing = (end, self.now)
            self.snd_max = end
        else:
            self.retransmissions += 1
        self.snd_nxt = end

    # --- time -------------------------------------------------------------------------

    def on_timer(self, now: int) -> None:
        """The deadline passed: end TIME-WAIT, probe a zero window, or go back to SND.UNA."""
        self.now, self.timer = now, None
        if self.state == State.TIME_WAIT:
            self.end(None)
            return
        self.retries += 1
        if self.retries > MAX_RETRIES:
            self.end("timed out")
            return
        self.rto = min(MAX_RTO, self.rto * 2)  # back off (RFC 6298 5.5)
        self.timing = None  # Karn: no sample from a retransmitted segment
        self.probe = self.snd_wnd == 0 or self.snd_una == self.snd_max
        self.recovering = True  # RFC 6298 5.4: resend the earliest unacknowledged segment
        self.snd_nxt = self.snd_una

    def enter_time_wait(self) -> None:
        """TIME-WAIT: linger so a retransmitted FIN is acknowledged again."""
        self.state = State.TIME_WAIT
        self.timer = self.now + TIME_WAIT

    def end(self, error: str | None) -> None:
        """The connection is over (error None: closed normally)."""
        self.state, self.error, self.timer = State.CLOSED, error, None
