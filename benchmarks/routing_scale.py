"""routing at scale: the hindsight MILP by grid and stream size, and the simulator per policy.

Run: ``python benchmarks/routing_scale.py [--quick] [--time-limit S]``.

1. The hindsight MILP on ``ecoopt.routing.generate.generate(3 nodes, R requests, seed 1)`` for
   grids of ``slot_s`` 0.4, 0.2 and 0.1 s: columns, cells, seconds (one thread), whether it
   proved optimality, its gap at the limit, and the best policy's gap to its objective.
2. The simulator replaying the Azure conversation hour (19,366 requests) on 10 generated
   nodes, one request type with a 30 s SLO, ``slot_s`` 0.05 s: seconds per policy, µs per
   request, and each policy's SLO attainment (the issue's goal: under 2 s per policy).
Absolute times vary between machines; a per-request figure and the MILP's growth per halving
of the grid are the figures to compare across runs.
"""

from __future__ import annotations

import argparse
import sys
import time

import ecoopt
from ecoopt.routing import HEURISTICS, evaluate
from ecoopt.routing.generate import generate
from ecoopt.routing.model import count_cells, formulate
from ecoopt.routing.policies import POLICY_NAMES, make_policy
from ecoopt.routing.simulate import simulate_plan
from ecoopt.routing.streams import azure


def milp_table(sizes: list[int], slots: list[float], limit: float) -> None:
    print("## 1. Hindsight MILP (3 nodes, seed 1, one thread)\n")
    head = ("requests", "slot_s", "columns", "cells", "seconds", "optimal", "gap at limit",
            "best policy's gap")  # fmt: skip
    print("| " + " | ".join(head) + " |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        for slot in slots:
            inst = generate(3, n, 1, slot_s=slot)
            lp = formulate(inst)
            res = ecoopt.solve(inst, time_limit=limit, threads=1)
            best = min(
                (ev.objective for ev in (evaluate(inst, f(inst)) for f in HEURISTICS.values())
                 if ev.feasible),
                default=float("nan"),
            )  # fmt: skip
            gap = "-" if res.optimal else f"{100 * (res.gap or 0):.1f} %"
            policy_gap = 100 * (best - res.objective) / res.objective
            cells = count_cells(inst.data)
            print(f"| {n} | {slot:g} | {lp.num_cols:,} | {cells:,} | {res.total_s:.2f} | "
                  f"{res.optimal} | {gap} | {policy_gap:.1f} % |", flush=True)  # fmt: skip


def azure_instance(requests: int | None) -> ecoopt.routing.RoutingInstance:
    base = generate(10, 5, 0, slot_s=0.05)
    stream = azure("conv", max_requests=requests)
    data = base.model_dump(exclude_none=True)
    data["requests"] = [{"arrival_s": float(a), "type": "type0"} for a in stream.arrival_s]
    data["types"][0]["slo_s"] = 30.0
    return ecoopt.from_dict(data)


def simulator_table(requests: int | None) -> None:
    inst = azure_instance(requests)
    d = inst.data
    print(f"\n## 2. Simulator: Azure conversation trace, {d.R:,} requests on {d.N} nodes\n")
    print("| policy | seconds | µs per request | SLO attainment |")
    print("|---|---:|---:|---:|")
    for name in POLICY_NAMES:
        t0 = time.perf_counter()
        plan = simulate_plan(d, make_policy(inst, name))
        took = time.perf_counter() - t0
        ev = evaluate(inst, plan)
        print(f"| {name} | {took:.2f} | {1e6 * took / d.R:.0f} | "
              f"{ev.metrics['slo_attainment']:.3f} |", flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes, 2,000 requests")
    ap.add_argument("--time-limit", type=float, default=30.0, help="per MILP, s")
    args = ap.parse_args(argv)
    version = sys.version.split()[0]
    print(f"# routing at scale — ecoopt {ecoopt.__version__}, Python {version}\n")
    sizes = [5] if args.quick else [5, 7]
    milp_table(sizes, [0.4, 0.2] if args.quick else [0.4, 0.2, 0.1], args.time_limit)
    simulator_table(2_000 if args.quick else None)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
