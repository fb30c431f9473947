"""The labs of a tree: each a folder labs/<name>/ holding

    lab.toml        title, its place in the course, the labs whose code its graders run
                    on (`needs`: every program runs on pgtbl's page tables), and the
                    workload of its cost report
    README.md       the handout: goals, background, steps, hints, what is graded
    test_*.py       public graders (students have them), each test with its points
    hidden/test_*.py  graders only the instructor's tree and the autograder have

A test's points are a decorator, `@pytest.mark.points(10)`; they are read here from
the test files' syntax (no test is imported), so listing labs is instant.
"""

from __future__ import annotations

import ast
import tomllib
from dataclasses import dataclass, field
from pathlib import Path

from lamina.labkit.markers import Region, regions_in_tree

LABS_DIR = "labs"


class LabError(ValueError):
    """A lab that cannot be used; the message names the lab and what is wrong."""


@dataclass(frozen=True)
class GradedTest:
    """One grader: a pytest function with its points."""

    file: Path
    name: str
    points: int
    hidden: bool


@dataclass
class Lab:
    """One lab of the course."""

    name: str
    folder: Path
    title: str
    order: int
    weeks: int
    workload: list[list[str]]  # programs the cost report runs side by side, or
    shell: str = ""  # a script the cost report types into the shell
    needs: list[str] = field(default_factory=list)  # labs whose code this lab's graders run on
    tests: list[GradedTest] = field(default_factory=list)
    regions: list[Region] = field(default_factory=list)

    @property
    def points(self) -> int:
        """All the points the lab's graders give."""
        return sum(t.points for t in self.tests)

    @property
    def public_points(self) -> int:
        return sum(t.points for t in self.tests if not t.hidden)

    @property
    def files(self) -> list[str]:
        """The files a student edits, relative to the tree."""
        root = self.folder.parent.parent
        return sorted({r.path.relative_to(root).as_posix() for r in self.regions})


def graded_tests(path: Path, hidden: bool) -> list[GradedTest]:
    """The test functions of a grader file and their points (0 if a test has none)."""
    tests = []
    try:
        tree = ast.parse(path.read_text(), str(path))
    except SyntaxError as err:  # a grader that does not parse: say where, not a traceback
        raise LabError(f"{path}:{err.lineno}: a grader file that is not valid Python: {err.msg}") from None
    for node in tree.body:
        if isinstance(node, ast.FunctionDef) and node.name.startswith("test"):
            tests.append(GradedTest(path, node.name, points_of(node), hidden))
    return tests


def points_of(node: ast.FunctionDef) -> int:
    """The N of a @pytest.mark.points(N) decorator."""
    for dec in node.decorator_list:
        if (isinstance(dec, ast.Call) and isinstance(dec.func, ast.Attribute) and dec.func.attr == "points"
                and dec.args and isinstance(dec.args[0], ast.Constant)):
            return int(dec.args[0].value)
    return 0


def load_lab(folder: Path, regions: list[Region]) -> Lab:
    """Read one lab folder."""
    meta_path = folder / "lab.toml"
    try:
        meta = tomllib.loads(meta_path.read_text())
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise LabError(f"lab {folder.name}: cannot read {meta_path}: {err}") from None
    lab = Lab(folder.name, folder, meta.get("title", folder.name), int(meta.get("order", 99)),
              int(meta.get("weeks", 1)), [list(c) for c in meta.get("workload", [])], meta.get("shell", ""),
              list(meta.get("needs", [])))
    for path in sorted(folder.glob("test_*.py")):
        lab.tests.extend(graded_tests(path, hidden=False))
    for path in sorted((folder / "hidden").glob("test_*.py")):
        lab.tests.extend(graded_tests(path, hidden=True))
    lab.regions = [r for r in regions if r.lab == lab.name]
    return lab


def load_labs(root: Path) -> list[Lab]:
    """Every lab of the tree at root, in course order."""
    labs_dir = root / LABS_DIR
    if not labs_dir.is_dir():
        return []
    regions = regions_in_tree(root)
    labs = [load_lab(f, regions) for f in sorted(labs_dir.iterdir()) if (f / "lab.toml").is_file()]
    known = {lab.name for lab in labs}
    strays = sorted({f"{r.path}:{r.begin + 1} ({r.lab})" for r in regions if r.lab not in known})
    if strays:
        raise LabError(f"regions for labs that do not exist: {', '.join(strays)}")
    return sorted(labs, key=lambda lab: (lab.order, lab.name))


def find_lab(root: Path, name: str) -> Lab:
    """The lab called name, or LabError listing the ones there are."""
    labs = load_labs(root)
    for lab in labs:
        if lab.name == name:
            return lab
    raise LabError(f"no lab {name!r}; the labs are: {', '.join(lab.name for lab in labs) or '(none)'}")
