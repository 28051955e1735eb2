"""routing: hand-solved streams, an enumeration oracle on tiny streams, the MILP never worse than
a feasible policy, and the evaluator's verdicts on plans that break each constraint."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ecoopt
from ecoopt.routing import HEURISTICS, Plan, evaluate
from ecoopt.routing.generate import generate
from ecoopt.routing.policies import POLICY_NAMES


def instance(nodes, profiles, arrivals, slo_s=1.2, slot_s=0.1, objective="carbon", **extra):  # noqa: ANN001, ANN201
    return ecoopt.from_dict(
        {
            "problem": "routing",
            "objective": objective,
            "slot_s": slot_s,
            "nodes": nodes,
            "types": [{"name": "task", "slo_s": slo_s, **extra}],
            "profiles": profiles,
            "requests": [{"arrival_s": a, "type": "task"} for a in arrivals],
        }
    )


TWO_NODES = [
    {"name": "fast", "memory_bytes": 8e9, "intensity_g_per_kwh": 600},
    {"name": "green", "memory_bytes": 8e9, "intensity_g_per_kwh": 100},
]
BATCH_1 = [
    {"node": "fast", "type": "task", "batch": 1, "service_time_s": 0.2, "energy_j": 30},
    {"node": "green", "type": "task", "batch": 1, "service_time_s": 0.5, "energy_j": 30},
]


def test_green_node_takes_what_its_slo_allows_by_hand():
    """Three tasks at 0 s, SLO 1.2 s: the green node finishes two (0.5 s, 1.0 s), a third
    would end at 1.5 s; so one goes to the fast node: (2·30·100 + 30·600) / 3.6e6 g."""
    inst = instance(TWO_NODES, BATCH_1, [0.0, 0.0, 0.0])
    res = ecoopt.solve(inst)
    assert res.optimal
    assert res.objective == pytest.approx((2 * 30 * 100 + 30 * 600) / 3.6e6, rel=1e-9)
    ev = evaluate(inst, res.plan)
    assert ev.feasible and ev.objective == pytest.approx(res.objective, rel=1e-9)


def test_least_mean_latency_by_hand():
    """Same stream, least mean latency: fast twice (0.2, 0.4 s) and green once (0.5 s)."""
    inst = instance(TWO_NODES, BATCH_1, [0.0, 0.0, 0.0], objective="latency")
    res = ecoopt.solve(inst)
    assert res.optimal
    assert res.objective == pytest.approx((0.2 + 0.4 + 0.5) / 3, rel=1e-9)


def test_least_largest_latency_differs_from_least_mean_by_hand():
    """Three tasks at 0 s on one node: singles take 0.1 s, a batch of 3 takes 0.25 s. One
    after another: latencies 0.1, 0.2, 0.3 s (mean 0.2, largest 0.3); one batch: all 0.25 s
    (mean 0.25). So ``latency`` runs singles and ``latency_max`` the batch."""
    profiles = [
        {"node": "green", "type": "task", "batch": 1, "service_time_s": 0.1, "energy_j": 30},
        {"node": "green", "type": "task", "batch": 3, "service_time_s": 0.25, "energy_j": 40},
    ]
    mean = instance(TWO_NODES[1:], profiles, [0.0, 0.0, 0.0], objective="latency")
    tail = instance(TWO_NODES[1:], profiles, [0.0, 0.0, 0.0], objective="latency_max")
    res_mean, res_tail = ecoopt.solve(mean), ecoopt.solve(tail)
    assert res_mean.optimal and res_tail.optimal
    assert res_mean.objective == pytest.approx(0.2, rel=1e-9)
    assert res_tail.objective == pytest.approx(0.25, rel=1e-9)
    ev = evaluate(tail, res_tail.plan)
    assert ev.feasible and ev.metrics["latency_max_s"] == pytest.approx(0.25, rel=1e-9)
    assert evaluate(mean, res_mean.plan).metrics["latency_max_s"] == pytest.approx(0.3)


def test_largest_latency_serves_the_earlier_arrival_first_by_hand():
    """Tasks at 0.06 and 0.09 s share the first grid point 0.1 s and the last (1.1 s); one
    lane, 0.1 s each. Earlier one first: latencies 0.14 and 0.21 s, the largest 0.21 s (the
    other order gives 0.24 s). A model that grouped the two would price both cells at the
    earlier arrival's latency and claim 0.24 s."""
    profiles = [
        {"node": "green", "type": "task", "batch": 1, "service_time_s": 0.1, "energy_j": 30}
    ]
    inst = instance(TWO_NODES[1:], profiles, [0.06, 0.09], objective="latency_max")
    res = ecoopt.solve(inst)
    assert res.optimal, res.notes
    assert res.objective == pytest.approx(0.21, rel=1e-9)


