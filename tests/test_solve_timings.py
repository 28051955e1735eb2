"""Timings: the same keys on every route, non-negative, summing to the solve's wall time; and the
Pyomo route sees the same scaled objective as the direct one."""

from __future__ import annotations

import time

import numpy as np
import pytest

import ecoopt
import ecoopt.highs
import ecoopt.pyomo_adapter
from ecoopt.gpushare.generate import generate
from ecoopt.results import TIMING_KEYS


@pytest.fixture(scope="module")
def inst():  # noqa: ANN201
    return generate(60, 6, seed=0, pooled=True, objective="latency")


def _timed_solve(inst, **kw):  # noqa: ANN001, ANN202
    ecoopt.solve(inst, **kw)  # first call of a route: imports (Pyomo's ~1 s) out of the way
    t0 = time.perf_counter()
    res = ecoopt.solve(inst, **kw)
    return res, time.perf_counter() - t0


@pytest.mark.parametrize("route", [{}, {"interface": "pyomo"}])
def test_timings_are_non_negative_and_sum_to_the_wall_time(inst, route):
    res, wall = _timed_solve(inst, **route)
    assert res.optimal
    t = res.timings
    assert tuple(t) == TIMING_KEYS
    assert all(v >= 0 for v in t.values())
    assert t["total_s"] == pytest.approx(sum(v for k, v in t.items() if k != "total_s"))
    assert t["total_s"] == pytest.approx(res.total_s)
    assert t["build_s"] > 0 and t["handoff_s"] > 0 and t["solve_s"] > 0 and t["check_s"] > 0
    # what solve() does outside the phases (options, the Result) is small
    assert t["total_s"] <= wall
    assert wall - t["total_s"] <= 0.1 + 0.2 * wall


def test_pyomo_route_reports_highs_own_time(inst):
    res, _ = _timed_solve(inst, interface="pyomo")
    assert "solve time from HiGHS's getRunTime() (APPSI)" in res.log


def test_solver_seconds_reads_each_plugins_clock():
    class Solver:  # a legacy results object's ``solver`` part
        wallclock_time, time = None, 2.5

    class Results:
        solver = Solver()

    assert ecoopt.pyomo_adapter.solver_seconds(object(), Results()) == (
        2.5,
        "results.solver.time",
    )
    Results.timing_info = {"wall_time": 9.0, "scip_time": 1.25, "timer": object()}
    assert ecoopt.pyomo_adapter.solver_seconds(object(), Results())[0] == 1.25
    Results.timing_info, Solver.time = None, "n/a"
    assert ecoopt.pyomo_adapter.solver_seconds(object(), Results()) == (None, None)


def test_precheck_result_has_the_same_timing_keys():
    inst = generate(8, 1, seed=0)
    data = inst.model_dump()
    data["agents"][0]["min_share"] = data["agents"][0]["max_share"] = 1.0
    data["agents"][1]["min_share"] = data["agents"][1]["max_share"] = 1.0
    res = ecoopt.solve(type(inst).model_validate(data))
    assert res.interface == "precheck"
    assert tuple(res.timings) == TIMING_KEYS
    assert res.precheck_s > 0 and res.total_s == res.precheck_s


def test_pyomo_route_sees_the_direct_routes_scaled_objective(inst, monkeypatch):
    seen: dict[str, np.ndarray] = {}
    pass_to_highs, build = ecoopt.highs.pass_to_highs, ecoopt.pyomo_adapter._build

    def spy_pass(h, lp, cost_scale=1.0, **kw):  # noqa: ANN001, ANN202
        seen["highs"] = lp.column_arrays()[0] * cost_scale
        return pass_to_highs(h, lp, cost_scale, **kw)

    def spy_build(lp):  # noqa: ANN001, ANN202
        seen["pyomo"] = lp.column_arrays()[0]
        return build(lp)

    monkeypatch.setattr(ecoopt.highs, "pass_to_highs", spy_pass)
    monkeypatch.setattr(ecoopt.pyomo_adapter, "_build", spy_build)
    direct = ecoopt.solve(inst)
    pyomo = ecoopt.solve(inst, interface="pyomo")
    assert np.array_equal(seen["highs"], seen["pyomo"])
    unscaled = ecoopt.gpushare.formulate(inst, inst.objective).column_arrays()[0]
    assert not np.allclose(seen["pyomo"], unscaled)  # scaled, not the model's own units
    assert pyomo.objective == pytest.approx(direct.objective, rel=1e-4)
