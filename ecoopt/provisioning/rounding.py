"""A solve for provisioning instances past the MILP's reach that states its own bound.

``lp_round``: solve the LP relaxation of the MILP (the valid rows ``load_needs_server`` and
``volume_needs_server`` make it tight) and round every server count up: the relaxation's
loads still fit the rounded fleet. The combinatorial choices (an unsplittable class's SKU
and, with Rightsize off, the fleet's one SKU) are first rounded to the relaxation's largest
value and the relaxation solved again. Then the LP is solved once more with the fleet fixed,
for the best dispatch of every class over it. The relaxation's value is a lower bound on the
optimum, so the plan's gap to the optimum is at most (plan − bound) / plan; the plan's notes
say both. Two or three LP solves and no branching, for sizes where the MILP stops at its
time limit with a weak bound.
"""

from __future__ import annotations

import numpy as np

from ..highs import _set, _threads, new_highs
from ..lp import LinearProgram, objective_scale, pass_to_highs
from .evaluate import Plan, evaluate
from .instance import ProvisioningInstance
from .model import formulate


def _solve_relaxed(lp: LinearProgram, time_limit: float) -> tuple[np.ndarray, float] | None:
    """(x, objective in model units) of the LP relaxation of ``lp``, or None."""
    import highspy

    scale = objective_scale(lp)
    h = new_highs()
    _set(h, "output_flag", False)
    _set(h, "time_limit", float(time_limit))
    _threads(h, 1)
    if pass_to_highs(h, lp, scale, relax=True) == highspy.HighsStatus.kError:
        return None
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    col = h.getSolution().col_value
    return np.fromiter(
        col, dtype=float, count=len(col)
    ), h.getInfo().objective_function_value / scale


def _fix_choices(lp: LinearProgram, x: np.ndarray) -> bool:
    """Round the relaxation's binaries: each unsplittable class's SKU (``choose``) and, with
    Rightsize off, the fleet's one SKU (``pick``) to the largest fractional value. False if
    the model has none."""
    fixed = False
    if "choose" in lp.vars:
        block, wc = lp.vars["choose"], lp.meta["index"]["wc"]
        value = lp.values(x, "choose")
        on = np.zeros(block.size)
        for c in np.unique(wc):
            mine = np.flatnonzero(wc == c)
            on[mine[np.argmax(value[mine])]] = 1.0
        block.lower[:], block.upper[:] = on, on
        fixed = True
    if "pick" in lp.vars:
        block = lp.vars["pick"]
        on = np.zeros(block.size)
        on[np.argmax(lp.values(x, "pick"))] = 1.0
        block.lower[:], block.upper[:] = on, on
        fixed = True
    return fixed


def _fix_fleet(lp: LinearProgram, servers: np.ndarray, kept: np.ndarray) -> None:
    for name, n in (("servers", servers), ("kept", kept)):
        block = lp.vars[name]
        block.lower[:] = n
        block.upper[:] = n


def _plan(inst: ProvisioningInstance, lp: LinearProgram, x: np.ndarray, servers, kept) -> Plan:
    """The plan of ``x`` with the fleet ``servers``, ``kept`` (whole counts)."""
    from . import plan_from_x

    x = x.copy()
    for name, n in (("servers", servers), ("kept", kept)):
        block = lp.vars[name]
        x[block.offset : block.offset + block.size] = n
    plan = plan_from_x(inst, lp, x)
    plan.method = "lp_round"
    return plan


def lp_round(
    inst: ProvisioningInstance, objective: str | None = None, time_limit: float = 600.0
) -> Plan:
    """LP relaxation, servers rounded up, dispatch re-optimised on that fleet (module
    docstring); the notes give the relaxation's bound and the gap it proves.

    Cost: two or three LP solves by HiGHS and no branching: polynomial in the model's size,
    far below the MILP where the MILP is hard (``benchmarks/provisioning_scale.py``).

    Misses: integer fleets the rounding cannot reach: every server count is rounded up, so
    its plan can carry spare servers; its gap is at most the one its notes prove."""
    objective = objective or inst.objective
    lp = formulate(inst, objective)
    relaxed = _solve_relaxed(lp, time_limit)
    d = inst.data
    if relaxed is None:
        empty = Plan(
            "lp_round", {}, {}, np.zeros((d.C, d.S, d.T)), np.zeros((d.C, len(d.host_names), d.T))
        )
        empty.notes.append("the LP relaxation did not solve within the time limit")
        return empty
    x, bound = relaxed
    if _fix_choices(lp, x):
        again = _solve_relaxed(lp, time_limit)
        x = again[0] if again is not None else x
    servers = np.ceil(lp.values(x, "servers") - 1e-6).astype(np.int64)
    kept = np.minimum(np.ceil(lp.values(x, "kept") - 1e-6), lp.vars["kept"].upper).astype(np.int64)
    plan = _plan(inst, lp, x, servers, kept)
    _fix_fleet(lp, servers, kept)
    again = _solve_relaxed(lp, time_limit)
    if again is not None:
        plan = _plan(inst, lp, again[0], servers, kept)
    value = evaluate(inst, plan, objective).objective
    gap = 100.0 * (value - bound) / abs(value) if value else 0.0
    plan.bound = bound
    plan.notes.append(f"LP bound {bound:.6g}: within {gap:.3g} % of the optimum")
    return plan
