"""``solve``: formulate, hand to HiGHS, check the answer, report it as one :class:`Result`.

The pieces live apart (as Pyomo's ``contrib.solver`` keeps them): result types and options in
``results``, the HiGHS adapter in ``highs`` (the Pyomo route in ``pyomo_adapter``), the check in
``verify``, the infeasibility analysis in ``infeasibility``. Nothing here knows a problem's
maths: each problem registers a :class:`~ecoopt.problems.ProblemSpec`.

One solve, step by step:

1. the problem's cheap pre-check (plain-words conflicts, no solver);
2. ``formulate`` the LinearProgram;
3. a reference plan: the best of the problem's default heuristics, judged by the evaluator
   (partition: greedy per layer and the contiguous-stage DP). Its value sets the objective
   scale (``lp.objective_scale``) and, when feasible, it is HiGHS's starting incumbent unless
   the caller passes ``warm_start``;
4. HiGHS; then the check (``verify.check``). A failed check triggers one re-solve with
   tightened tolerances (``highs.TIGHT``), started from the best feasible plan so far;
5. the Result: ``optimal`` only for a checked answer; otherwise ``feasible`` (termination
   ``not_verified`` when HiGHS claimed optimal) with the true gap and notes naming the cause.
"""

from __future__ import annotations

import gc
import inspect
import math
import time
from dataclasses import replace
from typing import Any

import numpy as np

from .conditioning import check_conditioning
from .cuts import MAX_ROUNDS, add_cuts
from .errors import EcoOptError
from .highs import TIGHT, highs_version, relative_gap, solve_lp
from .infeasibility import ElasticReport, elastic_analysis
from .lp import INF, LinearProgram, objective_scale
from .outputs import write_text
from .pyomo_adapter import solve_lp_pyomo
from .results import DEFAULT_MIP_GAP, INFEASIBLE, LPSolution, Result, SolverOptions
from .verify import Check, better, check


def _options(
    time_limit: float | None,
    mip_rel_gap: float,
    threads: int | None,
    seed: int,
    solver_options: dict[str, Any] | None,
    progress: bool = False,
    verbose: bool = False,
) -> SolverOptions:
    if time_limit is not None and not (math.isfinite(time_limit) and time_limit >= 0):
        raise ValueError(f"time_limit must be a number of seconds ≥ 0, not {time_limit!r}")
    if not (math.isfinite(mip_rel_gap) and 0 <= mip_rel_gap < 1):
        raise ValueError(f"mip_rel_gap must be a number in [0, 1), not {mip_rel_gap!r}")
    return SolverOptions(
        time_limit=time_limit,
        mip_rel_gap=mip_rel_gap,
        threads=threads,
        seed=seed,
        solver_options=dict(solver_options or {}),
        progress=progress,
        verbose=verbose,
    )


def _precheck(spec: Any, instance: Any) -> tuple[list[str], float]:
    """The problem's cheap pre-check (its conflicts, in words) and its seconds."""
    t0 = time.perf_counter()
    conflicts = spec.precheck(instance)
    return conflicts, time.perf_counter() - t0


def _model_options(spec: Any, model_options: dict[str, Any] | None) -> dict[str, Any]:
    """``model_options`` checked against the keyword-only parameters of the family's
    ``formulate`` (e.g. partition's ``break_symmetry``): an unknown name is refused by name."""
    options = dict(model_options or {})
    known = [
        p.name
        for p in inspect.signature(spec.formulate).parameters.values()
        if p.kind is inspect.Parameter.KEYWORD_ONLY
    ]
    unknown = sorted(set(options) - set(known))
    if unknown:
        offered = ", ".join(known) if known else "none"
        raise ValueError(
            f"model_options {', '.join(map(repr, unknown))} not known to {spec.name}'s model "
            f"(its options: {offered})"
        )
    return options


def _formulate(
    spec: Any,
    instance: Any,
    objective: str,
    options: dict[str, Any] | None = None,
    bounds: dict[str, float] | None = None,
) -> tuple[LinearProgram, float]:
    """The model (with a row per bounded objective, :func:`bound_objectives`) and its build
    time."""
    t0 = time.perf_counter()
    gc_was = gc.isenabled()
    gc.disable()  # halves build time on large models (many small arrays, no cycles)
    try:
        lp = spec.formulate(instance, objective, **(options or {}))
        if bounds:
            bound_objectives(spec, instance, lp, objective, bounds)
    finally:
        if gc_was:
            gc.enable()
    return lp, time.perf_counter() - t0


def _signature(lp: LinearProgram) -> tuple:
    return tuple((name, block.size) for name, block in lp.vars.items())


