"""Trace files: valid Chrome Trace Event JSON, in virtual time, byte-identical per run."""

from __future__ import annotations

import json

import pytest

from guest import run
from lamina.trace import ChromeTrace, TraceError, parse_categories
from trace_format import problems


def traced(*commands: str, cats: str | None = None, **kw) -> dict:
    tracer = ChromeTrace(parse_categories(cats))
    run(*commands, tracer=tracer, **kw)
    return tracer.document()


def test_trace_is_valid_chrome_trace_json():
    doc = traced("spin 20000", "hello", "nullderef", "exofork", quantum=2000)
    assert problems(doc) == []


def test_same_command_gives_byte_identical_traces(tmp_path):
    paths = []
    for i in range(2):
        tracer = ChromeTrace()
        run("spin 20000", "hello", "exofork", quantum=2000, tracer=tracer)
        paths.append(tmp_path / f"t{i}.json")
        tracer.write(paths[-1])
    assert paths[0].read_bytes() == paths[1].read_bytes()


def test_each_domain_has_its_own_named_track_and_the_kernel_one():
    doc = traced("spin 1000", "hello")
    names = {e["args"]["name"] for e in doc["traceEvents"] if e.get("name") == "thread_name"}
    assert {"kernel", "domain 1 (spin)", "domain 2 (hello)"} <= names


def test_syscalls_are_named_and_symbolized():
    doc = traced("hello world", cats="syscall")
    calls = [e for e in doc["traceEvents"] if e.get("cat") == "syscall"]
    assert {"console_write", "exit"} <= {e["name"] for e in calls}
    assert all("<" in e["args"]["pc"] for e in calls)  # pc with its function


def test_a_fatal_fault_appears_with_cause_and_tval():
    doc = traced("nullderef", cats="fault")
    (fault,) = [e for e in doc["traceEvents"] if e.get("cat") == "fault"]
    assert fault["name"] == "fatal: load page fault" and fault["args"]["tval"] == "0x0"


def test_a_handled_fault_appears_as_an_upcall():
    doc = traced("faulthandler", cats="fault")
    names = [e["name"] for e in doc["traceEvents"] if e.get("cat") == "fault"]
    # faulthandler handles every fault it makes: the demand load first
    assert names and names[0] == "upcall: load page fault" and not any(n.startswith("fatal") for n in names)


def test_notifications_are_flow_arrows_from_sender_to_receiver():
    doc = traced("exofork", cats="ipc")
    starts = [e for e in doc["traceEvents"] if e["ph"] == "s"]
    ends = [e for e in doc["traceEvents"] if e["ph"] == "f"]
    assert starts and len(starts) == len(ends)
    assert problems(doc) == []


def test_a_notification_starts_on_its_senders_track_and_a_kernel_one_on_the_kernels():
    # quotademo comply: the child notifies its parent (user bit) when it has its pages;
    # the kernel notifies the parent (NOTIFY_CHILD) when the child exits.
    doc = traced("quotademo comply", cats="ipc")
    names = {e["tid"]: e["args"]["name"] for e in doc["traceEvents"] if e.get("name") == "thread_name"}
    flows = {}
    for e in doc["traceEvents"]:
        if e["ph"] in "sf" and e["name"] == "notify":
            flows.setdefault(e["id"], {})[e["ph"]] = names[e["tid"]]
    arrows = [(f["s"], f["f"]) for f in flows.values()]
    assert ("domain 2 (quotademo)", "domain 1 (quotademo)") in arrows, arrows
    assert ("kernel", "domain 1 (quotademo)") in arrows, arrows


def test_timestamps_are_virtual_time_in_instructions():
    r_tracer = ChromeTrace(parse_categories("sched"))
    result = run("spin 5000", tracer=r_tracer).result
    running = [e for e in r_tracer.events if e.get("name") == "running"]
    assert sum(e["dur"] for e in running) == result.domains[0].stats.instructions


def test_categories_filter_what_is_recorded():
    doc = traced("hello", "nullderef", cats="fault")
    cats = {e.get("cat") for e in doc["traceEvents"] if e["ph"] != "M"}
    assert cats == {"fault"}


