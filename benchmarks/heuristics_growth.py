"""Every heuristic of every family as the instance grows by decades: time, growth per decade,
time ÷ MILP and gap to the MILP, the measurement behind the docs' heuristics "cost" column.

Run:  python benchmarks/heuristics_growth.py                 (every size; ≈ 6 min on 2 cores)
      python benchmarks/heuristics_growth.py --quick         (the largest size of each ladder
                                                              dropped, shorter budgets; ≈ 2 min)
      python benchmarks/heuristics_growth.py --only routing partition

Each heuristic is called as ``ecoopt.compare`` calls it, ``spec.heuristics[name](instance,
objective=...)`` for ``spec = ecoopt.problems.get_spec(family)``; one that raises
``NotApplicable`` prints "n/a". Instances are seeded ``generate`` ones (seed 0):

* gpushare: N agents on one pool of N/10 GPUs (``pooled=True``: on separate GPUs the
  objective-aware placement of ``greedy_marginal`` and ``sqrt_waterfill`` costs minutes from
  N = 10⁴), objective latency;
* partition: bundled DAG models of growing layer count L (ResNet-18 fused 23, ResNet-50 fused
  56, EfficientNet-B0 unfused 249) on 8 devices; the bundled chains (BERT-base 14, VGG-16
  fused 22, Llama-3-8B decode 34, VGG-16 unfused 40), the only graphs ``dp_chain`` applies to,
  on 8 devices; ResNet-50 (fused, 56 layers) on D = 2, 4, 8, 16 devices; objective carbon.
  L does not step by decades: the growth is normalised per decade (below);
* provisioning: 6 workloads, 10 SKUs, 24 / 240 / 2400 hourly slots; objective carbon;
* routing: 5 nodes, 10 to 10⁴ requests (10 added so that the MILP-based heuristics are
  measured at least once); objective carbon.

Columns of each family's first table: one per heuristic, its seconds — the best of 3 runs when
a run takes under 1 s, else one run (the best of 3 drops the first call's per-instance
caches) — "> B s" when the call exceeded the per-call budget B (it is then killed and skipped,
"-", at the larger sizes), "error" when it raised (listed under the table). Its last row,
"growth per decade", is the time at the heuristic's largest measured size ÷ the time at its
measured size nearest a decade smaller, normalised per decade as (t2/t1)^(1/log10(n2/n1)) (the
row's label gives log10(n2/n1) for the ladder's largest size; "(a → b)" names the two sizes
when they differ from the ladder's, e.g. when the call ran out of budget at the largest):
10 is linear, 100 quadratic (below 10: a fixed cost still dominates; µs timings are noisy).

The second table is at the sizes where the MILP (``ecoopt.solve``, one thread, the time limit
of --time-limit; larger sizes skipped once it stops at the limit) ran: its total seconds
(``Result.total_s``) and status, then per heuristic "time ÷ MILP total time / gap %" where the
gap (``ecoopt.compare.gap_pct``) is the heuristic's plan judged by the family evaluator
(``spec.evaluate``) against the MILP's objective — its incumbent when not proven optimal
(``ecoopt.compare`` takes the bound there, which is 0, so every gap ∞, for routing's stopped
MILPs; the incumbent's gap can be negative) — and "(infeasible)" when the evaluator rejects
the plan.

Every call (heuristic or MILP) runs in a forked child process so that a slow one can be
stopped at its budget; the instance is built in the parent, outside the timings.
"""

from __future__ import annotations

import argparse
import datetime
import importlib.metadata
import math
import multiprocessing
import platform
import sys
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

import ecoopt
from ecoopt.compare import gap_pct
from ecoopt.errors import NotApplicable
from ecoopt.gpushare.generate import generate as gpushare_generate
from ecoopt.partition.generate import generate as partition_generate
from ecoopt.problems import get_spec
from ecoopt.provisioning.generate import generate as provisioning_generate
from ecoopt.routing.generate import generate as routing_generate

FAMILIES = ("gpushare", "partition", "provisioning", "routing")
REPEAT_BELOW_S = 1.0  # calls faster than this are timed as the best of 3
PARTITION_DEVICES, PARTITION_MODEL = 8, ("resnet50", True)
#: (model, fused) in growing layer count (layers: 23, 56, 249): DAGs, where dp_chain is n/a
PARTITION_MODELS = [("resnet18", True), ("resnet50", True), ("efficientnet_b0", False)]
#: the bundled chain graphs (layers: 14, 22, 34, 40), the only ones dp_chain applies to
PARTITION_CHAINS = [("bert_base_seq128", True), ("vgg16", True), ("llama3_8b_decode1", True),
                    ("vgg16", False)]  # fmt: skip


