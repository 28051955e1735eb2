"""partition scaling benchmark: MILP build / hand-off / HiGHS seconds, heuristic gaps and times,
and the chain DP against the MILP.

Run:  python benchmarks/partition.py   (≈ 1-2 min on 2 cores)

Instances: ``ecoopt.partition.generate.generate(model, D, seed=1)`` — D random devices from edge
to datacenter on a full mesh of links, least carbon within 1.5 × the fastest monolithic
latency, for ResNet-50 and EfficientNet-B0, fused and full graphs. Heuristic and DP times are
medians of 5 runs.
"""

from __future__ import annotations

import platform
import statistics
import time

from ecoopt import solve
from ecoopt.compare import gap_pct
from ecoopt.errors import NotApplicable
from ecoopt.partition import evaluate
from ecoopt.partition.generate import generate
from ecoopt.partition.heuristics import HEURISTICS, dp_chain
from ecoopt.solve import highs_version


def median_ms(f, *args, **kw) -> float:  # noqa: ANN001
    ts = []
    for _ in range(5):
        t0 = time.perf_counter()
        f(*args, **kw)
        ts.append(time.perf_counter() - t0)
    return 1e3 * statistics.median(ts)


def main() -> None:
    print(
        f"# partition benchmark — {highs_version()}, Python {platform.python_version()}, "
        f"{platform.machine()}; objective carbon within an SLO; gap 1e-4"
    )
    print(
        "\n| model | graph | layers | D | binaries+flows | build s | hand-off s | HiGHS s | "
        "total s | status |"
    )
    print("|---|---|---:|---:|---:|---:|---:|---:|---:|---|")
    heur_rows = []
    for model in ("resnet50", "efficientnet_b0"):
        for fuse in (True, False):
            for D in (2, 4, 8, 16):
                inst = generate(model, D, seed=1, fuse=fuse)
                res = solve(inst, time_limit=120)
                print(
                    f"| {model} | {'fused' if fuse else 'full'} | {len(inst.data.layers)} | {D} "
                    f"| {res.num_vars:,} | {res.build_s:.3f} | {res.handoff_s:.3f} | "
                    f"{res.solve_s:.3f} | {res.total_s:.3f} | {res.termination} |"
                )
                if D == 8:
                    cells = []
                    for name, fn in HEURISTICS.items():
                        try:
                            ms = median_ms(fn, inst)
                        except NotApplicable:
                            continue
                        ev = evaluate(inst, fn(inst))
                        g = gap_pct(ev.objective, res.objective, "min")
                        cells.append(
                            f"{name} {g:.1f} % / {ms:.2f} ms"
                            + ("" if ev.feasible else " (infeasible)")
                        )
                    heur_rows.append(
                        f"| {model} {'fused' if fuse else 'full'} D=8 | " + "; ".join(cells) + " |"
                    )
    print("\n## Heuristics at D = 8: gap to the MILP optimum / median run time")
    print("| instance | methods |\n|---|---|")
    print("\n".join(heur_rows))

    print("\n## Chain DP vs MILP (objective latency, no SLO; DP exact, O(L·D²))")
    print("| model | layers | D | DP ms | MILP total s | DP plan | DP = MILP |")
    print("|---|---:|---:|---:|---:|---|---|")
    for model in ("vgg16", "llama2_7b_decode1"):
        for D in (4, 16):
            inst = generate(model, D, seed=2, objective="latency", slo_factor=None)
            res = solve(inst, mip_rel_gap=0)
            ms = median_ms(dp_chain, inst)
            ev = evaluate(inst, dp_chain(inst))
            same = abs(ev.objective - res.objective) <= 1e-9 * max(1.0, abs(res.objective))
            # where memory binds, the DP (which ignores it) is infeasible: a lower bound only
            kind = "feasible" if ev.feasible else "breaks memory (bound)"
            print(
                f"| {model} | {len(inst.data.layers)} | {D} | {ms:.2f} | {res.total_s:.3f} "
                f"| {kind} | {same} |"
            )


if __name__ == "__main__":
    main()
