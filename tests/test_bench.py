"""The benchmark suite's machinery: how pairs become a figure, and that the switch floor
machine really ping-pongs between two address spaces. (Speeds themselves are measured
by `lamina bench`, never asserted in tests.)
"""

from __future__ import annotations

import itertools

import pytest

from bench.baseline import run_switch_floor, switch_floor_board
from bench.suite import Figure
from bench.timing import paired_ratio


def test_a_paired_ratio_is_the_median_of_the_ratios_of_back_to_back_samples():
    measured = iter([99.0, 2.0, 6.0, 3.0])  # the first pair is the unrecorded warm-up
    baseline = iter([1.0, 1.0, 2.0, 1.0])
    result = paired_ratio(lambda: next(measured), lambda: next(baseline), pairs=3)
    assert result.ratio == 3.0  # ratios 2, 3, 3
    assert (result.low, result.high) == (2.5, 3.0)
    assert (result.measured, result.baseline) == (3.0, 1.0)


def test_pairs_alternate_which_side_runs_first():
    order: list[str] = []
    paired_ratio(lambda: order.append("m") or 1.0, lambda: order.append("b") or 1.0, pairs=3, warmup=0)
    assert order == ["m", "b", "b", "m", "m", "b"]


def test_a_drift_that_slows_both_sides_alike_leaves_the_ratio_alone():
    slowdown = itertools.count(1)
    pace = [1.0]

    def measured() -> float:
        pace[0] = next(slowdown)  # the machine gets slower between pairs
        return 4.0 * pace[0]

    result = paired_ratio(measured, lambda: 1.0 * pace[0], pairs=5)
    assert result.ratio == pytest.approx(4.0, rel=0.5)
    assert Figure("f", result.ratio, "<= 4").met in (True, False)


def test_paired_ratio_needs_at_least_one_pair():
    with pytest.raises(ValueError, match="at least 1"):
        paired_ratio(lambda: 1.0, lambda: 1.0, pairs=0)


@pytest.mark.parametrize("target, ratio, met", [(">= 0.6", 0.61, True), (">= 0.6", 0.59, False),
                                                ("<= 3", 3.0, True), ("<= 3", 3.01, False), ("", 9.0, None)])
def test_a_figure_meets_its_target_by_its_median_ratio(target, ratio, met):
    assert Figure("f", ratio, target).met is met


def test_the_switch_floor_machine_ping_pongs_between_two_address_spaces():
    from toolchain.build import default_build_dir

    board, contexts = switch_floor_board(default_build_dir() / "host")
    assert contexts[0].satp != contexts[1].satp
    run_switch_floor(board, contexts, traps=10)
    # Each context traps at its ecall and is resumed past it by the other's trap; the
    # first trap of each retires nothing, every later one retires the jump back.
    assert board.instructions == 10 - 2
    assert [c.pc for c in contexts] == [0x1_0004, 0x1_0004]
