"""`lamina lab handout NAME -o DIR`: the student tree of a lab, carved from the solution.

The handout is the whole tree (a student builds and runs the system they are changing),
with NAME's regions replaced by their stubs, every other lab's markers removed (their
solutions stay: the system needs them to run), the instructor-only graders
(labs/*/hidden/) left out, and a README at the top that starts with the lab's handout.
It is a git repository with one commit, so a student's changes are a `git diff` away.

The files come from `git ls-files` when the tree is a repository (so build outputs and
anything ignored stay out), otherwise from a walk that skips the usual build folders.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from lamina.labkit.catalog import LABS_DIR, Lab
from lamina.labkit.markers import ANSWERS, SUFFIXES, carve

SKIPPED = {".git", "build", "mutants", "__pycache__", ".pytest_cache", ".hypothesis"}
# Fixed author and dates: the same solution tree gives the same handout commit.
GIT_IDENTITY = {"GIT_AUTHOR_NAME": "Lamina lab kit", "GIT_AUTHOR_EMAIL": "labs@lamina.invalid",
                "GIT_COMMITTER_NAME": "Lamina lab kit", "GIT_COMMITTER_EMAIL": "labs@lamina.invalid",
                "GIT_AUTHOR_DATE": "2026-01-01T00:00:00+0000", "GIT_COMMITTER_DATE": "2026-01-01T00:00:00+0000"}


class HandoutError(ValueError):
    """A handout that cannot be written; the message says why."""


def tree_files(root: Path) -> list[Path]:
    """The files of the tree, relative to root: git's list if it is a repository."""
    if (root / ".git").exists() and shutil.which("git"):
        listed = subprocess.run(["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
                                cwd=root, capture_output=True, text=True)
        if listed.returncode == 0:
            return sorted(Path(p) for p in listed.stdout.split("\0") if p and (root / p).is_file())
    files = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in SKIPPED and not d.endswith(".egg-info"))
        files.extend(Path(folder, n).relative_to(root) for n in names)
    return sorted(files)


def instructor_only(path: Path) -> bool:
    """Files a student never gets: the hidden graders of every lab."""
    return path.parts[0] == LABS_DIR and "hidden" in path.parts


def carved_bytes(root: Path, path: Path, stubbed: set[str]) -> bytes:
    """One file with the regions of the labs in `stubbed` carved out, all markers gone."""
    data = (root / path).read_bytes()
    carved = path.suffix in SUFFIXES and path.parts[0] != LABS_DIR or path.name == ANSWERS
    if carved and b"LAB" in data:
        return carve(data.decode(), root / path, stubbed).encode()
    return data


def top_readme(root: Path, lab: Lab) -> str:
    """The handout's README: the lab's handout first, then Lamina's own README."""
    return ((lab.folder / "README.md").read_text().rstrip() + "\n\n---\n\n"
            + "*This tree is the handout of lab " + lab.name + ": " + ", ".join(lab.files) + " "
            + "hold the parts to write. `pytest labs/" + lab.name + "` runs the public graders.*\n\n---\n\n"
            + (root / "README.md").read_text())


def write_tree(root: Path, out: Path, stubbed: set[str]) -> list[Path]:
    """Copy the tree into out (new or empty) with the regions of the labs in `stubbed`
    carved out and the instructor-only graders left behind; the files written."""
    if out.exists() and any(out.iterdir()):
        raise HandoutError(f"{out} is not empty: give a new folder for the handout")
    written = []
    for path in tree_files(root):
        if instructor_only(path):
            continue
        target = out / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(carved_bytes(root, path, stubbed))
        shutil.copymode(root / path, target)
        written.append(path)
    return written


def write_handout(root: Path, lab: Lab, out: Path) -> list[Path]:
    """Write the handout of lab into out (which must not exist or be empty); the files."""
    written = write_tree(root, out, {lab.name})
    (out / "README.md").write_text(top_readme(root, lab))
    commit(out, f"Lab {lab.name}: {lab.title} (handout)")
    return written


def commit(tree: Path, message: str) -> None:
    """Make tree a git repository with everything in one commit (if git is here)."""
    if not shutil.which("git"):
        return
    env = {**os.environ, **GIT_IDENTITY}
    for command in (["git", "init", "-q", "-b", "main"], ["git", "add", "-A"],
                    ["git", "commit", "-q", "-m", message]):
        subprocess.run(command, cwd=tree, env=env, capture_output=True, check=True)