def boundable(spec: Any, instance: Any, objective: str) -> list[str]:
    """The objectives ``solve(..., bounds=...)`` can bound in ``objective``'s model of
    ``instance``: those whose model has the very same variables (only the costs differ)."""
    sig = _signature(spec.formulate(instance, objective))
    return [o for o in spec.objectives if o != objective
            and _signature(spec.formulate(instance, o)) == sig]  # fmt: skip


def bound_objectives(
    spec: Any,
    instance: Any,
    lp: LinearProgram,
    objective: str,
    bounds: dict[str, float],
    formulated: dict[str, LinearProgram] | None = None,
) -> None:
    """One row per bounded objective o: c_o·v + offset_o ≤ ε_o (≥ for a maximised one), c_o
    the costs of o's model on the same variables, scaled by 1/|ε_o|; the check then judges the
    plan's evaluated o against ε_o too (``lp.meta["bounds"]``); ``lp.meta["bound_rows"][o]`` keeps
    (offset_o, |ε_o|), for moving the bound later (``ecoopt.study.pareto``). ``formulated``:
    models of the bounded objectives already built (not built again)."""
    for name, eps in bounds.items():
        spec.check_objective(name)
        if not isinstance(eps, int | float) or not math.isfinite(eps):
            raise ValueError(f"bounds[{name!r}]: {eps!r} is not a finite number")
        other = (formulated or {}).get(name) or spec.formulate(instance, name)
        if name == objective or _signature(other) != _signature(lp):
            can = ", ".join(boundable(spec, instance, objective)) or "none"
            raise ValueError(
                f"bounds: {name} cannot be bounded in the {objective} model of {spec.name} "
                f"(it has other variables); objectives that can: {can}"
            )
        cost = np.concatenate([b.cost for b in other.vars.values()])
        nz = np.flatnonzero(cost)
        size = abs(eps) if eps != 0 else 1.0
        rhs = (eps - other.objective_offset) / size
        upper, lower = (rhs, -np.inf) if spec.sense(name) == "min" else (np.inf, rhs)
        lp.add_rows(f"bound_{name}", [name], np.zeros(len(nz), dtype=np.int64), nz,
                    cost[nz] / size, lower=lower, upper=upper,
                    doc=f"{name} of the plan within {eps:g}")  # fmt: skip
        lp.meta.setdefault("bounds", {})[name] = float(eps)
        lp.meta.setdefault("bound_rows", {})[name] = (other.objective_offset, size)


def reference(spec: Any, instance: Any, objective: str) -> tuple[Any, Any]:
    """The best plan of the default heuristics and its evaluation: the best feasible one by the
    evaluator (ties to the earlier heuristic), else the first that ran; (None, None) if none
    can run."""
    found = []
    for name in spec.default_heuristics:
        try:
            plan = spec.heuristics[name](instance, objective=objective)
        except (EcoOptError, ValueError):
            continue
        found.append((plan, spec.evaluate(instance, plan, objective)))
    feasible = [f for f in found if f[1].feasible]
    if not feasible:
        return found[0] if found else (None, None)
    sign = 1.0 if spec.sense(objective) == "min" else -1.0
    return min(feasible, key=lambda f: sign * float(f[1].objective))


def _start(spec: Any, instance: Any, lp: LinearProgram, objective: str, warm_start: Any, ref):  # noqa: ANN001, ANN202
    """The starting vector: the caller's plan or heuristic name (``True``: the reference, the
    best default heuristic's plan), else the reference when it is feasible."""
    plan = None
    if isinstance(warm_start, str):
        plan = spec.heuristics[warm_start](instance, objective=objective)
    elif warm_start is True:
        plan = ref[0]
    elif warm_start is not None and warm_start is not False:
        plan = warm_start
    elif warm_start is None and ref[1] is not None and ref[1].feasible:
        plan = ref[0]
    return None if plan is None else spec.plan_to_x(instance, lp, plan)


def _attempt(
    lp: LinearProgram,
    options: SolverOptions,
    x0: np.ndarray | None,
    scale: float,
    interface: str,
    extra: dict[str, Any] | None = None,
    solver: str = "highs",
) -> tuple[LPSolution, float]:
    """One solver run; returns the solution and any extra build time (the Pyomo model).

    The Pyomo route sees the same scaled objective as the HiGHS one: unscaled, HiGHS and CBC
    stop above EfficientNet-B0's optimum and say optimal (tests/test_pyomo_solvers.py)."""
    if interface == "pyomo":
        name = "appsi_highs" if solver == "highs" else solver
        return solve_lp_pyomo(lp, options, name, cost_scale=scale)
    if interface == "highs":
        return solve_lp(lp, options, x0, cost_scale=scale, extra_options=extra), 0.0
    raise ValueError(f"interface must be 'highs' or 'pyomo', not {interface!r}")


