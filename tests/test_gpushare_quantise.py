"""One-slot quantisation (``heuristics.quantise``) against a plain reference: floor each
x_i = share_i·U clipped to [lo, hi], then one more unit to the largest remainders among the
agents below hi, as many as the spare units allow; with every agent below hi (the shortcut
without an index of agents with room) and with some at hi."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoopt.gpushare.heuristics import quantise


def reference(shares, U, capacity, lo, hi):  # noqa: ANN001, ANN201
    x = np.asarray(shares, float) * U
    k = np.clip(np.floor(x + 1e-9).astype(np.int64), lo, hi)
    spare = capacity - int(k.sum())
    room = [i for i in range(len(k)) if k[i] < hi[i]]
    rem = {i: x[i] - np.floor(x[i] + 1e-9) for i in room}
    for i in sorted(room, key=lambda i: -rem[i])[: max(0, spare)]:
        k[i] += 1
    return k


@settings(max_examples=200, deadline=None)
@given(
    seed=st.integers(0, 10**6),
    n=st.integers(1, 40),
    U=st.sampled_from([1, 4, 10, 100]),
    full=st.floats(0.0, 1.0),
    slack=st.integers(0, 30),
)
def test_quantise_gives_the_largest_remainders(seed, n, U, full, slack):
    rng = np.random.default_rng(seed)
    shares = rng.random(n) * (1.0 if full < 0.5 else 1.3)  # some reach a whole GPU
    lo = np.ones(n, dtype=np.int64)
    hi = np.full(n, U, dtype=np.int64)
    capacity = int(np.floor(shares * U).clip(1, U).sum()) + slack
    got = quantise(shares, U, capacity)
    want = reference(shares, U, capacity, lo, hi)
    # ties in the remainders may go either way: same floors, same count, each one a largest
    assert got.sum() == want.sum()
    x = shares * U
    base = np.clip(np.floor(x + 1e-9).astype(np.int64), lo, hi)
    plus = np.flatnonzero(got > base)
    assert np.all(got - base <= 1) and np.all(got <= hi)
    if len(plus):
        rem = x - np.floor(x + 1e-9)
        left = np.flatnonzero((got == base) & (base < hi))
        assert len(left) == 0 or rem[plus].min() >= rem[left].max() - 1e-12
