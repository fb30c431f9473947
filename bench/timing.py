"""Timing helpers: medians of repeated measurements, in host seconds.

Host time appears only here, in the benchmark suite; nothing in the system itself
depends on it.
"""

from __future__ import annotations

import statistics
import time
from typing import Callable


def median_seconds(fn: Callable[[], object], repeat: int = 5, warmup: int = 1) -> float:
    """Median wall-clock time of fn() over `repeat` runs, after `warmup` unmeasured runs."""
    for _ in range(warmup):
        fn()
    samples = []
    for _ in range(repeat):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def timed(fn: Callable[[], object]) -> float:
    """Wall-clock seconds of one call of fn()."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start
