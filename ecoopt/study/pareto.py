"""Exact Pareto fronts by the ε-constraint method, with every heuristic's point beside them.

``pareto(inst, x="latency", y="carbon", points=11)``: first the two ends — the least x (its
optimum) and the least y, whose plan's x is the other end of the range — then, for ε stepped
evenly across [x_min, x at the y-optimum], the least y subject to x ≤ ε (x ≥ ε for a maximised
x), each by ``ecoopt.solve(..., bounds={x: ε})``: HiGHS to proven optimality (or its gap at
the time limit), every plan checked by the evaluator against the bound too. Rows of kind
``front`` carry ε, the plan's evaluated x and y, the solve's status and gap; rows of kind
``heuristic`` carry each heuristic's evaluated x and y, its feasibility, whether a front point
dominates it (no worse in both, better in one) and ``excess_pct``: how much more y it spends
than the front at no more x. Which objectives can be bounded depends on the family's models
(``ecoopt.solve.boundable``): partition bounds carbon, latency and weighted but not period;
routing every objective but latency_max; gpushare and provisioning all of theirs.
"""

from __future__ import annotations

import math
from typing import Any

import numpy as np
import pandas as pd

from ..errors import NotApplicable
from ..highs import solve_row_sweep
from ..lp import objective_scale
from ..problems import spec_for
from ..results import DEFAULT_MIP_GAP, SolverOptions
from ..solve import bound_objectives, solve
from ..verify import check

MAX_POINTS = 1_000


def _front_row(spec, inst, res, x: str, y: str, eps: float | None) -> dict[str, Any]:  # noqa: ANN001
    ex = spec.evaluate(inst, res.plan, x).objective if res.plan is not None else math.nan
    return {"kind": "front", "method": "milp", "epsilon": eps, "x": ex, "y": res.objective,
            "status": res.termination, "gap": res.gap, "feasible": res.optimal or
            res.solution_status == "feasible"}  # fmt: skip


def _warm_front(spec, inst, x: str, y: str, eps: np.ndarray, best_x, best_y, opts) -> list:  # noqa: ANN001
    """The front's points by warm re-solves of one model (``highs.solve_row_sweep``): y's
    model with x's bound row, only that row's bound changed from point to point, each run
    started from the last; every answer goes through the same check as ``solve``'s, and a
    point whose answer fails it is solved again from scratch by ``solve``."""
    lp = spec.formulate(inst, y)
    bound_objectives(spec, inst, lp, y, {x: float(eps[0])})
    offset_x, size = lp.meta["bound_rows"][x]
    row = _row_offset(lp, f"bound_{x}")
    rhs = (eps - offset_x) / size
    bounds = [(-np.inf, r) if spec.sense(x) == "min" else (r, np.inf) for r in rhs]
    cost_scale = objective_scale(lp, best_y.objective)
    options = SolverOptions(
        time_limit=opts["time_limit"], mip_rel_gap=opts["mip_rel_gap"], threads=opts["threads"]
    )
    start = spec.plan_to_x(inst, lp, best_x.plan)
    sols = solve_row_sweep(lp, options, row, bounds, cost_scale=cost_scale, warm_start=start)
    rows = []
    for e, sol in zip(eps, sols):
        lp.meta["bounds"][x] = float(e)
        chk = check(spec, inst, lp, y, sol, opts["mip_rel_gap"], 1.0 / cost_scale)
        if chk.optimal:
            ex = spec.evaluate(inst, chk.plan, x).objective
            rows.append({"kind": "front", "method": "milp", "epsilon": float(e), "x": ex,
                         "y": chk.objective, "status": "optimal", "gap": chk.gap,
                         "feasible": True, "solve_s": sol.solve_s, "warm": True})  # fmt: skip
        else:
            res = solve(inst, y, bounds={x: float(e)}, **opts)
            rows.append({**_front_row(spec, inst, res, x, y, float(e)),
                         "solve_s": res.total_s, "warm": False})  # fmt: skip
    return rows


def _row_offset(lp, family: str) -> int:  # noqa: ANN001
    """The index of the first row of ``family`` in the model's row order."""
    at = 0
    for name, fam in lp.families.items():
        if name == family:
            return at
        at += fam.size
    raise KeyError(family)


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
) -> pd.DataFrame:
    """The exact y–x front of ``instance`` at ``points`` values of ε, and the heuristics'
    points (module docstring). One tidy DataFrame. ``warm`` (default): one model kept in
    HiGHS, only the bound changed between points (``_warm_front``); else a full ``solve`` per
    point."""
    spec = spec_for(instance)
    if not isinstance(points, int) or not 2 <= points <= MAX_POINTS:
        raise ValueError(f"points must be an int in [2, {MAX_POINTS}], got {points!r}")
    for name in (x, y):
        spec.check_objective(name)
    opts = dict(time_limit=time_limit, threads=threads, mip_rel_gap=mip_rel_gap)
    best_x = solve(instance, x, **opts)
    best_y = solve(instance, y, **opts)
    if best_x.plan is None or best_y.plan is None:
        raise ValueError(f"no feasible plan to start the front from ({best_x.termination})")
    lo = best_x.objective
    hi = spec.evaluate(instance, best_y.plan, x).objective
    eps = np.linspace(lo, hi, points)
    if warm:
        rows = _warm_front(spec, instance, x, y, eps, best_x, best_y, opts)
    else:
        rows = [_front_row(spec, instance, solve(instance, y, bounds={x: float(e)}, **opts),
                           x, y, float(e)) for e in eps]  # fmt: skip
    front = pd.DataFrame(rows)
    ok = front[front["feasible"]]
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
    df.attrs.update(x=x, y=y, instance=getattr(instance, "name", ""))
    return df
