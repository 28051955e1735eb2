"""The HiGHS adapter: options in, one ``passModel`` hand-off, status translated by a table.

Nothing here knows a problem's maths or judges a plan: :func:`solve_lp` reports what HiGHS
said, in the model's own units (the objective scaling of ``ecoopt.lp`` is undone here), and
``ecoopt.verify`` decides whether to believe it.
"""

from __future__ import annotations

import contextlib
import functools
import math
import os
import sys
import tempfile
import time
from collections.abc import Iterator
from typing import Any

import numpy as np

from .errors import EcoOptError
from .lp import LinearProgram, pass_to_highs
from .results import LPSolution, SolverOptions

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

#: terminations where HiGHS stopped before proving anything: a bound is still owed
STOPPED = frozenset(
    {"time_limit", "iteration_limit", "solution_limit", "interrupted", "memory_limit", "unknown"}
)

#: seconds the LP relaxation may take at least, for a bound after an early stop
RELAXATION_MIN_S = 10.0

#: tolerances of the second attempt, when the first answer failed the check (HiGHS's floor is
#: 1e-10 for the feasibility tolerances)
TIGHT = {
    "mip_feasibility_tolerance": 1e-9,
    "primal_feasibility_tolerance": 1e-9,
    "dual_feasibility_tolerance": 1e-9,
    "mip_abs_gap": 0.0,
}


@contextlib.contextmanager
def _quiet_stdout() -> Iterator[None]:
    """Silence file descriptor 1 while HiGHS prints its banner (stdout carries only results).

    HiGHS writes to the process's descriptor 1 whatever ``sys.stdout`` is (a notebook's
    stream, pytest's capture), so that descriptor is the one silenced."""
    fd = 1
    try:
        os.fstat(fd)
    except OSError:  # no descriptor 1 at all: nothing to protect
        yield
        return
    with contextlib.suppress(AttributeError, OSError, ValueError):
        sys.stdout.flush()
    saved = os.dup(fd)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), fd)
            yield
    finally:
        os.dup2(saved, fd)
        os.close(saved)


def new_highs() -> Any:
    """A ``highspy.Highs`` with its console output off."""
    import highspy

    with _quiet_stdout():
        h = highspy.Highs()
    _set(h, "log_to_console", False)
    return h


@functools.cache
def highs_version() -> str:
    """``HiGHS major.minor.patch`` of the loaded highspy (asked once per process)."""
    h = new_highs()
    return f"HiGHS {h.versionMajor()}.{h.versionMinor()}.{h.versionPatch()}"


def _threads(h: Any, threads: int) -> None:
    """Set HiGHS's thread count; its scheduler is process-wide and refuses a different count
    once started (a run would then log an error), so it is reset first when it differs."""
    import highspy

    if h.setOptionValue("threads", threads) != highspy.HighsStatus.kOk:
        raise ValueError(f"threads must be a whole number ≥ 0, not {threads!r}")
    highspy.Highs.resetGlobalScheduler(True)


def _set(h: Any, key: str, value: Any, what: str = "HiGHS option") -> None:
    """Set one HiGHS option; a refusal is an error naming it, never ignored."""
    import highspy

    if h.setOptionValue(key, value) != highspy.HighsStatus.kOk:
        raise ValueError(f"{what}: HiGHS rejected option {key}={value!r}")


def _configure(h: Any, options: SolverOptions, log_path: str, extra: dict[str, Any]) -> None:
    _set(h, "output_flag", True)
    _set(h, "log_file", log_path)
    _set(h, "mip_rel_gap", float(options.mip_rel_gap))
    # the objective is scaled to a reference solution's size (lp.objective_scale): an absolute
    # gap would then be relative to that reference, not to the optimum, so only the relative
    # gap may stop the search (a user's solver_options can still set one)
    _set(h, "mip_abs_gap", 0.0)
    _set(h, "random_seed", int(options.seed))
    if options.threads is not None:
        _threads(h, int(options.threads))
    if options.time_limit is not None:
        _set(h, "time_limit", float(options.time_limit))
    for key, value in {**extra, **options.solver_options}.items():
        _set(h, key, value, "solver_options")


