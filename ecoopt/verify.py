"""The check on every solve: "optimal" is a claim ecoopt proves, then checks.

After HiGHS returns, the plan its solution encodes is rounded to its integer decision and
judged by the problem's independent evaluator. The answer may be called optimal only when

1. the plan is feasible under the evaluator (``ecoopt.tolerance``'s rule, not HiGHS's slack);
2. the model's objective at that plan's integral point equals the evaluator's (``agree``):
   the formulation and the evaluator price the plan the same;
3. HiGHS's bound is consistent: not beyond the value of a feasible plan;
4. the true relative gap |objective − bound| / |objective| is within the ``mip_rel_gap`` asked
   (or 1e-9 when 0 was asked: float noise).

``solve`` re-solves once with tightened tolerances when a check fails, then reports what it has
(``feasible`` with the true gap and a note naming the cause, or the reference heuristic's plan
when the solver's own plan breaks a constraint).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .highs import relative_gap
from .lp import LinearProgram
from .results import LPSolution, allowed_gap
from .tolerance import REL, agree


@dataclass
class Check:
    """One solver answer, judged: the plan, its evaluation and what stops it being optimal."""

    solution: LPSolution
    plan: Any = None
    evaluation: Any = None
    model_objective: float | None = None
    gap: float | None = None
    bound_valid: bool = True
    problems: list[str] = field(default_factory=list)
    #: the plan's evaluated value of each bounded objective (``lp.meta["bounds"]``)
    bounded: dict[str, float] = field(default_factory=dict)

    @property
    def feasible(self) -> bool:
        return self.evaluation is not None and bool(self.evaluation.feasible)

    @property
    def objective(self) -> float | None:
        return None if self.evaluation is None else float(self.evaluation.objective)

    @property
    def optimal(self) -> bool:
        return self.solution.termination == "optimal" and self.feasible and not self.problems


def check(
    spec: Any,
    instance: Any,
    lp: LinearProgram,
    objective: str,
    sol: LPSolution,
    mip_rel_gap: float,
    scale: float,
) -> Check:
    """Judge ``sol`` (see the module docstring); ``scale`` is the objective's typical size."""
    out = Check(sol)
    if sol.x is None:
        if sol.termination == "optimal":
            out.problems.append("HiGHS reported optimal without a solution")
        return out
    out.plan = spec.plan_from_x(instance, lp, sol.x)
    out.evaluation = ev = spec.evaluate(instance, out.plan, objective)
    if not ev.feasible:
        out.problems.append("its plan breaks " + "; ".join(ev.violations[:3]))
        return out
    for name, eps in lp.meta.get("bounds", {}).items():  # solve(..., bounds=...)
        value = out.bounded[name] = float(spec.evaluate(instance, out.plan, name).objective)
        slack = 1e-5 * max(abs(eps), abs(value)) + 1e-12
        broken = value > eps + slack if spec.sense(name) == "min" else value < eps - slack
        if broken:
            out.problems.append(f"its plan's {name} is {value:.10g}, beyond the bound {eps:.10g}")
            return out
    x_plan = spec.plan_to_x(instance, lp, out.plan)
    if x_plan is None:
        out.problems.append("its plan is not a point of the model")
    else:
        out.model_objective = lp.objective_value(x_plan)
        if not agree(out.model_objective, ev.objective, scale):
            out.problems.append(
                f"the model values its plan at {out.model_objective:.10g}, "
                f"the evaluator at {ev.objective:.10g}"
            )
    out.bound_valid = bound_consistent(sol.bound, ev.objective, lp.sense, scale)
    if not out.bound_valid:
        out.problems.append(
            f"HiGHS's bound {sol.bound:.10g} lies beyond a feasible plan's {ev.objective:.10g}"
        )
    out.gap = relative_gap(ev.objective, sol.bound) if out.bound_valid else None
    if sol.termination == "optimal" and (out.gap is None or out.gap > allowed_gap(mip_rel_gap)):
        shown = "unknown" if out.gap is None else f"{out.gap:.3g}"
        out.problems.append(f"the true gap {shown} is above the {mip_rel_gap:.3g} asked")
    return out


def bound_consistent(bound: float | None, value: float, sense: str, scale: float) -> bool:
    """A bound may not be better than a feasible plan's value (beyond REL of the scale)."""
    if bound is None:
        return True
    slack = REL * max(abs(value), abs(scale))
    return bound <= value + slack if sense == "min" else bound >= value - slack


def better(a: Check, b: Check, sense: str) -> Check:
    """The check with the better feasible plan (a on ties; a feasible plan beats none)."""
    if not b.feasible:
        return a
    if not a.feasible:
        return b
    if a.optimal != b.optimal:
        return a if a.optimal else b
    worse = b.objective > a.objective if sense == "min" else b.objective < a.objective
    return a if worse or b.objective == a.objective else b
