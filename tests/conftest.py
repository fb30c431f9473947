"""Shared pytest fixtures.

`built_programs` builds every userland program once per test session, so tests of the
toolchain, the loader and the kernel all run the same ELF files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

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
