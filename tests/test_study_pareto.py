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
    cold = ecoopt.pareto(inst, "latency", "carbon", points=4, methods=[], warm=False)
    assert front["y"].to_numpy() == pytest.approx(cold["y"].to_numpy(), rel=2e-4, abs=1e-12)
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


def _generated(family: str, x: str, y: str):
    from ecoopt.gpushare.generate import generate as gpushare
    from ecoopt.provisioning.generate import generate as provisioning

    make = {"gpushare": lambda: gpushare(4, 1, seed=2),
            "gpushare_max": lambda: gpushare(4, 1, seed=3),
            "provisioning": lambda: provisioning(2, 2, 6, seed=4)}  # fmt: skip
    return make[family](), x, y


FRONTS = [
    ("routing/carbonedge_capacity.yaml", "latency", "carbon"),
    ("gpushare/paper_nondegenerate.yaml", "latency", "carbon"),
    ("provisioning/ecoserve_ci17.yaml", "cost", "carbon"),
    ("gpushare", "latency", "carbon"),
    ("gpushare_max", "throughput", "carbon"),  # a maximised x: bound x ≥ ε
    ("gpushare_max", "latency", "throughput"),  # a maximised y
    ("provisioning", "cost", "carbon"),
]


def _instance(rel: str, x: str, y: str):
    if rel.endswith(".yaml"):
        return ecoopt.load(ROOT / "instances" / rel), x, y
    return _generated(rel, x, y)


@pytest.mark.parametrize(("rel", "x", "y"), FRONTS)
def test_warm_fronts_equal_cold_fronts_point_for_point(rel, x, y):
    """Both ends and every point from one kept model, with points carried, give the same
    least y at every ε as a full solve per point (x may differ between equally good plans),
    and every plan is within its bound."""
    inst, x, y = _instance(rel, x, y)
    warm = ecoopt.pareto(inst, x, y, points=7, methods=[])
    cold = ecoopt.pareto(inst, x, y, points=7, methods=[], warm=False)
    assert warm["warm"].all() and (warm.status == "optimal").all() and warm.feasible.all()
    assert not cold["carried"].any() and not cold["warm"].any()
    assert warm["epsilon"].to_numpy() == pytest.approx(cold["epsilon"].to_numpy(), rel=1e-6)
    assert warm["y"].to_numpy() == pytest.approx(cold["y"].to_numpy(), rel=2e-4, abs=1e-12)
    sign = 1.0 if ecoopt.problems.spec_for(inst).sense(x) == "min" else -1.0
    slack = 1e-5 * warm["epsilon"].abs().to_numpy() + 1e-12
    assert (sign * (warm["x"] - warm["epsilon"]).to_numpy() <= slack).all()
    assert warm.attrs["highs_runs"] >= 2 + (~warm["carried"]).sum()  # + any second looks


def test_carries_exactly_where_the_last_optimum_meets_the_bound():
    """From the y-optimum end towards the tightest ε a point is carried iff the last solved
    point's plan meets its bound (then with that plan's x, y and gap); a carried point equals a
    single solve at its ε, and on this file the carry happens and also must not."""
    from ecoopt.study.pareto import _meets

    inst = ecoopt.load(ROOT / "instances" / "provisioning" / "ecoserve_ci17.yaml")
    df = ecoopt.pareto(inst, "cost", "carbon", points=9, methods=[])
    rows = list(df.itertuples())[::-1]  # loosest ε first
    assert rows[0].carried  # the y-optimum end's plan sits exactly at the loosest ε
    source = rows[0]
    for r in rows[1:]:
        assert r.carried == _meets(source.x, r.epsilon, "min"), r
        if r.carried:
            assert (r.x, r.y, r.gap, r.solve_s) == (source.x, source.y, source.gap, 0.0)
        else:
            source = r
    assert 0 < df["carried"].sum() < len(df) - 1
    carried = df[df["carried"]].iloc[len(df[df["carried"]]) // 2]
    one = ecoopt.solve(inst, "carbon", bounds={"cost": float(carried["epsilon"])})
    assert one.optimal and carried["y"] == pytest.approx(one.objective, rel=2e-4)


def test_meets_is_the_evaluators_rule_in_both_senses():
    from ecoopt.study.pareto import _meets

    assert _meets(1.0, 1.0, "min") and _meets(1.0 + 1e-10, 1.0, "min")
    assert not _meets(1.0 + 1e-8, 1.0, "min") and not _meets(1.0 - 1e-8, 1.0, "max")
    assert _meets(2.0, 1.0, "max") and not _meets(2.0, 1.0, "min")


def test_front_ends_and_points_equal_single_solves():
    inst = ecoopt.load(ROOT / "instances" / "gpushare" / "paper_nondegenerate.yaml")
    df = ecoopt.pareto(inst, "latency", "carbon", points=5, methods=[])
    spec = ecoopt.problems.spec_for(inst)
    best_x, best_y = ecoopt.solve(inst, "latency"), ecoopt.solve(inst, "carbon")
    assert df["epsilon"].iloc[0] == pytest.approx(best_x.objective, rel=1e-9)
    assert df["epsilon"].iloc[-1] == pytest.approx(
        spec.evaluate(inst, best_y.plan, "latency").objective, rel=1e-6
    )
    assert df["y"].iloc[-1] == pytest.approx(best_y.objective, rel=2e-4)
    for _, r in df.iterrows():
        one = ecoopt.solve(inst, "carbon", bounds={"latency": float(r["epsilon"])})
        assert one.optimal and r["y"] == pytest.approx(one.objective, rel=2e-4)


def test_front_names_its_objectives_on_every_row():
    inst = ecoopt.load(ROOT / "instances" / "gpushare" / "paper_nondegenerate.yaml")
    df = ecoopt.pareto(inst, "latency", "carbon", points=3)
    assert (df["x_objective"] == "latency").all() and (df["y_objective"] == "carbon").all()
    assert {"carried", "warm", "solve_s", "epsilon", "excess_pct"} <= set(df.columns)
    assert (df.kind == "heuristic").any() and df.attrs["x"] == "latency"
    assert df.attrs["y"] == "carbon" and df.attrs["highs_runs"] >= 2


def test_progress_shows_points_seconds_and_the_best_y_so_far(capsys):
    inst = ecoopt.load(ROOT / "instances" / "gpushare" / "paper_nondegenerate.yaml")
    ecoopt.pareto(inst, "latency", "carbon", points=3, methods=[], progress=True)
    err = capsys.readouterr().err
    assert "points" in err and "s/point" in err and "best y=67.45" in err
    ecoopt.pareto(inst, "latency", "carbon", points=3, methods=[])
    assert capsys.readouterr().err == ""  # off unless asked


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


def test_kept_model_runs_tightened_once_and_restores_its_options():
    from ecoopt.highs import TIGHT, KeptModel
    from ecoopt.results import SolverOptions

    inst = ecoopt.load(ROOT / "instances" / "gpushare" / "paper_nondegenerate.yaml")
    lp = ecoopt.problems.spec_for(inst).formulate(inst, "carbon")
    with KeptModel(lp, SolverOptions(time_limit=10.0, threads=1)) as kept:
        before = kept.h.getOptionValue("mip_feasibility_tolerance")[1]
        first, tight = kept.run(), kept.run(None, TIGHT)
        assert kept.h.getOptionValue("mip_feasibility_tolerance")[1] == before != 1e-9
    assert first.termination == tight.termination == "optimal"
    assert tight.objective == pytest.approx(first.objective, rel=1e-6)
