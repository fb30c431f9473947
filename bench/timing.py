"""Timing helpers: host seconds, and ratios measured in pairs.

Host time appears only here, in the benchmark suite; nothing in the system itself
depends on it.

The development machines are shared VMs whose speed drifts by up to a factor of two
within a minute. A ratio of two medians taken minutes apart inherits that drift, so
every figure is measured in pairs instead: one sample of the measured path and one of
its baseline, back to back, many times over. Each pair gives a ratio taken under the
same conditions, and the figure is the median of those ratios; the spread of the
middle half of them says how far to trust it.
"""

from __future__ import annotations

import gc
import statistics
import time
from dataclasses import dataclass
from typing import Callable

Sampler = Callable[[], float]  # one measurement, in seconds (or seconds per unit)


def timed(fn: Callable[[], object]) -> float:
    """Wall-clock seconds of one call of fn(), with Python's cyclic garbage collector
    run before and kept off during, as timeit does: every board a benchmark boots
    leaves cycles behind, and a collection landing inside one sample or another made
    the same figure vary by a factor of three."""
    gc.collect()
    gc.disable()
    try:
        start = time.perf_counter()
        fn()
        return time.perf_counter() - start
    finally:
        gc.enable()


@dataclass(frozen=True)
class PairedRatio:
    """The outcome of measuring a path against its baseline in pairs."""

    ratio: float  # median of the per-pair ratios
    low: float  # first quartile of the per-pair ratios
    high: float  # third quartile
    measured: float  # median of the measured path's samples (seconds)
    baseline: float  # median of the baseline's samples (seconds)


def quartiles(values: list[float]) -> tuple[float, float, float]:
    """First quartile, median and third quartile of values (the median thrice for one)."""
    if len(values) == 1:
        return values[0], values[0], values[0]
    q1, q2, q3 = statistics.quantiles(values, n=4, method="inclusive")
    return q1, q2, q3


def paired_ratio(measure: Sampler, baseline: Sampler, pairs: int, warmup: int = 1) -> PairedRatio:
    """measure() / baseline(), sampled back to back `pairs` times (after `warmup`
    unrecorded pairs), the order inside a pair alternating so that neither side always
    runs on a freshly warmed cache."""
    if pairs < 1:
        raise ValueError(f"pairs must be at least 1, not {pairs}")
    ratios, ours, theirs = [], [], []
    for i in range(warmup + pairs):
        if i % 2:
            b = baseline()
            m = measure()
        else:
            m = measure()
            b = baseline()
        if i >= warmup:
            ratios.append(m / b)
            ours.append(m)
            theirs.append(b)
    low, mid, high = quartiles(ratios)
    return PairedRatio(mid, low, high, statistics.median(ours), statistics.median(theirs))
