"""carbon_fill's consolidation search (``ecoopt.provisioning.consolidate``): the prices it keeps
up to date move by move equal the prices computed from scratch, and where it stops no move
improves by a price computed independently, class by class and SKU by SKU."""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoopt.provisioning import consolidate as search
from ecoopt.provisioning import heuristics as H
from ecoopt.provisioning.generate import generate
from ecoopt.provisioning.model import _objective_weights

SIZES = (st.integers(1, 6), st.integers(1, 12), st.integers(1, 48), st.integers(0, 10**6))


def problem(workloads: int, skus: int, slots: int, seed: int):  # noqa: ANN201
    """The search's inputs for both host policies of a generated instance, as carbon_fill
    builds them."""
    inst = generate(workloads, skus, slots, seed)
    d, weights = inst.data, _objective_weights(inst, "carbon")
    options = [H._option_per_sku(d, weights, p) for p in ("leanest", "reuse")]
    scores = [H._scores(d, weights, o) for o in options]
    starts = [H._starts(sc, H._online_choice(d, sc, True)) for sc in scores]
    policy = np.repeat(np.arange(2), [len(x) for x in starts])
    terms = [H._fleet_terms(d, weights, o) for o in options]
    price = search.FleetPrices(*(np.stack([t[k] for t in terms])[policy] for k in range(4)))
    energy = np.stack([H._class_energy(d, weights, sc) for sc in scores])[policy]
    return price, H._class_need(d), energy, np.concatenate(starts)


def price_by_loops(price: search.FleetPrices, need, energy, b: int, sku) -> float:  # noqa: ANN001
    """Start b's fleet price plus own energy for assignment ``sku``, one SKU at a time."""
    P, C, S = need.shape
    total = sum(energy[b, c, sku[c]] for c in range(C))
    for s in range(S):
        peak = max([sum(need[p, c, s] for c in range(C) if sku[c] == s) for p in range(P)] + [0])
        n = math.ceil(peak - 1e-9)
        kept, extra = min(n, price.kept[b, s]), max(n - price.kept[b, s], 0)
        if extra > price.cap[b, s]:
            return math.inf
        total += price.own[b, s] * kept + price.new[b, s] * extra
    return float(total)


def same(a: np.ndarray, b: np.ndarray) -> bool:
    return bool(np.allclose(a, b, rtol=1e-12, atol=1e-9, equal_nan=True))


@settings(max_examples=30)
@given(*SIZES)
def test_prices_kept_move_by_move_equal_prices_from_scratch(workloads, skus, slots, seed):
    price, need, energy, starts = problem(workloads, skus, slots, seed)
    state = search._start(price, need, starts.copy())
    active = np.ones(len(starts), dtype=bool)
    for _ in range(4 * starts.shape[1]):
        moves = search._gains(state, price, need, energy)
        k = moves.argmin(axis=1)
        active &= moves[np.arange(len(starts)), k] < -search.IMPROVES
        if not active.any():
            break
        search._reprice(state, price, need, search._move(state, active, k))
        fresh = search._start(price, need, state.sku.copy())
        for name in ("group", "load", "base", "join", "merge"):
            assert same(getattr(state, name), getattr(fresh, name)), name


def neighbours(sku: np.ndarray, S: int):  # noqa: ANN201
    """Every assignment one move away: one class to another SKU, or one SKU's classes onto
    another."""
    for c in range(len(sku)):
        for s in range(S):
            if s != sku[c]:
                yield np.where(np.arange(len(sku)) == c, s, sku)
    for s1 in set(sku.tolist()):
        for s2 in range(S):
            if s2 != s1:
                yield np.where(sku == s1, s2, sku)


@settings(max_examples=30)
@given(*SIZES)
def test_the_search_stops_where_no_move_improves_by_an_independent_price(
    workloads, skus, slots, seed
):
    price, need, energy, starts = problem(workloads, skus, slots, seed)
    found, value = search.consolidate(price, need, energy, starts)
    for b in range(len(starts)):
        here = price_by_loops(price, need, energy, b, found[b])
        assert math.isclose(here, value[b], rel_tol=1e-9) or here == value[b] == math.inf
        for other in neighbours(found[b], need.shape[2]):
            there = price_by_loops(price, need, energy, b, other)
            assert there >= here - 1e-9 * max(1.0, abs(here)), (b, found[b], other)
