"""`lamina lab grade NAME [--tree DIR]`: the instructor's graders run against a tree.

The graders are always the instructor's own files (a student may edit the public ones
in their tree; that changes nothing here), run by pytest in a child process whose
current directory and first import path are the tree being graded (labs/conftest.py).
Each grader reports one line, and a grader that fails, raises, or whose programs use
up their instruction budget loses its own points and nothing else. A Python loop in
the student's kernel code, which no instruction budget can stop, ends the child
process (the conftest's safety net); grading goes on in a fresh one from the next test.

Beside the points, a cost report: the lab's workload (lab.toml) run on the tree and
on the reference solution, in guest instructions, crossings and pages.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from lamina.labkit.catalog import LABS_DIR, GradedTest, Lab

COST_BUDGET = 200_000_000  # guest instructions a cost workload may use


@dataclass
class TestResult:
    """What one grader gave."""

    test: GradedTest
    passed: bool
    reason: str

    @property
    def score(self) -> int:
        return self.test.points if self.passed else 0


@dataclass
class Grade:
    """The grade of one tree for one lab."""

    lab: Lab
    tree: Path
    results: list[TestResult] = field(default_factory=list)
    cost: dict[str, dict[str, int]] = field(default_factory=dict)  # "yours"/"reference" -> counts
    cost_note: str = ""

    @property
    def score(self) -> int:
        return sum(r.score for r in self.results)

    @property
    def max_score(self) -> int:
        return sum(r.test.points for r in self.results)


def node_id(root: Path, test: GradedTest) -> str:
    """pytest's id of a grader, relative to the instructor's tree (its rootdir)."""
    return f"{test.file.relative_to(root).as_posix()}::{test.name}"


def seed_build(tree: Path, root: Path) -> None:
    """Give a tree without a build directory a copy of the instructor's: every stamp is
    checked against the tree's own sources, so only what differs is built again."""
    ours, theirs = tree / "build", root / "build"
    if tree.resolve() == root.resolve() or ours.exists() or not theirs.is_dir():
        return
    shutil.copytree(theirs, ours, symlinks=True, ignore=shutil.ignore_patterns("zig-cache", ".lock", "*.img"))


def run_graders(root: Path, lab: Lab, tree: Path, traces: Path | None, safety_seconds: float) -> list[TestResult]:
    """Run every grader of lab against tree, a fresh pytest process each time one
    leaves the process (a Python loop, a crash); a result for every grader."""
    results: dict[str, TestResult] = {}
    pending = list(lab.tests)
    while pending:
        with tempfile.TemporaryDirectory() as scratch:
            out = Path(scratch) / "results.jsonl"
            env = {**os.environ, "LAMINA_LAB_TREE": str(tree), "LAMINA_LAB_RESULTS": str(out),
                   "LAMINA_LAB_SAFETY_SECONDS": str(safety_seconds)}
            env.pop("LAMINA_BUILD_DIR", None)  # the tree's own build directory
            if traces is not None:
                env["LAMINA_LAB_TRACES"] = str(traces)
            command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "-o", "addopts=",
                       "--rootdir", str(root), *(f"{t.file}::{t.name}" for t in pending)]
            proc = subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)
            records = [json.loads(line) for line in out.read_text().splitlines()] if out.exists() else []
        by_id = {}
        for rec in records:  # a setup failure, or the call's outcome, whichever says more
            if rec["nodeid"] not in by_id or rec["outcome"] != "passed":
                by_id[rec["nodeid"]] = rec
        gave_up = any(rec.get("safety_net") for rec in records)
        culprit_found = proc.returncode in (0, 1) or gave_up  # a death with no record: the next test caused it
        still = []
        for t in pending:
            rec = by_id.get(node_id(root, t))
            if rec is not None:
                results[node_id(root, t)] = TestResult(t, rec["outcome"] == "passed", rec["reason"])
            elif not culprit_found:
                tail = " ".join((proc.stderr or proc.stdout).strip().splitlines()[-1:])[:300]
                results[node_id(root, t)] = TestResult(t, False, f"the grader's process died (exit {proc.returncode}): {tail}")
                culprit_found = True
            else:
                still.append(t)
        if still and len(still) == len(pending):  # nothing progressed: say why once, for all
            why = " ".join((proc.stdout + proc.stderr).strip().splitlines()[-3:])[:400]
            for t in still:
                results[node_id(root, t)] = TestResult(t, False, f"did not run: {why}")
            still = []
        pending = still
    return [results[node_id(root, t)] for t in lab.tests]


MEASURE = """
import json, shutil, sys, tempfile
from pathlib import Path
sys.path.insert(0, {tree!r})
from lamina.config import config_for_programs
from lamina.system import RunOptions, run_config, shell_system
from toolchain.build import build_all, default_build_dir
from toolchain.diskimage import build_disk_image
options = RunOptions(console_sink=lambda data: None, log=lambda line: None, max_instructions={budget})
if {shell!r}:
    options.console_input = {shell!r}.encode()
    options.disk = Path(tempfile.mkdtemp()) / "disk.img"  # a copy: the session writes to it
    shutil.copyfile(build_disk_image(build_all(default_build_dir()), default_build_dir()), options.disk)
    config = shell_system(options)
else:
    config = config_for_programs({workload!r})
result = run_config(config, options)
ds = list(result.kernel.domains.values())
print(json.dumps({{"instructions": result.kernel.board.instructions,
                  "crossings": sum(d.stats.crossings for d in ds),
                  "pages": sum(d.stats.pages_peak for d in ds)}}))
"""


def measure(tree: Path, lab: Lab) -> dict[str, int] | str:
    """The lab's workload run on tree: its counts, or why they could not be had."""
    code = MEASURE.format(tree=str(tree), budget=COST_BUDGET, shell=lab.shell, workload=lab.workload)
    env = {k: v for k, v in os.environ.items() if k != "LAMINA_BUILD_DIR"}
    proc = subprocess.run([sys.executable, "-c", code], cwd=tree, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        return " ".join(proc.stderr.strip().splitlines()[-1:])[:300] or f"exit {proc.returncode}"
    return json.loads(proc.stdout.strip().splitlines()[-1])


def grade(root: Path, lab: Lab, tree: Path, traces: Path | None = None, safety_seconds: float = 300,
          cost: bool = True) -> Grade:
    """Grade tree for lab with the graders of the instructor's tree at root."""
    tree = tree.resolve()
    if not (tree / "kernel").is_dir() or not (tree / "userland").is_dir():
        raise ValueError(f"{tree} is not a Lamina tree (no kernel/ and userland/ in it)")
    seed_build(tree, root)
    result = Grade(lab, tree, run_graders(root, lab, tree, traces, safety_seconds))
    if cost and (lab.workload or lab.shell):
        yours, reference = measure(tree, lab), measure(root, lab)
        if isinstance(yours, dict) and isinstance(reference, dict):
            result.cost = {"yours": yours, "reference": reference}
        else:
            result.cost_note = yours if isinstance(yours, str) else str(reference)
    return result


def overlay_submission(root: Path, lab: Lab, submission: Path, out: Path) -> Path:
    """A tree to grade from a submission of only the lab's files (Gradescope's upload):
    the handout with each of the lab's files the submission has put in its place."""
    from lamina.labkit.handout import write_handout

    write_handout(root, lab, out)
    for rel in lab.files:
        for candidate in (submission / rel, submission / Path(rel).name):
            if candidate.is_file():
                (out / rel).write_bytes(candidate.read_bytes())
                break
    return out


__all__ = ["Grade", "TestResult", "grade", "overlay_submission", "LABS_DIR"]
