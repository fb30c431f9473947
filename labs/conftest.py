"""pytest's side of the lab kit: points and hidden tests, the tree under test, and the
one-line result of every grader for `lamina lab grade` (lamina/labkit/grade.py).

The graders are the instructor's files; the code they test is the tree named by
LAMINA_LAB_TREE (a student's handout), or, by default, the tree these files are in.
This file imports nothing of Lamina itself before that tree is first on sys.path, so
every module a test uses comes from the tree being graded.
"""

from __future__ import annotations

import json
import os
import sys
import threading
import traceback
from pathlib import Path

import pytest

TREE = Path(os.environ.get("LAMINA_LAB_TREE") or Path(__file__).resolve().parent.parent).resolve()
if str(TREE) not in sys.path[:1]:
    sys.path.insert(0, str(TREE))
RESULTS = os.environ.get("LAMINA_LAB_RESULTS")  # where grade.py wants one JSON line per test
SAFETY_SECONDS = float(os.environ.get("LAMINA_LAB_SAFETY_SECONDS", "300"))


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "points(n): what a lab grader is worth")
    config.addinivalue_line("markers", "stress: long stress runs")


def reason(report: pytest.TestReport, call: pytest.CallInfo | None) -> str:
    """One line a student can act on: the grader's own message for a failed check; for
    an exception, what it was and where in the tree's code it was raised."""
    if report.passed:
        return ""
    excinfo = call.excinfo if call is not None else None
    if excinfo is None:
        return str(report.longrepr).strip().splitlines()[-1][:400]
    err = excinfo.value
    if isinstance(err, AssertionError):
        text = str(err).strip().split("\nassert ")[0].split("\n+")[0].strip()
        return " ".join(text.split())[:400] or "a check failed"
    where = ""
    for frame, line in traceback.walk_tb(excinfo.tb):
        path = Path(frame.f_code.co_filename)
        if path.is_relative_to(TREE) and "labs" not in path.relative_to(TREE).parts[:1]:
            where = f" (at {path.relative_to(TREE).as_posix()}:{line} in {frame.f_code.co_name})"
    return f"{type(err).__name__}: {err}{where}"[:400]


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if RESULTS and (report.when == "call" or report.failed):
        record = {"nodeid": item.nodeid, "when": report.when, "outcome": report.outcome,
                  "reason": reason(report, call)}
        with open(RESULTS, "a") as f:
            f.write(json.dumps(record) + "\n")


@pytest.fixture(autouse=True)
def safety_net(request: pytest.FixtureRequest):
    """Grading is bounded by guest-instruction budgets; this only catches a Python loop
    in a student's kernel code, which no budget can: after SAFETY_SECONDS the test is
    recorded as not finishing and the run ends (grade.py goes on with the next test)."""
    if not RESULTS:
        yield
        return

    def give_up() -> None:
        with open(RESULTS, "a") as f:
            f.write(json.dumps({"nodeid": request.node.nodeid, "when": "call", "outcome": "failed", "safety_net": True,
                                "reason": f"did not finish in {SAFETY_SECONDS:.0f} s: a loop in Python code "
                                          "(a guest loop would have hit its instruction budget)"}) + "\n")
        os._exit(75)

    timer = threading.Timer(SAFETY_SECONDS, give_up)
    timer.daemon = True
    timer.start()
    yield
    timer.cancel()