def test_a_batch_of_two_beats_two_singles_by_hand():
    """One node, batch 2 takes 0.3 s and 40 J against 2 × 30 J: both tasks in one batch."""
    profiles = [
        {"node": "green", "type": "task", "batch": 1, "service_time_s": 0.2, "energy_j": 30},
        {"node": "green", "type": "task", "batch": 2, "service_time_s": 0.3, "energy_j": 40},
    ]
    inst = instance(TWO_NODES[1:], profiles, [0.0, 0.05])
    res = ecoopt.solve(inst)
    assert res.objective == pytest.approx(40 * 100 / 3.6e6, rel=1e-9)
    assert evaluate(inst, res.plan).metrics["batches"] == 1


def test_memory_keeps_two_lanes_from_running_big_batches_together_by_hand():
    """Two lanes, but two batches of 2 need 2 × 5 GB of an 8 GB node: they run one after the
    other, so with a 0.5 s SLO the four tasks need the fast node for two of them."""
    nodes = [
        {"name": "fast", "memory_bytes": 8e9, "intensity_g_per_kwh": 600},
        {"name": "green", "memory_bytes": 8e9, "concurrency": 2, "intensity_g_per_kwh": 100},
    ]
    profiles = [
        {"node": "fast", "type": "task", "batch": 2, "service_time_s": 0.2, "energy_j": 40},
        {"node": "green", "type": "task", "batch": 2, "service_time_s": 0.4, "energy_j": 40,
         "memory_bytes": 5e9},
    ]  # fmt: skip
    inst = instance(nodes, profiles, [0.0] * 4, slo_s=0.5)
    res = ecoopt.solve(inst)
    assert res.optimal
    assert res.objective == pytest.approx((40 * 100 + 40 * 600) / 3.6e6, rel=1e-9)
    roomy = instance([nodes[0], {**nodes[1], "memory_bytes": 1e10}], profiles, [0.0] * 4, slo_s=0.5)
    assert ecoopt.solve(roomy).objective == pytest.approx(2 * 40 * 100 / 3.6e6, rel=1e-9)