def _needs_second_look(chk: Check, ref_eval: Any) -> bool:
    """Re-solve when HiGHS's claim failed the check, or its infeasibility proof contradicts a
    plan the evaluator accepts; not after a time limit (a second run would double it)."""
    sol = chk.solution
    if sol.termination in INFEASIBLE:
        return ref_eval is not None and bool(ref_eval.feasible)
    if sol.termination == "time_limit":
        return False
    return bool(chk.problems) or (sol.x is not None and not chk.feasible)


def _solve_checked(spec, instance, lp, objective, options, x0, scale, interface, ref, solver):  # noqa: ANN001, ANN202, E501
    """Solve, check, and re-solve once tightened if needed; returns the better check, the
    checks' notes, and the time spent (hand-off, solver, extra build)."""
    size = 1.0 / scale
    spent = dict(build=0.0, handoff=0.0, solve=0.0, check=0.0, bound=0.0)

    def run(x_start: np.ndarray | None, extra: dict[str, Any] | None = None) -> Check:
        left = options  # later attempts share what is left of the time limit
        if options.time_limit is not None:
            used = spent["solve"] - spent["bound"]  # the MIP runs: the limit is theirs
            left = replace(options, time_limit=max(0.0, options.time_limit - used))
        sol, build = _attempt(lp, left, x_start, scale, interface, extra, solver)
        t0 = time.perf_counter()
        out = check(spec, instance, lp, objective, sol, options.mip_rel_gap, size)
        spent["check"] += time.perf_counter() - t0
        spent["build"] += build
        spent["handoff"] += sol.handoff_s
        spent["solve"] += sol.solve_s
        spent["bound"] += sol.bound_s
        return out

    first = run(x0)
    notes: list[str] = []
    first = _cut_rounds(spec, instance, lp, first, lambda: run(x0), notes)
    if interface == "highs" and _needs_second_look(first, ref[1]):
        sol = first.solution
        claim = "infeasible" if sol.termination in INFEASIBLE else sol.termination
        notes.append(f"HiGHS's first answer ({claim}) failed the check: {_why(first, ref)}")
        # from no start: a start HiGHS returned unimproved while claiming "optimal" is seen
        # (partition, DP start) and would be returned again
        second = run(None, TIGHT)
        notes.append(
            "re-solved with tightened tolerances: "
            + ("the answer passes the check" if second.optimal else _why(second, ref))
        )
        first = second if second.optimal else better(first, second, lp.sense)
    return first, notes, spent


def _cut_rounds(spec, instance, lp, chk: Check, rerun, notes: list[str]) -> Check:  # noqa: ANN001
    """While the solver's plan overflows a capacity the evaluator counts exactly, add the
    problem's cover cuts and solve again (``ecoopt.cuts``)."""
    rounds = count = 0
    while spec.cuts is not None and chk.plan is not None and not chk.feasible:
        cuts = spec.cuts(instance, lp, chk.plan) if rounds < MAX_ROUNDS else []
        if not cuts:
            break
        add_cuts(lp, cuts, rounds)
        rounds, count = rounds + 1, count + len(cuts)
        chk = rerun()
    if rounds:
        notes.append(
            f"{count} cover cut(s) in {rounds} round(s) cut off plans that overflow memory by "
            "less than HiGHS's tolerance (memory is exact in bytes)"
        )
    return chk


def _why(chk: Check, ref: tuple[Any, Any]) -> str:
    if chk.problems:
        return "; ".join(chk.problems)
    if chk.solution.termination in INFEASIBLE and ref[1] is not None and ref[1].feasible:
        return "the evaluator accepts the reference plan (the best default heuristic's)"
    return "no plan"


