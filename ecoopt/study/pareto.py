"""Exact Pareto fronts by the ε-constraint method, with every heuristic's point beside them.

``pareto(inst, x="latency", y="carbon", points=11)``: the two ends — the least x (its optimum;
the greatest for a maximised x) and the least y, whose plan's x is the other end of the range
— then, for ε stepped evenly across [x_min, x at the y-optimum], the least y subject to x ≤ ε
(x ≥ ε for a maximised x), as ``ecoopt.solve(..., bounds={x: ε})`` would give it: HiGHS to
proven optimality (or its gap at the time limit), every plan checked by the evaluator against
the bound too.

The default (``warm=True``) keeps y's model in one HiGHS instance (``highs.KeptModel``): the
y-end is its first run, the x-end a run with x's costs swapped in (when x's model has the same
rows and columns, else a full ``solve``), then x's bound row is appended and the points are
taken from the y-end towards the tightest ε, only the row's bound and the MIP start changing.
A point whose ε the last optimum's plan still meets is **carried** (no run; exact, see
``_warm_points``). Every answer goes through ``verify.check`` (the check of ``solve``); one
that fails it is run again with tightened tolerances (``solve``'s second look), and if that
fails too, solved from scratch by ``solve``. ``warm=False``: a full ``solve`` per end and per point.

Rows of kind ``front`` carry ε, the plan's evaluated x and y, the status and gap, ``solve_s``
(seconds in HiGHS), ``warm`` (answered from the kept model) and ``carried``; rows of kind
``heuristic`` carry each heuristic's evaluated x and y, its feasibility, whether a front point
dominates it (no worse in both, better in one) and ``excess_pct``: how much more y it spends
than the front at no more x. Every row names the objectives (``x_objective``,
``y_objective``). Which objectives can be bounded depends on the family's models
(``ecoopt.solve.boundable``): partition bounds carbon, latency and weighted but not period;
routing every objective but latency_max; gpushare and provisioning all of theirs.
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
import pandas as pd

from ..errors import NotApplicable
from ..highs import STOPPED, TIGHT, KeptModel
from ..lp import LinearProgram
from ..problems import spec_for
from ..progress import bar_with
from ..results import DEFAULT_MIP_GAP, SolverOptions
from ..solve import _prepare, bound_objectives, solve
from ..tolerance import within
from ..verify import check

MAX_POINTS = 1_000


@dataclass(frozen=True)
class _Point:
    """One answered front point or end: the plan, its evaluated x and y, status and gap;
    ``optimal`` only for a checked optimum (a carry may start only from one)."""

    plan: Any
    x: float
    y: float
    status: str
    gap: float | None
    feasible: bool
    optimal: bool
    solve_s: float
    warm: bool
    carried: bool = False


def _from_result(spec, inst, res, x: str) -> _Point:  # noqa: ANN001
    """A point from a full ``solve``'s Result (its plan's x evaluated)."""
    ex = spec.evaluate(inst, res.plan, x).objective if res.plan is not None else math.nan
    y = math.nan if res.objective is None else float(res.objective)
    feasible = res.optimal or res.solution_status == "feasible"
    return _Point(res.plan, float(ex), y, res.termination, res.gap, feasible, res.optimal,
                  res.solve_s, warm=False)  # fmt: skip


def _meets(value: float, eps: float, sense: str) -> bool:
    """``value`` within the bound ε of a minimised (≤) or maximised (≥) objective, by the
    evaluator's rule for continuous limits (``tolerance.within``: REL = 1e-9 relative)."""
    return bool(within(value, eps) if sense == "min" else within(-value, -eps))


def _same_feasible_set(a: LinearProgram, b: LinearProgram) -> bool:
    """Whether two models have the very same columns and rows (only the costs differ)."""
    cols = [(v.name, v.size, v.integer) for v in a.vars.values()]
    if cols != [(v.name, v.size, v.integer) for v in b.vars.values()]:
        return False
    if [(f.name, f.size) for f in a.families.values()] != [
        (f.name, f.size) for f in b.families.values()
    ]:
        return False
    same = np.array_equal
    return all(same(u.lower, v.lower) and same(u.upper, v.upper)
               for u, v in zip(a.vars.values(), b.vars.values())) and all(
        same(f.rows, g.rows) and same(f.cols, g.cols) and same(f.vals, g.vals)
        and same(f.lower, g.lower) and same(f.upper, g.upper)
        for f, g in zip(a.families.values(), b.families.values()))  # fmt: skip


