"""TCP in netd (issue 6): connections between two emulated machines, byte-exact
transfers in both directions with flow control and loss, resets, closing, and httpd
serving a page to nc on the other machine.

nc's -g N sends N bytes of a pattern (byte i is i mod 251) and -s checks what
arrives against it ("received", "mismatch_at" = -1 when every byte is right); -d T
makes it a slow reader, waiting T virtual instructions before each receive.
"""

from __future__ import annotations

import struct
from pathlib import Path

import pytest
from netguest import ip, machine, run_net
from reported import reported

from emulator.pcap import read_pcap
from fs_images import python_mkfs
from toolchain.ext2 import Ext2Image

FIN, SYN, RST, ACK = 0x01, 0x02, 0x04, 0x10
KIB100 = 100 * 1024
SOCK_BUF = 8192  # netd's receive buffer: the largest window it advertises
LATE = 60_000_000


def segments(run, port: int | None = None) -> list[tuple[bytes, dict]]:
    """Every TCP segment on the wire: (frame, fields)."""
    out = []
    for _, _, f in read_pcap(run.pcap):
        if f[12:14] != b"\x08\x00" or f[23] != 6:
            continue
        t = 14 + (f[14] & 15) * 4
        sport, dport, seq, ack, off, flags, wnd = struct.unpack(">HHIIBBH", f[t:t + 16])
        total = struct.unpack(">H", f[16:18])[0]
        fields = dict(src=f[29], sport=sport, dport=dport, seq=seq, ack=ack, flags=flags, wnd=wnd,
                      data=total - (f[14] & 15) * 4 - (off >> 4) * 4)
        if port is None or port in (sport, dport):
            out.append((f, fields))
    return out


def transfer(tmp_path, n: int = KIB100, delay: int = 400_000, drop_every: int = 0, name="t.pcap"):
    """a listens, b connects; each sends n pattern bytes to the other; b reads slowly."""
    return run_net(tmp_path,
                   machine("a", ["nc", "-g", str(n), "-s", "-l", "5000"], ["ping", "-s", str(LATE)]),
                   machine("b", ["nc", "-g", str(n), "-s", "-d", str(delay), ip(0), "5000"],
                           ["ping", "-s", str(LATE)]),
                   drop_every=drop_every, pcap_name=name)


def test_100k_both_ways_byte_exact_with_a_slow_receiver(tmp_path):
    r = transfer(tmp_path)
    a, b = reported(r.texts[0]), reported(r.texts[1])
    assert (a["received"], a["mismatch_at"]) == (KIB100, -1), r.texts[0]
    assert (b["received"], b["mismatch_at"]) == (KIB100, -1), r.texts[1]
    assert a["tcp_retransmits"] == b["tcp_retransmits"] == 0  # nothing lost, nothing resent
    assert a["tcp_window_probes"] > 0  # a asked whether b's closed window had opened
    from_b = [g for _, g in segments(r) if g["src"] == 2]
    assert min(g["wnd"] for g in from_b) == 0  # b's buffer filled: it closed its window
    assert max(g["wnd"] for g in from_b) == SOCK_BUF
    from_a = [g for _, g in segments(r) if g["src"] == 1 and g["data"] > 0]
    assert max(g["data"] for g in from_a) == 1460  # full segments: b's MSS


def test_a_lossy_switch_loses_frames_and_retransmission_recovers(tmp_path):
    r = transfer(tmp_path, drop_every=7)
    a, b = reported(r.texts[0]), reported(r.texts[1])
    assert (a["received"], a["mismatch_at"]) == (KIB100, -1), r.texts[0]
    assert (b["received"], b["mismatch_at"]) == (KIB100, -1), r.texts[1]
    assert r.cluster.switch.dropped > 50
    assert a["tcp_retransmits"] > 0 and b["tcp_retransmits"] > 0
    assert b["tcp_out_of_order_kept"] > 0  # segments after a gap were kept, not dropped


def test_segments_after_a_gap_are_kept_and_join_the_stream_when_it_is_filled(tmp_path):
    r = transfer(tmp_path, drop_every=7)
    b = reported(r.texts[1])
    assert b["tcp_out_of_order_kept"] > 0
    # netd acknowledges every segment it takes in order, so without reassembly no ACK
    # moves by more than one segment (1,460 bytes), or two where the switch lost the
    # ACK between. Once a resent segment fills a gap, the ACK jumps over it and every
    # segment kept after it.
    acks = [g["ack"] for _, g in segments(r, 5000) if g["src"] == 2 and g["flags"] & ACK]
    jumps = [(b_ - a_) % 2**32 for a_, b_ in zip(acks, acks[1:])]
    assert max(jumps) > 2 * 1460
    # nothing kept is delivered twice or out of place: the byte check above, and
    assert (reported(r.texts[0])["received"], reported(r.texts[0])["mismatch_at"]) == (KIB100, -1)


def test_identical_runs_write_identical_pcaps(tmp_path):
    one = transfer(tmp_path, n=20_000, drop_every=5, name="one.pcap")
    two = transfer(tmp_path, n=20_000, drop_every=5, name="two.pcap")
    assert one.pcap == two.pcap
    assert one.texts == two.texts


