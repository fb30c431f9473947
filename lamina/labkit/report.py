"""A grade, written down: a table for the terminal, and the same results as JSON, JUnit
XML (for CI systems) and Gradescope's results.json (score; per test its name, score,
max_score, output and visibility: hidden graders become "after_published").
"""

from __future__ import annotations

import json
from xml.etree import ElementTree

from rich.console import Console
from rich.table import Table

from lamina.labkit.grade import Grade

COUNTS = ("instructions", "crossings", "pages")


def cost_lines(g: Grade) -> list[str]:
    """The cost report: each count of the workload beside the reference's."""
    if g.cost_note:
        return [f"cost report: the workload did not run on this tree: {g.cost_note}"]
    if not g.cost:
        return []
    yours, ref = g.cost["yours"], g.cost["reference"]
    parts = []
    for what in COUNTS:
        ratio = yours[what] / ref[what] if ref[what] else 1.0
        parts.append(f"{what} {yours[what]:,} ({ratio:.2f}x the reference's {ref[what]:,})")
    return ["cost of the lab's workload (not graded): " + "; ".join(parts)]


def print_grade(g: Grade, console: Console) -> None:
    """A row per grader: test, points, result and the one-line reason."""
    table = Table(title=f"lab {g.lab.name}: {g.lab.title} — {g.score}/{g.max_score} points ({g.tree})")
    for col in ("test", "points", "result", "why"):
        table.add_column(col, justify="right" if col == "points" else "left", overflow="fold")
    for r in g.results:
        name = r.test.name + (" (hidden)" if r.test.hidden else "")
        table.add_row(name, f"{r.score}/{r.test.points}", "pass" if r.passed else "FAIL", r.reason)
    console.print(table)
    for line in cost_lines(g):
        console.print(line, highlight=False)


def grade_json(g: Grade) -> str:
    """The grade as JSON."""
    return json.dumps({
        "lab": g.lab.name, "title": g.lab.title, "tree": str(g.tree), "score": g.score, "max_score": g.max_score,
        "tests": [{"name": r.test.name, "file": r.test.file.name, "hidden": r.test.hidden, "points": r.test.points,
                   "score": r.score, "passed": r.passed, "reason": r.reason} for r in g.results],
        "cost": g.cost, "cost_note": g.cost_note,
    }, indent=2) + "\n"


def gradescope_json(g: Grade) -> str:
    """Gradescope's results.json for the grade."""
    tests = [{"name": r.test.name, "score": r.score, "max_score": r.test.points,
              "output": r.reason or "passed", "visibility": "after_published" if r.test.hidden else "visible"}
             for r in g.results]
    return json.dumps({"score": g.score, "output": "\n".join(cost_lines(g)), "tests": tests,
                       "visibility": "visible", "stdout_visibility": "hidden"}, indent=2) + "\n"


def junit_xml(g: Grade) -> str:
    """The grade as a JUnit XML test suite (a failed grader is a failure with its reason)."""
    suite = ElementTree.Element("testsuite", name=f"lab-{g.lab.name}", tests=str(len(g.results)),
                                failures=str(sum(not r.passed for r in g.results)))
    for r in g.results:
        case = ElementTree.SubElement(suite, "testcase", classname=f"labs.{g.lab.name}.{r.test.file.stem}",
                                      name=r.test.name)
        ElementTree.SubElement(case, "properties").append(
            ElementTree.Element("property", name="points", value=f"{r.score}/{r.test.points}"))
        if not r.passed:
            ElementTree.SubElement(case, "failure", message=r.reason).text = r.reason
    return ElementTree.tostring(suite, encoding="unicode", xml_declaration=True) + "\n"
