"""The vectorised heuristics at larger sizes: exact where they claim it, valid everywhere.

The unit local search runs in batched rounds (``heuristics._local_search``); on one slot it
must still end at the optimum of the separable convex allocation. The oracle here is written
independently of the heuristics: tabulate each agent's cost at every unit count with
``physics``, start everyone at the smallest admissible level and take the ``spare`` largest
positive marginal gains (the marginal-allocation theorem).
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoopt.gpushare import HEURISTICS, evaluate
from ecoopt.gpushare.generate import generate
from ecoopt.gpushare.heuristics import adaptive_shares, quantise, quantise_groups
from ecoopt.gpushare.model import min_units
from ecoopt.gpushare.packing import first_fit_decreasing, pack_models
from ecoopt.gpushare.physics import latency_s, served_rps, unit_bounds


def oracle_optimum(inst, objective: str) -> float:
    """Least objective on the instance's one slot, by the marginal-allocation theorem."""
    slot, a = inst.slots[0], inst.arrays
    U = slot.units_per_gpu
    k = np.arange(1, U + 1)
    share = k[None, :] / U
    lam, mu = a.lam[:, None], (a.mu * slot.gpu.speed)[:, None]
    if objective == "latency":
        cost = a.weights[:, None] * latency_s(
            share, lam, mu, inst.overload_rho, inst.overload_horizon_s
        )
    elif objective == "throughput":
        cost = -served_rps(share, lam, mu)
    else:
        cost = np.broadcast_to(slot.gpu.price_usd_per_h * share, (len(a.lam), U))
    lo = min_units(inst, 0)
    assert (lo <= U).all()
    hi = np.maximum(unit_bounds(a.min_share, a.max_share, U)[1], lo)
    rows = np.arange(len(lo))
    total = cost[rows, lo - 1].sum()
    gains = cost[:, :-1] - cost[:, 1:]  # column j: from j+1 to j+2 units
    usable = (k[None, :-1] >= lo[:, None]) & (k[None, :-1] < hi[:, None]) & (gains > 0)
    g = np.sort(gains[usable])[::-1]
    spare = slot.capacity_units - int(lo.sum())
    total -= g[: max(spare, 0)].sum()
    return -total if objective == "throughput" else total


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 3000),
    st.integers(0, 10_000),
    st.sampled_from([7, 100]),
    st.sampled_from(["latency", "throughput", "cost"]),
)
def test_batched_local_search_is_exact_on_one_pool(n, seed, units, objective):
    gpus = max(1, n // 10)
    inst = generate(n, gpus, seed=seed, share_units=units, pooled=True, objective=objective)
    if (min_units(inst, 0) > units).any() or min_units(inst, 0).sum() > gpus * units:
        return  # no admissible allocation: nothing to be exact about
    best = oracle_optimum(inst, objective)
    for name in ("greedy_marginal", "sqrt_waterfill"):
        ev = evaluate(inst, HEURISTICS[name](inst, objective=objective), objective)
        assert ev.objective == pytest.approx(best, rel=1e-9, abs=1e-12), name


@settings(max_examples=50, deadline=None)
@given(st.integers(1, 400), st.integers(1, 30), st.integers(0, 10_000))
def test_grouped_allocators_equal_one_slot_at_a_time(n, slots, seed):
    rng = np.random.default_rng(seed)
    group = rng.integers(0, slots, n)
    lam, mu_share = rng.uniform(0, 50, n), rng.uniform(0, 0.2, n)
    prio = rng.integers(1, 4, n).astype(float)
    cap = rng.integers(1, 4, slots).astype(float)
    units = rng.choice([7, 10, 100], slots)
    raw = adaptive_shares(lam, mu_share, prio, cap, group)
    k = quantise_groups(raw, group, units, (cap * units).astype(int))
    for g in range(slots):
        on = group == g
        if not on.any():
            continue
        one = adaptive_shares(lam[on], mu_share[on], prio[on], cap[g])
        np.testing.assert_allclose(raw[on], one, rtol=1e-12, atol=1e-15)
        alone = quantise(one, int(units[g]), int(cap[g] * units[g]))
        # the same floors and the same number of extra units (ties may pick other agents)
        assert k[on].sum() == alone.sum()
        floors = np.clip(np.floor(raw[on] * units[g] + 1e-9), 1, units[g])
        assert (k[on] - floors >= 0).all() and (k[on] - floors <= 1).all()


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.floats(0, 10), min_size=0, max_size=300),
    st.floats(1, 40),
    st.integers(1, 60),
)
def test_pack_models_packs_or_agrees_with_ffd(sizes, gpu_bytes, n_gpus):
    memory = np.round(np.array(sizes, dtype=float), 3)
    host = pack_models(memory, gpu_bytes, n_gpus)
    ffd = first_fit_decreasing(memory, gpu_bytes, n_gpus)
    if host is None:
        assert ffd is None  # never misses a packing first-fit decreasing finds
        return
    assert host.min(initial=0) >= 0 and host.max(initial=0) < n_gpus
    load = np.bincount(host, weights=memory, minlength=n_gpus)
    assert (load <= gpu_bytes).all()
    assert (host[memory <= 0] == 0).all()
    used = len(np.unique(host[memory > 0]))
    if ffd is not None:
        assert used <= max(len(np.unique(ffd[memory > 0])), 1)  # no more GPUs than FFD


def unpooled(inst):
    """The instance with its pool's GPUs as separate identical GPUs (one type, same count)."""
    import ecoopt

    data = inst.model_dump(exclude_none=True)
    data["gpus"] = [{**g, "pooled": False} for g in data["gpus"]]
    return ecoopt.from_dict(data)


@settings(max_examples=6, deadline=None)
@given(st.integers(20, 40), st.integers(0, 10_000), st.sampled_from(["latency", "cost"]))
def test_pruned_insertion_on_many_identical_gpus_is_feasible_and_no_better_than_milp(
    n, seed, objective
):
    # 10 or more identical GPUs: insertion prices one empty and 8 busy slots of the type only
    import ecoopt
    from ecoopt.gpushare.instance import OBJECTIVES

    inst = unpooled(generate(n, 12, seed=seed, share_units=10, pooled=True, objective=objective))
    assert len(inst.slots) == 12
    res = ecoopt.solve(inst, objective, time_limit=30)
    sign = 1.0 if OBJECTIVES[objective] == "min" else -1.0
    for name in ("greedy_marginal", "sqrt_waterfill"):
        ev = evaluate(inst, HEURISTICS[name](inst, objective=objective), objective)
        if res.optimal:
            assert ev.feasible, (name, ev.violations)
        if ev.feasible and res.bound is not None:
            assert sign * ev.objective >= sign * res.bound - 1e-9 * max(1.0, abs(res.bound))
