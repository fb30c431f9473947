"""`lamina run --report FILE`: one self-contained page per run, with a lane per domain,
its frames over time, and the statistics --stats-json gives, number for number."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest


def report_and_stats(tmp_path: Path, *words: str, stdin: str | None = None) -> tuple[str, dict]:
    tmp_path.mkdir(parents=True, exist_ok=True)
    page, stats = tmp_path / "run.html", tmp_path / "stats.json"
    r = subprocess.run([sys.executable, "-m", "lamina.cli", "run", "--report", str(page), "--stats-json", str(stats),
                        *words], capture_output=True, text=True, input=stdin)
    assert r.returncode == 0, r.stderr
    return page.read_text(), json.loads(stats.read_text())


def table_cells(page: str) -> list[list[str]]:
    """The statistics table's rows, as the page shows them."""
    body = re.search(r'<table class="stats">.*?<tbody>(.*?)</tbody>', page, re.S)[1]
    return [re.findall(r"<td[^>]*>(.*?)</td>", row) for row in re.findall(r"<tr>(.*?)</tr>", body)]


@pytest.fixture(scope="module")
def ipc(tmp_path_factory):
    return report_and_stats(tmp_path_factory.mktemp("ipc"), "ipcbench", "100")


@pytest.fixture(scope="module")
def shell(tmp_path_factory):
    return report_and_stats(tmp_path_factory.mktemp("shell"), stdin="ls /bin | wc -l\n")


@pytest.mark.parametrize("which", ["ipc", "shell"])
def test_the_page_has_a_lane_for_every_domain_and_its_numbers_are_the_stats(which, request):
    page, stats = request.getfixturevalue(which)
    lanes = [int(x) for x in re.findall(r'<g class="lane" data-domain="(\d+)"', page)]
    assert lanes == [d["id"] for d in stats["domains"]]
    rows = table_cells(page)
    for row, d in zip(rows, stats["domains"]):
        numbers = [int(x.replace(",", "")) for x in row[4:]]
        assert numbers == [d["instructions"], d["syscalls"], d["faults"], d["crossings"], d["pages_peak"], d["slices"]]
    assert int(rows[-1][4].replace(",", "")) == stats["total"]["instructions"]


def test_the_ipc_run_shows_a_message_arrow_for_every_call_and_reply(ipc):
    page, stats = ipc
    assert len(re.findall(r'class="message"', page)) >= 200  # 100 round trips, drawn between the two lanes


def test_the_page_needs_no_network_and_no_script(shell):
    page, _ = shell
    assert "<script" not in page and "<link" not in page
    assert not re.findall(r"https?://(?!www\.w3\.org/2000/svg)", page)


def test_the_same_run_gives_the_same_page(tmp_path):
    a, _ = report_and_stats(tmp_path / "a", "spin", "20000", "+", "hello")
    b, _ = report_and_stats(tmp_path / "b", "spin", "20000", "+", "hello")
    assert re.sub(r"--report \S+ --stats-json \S+", "", a) == re.sub(r"--report \S+ --stats-json \S+", "", b)


def test_a_headless_browser_renders_every_lane(ipc, shell, tmp_path):
    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no headless browser installed")
    for name, (page, stats) in (("ipc", ipc), ("shell", shell)):
        path = tmp_path / f"{name}.html"
        path.write_text(page)
        done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                               "--disable-background-networking", "--disable-component-update", "--disable-sync",
                               "--dump-dom", path.as_uri()], capture_output=True, text=True, timeout=120)
        assert done.returncode == 0
        assert len(re.findall(r'class="lane"', done.stdout)) == len(stats["domains"])
        assert "Who ran when" in done.stdout and "Uncaught" not in done.stderr
