"""The Pyomo route: build the ``ConcreteModel`` from the same LinearProgram and solve it with any
Pyomo solver (``appsi_highs`` by default; ``highs``, ``cbc``, ``glpk``, ``scip``,
``scip_direct``, ``gurobi``, ``cplex`` …). Used to cross-check the direct path (tests), to
measure it (benchmarks) and to reach other solvers; the maths is never written twice.

Every solver is driven through Pyomo's legacy ``SolverFactory`` interface, which all of its
solver families share (shell, direct, APPSI and ``contrib.solver`` wrappers):
``solve(model, load_solutions=False, options={...})`` returns a ``SolverResults`` whose
termination condition, objective bound and solution ecoopt reads back. The time limit and the
relative MIP gap are passed under each family's own option names (:data:`FAMILIES`), so the
same :class:`~ecoopt.results.SolverOptions` mean the same thing for every solver;
``SolverOptions.solver_options`` go through unchanged, in the solver's own names, last.

The objective is scaled by the caller's ``cost_scale`` (``ecoopt.solve`` passes the one the
direct path uses, ``ecoopt.lp.objective_scale``): unscaled, solvers with absolute tolerances may
stop early on the partition objectives of order 1e-3 to 1e-7 and still say optimal (see
``ecoopt.export``).

Timing (:func:`solve_lp_pyomo`): *build* is the Pyomo model's construction (``to_pyomo``);
*solve* is the solver's own clock where the plugin reports one (:func:`solver_seconds`), else
the whole ``opt.solve`` call; *hand-off* is the rest of ``opt.solve`` (Pyomo writing or loading
the model into the solver, and reading its answer back), plus reaching the solver (the factory
and its availability check; on a process's first call, importing Pyomo) and loading the point
into the model and reading it out in column order.
"""

from __future__ import annotations

import gc
import math
import re
import shutil
import sys
import time
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

import numpy as np

from .errors import EcoOptError, printable
from .highs import _quiet_stdout, relative_gap
from .lp import LinearProgram, to_pyomo
from .results import LPSolution, SolverOptions


@dataclass(frozen=True)
class Family:
    """How one solver family names ecoopt's options, and how to install it.

    ``time`` and ``gap`` are the names of its time limit (seconds) and relative MIP gap;
    ``threads`` and ``seed`` are set when the family has them; ``fixed`` are set always.
    ``whole_seconds``: the time limit must be a whole number of seconds (GLPK's ``--tmlim``).
    """

    time: str
    gap: str
    install: str
    threads: str | None = None
    seed: str | None = None
    fixed: dict[str, Any] = field(default_factory=dict)
    whole_seconds: bool = False


#: family -> option names; a solver belongs to the family one of its name's words names
FAMILIES: dict[str, Family] = {
    # the objective is scaled to a reference plan's size, not the optimum's: an absolute gap
    # would be relative to that reference, so only the relative gap may stop HiGHS
    "highs": Family(
        "time_limit",
        "mip_rel_gap",
        "`pip install highspy`",
        threads="threads",
        seed="random_seed",
        fixed={"mip_abs_gap": 0.0},
    ),
    "cbc": Family(
        "sec",
        "ratioGap",
        "for example `apt-get install coinor-cbc`, `conda install -c conda-forge coin-or-cbc` "
        "or `pip install cbcbox`",
        threads="threads",
        seed="randomCbcSeed",
    ),
    "glpk": Family(
        "tmlim",
        "mipgap",
        "for example `apt-get install glpk-utils` or `conda install -c conda-forge glpk`",
        whole_seconds=True,
    ),
    "scip": Family(
        "limits/time",
        "limits/gap",
        "`pip install pyscipopt` and use solver='scip_direct', or put the `scip` executable "
        "on PATH (`conda install -c conda-forge scip`)",
        seed="randomization/randomseedshift",
    ),
    "gurobi": Family(
        "TimeLimit",
        "MIPGap",
        "`pip install gurobipy`, whose bundled licence is size-limited, and a Gurobi licence",
        threads="Threads",
        seed="Seed",
    ),
    "cplex": Family(
        "timelimit", "mipgap", "`pip install cplex`", threads="threads", seed="randomseed"
    ),
}

#: solver names offered when a name is unknown
SUGGESTED = "highs, appsi_highs, cbc, glpk, scip_direct, gurobi_direct or cplex"

#: shell solvers' executables, also looked for beside the running Python (a virtual
#: environment's ``bin/``, where ``pip install cbcbox`` puts ``cbc``) when not on PATH
EXECUTABLES = {"cbc": "cbc", "glpk": "glpsol", "scip": "scip"}

#: Pyomo's (legacy) termination condition -> ecoopt termination (see ``ecoopt.highs``)
TERMINATION = {
    "optimal": "optimal",
    "globallyOptimal": "optimal",
    "locallyOptimal": "optimal",
    "infeasible": "infeasible",
    "infeasibleOrUnbounded": "infeasible_or_unbounded",
    "unbounded": "unbounded",
    "maxTimeLimit": "time_limit",
    "maxIterations": "iteration_limit",
    "maxEvaluations": "iteration_limit",
    "minFunctionValue": "objective_limit",
    "userInterrupt": "interrupted",
    "resourceInterrupt": "interrupted",
    "invalidProblem": "error",
    "solverFailure": "error",
    "internalSolverError": "error",
    "error": "error",
    "licensingProblems": "error",
}

