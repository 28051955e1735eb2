"""Run the MILP and every heuristic on an instance; one DataFrame row per method."""

from __future__ import annotations

import math
import time
from typing import Any

import pandas as pd

from .errors import NotApplicable
from .problems import spec_for
from .progress import bar
from .results import DEFAULT_MIP_GAP, MILP
from .solve import solve


def gap_pct(value: float, reference: float | None, sense: str) -> float:
    """Percent by which ``value`` is worse than ``reference`` (≥ 0 when worse, either sense)."""
    if reference is None or value is None or not math.isfinite(value):
        return math.nan
    diff = value - reference if sense == "min" else reference - value
    if reference == 0:  # no absolute floor: tiny objectives (grams per layer) are real
        return 0.0 if diff == 0 else math.copysign(math.inf, diff)
    return 100.0 * diff / abs(reference)


def compare(
    instance: Any,
    objective: str | None = None,
    *,
    methods: list[str] | None = None,
    time_limit: float | None = 60.0,
    mip_rel_gap: float = DEFAULT_MIP_GAP,
    threads: int | None = 1,
    progress: bool = False,
    solver: str = "highs",
) -> pd.DataFrame:
    """The exact MILP next to every heuristic, all judged by the same independent evaluator.

    Columns: ``method, objective, feasible, gap_pct, runtime_s, status, violations`` then the
    problem's metrics; ``df.attrs["plans"]`` maps each method to its plan. ``gap_pct`` is
    relative to the MILP optimum, or to its bound when the MILP is not proven optimal (so it
    over-states, never under-states, a heuristic's gap). ``threads`` is HiGHS's; ``progress``
    shows the MILP's figures and a bar over the methods on stderr; ``solver`` as in ``solve``.
    """
    spec = spec_for(instance)
    objective = objective or instance.objective
    spec.check_objective(objective)
    sense = spec.sense(objective)
    available = spec.methods_for(instance)
    names = methods if methods is not None else list(available)
    unknown = [m for m in names if m not in available]
    if unknown:
        raise ValueError(f"unknown method(s) {unknown}; choose from {list(available)}")

    res = solve(
        instance,
        objective,
        time_limit=time_limit,
        mip_rel_gap=mip_rel_gap,
        threads=threads,
        progress=progress,
        solver=solver,
    )
    reference = res.objective if res.optimal else res.bound
    rows: list[dict[str, Any]] = [result_row(res)]
    plans: dict[str, Any] = {MILP: res.plan}
    for name in bar(names, "heuristics", progress):
        found = _heuristic_row(spec, instance, name, available[name], objective, reference)
        if found is not None:  # None: the method does not apply (the chain DP on a DAG)
            rows.append(found[0])
            plans[name] = found[1]
    df = pd.DataFrame(rows)
    df.attrs.update(objective=objective, sense=sense, instance=getattr(instance, "name", ""))
    df.attrs["plans"] = plans  # method -> plan (None when the MILP found none)
    return df


def _heuristic_row(spec, instance, name, method, objective, reference):  # noqa: ANN001, ANN202
    """(row, plan) of one heuristic judged by the evaluator, or None when it does not apply."""
    t0 = time.perf_counter()
    try:
        plan = method(instance, objective=objective)
    except NotApplicable:
        return None
    runtime = time.perf_counter() - t0
    ev = spec.evaluate(instance, plan, objective)
    row = {
        "method": name,
        "objective": ev.objective,
        "feasible": ev.feasible,
        "gap_pct": gap_pct(ev.objective, reference, spec.sense(objective)),
        "runtime_s": runtime,
        "status": "; ".join(plan.notes) if plan.notes else "heuristic",
        "violations": "; ".join(ev.violations),
        **ev.metrics,
    }
    return row, plan


def result_row(res: Any) -> dict[str, Any]:
    """A solve's :class:`~ecoopt.results.Result` as one row of the compare schema."""
    row: dict[str, Any] = {
        "method": MILP,
        "objective": res.objective if res.objective is not None else math.nan,
        "feasible": bool(res.metrics["feasible"]) if res.metrics else False,
        "gap_pct": 100.0 * res.gap if res.gap is not None else math.nan,
        "runtime_s": res.total_s,
        "status": res.termination,
        "violations": "" if res.metrics else (res.explanation or ""),
    }
    if res.metrics:
        skip = ("objective", "feasible", "violations")
        row.update({k: v for k, v in res.metrics.items() if k not in skip})
    return row
