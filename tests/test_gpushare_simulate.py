"""The fluid simulator: conservation, hand-computed queues and delays, the paper's overload."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ecoopt
from ecoopt.carbon import load_trace
from ecoopt.gpushare.simulate import (
    COLUMNS,
    POLICIES,
    _rotation,
    observed_rps,
    simulate,
    simulate_policy,
    with_rates,
)

PAPER = Path(__file__).resolve().parents[1] / "instances/gpushare/paper_four_agents.yaml"
GPU = {
    "name": "g",
    "memory_bytes": 40e9,
    "idle_power_w": 50,
    "active_power_w": 300,
    "price_usd_per_h": 1.5,
    "intensity_g_per_kwh": 400,
}


def make(agents: list[dict], gpu: dict | None = None, **extra: object):
    return ecoopt.from_dict(
        {"problem": "gpushare", "gpus": [gpu or GPU], "agents": agents, **extra}
    )


@pytest.fixture(scope="module")
def paper():
    return ecoopt.load(PAPER)


@pytest.fixture(scope="module")
def paper_traces(paper):
    return {p: simulate_policy(paper, p, steps=60) for p in POLICIES}


# -- hand-computed cases ------------------------------------------------------------------------
def test_single_stable_agent_is_mm1():
    inst = make([{"name": "a", "throughput_rps": 10, "arrival_rps": 5}])
    tr = simulate_policy(inst, "static_equal", steps=10)
    assert np.all(tr.share == 1.0)
    assert np.all(tr.backlog_req == 0.0)
    np.testing.assert_allclose(tr.fluid_delay_s, 0.0, atol=1e-12)
    row = tr.summary()
    assert row["mean_latency_s"] == pytest.approx(1 / (10 - 5))  # M/M/1: 1/(μ − λ)
    assert row["p95_latency_s"] == pytest.approx(0.2)
    assert row["throughput_rps"] == pytest.approx(5.0)
    assert row["served_fraction"] == pytest.approx(1.0)
    assert row["utilisation"] == pytest.approx(0.5)
    assert row["cost_usd"] == pytest.approx(1.5 * 10 / 3600)
    assert row["carbon_g"] == pytest.approx(300 * 10 / 3.6e6 * 400)  # 300 W for 10 s at 400 g/kWh


def test_burst_backlog_and_fifo_delay():
    # λ = 20 for 2 s then 0, μ = 10 at a whole GPU: A(τ) = 20τ, D(τ) = 10τ until the queue empties
    # at τ = 4 s, so mass arriving at τ ≤ 2 leaves at 2τ: fluid delay exactly τ.
    inst = make([{"name": "a", "throughput_rps": 10, "arrival_trace_rps": [20, 20, 0, 0, 0, 0]}])
    tr = simulate_policy(inst, "static_equal")
    assert tr.backlog_req.shape == (6, 1)  # horizon from the trace length
    np.testing.assert_array_equal(tr.backlog_req[:, 0], [10, 20, 10, 0, 0, 0])
    np.testing.assert_array_equal(tr.served_req[:, 0], [10, 10, 10, 10, 0, 0])
    first = tr.sample_time_s < 2
    np.testing.assert_allclose(tr.fluid_delay_s[first, 0], tr.sample_time_s[first])
    assert tr.fluid_delay_s[0, 0] == pytest.approx(0.125)  # first sample, τ = 1/8 s
    # Served while λ ≥ r (overloaded steps) or λ = 0: stochastic term = service time 1/10 s.
    np.testing.assert_allclose(tr.latency_s[first, 0], tr.sample_time_s[first] + 0.1)
    assert tr.summary()["mean_latency_s"] == pytest.approx(1.0 + 0.1)  # mean τ over [0, 2] is 1


def test_round_robin_turns_and_wait():
    # Two agents, μ = 10, λ = 2 each, whole-GPU turns of 1 s: a1 waits through a0's turn (step 0),
    # then drains its 2 queued requests at 10/s while 2/s keep arriving: D(τ) = 10(τ − 1) until
    # it meets A(τ) = 2τ at τ = 1.25. Mass arriving at τ < 1 leaves at 1 + 2τ/10: delay 1 − 0.8τ.
    inst = make([{"name": f"a{i}", "throughput_rps": 10, "arrival_rps": 2} for i in range(2)])
    tr = simulate_policy(inst, "round_robin", steps=4)
    np.testing.assert_array_equal(tr.share, [[1, 0], [0, 1], [1, 0], [0, 1]])
    np.testing.assert_allclose(tr.served_req[:, 1], [0, 4, 0, 4])
    step0 = tr.sample_time_s < 1
    np.testing.assert_allclose(tr.fluid_delay_s[step0, 1], 1 - 0.8 * tr.sample_time_s[step0])
    # Served in a turn with λ = 2 < r = 10: stochastic term 1/(10 − 2) s.
    np.testing.assert_allclose(tr.latency_s[step0, 1], 1 - 0.8 * tr.sample_time_s[step0] + 0.125)
    np.testing.assert_allclose(tr.latency_s[step0, 0], 0.125)  # a0's own turn: no wait


def test_censoring_at_horizon():
    inst = make([{"name": "a", "throughput_rps": 10, "arrival_rps": 20}])
    tr = simulate_policy(inst, "static_equal", steps=4)
    assert tr.summary()["backlog_end_req"] == pytest.approx(40.0)
    late = tr.sample_time_s > 2  # these leave after the horizon: delay = end − arrival
    np.testing.assert_allclose(tr.latency_s[late, 0], 4 - tr.sample_time_s[late])


def test_carbon_follows_trace_and_embodied():
    gpu = {
        **GPU,
        "intensity_g_per_kwh": None,
        "pue": 1.2,
        "embodied_kg": 100,
        "intensity_trace": {"name": "EIA930-CISO-2022", "start": "2022-06-01T12:30Z"},
    }
    inst = make(
        [{"name": "a", "throughput_rps": 10, "arrival_rps": 5}],
        gpu,
        simulation={"step_s": 600, "steps": 12},
    )
    tr = simulate_policy(inst, "static_equal")
    hourly = load_trace("EIA930-CISO-2022")
    at = [hourly[f"2022-06-01 {h}:00+00:00"] for h in (12, 13, 14)]
    kwh = 300 * 600 / 3.6e6  # per 10-min step at share 1.0
    operational = kwh * 1.2 * (3 * at[0] + 6 * at[1] + 3 * at[2])
    embodied = 12 * 600 * 100e3 / (5 * 8760 * 3600)
    assert tr.carbon_g.sum() == pytest.approx(operational + embodied)


# -- helpers ------------------------------------------------------------------------------------
def test_observed_rate_window():
    rates = np.array([[1.0], [2.0], [3.0], [4.0]])
    np.testing.assert_allclose(observed_rps(rates, 2)[:, 0], [1.0, 1.0, 1.5, 2.5])
    np.testing.assert_allclose(observed_rps(rates, 1)[:, 0], [1.0, 1.0, 2.0, 3.0])


def test_with_rates_refreshes_cached_arrays(paper):
    _ = paper.arrays  # populate the cache on the original
    step = with_rates(paper, np.array([1.0, 2.0, 3.0, 4.0]))
    np.testing.assert_array_equal(step.arrays.lam, [1, 2, 3, 4])
    np.testing.assert_array_equal(paper.arrays.lam, [80, 40, 45, 25])
    assert all(a.arrival_trace_rps is None for a in step.agents)


def test_rotation_on_pool_and_single_gpu():
    where = np.array([0, 0, 0, 1, 1])
    scale = np.array([2.0, 1.0])  # slot 0 a pool of two GPUs, slot 1 one GPU
    np.testing.assert_array_equal(_rotation(where, 0, scale), [1, 1, 0, 1, 0])
    np.testing.assert_array_equal(_rotation(where, 1, scale), [1, 0, 1, 0, 1])


def test_arrival_trace_is_cycled():
    inst = make([{"name": "a", "throughput_rps": 100, "arrival_trace_rps": [1, 2, 3]}])
    tr = simulate_policy(inst, "adaptive", steps=7)
    np.testing.assert_array_equal(tr.arrivals_req[:, 0], [1, 2, 3, 1, 2, 3, 1])


def test_unknown_policy():
    with pytest.raises(ValueError, match="unknown policy"):
        simulate_policy(make([{"name": "a", "throughput_rps": 1, "arrival_rps": 1}]), "fifo")


# -- the paper's four agents (overloaded: 190 req/s arrive) ------------------------------------
def test_conservation_every_policy(paper_traces):
    for p, tr in paper_traces.items():
        arrived = tr.arrivals_req.sum(axis=0)
        np.testing.assert_allclose(
            arrived, tr.served_req.sum(axis=0) + tr.backlog_req[-1], rtol=1e-12, err_msg=p
        )


def test_static_equal_throughput_saturates(paper_traces):
    # Equal 0.25 shares serve 25 + 12.5 + 15 + 7.5 = 60 req/s; every agent is overloaded.
    row = paper_traces["static_equal"].summary()
    assert row["throughput_rps"] == pytest.approx(60.0, abs=0.05)
    assert row["utilisation"] == pytest.approx(1.0)


def test_backlog_grows_under_every_policy(paper_traces):
    for p, tr in paper_traces.items():
        total = tr.backlog_req.sum(axis=1)
        assert np.all(np.diff(total) > 0), p
        assert tr.summary()["served_fraction"] < 0.5, p


def test_simulate_table(paper):
    df = simulate(paper, ["static_equal", "milp"], steps=5)
    assert list(df.columns) == COLUMNS
    assert list(df.policy) == ["static_equal", "milp"]
    assert (df.infeasible_steps == 0).all()
    assert (df.decide_s > 0).all()


# -- stable instances ---------------------------------------------------------------------------
def test_round_robin_slower_than_static_equal_when_stable():
    inst = make([{"name": f"a{i}", "throughput_rps": 100, "arrival_rps": 10} for i in range(4)])
    rr = simulate_policy(inst, "round_robin", steps=20).summary()
    eq = simulate_policy(inst, "static_equal", steps=20).summary()
    assert eq["backlog_end_req"] == 0.0
    assert eq["mean_latency_s"] == pytest.approx(1 / (25 - 10))
    assert rr["mean_latency_s"] > 10 * eq["mean_latency_s"]  # waiting for one's turn (1 s steps)


def test_milp_no_worse_than_static_equal_when_stable():
    # Assumptions making the simulated mean equal the MILP's objective: constant arrivals (the
    # controller sees the true rates from step 0), equal priorities (the MILP's weights are then
    # arrival-weighted like the simulator's mean), objective latency, and every queue stable under
    # both plans (no fluid delay). static_equal's plan is a MILP point, so the MILP cannot lose
    # beyond its relative gap (1e-4).
    gpu = {**GPU, "share_units": 20}
    inst = make(
        [
            {"name": "a", "throughput_rps": 100, "arrival_rps": 30},
            {"name": "b", "throughput_rps": 50, "arrival_rps": 4},
            {"name": "c", "throughput_rps": 30, "arrival_rps": 2},
        ],
        gpu,
    )
    milp = simulate_policy(inst, "milp", steps=5)
    eq = simulate_policy(inst, "static_equal", steps=5)
    assert not milp.infeasible.any()
    assert milp.backlog_req.sum() == 0 and eq.backlog_req.sum() == 0
    m, e = milp.summary()["mean_latency_s"], eq.summary()["mean_latency_s"]
    assert m <= e * (1 + 1e-4)
    assert m < e  # and here strictly better: equal shares ignore the different loads


def test_infeasible_milp_falls_back_to_minimum_shares():
    inst = make(
        [
            {"name": f"a{i}", "throughput_rps": 10, "arrival_rps": 3, "min_share": 0.6}
            for i in range(2)
        ]
    )
    tr = simulate_policy(inst, "milp", steps=3)
    assert tr.infeasible.all()
    np.testing.assert_allclose(tr.share, 0.5)  # 0.6 + 0.6 scaled down to one GPU
    assert tr.summary()["infeasible_steps"] == 3
    np.testing.assert_allclose(tr.served_req.sum(), tr.arrivals_req.sum())


def test_no_requests_says_so_instead_of_a_bare_nan():
    inst = make([{"name": "idle", "throughput_rps": 10, "arrival_rps": 0}])
    row = simulate_policy(inst, "sqrt_waterfill", steps=5).summary()
    assert np.isnan(row["mean_latency_s"]) and "no requests" in row["note"]
    busy = simulate_policy(
        make([{"name": "a", "throughput_rps": 10, "arrival_rps": 5}]), "adaptive", steps=5
    )
    assert busy.summary()["note"] == ""
