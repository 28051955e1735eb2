"""provisioning at scale: MILP time to proven optimality as slots and SKUs grow, and every
heuristic's time and gap to the MILP on the same instances.

Run:  python benchmarks/provisioning_scale.py              (≈ 5-30 min on 2 cores)
      python benchmarks/provisioning_scale.py --quick      (≈ 10 s-3 min: 24 and 168 slots,
                                                            5 and 10 SKUs, seed 0)
      python benchmarks/provisioning_scale.py --time-limit 120

Instances: ``ecoopt.provisioning.generate.generate(6, n_skus, slots, seed)`` (6 workloads; seeds
0, 1, 2; one site, owned servers allowed, objective carbon) on every pair of slots (24, 168,
720 hourly slots) and SKUs (5, 10, 20). Each MILP runs in this process through
``ecoopt.solve`` (one thread, gap 1e-4, the default warm start), one size at a time; its time is
the whole solve (``Result.total_s``: precheck, build, hand-off, HiGHS, ecoopt's check). Columns,
rows and integers are those of ``ecoopt.provisioning.formulate(inst)`` (median over the seeds).
Table 1's rows print as each size finishes; a line per solve goes to stderr as progress.

1. MILP: the median seconds over the seeds ("≥" when a seed stopped at the time limit), how
   many seeds were proven optimal, the worst gap of the seeds the time limit stopped, and
   growth: the median time ÷ that of the previous SKU count at the same slots, and ÷ that of
   the previous slot count at the same SKUs ("≥" a lower bound; "n/a" when the smaller size
   itself stopped at the limit).
2. Heuristics (``ecoopt.provisioning.HEURISTICS``): the median of 5 runs of each (ms; median
   over the seeds), its gap to the MILP's objective (%, by ecoopt's evaluator; median and worst
   over the seeds, of its feasible plans only; "inc." when some MILP was not proven optimal,
   so the gap is to its incumbent), time ÷ the MILP's median time, and how many of its plans
   the evaluator found feasible (each infeasible plan's violations are listed at the end).

3. ``lp_round`` (not a fast heuristic: two or three LP solves): its seconds, its gap to the
   MILP, the gap to the optimum its own bound proves, and the MILP's own gap at its time limit,
   for the sizes where the MILP stops early.

The issue's goals: 168 slots × 20 SKUs × 6 workloads proven optimal in under 10 s, and every
heuristic under 10 ms on that size; a line after each table says whether they held.
"""

from __future__ import annotations

import argparse
import math
import platform
import statistics
import sys
import time
from dataclasses import dataclass, field

import ecoopt
from ecoopt.compare import gap_pct
from ecoopt.provisioning import HEURISTICS, evaluate, formulate, lp_round
from ecoopt.provisioning.generate import generate
from ecoopt.solve import highs_version

WORKLOADS = 6
GOAL = (168, 20)  # slots, SKUs
GOAL_MILP_S, GOAL_HEURISTIC_MS = 10.0, 10.0


@dataclass
class Size:
    """Everything measured on one (slots, SKUs) size, one entry per seed."""

    slots: int
    skus: int
    cols: list[int] = field(default_factory=list)
    rows: list[int] = field(default_factory=list)
    ints: list[int] = field(default_factory=list)
    seconds: list[float] = field(default_factory=list)
    optimal: list[bool] = field(default_factory=list)
    gaps: list[float] = field(default_factory=list)  # of the seeds not proven optimal
    notes: list[str] = field(default_factory=list)
    #: heuristic → per seed (median ms, gap % to the MILP objective, feasible)
    heur: dict[str, list[tuple[float, float, bool]]] = field(default_factory=dict)
    #: lp_round per seed (seconds, gap % to the MILP, gap % it proves, MILP's own gap %, feasible)
    rounded: list[tuple[float, float, float, float, bool]] = field(default_factory=list)

    @property
    def median_s(self) -> float:
        return statistics.median(self.seconds)


def median_ms(fn, *args, runs: int = 5) -> float:  # noqa: ANN001
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn(*args)
        out.append(time.perf_counter() - t)
    return 1e3 * statistics.median(out)


