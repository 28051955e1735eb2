"""gpushare scaling benchmark: MILP build / hand-off / HiGHS seconds and heuristic gaps.

Run:  python benchmarks/gpushare.py            (≈ 1-2 min on 2 cores)
      python benchmarks/gpushare.py --quick    (N ≤ 1,000 only)

Instances come from ``ecoopt.gpushare.generate.generate`` (seeded): N agents on N/10 GPUs, for
N > 10 as one pooled serverless capacity (the paper's G_total) so the MILP size grows with N
only; 1 % share steps; offered load 0.8 of capacity; 30 % of agents with SLOs. The allocator
timing runs the pure O(N) / O(N log N) functions on numpy arrays up to N = 1,000,000.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

from ecoopt import solve
from ecoopt.compare import gap_pct
from ecoopt.gpushare import HEURISTICS, evaluate
from ecoopt.gpushare.generate import generate
from ecoopt.gpushare.heuristics import adaptive_shares, quantise, sqrt_waterfill_shares
from ecoopt.solve import highs_version


def milp_rows(sizes: list[int], pyomo_up_to: int) -> None:
    print("\n## MILP (direct highspy hand-off), objective = priority-weighted latency, gap 1e-4")
    print(
        "| N agents | GPUs | binaries | build s | hand-off s | HiGHS s | check s | total s "
        "| total/HiGHS | status | Pyomo route total s |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|---:|")
    for n in sizes:
        gpus = max(1, n // 10)
        inst = generate(n, gpus, seed=0, pooled=n > 10)
        res = solve(inst, time_limit=600)
        pyomo = "-"
        if n <= pyomo_up_to:
            t0 = time.perf_counter()
            rp = solve(inst, time_limit=600, interface="pyomo")
            pyomo = f"{time.perf_counter() - t0:.3f}"
            assert abs(rp.objective - res.objective) <= 1e-4 * abs(res.objective)
        print(
            f"| {n:,} | {gpus} | {res.num_vars:,} | {res.build_s:.3f} | {res.handoff_s:.3f} | "
            f"{res.solve_s:.3f} | {res.check_s:.3f} | {res.total_s:.3f} | "
            f"{res.total_s / res.solve_s:.3f} | "
            f"{res.termination} | {pyomo} |"
        )
        heuristic_row(inst, res)


_HEUR: list[str] = []


def heuristic_row(inst, res) -> None:  # noqa: ANN001
    cells = []
    for fn in HEURISTICS.values():
        t0 = time.perf_counter()
        plan = fn(inst)
        dt = time.perf_counter() - t0
        ev = evaluate(inst, plan)
        gap = gap_pct(ev.objective, res.objective, "min")
        gap = 0.0 if abs(gap) < 5e-8 else gap  # float noise around the optimum
        cells.append(f"{gap:.1f} % / {dt * 1e3:.1f} ms" + ("" if ev.feasible else " (infeasible)"))
    _HEUR.append(f"| {len(inst.agents):,} | " + " | ".join(cells) + " |")


def _median_ms(f, *args) -> float:  # noqa: ANN001
    ts = []
    for _ in range(5):
        t0 = time.perf_counter()
        f(*args)
        ts.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(ts)


def _adaptive_quantised(lam, R, P, cap) -> np.ndarray:  # noqa: ANN001
    return quantise(adaptive_shares(lam, R, P, cap), 100, int(cap * 100))


def allocator_rows(sizes: list[int]) -> None:
    print("\n## Allocators on numpy arrays (median of 5 runs, one capacity of N/10 GPUs)")
    print("| N agents | adaptive (paper) ms | adaptive + quantise ms | sqrt_waterfill ms |")
    print("|---:|---:|---:|---:|")
    rng = np.random.default_rng(0)
    for n in sizes:
        lam = rng.uniform(1, 50, n)
        mu = rng.uniform(20, 200, n)
        R = np.full(n, 0.2 / 10)
        P = rng.integers(1, 4, n).astype(float)
        cap = n / 10
        lo = R.copy()
        hi = np.ones(n)
        w = lam / P / np.sum(lam / P)

        a = _median_ms(adaptive_shares, lam, R, P, cap)
        aq = _median_ms(_adaptive_quantised, lam, R, P, cap)
        s = _median_ms(sqrt_waterfill_shares, lam, mu, w, lo, hi, cap, 0.95)
        print(f"| {n:,} | {a:.2f} | {aq:.2f} | {s:.2f} |")


def main() -> None:
    p = argparse.ArgumentParser()
    p.add_argument("--quick", action="store_true")
    args = p.parse_args()
    print(
        f"# gpushare benchmark — {highs_version()}, Python {platform.python_version()}, "
        f"{platform.machine()}"
    )
    sizes = [10, 100, 1_000] if args.quick else [10, 100, 1_000, 10_000]
    milp_rows(sizes, pyomo_up_to=1_000)
    print("\n## Heuristics on the same instances: gap to the MILP optimum / run time")
    print("| N agents | " + " | ".join(HEURISTICS) + " |")
    print("|---:|" + "---|" * len(HEURISTICS))
    print("\n".join(_HEUR))
    allocator_rows([1_000, 10_000, 100_000, 1_000_000])


if __name__ == "__main__":
    main()