def _pass(h: Any, lp: LinearProgram, scale: float, warm_start: np.ndarray | None) -> None:
    """The model and the start. The start goes as numpy arrays through the index/value
    overload of ``setSolution`` (no Python list of every column). An infeasible start is
    answered with an error by highspy 1.15 and kept, then discarded when assessed, by 1.16;
    either way HiGHS goes on without it (tests/test_gpushare_status.py)."""
    import highspy

    if pass_to_highs(h, lp, scale) == highspy.HighsStatus.kError:
        raise EcoOptError(
            f"HiGHS refused the model {lp.name} (coefficients out of its range?); "
            "check the instance's magnitudes"
        )
    if warm_start is not None:
        value = np.ascontiguousarray(warm_start, dtype=np.float64)
        index = np.arange(len(value), dtype=np.int32)
        h.setSolution(len(value), index, value)  # refused or discarded if infeasible


class _MipProgress:
    """HiGHS's MIP log events as one self-overwriting stderr line: time, incumbent, bound, gap
    (in the model's units: the objective scaling is undone). At most two updates a second."""

    def __init__(self, scale: float):
        self.scale, self.last, self.shown = scale, -1.0, False

    def __call__(self, event: Any) -> None:
        d = event.data_out
        if d.running_time - self.last < 0.5:
            return
        self.last = d.running_time
        inc, bnd = d.mip_primal_bound / self.scale, d.mip_dual_bound / self.scale
        gap = f"{100 * d.mip_gap:.3g} %" if math.isfinite(d.mip_gap) else "-"
        sys.stderr.write(
            f"\r  MILP {d.running_time:7.1f} s   incumbent {inc:.6g}   bound {bnd:.6g}   "
            f"gap {gap}    "
        )
        sys.stderr.flush()
        self.shown = True

    def attach(self, h: Any) -> None:
        for name in ("cbMipLogging", "cbMipImprovingSolution"):
            if hasattr(h, name):  # highspy ≥ 1.11's event interface
                getattr(h, name).subscribe(self)

    def close(self) -> None:
        if self.shown:
            sys.stderr.write("\n")


def solve_lp(
    lp: LinearProgram,
    options: SolverOptions,
    warm_start: np.ndarray | None = None,
    *,
    cost_scale: float = 1.0,
    extra_options: dict[str, Any] | None = None,
) -> LPSolution:
    """Solve ``lp`` with HiGHS from its numpy arrays; never raises on solver status.

    ``cost_scale`` multiplies the objective HiGHS sees (``ecoopt.lp.objective_scale``);
    objective and bound come back in the model's own units. ``extra_options`` are HiGHS
    options of this attempt (e.g. :data:`TIGHT`).

    Timing: ``solve_s`` is HiGHS's ``run`` plus, when one is solved for a bound after an early
    stop, the LP relaxation's (also in ``bound_s``: the time limit is the MIP's);
    ``handoff_s`` is everything else in here, both ways: creating and configuring HiGHS,
    passing the arrays and the start, reading the solution and the log.
    """
    t0 = time.perf_counter()
    h = new_highs()
    fd, log_path = tempfile.mkstemp(prefix="ecoopt-highs-", suffix=".log")
    os.close(fd)
    try:
        _configure(h, options, log_path, extra_options or {})
        _pass(h, lp, cost_scale, warm_start)
        run_s, status = _run(h, options, cost_scale)
        sol = _read(h, lp, cost_scale, status)
        sol.bound_s = _bound_after_stop(sol, lp, options)
    finally:
        with open(log_path, errors="replace") as fh:
            log = fh.read()
        os.unlink(log_path)
    sol.solve_s, sol.log = run_s + sol.bound_s, log + sol.log
    sol.handoff_s = max(0.0, time.perf_counter() - t0 - sol.solve_s)
    return sol


