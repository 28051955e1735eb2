"""gpushare on several GPUs: every heuristic's gap to the MILP, and its time ÷ the MILP's.

Run:  python benchmarks/gpushare_placement.py          (≈ 3 min on 2 cores)
      python benchmarks/gpushare_placement.py --quick  (≈ 30 s: no larger instances)

Instances: every bundled ``instances/gpushare/*.yaml`` with more than one slot, under each of
the four objectives (its own is marked *), and seeded random multi-GPU instances from
``ecoopt.gpushare.generate.generate`` (n_gpus ≥ 2, several sizes, four seeds, all four
objectives), and, unless ``--quick``, two larger ones (100 and 200 agents) reported apart.
The MILP runs with ``mip_rel_gap=1e-6``; a gap is relative to its optimum, or to its
bound when it is not proven optimal (over-states a heuristic's gap, never under-states it).
Times: MILP = build + hand-off + HiGHS, one run; heuristic = best of three runs. A ``!`` marks
a plan the evaluator finds infeasible. The summary also gives OURS's gap when its placement is
forced onto the search used above ``placement.FULL_SWEEP_SLOTS`` slots (these instances have
fewer), so that path is measured against the MILP too. Figures only: nothing here is asserted.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import time
from pathlib import Path

import ecoopt
from ecoopt import solve
from ecoopt.compare import gap_pct
from ecoopt.gpushare import HEURISTICS, evaluate, placement
from ecoopt.gpushare.generate import generate
from ecoopt.gpushare.instance import OBJECTIVES, GpuShareInstance
from ecoopt.gpushare.placement import place_for_objective
from ecoopt.solve import highs_version

ROOT = Path(__file__).resolve().parents[1]
OURS = "sqrt_waterfill"
#: (agents, GPUs, share units) of the random instances; seeds 0-3 each
SIZES = [(6, 2, 20), (8, 2, 100), (10, 3, 20), (12, 2, 20), (16, 4, 20), (20, 3, 100),
         (30, 4, 20), (40, 5, 20)]  # fmt: skip
SEEDS = range(4)
LARGER = [(100, 10, 100), (200, 20, 20)]  # seed 0; MILP time limit 60 s


def _best_of(n: int, f, *args, **kw):  # noqa: ANN001, ANN202
    best, out = math.inf, None
    for _ in range(n):
        t0 = time.perf_counter()
        out = f(*args, **kw)
        best = min(best, time.perf_counter() - t0)
    return out, best


def row(label: str, inst: GpuShareInstance, objective: str) -> dict[str, float]:
    """Print one table row; return every heuristic's gap and time ratio (nan: no reference)."""
    res = solve(inst, objective, time_limit=60, mip_rel_gap=1e-6)
    ref = res.objective if res.optimal else res.bound
    sense = OBJECTIVES[objective]
    cells, out = [], {}
    for name, fn in HEURISTICS.items():
        plan, dt = _best_of(3, fn, inst, objective=objective)
        ev = evaluate(inst, plan, objective)
        gap = gap_pct(ev.objective, ref, sense) if ref is not None else math.nan
        gap = 0.0 if abs(gap) < 5e-8 else gap  # float noise around the optimum
        out[name] = gap if ev.feasible else math.inf
        out[name + "_ratio"] = dt / res.total_s if res.total_s > 0 else math.nan
        cells.append(f"{gap:.1f}{'' if ev.feasible else ' !'}")
    ours = out[OURS + "_ratio"]
    _, placing = _best_of(3, place_for_objective, inst, objective)
    out["place_ms"] = placing * 1e3
    out["many_slot"] = many_slot_gap(inst, objective, ref)
    print(
        f"| {label} | {objective} | {res.termination} | {res.total_s * 1e3:.1f} | "
        + " | ".join(cells)
        + f" | {ours * res.total_s * 1e3:.1f} | {placing * 1e3:.1f} | {ours:.3f} | "
        f"{out['greedy_marginal_ratio']:.3f} |"
    )
    return out if res.termination != "infeasible" else {}


