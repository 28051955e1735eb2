"""The one HiGHS adapter: options, status translation, timings, infeasibility analysis, ``Result``.

``solve(instance, ...)`` formulates the instance's problem as a :class:`~ecoopt.lp.LinearProgram`,
hands it to HiGHS in one ``passModel`` call (or through Pyomo with ``interface="pyomo"``), and
returns a :class:`Result`. Nothing here knows a problem's maths: each problem registers a
:class:`~ecoopt.problems.ProblemSpec`.
"""

from __future__ import annotations

import gc
import math
import os
import tempfile
import time
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from .errors import InfeasibleError, NotOptimalError
from .lp import INF, LinearProgram, objective_scale, to_highs, to_pyomo

#: HiGHS model status name -> ecoopt termination (why the solver stopped).
TERMINATION = {
    "kOptimal": "optimal",
    "kInfeasible": "infeasible",
    "kUnboundedOrInfeasible": "infeasible_or_unbounded",
    "kUnbounded": "unbounded",
    "kTimeLimit": "time_limit",
    "kIterationLimit": "iteration_limit",
    "kSolutionLimit": "solution_limit",
    "kInterrupt": "interrupted",
    "kHighsInterrupt": "interrupted",
    "kObjectiveBound": "objective_limit",
    "kObjectiveTarget": "objective_limit",
    "kMemoryLimit": "memory_limit",
    "kModelEmpty": "optimal",
    "kNotset": "error",
    "kLoadError": "error",
    "kModelError": "error",
    "kPresolveError": "error",
    "kSolveError": "error",
    "kPostsolveError": "error",
    "kUnknown": "unknown",
}


@dataclass
class SolverOptions:
    """Solver-neutral options; ``solver_options`` passes raw HiGHS options through unchanged."""

    time_limit: float | None = None
    mip_rel_gap: float = 1e-4
    threads: int | None = 1
    seed: int = 0
    solver_options: dict[str, Any] = field(default_factory=dict)


@dataclass
class LPSolution:
    """What HiGHS returned for one LinearProgram."""

    termination: str
    solution_status: str  # "none" | "feasible" | "optimal"
    x: np.ndarray | None
    objective: float | None
    bound: float | None
    gap: float | None
    handoff_s: float
    solve_s: float
    log: str
    nodes: int = 0


