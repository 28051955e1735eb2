"""ecoopt.routing.figures: one point per method per instance, where the table puts it."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ecoopt
from ecoopt.routing.figures import carbon_vs_p95, carbon_vs_p95_panels, method_numbers

ROOT = Path(__file__).resolve().parents[1]


def _table(methods, feasible=None, seed=0):
    rng = np.random.default_rng(seed)
    n = len(methods)
    return pd.DataFrame(
        {
            "method": methods,
            "feasible": feasible if feasible is not None else [True] * n,
            "latency_p95_s": rng.uniform(0.1, 2.0, n),
            "carbon_g_per_request": rng.uniform(0.001, 0.01, n),
        }
    )


def _points(ax):
    """(label, x, y, hollow) of every scatter collection on ``ax``, in drawing order."""
    out = []
    for c in ax.collections:
        offsets = c.get_offsets()
        assert len(offsets) == 1, f"{c.get_label()}: {len(offsets)} points in one collection"
        x, y = offsets[0]
        out.append((c.get_label(), float(x), float(y), len(c.get_facecolor()) == 0))
    return out


def test_one_point_per_row_where_the_table_puts_it():
    df = _table(["milp", "a", "b", "policy_added_later"], feasible=[True, True, False, True])
    ax = carbon_vs_p95(df)
    points = _points(ax)
    assert [p[0] for p in points] == list(df.method)
    assert np.allclose([p[1] for p in points], df.latency_p95_s)
    assert np.allclose([p[2] for p in points], df.carbon_g_per_request)
    assert [p[3] for p in points] == [not f for f in df.feasible]  # infeasible ones hollow
    milp = ax.collections[0]
    star, circle = milp.get_paths()[0].vertices, ax.collections[1].get_paths()[0].vertices
    assert star.shape != circle.shape or not np.allclose(star, circle)  # a marker of its own
    assert np.allclose(milp.get_facecolor()[0][:3], 0.0)  # black


def test_coincident_points_are_annotated_together():
    df = _table(["milp", "a", "b", "c"])
    df.loc[3, ["latency_p95_s", "carbon_g_per_request"]] = df.loc[
        1, ["latency_p95_s", "carbon_g_per_request"]
    ]
    ax = carbon_vs_p95(df)
    assert sorted(t.get_text() for t in ax.texts) == ["1", "2,4", "3"]


def test_not_a_routing_table():
    with pytest.raises(ValueError, match="latency_p95_s"):
        carbon_vs_p95(pd.DataFrame({"method": ["milp"], "feasible": [True], "x": [1.0]}))


@pytest.mark.parametrize("count", [1, 3, 5])
def test_panels_one_per_instance_one_point_per_method(count):
    methods = ["milp", "p", "q", "r"]
    tables = {f"inst{k}": _table(methods + [f"only_in_{k}"], seed=k) for k in range(count)}
    fig = carbon_vs_p95_panels(tables, ncols=3)
    panels = fig.axes[:count]
    assert [ax.get_title() for ax in panels] == list(tables)
    for ax, df in zip(panels, tables.values()):
        points = _points(ax)
        assert [p[0] for p in points] == list(df.method)
        assert np.allclose([p[1] for p in points], df.latency_p95_s)
    assert len(fig.axes) == count + 1  # the legend's panel
    legend = fig.axes[-1].get_legend()
    labels = [t.get_text() for t in legend.get_texts()]
    numbers = method_numbers(list(tables.values()))
    assert len(numbers) == len(methods) + count
    assert all(any(label.startswith(f"{n} {m}") for label in labels) for m, n in numbers.items())


def test_bundled_instance():
    df = ecoopt.compare(ecoopt.load(ROOT / "instances/routing/edge_llm_cluster.yaml"))
    points = _points(carbon_vs_p95(df))
    assert [p[0] for p in points] == list(df.method)
    assert [p[3] for p in points] == list(~df.feasible)
    assert np.allclose([p[2] for p in points], df.carbon_g_per_request)
