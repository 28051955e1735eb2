"""Solve overhead: where a solve's time goes outside the solver, on both routes.

Run:  python benchmarks/solve_overhead.py            (≈ 20-30 min on 2 cores: N up to 20,000)
      python benchmarks/solve_overhead.py --quick    (N = 500 and 5,000, ≈ 5 min)

For each case, ``ecoopt.solve`` (one thread, gap 1e-4) is timed by phase: the problem's
pre-check, formulate (build), hand-off (creating HiGHS, passing the arrays and the start,
reading the answer back), HiGHS's ``run``, ecoopt's check (the reference heuristic that scales
the objective and starts HiGHS, and the evaluator's verdicts), their total, and the wall time
of the ``solve`` call; "total − check" leaves the check out, to show the path from instance to
answer apart from the heuristic. The floor is the same model passed to highspy by hand: the
same scaled arrays (built beforehand, untimed) and the same start, with ``Highs()``, the
options, ``passModel``, ``setSolution`` and ``run`` timed; floor = that ÷ its ``run``. The
Pyomo route (``interface="pyomo"``, APPSI HiGHS) is split into build (formulate + the Pyomo
model), hand-off and HiGHS's own time, and its total is divided by HiGHS's time on the Pyomo
model and by the direct route's HiGHS time.

Every figure is the median of ``--runs`` (default 3) fresh processes, one per run and route
(this file re-runs itself with ``--child``). Each child first solves a 4-agent instance on the
same route, so imports (Pyomo's take about a second) and HiGHS's thread start-up, paid once per
process, are not charged to the measured solve.

Cases (seeded generators):

* gpushare ``latency``: ``generate(N, N // 10, seed=0, pooled=True, objective="latency")``;
* gpushare ``carbon``: the same call with ``objective="carbon"`` and every agent's
  ``memory_bytes`` set to 0. With memory, a carbon pool's models are packed GPU by GPU by the
  MILP (host columns: N × GPUs of them, 2.48 million at N = 5,000, where HiGHS needs minutes),
  which is not a cheap solve; without memory, the packing is fixed and the model is the size
  of the latency one. The packed model itself is the ``carbon+memory`` case, at N = 500 only;
* partition: ``instances/partition/cluster_resnet50_carbon.yaml``.

The last table is the peak memory (tracemalloc, in a fresh process) of ``formulate`` at
N = 100,000 agents with 100 share units, and of building the levels two ways: from the dense
agents × units admissibility grid (``model.admissible``, how ``levels`` worked before) and
with ``model.levels``.
"""

from __future__ import annotations

import argparse
import json
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
PARTITION_FILE = ROOT / "instances" / "partition" / "cluster_resnet50_carbon.yaml"
PHASES = ("precheck_s", "build_s", "handoff_s", "solve_s", "check_s", "total_s", "wall_s")


