"""Exact Pareto fronts: 21 points by warm re-solves against one solve of the same model.

Run: ``python benchmarks/pareto_warm.py [--points N] [--quick]``.

For each instance: one ``ecoopt.solve`` of y (the reference, in the same run), the front of
``ecoopt.pareto(..., warm=True)`` (one model kept in HiGHS, only the bound row changed, each
run from the last one's solution) and of ``warm=False`` (a full solve per point), each as a
ratio to the one solve (issue 13's goal: a 21-point front at most 3× one solve), with how many
points the warm path answered (the rest failed the check and were solved again from scratch).
The two ends (least x, least y) are two more solves inside each front's time.
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


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=21)
    ap.add_argument("--quick", action="store_true", help="the first two instances only")
    args = ap.parse_args(argv)
    print(f"# Pareto fronts, {args.points} points — ecoopt {ecoopt.__version__}, "
          f"Python {sys.version.split()[0]}\n")  # fmt: skip
    print("| instance | x | y | one solve s | warm front s | warm ÷ one | warm points | "
          "cold front s | cold ÷ one |")  # fmt: skip
    print("|---|---|---|---:|---:|---:|---:|---:|---:|")
    for rel, x, y in CASES[:2] if args.quick else CASES:
        inst = ecoopt.load(ROOT / rel)
        t0 = time.perf_counter()
        ecoopt.solve(inst, y)
        one = time.perf_counter() - t0
        t0 = time.perf_counter()
        warm = ecoopt.pareto(inst, x, y, args.points, methods=[])
        warm_s = time.perf_counter() - t0
        t0 = time.perf_counter()
        ecoopt.pareto(inst, x, y, args.points, methods=[], warm=False)
        cold_s = time.perf_counter() - t0
        hits = int(warm["warm"].sum())
        cells = [rel, x, y, f"{one:.3f}", f"{warm_s:.2f}", f"{warm_s / one:.1f}",
                 f"{hits}/{args.points}", f"{cold_s:.2f}", f"{cold_s / one:.1f}"]  # fmt: skip
        print("| " + " | ".join(cells) + " |", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
