"""`lamina lab`: list the labs, write a handout, grade a tree, make a Gradescope zip.

    lamina lab list
    lamina lab handout NAME -o DIR
    lamina lab grade NAME [--tree DIR | --submission DIR] [--json [FILE]] [--junit FILE]
                          [--gradescope FILE] [--traces DIR] [--no-cost]
    lamina lab autograder NAME -o ZIP

The labs and their graders are always this installation's (the instructor's tree).
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table

from lamina.labkit.catalog import LabError, find_lab, load_labs
from lamina.labkit.markers import MarkerError
from lamina.outputs import OutputError, check_output, write_output
from toolchain.layout import REPO_ROOT


def add_lab_commands(sub: argparse._SubParsersAction) -> None:
    """The `lab` command and its subcommands."""
    lab = sub.add_parser("lab", help="lab assignments: list, handout, grade, autograder")
    cmds = lab.add_subparsers(dest="lab_command", metavar="ACTION", required=True)
    cmds.add_parser("list", help="the labs, with their points and the files students edit")
    handout = cmds.add_parser("handout", help="write a lab's student tree (a git repository)")
    handout.add_argument("name")
    handout.add_argument("-o", "--output", type=Path, required=True, metavar="DIR", help="a new folder")
    grade = cmds.add_parser("grade", help="run a lab's graders on a tree (default: this one)")
    grade.add_argument("name")
    where = grade.add_mutually_exclusive_group()
    where.add_argument("--tree", type=Path, metavar="DIR", help="a whole Lamina tree (a student's handout)")
    where.add_argument("--submission", type=Path, metavar="DIR",
                       help="only the lab's files are taken from DIR, into a fresh handout")
    grade.add_argument("--json", metavar="FILE", type=Path, nargs="?", const=Path("-"),
                       help="the results as JSON (without FILE: on standard output, instead of the table)")
    grade.add_argument("--junit", metavar="FILE", type=Path, help="the results as JUnit XML")
    grade.add_argument("--gradescope", metavar="FILE", type=Path, help="Gradescope's results.json")
    grade.add_argument("--traces", metavar="DIR", type=Path, help="leave a Perfetto trace of each grader's runs")
    grade.add_argument("--no-cost", action="store_true", help="skip the cost report")
    grade.add_argument("--safety-seconds", type=float, default=300, metavar="S",
                       help="end a grader stuck in a Python loop after S seconds (guest loops end by budget)")
    auto = cmds.add_parser("autograder", help="write a Gradescope autograder zip for a lab")
    auto.add_argument("name")
    auto.add_argument("-o", "--output", type=Path, required=True, metavar="ZIP")


def run_lab_command(args: argparse.Namespace, stdout: Console, stderr: Console) -> int:
    """Carry out `lamina lab ...`; its exit status."""
    try:
        if args.lab_command == "list":
            return lab_list(stdout)
        if args.lab_command == "handout":
            return lab_handout(args, stderr)
        if args.lab_command == "grade":
            return lab_grade(args, stdout, stderr)
        if args.lab_command == "autograder":
            return lab_autograder(args, stderr)
    except (LabError, MarkerError, OutputError, ValueError) as err:
        stderr.print(f"lamina lab {args.lab_command}: {err}", highlight=False, markup=False)
        return 2
    return 2


def lab_list(stdout: Console) -> int:
    """lamina lab list."""
    table = Table(title="Lamina's labs (lamina lab handout NAME -o DIR; lamina lab grade NAME)")
    for col in ("lab", "title", "weeks", "points", "tests", "files students edit"):
        table.add_column(col, justify="right" if col in ("weeks", "points", "tests") else "left", overflow="fold")
    for lab in load_labs(REPO_ROOT):
        hidden = sum(t.hidden for t in lab.tests)
        table.add_row(lab.name, lab.title, str(lab.weeks), str(lab.points),
                      f"{len(lab.tests) - hidden} + {hidden} hidden", "\n".join(lab.files))
    stdout.print(table)
    return 0


def lab_handout(args: argparse.Namespace, stderr: Console) -> int:
    """lamina lab handout NAME -o DIR."""
    from lamina.labkit.handout import write_handout

    lab = find_lab(REPO_ROOT, args.name)
    files = write_handout(REPO_ROOT, lab, args.output)
    stderr.print(f"handout of lab {lab.name} in {args.output}: {len(files)} files, "
                 f"to edit: {', '.join(lab.files)}", highlight=False)
    return 0


def lab_grade(args: argparse.Namespace, stdout: Console, stderr: Console) -> int:
    """lamina lab grade NAME ..."""
    from lamina.labkit.grade import grade, overlay_submission
    from lamina.labkit.report import grade_json, gradescope_json, junit_xml, print_grade

    lab = find_lab(REPO_ROOT, args.name)
    for path, option in ((args.json, "--json"), (args.junit, "--junit"), (args.gradescope, "--gradescope")):
        check_output(path, option)
    with tempfile.TemporaryDirectory() as scratch:
        tree = args.tree or REPO_ROOT
        if args.submission is not None:
            tree = overlay_submission(REPO_ROOT, lab, args.submission, Path(scratch) / "tree")
        stderr.print(f"[dim]grading lab {lab.name} on {tree}...[/dim]", highlight=False)
        g = grade(REPO_ROOT, lab, tree, args.traces, args.safety_seconds, cost=not args.no_cost)
        if args.json is None or str(args.json) != "-":
            print_grade(g, Console(width=None if sys.stdout.isatty() else 160))
        if args.json is not None:
            write_output(args.json, grade_json(g), "--json")
        if args.junit is not None:
            write_output(args.junit, junit_xml(g), "--junit")
        if args.gradescope is not None:
            write_output(args.gradescope, gradescope_json(g), "--gradescope")
    return 0 if g.score == g.max_score else 1


def lab_autograder(args: argparse.Namespace, stderr: Console) -> int:
    """lamina lab autograder NAME -o ZIP."""
    from lamina.labkit.autograder import write_autograder

    lab = find_lab(REPO_ROOT, args.name)
    check_output(args.output, "-o")
    n = write_autograder(REPO_ROOT, lab, args.output)
    stderr.print(f"{args.output}: a Gradescope autograder for lab {lab.name} ({n} files of the tree; "
                 f"upload it as the assignment's autograder)", highlight=False)
    return 0
