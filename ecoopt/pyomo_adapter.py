"""The Pyomo route: build the ``ConcreteModel`` from the same LinearProgram and solve it with
Pyomo's ``appsi_highs``. Used to cross-check the direct path (tests) and to measure it
(benchmarks); the maths is never written twice."""

from __future__ import annotations

import gc
import time

import numpy as np

from .lp import LinearProgram, to_pyomo
from .results import LPSolution, SolverOptions


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
