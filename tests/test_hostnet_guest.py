"""The host bridge in front of a real guest: Python's urllib on the host fetches
http://127.0.0.1:PORT/ through a tcp forward from httpd (on netd and fsd, RISC-V
programs in the emulated machine), and a udp forward reaches udpecho."""

from __future__ import annotations

import shutil
import socket
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest

from emulator.hostnet.bridge import Forward
from lamina.hostfwd import network_config, run_forwarded
from lamina.system import RunOptions

TIMEOUT = 60  # seconds a host client waits before giving up (a failure, never a pass)
WWW = Path(__file__).resolve().parent.parent / "userland" / "www"


@pytest.fixture(scope="module")
def disk_image(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The build's disk image: every program in /bin, userland/www in /www."""
    from toolchain.build import build_all, default_build_dir
    from toolchain.diskimage import build_disk_image

    return build_disk_image(build_all(default_build_dir()), tmp_path_factory.mktemp("disk"))


def serve(disk_image: Path, tmp_path: Path, commands: list[list[str]], forwards: list[Forward], client):
    """Boot fsd + netd + commands with the forwards; client(ports, result) runs in a
    thread once the host ports are open. The run and the client's result."""
    image = tmp_path / "disk.img"
    shutil.copyfile(disk_image, image)
    console = bytearray()
    options = RunOptions(disk=image, console_sink=console.extend, log=lambda line: None)
    result: dict = {}

    def start_client(run) -> None:
        ports = [run.bridge.host_ports[f] for f in forwards]

        def body() -> None:
            try:
                client(ports, result)
            except Exception as err:  # noqa: BLE001 (reported by the test's assertions)
                result["error"] = err
        threads.append(threading.Thread(target=body, daemon=True))
        threads[0].start()
    threads: list[threading.Thread] = []
    run = run_forwarded(network_config(commands), forwards, options, say=lambda line: None, on_start=start_client)
    threads[0].join(TIMEOUT)  # the last reply may still be on its way up the host's stack
    result["console"] = console.decode()
    return run, result


def test_urllib_fetches_index_html_from_the_guest_httpd(disk_image, tmp_path):
    def client(ports: list[int], result: dict) -> None:
        for i in range(2):  # two requests: httpd serves them one after the other
            with urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/", timeout=TIMEOUT) as reply:
                result[f"status{i}"], result[f"body{i}"] = reply.status, reply.read()
    run, result = serve(disk_image, tmp_path, [["httpd", "80", "2"]], [Forward("tcp", 0, 80)], client)
    assert "error" not in result, (result.get("error"), result["console"])
    index = (WWW / "index.html").read_bytes()
    assert (result["status0"], result["body0"]) == (200, index)
    assert (result["status1"], result["body1"]) == (200, index)
    assert run.exit_status == 0
    assert run.bridge.accepted == 2
    assert '10.0.0.254 "GET / HTTP/1.1" 200' in result["console"]


def test_a_missing_page_is_a_404_through_the_bridge(disk_image, tmp_path):
    def client(ports: list[int], result: dict) -> None:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{ports[0]}/nothere.html", timeout=TIMEOUT)
        except urllib.error.HTTPError as err:
            result["status"] = err.code
    _, result = serve(disk_image, tmp_path, [["httpd", "80", "1"]], [Forward("tcp", 0, 80)], client)
    assert result.get("status") == 404, result


def test_udp_datagrams_reach_the_guest_udpecho_and_come_back(disk_image, tmp_path):
    def client(ports: list[int], result: dict) -> None:
        with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
            sock.settimeout(TIMEOUT)
            replies = []
            for word in (b"lamina", b"bridge", b"udp"):
                sock.sendto(word, ("127.0.0.1", ports[0]))
                replies.append(sock.recvfrom(2048)[0])
            result["replies"] = replies
    run, result = serve(disk_image, tmp_path, [["udpecho", "7", "3"]], [Forward("udp", 0, 7)], client)
    assert result.get("replies") == [b"lamina", b"bridge", b"udp"], result
    assert run.exit_status == 0
    assert (run.bridge.datagrams_in, run.bridge.datagrams_out) == (3, 3)
