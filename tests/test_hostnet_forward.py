"""`--forward`: host sockets on 127.0.0.1 reaching a guest port through the host bridge.

The guest here is the Python peer (tests/hostnet_peer.py) on the switch; the host side
is real: sockets on 127.0.0.1, a client in a thread, the cluster's lockstep loop in
the test's thread blocking on the host when nothing else can happen."""

from __future__ import annotations

import random
import socket
import struct
import threading
import time

import pytest
from hostnet_peer import GUEST_IP, EchoServer, StackNode

from emulator.hostnet.bridge import Forward, ForwardError, HostBridge
from emulator.hostnet.tcpstate import State
from emulator.switch import Switch
from lamina.cluster import Cluster
from lamina.hostfwd import check_forwards, network_config, parse_forward

TIMEOUT = 30  # seconds a host client waits before giving up (a failure, never a pass)


def bridged(guest: StackNode, forwards: list[Forward]) -> tuple[Cluster, HostBridge]:
    """The guest node and a bridge forwarding to it, on one switch."""
    switch = Switch()
    bridge = HostBridge(forwards, guest_ip=GUEST_IP)
    switch.attach(guest.nic)
    switch.attach(bridge.nic)
    return Cluster([], switch, step=switch.latency, nodes=[guest, bridge]), bridge


def run_with_client(cluster: Cluster, client) -> dict:
    """Run client(result) in a thread while the cluster runs, then until the network is
    quiet; the client's result."""
    result: dict = {}

    def body() -> None:
        try:
            client(result)
        except Exception as err:  # noqa: BLE001 (reported by the test's assertions)
            result["error"] = err
    thread = threading.Thread(target=body)
    thread.start()
    cluster.run(done=lambda: not thread.is_alive())
    thread.join()
    # then let the bridge see the host's last moves (a close, a reset) and the virtual
    # network settle (last ACKs, TIME-WAIT); a deadline keeps a bug from hanging the test
    deadline = time.monotonic() + TIMEOUT
    bridge = next(n for n in cluster.nodes if isinstance(n, HostBridge))
    cluster.run(done=lambda: time.monotonic() > deadline or (
        not bridge.splices and all(n.next_event(cluster.now) is None for n in cluster.nodes)))
    return result


def test_tcp_forward_copies_bytes_both_ways():
    data = random.Random(3).randbytes(80_000)
    guest = StackNode(0)
    server = EchoServer(guest, 80)
    cluster, bridge = bridged(guest, [Forward("tcp", 0, 80)])
    port = bridge.host_ports[Forward("tcp", 0, 80)]

    def client(result: dict) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            sender = threading.Thread(target=lambda: (sock.sendall(data), sock.shutdown(socket.SHUT_WR)))
            sender.start()
            received = bytearray()
            while chunk := sock.recv(65536):
                received += chunk
            sender.join()
            result["received"] = bytes(received)
    result = run_with_client(cluster, client)
    bridge.close()
    assert "error" not in result, result.get("error")
    assert result["received"] == data
    assert bytes(server.received) == data
    assert server.conns[0].state == State.CLOSED and server.conns[0].error is None
    assert bridge.accepted == 1 and bridge.splices == []


def test_guest_close_reaches_the_host_as_end_of_file():
    guest = StackNode(0)

    def greet(conn) -> None:
        conn.write(b"220 lamina says hello\r\n")
        conn.close()
    guest.stack.listen(25, greet)
    cluster, bridge = bridged(guest, [Forward("tcp", 0, 25)])
    port = bridge.host_ports[Forward("tcp", 0, 25)]

    def client(result: dict) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            received = bytearray()
            while chunk := sock.recv(100):
                received += chunk
            result["received"] = bytes(received)
    result = run_with_client(cluster, client)
    bridge.close()
    assert result.get("received") == b"220 lamina says hello\r\n", result


def test_closed_guest_port_resets_the_host_connection():
    guest = StackNode(0)  # nothing listens on port 80
    cluster, bridge = bridged(guest, [Forward("tcp", 0, 80)])
    port = bridge.host_ports[Forward("tcp", 0, 80)]

    def client(result: dict) -> None:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
                result["received"] = sock.recv(100)
        except ConnectionResetError:
            result["reset"] = True
    result = run_with_client(cluster, client)
    bridge.close()
    assert result.get("reset") is True, result


