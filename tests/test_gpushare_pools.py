"""Pools: compute shared over S GPUs, each model on one GPU, idle power only where powered."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ecoopt
from ecoopt.gpushare import HEURISTICS, Plan, _columns_of, evaluate
from ecoopt.gpushare.physics import slot_rates
from ecoopt.problems import get_spec

GB = 1e9


def pool(count=2, memory=10 * GB, pooled=True, idle=50.0, active=250.0):
    return {
        "name": "p",
        "count": count,
        "pooled": pooled,
        "share_units": 10,
        "memory_bytes": memory,
        "idle_power_w": idle,
        "active_power_w": active,
        "intensity_g_per_kwh": 400,
    }


def agents(memories, min_share=0.1):
    return [
        {
            "name": f"a{i}",
            "throughput_rps": 100,
            "arrival_rps": 1,
            "min_share": min_share,
            "memory_bytes": m,
        }
        for i, m in enumerate(memories)
    ]


def inst_of(gpu, memories, objective="carbon", **kw):
    return ecoopt.from_dict(
        {
            "problem": "gpushare",
            "objective": objective,
            "gpus": [gpu],
            "agents": agents(memories, **kw),
        }
    )


@pytest.mark.parametrize("pooled", [True, False])
def test_three_6gb_models_do_not_fit_two_10gb_gpus(pooled):
    inst = inst_of(pool(pooled=pooled), [6 * GB] * 3)
    res = ecoopt.solve(inst)
    assert res.termination == "infeasible"
    if pooled:  # every host choice leaves two 6 GB models on one 10 GB GPU
        for host in ([0, 0, 1], [0, 1, 1], [0, 1, 0]):
            plan = Plan("by hand", ["p"] * 3, np.full(3, 0.1), host=np.array(host))
            ev = evaluate(inst, plan)
            assert not ev.feasible
            assert any("of the pool" in v and "GB >" in v for v in ev.violations)


def test_models_are_packed_per_gpu_in_a_pool():
    inst = inst_of(pool(count=2), [6 * GB, 6 * GB, 3 * GB])
    res = ecoopt.solve(inst, strict=True)
    ev = evaluate(inst, res.plan)
    assert ev.feasible
    mem = np.bincount(res.plan.host, weights=[6, 6, 3], minlength=2)
    assert mem.max() <= 10
    # compute needs one GPU, memory two: both powered
    fixed, per_share, _, _ = slot_rates(inst.slots[0])
    assert res.objective == pytest.approx(2 * fixed + per_share * 0.3, rel=1e-9)
    for name, h in HEURISTICS.items():
        hev = evaluate(inst, h(inst, objective="carbon"))
        if hev.feasible:
            assert hev.objective >= res.objective * (1 - 1e-9), name


def test_a_pool_pays_idle_power_only_for_the_gpus_it_powers():
    inst = inst_of(pool(count=30, memory=80 * GB), [1 * GB])
    res = ecoopt.solve(inst, strict=True)
    fixed, per_share, _, _ = slot_rates(inst.slots[0])
    assert res.objective == pytest.approx(fixed + per_share * 0.1, rel=1e-9)
    assert res.metrics["gpus_used"] == 1
    # 2.5 GPUs of compute power three GPUs
    many = inst_of(pool(count=30, memory=80 * GB), [0.0] * 5, min_share=0.5)
    res = ecoopt.solve(many, strict=True)
    assert res.metrics["gpus_used"] == 3
    assert res.objective == pytest.approx(3 * fixed + per_share * 2.5, rel=1e-9)


def test_warm_start_round_trips_a_pool_plan():
    inst = inst_of(pool(count=3), [6 * GB, 6 * GB, 3 * GB, 2 * GB])
    spec = get_spec("gpushare")
    lp = spec.formulate(inst, "carbon")
    res = ecoopt.solve(inst, strict=True)
    x = spec.plan_to_x(inst, lp, res.plan)
    assert x is not None
    assert lp.objective_value(x) == pytest.approx(res.objective, rel=1e-12)
    again = ecoopt.solve(inst, warm_start=res.plan, strict=True)
    assert again.objective == pytest.approx(res.objective, rel=1e-9)


def test_latency_pool_packing_fixed_in_advance_when_it_fits():
    # latency does not price powered GPUs: one first-fit packing of everyone serves every plan
    inst = inst_of(pool(count=2), [6 * GB, 3 * GB, 3 * GB, 4 * GB], objective="latency")
    lp = get_spec("gpushare").formulate(inst, "latency")
    assert "host" not in lp.vars
    res = ecoopt.solve(inst, strict=True)
    assert evaluate(inst, res.plan).feasible


@settings(max_examples=200, deadline=None)
@given(
    st.lists(st.integers(-50, 50), unique=True, max_size=30),
    st.lists(st.integers(-60, 60), max_size=10),
    st.booleans(),
)
def test_columns_of_finds_each_key_sorted_or_not(keys, wanted, shuffle):
    column_keys = np.array(sorted(keys) if not shuffle else keys, dtype=np.int64)
    where = {int(c): i for i, c in enumerate(column_keys)}
    got = _columns_of(column_keys, np.array(wanted, dtype=np.int64))
    if all(w in where for w in wanted):
        assert got is not None and got.tolist() == [where[w] for w in wanted]
    else:
        assert got is None