def measure(slots: int, skus: int, seeds: list[int], limit: float) -> Size:
    """Solve every seed of one size, then run every heuristic on the same instances."""
    size = Size(slots, skus)
    for seed in seeds:
        inst = generate(WORKLOADS, skus, slots, seed)
        lp = formulate(inst)
        size.cols.append(lp.num_cols)
        size.rows.append(lp.num_rows)
        size.ints.append(sum(b.size for b in lp.vars.values() if b.integer))
        res = ecoopt.solve(inst, time_limit=limit, threads=1)
        size.seconds.append(res.total_s)
        size.optimal.append(res.optimal)
        if not res.optimal:
            size.gaps.append(math.inf if res.gap is None else res.gap)
        where = f"{slots} slots × {skus} SKUs, seed {seed}"
        if res.termination not in ("optimal", "time_limit"):
            size.notes.append(f"{where}: {res.termination}; {res.explanation or ''}")
        size.notes.extend(f"{where}: {n}" for n in res.notes)
        for name, fn in HEURISTICS.items():
            plan = fn(inst)  # also warms any per-instance cache outside the timing
            ev = evaluate(inst, plan)
            gap = gap_pct(ev.objective, res.objective, "min")
            size.heur.setdefault(name, []).append((median_ms(fn, inst), gap, ev.feasible))
            if not ev.feasible:
                size.notes.append(f"{where}: {name} infeasible: {'; '.join(ev.violations[:3])}")
        t0 = time.perf_counter()
        plan = lp_round(inst)
        took = time.perf_counter() - t0
        ev = evaluate(inst, plan)
        proven = 100.0 * (ev.objective - plan.bound) / ev.objective if plan.bound else math.nan
        milp_gap = 100.0 * (res.gap or 0.0)
        size.rounded.append((took, gap_pct(ev.objective, res.objective, "min"), proven, milp_gap,
                             ev.feasible))  # fmt: skip
        print(  # progress, off the tables
            f"  {where}: {res.termination}, {res.total_s:.2f} s (HiGHS {res.solve_s:.2f} s), "
            f"{lp_size(size)}",
            file=sys.stderr,
            flush=True,
        )
    return size


def lp_size(size: Size) -> str:
    return f"{size.cols[-1]:,} columns, {size.rows[-1]:,} rows, {size.ints[-1]} integers"


def _seconds(z: Size) -> str:
    """The median; "≥" when a seed stopped at the limit (its true time is longer, so the
    true median is at least this)."""
    return f"{'' if all(z.optimal) else '≥ '}{z.median_s:.2f}"


def _ratio(a: Size | None, b: Size) -> str:
    """b's median time ÷ a's; a lower bound when only b has limit-stopped seeds, unknown when
    a has some."""
    if a is None:
        return "-"
    if not all(a.optimal):
        return "n/a (limit)"
    return f"{'' if all(b.optimal) else '≥ '}{b.median_s / a.median_s:.2g}"


def milp_table(
    slot_list: list[int], sku_list: list[int], seeds: list[int], limit: float
) -> dict[tuple[int, int], Size]:
    """Measure every size, slots outer, printing its row as soon as it is done."""
    print(f"\n## 1. MILP time to proven optimality (gap 1e-4, one thread, {WORKLOADS} workloads)\n")
    print(
        "| slots | SKUs | workloads | columns | rows | integers | seconds (median) | optimal "
        "| worst gap at limit | growth ÷ fewer SKUs | growth ÷ fewer slots |"
    )
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|", flush=True)
    sizes: dict[tuple[int, int], Size] = {}
    for i, T in enumerate(slot_list):
        for j, S in enumerate(sku_list):
            z = sizes[T, S] = measure(T, S, seeds, limit)
            worst = "-" if not z.gaps else f"{100 * max(z.gaps):.3g} %"
            prev_s = sizes[T, sku_list[j - 1]] if j else None
            prev_t = sizes[slot_list[i - 1], S] if i else None
            print(
                f"| {T} | {S} | {WORKLOADS} | {statistics.median(z.cols):,.0f} "
                f"| {statistics.median(z.rows):,.0f} | {statistics.median(z.ints):.0f} "
                f"| {_seconds(z)} | {sum(z.optimal)}/{len(z.optimal)} | {worst} "
                f"| {_ratio(prev_s, z)} | {_ratio(prev_t, z)} |",
                flush=True,
            )
    goal = sizes.get(GOAL)
    what = f"{GOAL[0]} slots × {GOAL[1]} SKUs × {WORKLOADS} workloads proven optimal in < 10 s"
    if goal is None:
        print(f"\nGoal ({what}): not measured (--quick).")
    else:
        ok = sum(o and s < GOAL_MILP_S for o, s in zip(goal.optimal, goal.seconds))
        n = len(goal.seconds)
        verdict = "HELD" if ok == n else ("NOT HELD" if ok == 0 else "held on some seeds only")
        print(
            f"\nGoal ({what}): {verdict} — {ok}/{n} seeds; median {goal.median_s:.2f} s, "
            f"slowest {max(goal.seconds):.2f} s."
        )
    return sizes


