"""The network server netd (issue 6): ARP, IPv4 and ICMP between two emulated machines,
UDP sockets, netd's counters, and the socket library's errors.

Each test boots machines running netd and client programs (tests/netguest.py), runs
them in lockstep on one switch and checks what the clients printed, what netd counted
and what crossed the wire (the pcap).
"""

from __future__ import annotations

from netguest import ip, machine, run_net
from reported import reported

from emulator.pcap import read_pcap
from lamina.cluster import mac_address

ARP, IPV4 = b"\x08\x06", b"\x08\x00"
DROPS = "drop_"
LATE = 30_000_000  # virtual time by which the tests' traffic is over


def frames(run) -> list[bytes]:
    return [f for _, _, f in read_pcap(run.pcap)]


def accounted(counters: dict) -> bool:
    """netd's promise: every frame received was either taken in or dropped for a reason."""
    drops = sum(v for k, v in counters.items() if k.startswith(DROPS))
    return counters["rx_frames"] == counters["rx_handled"] + drops


def test_two_machines_ping_each_other(tmp_path):
    r = run_net(tmp_path, machine("a", ["ping", ip(1), "3"]), machine("b", ["ping", ip(0), "2", "1000"]))
    a, b = reported(r.texts[0]), reported(r.texts[1])
    assert (a["sent"], a["received"]) == (3, 3), r.texts[0]
    assert (b["sent"], b["received"]) == (2, 2), r.texts[1]
    assert "56 bytes from 10.0.0.2 seq 2 ttl 64 rtt" in r.texts[0]
    assert "1000 bytes from 10.0.0.1 seq 1 ttl 64" in r.texts[1]


def test_arp_resolves_once_then_ip_goes_straight_to_the_mac(tmp_path):
    r = run_net(tmp_path, machine("a", ["ping", ip(1), "3"]), machine("b"))
    fs = frames(r)
    first = fs[0]
    assert first[0:6] == b"\xff" * 6 and first[12:14] == ARP  # who has 10.0.0.2?
    assert first[20:22] == b"\x00\x01" and first[38:42] == bytes([10, 0, 0, 2])
    reply = fs[1]
    assert reply[12:14] == ARP and reply[20:22] == b"\x00\x02" and reply[22:28] == mac_address(1)
    ip_frames = [f for f in fs if f[12:14] == IPV4]
    assert len(ip_frames) == 6 and all(f[0:6] in (mac_address(0), mac_address(1)) for f in ip_frames)
    requests = [f for f in ip_frames if f[34] == 8]
    replies = [f for f in ip_frames if f[34] == 0]
    assert len(requests) == len(replies) == 3
    for q, p in zip(requests, replies):
        assert p[26:30] == q[30:34] and p[30:34] == q[26:30]  # addresses swapped
        assert p[38:] == q[38:]  # identifier, sequence and data echoed


def test_ping_to_a_host_that_is_not_there_times_out(tmp_path):
    r = run_net(tmp_path, machine("a", ["ping", "10.0.0.9", "1"]), machine("b"))
    assert reported(r.texts[0])["received"] == 0
    assert "no reply from 10.0.0.9 seq 0: timed out (error -110)" in r.texts[0]
    asked = [f for f in frames(r) if f[12:14] == ARP and f[38:42] == bytes([10, 0, 0, 9])]
    assert len(asked) == 4  # ARP asks four times, then gives up


def test_ping_off_the_subnet_is_unreachable(tmp_path):
    r = run_net(tmp_path, machine("a", ["ping", "192.168.1.1", "1"]))
    assert "network unreachable (no router) (error -101)" in r.texts[0]
    assert frames(r) == []


def test_udp_echo_is_byte_exact(tmp_path):
    r = run_net(tmp_path, machine("a", ["udpsend", ip(1), "7", "4", "1400"]), machine("b", ["udpecho", "7", "4"]))
    assert reported(r.texts[0])["echoed_exact"] == 4, r.texts[0]
    assert r.texts[1].count("udpecho: 1400 bytes from 10.0.0.1:49152 echoed") == 4
    udp = [f for f in frames(r) if f[12:14] == IPV4 and f[23] == 17]
    assert len(udp) == 8 and {f[36:38] for f in udp[0::2]} == {b"\x00\x07"}


