"""Exact Pareto fronts: 21 points from one kept HiGHS model against one solve of the same model.

Run: ``python benchmarks/pareto_warm.py [--points N] [--quick]``.

For each instance: one ``ecoopt.solve`` of y (the reference, in the same run, after one
untimed solve so that first-call costs are not counted), the front of
``ecoopt.pareto(..., warm=True)`` and of ``warm=False`` (a full solve per point and per end),
each as a ratio to the one solve (issue 13's goal: a 21-point front at most 3× one solve).
The warm front keeps y's model in HiGHS for both ends and every point and carries a point
(no run) when the last optimum already meets its bound; the table gives its HiGHS runs (the
two ends included), its carried points, the seconds inside HiGHS's ``run`` (the rest is
formulation, the reference heuristics, hand-off and the per-point check) and the points that
failed the check and were solved again from scratch.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import ecoopt

ROOT = Path(__file__).resolve().parents[1] / "instances"
CASES = [
    ("routing/carbonedge_capacity.yaml", "latency", "carbon"),
    ("partition/carbonedge_mobilenet_v2_slo.yaml", "latency", "carbon"),
    ("gpushare/paper_nondegenerate.yaml", "latency", "carbon"),
    ("provisioning/ecoserve_ci17.yaml", "cost", "carbon"),
]


def _timed(f, *args, **kwargs):  # noqa: ANN001, ANN002, ANN003, ANN202
    t0 = time.perf_counter()
    out = f(*args, **kwargs)
    return out, time.perf_counter() - t0


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=21)
    ap.add_argument("--quick", action="store_true", help="the first two instances only")
    args = ap.parse_args(argv)
    print(f"# Pareto fronts, {args.points} points — ecoopt {ecoopt.__version__}, "
          f"Python {sys.version.split()[0]}\n")  # fmt: skip
    print("| instance | x | y | one solve s | warm front s | warm ÷ one | HiGHS runs | carried | "
          "in HiGHS s | re-solved | cold front s | cold ÷ one |")  # fmt: skip
    print("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for rel, x, y in CASES[:2] if args.quick else CASES:
        inst = ecoopt.load(ROOT / rel)
        ecoopt.solve(inst, y)  # untimed: first-call costs (imports, caches)
        _, one = _timed(ecoopt.solve, inst, y)
        warm, warm_s = _timed(ecoopt.pareto, inst, x, y, args.points, methods=[])
        _, cold_s = _timed(ecoopt.pareto, inst, x, y, args.points, methods=[], warm=False)
        carried = int(warm["carried"].sum()) if "carried" in warm else 0
        runs = warm.attrs.get("highs_runs", args.points + 2)
        cells = [rel.removesuffix(".yaml"), x, y, f"{one:.3f}", f"{warm_s:.2f}",
                 f"{warm_s / one:.1f}", str(runs), str(carried),
                 f"{warm.attrs.get('highs_s', warm['solve_s'].sum()):.2f}",
                 str(int((~warm["warm"]).sum())),
                 f"{cold_s:.2f}", f"{cold_s / one:.1f}"]  # fmt: skip
        print("| " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
