"""Lamina's benchmark suite (`lamina bench`): every hot path against a baseline.

These machines are noisy, so each figure is a ratio to a baseline measured in the same
run, and each timing is the median of several repetitions. Speed is measured here,
never in tests: tests assert guest-visible facts only.
"""