class KeptModel:
    """One model passed to HiGHS once and run many times (``ecoopt.study.pareto``): between
    runs only a row's bounds, the objective (another model's costs on the same columns) or
    the MIP start change, and rows can be appended; each run's answer is read in the units
    of the model whose objective is in use. HiGHS's log of every run goes to one temporary
    file, removed by :meth:`close` (or on leaving a ``with`` block)."""

    def __init__(self, lp: LinearProgram, options: SolverOptions, cost_scale: float = 1.0):
        self.h = new_highs()
        fd, self._log_path = tempfile.mkstemp(prefix="ecoopt-highs-", suffix=".log")
        os.close(fd)
        self.options, self.lp, self.scale = options, lp, cost_scale
        _configure(self.h, options, self._log_path, {})
        _pass(self.h, lp, cost_scale, None)

    def use_objective(self, lp: LinearProgram, cost_scale: float) -> None:
        """Optimise ``lp``'s objective (costs, offset, sense; scaled by ``cost_scale``) over
        the kept rows and columns; ``lp`` must have the kept model's columns."""
        import highspy

        cost = np.concatenate([b.cost for b in lp.vars.values()]) * cost_scale
        n = len(cost)
        self.h.changeColsCost(n, np.arange(n, dtype=np.int32), cost)
        self.h.changeObjectiveOffset(float(lp.objective_offset * cost_scale))
        sense = highspy.ObjSense.kMaximize if lp.sense == "max" else highspy.ObjSense.kMinimize
        self.h.changeObjectiveSense(sense)
        self.lp, self.scale = lp, cost_scale

    def add_rows(self, fam: Any) -> int:
        """Append the rows of the family ``fam`` (an ``lp.RowBlock``); returns the first's
        index."""
        first = self.h.getNumRow()
        for k in range(fam.size):
            mine = fam.rows == k
            cols, vals = fam.cols[mine].astype(np.int32), fam.vals[mine].astype(float)
            self.h.addRow(float(fam.lower[k]), float(fam.upper[k]), len(cols), cols, vals)
        return first

    def set_row_bounds(self, row: int, lower: float, upper: float) -> None:
        self.h.changeRowBounds(int(row), float(lower), float(upper))

    def run(
        self, start: np.ndarray | None = None, extra: dict[str, Any] | None = None
    ) -> LPSolution:
        """One run from the MIP start ``start`` (refused or discarded by HiGHS if infeasible),
        with the HiGHS options ``extra`` for this run only (e.g. :data:`TIGHT`); ``solve_s`` is
        HiGHS's ``run``, ``handoff_s`` the start and the read-back."""
        t0 = time.perf_counter()
        if start is not None:
            value = np.ascontiguousarray(start, dtype=np.float64)
            self.h.setSolution(len(value), np.arange(len(value), dtype=np.int32), value)
        saved = {key: self.h.getOptionValue(key)[1] for key in extra or {}}  # (status, value)
        for key, value in (extra or {}).items():
            _set(self.h, key, value)
        try:
            run_s, status = _run(self.h, self.options, self.scale)
        finally:
            for key, value in saved.items():
                _set(self.h, key, value)
        sol = _read(self.h, self.lp, self.scale, status)
        sol.solve_s = run_s
        sol.handoff_s = max(0.0, time.perf_counter() - t0 - run_s)
        return sol

    def close(self) -> None:
        with contextlib.suppress(OSError):
            os.unlink(self._log_path)

    def __enter__(self) -> KeptModel:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def solve_row_sweep(
    lp: LinearProgram,
    options: SolverOptions,
    row: int,
    row_bounds: list[tuple[float, float]],
    *,
    cost_scale: float = 1.0,
    warm_start: np.ndarray | None = None,
) -> list[LPSolution]:
    """Warm re-solves: ``lp`` passed to HiGHS once (:class:`KeptModel`), then solved once per
    (lower, upper) of row ``row`` (in the model's row order and scaling), each run started
    from the previous run's solution (the first from ``warm_start``). ``solve_s`` of each is
    its own run."""
    out: list[LPSolution] = []
    with KeptModel(lp, options, cost_scale) as kept:
        start = warm_start
        for lower, upper in row_bounds:
            kept.set_row_bounds(row, lower, upper)
            sol = kept.run(start)
            out.append(sol)
            if sol.x is not None:
                start = sol.x
    return out


