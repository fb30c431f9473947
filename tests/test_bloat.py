"""The bloat study: deterministic per-operation costs whose layer parts add up."""

from __future__ import annotations

import json
import re

import pytest

from lamina.bloat import VARIANTS, measure
from lamina.bloatreport import costs_html, costs_json

CHOSEN = [v for v in VARIANTS if v.workload in ("write a line to the console", "read 4 KiB")]


@pytest.fixture(scope="module")
def costs(tmp_path_factory):
    return [measure(v, tmp_path_factory.mktemp("bloat"), n=5) for v in CHOSEN]


def test_each_layers_instructions_sum_to_the_total(costs):
    for c in costs:
        assert sum(c.by_layer.values()) == pytest.approx(c.instructions), c


def test_the_study_is_deterministic(costs, tmp_path):
    again = [measure(v, tmp_path, n=5) for v in CHOSEN]
    assert costs_json(again) == costs_json(costs)


def test_more_layers_cost_more_instructions(costs):
    by = {(c.workload, c.layering): c for c in costs}
    raw = by[("write a line to the console", "raw kernel calls")]
    libc = by[("write a line to the console", "C library")]
    assert raw.instructions < libc.instructions and raw.crossings == libc.crossings == 1
    disk = by[("read 4 KiB", "raw kernel calls (disk sectors)")]
    served = by[("read 4 KiB", "file server over IPC")]
    assert disk.instructions < served.instructions
    assert served.messages > 0 and disk.messages == 0
    assert "file server" in served.by_layer and "file server" in served.lines


def test_json_and_html_show_the_same_numbers(costs):
    doc = json.loads(costs_json(costs))
    page = costs_html(costs)
    charted = [float(x) for x in re.findall(r'data-instructions="([0-9.]+)"', page)]
    assert charted == [round(c["instructions"], 1) for c in doc["costs"]]
    assert "<script" not in page and "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")


def test_html_report_loads_in_a_headless_browser_without_errors(costs, tmp_path):
    import shutil
    import subprocess

    browser = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
    if browser is None:
        pytest.skip("no headless browser installed")
    page = tmp_path / "report.html"
    page.write_text(costs_html(costs))
    done = subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                           "--disable-background-networking", "--enable-logging=stderr", "--v=0",
                           "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0
    assert "Where the instructions go" in done.stdout
    assert "Uncaught" not in done.stderr and "ERROR:CONSOLE" not in done.stderr
    # Every layer of every layering has a segment a viewer can see, and the chart fits
    # an 800-pixel page.
    for c in costs:
        for layer in c.by_layer:
            assert re.search(rf'<rect class="segment" data-layer="{re.escape(layer)}"[^>]*width="(?:[1-9]|\d\d)', done.stdout)
    width = int(re.search(r'<svg class="study"[^>]*width="(\d+)"', done.stdout)[1])
    assert width <= 780


def test_the_page_puts_every_operation_on_one_scale_with_its_numbers_and_ratios(costs):
    page = costs_html(costs)
    assert page.count('<svg class="study"') == 1  # one chart, one (logarithmic) axis
    for c in costs:
        assert f"{c.instructions:,.0f}</text>" in page  # the total beside its bar
        for layer, value in c.by_layer.items():
            assert f"{layer} {value:,.0f}" in page  # each layer's count printed, not hover-only
    groups: dict[str, list] = {}
    for c in costs:
        groups.setdefault(c.workload, []).append(c)
    for group in groups.values():
        for c in group[1:]:  # each layering against the group's first: "C library = 96x raw kernel calls"
            assert f"{c.layering} = {c.instructions / group[0].instructions:,.0f}x {group[0].layering}" in page
    for word in ("crossing", "frame", "fault", "IPC message"):
        assert f"<dt>{word}</dt>" in page
    assert f"{costs[0].repetitions} times" in page and "code lines of its layers" in page
