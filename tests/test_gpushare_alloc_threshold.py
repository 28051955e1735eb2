"""The price-threshold allocation (``heuristics._optimal_units``) against brute force.

Any separable convex cost on whole units, any start: the result must take exactly the largest
positive marginal gains that fit (the marginal-allocation theorem), so its total cost equals the
oracle's, which sorts every gain of every agent. Gains are drawn with many ties and with
negative tails, the cases where a price cannot separate units.
"""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoopt.gpushare.heuristics import _optimal_units


def convex_table(rng: np.random.Generator, n: int, levels: int, ties: bool) -> np.ndarray:
    """cost[i, k] for k = 0 … levels, convex in k: minus the cumulative sum of non-increasing
    gains (integers when ``ties``, so that many are equal)."""
    gains = rng.normal(0.0, 3.0, (n, levels)) + rng.normal(2.0, 2.0, (n, 1))
    if ties:
        gains = np.round(gains)
    gains = -np.sort(-gains, axis=1)
    return np.concatenate([np.zeros((n, 1)), -np.cumsum(gains, axis=1)], axis=1)


def oracle(table: np.ndarray, lo: np.ndarray, hi: np.ndarray, capacity: int) -> float:
    rows = np.arange(len(lo))
    total = table[rows, lo].sum()
    gains = table[:, :-1] - table[:, 1:]  # column k: from k to k + 1 units
    k = np.arange(table.shape[1] - 1)
    usable = (k >= lo[:, None]) & (k < hi[:, None]) & (gains > 0)
    best = np.sort(gains[usable])[::-1]
    return float(total - best[: max(capacity - int(lo.sum()), 0)].sum())


@settings(max_examples=300, deadline=None)
@given(
    st.integers(1, 300),
    st.integers(2, 40),
    st.integers(0, 10_000),
    st.booleans(),
    st.floats(0.0, 1.2),
    st.sampled_from(["lo", "hi", "random", "near"]),
)
def test_threshold_allocation_is_the_marginal_optimum(n, levels, seed, ties, fill, start_at):
    rng = np.random.default_rng(seed)
    table = convex_table(rng, n, levels, ties)
    lo = rng.integers(1, levels // 2 + 1, n)
    hi = np.minimum(lo + rng.integers(0, levels, n), levels)
    capacity = int(lo.sum() + fill * (hi - lo).sum())
    start = {
        "lo": lo,
        "hi": hi,
        "random": rng.integers(lo, hi + 1),
        "near": np.clip((lo + hi) // 2 + rng.integers(-1, 2, n), lo, hi),
    }[start_at]

    def cost(j, units):
        return table[np.arange(n) if j is None else j, units]

    k = _optimal_units(cost, lo, hi, capacity, start)
    assert (k >= lo).all() and (k <= hi).all()
    assert k.sum() <= capacity
    got = float(table[np.arange(n), k].sum())
    want = oracle(table, lo, hi, capacity)
    assert abs(got - want) <= 1e-9 * max(1.0, abs(want))