class _Warm:
    """The warm front: y's model kept in HiGHS (``highs.KeptModel``) for both ends and every
    point (module docstring). ``runs`` counts HiGHS runs and ``highs_s`` their seconds; every
    answer goes through ``verify.check`` (the same check as ``solve``'s, ``_run``), and one
    that still fails it is solved again from scratch by ``solve``."""

    def __init__(self, spec, inst, x: str, y: str, opts: dict) -> None:  # noqa: ANN001
        self.spec, self.inst, self.x, self.y, self.opts = spec, inst, x, y, opts
        self.lp = spec.formulate(inst, y)
        _, self.scale, self.x0, _ = _prepare(spec, inst, self.lp, y, None)
        options = SolverOptions(
            time_limit=opts["time_limit"], mip_rel_gap=opts["mip_rel_gap"], threads=opts["threads"]
        )
        self.kept = KeptModel(self.lp, options, self.scale)
        self.runs, self.highs_s, self.row, self.lp_x = 0, 0.0, -1, None

    def _run(self, lp: LinearProgram, objective: str, start, scale: float):  # noqa: ANN001, ANN202
        """One run, checked; a failed check (not a time limit) gets solve's second look: the
        same model run again from no start with tightened tolerances (``highs.TIGHT``)."""
        sol, chk = self._checked(lp, objective, start, scale)
        if not chk.optimal and sol.termination not in STOPPED:
            sol, chk = self._checked(lp, objective, None, scale, TIGHT)
        return sol, chk

    def _checked(self, lp, objective, start, scale, extra=None):  # noqa: ANN001, ANN202
        sol = self.kept.run(start, extra)
        self.runs, self.highs_s = self.runs + 1, self.highs_s + sol.solve_s
        return sol, check(self.spec, self.inst, lp, objective, sol, self.opts["mip_rel_gap"],
                          1.0 / scale)  # fmt: skip

    def _solve(self, objective: str, **kwargs: Any):  # noqa: ANN202
        """A full ``solve`` (a fallback), its HiGHS time counted."""
        res = solve(self.inst, objective, **self.opts, **kwargs)
        self.runs, self.highs_s = self.runs + 1, self.highs_s + res.solve_s
        return res

    def y_end(self) -> tuple[_Point, np.ndarray | None]:
        """The least y with x unbounded (no bound row yet), and its solution vector."""
        sol, chk = self._run(self.lp, self.y, self.x0, self.scale)
        if not chk.optimal:
            return _from_result(self.spec, self.inst, self._solve(self.y), self.x), None
        ex = float(self.spec.evaluate(self.inst, chk.plan, self.x).objective)
        return _Point(chk.plan, ex, chk.objective, "optimal", chk.gap, True, True, sol.solve_s,
                      warm=True), sol.x  # fmt: skip

    def x_end(self) -> tuple[float | None, Any]:
        """The least x (greatest when maximised) over y's model, by x's costs in the kept
        model when x's model has the same rows and columns; else, or when the answer fails
        the check, by a full ``solve``. Returns (x's optimum, the plan)."""
        spec, inst, x = self.spec, self.inst, self.x
        self.lp_x = lp_x = spec.formulate(inst, x)
        if _same_feasible_set(self.lp, lp_x):
            _, scale, x0, _ = _prepare(spec, inst, lp_x, x, None)
            self.kept.use_objective(lp_x, scale)
            _, chk = self._run(lp_x, x, x0, scale)
            self.kept.use_objective(self.lp, self.scale)
            if chk.optimal:
                return chk.objective, chk.plan
        res = self._solve(x)
        return res.objective, res.plan

    def add_bound(self, size_from: float) -> None:
        """x's bound row (``solve.bound_objectives``, scaled by 1/|size_from|) appended to the
        model here and in HiGHS; its bound is set per point."""
        bound_objectives(self.spec, self.inst, self.lp, self.y, {self.x: float(size_from)},
                         {self.x: self.lp_x} if self.lp_x is not None else None)  # fmt: skip
        self.row = self.kept.add_rows(self.lp.families[f"bound_{self.x}"])

    def at(self, eps: float, start) -> tuple[_Point, np.ndarray | None]:  # noqa: ANN001
        """The least y with x within ``eps``: one run from ``start``, checked (``_run``); if
        it still fails the check, a full ``solve(..., bounds={x: eps})``."""
        offset, size = self.lp.meta["bound_rows"][self.x]
        rhs = (eps - offset) / size
        lower, upper = (-np.inf, rhs) if self.spec.sense(self.x) == "min" else (rhs, np.inf)
        self.kept.set_row_bounds(self.row, lower, upper)
        self.lp.meta["bounds"][self.x] = eps
        sol, chk = self._run(self.lp, self.y, start, self.scale)
        if chk.optimal:
            return _Point(chk.plan, chk.bounded[self.x], chk.objective, "optimal", chk.gap,
                          True, True, sol.solve_s, warm=True), sol.x  # fmt: skip
        res = self._solve(self.y, bounds={self.x: eps})
        return _from_result(self.spec, self.inst, res, self.x), None


