"""gpushare objective-aware placement on many identical GPUs: time, work and growth per decade.

Run:  python benchmarks/gpushare_placement_scale.py           (N up to 10,000 agents; minutes)
      python benchmarks/gpushare_placement_scale.py --quick   (N up to 1,000; under a minute)
      python benchmarks/gpushare_placement_scale.py --top 100000   (adds N = 100,000; long)

What it measures: ``placement.place_for_objective`` (the placement ``greedy_marginal`` and
``sqrt_waterfill`` use on several GPUs) on N agents over N/10 identical GPUs (seeded
``generate(n, n // 10, pooled=True)`` with the pool split into separate GPUs, as table 3 of
benchmarks/gpushare_scale.py), objective latency. Per N:

- ``search``: the local search the slot count selects: ``all pairs`` (G ≤
  ``placement.FULL_SWEEP_SLOTS``: sweeps of every slot pair from each of three starts, within
  ``search_budget`` = max(5,000, 10·(N+G)) pair evaluations) or ``cheapest`` (above: the
  dearest slots relieved towards the cheapest, lazy heaps of slot prices). Growth per decade
  is meaningful between rows of the same path.
- ``seconds``: one run (placement only; the instance's derived arrays are built beforehand);
  ``÷ sort`` divides it by ``numpy.sort`` of N floats timed in the same run (median of five),
  the O(N log N) reference, so the ratio is comparable between machines and stays flat for an
  O(N log N) method; ``growth`` is the time at N over the time at N/10 (≈ 10–13 for
  O(N log G) with G = N/10).
- ``slot evals`` and ``pair evals``: the work of that same run, counted by wrapping the two
  oracles (slot values priced by the construction and closures; pair evaluations of the local
  search; each O(n_g·U) numpy work for n_g ≈ 10 agents a slot; the wrappers add one Python call
  to each, well under 1 % of its time), with their growth per decade: deterministic, so unlike
  the time it does not depend on the machine's load.
- ``gap to pool %``: the placement's objective (its per-slot optimum allocation, the slot
  oracle) above the optimum of the same agents on one pool of the N/10 GPUs
  (``greedy_marginal`` on the pooled instance, exact there: tests/test_gpushare_scale_exact.py).
  Any placement on separate GPUs is a feasible plan of the pool, so the pool's optimum is a
  lower bound and this gap an upper bound on the placement's gap to the best placement.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time

import numpy as np

import ecoopt
from ecoopt.gpushare import HEURISTICS, evaluate, placement
from ecoopt.gpushare.generate import generate


def unpooled(inst):  # noqa: ANN001, ANN201
    """The instance with its pool's GPUs as separate identical GPUs (one type, same count)."""
    data = inst.model_dump(exclude_none=True)
    data["gpus"] = [{**g, "pooled": False} for g in data["gpus"]]
    return ecoopt.from_dict(data, source="unpooled")


def sort_reference(n: int) -> float:
    x = np.random.default_rng(0).random(n)
    out = []
    for _ in range(5):
        t = time.perf_counter()
        np.sort(x)
        out.append(time.perf_counter() - t)
    return statistics.median(out)


def counted_run(inst) -> tuple[np.ndarray, float, int, int]:  # noqa: ANN001
    """(placement, seconds, slot evaluations, pair evaluations) of one placement, the work
    counted by wrapping the two oracles."""
    counts = [0, 0]
    slot_value, replaced = placement._slot_value, placement._replaced

    def count_slot(*a, **k):  # noqa: ANN002, ANN003, ANN202
        counts[0] += 1
        return slot_value(*a, **k)

    def count_pair(*a, **k):  # noqa: ANN002, ANN003, ANN202
        counts[1] += 1
        return replaced(*a, **k)

    placement._slot_value, placement._replaced = count_slot, count_pair
    try:
        t = time.perf_counter()
        where = placement.place_for_objective(inst)
        seconds = time.perf_counter() - t
    finally:
        placement._slot_value, placement._replaced = slot_value, replaced
    return where, seconds, counts[0], counts[1] // 2  # a pair evaluation prices both slots


def gap_to_pool(inst, pooled, where: np.ndarray) -> float:  # noqa: ANN001
    t = placement._tables(inst, inst.objective)
    viol, cost = placement._State(inst, t, where).total()
    bound = evaluate(pooled, HEURISTICS["greedy_marginal"](pooled)).objective
    return np.inf if viol > 0 else 100.0 * (cost - bound) / abs(bound)


def growth(now: float, before: float | None) -> str:
    return "-" if before is None else f"{now / before:.1f}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="N up to 1,000")
    ap.add_argument("--top", type=int, default=10_000, help="largest N (default 10,000)")
    args = ap.parse_args(argv)
    top = 1_000 if args.quick else args.top
    sizes = [n for n in (100, 1_000, 10_000, 100_000) if n <= top]
    print(f"# gpushare placement at scale ({platform.processor() or platform.machine()}, "
          f"numpy {np.__version__}{', quick' if args.quick else ''})\n")  # fmt: skip
    print("| N agents | GPUs | search | seconds | sort ms | ÷ sort | growth | slot evals | growth "
          "| pair evals | growth | gap to pool % |")  # fmt: skip
    print("|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    last: tuple[float, int, int] | None = None
    for n in sizes:
        pooled = generate(n, n // 10, seed=0, pooled=True)
        inst = unpooled(pooled)
        inst.arrays, inst.slots  # noqa: B018 - derived views built outside the timing
        ref = sort_reference(n)
        where, s, slots, pairs = counted_run(inst)
        gap = gap_to_pool(inst, pooled, where)
        path = "all pairs" if len(inst.slots) <= placement.FULL_SWEEP_SLOTS else "cheapest"
        g = [growth(x, y) for x, y in zip((s, slots, pairs), last or (None,) * 3)]
        print(f"| {n:,} | {len(inst.slots):,} | {path} | {s:.3f} | {ref * 1e3:.3f} "
              f"| {s / ref:,.0f} | {g[0]} | {slots:,} | {g[1]} | {pairs:,} | {g[2]} | {gap:.4f} |",
              flush=True)  # fmt: skip
        last = (s, slots, pairs) if path == "cheapest" else None


if __name__ == "__main__":
    main()