def test_unknown_category_is_refused_with_the_list():
    with pytest.raises(TraceError, match="unknown trace categories bogus"):
        parse_categories("syscall,bogus")


def test_cli_writes_a_trace_file(tmp_path):
    import subprocess
    import sys

    out = tmp_path / "t.json"
    p = subprocess.run([sys.executable, "-m", "lamina.cli", "run", "--trace", str(out), "hello"],
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    assert problems(json.loads(out.read_text())) == []


def test_the_format_checker_catches_overlaps_and_unpaired_flows():
    bad = {"traceEvents": [
        {"ph": "X", "name": "a", "pid": 1, "tid": 1, "ts": 0, "dur": 10},
        {"ph": "X", "name": "b", "pid": 1, "tid": 1, "ts": 5, "dur": 10},
        {"ph": "s", "name": "m", "pid": 1, "tid": 1, "ts": 0, "id": 7},
        {"ph": "X", "name": "c", "pid": 1, "tid": 1, "ts": 20},
    ]}
    found = problems(bad)
    assert any("overlaps" in p for p in found)
    assert any("unpaired" in p for p in found)
    assert any("missing" in p for p in found)


def test_instruction_listing_ends_at_the_faulting_load():
    import io

    from lamina.insntrace import InstructionListing, parse_window

    out = io.StringIO()
    window = parse_window("nullderef:0-1000000")
    r = run("nullderef", before_run=lambda k: InstructionListing(k, window, out))
    d = r.domain()
    lines = out.getvalue().splitlines()
    # every retired instruction, plus each that trapped (the ecall of printf's write and
    # the faulting load): trapping instructions do not retire
    assert len(lines) == d.stats.instructions + d.stats.crossings
    assert lines[0].startswith("domain 1 (nullderef) #0 ") and "<_start>" in lines[0]
    assert f"{d.killed_by.pc:#x} <main+" in lines[-1] and " ld " in lines[-1]


def test_instruction_window_is_refused_when_malformed():
    from lamina.insntrace import WindowError, parse_window

    for bad in ("1", "1:5", "1:9-3", "x:a-b"):
        with pytest.raises(WindowError):
            parse_window(bad)


def flame(*commands: str) -> tuple[str, object]:
    from lamina.flame import FlameProfiler

    profilers = []
    r = run(*commands, before_run=lambda k: profilers.append(FlameProfiler(k)))
    return profilers[0].folded(), r


def test_flame_weights_add_up_to_every_instruction_retired():
    text, r = flame("hello world", "spin 3000")
    total = sum(int(line.rsplit(" ", 1)[1]) for line in text.splitlines())
    assert total == r.result.kernel.board.instructions


def test_flame_stacks_start_with_the_layer_and_show_the_call_path():
    text, _ = flame("hello world")
    stacks = [line.rsplit(" ", 1)[0] for line in text.splitlines()]
    assert "program;domain 1 (hello);_start;main" in stacks
    assert any(s.startswith("C library;domain 1 (hello);_start;main;printf") for s in stacks)
    # printf's first output asks the descriptor layer where stdout goes (an exec may
    # have redirected it), so the library OS shows up too; nothing else does.
    assert {s.split(";")[0] for s in stacks} == {"program", "C library", "library OS"}


def test_flame_output_is_deterministic():
    assert flame("hello", "spin 500")[0] == flame("hello", "spin 500")[0]


def test_watch_view_shows_every_domain_and_a_trace_can_be_written_alongside(tmp_path):
    import io

    from rich.console import Console

    from lamina.watch import LiveView, TeeTracer

    screen = io.StringIO()
    view = LiveView(Console(file=screen, width=120, force_terminal=False))
    trace = ChromeTrace()
    with view:
        run("hello", "sleep 100000", tracer=TeeTracer(trace, view))
    text = screen.getvalue()
    assert "domain 1 (hello)" in text and "domain 2 (sleep)" in text and "exited" in text
    assert problems(trace.document()) == [] and trace.events


def test_the_counts_a_trace_shows_at_a_slices_end_include_that_slice():
    # Before: the tracer heard of a slice before its instructions were counted, so the
    # first slice's counter read 0 and the last one missed the final slice.
    tracer = ChromeTrace()
    r = run("spin 50000", "spin 30000", quantum=20_000, tracer=tracer)
    events = tracer.document()["traceEvents"]
    for d in r.result.domains:
        running = [e for e in events if e.get("name") == "running" and e["tid"] == d.id]
        counters = [e["args"]["instructions"] for e in events if e.get("name") == f"instructions {d.label}"]
        total = 0
        for e, counter in zip(running, counters):
            total += e["dur"]  # no idle inside a slice: its length is its instructions
            assert e["args"]["instructions"] == counter == total
        assert total == d.stats.instructions


def test_the_live_view_in_a_terminal_shows_guest_output_and_the_running_domain():
    import shutil
    import subprocess
    import sys
    import time

    if shutil.which("tmux") is None:
        pytest.skip("tmux is not installed")
    session = f"lamina-watch-{time.monotonic_ns()}"
    command = (f"{sys.executable} -m lamina.cli run --watch --watch-speed 100000 --quantum 10000 "
               f"hello shown + spin 300000; sleep 60")
    subprocess.run(["tmux", "new-session", "-d", "-s", session, "-x", "160", "-y", "45", command], check=True)
    try:
        screen = ""
        for _ in range(80):  # the run takes 12 s of wall time at this speed: look while it runs
            time.sleep(0.1)
            screen = subprocess.run(["tmux", "capture-pane", "-t", session, "-p"], capture_output=True, text=True).stdout
            if "argv[1] = shown" in screen and "running" in screen:
                break
    finally:
        subprocess.run(["tmux", "kill-session", "-t", session])
    assert "guest output" in screen and "argv[1] = shown" in screen  # in its own pane, not overdrawn
    running = [line for line in screen.splitlines() if "running" in line]
    assert running and "▶" in running[0] and "(spin)" in running[0]


def test_flame_stacks_can_start_with_the_domain_and_keep_the_layer_as_the_last_word():
    from lamina.flame import FlameProfiler

    profilers = []
    r = run("hello world", "spin 3000", before_run=lambda k: profilers.append(FlameProfiler(k)))
    by_layer, by_domain = profilers[0].stacks("layer"), profilers[0].stacks("domain")
    assert sum(by_domain.values()) == sum(by_layer.values()) == r.result.kernel.board.instructions
    for stack in by_domain:
        first, *_, last = stack.split(";")
        assert first.startswith("domain ") and last.startswith("[") and last.endswith("]")


def test_flame_svg_boxes_are_as_wide_as_their_instructions_and_coloured_by_layer():
    from xml.etree import ElementTree

    from lamina.bloatreport import COLOURS
    from lamina.flamesvg import WIDTH, flame_svg

    stacks = {"program;domain 1 (hello);_start;main": 300, "C library;domain 1 (hello);_start;main;printf": 100}
    svg = ElementTree.fromstring(flame_svg(stacks, "t"))
    boxes = {g.find("{http://www.w3.org/2000/svg}rect/{http://www.w3.org/2000/svg}title").text.split(":")[0]:
             g.find("{http://www.w3.org/2000/svg}rect") for g in svg.iter("{http://www.w3.org/2000/svg}g")}
    assert float(boxes["all"].get("width")) == WIDTH
    assert float(boxes["printf"].get("width")) == WIDTH / 4
    assert boxes["printf"].get("fill") == COLOURS["C library"] and boxes["program"].get("fill") == COLOURS["program"]


def test_the_cli_writes_a_flame_graph_svg_itself(tmp_path):
    import subprocess
    import sys
    from xml.etree import ElementTree

    out = tmp_path / "f.svg"
    r = subprocess.run([sys.executable, "-m", "lamina.cli", "run", "--flame", str(out), "--flame-root", "domain",
                        "hello"], capture_output=True, text=True)
    assert r.returncode == 0, r.stderr
    root = ElementTree.parse(out).getroot()
    titles = [t.text for t in root.iter("{http://www.w3.org/2000/svg}title")]
    assert any(t.startswith("domain 1 (hello):") for t in titles)