def test_udp_to_a_port_nobody_bound_is_dropped_and_counted(tmp_path):
    r = run_net(tmp_path, machine("a", ["udpsend", ip(1), "9", "2"]),
                machine("b", ["ping", "-s", str(LATE)]))
    assert reported(r.texts[0])["echoed_exact"] == 0
    b = reported(r.texts[1])
    assert b["drop_udp_no_socket"] == 2 and accounted(b)


def test_netd_counts_every_frame_it_receives(tmp_path):
    r = run_net(tmp_path, machine("a", ["ping", ip(1), "5"], ["udpsend", ip(1), "7", "3"]),
                machine("b", ["udpecho", "7", "3"], ["ping", "-s", str(LATE)]))
    b = reported(r.texts[1])
    assert accounted(b)
    assert b["rx_frames"] == len([f for f in frames(r) if f[6:12] == mac_address(0)])
    assert b["tx_frames"] == len([f for f in frames(r) if f[6:12] == mac_address(1)])


def test_clients_without_netd_get_a_clear_error():
    from guest import run

    text = run("ping 10.0.0.2 1").text
    assert "no network server (run with -N NETD) (error -19)" in text  # ENODEV
    assert "usage: ping" in run("ping 10.0.0.300").text
    assert "usage: udpsend" in run("udpsend 10.0.0.2").text
    assert "usage: nc" in run("nc -l").text
    assert "usage: httpd" in run("httpd").text


def test_netd_without_a_nic_says_so():
    from guest import run

    r = run("netd")
    assert "netd: no network interface: nic_info returned -19" in r.text
    assert r.domain(0).exit_status == 1


def test_socket_calls_refuse_bad_arguments_with_their_errors(tmp_path):
    r = run_net(tmp_path, machine("a", ["netcalls"]))
    v = reported(r.texts[0])
    expected = {
        "socket_bad_type": -91, "bind_bad_socket": -9, "close_huge_socket": -9,  # EPROTOTYPE, EBADF
        "stats": 30, "info_ip": 0x0A000001, "halt_without_authority": -1,  # EPERM: no capability
        "bind_ok": 0, "bind_in_use": -98, "bind_twice": -22, "bind_foreign_ip": -22,  # EADDRINUSE, EINVAL
        "listen_udp": -95, "connect_udp": -95, "send_udp": -107,  # EOPNOTSUPP, ENOTCONN
        "sendto_too_big": -90, "sendto_port_0": -22, "sendto_off_subnet": -101,  # EMSGSIZE, ENETUNREACH
        "recv_dontwait": -11, "poll_times_out": 0, "poll_writable": 2,  # EAGAIN, NET_POLLOUT
        "close_udp": 0, "close_again": -9,
        "recv_unconnected": -107, "send_unconnected": -107, "accept_not_listening": -22,
        "listen_unbound": -22, "connect_port_0": -22, "connect_off_subnet": -101,
        "sockets_made": 8, "socket_over_limit": -24, "socket_after_closing": 1,  # EMFILE: its own limit
        "socket_of_another_client": 0,  # ... which is not another client's
    }
    assert {k: v.get(k) for k in expected} == expected


def test_the_demo_configurations_talk_to_each_other(tmp_path):
    from fs_images import python_mkfs
    from toolchain.ext2 import Ext2Image

    from lamina.config import load_config

    image = python_mkfs(tmp_path / "www.img", 8 << 20, 1024)
    with Ext2Image(image, writable=True) as fs:
        fs.mkdir("/www", 0o755)
        fs.write_file("/www/index.html", b"<p>hi</p>\n")
    r = run_net(tmp_path, load_config("net-server"), load_config("net-client"), disks=[image, None])
    client = reported(r.texts[1])
    assert client["received"] == 3 and client["echoed_exact"] == 3, r.texts[1]
    assert "httpd: serving /www on port 80" in r.texts[0]