def make_instance(case: str) -> Any:
    """The instance a case names: ``gpushare-<objective>-<N>`` or ``partition``."""
    import ecoopt
    from ecoopt.gpushare.generate import generate

    if case == "partition":
        return ecoopt.load(PARTITION_FILE)
    _, objective, n = case.split("-")
    n = int(n)
    inst = generate(n, max(1, n // 10), seed=0, pooled=True, objective=objective.split("+")[0])
    if objective == "carbon":  # no memory: the pool's packing is fixed (module docstring)
        data = inst.model_dump()
        for agent in data["agents"]:
            agent["memory_bytes"] = 0.0
        inst = type(inst).model_validate(data)
    return inst


def warm_up(route: dict[str, Any]) -> None:
    """A 4-agent solve on the same route: imports and HiGHS's threads, once per process."""
    import ecoopt
    from ecoopt.gpushare.generate import generate

    ecoopt.solve(generate(4, 1, seed=0), **route)


def timed_solve(inst: Any, route: dict[str, Any]) -> tuple[Any, dict[str, float]]:
    """``ecoopt.solve`` and its phases; the pre-check is timed apart if the Result lacks it."""
    import ecoopt
    from ecoopt.problems import spec_for

    phases: dict[str, float] = {}
    if not hasattr(ecoopt.Result, "timings"):  # an ecoopt from before Result.timings
        t0 = time.perf_counter()
        spec_for(inst).precheck(inst)
        phases["precheck_s"] = time.perf_counter() - t0
    t0 = time.perf_counter()
    res = ecoopt.solve(inst, threads=1, **route)
    wall = time.perf_counter() - t0
    for key in ("precheck_s", "build_s", "handoff_s", "solve_s", "check_s"):
        phases[key] = phases.get(key, 0.0) + float(getattr(res, key, 0.0))
    phases["total_s"] = sum(phases.values())
    phases["wall_s"] = wall + phases["precheck_s"] - float(getattr(res, "precheck_s", 0.0))
    return res, phases


def by_hand(inst: Any) -> dict[str, float]:
    """The same scaled arrays and start passed to highspy by hand: seconds of the hand-off
    (``Highs()``, options, ``passModel``, ``setSolution``) and of ``run``."""
    import highspy
    import numpy as np

    from ecoopt.lp import objective_scale
    from ecoopt.problems import spec_for
    from ecoopt.solve import reference

    spec, objective = spec_for(inst), inst.objective
    lp = spec.formulate(inst, objective)
    plan, ev = reference(spec, inst, objective)
    scale = objective_scale(lp, float(ev.objective) if ev is not None and ev.feasible else None)
    x0 = spec.plan_to_x(inst, lp, plan) if ev is not None and ev.feasible else None
    cost, lower, upper, integ = lp.column_arrays()
    start, index, value, row_lo, row_hi = lp.row_arrays()
    cost = cost * scale
    sense = -1 if lp.sense == "max" else 1
    t0 = time.perf_counter()
    h = highspy.Highs()
    for key, val in (("output_flag", False), ("threads", 1), ("mip_rel_gap", 1e-4)):
        h.setOptionValue(key, val)
    h.setOptionValue("mip_abs_gap", 0.0)
    h.passModel(len(cost), len(row_lo), len(value), 2, sense, lp.objective_offset * scale,
                cost, lower, upper, row_lo, row_hi, start, index, value, integ)  # fmt: skip
    if x0 is not None:
        sol = highspy.HighsSolution()
        sol.col_value = np.asarray(x0, dtype=float).tolist()
        sol.value_valid = True
        h.setSolution(sol)
    t1 = time.perf_counter()
    h.run()
    t2 = time.perf_counter()
    return {"hand_s": t1 - t0, "run_s": t2 - t1}


def child(kind: str, case: str) -> dict[str, Any]:
    """One fresh-process measurement: ``direct`` (ecoopt, then by hand) or ``pyomo``."""
    route = {"interface": "pyomo"} if kind == "pyomo" else {}
    warm_up(route)
    inst = make_instance(case)
    res, phases = timed_solve(inst, route)
    out: dict[str, Any] = {"phases": phases, "status": res.termination, "vars": res.num_vars}
    if kind == "direct":
        out["by_hand"] = by_hand(inst)
    return out


def peak_memory(n: int, units: int) -> dict[str, float]:
    """Peak traced MiB of formulate, of the dense-grid levels and of ``levels`` (one process)."""
    import tracemalloc

    import numpy as np

    from ecoopt.gpushare.generate import generate
    from ecoopt.gpushare.model import admissible, formulate, levels, min_units

    inst = generate(n, max(1, n // 10), seed=0, pooled=True, share_units=units)
    for g in range(len(inst.slots)):
        min_units(inst, g)  # the pre-check's cached search, outside every measurement

    def peak(f) -> float:  # noqa: ANN001
        tracemalloc.start()
        f()
        top = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return top / 2**20

    def dense() -> None:
        for g, slot in enumerate(inst.slots):
            k = np.arange(1, slot.units_per_gpu + 1)
            np.nonzero(admissible(inst, g, k))

    return {
        "formulate": peak(lambda: formulate(inst, "latency")),
        "dense": peak(dense),
        "levels": peak(lambda: levels(inst)),
    }


def run_child(args: list[str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, __file__, "--child", *args], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"child {args} failed:\n{done.stderr}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def median(values: list[float]) -> float:
    return statistics.median(values)


def _without_check(phases: dict[str, float]) -> float:
    """(total − check) ÷ HiGHS: the path from instance to answer without ecoopt's checking
    (whose main cost is the reference heuristic)."""
    return (phases["total_s"] - phases["check_s"]) / phases["solve_s"]


def direct_table(cases: list[str], runs: int) -> dict[str, float]:
    """Print the direct route's phases; returns each case's median HiGHS seconds."""
    print("\n## Direct route (numpy blocks -> HiGHS): seconds by phase, median of fresh runs")
    print(
        "| case | columns | status | precheck | formulate | hand-off | HiGHS | check | total "
        "| wall | total ÷ HiGHS | total − check ÷ HiGHS | by hand ÷ HiGHS (floor) |"
    )
    print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    highs: dict[str, float] = {}
    for case in cases:
        got = [run_child(["direct", case]) for _ in range(runs)]
        med = {k: median([g["phases"][k] for g in got]) for k in PHASES}
        ratio = median([g["phases"]["total_s"] / g["phases"]["solve_s"] for g in got])
        path = median([_without_check(g["phases"]) for g in got])
        hand = [g["by_hand"] for g in got]
        floor = median([(h["hand_s"] + h["run_s"]) / h["run_s"] for h in hand])
        highs[case] = med["solve_s"]
        cells = " | ".join(f"{med[k]:.3f}" for k in PHASES)
        print(
            f"| {case} | {got[0]['vars']:,} | {got[0]['status']} | {cells} | {ratio:.3f} "
            f"| {path:.3f} | {floor:.3f} |"
        )
    return highs


def pyomo_table(cases: list[str], runs: int, direct_highs: dict[str, float]) -> None:
    print("\n## Pyomo route (interface='pyomo', APPSI HiGHS): seconds, median of fresh runs")
    print(
        "| case | build (formulate + Pyomo model) | hand-off | HiGHS (own clock) | check | total "
        "| wall | total ÷ HiGHS on this model | total ÷ direct route's HiGHS |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for case in cases:
        got = [run_child(["pyomo", case])["phases"] for _ in range(runs)]
        med = {k: median([g[k] for g in got]) for k in PHASES}
        own = median([g["total_s"] / g["solve_s"] for g in got])
        print(
            f"| {case} | {med['build_s']:.3f} | {med['handoff_s']:.3f} | {med['solve_s']:.3f} "
            f"| {med['check_s']:.3f} | {med['total_s']:.3f} | {med['wall_s']:.3f} | {own:.3f} "
            f"| {med['total_s'] / direct_highs[case]:.3f} |"
        )


def memory_table(n: int, units: int) -> None:
    got = run_child(["memory", str(n), str(units)])
    print(f"\n## Peak memory (tracemalloc), N = {n:,} agents, {units} share units, one pool")
    print("| formulate MiB | levels from the dense grid MiB | levels (model.levels) MiB |")
    print("|---:|---:|---:|")
    print(f"| {got['formulate']:.1f} | {got['dense']:.1f} | {got['levels']:.1f} |")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--quick", action="store_true", help="N = 500 and 5,000 only")
    p.add_argument("--runs", type=int, default=3, help="fresh processes per figure (median)")
    p.add_argument("--pyomo-up-to", type=int, default=5_000, help="largest N on the Pyomo route")
    p.add_argument("--memory-agents", type=int, default=100_000)
    p.add_argument("--child", nargs="+", help=argparse.SUPPRESS)
    args = p.parse_args()
    if args.child:
        kind, rest = args.child[0], args.child[1:]
        out = peak_memory(int(rest[0]), int(rest[1])) if kind == "memory" else child(kind, rest[0])
        print(json.dumps(out))
        return
    from ecoopt.solve import highs_version

    print(
        f"# Solve overhead — {highs_version()}, Python {platform.python_version()}, "
        f"{platform.machine()}, one thread, gap 1e-4, median of {args.runs} fresh processes"
    )
    sizes = [500, 5_000] if args.quick else [500, 5_000, 20_000]
    cases = [f"gpushare-{o}-{n}" for n in sizes for o in ("latency", "carbon")]
    cases += ["gpushare-carbon+memory-500", "partition"]
    highs = direct_table(cases, args.runs)
    pyomo = [c for c in cases if c == "partition" or int(c.rsplit("-", 1)[1]) <= args.pyomo_up_to]
    pyomo_table(pyomo, args.runs, highs)
    memory_table(args.memory_agents, 100)


if __name__ == "__main__":
    main()