def heuristic_table(sizes: dict[tuple[int, int], Size]) -> None:
    print("\n## 2. Heuristics: median of 5 runs, gap to the MILP objective, time ÷ MILP time\n")
    print("| slots | SKUs | method | ms | gap % (median) | gap % (worst) | ÷ MILP | feasible |")
    print("|---:|---:|---|---:|---:|---:|---:|---:|")
    for (T, S), z in sizes.items():
        inc = "" if all(z.optimal) else " inc."
        for name, runs in z.heur.items():
            ms = statistics.median(r[0] for r in runs)
            gaps = [r[1] for r in runs if r[2]]  # of the feasible plans only
            med, worst = (
                (f"{statistics.median(gaps):.1f}{inc}", f"{max(gaps):.1f}{inc}")
                if gaps
                else ("-", "-")
            )
            print(
                f"| {T} | {S} | {name} | {ms:.2f} | {med} | {worst} "
                f"| {ms / 1e3 / z.median_s:.2g} | {sum(r[2] for r in runs)}/{len(runs)} |"
            )
    goal = sizes.get(GOAL)
    what = f"every heuristic < 10 ms at {GOAL[0]} slots × {GOAL[1]} SKUs × {WORKLOADS} workloads"
    if goal is None:
        print(f"\nGoal ({what}): not measured (--quick).")
        return
    ms = {name: statistics.median(r[0] for r in runs) for name, runs in goal.heur.items()}
    over = [f"{n} {v:.1f} ms" for n, v in ms.items() if v >= GOAL_HEURISTIC_MS]
    verdict = "HELD" if not over else "NOT HELD (" + ", ".join(over) + ")"
    print(f"\nGoal ({what}): {verdict}; slowest {max(ms, key=ms.get)} {max(ms.values()):.1f} ms.")


def rounding_table(sizes: dict[tuple[int, int], Size]) -> None:
    print("\n## 3. lp_round: the LP relaxation rounded up, with the bound it proves\n")
    print("| slots | SKUs | seconds (median) | ÷ MILP | gap % to the MILP (median) "
          "| gap % it proves (worst) | MILP's own gap % (worst) | feasible |")  # fmt: skip
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    for (T, S), z in sizes.items():
        r = z.rounded
        sec = statistics.median(x[0] for x in r)
        print(
            f"| {T} | {S} | {sec:.2f} | {sec / z.median_s:.2g} "
            f"| {statistics.median(x[1] for x in r):.1f} | {max(x[2] for x in r):.1f} "
            f"| {max(x[3] for x in r):.1f} | {sum(x[4] for x in r)}/{len(r)} |"
        )


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="24, 168 slots; 5, 10 SKUs; one seed")
    ap.add_argument("--time-limit", type=float, default=60.0, help="seconds per MILP (HiGHS)")
    args = ap.parse_args(argv)
    slot_list = [24, 168] if args.quick else [24, 168, 720]
    sku_list = [5, 10] if args.quick else [5, 10, 20]
    seeds = [0] if args.quick else [0, 1, 2]
    print(
        f"# provisioning at scale — {highs_version()}, Python {platform.python_version()}, "
        f"{platform.machine()}; time limit {args.time_limit:g} s; seeds {seeds}"
        f"{'; quick' if args.quick else ''}",
        flush=True,
    )
    t0 = time.perf_counter()
    sizes = milp_table(slot_list, sku_list, seeds, args.time_limit)
    heuristic_table(sizes)
    rounding_table(sizes)
    notes = [n for z in sizes.values() for n in z.notes]
    if notes:
        print("\nNotes (ecoopt's check, infeasible plans or instances):\n")
        print("\n".join(f"- {n}" for n in notes))
    print(f"\n({time.perf_counter() - t0:.0f} s in all)")


if __name__ == "__main__":
    main()