@dataclass
class Ladder:
    """One size axis of one family: (row label, size n for the growth, instance maker)."""

    title: str
    family: str
    objective: str
    axis: str
    sizes: list[tuple[str, float, Callable[[], Any]]]


@dataclass
class SizeRow:
    label: str
    n: float
    heuristics: dict[str, dict[str, Any]] = field(default_factory=dict)
    milp: dict[str, Any] | None = None


def in_child(work: Callable[[], dict[str, Any]], cap_s: float) -> dict[str, Any] | None:
    """``work()`` run in a forked child process; None when it takes longer than ``cap_s``
    (the child is then killed). An exception in the child comes back as {"error": ...}."""
    ctx = multiprocessing.get_context("fork")
    receive, send = ctx.Pipe(duplex=False)

    def target() -> None:
        try:
            send.send(work())
        except Exception as exc:  # noqa: BLE001 - reported in the table, not raised
            tail = traceback.format_exc().strip().splitlines()[-1]
            send.send({"error": f"{type(exc).__name__}: {tail}"})

    child = ctx.Process(target=target, daemon=True)
    child.start()
    send.close()
    got = receive.recv() if receive.poll(cap_s) else None
    if got is None:
        child.kill()
    child.join()
    receive.close()
    return got


def time_heuristic(family: str, inst: Any, name: str, objective: str) -> dict[str, Any]:
    """Seconds of one heuristic (best of 3 when under REPEAT_BELOW_S) and its plan's verdict."""
    spec = get_spec(family)
    method = spec.heuristics[name]
    runs: list[float] = []
    while not runs or (len(runs) < 3 and runs[-1] < REPEAT_BELOW_S):
        t0 = time.perf_counter()
        try:
            plan = method(inst, objective=objective)
        except NotApplicable:
            return {"na": True}
        runs.append(time.perf_counter() - t0)
    ev = spec.evaluate(inst, plan, objective)
    return {"seconds": min(runs), "objective": ev.objective, "feasible": bool(ev.feasible)}


def time_milp(inst: Any, objective: str, limit: float) -> dict[str, Any]:
    res = ecoopt.solve(inst, objective=objective, time_limit=limit, threads=1)
    return {
        "seconds": res.total_s,
        "termination": res.termination,
        "optimal": res.optimal,
        "objective": res.objective,
    }


def measure_size(
    ladder: Ladder, label: str, n: float, inst: Any, skip: set[str], budget: float
) -> SizeRow:
    """Every heuristic on one instance, each in a child capped at ``budget`` seconds; the
    names of those that exceeded it join ``skip``."""
    row = SizeRow(label, n)
    for name in get_spec(ladder.family).heuristics:
        if name in skip:
            row.heuristics[name] = {"skipped": True}
            continue
        work = lambda name=name: time_heuristic(ladder.family, inst, name, ladder.objective)  # noqa: E731
        got = in_child(work, budget)
        if got is None:
            skip.add(name)
            got = {"timeout": budget}
        row.heuristics[name] = got
        print(f"  {ladder.family} {label}: {name} {fmt_cell(got)}", file=sys.stderr, flush=True)
    return row


def measure_ladder(
    ladder: Ladder, budget: float, limit: float, cache: dict[tuple, SizeRow]
) -> list[SizeRow]:
    """Every size of the ladder, smallest first; the MILP until it first stops unproven."""
    skip: set[str] = set()
    milp_on, rows = True, []
    for label, n, make in ladder.sizes:
        key = (ladder.family, label)
        if key in cache:  # the same instance on another axis (partition's shared point)
            row = cache[key]
            rows.append(row)
            skip |= {m for m, c in row.heuristics.items() if "timeout" in c or "skipped" in c}
            milp_on = milp_on and bool(row.milp and row.milp.get("optimal"))
            continue
        inst = make()
        row = measure_size(ladder, label, n, inst, skip, budget)
        if milp_on:
            work = lambda inst=inst: time_milp(inst, ladder.objective, limit)  # noqa: E731
            row.milp = in_child(work, 2 * limit + 60) or {"error": "killed at 2 × limit + 60 s"}
            milp_on = bool(row.milp.get("optimal"))
            print(f"  {ladder.family} {label}: MILP {milp_text(row.milp)}", file=sys.stderr)
        cache[key] = row
        rows.append(row)
    return rows


def fmt_seconds(s: float) -> str:
    if s < 1e-3:
        return f"{s * 1e6:.0f} µs"
    return f"{s * 1e3:.1f} ms" if s < 1 else f"{s:.1f} s"