def test_udp_forward_returns_replies_to_each_host_sender():
    guest = StackNode(0)

    def echo(src: bytes, sport: int, payload: bytes) -> None:
        guest.stack.udp_send(7, src, sport, payload.upper(), cluster.now)
    guest.stack.udp_bind(7, echo)
    cluster, bridge = bridged(guest, [Forward("udp", 0, 7)])
    port = bridge.host_ports[Forward("udp", 0, 7)]

    def client(result: dict) -> None:
        a, b = socket.socket(socket.AF_INET, socket.SOCK_DGRAM), socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        with a, b:
            for s in (a, b):
                s.settimeout(TIMEOUT)
            a.sendto(b"one", ("127.0.0.1", port))
            result["a1"] = a.recvfrom(100)[0]
            b.sendto(b"two", ("127.0.0.1", port))
            result["b"] = b.recvfrom(100)[0]
            a.sendto(b"three", ("127.0.0.1", port))
            result["a2"] = a.recvfrom(100)[0]
    result = run_with_client(cluster, client)
    bridge.close()
    assert (result.get("a1"), result.get("b"), result.get("a2")) == (b"ONE", b"TWO", b"THREE"), result
    assert bridge.datagrams_in == 3 and bridge.datagrams_out == 3


@pytest.mark.parametrize("text, message", [
    ("tcp:8080", "PROTO:HOSTPORT:GUESTPORT"),
    ("sctp:8080:80", "protocol must be tcp or udp"),
    ("tcp:65536:80", "host port 65536 is out of range"),
    ("udp:7:0", "guest port 0 is out of range"),
    ("tcp:http:80", "host port 'http' is not a number"),
])
def test_bad_forward_specs_are_refused_with_the_reason(text, message):
    with pytest.raises(ForwardError, match=message):
        parse_forward(text)


def test_good_forward_specs_parse():
    assert parse_forward("tcp:8080:80") == Forward("tcp", 8080, 80)
    assert parse_forward("UDP:0:7") == Forward("udp", 0, 7)


def test_forwarding_a_host_port_in_use_is_refused():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        with pytest.raises(ForwardError, match=f"127.0.0.1:{port}"):
            HostBridge([Forward("tcp", port, 80)], guest_ip=GUEST_IP)
    with pytest.raises(ForwardError, match="forwarded twice"):
        check_forwards([Forward("tcp", 9000, 80), Forward("tcp", 9000, 81)])


def test_forward_configuration_boots_the_servers_before_the_program():
    config = network_config([["httpd", "80"]])
    assert [d.name for d in config.domains] == ["fsd", "netd", "httpd"]
    assert config.domains[2].args == ("-F", "@fsd", "-N", "@netd", "80")
    assert any(b.device == "nic" for b in config.domains[1].bindings)


def test_cli_refuses_bad_forwards_before_booting(capsys):
    from lamina.cli import main

    assert main(["run", "--forward", "sctp:8080:80", "httpd"]) == 2
    assert "protocol must be tcp or udp" in capsys.readouterr().err
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        assert main(["run", "--forward", f"tcp:{port}:80", "httpd"]) == 2
        assert f"cannot use 127.0.0.1:{port}" in capsys.readouterr().err
    assert main(["net", "--forward", "udp:0:7", "hello", "+", "hello"]) == 2
    assert "--forward runs one machine" in capsys.readouterr().err


def test_a_host_reset_resets_the_guest_connection():
    guest = StackNode(0)
    server = EchoServer(guest, 80)
    cluster, bridge = bridged(guest, [Forward("tcp", 0, 80)])
    port = bridge.host_ports[Forward("tcp", 0, 80)]

    def client(result: dict) -> None:
        with socket.create_connection(("127.0.0.1", port), timeout=TIMEOUT) as sock:
            sock.sendall(b"ping")
            result["echo"] = sock.recv(100)  # the connection is through to the guest
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    result = run_with_client(cluster, client)  # closing with linger 0 sends a RST
    bridge.close()
    assert result.get("echo") == b"ping", result
    assert server.conns[0].state == State.CLOSED and server.conns[0].error == "reset"


def test_virtual_time_stands_still_while_waiting_for_the_host():
    guest = StackNode(0)
    guest.stack.udp_bind(7, lambda src, sport, data: guest.stack.udp_send(7, src, sport, data, cluster.now))
    cluster, bridge = bridged(guest, [Forward("udp", 0, 7)])
    port = bridge.host_ports[Forward("udp", 0, 7)]
    times = []

    def client(result: dict) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(TIMEOUT)
            for _ in range(2):
                time.sleep(0.6)  # the host is slow: the machines have nothing to do meanwhile
                times.append(cluster.now)
                sock.sendto(b"x", ("127.0.0.1", port))
                result["reply"] = sock.recvfrom(10)[0]
    result = run_with_client(cluster, client)
    bridge.close()
    assert result.get("reply") == b"x", result
    # the bridge blocked on the host: no virtual time passed while the host slept
    assert times[0] == 0
    assert times[1] - times[0] < 20 * cluster.step  # one UDP round trip, not 0.6 s of spinning
