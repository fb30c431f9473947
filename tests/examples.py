"""How many examples the property tests draw.

Under mutation testing (docs/testing.md) every surviving mutant runs every test that
reaches it, so the property tests draw a tenth of their examples there: a run over the
whole kernel takes hours, not days. Their full counts are for the ordinary suite.
"""

from __future__ import annotations

import os

UNDER_MUTATION = "MUTANT_UNDER_TEST" in os.environ


def examples(default: int) -> int:
    """A property test's example count: its default, or a tenth under mutation."""
    return max(10, default // 10) if UNDER_MUTATION else default
