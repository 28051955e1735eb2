"""Status paths: infeasible explained, time limits, strict mode."""

from __future__ import annotations

import numpy as np
import pytest

import ecoopt
from ecoopt.gpushare.generate import generate

GPU = {
    "share_units": 10,
    "memory_bytes": 1e10,
    "idle_power_w": 50,
    "active_power_w": 250,
    "intensity_g_per_kwh": 300,
}


def make(agents, n_gpus=1):
    gpus = [{"name": f"g{j}", **GPU} for j in range(n_gpus)]
    return ecoopt.from_dict({"problem": "gpushare", "gpus": gpus, "agents": agents})


def test_minimum_shares_above_capacity_names_the_agents():
    inst = make(
        [
            {"name": n, "throughput_rps": 10, "arrival_rps": 1, "min_share": s}
            for n, s in [("alpha", 0.5), ("beta", 0.4), ("gamma", 0.3)]
        ]
    )
    res = ecoopt.solve(inst)
    assert res.termination == "infeasible" and res.solution_status == "none"
    assert "minimum shares" in res.explanation
    for name in ("alpha", "beta", "gamma"):
        assert name in res.explanation
    assert "1.2 GPUs but only 1 exist" in res.explanation
    with pytest.raises(ecoopt.InfeasibleError, match="alpha"):
        ecoopt.solve(inst, strict=True)


def test_packing_conflict_found_by_elastic_resolve():
    # 1.8 GPUs of minimums fit the 2 GPUs in total but not one agent per GPU at a time:
    # three agents of 0.6 cannot be packed onto two GPUs -> HiGHS proves it, elastic names capacity.
    inst = make(
        [
            {"name": f"a{i}", "throughput_rps": 10, "arrival_rps": 1, "min_share": 0.6}
            for i in range(3)
        ],
        n_gpus=2,
    )
    res = ecoopt.solve(inst)
    assert res.termination == "infeasible"
    assert "capacity" in res.explanation and "+0.2 GPU" in res.explanation
    # the two agents the re-solve packs onto the over-full GPU are named with their shares
    assert sum(f"a{i} 0.6" in res.explanation for i in range(3)) == 2


def test_unattainable_slo_names_the_agent():
    inst = make(
        [
            {"name": "slow", "throughput_rps": 10, "arrival_rps": 5, "latency_slo_s": 0.01},
            {"name": "fine", "throughput_rps": 10, "arrival_rps": 1},
        ]
    )
    res = ecoopt.solve(inst)
    assert res.termination == "infeasible"
    assert "slow" in res.explanation and "fine" not in res.explanation


def test_time_limit_zero_returns_no_silent_ok():
    inst = generate(30, 3, seed=1)
    res = ecoopt.solve(inst, time_limit=0, warm_start=False)
    assert res.termination == "time_limit"
    assert res.solution_status == "none" and res.objective is None
    assert "no feasible plan found yet, bound" in res.explanation
    assert res.bound is not None  # the LP relaxation's, even without an incumbent
    with pytest.raises(ecoopt.NotOptimalError, match="time_limit"):
        res.require_optimal()


@pytest.mark.parametrize("start", ["sqrt_waterfill", None])
def test_time_limit_zero_with_incumbent_reports_bound_and_gap(start):
    # by default (None) the reference heuristic's feasible plan is HiGHS's starting incumbent
    inst = generate(30, 3, seed=1)
    res = ecoopt.solve(inst, time_limit=0, warm_start=start)
    assert res.termination == "time_limit" and res.solution_status == "feasible"
    assert res.objective is not None and res.plan is not None
    assert res.metrics["feasible"]
    assert "incumbent" in res.explanation


def test_infeasible_warm_start_is_not_reported_as_incumbent(paper_path):
    from ecoopt.gpushare import Plan

    inst = ecoopt.load(paper_path)
    over = Plan("by hand", ["gpu0"] * 4, np.array([0.4, 0.4, 0.4, 0.4]))  # 1.6 GPUs on one
    res = ecoopt.solve(inst, time_limit=0, warm_start=over)
    assert res.termination == "time_limit" and res.solution_status == "none"  # HiGHS refused it


def test_short_time_limit_on_a_hard_instance_keeps_incumbent_bound_gap():
    inst = generate(40, 6, seed=7, share_units=100)
    res = ecoopt.solve(inst, time_limit=0.2, warm_start=True)
    assert res.termination in ("time_limit", "optimal")
    if res.termination == "time_limit":
        assert res.solution_status == "feasible"
        assert res.bound is not None and res.gap is not None and res.gap >= 0
        assert res.bound <= res.objective + 1e-9


def test_unknown_objective_is_a_clear_error():
    with pytest.raises(ValueError, match="choose one of latency, throughput, cost, carbon"):
        ecoopt.solve(generate(3, 1), "speed")