def _run(h: Any, options: SolverOptions, scale: float) -> tuple[float, Any]:
    """HiGHS's ``run`` (with the progress line or the echoed log asked for): seconds, status."""
    progress = _MipProgress(scale) if options.progress else None
    if progress is not None:
        progress.attach(h)
    if options.verbose and hasattr(h, "cbLogging"):
        h.cbLogging.subscribe(lambda e: sys.stderr.write(e.message))
    t1 = time.perf_counter()
    status = h.run()  # a zero time limit is honoured by HiGHS itself (keeps a start)
    run_s = time.perf_counter() - t1
    if progress is not None:
        progress.close()
    return run_s, status


def _read(h: Any, lp: LinearProgram, scale: float, status: Any) -> LPSolution:
    """Translate HiGHS's state after ``run`` into an LPSolution (model units); an error
    returned by ``run`` itself wins over the model status."""
    import highspy

    termination = TERMINATION.get(h.getModelStatus().name, "unknown")
    info = h.getInfo()
    is_mip = any(b.integer for b in lp.vars.values())
    x = objective = None
    if info.primal_solution_status == 2:  # kSolutionStatusFeasible
        col_value = h.getSolution().col_value
        x = np.fromiter(col_value, dtype=float, count=len(col_value))
        objective = lp.objective_value(x)
    dual = float(info.mip_dual_bound) if is_mip else math.nan
    bound: float | None = None
    if termination == "optimal":
        bound = dual / scale if math.isfinite(dual) else objective
    elif is_mip and math.isfinite(dual) and abs(dual) < 1e29:
        bound = dual / scale
    log = ""
    if status == highspy.HighsStatus.kError and termination != "error":
        log = f"\necoopt: HiGHS's run returned an error (model status {termination})\n"
        termination, x, objective, bound = "error", None, None, None
    return LPSolution(
        termination=termination,
        solution_status="optimal"
        if termination == "optimal"
        else "feasible"
        if x is not None
        else "none",
        x=x,
        objective=objective,
        bound=bound,
        gap=relative_gap(objective, bound),
        handoff_s=0.0,
        solve_s=0.0,
        log=log,
        nodes=int(info.mip_node_count) if is_mip else 0,
    )


def _bound_after_stop(sol: LPSolution, lp: LinearProgram, options: SolverOptions) -> float:
    """A MIP stopped early without a bound gets the LP relaxation's (budget: at least 10 s, at
    most 60 s, like the MIP's own); returns the seconds spent."""
    is_mip = any(b.integer for b in lp.vars.values())
    if not (is_mip and sol.termination in STOPPED and sol.bound is None):
        return 0.0
    t0 = time.perf_counter()
    budget = min(60.0, max(RELAXATION_MIN_S, options.time_limit or 0.0))
    sol.bound = relaxation_bound(lp, budget, options.threads)
    if sol.bound is not None:
        sol.gap = relative_gap(sol.objective, sol.bound)
        sol.log += "\necoopt: bound from the LP relaxation (HiGHS had none when it stopped)\n"
    return time.perf_counter() - t0


def relative_gap(obj: float | None, bound: float | None) -> float | None:
    """|obj − bound| / |obj|, None without both; 0 when they are equal (also both 0), inf when
    only the objective is 0. No absolute floor: objectives of 1e-10 are real (grams per layer)."""
    if obj is None or bound is None or not math.isfinite(bound):
        return None
    if obj == bound:
        return 0.0
    return abs(obj - bound) / abs(obj) if obj != 0 else math.inf


def relaxation_bound(
    lp: LinearProgram, seconds: float = 10.0, threads: int | None = None
) -> float | None:
    """Objective of the LP relaxation: a valid bound when HiGHS stopped before finding one."""
    import highspy

    h = new_highs()
    _set(h, "output_flag", False)
    _set(h, "time_limit", float(seconds))
    if threads is not None:
        _threads(h, threads)
    if pass_to_highs(h, lp, relax=True) == highspy.HighsStatus.kError:
        return None
    if h.run() == highspy.HighsStatus.kError:
        return None
    if h.getModelStatus() != highspy.HighsModelStatus.kOptimal:
        return None
    return float(h.getInfo().objective_function_value)