def _incumbent(chk: Check, ref: tuple[Any, Any], sense: str, notes: list[str]) -> dict[str, Any]:
    """Plan, objective, bound, gap and statuses to report from the final check."""
    sol = chk.solution
    claimed = sol.termination == "optimal" or sol.termination in INFEASIBLE
    out = dict(termination=sol.termination, solution_status="none", objective=None)
    out.update(bound=sol.bound, gap=None, plan=None, evaluation=None)
    if chk.optimal:
        out.update(solution_status="optimal", objective=chk.objective, gap=chk.gap)
    elif chk.feasible:
        out.update(solution_status="feasible", objective=chk.objective, gap=chk.gap)
        out["bound"] = sol.bound if chk.bound_valid else None
    elif ref[1] is not None and ref[1].feasible and (sol.x is not None or claimed):
        value = float(ref[1].objective)
        valid = sol.bound is not None and (
            sol.bound <= value if sense == "min" else sol.bound >= value
        )
        out.update(solution_status="feasible", objective=value, plan=ref[0], evaluation=ref[1])
        out.update(bound=sol.bound if valid else None)
        out["gap"] = relative_gap(value, out["bound"])
        notes.append(
            "the solver's plan failed the check; returned the reference plan "
            "(the best default heuristic's)"
        )
    if (sol.termination == "optimal" and out["solution_status"] != "optimal") or (
        claimed and out["solution_status"] == "feasible"
    ):
        out["termination"] = "not_verified"  # HiGHS's claim did not survive the check
    if out["plan"] is None and out["solution_status"] != "none":
        out.update(plan=chk.plan, evaluation=chk.evaluation)
    return out


def _explanation(spec: Any, instance: Any, lp: LinearProgram, options, rep: dict) -> str | None:  # noqa: ANN001
    if rep["termination"] in INFEASIBLE:
        return spec.explain(instance, elastic_analysis(lp, options))
    if rep["termination"] != "time_limit":
        return None
    bound = "-" if rep["bound"] is None else f"{rep['bound']:.6g}"
    if rep["objective"] is None:
        return f"time limit reached: no feasible plan found yet, bound {bound}"
    gap = "-" if rep["gap"] is None else f"{100 * rep['gap']:.3g} %"
    return f"time limit reached: incumbent {rep['objective']:.6g}, bound {bound}, gap {gap}"


def _overrun(options: SolverOptions, solve_s: float) -> list[str]:
    limit = options.time_limit
    if limit is None or solve_s <= limit + max(1.0, 0.1 * limit):
        return []
    return [
        f"HiGHS ran {solve_s:.3g} s against a time limit of {limit:.3g} s "
        "(its presolve does not look at the clock)"
    ]


def solve(
    instance: Any,
    objective: str | None = None,
    *,
    time_limit: float | None = None,
    mip_rel_gap: float = DEFAULT_MIP_GAP,
    threads: int | None = 1,
    seed: int = 0,
    solver_options: dict[str, Any] | None = None,
    warm_start: Any = None,
    model_options: dict[str, Any] | None = None,
    strict: bool = False,
    interface: str | None = None,
    solver: str = "highs",
    progress: bool = False,
    verbose: bool = False,
    log_file: str | None = None,
    bounds: dict[str, float] | None = None,
) -> Result:
    """Solve ``instance`` to proven, checked optimality (or to the limits given) with HiGHS.

    Parameters
    ----------
    instance : a validated instance (from :func:`ecoopt.load` or a problem's ``Instance``).
    objective : one of the problem's objectives; default the instance's ``objective`` field.
    time_limit : seconds; with an incumbent the result carries it, the bound and the gap.
    mip_rel_gap : relative optimality tolerance; 1e-4 by default. ``optimal`` means the
        evaluator-checked plan is within it of HiGHS's bound (module docstring).
    threads, seed : HiGHS ``threads`` and ``random_seed`` (defaults make runs repeatable).
    solver_options : raw HiGHS options, passed unchanged.
    warm_start : a plan, a heuristic's name, ``True`` (the reference plan, feasible or not),
        ``False`` (no start), or ``None`` (default: the reference plan when it is feasible).
        The reference is the best plan of the family's ``default_heuristics``.
    model_options : keyword options of the family's model (its ``formulate``), e.g.
        ``{"break_symmetry": False}`` for partition; an unknown name is a ``ValueError``.
    strict : raise :class:`~ecoopt.errors.NotOptimalError` / ``InfeasibleError`` unless optimal.
    progress : show elapsed time, incumbent, bound and gap on stderr while HiGHS runs.
    verbose : echo HiGHS's log on stderr as it runs. ``log_file`` : also write it there.
        ``Result.log`` holds it in any case; nothing of HiGHS's reaches stdout.
    solver : ``"highs"`` (default), or any Pyomo solver name (``"cbc"``, ``"scip_direct"``,
        ``"glpk"``, ``"gurobi"``, ...), solved through Pyomo; a solver that is not installed is
        one clear error naming it. Every answer gets the same check.
    bounds : other objectives held within a value while ``objective`` is optimised, e.g.
        ``{"latency": 0.5}`` (≤ for a minimised objective, ≥ for a maximised one): the
        ε-constraint of ``ecoopt.pareto``; only objectives whose model has the same variables
        (``boundable``); the check judges the plan against each bound too.
    interface : ``"highs"`` (arrays straight into HiGHS; the default with HiGHS) or
        ``"pyomo"`` (build the Pyomo model and solve it through Pyomo, ``appsi_highs`` for
        HiGHS; same maths, slower hand-off, no tightened re-solve; the default otherwise).
    """
    from .problems import spec_for

    spec = spec_for(instance)
    interface = _route(solver, interface)
    objective = objective or instance.objective
    spec.check_objective(objective)
    options = _options(time_limit, mip_rel_gap, threads, seed, solver_options, progress, verbose)
    formulation = _model_options(spec, model_options)
    base = dict(problem=spec.name, objective_name=objective, mip_rel_gap=mip_rel_gap)
    conflicts, base["precheck_s"] = _precheck(spec, instance)
    if conflicts:
        return _precheck_result(spec, objective, base, conflicts, strict)
    lp, build_s = _formulate(spec, instance, objective, formulation, bounds)
    ref, scale, x0, ref_s = _prepare(spec, instance, lp, objective, warm_start)
    final, notes, spent = _solve_checked(
        spec, instance, lp, objective, options, x0, scale, interface, ref, solver
    )
    spent["build"] += build_s
    spent["check"] += ref_s
    result = _result(spec, instance, lp, options, final, ref, notes, spent, base,
                     _solver_name(interface, solver), interface)  # fmt: skip
    if log_file is not None:
        write_text(result.log, log_file, "log_file")
    return result.require_optimal() if strict else result