def _warm_points(warm: _Warm, eps: np.ndarray, y_end: _Point, start):  # noqa: ANN001, ANN202
    """(index, point) from the loosest ε to the tightest (the y-optimum end first).

    A point is **carried** when the last optimal point's plan P (optimal at a looser ε')
    meets this ε (evaluated x ≤ ε, or ≥ for a maximised x, by ``_meets``): the plans allowed
    at ε are a subset of those allowed at ε' and still contain P, so P is optimal at ε with
    the same dual bound, hence the same gap; no HiGHS run. Otherwise one run of the kept
    model, from the previous answer's solution."""
    sense, source = warm.spec.sense(warm.x), (y_end if y_end.optimal else None)
    for k in range(len(eps) - 1, -1, -1):
        e = float(eps[k])
        if source is not None and _meets(source.x, e, sense):
            yield k, replace(source, carried=True, solve_s=0.0, warm=True)
            continue
        point, x_vec = warm.at(e, start)
        if point.optimal:
            source = point
        if x_vec is not None:
            start = x_vec
        yield k, point


def _dominance(front: pd.DataFrame, hx: float, hy: float, sx: str, sy: str) -> tuple[bool, float]:
    """(a front point dominates (hx, hy): no worse in both objectives and better in one; the
    excess of hy over the best front y at no more x, in %), in the objectives' senses (``sx``,
    ``sy``: "min" or "max"); relative tolerance 1e-9."""
    gx, gy = (1.0 if sx == "min" else -1.0), (1.0 if sy == "min" else -1.0)
    fx, fy = gx * front["x"].to_numpy(float), gy * front["y"].to_numpy(float)
    px, py = gx * hx, gy * hy
    tx, ty = 1e-9 * max(abs(hx), 1e-12), 1e-9 * max(abs(hy), 1e-12)
    no_worse = (fx <= px + tx) & (fy <= py + ty)
    better = (fx < px - tx) | (fy < py - ty)
    dominated = bool((no_worse & better).any())
    at_most_x = fx <= px + tx
    if not at_most_x.any():
        return dominated, math.nan
    best = fy[at_most_x].min() * gy
    excess = 100.0 * gy * (hy - best) / abs(best) if best != 0 else math.nan
    return dominated, float(excess)


class _Status:
    """The progress line's figures: seconds per point, points carried, the best y so far."""

    def __init__(self, sense: str) -> None:
        self.t0, self.done, self.carried, self.sense = time.perf_counter(), 0, 0, sense
        self.best: float | None = None

    def __call__(self, item: tuple[int, _Point]) -> dict:
        point = item[1]
        self.done += 1
        self.carried += point.carried
        if point.feasible and math.isfinite(point.y):
            better = self.best is None or (
                point.y < self.best if self.sense == "min" else point.y > self.best
            )
            self.best = point.y if better else self.best
        out = {"s/point": f"{(time.perf_counter() - self.t0) / self.done:.2f}"}
        if self.carried:
            out["carried"] = self.carried
        if self.best is not None:
            out["best y"] = f"{self.best:.4g}"
        return out


def _row(point: _Point, eps: float) -> dict[str, Any]:
    return {"kind": "front", "method": "milp", "epsilon": eps, "x": point.x, "y": point.y,
            "status": point.status, "gap": point.gap, "feasible": point.feasible,
            "solve_s": point.solve_s, "warm": point.warm, "carried": point.carried}  # fmt: skip


