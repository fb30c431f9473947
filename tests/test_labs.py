"""The lab kit's self-check: every lab's handout builds and boots and its graders give
it nothing (each grader, not only the total), the solution tree gets full marks, and a
lab's regions solve that lab and no other. Also: what `lamina lab` writes (the table,
JSON, JUnit, Gradescope's results.json, the autograder zip), and a grade that survives
a solution that hangs or crashes, losing only the affected graders' points.

A change anywhere in Lamina that breaks a lab fails here.
"""

from __future__ import annotations

import json
import subprocess
import sys
import zipfile
from pathlib import Path
from xml.etree import ElementTree

import pytest

from lamina.labkit.catalog import find_lab, load_labs
from lamina.labkit.grade import grade
from lamina.labkit.handout import write_handout, write_tree
from lamina.labkit.markers import find_regions
from lamina.labkit.report import gradescope_json, junit_xml
from toolchain.layout import REPO_ROOT

LABS = [lab.name for lab in load_labs(REPO_ROOT)]


def lamina(*args: str, cwd: Path = REPO_ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "lamina.cli", *args], capture_output=True, text=True, cwd=cwd)


def test_there_is_a_terms_sequence_of_labs_each_with_points_and_regions():
    assert LABS == ["util", "syscall", "pgtbl", "sched", "traps", "cow", "ipc", "fs", "net", "bloat"]
    for name in LABS:
        lab = find_lab(REPO_ROOT, name)
        assert lab.points > 0 and lab.regions and (lab.folder / "README.md").is_file()
        assert all(t.points > 0 for t in lab.tests), f"lab {name}: a grader without points"
        assert any(t.hidden for t in lab.tests) and any(not t.hidden for t in lab.tests)


def test_lamina_lab_list_shows_every_lab_with_its_points():
    r = lamina("lab", "list")
    assert r.returncode == 0
    for name in LABS:
        lab = find_lab(REPO_ROOT, name)
        row = next(line for line in r.stdout.splitlines() if f"│ {name} " in line)
        assert f" {lab.points} " in row


@pytest.mark.parametrize("name", LABS)
def test_the_handout_builds_and_boots_and_every_grader_gives_it_nothing(name, tmp_path):
    lab = find_lab(REPO_ROOT, name)
    write_handout(REPO_ROOT, lab, tmp_path / "handout")
    assert not (tmp_path / "handout" / "labs" / name / "hidden").exists()  # instructor-only
    assert not any("BEGIN LAB" in (tmp_path / "handout" / f).read_text() for f in lab.files)
    g = grade(REPO_ROOT, lab, tmp_path / "handout", cost=False)
    built = lamina("build", cwd=tmp_path / "handout")
    assert built.returncode == 0, built.stderr  # every program builds from the handout
    boots = lamina("run", "hello", "handout", cwd=tmp_path / "handout")
    # It boots, or (lab pgtbl, whose page tables everything runs on) says it cannot yet.
    assert (boots.returncode == 0 and "argv[1] = handout" in boots.stdout) or (
        boots.stderr.startswith(f"lamina run: not implemented: lab {name}, ") and "kernel/" in boots.stderr), boots.stderr
    passed = [r.test.name for r in g.results if r.passed]
    assert not passed, f"lab {name}: these graders pass on the handout: {passed}"
    assert all(r.reason for r in g.results)  # each says why


@pytest.mark.parametrize("name", LABS)
def test_the_solution_tree_gets_full_marks_and_a_cost_report(name):
    g = grade(REPO_ROOT, find_lab(REPO_ROOT, name), REPO_ROOT)
    failed = [(r.test.name, r.reason) for r in g.results if not r.passed]
    assert not failed and g.score == g.max_score, failed
    assert g.cost["yours"] == g.cost["reference"]  # the same tree: the same exact counts


def needed(name: str) -> set[str]:
    """Lab name and every lab its graders run on, directly or through another."""
    keep, todo = set(), [name]
    while todo:
        lab = todo.pop()
        if lab not in keep:
            keep.add(lab)
            todo.extend(find_lab(REPO_ROOT, lab).needs)
    return keep


def one_lab_solved(tmp_path: Path, name: str) -> Path:
    """The tree with lab name's regions solved, the labs it needs too, every other carved."""
    keep = needed(name)
    tree = tmp_path / f"only-{name}"
    write_tree(REPO_ROOT, tree, {n for n in LABS if n not in keep})
    return tree


@pytest.mark.parametrize("name", ["pgtbl", pytest.param("syscall", marks=pytest.mark.stress),
                                  pytest.param("util", marks=pytest.mark.stress)])
def test_a_labs_regions_solve_that_lab_and_no_other(name, tmp_path):
    tree = one_lab_solved(tmp_path, name)
    keep = needed(name)
    for other in LABS:
        g = grade(REPO_ROOT, find_lab(REPO_ROOT, other), tree, cost=False)
        if other in keep:
            assert g.score == g.max_score, (other, [r.reason for r in g.results if not r.passed])
        else:
            assert g.score < g.max_score, f"lab {other} scores full on a tree where only {name} is solved"


def test_markers_change_nothing_the_solution_builds(tmp_path):
    # The same programs built from the tree with every marker removed have the same code.
    from elftools.elf.elffile import ELFFile

    write_tree(REPO_ROOT, tmp_path / "plain", set())
    sources = [r.path for name in LABS for r in find_lab(REPO_ROOT, name).regions]
    assert any(p.suffix == ".c" for p in sources)
    code = "from toolchain.build import build_programs; build_programs(['find', 'xargs', 'sysinfo'])"
    subprocess.run([sys.executable, "-c", code], cwd=tmp_path / "plain", check=True, capture_output=True)
    from toolchain.build import build_programs

    mine = build_programs(["find", "xargs", "sysinfo"])
    for name, path in mine.items():
        texts = []
        for elf_path in (path, tmp_path / "plain" / "build" / "bin" / name):
            with open(elf_path, "rb") as f:
                texts.append(ELFFile(f).get_section_by_name(".text").data())
        assert texts[0] == texts[1], f"{name}: the markers changed its code"


