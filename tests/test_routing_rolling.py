"""The routing MILP window by window (rolling horizon) and online (online_milp): one window is
the hindsight optimum, the request bound is below every plan, the online policy never reads a
request before it arrives, held capacity is respected, and an unservable request is reported
unserved, not lost."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ecoopt
from ecoopt.routing import Plan, evaluate
from ecoopt.routing.generate import generate
from ecoopt.routing.model import formulate_data, objective_weights
from ecoopt.routing.rolling import (
    Occupancy,
    _solve_part,
    online_milp,
    request_bound,
    solve_rolling,
    sub_stream,
)

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "instances" / "routing").glob("*.yaml"))


def _small(nodes: int, requests: int, seed: int, objective: str = "carbon"):
    return generate(nodes, requests, seed, slot_s=0.1, objective=objective)


@settings(max_examples=8, deadline=None)
@given(
    st.integers(1, 2),
    st.integers(1, 5),
    st.integers(0, 10**6),
    st.sampled_from(["carbon", "latency", "weighted"]),
)
def test_one_window_is_the_hindsight_optimum(nodes, requests, seed, objective):
    inst = _small(nodes, requests, seed, objective)
    res = ecoopt.solve(inst, objective)
    rolled = solve_rolling(inst, window_s=1e7, objective=objective)
    assert len(rolled.windows) == 1
    ev = evaluate(inst, rolled.plan, objective)
    if res.optimal:
        assert ev.feasible, ev.violations
        assert ev.objective == pytest.approx(res.objective, rel=1e-5, abs=1e-9)
        assert rolled.bound <= res.objective * (1 + 1e-9) + 1e-12


@settings(max_examples=8, deadline=None)
@given(st.integers(1, 3), st.integers(1, 8), st.integers(0, 10**6))
def test_the_request_bound_is_below_every_feasible_plan(nodes, requests, seed):
    inst = _small(nodes, requests, seed)
    res = ecoopt.solve(inst)
    bound = request_bound(inst.data, objective_weights(inst, "carbon"))
    if res.optimal:
        assert bound <= res.objective * (1 + 1e-9) + 1e-12
    for plan in (solve_rolling(inst).plan, online_milp(inst).plan):
        ev = evaluate(inst, plan)
        if ev.feasible:
            assert bound <= ev.objective * (1 + 1e-9) + 1e-12
            if res.optimal:
                assert res.objective <= ev.objective * (1 + 1e-6) + 1e-12


def _batches_before(plan: Plan, before_s: float) -> set:
    out = set()
    for j in np.flatnonzero(plan.batch_start_s < before_s - 1e-9):
        members = tuple(np.flatnonzero(plan.batch_of == j).tolist())
        out.add(
            (
                int(plan.batch_node[j]),
                int(plan.batch_size[j]),
                round(float(plan.batch_start_s[j]), 9),
                members,
            )
        )
    return out


def _cut(inst, keep: np.ndarray):
    raw = inst.model_dump(exclude_none=True)
    raw["requests"] = [raw["requests"][i] for i in keep.tolist()]
    raw["horizon_s"] = inst.data.horizon_s
    return ecoopt.from_dict(raw)


@settings(max_examples=8, deadline=None)
@given(st.integers(1, 3), st.integers(3, 8), st.integers(0, 10**6))
def test_online_milp_decides_nothing_on_requests_not_yet_arrived(nodes, requests, seed):
    """Cut the stream after each request in turn: every batch started before the first cut
    request becomes visible is the same (node, size, start, members) with or without the
    rest. (Tight SLOs, so that batches start before the cut; a variant that lets each epoch
    see 30 grid points ahead fails here.)"""
    inst = generate(nodes, requests, seed, slot_s=0.1, load=1.5, slack=1.5)
    d = inst.data
    order = np.argsort(d.arrival_s, kind="stable")
    full = online_milp(inst).plan
    for cut in range(1, requests):
        first_unseen = np.ceil(d.arrival_s[order[cut]] / d.slot_s - 1e-9) * d.slot_s
        kept = np.sort(order[:cut])  # request i of the cut stream is request kept[i]
        part = online_milp(_cut(inst, kept)).plan
        mapped = Plan(
            "cut",
            -np.ones(d.R, dtype=np.int64),
            part.batch_node,
            part.batch_size,
            part.batch_start_s,
        )
        mapped.batch_of[kept] = part.batch_of
        assert _batches_before(full, first_unseen) == _batches_before(mapped, first_unseen)


def test_held_lanes_keep_batches_off_a_busy_node():
    inst = _small(2, 4, 3)
    d = inst.data
    occ = Occupancy(d)
    occ.lanes[0, :] = d.lanes[0]  # node 0 busy for the whole horizon
    idx = np.arange(d.R)
    part, rec = _solve_part(d, idx, objective_weights(inst, "carbon"), 0, occ, 10.0, 0.0)
    assert rec["unserved"] == 0 and (part.batch_node == 1).all()


def test_an_unservable_request_is_left_unserved_and_the_plan_rejected():
    inst = _small(2, 3, 5)
    d = inst.data
    occ = Occupancy(d)
    occ.lanes[:] = d.lanes[:, None]  # every lane held everywhere
    part, rec = _solve_part(d, np.arange(d.R), objective_weights(inst, "carbon"), 0, occ, 10.0, 0.0)
    assert rec["unserved"] == d.R and len(part.batch_node) == 0
    ev = evaluate(inst, part)  # a plan with no batch at all is judged, not an IndexError
    assert not ev.feasible and any("not served" in v for v in ev.violations)


def test_the_soft_model_serves_everyone_when_it_can():
    inst = _small(3, 6, 11)
    d = inst.data
    lp = formulate_data(d, objective_weights(inst, "carbon"), soft=True)
    hard = ecoopt.solve(inst)
    assert "unserved" in lp.vars and hard.optimal
    rolled = solve_rolling(inst, window_s=1e7)
    assert (rolled.plan.batch_of >= 0).all()
    assert sub_stream(d, np.arange(2)).R == 2


@pytest.mark.parametrize("path", BUNDLED, ids=[p.stem for p in BUNDLED])
def test_bundled_windows_report_status_bound_and_gap(path):
    inst = ecoopt.load(path)
    rolled = solve_rolling(inst)
    frame = rolled.frame()
    assert {"window", "requests", "status", "objective", "bound", "gap"} <= set(frame.columns)
    assert frame.requests.sum() == inst.data.R
    assert (frame.status == "optimal").all()
    online = online_milp(inst)
    ev = evaluate(inst, online.plan)
    assert ev.feasible, ev.violations
    assert online.bound <= ev.objective * (1 + 1e-9)
