"""Exact Pareto fronts (ecoopt.pareto, the ε-constraint through solve(..., bounds=...)): every
front point equals the brute-force least carbon within its latency bound on tiny partition
DAGs, no feasible heuristic dominates a front point, and a bound the model cannot take is one
clear error."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from test_partition_exact import random_instance

import ecoopt
from ecoopt.partition import Plan, evaluate

ROOT = Path(__file__).resolve().parents[1]


def _every_plan_xy(inst):
    """(latency, carbon) of every feasible layer → device assignment."""
    out = []
    for combo in itertools.product(inst.data.devices, repeat=len(inst.data.layers)):
        plan = Plan("brute", list(combo))
        lat, carb = evaluate(inst, plan, "latency"), evaluate(inst, plan, "carbon")
        if lat.feasible:
            out.append((lat.objective, carb.objective))
    return out


@settings(max_examples=6, deadline=None)
@given(st.data())
def test_front_points_equal_brute_force_on_tiny_dags(tmp_path_factory, data):
    inst = data.draw(random_instance(tmp_path_factory, chain=False))
    every = _every_plan_xy(inst)
    if not every:
        return
    df = ecoopt.pareto(inst, "latency", "carbon", points=4)
    front = df[df.kind == "front"]
    assert (front.status == "optimal").all()
    for _, row in front.iterrows():
        best = min(c for lat, c in every if lat <= row["epsilon"] * (1 + 1e-9) + 1e-12)
        assert row["y"] == pytest.approx(best, rel=2e-4, abs=1e-12)
        assert row["x"] <= row["epsilon"] * (1 + 1e-5) + 1e-12
    heur = df[(df.kind == "heuristic") & df.feasible]
    for _, f in front.iterrows():
        beats = heur[(heur.x <= f["epsilon"] * (1 - 1e-9)) & (heur.y < f["y"] * (1 - 1e-3))]
        assert beats.empty, beats


def test_bundled_front_is_monotone_and_names_dominated_heuristics():
    inst = ecoopt.load(ROOT / "instances" / "partition" / "carbonedge_mobilenet_v2_slo.yaml")
    df = ecoopt.pareto(inst, "latency", "carbon", points=3)
    front = df[df.kind == "front"].sort_values("epsilon")
    assert (front.status == "optimal").all()
    assert (front.y.diff().dropna() <= 1e-12).all()  # more latency allowed, no more carbon
    heur = df[df.kind == "heuristic"]
    assert heur[heur.feasible].dominated.any()


def test_a_bound_the_model_cannot_take_is_one_error():
    inst = ecoopt.load(ROOT / "instances" / "partition" / "carbonedge_mobilenet_v2_slo.yaml")
    with pytest.raises(ValueError, match="period cannot be bounded.*latency, weighted"):
        ecoopt.solve(inst, "carbon", bounds={"period": 1.0})
    with pytest.raises(ValueError, match="not a finite number"):
        ecoopt.solve(inst, "carbon", bounds={"latency": float("nan")})


def test_cli_pareto_prints_the_front_and_refuses_an_unboundable_objective():
    from test_io_cli import run

    path = str(ROOT / "instances" / "routing" / "carbonedge_capacity.yaml")
    done = run("pareto", path, "--x", "latency", "--y", "carbon", "--points", "3", "--json",
               "--methods", "latency_aware")  # fmt: skip
    assert done.returncode == 0, done.stderr
    import json

    rows = json.loads(done.stdout)["rows"]
    assert [r["kind"] for r in rows] == ["front"] * 3 + ["heuristic"]
    bad = run("pareto", path, "--x", "latency_max", "--y", "carbon")
    assert bad.returncode == 2 and "latency_max cannot be bounded" in bad.stderr


@pytest.mark.parametrize(
    ("rel", "x", "y"),
    [
        ("routing/carbonedge_capacity.yaml", "latency", "carbon"),
        ("gpushare/paper_nondegenerate.yaml", "latency", "carbon"),
    ],
)
def test_warm_fronts_equal_cold_fronts(rel, x, y):
    """One model kept in HiGHS with only the bound changed gives the same least y at every
    ε as a full solve per point (x may differ between equally good plans)."""
    inst = ecoopt.load(ROOT / "instances" / rel)
    warm = ecoopt.pareto(inst, x, y, points=5, methods=[])
    cold = ecoopt.pareto(inst, x, y, points=5, methods=[], warm=False)
    assert warm["warm"].all() and (warm.status == "optimal").all()
    assert warm["y"].to_numpy() == pytest.approx(cold["y"].to_numpy(), rel=2e-4)


def test_dominance_is_no_worse_in_both_and_better_in_one():
    import pandas as pd

    from ecoopt.study.pareto import _dominance

    front = pd.DataFrame({"x": [1.0, 2.0, 3.0], "y": [10.0, 6.0, 5.0]})
    assert _dominance(front, 2.5, 6.0, "min", "min") == (True, 0.0)  # same y, more x
    assert _dominance(front, 2.0, 6.0, "min", "min")[0] is False  # on the front
    dom, excess = _dominance(front, 2.0, 9.0, "min", "min")
    assert dom and excess == pytest.approx(50.0)
    assert _dominance(front, 0.5, 20.0, "min", "min") == (
        False,
        pytest.approx(float("nan"), nan_ok=True),
    )
    # a maximised x (throughput): more is better
    assert _dominance(front, 0.5, 10.0, "max", "min")[0] is True
