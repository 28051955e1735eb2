"""routing at scale: the hindsight MILP by grid and stream size, and the simulator per policy.

Run: ``python benchmarks/routing_scale.py [--quick] [--time-limit S]``.

1. The hindsight MILP on ``ecoopt.routing.generate.generate(3 nodes, R requests, seed 1)`` for
   grids of ``slot_s`` 0.4, 0.2 and 0.1 s: columns, cells, seconds (one thread), whether it
   proved optimality, its gap at the limit, and the best policy's gap to its objective.
2. The simulator replaying the Azure conversation hour (19,366 requests) on 10 generated
   nodes, one request type with a 30 s SLO, ``slot_s`` 0.05 s: seconds per policy under the
   straightforward ``ReferenceSimulation`` (before) and the fast ``Simulation`` (after), wall
   and CPU, whether both made the same plan, and SLO attainment (the issue's goal: under 2 s
   per policy).
3. CarbonEdge's scorer deciding a stream of 10⁶ tasks over 10 nodes (the issue's goal: at most
   1 µs per task amortised; the paper's scorer takes 30 µs per task), in two state models, each
   checked decision for decision against the one-at-a-time rule on a sample.
4. CarbonEdge's weight sweep (w_C = 0, 0.05, …, 1, Balanced's other weights scaled to 1 − w_C)
   on the two bundled CarbonEdge instances: each node's share, carbon, p95 latency, SLO.
5. The MILP window by window and online (``ecoopt.routing.rolling``) on the generator's 3
   nodes × R requests, ``slot_s`` 0.2, R = 10, 20, 40: seconds and solves of
   ``rolling_horizon`` and ``online_milp``, each one's gap to the hindsight MILP (or to its
   bound when not proven), and the best simulator policy's gap, all judged by the evaluator.
Absolute times vary between machines; a per-request figure and the MILP's growth per halving
of the grid are the figures to compare across runs.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

import numpy as np

import ecoopt
from ecoopt.routing import HEURISTICS, evaluate
from ecoopt.routing.generate import generate
from ecoopt.routing.model import count_cells, formulate
from ecoopt.routing.policies import (
    MODES,
    POLICY_NAMES,
    carbonedge_weight_sweep,
    make_policy,
    sweep_switch,
)
from ecoopt.routing.scoring import decide, decide_run, e_est
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
    print("| policy | before s (reference) | after s | after CPU s | µs per request | same plan "
          "| SLO attainment |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---|---:|")
    for name in POLICY_NAMES:
        t0 = time.perf_counter()
        ref = simulate_plan(d, make_policy(inst, name), reference=True)
        before = time.perf_counter() - t0
        t0, c0 = time.perf_counter(), time.process_time()
        plan = simulate_plan(d, make_policy(inst, name))
        took, cpu = time.perf_counter() - t0, time.process_time() - c0
        same = all(np.array_equal(getattr(plan, f), getattr(ref, f))
                   for f in ("batch_of", "batch_node", "batch_size", "batch_start_s"))  # fmt: skip
        ev = evaluate(inst, plan)
        print(f"| {name} | {before:.2f} | {took:.2f} | {cpu:.2f} | {1e6 * took / d.R:.0f} | "
              f"{same} | {ev.metrics['slo_attainment']:.3f} |", flush=True)  # fmt: skip


def _one_at_a_time(o, free, cap, avg, power, inten, w, m, lf=0.8):  # noqa: ANN001, ANN202
    """Algorithm 1 one task at a time, as policies.CarbonEdge.route computes it."""
    o, picks = np.array(o, dtype=np.int64), []
    for _ in range(m):
        load = o / cap
        keep = load <= lf
        parts = (free, 1.0 - load, 1.0 / (1.0 + avg), 1.0 / (1.0 + 2.0 * o),
                 1.0 / (1.0 + inten * e_est(power, avg)))  # fmt: skip
        score = sum(wi * s for wi, s in zip(w, parts))
        p = int(np.argmax(np.where(keep, score, -np.inf))) if keep.any() else int(np.argmin(load))
        picks.append(p)
        o[p] += 1
    return picks


def _nodes10(rng: np.random.Generator) -> tuple[np.ndarray, ...]:
    lanes = rng.integers(1, 5, 10)
    return (lanes, lanes * 64, rng.uniform(0.05, 0.5, 10), rng.uniform(5, 60, 10),
            rng.uniform(20, 700, 10))  # fmt: skip


def scorer_table(tasks: int) -> None:
    """Section 3: the two state models, timed, each checked on a sample."""
    rng = np.random.default_rng(3)
    lanes, cap, avg, power, inten = _nodes10(rng)
    w = MODES["balanced"]
    print(f"\n## 3. CarbonEdge's scorer: {tasks:,} tasks over 10 nodes (Balanced weights)\n")
    # (a) every task its own snapshot: outstanding counts up to 1.2 × capacity (some filtered)
    o = rng.integers(0, (1.2 * cap).astype(np.int64) + 1, (tasks, 10))
    free = np.maximum(lanes - o, 0) / lanes
    a_wall = a_cpu = np.inf
    for _ in range(3):  # best of three: the machine's other load only adds
        t0, c0 = time.perf_counter(), time.process_time()
        pick = decide(o, free, cap, avg, power, inten, w)
        a_wall = min(a_wall, 1e6 * (time.perf_counter() - t0) / tasks)
        a_cpu = min(a_cpu, 1e6 * (time.process_time() - c0) / tasks)
    sample = rng.choice(tasks, 2_000, replace=False)
    ok_a = all(_one_at_a_time(o[i], free[i], cap, avg, power, inten, w, 1)[0] == pick[i]
               for i in sample)  # fmt: skip
    # (b) one stream: bursts of Poisson(500) tasks per grid point decided in sequence by the
    # merge, then each node completes up to lanes × 25 of its outstanding before the next
    # (with this seed's 21 lanes, 525 per grid point against 500 arriving on average)
    o = np.zeros(10, dtype=np.int64)
    bursts = rng.poisson(500, tasks // 500 * 2)
    bursts = bursts[: np.searchsorted(np.cumsum(bursts), tasks) + 1]
    bursts[-1] -= bursts.sum() - tasks
    ok_b, checked, decided, t_b, c_b, filtered = True, 0, 0, 0.0, 0.0, 0
    for g, m in enumerate(bursts):
        free = np.maximum(lanes - o, 0) / lanes
        t0, c0 = time.perf_counter(), time.process_time()
        picks = decide_run(o, free, cap, avg, power, inten, w, int(m))
        o_next = o + np.bincount(picks, minlength=10)
        t_b, c_b = t_b + time.perf_counter() - t0, c_b + time.process_time() - c0
        if g % 100 == 0:  # every 100th grid point: against the one-at-a-time rule
            ok_b &= picks.tolist() == _one_at_a_time(o, free, cap, avg, power, inten, w, int(m))
            checked += int(m)
        decided += int(m)
        o = np.maximum(o_next - lanes * 25, 0)
        filtered += int((o_next / cap > 0.8).all())
    print("| state model | tasks | µs per task (wall) | µs per task (CPU) | checked one at a time "
          "| agree |")  # fmt: skip
    print("|---|---:|---:|---:|---:|---|")
    print(f"| (a) per-task snapshots (decide, each task its own random state; best of 3) | "
          f"{tasks:,} | {a_wall:.3f} | {a_cpu:.3f} | {len(sample):,} | {ok_a} |")  # fmt: skip
    print(f"| (b) one stream, {len(bursts):,} grid points of Poisson(500) same-type tasks "
          f"decided in sequence (decide_run), each node then completing up to 25 per lane "
          f"({int(lanes.sum())} lanes; {filtered:,} grid points end with every node filtered) | "
          f"{decided:,} | "
          f"{1e6 * t_b / decided:.3f} | {1e6 * c_b / decided:.3f} | {checked:,} | {ok_b} |",
          flush=True)  # fmt: skip


def sweep_table() -> None:
    """Section 4: the weight sweep on the bundled CarbonEdge instances."""
    root = Path(__file__).resolve().parents[1] / "instances" / "routing"
    w_c = np.round(np.arange(0.0, 1.0001, 0.05), 2)
    for name in ("carbonedge_mobilenet_v2", "carbonedge_efficientnet_b0"):
        table = carbonedge_weight_sweep(ecoopt.load(root / f"{name}.yaml"), w_c)
        print(f"\n## 4. CarbonEdge weight sweep: {name}\n")
        shares = [c for c in table.columns if c.startswith("share_")]
        print("| w_C | w_R, w_L, w_P, w_B | " + " | ".join(shares)
              + " | gCO2 per request | p95 latency s | SLO |")  # fmt: skip
        print("|" + "---:|" * table.shape[1])
        for _, row in table.iterrows():
            got = " | ".join(f"{row[c]:.3f}" for c in shares)
            others = ", ".join(f"{x:.4f}" for x in row["weights"][:4])
            print(f"| {row['w_C']:.2f} | {others} | {got} | {row['carbon_g_per_request']:.6f} "
                  f"| {row['latency_p95_s']:.3f} | {row['slo_attainment']:.3f} |")  # fmt: skip
        print(
            f"\nGreen takes the largest share from w_C = {sweep_switch(table, 'green')} on "
            "(the paper: w_C ≥ 0.50).",
            flush=True,
        )


def _gap(ev, reference: float) -> str:  # noqa: ANN001
    if not ev.feasible:
        return "infeasible"
    return f"{100 * (ev.objective - reference) / reference:.1f} %"


def rolling_table(sizes: list[int], limit: float) -> None:
    from ecoopt.routing.rolling import online_milp, solve_rolling

    print("## 5. Rolling horizon and online_milp (3 nodes, seed 1, slot_s 0.2)\n")
    head = ("requests", "MILP s", "MILP", "rolling s", "windows", "rolling gap", "online s",
            "epochs", "online gap", "best policy's gap")  # fmt: skip
    print("| " + " | ".join(head) + " |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for n in sizes:
        inst = generate(3, n, 1, slot_s=0.2)
        res = ecoopt.solve(inst, time_limit=limit, threads=1)
        ref = res.objective if res.optimal else res.bound
        t0 = time.perf_counter()
        rolled = solve_rolling(inst)
        t1 = time.perf_counter()
        online = online_milp(inst)
        t2 = time.perf_counter()
        best = min((evaluate(inst, HEURISTICS[p](inst)) for p in POLICY_NAMES),
                   key=lambda ev: (not ev.feasible, ev.objective))  # fmt: skip
        status = "optimal" if res.optimal else f"gap {100 * (res.gap or 0):.1f} %"
        print(f"| {n} | {res.total_s:.2f} | {status} | {t1 - t0:.2f} | {len(rolled.windows)} | "
              f"{_gap(evaluate(inst, rolled.plan), ref)} | {t2 - t1:.2f} | "
              f"{len(online.windows)} | {_gap(evaluate(inst, online.plan), ref)} | "
              f"{_gap(best, ref)} |", flush=True)  # fmt: skip


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="smaller sizes, 2,000 requests")
    ap.add_argument("--time-limit", type=float, default=30.0, help="per MILP, s")
    ap.add_argument("--only", type=int, choices=(1, 2, 3, 4, 5), help="run only this section")
    args = ap.parse_args(argv)
    version = sys.version.split()[0]
    print(f"# routing at scale — ecoopt {ecoopt.__version__}, Python {version}\n")
    sizes = [5] if args.quick else [5, 7]
    run = {args.only} if args.only else {1, 2, 3, 4, 5}
    if 1 in run:
        milp_table(sizes, [0.4, 0.2] if args.quick else [0.4, 0.2, 0.1], args.time_limit)
    if 2 in run:
        simulator_table(2_000 if args.quick else None)
    if 3 in run:
        scorer_table(100_000 if args.quick else 1_000_000)
    if 4 in run:
        sweep_table()
    if 5 in run:
        rolling_table([10] if args.quick else [10, 20, 40], args.time_limit)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
