"""The check on every solve: optimal only for an evaluator-accepted plan within the gap asked."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

import ecoopt
from ecoopt.gpushare.generate import generate
from ecoopt.results import Result
from ecoopt.tolerance import REL


def result(**kw):
    base = dict(
        problem="gpushare",
        objective_name="latency",
        sense="min",
        termination="optimal",
        solution_status="optimal",
        objective=1.0,
        bound=0.9,
        gap=0.1,
        build_s=0.0,
        handoff_s=0.0,
        solve_s=0.0,
        solver="HiGHS",
        interface="highs",
        num_vars=0,
        num_constraints=0,
        mip_rel_gap=1e-4,
    )
    return Result(**{**base, **kw})


def test_optimal_beside_a_larger_gap_cannot_be_built():
    with pytest.raises(RuntimeError, match="internal"):
        result()
    with pytest.raises(RuntimeError, match="internal"):
        result(gap=None)
    assert result(gap=1e-4).optimal  # exactly the gap asked is fine
    assert result(gap=1e-10, mip_rel_gap=0).optimal  # float noise under a zero gap


def test_a_loose_solver_gap_is_caught_and_reported_with_the_true_gap():
    # HiGHS told to stop at a 90 % gap says "optimal"; ecoopt asked for 1e-4 and says otherwise
    inst = generate(30, 3, seed=1)
    res = ecoopt.solve(inst, "latency", solver_options={"mip_rel_gap": 0.9}, warm_start=False)
    assert res.termination == "not_verified" and res.solution_status == "feasible"
    assert res.metrics["feasible"] and res.gap > 1e-4
    assert any("true gap" in n for n in res.notes)
    with pytest.raises(ecoopt.NotOptimalError, match="true gap"):
        res.require_optimal()


def test_loose_feasibility_tolerance_never_yields_an_optimal_infeasible_plan():
    # rows accepted with 10 % slack: whatever HiGHS returns, no broken plan is called optimal
    inst = generate(12, 2, seed=4)
    loose = {"mip_feasibility_tolerance": 0.1, "primal_feasibility_tolerance": 0.1}
    res = ecoopt.solve(inst, "carbon", solver_options=loose)
    if res.optimal:
        assert res.metrics["feasible"]
    if res.plan is not None:
        assert res.metrics["feasible"], res.notes


@given(
    st.integers(2, 7),
    st.integers(1, 3),
    st.integers(0, 10_000),
    st.sampled_from(["latency", "throughput", "cost", "carbon"]),
    st.sampled_from([0.0, 1e-6, 1e-4, 1e-2]),
)
def test_optimal_implies_feasible_plan_within_the_gap(n, g, seed, objective, gap):
    inst = generate(n, g, seed=seed, share_units=10)
    res = ecoopt.solve(inst, objective, mip_rel_gap=gap)
    if res.solution_status == "optimal":
        assert res.termination == "optimal"
        assert res.metrics["feasible"]
        assert res.gap <= max(gap, REL)
        assert res.objective == pytest.approx(res.metrics["objective"], rel=1e-12)
    if res.plan is not None:
        assert res.metrics["feasible"]


def test_a_solver_run_past_its_time_limit_is_stated():
    from ecoopt.results import SolverOptions
    from ecoopt.solve import _overrun

    assert _overrun(SolverOptions(time_limit=0.5), 6.3)[0].startswith("HiGHS ran 6.3 s")
    assert _overrun(SolverOptions(time_limit=0.5), 1.2) == []  # within a second: noise
    assert _overrun(SolverOptions(time_limit=None), 100.0) == []


def test_summary_and_json_carry_the_check_time_and_notes():
    inst = generate(6, 2, seed=3, share_units=10)
    res = ecoopt.solve(inst)
    assert res.check_s > 0 and res.total_s >= res.solve_s + res.check_s
    assert "check" in res.summary() and "notes" in res.to_dict()


def test_one_byte_over_a_gpu_is_cut_off_exactly():
    # two 100 GB models, one a byte larger, on a 200 GB GPU: 5e-12 over, below HiGHS's
    # tolerance; the fast GPU tempts both. Cover cuts keep memory exact in bytes.
    gpu = {"share_units": 10, "idle_power_w": 0, "active_power_w": 100, "intensity_g_per_kwh": 1}
    inst = ecoopt.from_dict(
        {
            "problem": "gpushare",
            "objective": "latency",
            "gpus": [
                {"name": "fast", "memory_bytes": 2e11, "speed": 4.0, **gpu},
                {"name": "slow", "memory_bytes": 2e11, **gpu},
            ],
            "agents": [
                {"name": "a", "throughput_rps": 10, "arrival_rps": 1, "memory_bytes": 1e11},
                {"name": "b", "throughput_rps": 10, "arrival_rps": 1, "memory_bytes": 1e11 + 1},
            ],
        }
    )
    res = ecoopt.solve(inst, strict=True, warm_start=False)
    assert res.metrics["feasible"] and sorted(res.plan.slot) == ["fast", "slow"]
    assert any("cover cut" in n for n in res.notes)  # HiGHS alone put both on "fast"
