"""Result types of the solve layer: solver options, what HiGHS returned, what ecoopt reports.

Two axes, as in Pyomo's ``contrib.solver``: ``termination`` says why the solver stopped,
``solution_status`` says what the returned plan is (``none``, ``feasible``, ``optimal``).
``optimal`` is a claim ecoopt checks (``ecoopt.verify``), never one it relays: a Result cannot be
built with ``solution_status="optimal"`` unless its gap is within the gap that was asked for.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import InfeasibleError, NotOptimalError
from .tolerance import REL

INFEASIBLE = ("infeasible", "infeasible_or_unbounded")

#: the phases of a solve, as ``Result.timings`` names them (the last is their sum)
TIMING_KEYS = ("precheck_s", "build_s", "handoff_s", "solve_s", "check_s", "total_s")


#: the name of the exact method's row and plan everywhere (compare, simulate, plans, outputs)
MILP = "milp"

#: relative MIP gap every entry point defaults to (``solve``, ``compare``, ``simulate``, CLI):
#: HiGHS's own default, and Gurobi's and CPLEX's
DEFAULT_MIP_GAP = 1e-4


@dataclass
class SolverOptions:
    """Solver-neutral options; ``solver_options`` passes raw HiGHS options through unchanged."""

    time_limit: float | None = None
    mip_rel_gap: float = DEFAULT_MIP_GAP
    threads: int | None = 1
    seed: int = 0
    solver_options: dict[str, Any] = field(default_factory=dict)
    #: show elapsed time, incumbent, bound and gap on stderr while the MILP runs
    progress: bool = False
    #: echo HiGHS's log on stderr as it runs (``Result.log`` keeps it either way)
    verbose: bool = False


@dataclass
class LPSolution:
    """What HiGHS returned for one LinearProgram (objective and bound in the model's units)."""

    termination: str
    solution_status: str  # "none" | "feasible" | "optimal" (as HiGHS claims it)
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    gap: float | None
    handoff_s: float
    solve_s: float
    log: str
    nodes: int = 0
    #: seconds of ``solve_s`` spent on an LP relaxation solved for a bound after an early stop
    bound_s: float = 0.0


def allowed_gap(mip_rel_gap: float) -> float:
    """The largest true relative gap that may be called optimal: the gap asked for, or REL."""
    return max(float(mip_rel_gap), REL)


@dataclass
class Result:
    """The outcome of one exact solve.

    Attributes
    ----------
    termination : why the solver stopped (``optimal``, ``time_limit``, ``infeasible``,
        ``not_verified`` when the solver's answer failed ecoopt's check twice ...).
    solution_status : ``none``, ``feasible`` (an incumbent) or ``optimal`` (proven and checked).
    objective, bound, gap : the evaluator's value of the plan, the best proven bound, and the
        true relative gap ``|objective − bound| / |objective|``.
    mip_rel_gap : the relative gap that was asked for; ``optimal`` implies gap ≤ it (or 1e-9).
    precheck_s, build_s, handoff_s, solve_s, check_s : seconds of the problem's cheap
        pre-check, to formulate (and, on the Pyomo route, to build the Pyomo model), to hand
        the model to the solver and read its answer back, the solver's own run time (all
        attempts), and ecoopt's checking (the reference heuristic and the evaluator's
        verdicts); ``total_s`` is their sum and ``timings`` all six by name, the same keys on
        every route (``ecoopt.highs.solve_lp`` and ``ecoopt.pyomo_adapter.solve_lp_pyomo`` say
        what each route measures).
    plan, metrics : the extracted decision and its metrics from the independent evaluator.
    explanation : for infeasible instances, which constraint families conflict, in words.
    notes : what the check found and did (a re-solve, a fallback, a time-limit overrun).
    """

    problem: str
    objective_name: str
    sense: str
    termination: str
    solution_status: str
    objective: float | None
    bound: float | None
    gap: float | None
    build_s: float
    handoff_s: float
    solve_s: float
    solver: str
    interface: str
    num_vars: int
    num_constraints: int
    mip_rel_gap: float = DEFAULT_MIP_GAP
    check_s: float = 0.0
    precheck_s: float = 0.0
    plan: Any = None
    metrics: dict[str, Any] | None = None
    explanation: str | None = None
    notes: list[str] = field(default_factory=list)
    log: str = ""

    def __post_init__(self) -> None:
        if self.solution_status == "optimal" and (
            self.gap is None or self.gap > allowed_gap(self.mip_rel_gap)
        ):
            raise RuntimeError(  # a bug in ecoopt, never a user error
                f"internal: 'optimal' with gap {self.gap} > asked {self.mip_rel_gap}"
            )

    @property
    def optimal(self) -> bool:
        return self.solution_status == "optimal"

    @property
    def total_s(self) -> float:
        return self.precheck_s + self.build_s + self.handoff_s + self.solve_s + self.check_s

    @property
    def timings(self) -> dict[str, float]:
        """Seconds by phase: ``TIMING_KEYS``, in that order, on every route."""
        return {key: float(getattr(self, key)) for key in TIMING_KEYS}

    def require_optimal(self) -> Result:
        """Return self if optimality is proven, else raise a specific, actionable error."""
        if self.termination in INFEASIBLE:
            raise InfeasibleError(self.explanation or "the model is infeasible")
        if not self.optimal:
            what = (
                f"incumbent {self.objective:.6g}, bound {self.bound:.6g}, "
                f"gap {100 * self.gap:.3g} %"
                if self.objective is not None and self.bound is not None and self.gap is not None
                else "no verified optimal plan"
            )
            why = f" ({'; '.join(self.notes)})" if self.notes else ""
            raise NotOptimalError(
                f"solver stopped with termination '{self.termination}' ({what}){why}; "
                "raise time_limit, loosen mip_rel_gap, or pass warm_start= a heuristic plan"
            )
        return self

    def summary(self) -> str:
        obj = "-" if self.objective is None else f"{self.objective:.6g}"
        bound = "-" if self.bound is None else f"{self.bound:.6g}"
        gap = "-" if self.gap is None else f"{100 * self.gap:.4g} %"
        lines = [
            f"{self.problem} / {self.objective_name} ({self.sense}): {self.termination}, "
            f"solution {self.solution_status}",
            f"objective {obj}   bound {bound}   gap {gap}",
            f"build {self.build_s:.3f} s   hand-off {self.handoff_s:.3f} s   "
            f"{self.solver} {self.solve_s:.3f} s   check {self.check_s:.3f} s   "
            f"({self.num_vars} vars, "
            f"{self.num_constraints} rows, via {self.interface})",
        ]
        if self.explanation:
            lines.append(self.explanation)
        lines.extend(f"note: {n}" for n in self.notes)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        keys = (
            "problem objective_name sense termination solution_status objective bound gap "
            "mip_rel_gap precheck_s build_s handoff_s solve_s check_s solver interface num_vars "
            "num_constraints explanation notes"
        ).split()
        out = {k: getattr(self, k) for k in keys}
        out["plan"] = self.plan.to_dict() if self.plan is not None else None
        out["metrics"] = self.metrics
        return out