def fmt_cell(got: dict[str, Any]) -> str:
    if "na" in got:
        return "n/a"
    if "skipped" in got:
        return "-"
    if "timeout" in got:
        return f"> {got['timeout']:.0f} s"
    if "error" in got:
        return "error"
    return fmt_seconds(got["seconds"])


def milp_text(milp: dict[str, Any]) -> str:
    if "error" in milp:
        return f"error ({milp['error']})"
    return f"{fmt_seconds(milp['seconds'])} ({milp['termination']})"


def growth(rows: list[SizeRow], name: str) -> str:
    """Time at the largest measured size ÷ that at the measured size nearest a decade
    smaller, normalised per decade."""
    cells = [r.heuristics[name] for r in rows]
    if all("na" in c for c in cells):
        return "n/a"
    timed = [(r, r.heuristics[name]["seconds"]) for r in rows if "seconds" in r.heuristics[name]]
    if len(timed) < 2:
        return "-"
    r2, t2 = timed[-1]
    r1, t1 = min(timed[:-1], key=lambda p: abs(math.log10(r2.n / p[0].n) - 1.0))
    per_decade = (t2 / t1) ** (1.0 / math.log10(r2.n / r1.n))
    if r2 is rows[-1] and r1 is decade_below(rows):
        return f"{per_decade:.3g}"
    return f"{per_decade:.3g} ({r1.n:,.0f} → {r2.n:,.0f})"


def decade_below(rows: list[SizeRow]) -> SizeRow:
    """The row whose size is nearest a decade below the largest (the largest if alone)."""
    top = rows[-1].n
    return min(rows[:-1], key=lambda r: abs(math.log10(top / r.n) - 1.0), default=rows[-1])


def time_table(ladder: Ladder, rows: list[SizeRow], budget: float) -> None:
    names = list(get_spec(ladder.family).heuristics)
    print(f"\n## {ladder.title}: seconds per call (per-call budget {budget:.0f} s)\n")
    print(f"| {ladder.axis} | " + " | ".join(names) + " |")
    print("|---:|" + "---:|" * len(names))
    for r in rows:
        print(f"| {r.label} | " + " | ".join(fmt_cell(r.heuristics[m]) for m in names) + " |")
    last, nearest = rows[-1].n, decade_below(rows).n
    span = f" (over {math.log10(last / nearest):.2f} decades)" if nearest != last else ""
    print(f"| growth per decade{span} | " + " | ".join(growth(rows, m) for m in names) + " |")
    errors = [(r.label, m, c["error"]) for r in rows for m, c in r.heuristics.items()
              if "error" in c]  # fmt: skip
    for label, m, err in errors:
        print(f"\n- {m} at {label}: {err}")


def ratio_cell(spec: Any, objective: str, got: dict[str, Any], milp: dict[str, Any]) -> str:
    if "seconds" not in got:
        return fmt_cell(got)
    ratio = f"{got['seconds'] / milp['seconds']:.2g}"
    if not got["feasible"]:
        return f"{ratio} / (infeasible)"
    if milp["objective"] is None:
        return f"{ratio} / -"
    gap = gap_pct(got["objective"], milp["objective"], spec.sense(objective))
    return f"{ratio} / {gap:.3g} %"


def milp_table(ladder: Ladder, rows: list[SizeRow], limit: float) -> None:
    spec = get_spec(ladder.family)
    names = list(spec.heuristics)
    solved = [r for r in rows if r.milp is not None]
    print(f"\n## {ladder.title}: time ÷ MILP total time / gap % to the MILP objective "
          f"(time limit {limit:.0f} s)\n")  # fmt: skip
    print(f"| {ladder.axis} | MILP | " + " | ".join(names) + " |")
    print("|---:|---|" + "---:|" * len(names))
    for r in solved:
        if "error" in r.milp:
            print(f"| {r.label} | {milp_text(r.milp)} |" + " |" * len(names))
            continue
        inc = "" if r.milp["optimal"] else ", gaps to its incumbent"
        cells = [ratio_cell(spec, ladder.objective, r.heuristics[m], r.milp) for m in names]
        print(f"| {r.label} | {milp_text(r.milp)}{inc} | " + " | ".join(cells) + " |")