#: Pyomo solution statuses that carry a usable point
WITH_POINT = frozenset(
    {"optimal", "globallyOptimal", "locallyOptimal", "feasible", "stoppedByLimit", "bestSoFar"}
)


def solver_family(name: str) -> Family:
    """The option family of Pyomo solver ``name``: the family named by one of the name's
    ``_``-separated words (``appsi_highs`` -> highs, ``scip_direct`` -> scip); an EcoOptError
    for a solver whose option names ecoopt does not know."""
    words = re.split(r"[_.]", name.lower())
    for key, family in FAMILIES.items():
        if key in words:
            return family
    raise EcoOptError(
        printable(
            f"ecoopt does not know how to pass a time limit and MIP gap to solver {name!r}: "
            f"use a solver of the families {', '.join(FAMILIES)}"
        )
    )


def pyomo_solver(name: str) -> Any:
    """``pyo.SolverFactory(name)``, checked first: an unknown or uninstalled solver is a
    one-line EcoOptError naming it and what to install."""
    import pyomo.environ as pyo

    if name not in pyo.SolverFactory and shutil.which(name) is None:
        raise EcoOptError(
            printable(
                f"solver {name!r} is not a Pyomo solver name nor an executable on PATH: "
                f"use one such as {SUGGESTED}"
            )
        )
    family = solver_family(name)
    opt = pyo.SolverFactory(name)
    if not opt.available(exception_flag=False):
        _use_executable_beside_python(opt, name)
    if not opt.available(exception_flag=False):
        raise EcoOptError(
            printable(
                f"solver {name!r} is not installed or not on PATH: install it "
                f"({family.install}) or use solver='highs'"
            )
        )
    return opt


def _use_executable_beside_python(opt: Any, name: str) -> None:
    """Point a shell solver at its executable in the running Python's ``bin/`` folder."""
    exe = EXECUTABLES.get(name)
    found = exe and shutil.which(exe, path=str(Path(sys.executable).parent))
    if found and hasattr(opt, "set_executable"):
        opt.set_executable(found, validate=True)


def native_options(family: Family, options: SolverOptions) -> dict[str, Any]:
    """ecoopt's options under the family's names, then ``options.solver_options`` unchanged.

    A time limit below 1 ms becomes 1 ms (some solvers read 0 as "no limit"); GLPK's is
    rounded up to whole seconds.
    """
    out: dict[str, Any] = dict(family.fixed)
    out[family.gap] = float(options.mip_rel_gap)
    if options.time_limit is not None:
        seconds = max(float(options.time_limit), 1e-3)
        out[family.time] = max(1, math.ceil(seconds)) if family.whole_seconds else seconds
    if family.threads and options.threads is not None:
        out[family.threads] = int(options.threads)
    if family.seed:
        out[family.seed] = int(options.seed)
    out.update(options.solver_options)
    return out


def solve_lp_pyomo(
    lp: LinearProgram,
    options: SolverOptions,
    solver: str = "appsi_highs",
    *,
    cost_scale: float = 1.0,
) -> tuple[LPSolution, float]:
    """Solve ``lp`` through Pyomo solver ``solver``; returns the solution and the build time.

    ``cost_scale`` multiplies the objective the solver sees, as in ``ecoopt.highs.solve_lp``
    (pass ``lp.objective_scale``: unscaled, HiGHS stops 4e-5 above the optimum of the
    EfficientNet-B0 partition instance and calls it optimal); objective and bound come back
    in the model's units. The solver is checked before the model is built
    (:func:`pyomo_solver`). The solution is
    read back in ``m._ecoopt_columns`` order and the objective recomputed from it
    (``lp.objective_value``). The bound is the solver's (the lower bound of a minimisation,
    the upper of a maximisation) where it reports a finite one, else the objective when the
    termination is optimal, else None. Never raises on a solver's status; a solver that fails
    to run is an EcoOptError naming it.
    """
    t0 = time.perf_counter()
    opt = pyomo_solver(solver)
    native = native_options(solver_family(solver), options)
    reach = time.perf_counter() - t0
    m, build = _build(scaled(lp, cost_scale))
    t0 = time.perf_counter()
    res = _run(opt, m, native, solver)
    elapsed = time.perf_counter() - t0
    own, source = solver_seconds(opt, res)
    solve_s = elapsed if own is None else min(own, elapsed)
    t1 = time.perf_counter()
    termination = TERMINATION.get(str(res.solver.termination_condition), "unknown")
    x = _point(lp, m, res)
    objective = None if x is None else lp.objective_value(x)
    bound = _bound(lp, res, objective, termination, cost_scale)
    sol = LPSolution(
        termination=termination,
        solution_status="optimal"
        if termination == "optimal" and x is not None
        else "feasible"
        if x is not None
        else "none",
        x=x,
        objective=objective,
        bound=bound,
        gap=relative_gap(objective, bound),
        handoff_s=0.0,
        solve_s=solve_s,
        log=f"ecoopt: Pyomo solver {solver!r}, options {native}: "
        f"termination {res.solver.termination_condition}; solve time from "
        f"{source or 'the whole opt.solve call (the plugin reports no solver time)'}\n",
    )
    sol.handoff_s = reach + elapsed - solve_s + (time.perf_counter() - t1)
    return sol, build


