"""Infeasibility analysis: an elastic re-solve that names the constraint families to relax.

Cheap, problem-specific pre-checks come first (each family's ``precheck``); for a model HiGHS
proves infeasible, :func:`elastic_analysis` adds a non-negative slack to every row of the
families marked ``elastic`` and minimises total slack. Slack is in each row's own units (as
scaled by the model: GPUs, fractions of a device's memory, fractions of an SLO); each family's
``explain`` turns it into words and the user's units.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .highs import solve_lp
from .lp import LinearProgram
from .results import SolverOptions


@dataclass
class ElasticReport:
    """Slack each constraint family needed: family -> [(row label, amount), ...].

    ``values`` holds the elastic solution of the original variable blocks (name -> array), so a
    problem can say which of its entities sit on the rows that had to give.
    """

    total: float
    by_family: dict[str, list[tuple[Any, float]]]
    values: dict[str, np.ndarray] = field(default_factory=dict)


def elastic_analysis(lp: LinearProgram, options: SolverOptions) -> ElasticReport | None:
    """Re-solve with a non-negative slack on every elastic row, minimising total slack.

    Rows that need slack > 1e-6 are the ones whose constraint family must be relaxed, by that
    amount (in the row's own units), for the instance to become feasible.
    """
    el = LinearProgram(name=lp.name + "_elastic", sense="min")
    for b in lp.vars.values():
        el.add_vars(b.name, b.labels, lower=b.lower, upper=b.upper, integer=b.integer, cost=0.0)
    slack_blocks: list[tuple[str, Any, int]] = []
    for fam in lp.families.values():
        rows, cols, vals = fam.rows, fam.cols, fam.vals
        if fam.elastic:
            extra_r, extra_c, extra_v = [], [], []
            for side, mask, sign in (
                ("under", np.isfinite(fam.lower), 1.0),
                ("over", np.isfinite(fam.upper), -1.0),
            ):
                idx = np.flatnonzero(mask)
                if len(idx) == 0:
                    continue
                blk = el.add_vars(
                    f"slack_{fam.name}_{side}", [fam.labels[i] for i in idx], cost=1.0
                )
                extra_r.append(idx)
                extra_c.append(blk.cols)
                extra_v.append(np.full(len(idx), sign))
                slack_blocks.append((fam.name, blk.name, 0))
            if extra_r:
                rows = np.concatenate([rows, *extra_r])
                cols = np.concatenate([cols, *extra_c])
                vals = np.concatenate([vals, *extra_v])
        el.add_rows(fam.name, fam.labels, rows, cols, vals, lower=fam.lower, upper=fam.upper)
    sol = solve_lp(
        el, SolverOptions(time_limit=options.time_limit or 60.0, threads=options.threads)
    )
    if sol.x is None:
        return None
    by_family: dict[str, list[tuple[Any, float]]] = {}
    for fam_name, block_name, _ in slack_blocks:
        blk = el.vars[block_name]
        vals_ = el.values(sol.x, block_name)
        for lab, v in zip(blk.labels, vals_):
            if v > 1e-6:
                by_family.setdefault(fam_name, []).append((lab, float(v)))
    values = {name: el.values(sol.x, name) for name in lp.vars}
    return ElasticReport(total=float(sol.objective or 0.0), by_family=by_family, values=values)