def gpushare_ladders(quick: bool) -> list[Ladder]:
    ns = [100, 1_000, 10_000] + ([] if quick else [100_000])
    sizes = [(f"{n:,}", float(n),
              lambda n=n: gpushare_generate(n, n // 10, seed=0, pooled=True, objective="latency"))
             for n in ns]  # fmt: skip
    return [Ladder("gpushare: N agents on one pool of N/10 GPUs", "gpushare", "latency",
                   "N agents", sizes)]  # fmt: skip


def partition_instance(model: str, fused: bool, devices: int) -> Any:
    return partition_generate(model, devices, seed=0, fuse=fused, objective="carbon")


def by_layer_count(models: list[tuple[str, bool]]) -> list[tuple[str, float, Callable]]:
    """Sizes of a ladder in L: each model on PARTITION_DEVICES devices."""
    sizes = []
    for model, fused in models:
        inst = partition_instance(model, fused, PARTITION_DEVICES)
        layers = len(inst.data.layers)
        label = f"{layers} ({model}{'' if fused else ', unfused'}, D={PARTITION_DEVICES})"
        sizes.append((label, float(layers), lambda inst=inst: inst))
    return sizes


def partition_ladders(quick: bool) -> list[Ladder]:
    drop = slice(None, -1) if quick else slice(None)
    by_layers = by_layer_count(PARTITION_MODELS[drop])
    chains = by_layer_count(PARTITION_CHAINS[drop])
    model, fused = PARTITION_MODEL
    by_devices = []
    for d in [2, 4, 8] + ([] if quick else [16]):
        inst = partition_instance(model, fused, d)
        label = f"{len(inst.data.layers)} ({model}, D={d})"
        by_devices.append((label, float(d), lambda inst=inst: inst))
    return [
        Ladder(f"partition: L layers on D={PARTITION_DEVICES} devices (growth per decade of L)",
               "partition", "carbon", "L layers (model, D)", by_layers),
        Ladder(f"partition: chain graphs of L layers on D={PARTITION_DEVICES} devices "
               "(growth per decade of L)", "partition", "carbon", "L layers (model, D)", chains),
        Ladder(f"partition: {model} (fused) on D devices (growth per decade of D)",
               "partition", "carbon", "L layers (model, D)", by_devices),
    ]  # fmt: skip


def provisioning_ladders(quick: bool) -> list[Ladder]:
    slots = [24, 240] + ([] if quick else [2_400])
    sizes = [(f"{t:,}", float(t), lambda t=t: provisioning_generate(6, 10, t, seed=0,
                                                                   objective="carbon"))
             for t in slots]  # fmt: skip
    return [Ladder("provisioning: 6 workloads, 10 SKUs, T hourly slots", "provisioning",
                   "carbon", "T slots", sizes)]  # fmt: skip


def routing_ladders(quick: bool) -> list[Ladder]:
    ns = [10, 100, 1_000] + ([] if quick else [10_000])
    sizes = [(f"{n:,}", float(n), lambda n=n: routing_generate(5, n, 0, objective="carbon"))
             for n in ns]  # fmt: skip
    return [Ladder("routing: R requests on 5 nodes", "routing", "carbon", "R requests", sizes)]


LADDERS = {
    "gpushare": gpushare_ladders,
    "partition": partition_ladders,
    "provisioning": provisioning_ladders,
    "routing": routing_ladders,
}


def header(args: argparse.Namespace) -> None:
    print(f"# Heuristics' growth per decade{' (quick)' if args.quick else ''}\n")
    print(f"- machine: {platform.platform()}, {platform.machine()}, "
          f"{multiprocessing.cpu_count()} CPUs")  # fmt: skip
    print(f"- python {platform.python_version()}, numpy {np.__version__}, "
          f"highspy {importlib.metadata.version('highspy')}")  # fmt: skip
    print(f"- date: {datetime.datetime.now(datetime.UTC):%Y-%m-%d %H:%M} UTC")
    print(f"- per-call budget {args.budget:g} s, MILP time limit {args.time_limit:g} s", flush=True)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="drop each ladder's largest size")
    ap.add_argument("--only", nargs="+", choices=FAMILIES, metavar="FAMILY", help="these only")
    ap.add_argument("--budget", type=float, help="seconds per heuristic call (60; quick 20)")
    ap.add_argument("--time-limit", type=float, help="seconds per MILP (60; quick 20)")
    args = ap.parse_args(argv)
    args.budget = args.budget or (20.0 if args.quick else 60.0)
    args.time_limit = args.time_limit or (20.0 if args.quick else 60.0)
    header(args)
    t0, cache = time.perf_counter(), {}
    for family in args.only or FAMILIES:
        for ladder in LADDERS[family](args.quick):
            rows = measure_ladder(ladder, args.budget, args.time_limit, cache)
            time_table(ladder, rows, args.budget)
            milp_table(ladder, rows, args.time_limit)
            sys.stdout.flush()
    print(f"\n({time.perf_counter() - t0:.0f} s in all)")


if __name__ == "__main__":
    main()