def _every_plan(inst, grid_points: int):  # noqa: ANN001, ANN202
    """Every plan of a one-lane instance: each request a (node, grid point) from its arrival
    on; requests sharing both form one batch, of any profiled size that holds them."""
    d = inst.data
    sizes = {n: sorted(d.p_batch[d.p_node == n].tolist()) for n in range(d.N)}
    first = np.ceil(d.arrival_s / d.slot_s - 1e-9).astype(int)
    quickest = [d.p_service_s[d.p_node == n].min() for n in range(d.N)]
    spots = [  # (a start that misses the SLO even at the quickest batch is left out)
        [n * grid_points + g for n in range(d.N) for g in range(f, grid_points)
         if g * d.slot_s + quickest[n] <= d.deadline_s[i] + 1e-9]
        for i, f in enumerate(first)
    ]  # fmt: skip
    for choice in itertools.product(*spots):
        keys = sorted(set(choice))
        options = [[b for b in sizes[k // grid_points] if b >= choice.count(k)] for k in keys]
        index = {key: j for j, key in enumerate(keys)}
        for fit in itertools.product(*options):
            yield Plan(
                "enumeration",
                np.array([index[c] for c in choice]),
                np.array([k // grid_points for k in keys]),
                np.array(fit),
                np.array([(k % grid_points) * d.slot_s for k in keys]),
            )


@settings(max_examples=15, deadline=None)
@given(
    st.lists(st.integers(0, 4), min_size=1, max_size=3),
    st.sampled_from(["carbon", "latency", "latency_max"]),
    st.integers(0, 10**6),
)
def test_milp_equals_enumeration_on_tiny_streams(slots, objective, seed):
    rng = np.random.default_rng(seed)
    nodes = [
        {"name": f"n{i}", "memory_bytes": 1e9, "intensity_g_per_kwh": float(rng.uniform(50, 700))}
        for i in range(2)
    ]
    profiles = [
        {"node": f"n{i}", "type": "task", "batch": b,
         "service_time_s": round(float(rng.uniform(0.1, 0.3)) * b**0.5, 3),
         "energy_j": round(float(rng.uniform(10, 50)) * b**0.7, 3)}
        for i in range(2) for b in (1, 2)
    ]  # fmt: skip
    # arrivals on and between grid points (0.05 and 0.1 s share the first grid point 0.1 s)
    inst = instance(nodes, profiles, [0.05 * s for s in slots], slo_s=0.6, objective=objective)
    grid = 9  # starts beyond 0.8 s miss every SLO
    best = math.inf
    for plan in _every_plan(inst, grid):
        ev = evaluate(inst, plan)
        if ev.feasible:
            best = min(best, ev.objective)
    res = ecoopt.solve(inst)
    assert res.optimal
    assert res.objective == pytest.approx(best, rel=1e-6, abs=1e-9)


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 2), st.integers(1, 5), st.integers(1, 2), st.integers(0, 10**6))
def test_milp_is_never_worse_than_a_feasible_policy(nodes, requests, types, seed):
    inst = generate(nodes, requests, seed, n_types=types, slot_s=0.1)
    res = ecoopt.solve(inst, time_limit=60)
    assert res.optimal
    ev = evaluate(inst, res.plan)
    assert ev.feasible and ev.objective == pytest.approx(res.objective, rel=1e-6, abs=1e-12)
    for name, policy in HEURISTICS.items():
        got = evaluate(inst, policy(inst))
        if got.feasible:
            assert res.objective <= got.objective * (1 + 1e-6) + 1e-12, name


def _one_batch_plan(inst, start=0.0, size=1, node=1):  # noqa: ANN001, ANN201
    return Plan("hand", np.zeros(inst.data.R, dtype=np.int64), np.array([node]),
                np.array([size]), np.array([start]))  # fmt: skip


@pytest.mark.parametrize(
    ("plan_of", "words"),
    [
        (lambda i: _one_batch_plan(i, start=0.0, size=1), "holds 2 requests"),
        (lambda i: _one_batch_plan(i, start=0.0, size=3), "no profile"),
        (
            lambda i: Plan(
                "hand", np.array([0, -1]), np.array([1]), np.array([1]), np.array([0.0])
            ),
            "not served",
        ),  # fmt: skip
        (
            lambda i: Plan(
                "hand", np.array([0, 1]), np.array([1, 1]), np.array([1, 1]), np.array([0.0, 0.1])
            ),
            "concurrency",
        ),  # fmt: skip
        (
            lambda i: Plan(
                "hand", np.array([0, 1]), np.array([1, 1]), np.array([1, 1]), np.array([0.0, 1.3])
            ),
            "after its SLO",
        ),  # fmt: skip
        (
            lambda i: Plan(
                "hand", np.array([0, 1]), np.array([1, 1]), np.array([1, 1]), np.array([0.6, 0.0])
            ),
            "before it arrives",
        ),  # fmt: skip
    ],
)
def test_the_evaluator_rejects_each_broken_constraint(plan_of, words):
    inst = instance(TWO_NODES, BATCH_1, [0.0, 0.5])
    ev = evaluate(inst, plan_of(inst))
    assert not ev.feasible
    assert any(words in v for v in ev.violations), ev.violations


def test_the_evaluator_accepts_back_to_back_batches():
    inst = instance(TWO_NODES, BATCH_1, [0.0, 0.0])
    plan = Plan("hand", np.array([0, 1]), np.array([1, 1]), np.array([1, 1]), np.array([0.0, 0.5]))
    ev = evaluate(inst, plan)
    assert ev.feasible, ev.violations
    assert ev.metrics["latency_s"] == pytest.approx(0.75)


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 6), st.integers(1, 300), st.integers(1, 3), st.integers(0, 10**6))
def test_every_policy_serves_every_request_once_within_the_lanes(nodes, requests, types, seed):
    """The simulator's policies serve every request, even late (the MILP-based methods may
    leave one unserved: tests/test_routing_rolling.py)."""
    inst = generate(nodes, requests, seed, n_types=types, load=2.0)
    d = inst.data
    for name in POLICY_NAMES:
        plan = HEURISTICS[name](inst)
        assert (plan.batch_of >= 0).all(), name
        ev = evaluate(inst, plan)
        assert not [v for v in ev.violations if "concurrency" in v or "memory" in v], name
        assert not [v for v in ev.violations if "before it arrives" in v], name
        members = np.bincount(plan.batch_of, minlength=len(plan.batch_node))
        assert (members >= 1).all() and (members <= plan.batch_size).all(), name
        assert ev.metrics["served"] == d.R, name