@dataclass
class Result:
    """The outcome of one exact solve.

    Attributes
    ----------
    termination : why the solver stopped (``optimal``, ``time_limit``, ``infeasible`` ...).
    solution_status : ``none``, ``feasible`` (an incumbent) or ``optimal`` (proven).
    objective, bound, gap : incumbent value, best proven bound, relative gap |obj - bound| / |obj|.
    build_s, handoff_s, solve_s : seconds to formulate, to hand the arrays to the solver, and
        HiGHS's own run time.
    plan, metrics : the extracted decision and its metrics from the independent evaluator.
    explanation : for infeasible instances, which constraint families conflict, in words.
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
    plan: Any = None
    metrics: dict[str, Any] | None = None
    explanation: str | None = None
    log: str = ""

    @property
    def optimal(self) -> bool:
        return self.solution_status == "optimal"

    @property
    def total_s(self) -> float:
        return self.build_s + self.handoff_s + self.solve_s

    def require_optimal(self) -> Result:
        """Return self if optimality is proven, else raise a specific, actionable error."""
        if self.termination in ("infeasible", "infeasible_or_unbounded"):
            raise InfeasibleError(self.explanation or "the model is infeasible")
        if not self.optimal:
            what = (
                f"incumbent {self.objective:.6g}, bound {self.bound:.6g}, "
                f"gap {100 * self.gap:.3g} %"
                if self.objective is not None and self.bound is not None and self.gap is not None
                else "no feasible solution found"
            )
            raise NotOptimalError(
                f"solver stopped with termination '{self.termination}' ({what}); "
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
            f"{self.solver} {self.solve_s:.3f} s   ({self.num_vars} vars, "
            f"{self.num_constraints} rows, via {self.interface})",
        ]
        if self.explanation:
            lines.append(self.explanation)
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        keys = (
            "problem objective_name sense termination solution_status objective bound gap "
            "build_s handoff_s solve_s solver interface num_vars num_constraints explanation"
        ).split()
        out = {k: getattr(self, k) for k in keys}
        out["plan"] = self.plan.to_dict() if self.plan is not None else None
        out["metrics"] = self.metrics
        return out


def highs_version() -> str:
    import highspy

    h = highspy.Highs()
    return f"HiGHS {h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


def _relative_gap(obj: float | None, bound: float | None) -> float | None:
    if obj is None or bound is None or not math.isfinite(bound):
        return None
    return abs(obj - bound) / max(abs(obj), 1e-9)


def solve_lp(
    lp: LinearProgram,
    options: SolverOptions,
    warm_start: np.ndarray | None = None,
) -> LPSolution:
    """Solve ``lp`` with HiGHS directly from its numpy arrays; never raises on solver status."""
    import highspy

    t0 = time.perf_counter()
    h = highspy.Highs()
    fd, log_path = tempfile.mkstemp(prefix="ecoopt-highs-", suffix=".log")
    os.close(fd)
    h.setOptionValue("output_flag", True)
    h.setOptionValue("log_to_console", False)
    h.setOptionValue("log_file", log_path)
    h.setOptionValue("mip_rel_gap", float(options.mip_rel_gap))
    h.setOptionValue("random_seed", int(options.seed))
    if options.threads is not None:
        h.setOptionValue("threads", int(options.threads))
    if options.time_limit is not None:
        h.setOptionValue("time_limit", float(options.time_limit))
    for key, value in options.solver_options.items():
        status = h.setOptionValue(key, value)
        if status != highspy.HighsStatus.kOk:
            raise ValueError(f"solver_options: HiGHS rejected option {key}={value!r}")
    scale = objective_scale(lp)
    h.passModel(to_highs(lp, cost_scale=scale))
    if warm_start is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(warm_start, dtype=float).tolist()
        sol.value_valid = True
        h.setSolution(sol)
    handoff = time.perf_counter() - t0

    # A zero time limit is honoured by HiGHS itself: it stops at once, keeping a warm start as
    # its incumbent only if the start is feasible (HiGHS checks it).
    t1 = time.perf_counter()
    h.run()
    run_s = time.perf_counter() - t1
    termination = TERMINATION.get(h.getModelStatus().name, "unknown")
    info = h.getInfo()
    is_mip = any(b.integer for b in lp.vars.values())

    x = None
    objective = None
    if info.primal_solution_status == 2:  # kSolutionStatusFeasible
        x = np.asarray(h.getSolution().col_value, dtype=float)
        objective = lp.objective_value(x)  # exact, in the model's own units

    bound: float | None
    if termination == "optimal":
        bound = float(info.mip_dual_bound) / scale if is_mip else objective
        if bound is not None and not math.isfinite(bound):
            bound = objective
    elif is_mip and math.isfinite(info.mip_dual_bound) and abs(info.mip_dual_bound) < 1e29:
        bound = float(info.mip_dual_bound) / scale
    else:
        bound = None
    bound_note = ""
    if is_mip and termination == "time_limit" and bound is None and x is not None:
        # the LP relaxation gets a budget like the MIP's own: at least 1 s, at most 10 s
        bound = _relaxation_bound(lp, min(10.0, max(1.0, options.time_limit or 0.0)))
        bound_note = "bound from the LP relaxation (HiGHS had none when the limit hit)"
    if termination == "optimal":
        solution_status = "optimal"
    elif x is not None:
        solution_status = "feasible"
    else:
        solution_status = "none"
    try:
        with open(log_path) as fh:
            log = fh.read()
    finally:
        os.unlink(log_path)
    return LPSolution(
        termination=termination,
        solution_status=solution_status,
        x=x,
        objective=objective,
        bound=bound,
        gap=_relative_gap(objective, bound),  # the true gap, also when "optimal" within tolerance
        handoff_s=handoff,
        solve_s=run_s,
        log=log + (f"\necoopt: {bound_note}\n" if bound_note else ""),
        nodes=int(info.mip_node_count) if is_mip else 0,
    )


def _relaxation_bound(lp: LinearProgram, seconds: float = 10.0) -> float | None:
    """Objective of the LP relaxation: a valid bound when HiGHS stopped before finding one."""
    import highspy

    h = highspy.Highs()
    h.setOptionValue("output_flag", False)
    h.setOptionValue("time_limit", seconds)
    model = to_highs(lp)
    model.integrality_ = []
    h.passModel(model)
    h.run()
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return float(h.getInfo().objective_function_value)


def solve_lp_pyomo(lp: LinearProgram, options: SolverOptions) -> tuple[LPSolution, float]:
    """Solve ``lp`` through Pyomo's HiGHS interface; returns the solution and the Pyomo build time.

    Used to cross-check the direct path (tests) and to measure it (benchmarks).
    """
    import pyomo.environ as pyo

    t0 = time.perf_counter()
    gc_was = gc.isenabled()
    gc.disable()  # halves Pyomo build time on large models (measured, see performance notes)
    try:
        m = to_pyomo(lp)
    finally:
        if gc_was:
            gc.enable()
    build = time.perf_counter() - t0
    opt = pyo.SolverFactory("appsi_highs")
    opt.config.load_solution = False
    opt.config.stream_solver = False
    opt.highs_options = {"mip_rel_gap": options.mip_rel_gap, "random_seed": options.seed}
    if options.threads is not None:
        opt.highs_options["threads"] = options.threads
    if options.time_limit is not None:
        opt.config.time_limit = max(options.time_limit, 1e-3)
    t1 = time.perf_counter()
    res = opt.solve(m)
    elapsed = time.perf_counter() - t1
    tc = str(res.solver.termination_condition)
    termination = {
        "optimal": "optimal",
        "infeasible": "infeasible",
        "maxTimeLimit": "time_limit",
    }.get(tc, "unknown")
    x = None
    objective = None
    if termination == "optimal":
        opt.load_vars()
        x = np.array([v.value if v.value is not None else 0.0 for v in m._ecoopt_columns])
        objective = float(pyo.value(m.objective))
    sol = LPSolution(
        termination=termination,
        solution_status="optimal" if termination == "optimal" else "none",
        x=x,
        objective=objective,
        bound=objective,
        gap=0.0 if termination == "optimal" else None,
        handoff_s=0.0,
        solve_s=elapsed,
        log="",
    )
    return sol, build


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


def solve(
    instance: Any,
    objective: str | None = None,
    *,
    time_limit: float | None = None,
    mip_rel_gap: float = 1e-4,
    threads: int | None = 1,
    seed: int = 0,
    solver_options: dict[str, Any] | None = None,
    warm_start: Any = None,
    strict: bool = False,
    interface: str = "highs",
) -> Result:
    """Solve ``instance`` to proven optimality (or to the limits given) with HiGHS.

    Parameters
    ----------
    instance : a validated instance (from :func:`ecoopt.load` or a problem's ``Instance``).
    objective : one of the problem's objectives; default the instance's ``objective`` field.
    time_limit : seconds; with an incumbent the result carries it, the bound and the gap.
    mip_rel_gap : relative optimality tolerance (HiGHS ``mip_rel_gap``); 1e-4 by default.
    threads, seed : HiGHS ``threads`` and ``random_seed`` (defaults make runs repeatable).
    solver_options : raw HiGHS options, passed unchanged.
    warm_start : a plan, a heuristic's name, or ``True`` (the problem's default heuristic),
        given to HiGHS as a starting solution.
    strict : raise :class:`~ecoopt.errors.NotOptimalError` / ``InfeasibleError`` unless optimal.
    interface : ``"highs"`` (default: arrays straight into HiGHS) or ``"pyomo"`` (build the
        Pyomo model and solve it with Pyomo's ``appsi_highs``; same maths, slower hand-off).
    """
    from .problems import spec_for

    spec = spec_for(instance)
    objective = objective or instance.objective
    spec.check_objective(objective)
    if time_limit is not None and not (math.isfinite(time_limit) and time_limit >= 0):
        raise ValueError(f"time_limit must be a number of seconds ≥ 0, not {time_limit!r}")
    if not (math.isfinite(mip_rel_gap) and mip_rel_gap >= 0):
        raise ValueError(f"mip_rel_gap must be a number ≥ 0, not {mip_rel_gap!r}")
    options = SolverOptions(
        time_limit=time_limit,
        mip_rel_gap=mip_rel_gap,
        threads=threads,
        seed=seed,
        solver_options=dict(solver_options or {}),
    )
    base = dict(problem=spec.name, objective_name=objective)

    conflicts = spec.precheck(instance)
    if conflicts:
        result = Result(
            **base,
            sense=spec.sense(objective),
            termination="infeasible",
            solution_status="none",
            objective=None,
            bound=None,
            gap=None,
            build_s=0.0,
            handoff_s=0.0,
            solve_s=0.0,
            solver=highs_version(),
            interface="precheck",
            num_vars=0,
            num_constraints=0,
            explanation="infeasible: " + " ".join(conflicts),
        )
        return result.require_optimal() if strict else result

    t0 = time.perf_counter()
    gc_was = gc.isenabled()
    gc.disable()
    try:
        lp = spec.formulate(instance, objective)
    finally:
        if gc_was:
            gc.enable()
    build_s = time.perf_counter() - t0

    x0 = None
    if warm_start is not None and warm_start is not False:
        plan = warm_start
        if warm_start is True or isinstance(warm_start, str):
            name = spec.default_heuristic if warm_start is True else warm_start
            plan = spec.heuristics[name](instance, objective=objective)
        x0 = spec.plan_to_x(instance, lp, plan)

    if interface == "pyomo":
        sol, build_pyomo = solve_lp_pyomo(lp, options)
        build_s += build_pyomo
        solver_name = highs_version() + " (Pyomo appsi)"
    elif interface == "highs":
        sol = solve_lp(lp, options, warm_start=x0)
        solver_name = highs_version()
    else:
        raise ValueError(f"interface must be 'highs' or 'pyomo', not {interface!r}")

    plan = metrics = None
    if sol.x is not None:
        plan = spec.plan_from_x(instance, lp, sol.x)
        metrics = spec.evaluate(instance, plan, objective).as_dict()
    explanation = None
    if sol.termination in ("infeasible", "infeasible_or_unbounded"):
        report = elastic_analysis(lp, options)
        explanation = spec.explain(instance, report)
    elif sol.termination == "time_limit":
        explanation = "time limit reached: " + (
            f"incumbent {sol.objective:.6g}, bound "
            + ("-" if sol.bound is None else f"{sol.bound:.6g}")
            + ", gap "
            + ("-" if sol.gap is None else f"{100 * sol.gap:.3g} %")
            if sol.objective is not None
            else "no feasible solution found yet"
        )
    result = Result(
        **base,
        sense=lp.sense,
        termination=sol.termination,
        solution_status=sol.solution_status,
        objective=sol.objective,
        bound=sol.bound,
        gap=sol.gap,
        build_s=build_s,
        handoff_s=sol.handoff_s,
        solve_s=sol.solve_s,
        solver=solver_name,
        interface=interface,
        num_vars=lp.num_cols,
        num_constraints=lp.num_rows,
        plan=plan,
        metrics=metrics,
        explanation=explanation,
        log=sol.log,
    )
    return result.require_optimal() if strict else result


__all__ = ["INF", "Result", "SolverOptions", "solve", "solve_lp", "elastic_analysis"]
