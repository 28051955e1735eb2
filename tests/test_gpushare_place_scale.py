"""The placement's many-slot path: heap of slot prices, pruned pair pricing, bounded work.

Above ``placement.FULL_SWEEP_SLOTS`` slots the local search no longer sweeps every pair of
slots: it relieves the most expensive slots towards the cheapest (``_Prices``, lazy heaps).
Here that path is forced on small instances (``full_sweep_slots=0``) and checked against the
MILP, and its parts against brute force.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_gpushare_placement import placement_draws, placement_problems, worse_by

import ecoopt
from ecoopt.gpushare import HEURISTICS, evaluate, placement
from ecoopt.gpushare.generate import generate
from ecoopt.gpushare.heuristics import place
from ecoopt.gpushare.instance import OBJECTIVES
from ecoopt.gpushare.placement import _Prices, _State, _tables, place_for_objective

small = placement_draws(12, 4)


def unpooled(inst):
    data = inst.model_dump(exclude_none=True)
    data["gpus"] = [{**g, "pooled": False} for g in data["gpus"]]
    return ecoopt.from_dict(data)


@settings(max_examples=60, deadline=None)
@given(**small)
def test_many_slot_search_feasible_and_no_better_than_milp(
    n, gpus, seed, units, memory_gb, objective
):
    inst = generate(n, gpus, seed=seed, share_units=units, memory_gb=memory_gb, objective=objective)
    where = place_for_objective(inst, objective, full_sweep_slots=0)
    assert np.array_equal(where, place_for_objective(inst, objective, full_sweep_slots=0))
    res = ecoopt.solve(inst, objective, mip_rel_gap=0)
    if not res.optimal:
        return
    assert placement_problems(inst, where) == []
    viol, cost = _State(inst, _tables(inst, objective), where).total()
    sign = -1.0 if OBJECTIVES[objective] == "max" else 1.0
    assert viol == 0
    assert worse_by(sign * cost, res.objective, objective) >= -1e-7 * max(1.0, abs(res.objective))


@settings(max_examples=40, deadline=None)
@given(**small)
def test_many_slot_search_never_worse_than_worst_fit(n, gpus, seed, units, memory_gb, objective):
    inst = generate(n, gpus, seed=seed, share_units=units, memory_gb=memory_gb, objective=objective)
    t = _tables(inst, objective)
    ours = _State(inst, t, place_for_objective(inst, objective, full_sweep_slots=0)).total()
    base = _State(inst, t, place(inst)).total()
    assert ours[0] <= base[0] + 1e-9
    if abs(ours[0] - base[0]) <= 1e-9:
        assert ours[1] <= base[1] + 1e-9 * max(1.0, abs(base[1]))


def brute_cheapest(s: _State, r: int, k: int, exclude: int) -> list[int]:
    """The k busy slots of type row r by (violation, capacity price, index), then its first
    empty slot: by sorting every slot."""
    busy = [g for g in s.t.slots_of[r] if len(s.members[g]) and g != exclude]
    key = [
        (round(s.value[g][0], 9), placement._capacity_price(s.t, g, s.members[g]), g) for g in busy
    ]
    empty = [g for g in s.t.slots_of[r] if len(s.members[g]) == 0]
    return [g for *_, g in sorted(key)[:k]] + empty[:1]


@settings(max_examples=30, deadline=None)
@given(st.integers(20, 60), st.integers(0, 10_000), st.integers(1, 6), st.integers(0, 40))
def test_price_heaps_agree_with_sorting_every_slot(n, seed, k, moves):
    inst = unpooled(generate(n, 12, seed=seed, share_units=10, pooled=True))
    t = _tables(inst, "latency")
    rng = np.random.default_rng(seed)
    s = _State(inst, t, rng.integers(0, 12, n))
    prices = _Prices(s)
    for _ in range(moves):  # move random agents (emptying some slots), re-pricing what changed
        i, h = int(rng.integers(n)), int(rng.integers(12))
        g = int(s.where[i])
        mg, mh = s.members[g][s.members[g] != i], np.sort(np.append(s.members[h], i))
        if g != h:
            s.apply({g: mg, h: mh}, {g: s.evaluate(g, mg), h: s.evaluate(h, mh)})
            prices.update(s, g)
            prices.update(s, h)
        exclude = int(rng.integers(-1, 12))
        assert prices.cheapest(s, 0, k, exclude) == brute_cheapest(s, 0, k, exclude)


@settings(max_examples=40, deadline=None)
@given(st.integers(3, 40), st.integers(0, 10_000), st.sampled_from([10, 20, 100]))
def test_pruned_pair_pricing_equals_the_slot_oracle(n, seed, units):
    # _replaced sorts only the columns _top_columns keeps; every candidate set must still
    # cost exactly what the slot oracle prices it at
    inst = unpooled(generate(n, 2, seed=seed, share_units=units, pooled=True))
    for objective in ("latency", "throughput"):
        t = _tables(inst, objective)
        s = _State(inst, t, np.random.default_rng(seed).integers(0, 2, n))
        A, B = s.members[0], s.members[1]
        if len(A) == 0 or len(B) == 0:
            continue
        out = np.concatenate([A, np.full(len(B), -1), np.repeat(A, len(B))])
        inn = np.concatenate([np.full(len(A), -1), B, np.tile(B, len(A))])
        viol, cost = placement._replaced(s, 0, out, inn)
        for p in range(len(out)):
            m = A[A != out[p]]
            m = np.sort(np.append(m, inn[p])) if inn[p] >= 0 else m
            v = placement._slot_value(inst, t, 0, m.astype(np.int64))
            assert viol[p] == pytest.approx(v[0], abs=1e-9)
            assert cost[p] == pytest.approx(v[1], rel=1e-12, abs=1e-12)


def test_members_by_slot_is_flatnonzero_per_slot():
    where = np.random.default_rng(0).integers(-1, 7, 500)
    got = placement._members_by_slot(where, 7)
    for g in range(7):
        assert np.array_equal(got[g], np.flatnonzero(where == g))


def work(n: int) -> tuple[int, int]:
    """(slot evaluations, pair evaluations) of placing n agents on n/10 identical GPUs."""
    counts = [0, 0]
    slot_value, replaced = placement._slot_value, placement._replaced

    def count_slot(*a):
        counts[0] += 1
        return slot_value(*a)

    def count_pair(*a):
        counts[1] += 1
        return replaced(*a)

    inst = unpooled(generate(n, n // 10, seed=0, pooled=True))
    placement._slot_value, placement._replaced = count_slot, count_pair
    try:
        place_for_objective(inst)
    finally:
        placement._slot_value, placement._replaced = slot_value, replaced
    return counts[0], counts[1] // 2


def test_many_slot_work_grows_linearly():
    # measured (benchmarks/gpushare_placement_scale.py): ×9.5–11.8 per decade; the old full
    # sweeps spent every pair evaluation of the budget in the first slots' pairs
    small, large = work(300), work(3_000)
    assert large[0] <= 12 * small[0]
    assert large[1] <= 12 * small[1]
    assert large[1] <= placement.search_budget(3_000, 300)


def test_many_identical_gpus_close_to_the_pooled_bound():
    # a placement on separate GPUs is a feasible plan of the pool of the same GPUs, so the
    # pool's optimum (greedy_marginal, exact on one pool) bounds every placement's objective
    pooled = generate(500, 50, seed=1, pooled=True)
    inst = unpooled(pooled)
    bound = evaluate(pooled, HEURISTICS["greedy_marginal"](pooled)).objective
    ev = evaluate(inst, HEURISTICS["sqrt_waterfill"](inst))
    assert ev.feasible, ev.violations
    assert bound - 1e-9 * bound <= ev.objective <= 1.01 * bound


def test_the_slot_value_memo_is_bounded_and_the_plan_unchanged(monkeypatch):
    """The memo of slot values is emptied when full (placement.MEMO_ENTRIES): the placement
    is the same with a memo of 50 entries as with the default."""
    from ecoopt.gpushare import placement
    from ecoopt.gpushare.generate import generate

    inst = generate(60, 6, seed=5, pooled=True)
    data = inst.model_dump(exclude_none=True)
    data["gpus"] = [{**g, "pooled": False} for g in data["gpus"]]
    inst = ecoopt.from_dict(data, source="memo")
    free = placement.place_for_objective(inst, "latency")
    sizes = []
    real = placement._slot_value

    def spy(inst_, t, g, members):  # noqa: ANN001, ANN202
        sizes.append(len(t.memo))
        return real(inst_, t, g, members)

    monkeypatch.setattr(placement, "MEMO_ENTRIES", 50)
    monkeypatch.setattr(placement, "_slot_value", spy)
    bounded = placement.place_for_objective(inst, "latency")
    assert max(sizes) <= 50 and len(sizes) > 50
    assert np.array_equal(free, bounded)
