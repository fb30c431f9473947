"""`lamina lab autograder NAME -o ZIP`: a Gradescope autograder for one lab.

The zip holds the instructor's tree (hidden graders included) with Gradescope's two
scripts at its root: setup.sh installs Lamina with pip and builds userland once (what
every grading run then starts from), and run_autograder grades the student's upload,
taking from it only the lab's own files (a whole tree, or just those files), put into
a fresh handout, so nothing else a student changed can reach the graders.
"""

from __future__ import annotations

import stat
import zipfile
from pathlib import Path

from lamina.labkit.catalog import Lab
from lamina.labkit.handout import tree_files

SETUP = """#!/usr/bin/env bash
# Gradescope runs this once, in /autograder/source, to build the autograder image.
set -euo pipefail
cd /autograder/source
python3 -m pip install -e ".[test]"
lamina build
"""

RUN = """#!/usr/bin/env bash
# Gradescope runs this for every submission; the results go to results.json.
set -uo pipefail
cd /autograder/source
mkdir -p /autograder/results
lamina lab grade {lab} --submission /autograder/submission --gradescope /autograder/results/results.json
exit 0  # a low score is not a failure of the autograder
"""


def write_autograder(root: Path, lab: Lab, out: Path) -> int:
    """Write the zip; how many files of the tree it holds."""
    files = [p for p in tree_files(root) if p.name not in ("setup.sh", "run_autograder")]
    out.parent.mkdir(parents=True, exist_ok=True)
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        for name, text in (("setup.sh", SETUP), ("run_autograder", RUN.format(lab=lab.name))):
            info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
            info.external_attr = (stat.S_IFREG | 0o755) << 16
            z.writestr(info, text)
        for path in files:
            z.write(root / path, path.as_posix())
    return len(files)