def _result(
    spec, instance, lp, options, final, ref, notes, spent, base, label, interface
) -> Result:  # noqa: ANN001, E501
    """The Result of the final check: the plan to report, the time-limit notes, the plain-words
    explanation of an infeasible or stopped solve, and the log."""
    rep = _incumbent(final, ref, lp.sense, notes)
    notes += _overrun(options, spent["solve"] - spent["bound"])
    explanation = _explanation(spec, instance, lp, options, rep)
    return _report(base, lp, rep, spent, interface, explanation, notes, final.solution.log, label)


def _report(base, lp, rep, spent, interface, explanation, notes, log, solver) -> Result:  # noqa: ANN001
    """The Result of a solve from its parts (``rep`` from :func:`_incumbent`)."""
    return Result(
        **base,
        sense=lp.sense,
        termination=rep["termination"],
        solution_status=rep["solution_status"],
        objective=rep["objective"],
        bound=rep["bound"],
        gap=rep["gap"],
        build_s=spent["build"],
        handoff_s=spent["handoff"],
        solve_s=spent["solve"],
        check_s=spent["check"],
        solver=solver,
        interface=interface,
        num_vars=lp.num_cols,
        num_constraints=lp.num_rows,
        plan=rep["plan"],
        metrics=None if rep["evaluation"] is None else rep["evaluation"].as_dict(),
        explanation=explanation,
        notes=notes,
        log=log,
    )


def _prepare(spec, instance, lp, objective, warm_start):  # noqa: ANN001, ANN202
    """The reference plan, the objective scale, the numbers checked, the start; and its time."""
    t0 = time.perf_counter()
    ref = reference(spec, instance, objective)
    ref_value = float(ref[1].objective) if ref[1] is not None and ref[1].feasible else None
    scale = objective_scale(lp, ref_value)
    check_conditioning(lp, scale, spec, instance.name)
    x0 = _start(spec, instance, lp, objective, warm_start, ref)
    return ref, scale, x0, time.perf_counter() - t0


def _route(solver: str, interface: str | None) -> str:
    """HiGHS goes straight in unless asked otherwise; every other solver through Pyomo."""
    interface = interface or ("highs" if solver == "highs" else "pyomo")
    if solver != "highs" and interface == "highs":
        raise ValueError(f"solver {solver!r} is reached through Pyomo: use interface='pyomo'")
    return interface


def _solver_name(interface: str, solver: str) -> str:
    if interface == "highs":
        return highs_version()
    return f"{solver} (Pyomo)" if solver != "highs" else highs_version() + " (Pyomo appsi)"


def _precheck_result(spec: Any, objective: str, base: dict, conflicts: list[str], strict: bool):  # noqa: ANN202
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


__all__ = [
    "INF",
    "ElasticReport",
    "LPSolution",
    "Result",
    "SolverOptions",
    "elastic_analysis",
    "highs_version",
    "reference",
    "solve",
    "solve_lp",
]
