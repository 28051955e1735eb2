"""The adaptive-allocation paper's four agents: regression figures and what the trap means."""

from __future__ import annotations

import numpy as np
import pytest

import ecoopt
from ecoopt.gpushare import HEURISTICS, evaluate
from ecoopt.gpushare.heuristics import adaptive_shares

LAM = np.array([80.0, 40.0, 45.0, 25.0])
MU = np.array([100.0, 50.0, 60.0, 30.0])
R = np.array([0.10, 0.30, 0.25, 0.35])
P = np.array([1.0, 2.0, 2.0, 1.0])


def test_adaptive_allocator_regression():
    g = adaptive_shares(LAM, R, P, 1.0)
    np.testing.assert_allclose(g, [0.2385, 0.2538, 0.2115, 0.2961], atol=5e-5)
    assert np.minimum(LAM, g * MU).sum() == pytest.approx(58.12, abs=0.005)
    equal = np.full(4, 0.25)
    assert np.minimum(LAM, equal * MU).sum() == pytest.approx(60.0)
    # the rescale pushes three agents below their minimum share
    assert list(g < R) == [False, True, True, True]


def test_paper_instance_only_feasible_allocation_is_the_minimums(paper_path):
    inst = ecoopt.load(paper_path)
    res = ecoopt.solve(inst, strict=True)
    np.testing.assert_allclose(res.plan.share, R)
    plan = HEURISTICS["adaptive"](inst)
    assert "rescale broke min_share of: nlp, vision, reasoning" in plan.notes
    np.testing.assert_allclose(plan.raw_share, [0.2385, 0.2538, 0.2115, 0.2961], atol=5e-5)
    ev = evaluate(inst, plan)
    assert not ev.feasible
    # quantised to 1 % steps by largest remainder: 24/25/21/30 % -> 58.1 req/s
    assert ev.metrics["throughput_rps"] == pytest.approx(58.1)
    assert evaluate(inst, HEURISTICS["static_equal"](inst)).metrics["throughput_rps"] == 60.0
    # every policy leaves the GPU overloaded: 190 req/s offered
    assert res.metrics["unstable_agents"] == 4


def test_compare_table_on_paper_instance(paper_path):
    df = ecoopt.compare(ecoopt.load(paper_path))
    assert {"method", "objective", "feasible", "gap_pct", "runtime_s"} <= set(df.columns)
    assert "milp" in df.method.iloc[0]
    feasible = df[df.feasible]
    assert set(feasible.method) == {"milp", "greedy_marginal", "sqrt_waterfill"}
    assert (feasible.gap_pct >= -1e-9).all()