def test_both_sides_close_with_fin_and_every_frame_is_accounted_for(tmp_path):
    r = transfer(tmp_path, n=3000, delay=0)
    fins = [g for _, g in segments(r) if g["flags"] & FIN]
    assert sorted(g["src"] for g in fins) == [1, 2]
    last = segments(r)[-1][1]
    assert last["flags"] == ACK  # the last FIN was acknowledged
    for text in r.texts:
        counters = reported(text)
        drops = sum(v for k, v in counters.items() if k.startswith("drop_"))
        assert counters["rx_frames"] == counters["rx_handled"] + drops
        assert counters["tcp_rst_sent"] == 0


def test_connecting_to_a_closed_port_is_refused_with_a_reset(tmp_path):
    r = run_net(tmp_path, machine("a", ["nc", ip(1), "4444"]), machine("b", ["ping", "-s", str(LATE)]))
    assert reported(r.texts[0])["connect"] == -111  # ECONNREFUSED
    (syn, s), (rst, t) = segments(r)
    assert s["flags"] == SYN and t["flags"] == RST | ACK
    assert t["ack"] == (s["seq"] + 1) % 2**32 and t["seq"] == 0
    b = reported(r.texts[1])
    assert b["drop_tcp_no_socket"] == 1 and b["tcp_rst_sent"] == 1


def test_closing_with_unread_data_resets_the_connection(tmp_path):
    # b sends 10 bytes, waits, and closes without reading the 30,000 that arrived:
    # netd aborts the connection with a reset instead of a FIN (RFC 2525 2.17).
    r = run_net(tmp_path, machine("a", ["nc", "-s", "-g", "30000", ip(1), "5000"]),
                machine("b", ["nc", "-x", "-g", "10", "-d", "3000000", "-l", "5000"], ["ping", "-s", str(LATE)]))
    assert "error -104" in r.texts[0]  # ECONNRESET, for a's send or receive
    resets = [g for _, g in segments(r) if g["flags"] & RST]
    assert [g["src"] for g in resets] == [2]
    assert not [g for _, g in segments(r) if g["flags"] & FIN and g["src"] == 2]
    assert reported(r.texts[1])["tcp_rst_sent"] == 1


@pytest.fixture(scope="module")
def www_image(tmp_path_factory) -> Path:
    img = python_mkfs(tmp_path_factory.mktemp("www") / "www.img", 8 << 20, 1024)
    page = (Path(__file__).resolve().parent.parent / "userland" / "www" / "index.html").read_bytes()
    with Ext2Image(img, writable=True) as fs:
        fs.mkdir("/www", 0o755)
        fs.write_file("/www/index.html", page)
        fs.write_file("/www/big.txt", bytes(range(256)) * 100)
    return img


def fetch(tmp_path, image: Path, request: bytes):
    """httpd on machine a, nc on machine b sending request; b's console output."""
    r = run_net(tmp_path, machine("a", ["httpd", "80", "1"], fsd=True), machine("b", ["nc", ip(0), "80"]),
                inputs=[None, request], disks=[image, None])
    return r, r.outputs[1].split(b"\n", 1)[1]  # after netd's greeting


def test_httpd_serves_index_html_to_nc_on_the_other_machine(tmp_path, www_image):
    r, out = fetch(tmp_path, www_image, b"GET / HTTP/1.0\r\n\r\n")
    page = (Path(__file__).resolve().parent.parent / "userland" / "www" / "index.html").read_bytes()
    head, body = out.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.0 200 OK\r\n")
    assert b"Content-Type: text/html" in head
    assert f"Content-Length: {len(page)}".encode() in head
    assert body == page
    assert 'httpd: 10.0.0.2 "GET / HTTP/1.0" 200' in r.texts[0]


def test_httpd_serves_a_file_larger_than_a_page(tmp_path, www_image):
    _, out = fetch(tmp_path, www_image, b"GET /big.txt HTTP/1.0\r\nHost: a\r\n\r\n")
    head, body = out.split(b"\r\n\r\n", 1)
    assert b"Content-Length: 25600" in head and body == bytes(range(256)) * 100


@pytest.mark.parametrize("request_, status", [
    (b"GET /missing.html HTTP/1.0\r\n\r\n", b"404 Not Found"),
    (b"POST / HTTP/1.0\r\n\r\n", b"405 Method Not Allowed"),
    (b"GET /../etc HTTP/1.0\r\n\r\n", b"400 Bad Request"),
    (b"nonsense\r\n\r\n", b"400 Bad Request"),
    (b"GET / HTTP/1.0\r\n", b"400 Bad Request"),  # the client ends before the empty line
])
def test_httpd_answers_bad_requests_with_their_status(tmp_path, www_image, request_, status):
    _, out = fetch(tmp_path, www_image, request_)
    head, body = out.split(b"\r\n\r\n", 1)
    assert head.startswith(b"HTTP/1.0 " + status)
    assert f"Content-Length: {len(body)}".encode() in head
    assert body == status.split(b" ", 1)[0] + b" " + status.split(b" ", 1)[1] + b"\n"
