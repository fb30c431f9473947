"""Shared pytest fixtures.

`built_programs` builds every userland program once per test session, so tests of the
toolchain, the loader and the kernel all run the same ELF files.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

# Under mutation testing (docs/testing.md) every surviving mutant runs the tests that
# reach it; the property tests then draw fewer examples, so a run of the whole kernel
# takes hours, not days. Their default counts are for the ordinary suite.
UNDER_MUTATION = "MUTANT_UNDER_TEST" in os.environ


def examples(default: int) -> int:
    """How many examples a property test draws: its default, or a tenth under mutation."""
    return max(10, default // 10) if UNDER_MUTATION else default

# Make the repository's packages (toolchain, kernel, emulator, lamina) importable when
# pytest is started as plain `pytest` rather than `python -m pytest` from the root.
REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))


@pytest.fixture(scope="session")
def built_programs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """Every userland program, built once per session into a fresh directory: {name: ELF path}."""
    from toolchain.build import build_all

    return build_all(tmp_path_factory.mktemp("build"))