def solver_seconds(opt: Any, res: Any) -> tuple[float | None, str | None]:
    """The solver's own run time as the Pyomo plugin reports it, and where it was read.

    In order: ``contrib.solver`` plugins' ``timing_info`` (``highs_time``, ``scip_time`` …, the
    solver's clock); an APPSI HiGHS's ``getRunTime()``; ``results.solver.wallclock_time`` (CBC's
    log, Gurobi's ``Runtime``); ``results.solver.time`` (a shell solver's process, which
    includes reading the model file). None when the plugin gives none of these.
    """
    info = getattr(res, "timing_info", None)
    if isinstance(info, dict):
        for key, value in info.items():
            if key.endswith("_time") and key != "wall_time" and _seconds(value) is not None:
                return _seconds(value), f"timing_info['{key}']"
    highs = getattr(opt, "_solver_model", None)  # APPSI keeps its highspy.Highs here
    if highs is not None and callable(getattr(highs, "getRunTime", None)):
        return _seconds(highs.getRunTime()), "HiGHS's getRunTime() (APPSI)"
    for field_name in ("wallclock_time", "time"):
        value = _seconds(getattr(res.solver, field_name, None))
        if value is not None:
            return value, f"results.solver.{field_name}"
    return None, None


def _seconds(value: Any) -> float | None:
    """``value`` as seconds when it is a finite number ≥ 0, else None."""
    try:
        out = float(value)
    except (TypeError, ValueError):
        return None
    return out if math.isfinite(out) and out >= 0 else None


def scaled(lp: LinearProgram, cost_scale: float) -> LinearProgram:
    """``lp`` with every cost and the offset multiplied by ``cost_scale`` (``lp`` if 1)."""
    if cost_scale == 1.0:
        return lp
    blocks = {k: replace(b, cost=b.cost * cost_scale) for k, b in lp.vars.items()}
    return replace(lp, vars=blocks, objective_offset=lp.objective_offset * cost_scale)


def _build(lp: LinearProgram) -> tuple[Any, float]:
    """``to_pyomo(lp)`` and its seconds (garbage collection off: halves the build time)."""
    t0 = time.perf_counter()
    gc_was = gc.isenabled()
    gc.disable()
    try:
        m = to_pyomo(lp)
    finally:
        if gc_was:
            gc.enable()
    return m, time.perf_counter() - t0


def _run(opt: Any, m: Any, native: dict[str, Any], name: str) -> Any:
    """One ``opt.solve`` with no solution loaded and stdout kept clean (HiGHS's banner).

    A solver that cannot run (its process failed, or it refused an option name: SCIP raises
    a KeyError) is a one-line EcoOptError naming it and the options it was given.
    """
    from pyomo.common.errors import ApplicationError

    try:
        with _quiet_stdout():
            return opt.solve(m, load_solutions=False, tee=False, options=native)
    except (ApplicationError, KeyError) as exc:
        lines = str(exc).strip().splitlines() or [type(exc).__name__]
        raise EcoOptError(
            printable(f"solver {name!r} failed to run with options {native}: {lines[0]}")
        ) from None


def _point(lp: LinearProgram, m: Any, res: Any) -> np.ndarray | None:
    """The solver's point in column order, or None when it returned none.

    A variable the solver never saw (in no row and without cost, so a file-based solver's
    writer left it out) has no value: it takes the value in its bounds nearest 0.
    """
    from pyomo.opt import SolverStatus

    if len(res.solution) == 0 or str(res.solution(0).status) not in WITH_POINT:
        return None
    # the termination is read already: an 'aborted' or 'warning' status (a time limit) would
    # only make load_from log a warning, or refuse a point we judged usable
    res.solver.status = SolverStatus.ok
    m.solutions.load_from(res)
    _, lower, upper, _ = lp.column_arrays()
    values = [v.value for v in m._ecoopt_columns]
    x = np.array([math.nan if v is None else float(v) for v in values])
    missing = np.isnan(x)
    x[missing] = np.clip(0.0, lower[missing], upper[missing])
    return x


def _bound(
    lp: LinearProgram, res: Any, objective: float | None, termination: str, scale: float = 1.0
) -> float | None:
    """The solver's bound on the optimum (divided by the ``scale`` the solver saw) if finite,
    else the objective when optimal, else None."""
    raw = res.problem.lower_bound if lp.sense == "min" else res.problem.upper_bound
    try:
        value = float(raw)
    except (TypeError, ValueError):
        value = math.nan
    if math.isfinite(value):
        return value / scale
    return objective if termination == "optimal" else None