def many_slot_gap(inst: GpuShareInstance, objective: str, ref: float | None) -> float:
    """Gap of OURS when its placement takes the path of many slots (``FULL_SWEEP_SLOTS`` = 0:
    search towards the cheapest slots, from the best start) on this small instance."""
    saved, placement.FULL_SWEEP_SLOTS = placement.FULL_SWEEP_SLOTS, 0
    try:
        ev = evaluate(inst, HEURISTICS[OURS](inst, objective=objective), objective)
    finally:
        placement.FULL_SWEEP_SLOTS = saved
    if not ev.feasible:
        return math.inf
    gap = gap_pct(ev.objective, ref, OBJECTIVES[objective]) if ref is not None else math.nan
    return 0.0 if abs(gap) < 5e-8 else gap


def header(title: str) -> None:
    print(f"\n## {title}")
    print(
        "| instance | objective | MILP status | MILP ms | "
        + " | ".join(f"{h} gap %" for h in HEURISTICS)
        + f" | {OURS} ms | of which placement ms | {OURS} t ÷ MILP t "
        "| greedy_marginal t ÷ MILP t |"
    )
    print("|---|---|---|---:|" + "---:|" * (len(HEURISTICS) + 4))


def bundled() -> list[dict[str, float]]:
    header("Bundled multi-GPU instances (* = the file's own objective)")
    out = []
    for path in sorted((ROOT / "instances" / "gpushare").glob("*.yaml")):
        inst = ecoopt.load(path)
        if len(inst.slots) < 2:
            continue
        for obj in OBJECTIVES:
            star = "*" if obj == inst.objective else ""
            r = row(f"{path.stem}{star}", inst, obj)
            if r:
                out.append(r | {"own": float(bool(star))})
    return out


def random_instances(
    sizes: list[tuple[int, int, int]], seeds: range, title: str
) -> list[dict[str, float]]:
    header(f"{title}: generate(n, gpus, seed=s, share_units=U, objective=o)")
    out = []
    for n, gpus, units in sizes:
        for seed in seeds:
            for obj in OBJECTIVES:
                inst = generate(n, gpus, seed=seed, share_units=units, objective=obj)
                r = row(f"{n}×{gpus} U={units} s{seed}", inst, obj)
                if r:
                    out.append(r | {"obj": float(list(OBJECTIVES).index(obj))})
    return out


def summary(what: str, rows: list[dict[str, float]]) -> None:
    gaps = [r[OURS] for r in rows]
    ratios = [r[OURS + "_ratio"] for r in rows]
    worst = max(gaps)
    print(
        f"- {what}: {len(rows)} feasible (instance, objective) pairs; {OURS} gap max "
        f"{worst:.2f} %, mean {statistics.fmean(gaps):.3f} %; time ÷ MILP median "
        f"{statistics.median(ratios):.3f}, max {max(ratios):.3f}; placement median "
        f"{statistics.median(r['place_ms'] for r in rows):.1f} ms; greedy_marginal gap max "
        f"{max(r['greedy_marginal'] for r in rows):.2f} %; {OURS} with the many-slot search "
        f"gap max {max(r['many_slot'] for r in rows):.2f} %, mean "
        f"{statistics.fmean(r['many_slot'] for r in rows):.3f} %"
    )


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true", help="skip the larger instances")
    quick = p.parse_args().quick
    print(
        f"# gpushare placement benchmark — {highs_version()}, Python "
        f"{platform.python_version()}, {platform.machine()}"
    )
    b = bundled()
    r = random_instances(SIZES, SEEDS, "Random multi-GPU instances")
    big = [] if quick else random_instances(LARGER, range(1), "Larger random instances")
    print("\n## Summary (gap in %, inf = infeasible plan)")
    summary("bundled, own objective", [x for x in b if x["own"]])
    summary("bundled, all four objectives", b)
    summary("random", r)
    for k, obj in enumerate(OBJECTIVES):
        summary(f"random, {obj}", [x for x in r if x["obj"] == k])
    if big:
        summary("larger random (100-200 agents)", big)


if __name__ == "__main__":
    main()