def test_a_hanging_and_a_crashing_solution_lose_only_their_graders_points(tmp_path):
    tree = tmp_path / "tree"
    write_tree(REPO_ROOT, tree, set())
    find_c, xargs_c, vm_py = tree / "userland/bin/find.c", tree / "userland/bin/xargs.c", tree / "kernel/vm.py"
    # find crashes (a store to address 0), xargs loops forever in the guest, and the
    # page-table printer loops forever in Python (only the safety net can stop that).
    find_c.write_text(find_c.read_text().replace("  static char buf[FS_IO_MAX];", "  *(volatile int *)0 = 1;\n  static char buf[FS_IO_MAX];", 1))
    xargs_c.write_text(xargs_c.read_text().replace("  while (read_line(line, sizeof line) >= 0) {", "  for (;;)\n    ;\n  while (read_line(line, sizeof line) >= 0) {", 1))
    vm_py.write_text(vm_py.read_text().replace('        lines = [f"page table {self.root:#x}"]', "        while True:\n            pass", 1))
    util = grade(REPO_ROOT, find_lab(REPO_ROOT, "util"), tree, cost=False)
    by_name = {r.test.name: r for r in util.results}
    assert not by_name["test_find_lists_every_path_under_a_directory"].passed
    assert not by_name["test_xargs_runs_the_command_with_the_line_as_its_last_argument"].passed
    pgtbl = grade(REPO_ROOT, find_lab(REPO_ROOT, "pgtbl"), tree, cost=False, safety_seconds=10)
    results = {r.test.name: r for r in pgtbl.results}
    hung = results.pop("test_the_printer_shows_every_level_of_a_fresh_program")
    assert not hung.passed and "did not finish" in hung.reason
    assert all(r.passed for r in results.values()), [(n, r.reason) for n, r in results.items() if not r.passed]


def test_grade_outputs_are_valid_gradescope_junit_and_json(tmp_path):
    results = tmp_path / "results.json"
    junit = tmp_path / "junit.xml"
    r = lamina("lab", "grade", "syscall", "--gradescope", str(results), "--junit", str(junit), "--json", "--no-cost")
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    assert doc["score"] == doc["max_score"] == find_lab(REPO_ROOT, "syscall").points
    gs = json.loads(results.read_text())
    assert gs["score"] == doc["score"]
    for t in gs["tests"]:
        assert set(t) == {"name", "score", "max_score", "output", "visibility"}
        assert t["visibility"] in ("visible", "after_published")
    assert {t["visibility"] for t in gs["tests"]} == {"visible", "after_published"}
    suite = ElementTree.parse(junit).getroot()
    assert suite.tag == "testsuite" and int(suite.get("tests")) == len(gs["tests"]) and suite.get("failures") == "0"


def test_the_autograder_zip_has_gradescopes_scripts_and_the_hidden_graders(tmp_path):
    out = tmp_path / "pgtbl.zip"
    r = lamina("lab", "autograder", "pgtbl", "-o", str(out))
    assert r.returncode == 0, r.stderr
    with zipfile.ZipFile(out) as z:
        names = set(z.namelist())
        assert {"setup.sh", "run_autograder", "pyproject.toml", "labs/pgtbl/hidden/test_pgtbl_hidden.py"} <= names
        assert "lamina lab grade pgtbl --submission /autograder/submission" in z.read("run_autograder").decode()
        assert 'pip install -e ".[test]"' in z.read("setup.sh").decode()
        assert z.getinfo("run_autograder").external_attr >> 16 & 0o111


def test_a_region_without_an_end_or_a_c_stub_is_refused_naming_the_line(tmp_path):
    from lamina.labkit.markers import MarkerError

    for text, words in (("x = 1\n# BEGIN LAB a\ny = 2\n", "never closed"),
                        ("# END LAB a\n", "no BEGIN LAB a open")):
        with pytest.raises(MarkerError, match=words):
            find_regions(tmp_path / "f.py", text)
    with pytest.raises(MarkerError, match=r"f.c:1: a C region needs its stub"):
        find_regions(tmp_path / "f.c", "/* BEGIN LAB a */\nint x;\n/* END LAB a */\n")


def test_gradescope_output_of_a_failing_grade_keeps_the_reason(tmp_path):
    lab = find_lab(REPO_ROOT, "syscall")
    write_handout(REPO_ROOT, lab, tmp_path / "h")
    g = grade(REPO_ROOT, lab, tmp_path / "h", cost=False)
    gs = json.loads(gradescope_json(g))
    assert gs["score"] == 0 and all(t["output"] and t["score"] == 0 for t in gs["tests"])
    assert "failures=\"" in junit_xml(g)


def test_a_grader_file_that_does_not_parse_is_refused_naming_the_file_and_line(tmp_path):
    from lamina.labkit.catalog import LabError, graded_tests

    bad = tmp_path / "test_bad.py"
    bad.write_text("import pytest\n\n\ndef test_a(:\n    pass\n")
    with pytest.raises(LabError, match=r"test_bad.py:4: a grader file that is not valid Python"):
        graded_tests(bad, hidden=False)