def _front(spec, inst, x: str, y: str, points: int, warm: bool, opts: dict, progress: bool):  # noqa: ANN001, ANN202
    """The front's rows in ε order, and (HiGHS runs, seconds in them), the ends included
    (a fallback ``solve`` counts as one run)."""
    if not warm:
        best_x, best_y = solve(inst, x, **opts), solve(inst, y, **opts)
        if best_x.plan is None or best_y.plan is None:
            raise ValueError(f"no feasible plan to start the front from ({best_x.termination})")
        hi = spec.evaluate(inst, best_y.plan, x).objective
        eps = np.linspace(best_x.objective, hi, points)
        items = ((k, _from_result(spec, inst, solve(inst, y, bounds={x: float(e)}, **opts), x))
                 for k, e in enumerate(eps))  # fmt: skip
        found = dict(bar_with(items, "points", progress, points, _Status(spec.sense(y))))
        highs_s = best_x.solve_s + best_y.solve_s + sum(p.solve_s for p in found.values())
        return [_row(found[k], float(e)) for k, e in enumerate(eps)], (points + 2, highs_s)
    w = _Warm(spec, inst, x, y, opts)
    try:
        y_end, start = w.y_end()
        lo, x_plan = w.x_end()
        if y_end.plan is None or x_plan is None:
            raise ValueError(f"no feasible plan to start the front from ({y_end.status})")
        eps = np.linspace(lo, y_end.x, points)
        w.add_bound(lo)
        items = _warm_points(w, eps, y_end, start)
        found = dict(bar_with(items, "points", progress, points, _Status(spec.sense(y))))
    finally:
        w.kept.close()
    return [_row(found[k], float(e)) for k, e in enumerate(eps)], (w.runs, w.highs_s)


def pareto(
    instance: Any,
    x: str = "latency",
    y: str = "carbon",
    points: int = 11,
    *,
    methods: list[str] | None = None,
    time_limit: float | None = 60.0,
    threads: int | None = 1,
    warm: bool = True,
    mip_rel_gap: float = DEFAULT_MIP_GAP,
    progress: bool = False,
) -> pd.DataFrame:
    """The exact y–x front of ``instance`` at ``points`` values of ε, and the heuristics'
    points (module docstring). One tidy DataFrame, columns ``x_objective`` and ``y_objective``
    naming x and y on every row; ``attrs``: x, y, instance, ``highs_runs`` (HiGHS runs, both
    ends included; a fallback ``solve`` counts one) and ``highs_s`` (seconds in them).

    ``warm`` (default): one model kept in HiGHS for both ends and every point, points carried
    where the last optimum still meets the bound (``_warm_points``); else a full ``solve`` per
    point and per end. ``progress``: one stderr line (points done and left, seconds per
    point, points carried, the best y so far)."""
    spec = spec_for(instance)
    if not isinstance(points, int) or not 2 <= points <= MAX_POINTS:
        raise ValueError(f"points must be an int in [2, {MAX_POINTS}], got {points!r}")
    for name in (x, y):
        spec.check_objective(name)
    opts = dict(time_limit=time_limit, threads=threads, mip_rel_gap=mip_rel_gap)
    rows, (runs, highs_s) = _front(spec, instance, x, y, points, warm, opts, progress)
    ok = pd.DataFrame(rows)
    ok = ok[ok["feasible"]]
    available = spec.methods_for(instance)
    for name in methods if methods is not None else list(available):
        try:
            plan = available[name](instance, objective=y)
        except NotApplicable:
            continue
        hx = spec.evaluate(instance, plan, x).objective
        ev = spec.evaluate(instance, plan, y)
        dom, excess = _dominance(ok, hx, ev.objective, spec.sense(x), spec.sense(y))
        rows.append({"kind": "heuristic", "method": name, "epsilon": None, "x": hx,
                     "y": ev.objective, "status": "heuristic", "gap": None,
                     "feasible": ev.feasible, "dominated": dom, "excess_pct": excess})  # fmt: skip
    df = pd.DataFrame(rows)
    df["x_objective"], df["y_objective"] = x, y
    df.attrs.update(x=x, y=y, instance=getattr(instance, "name", ""), highs_runs=runs,
                    highs_s=highs_s)  # fmt: skip
    return df
