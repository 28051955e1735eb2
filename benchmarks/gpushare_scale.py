"""gpushare heuristics at scale: time, growth per decade of N, and peak memory, up to 10⁶ agents.

Run:  python benchmarks/gpushare_scale.py            (N up to 1,000,000; a few minutes)
      python benchmarks/gpushare_scale.py --quick    (N up to 100,000; well under a minute)

Each heuristic is the instance-level call a user makes (``ecoopt.gpushare.HEURISTICS[name]``:
placement, allocation, quantisation to share units, packing of models onto a pool's GPUs, the
plan), on seeded ``generate`` instances (1 % share steps, offered load 0.8, 30 % of agents
with SLOs, 0.5–8 GB models on 80 GB GPUs). Times are the median of three runs (one run when a
run takes over 5 s); ``÷ sort`` divides by ``numpy.sort`` of N floats timed in the same run,
the O(N log N) reference, so the ratio is comparable between machines and should stay flat if
the heuristic is O(N log N); ``growth`` is the time at N over the time at N/10 (10 = linear).
``peak MB`` is tracemalloc's peak while the heuristic runs (numpy's arrays included), the
instance itself excluded.

1. One pool (``pooled: true``): N agents on one pool of N/10 GPUs.
2. Separate GPUs: N/10 identical GPUs (one type, ``count: N/10``), ten agents each on average.
3. The objective-aware placement of ``greedy_marginal`` and ``sqrt_waterfill`` on N/10
   identical GPUs (``placement.place_for_objective``), smaller N: its slot evaluations cost far
   more than the worst-fit deal of table 2.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import time
import tracemalloc

import numpy as np

import ecoopt
from ecoopt.gpushare import HEURISTICS
from ecoopt.gpushare.generate import generate

SLOW_S = 5.0
ALL = ["adaptive", "static_equal", "round_robin", "greedy_marginal", "sqrt_waterfill"]


def timed(fn, runs: int = 3) -> float:  # noqa: ANN001
    """Median seconds of ``runs`` calls (one when the first exceeds SLOW_S)."""
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        out.append(time.perf_counter() - t)
        if out[-1] > SLOW_S:
            break
    return statistics.median(out)


def peak_mb(fn) -> float:  # noqa: ANN001
    tracemalloc.start()
    fn()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak / 1e6


def sort_reference(n: int) -> float:
    x = np.random.default_rng(0).random(n)
    return timed(lambda: np.sort(x), runs=5)


def unpooled(inst):  # noqa: ANN001, ANN201
    """The instance with its pool's GPUs as separate identical GPUs (one type, same count)."""
    data = inst.model_dump(exclude_none=True)
    data["gpus"] = [{**g, "pooled": False} for g in data["gpus"]]
    return ecoopt.from_dict(data, source="unpooled")


def table(title: str, sizes: list[int], make, methods: list[str]) -> None:  # noqa: ANN001
    print(f"\n## {title}\n")
    print("| N agents | slots | method | seconds | ÷ sort | growth | peak MB |")
    print("|---:|---:|---|---:|---:|---:|---:|")
    last: dict[str, float] = {}
    for n in sizes:
        t = time.perf_counter()
        inst = make(n)
        inst.arrays, inst.slots  # noqa: B018 - derived views built outside the timing
        build = time.perf_counter() - t
        ref = sort_reference(n)
        for m in methods:
            run = lambda m=m, inst=inst: HEURISTICS[m](inst)  # noqa: E731
            run()  # warm the per-instance caches (minimum units, slot arrays)
            s = timed(run)
            growth = f"{s / last[m]:.1f}" if m in last else "-"
            last[m] = s
            mb = peak_mb(run)
            print(f"| {n:,} | {len(inst.slots):,} | {m} | {s:.4f} | {s / ref:.1f} | {growth} "
                  f"| {mb:.0f} |")  # fmt: skip
        print(f"| {n:,} | | (instance built in {build:.1f} s; sort {ref * 1e3:.2f} ms) | | | | |")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--quick", action="store_true", help="N up to 100,000")
    args = ap.parse_args(argv)
    top = 100_000 if args.quick else 1_000_000
    sizes = [n for n in (1_000, 10_000, 100_000, 1_000_000) if n <= top]
    print(f"# gpushare heuristics at scale ({platform.processor() or platform.machine()}, "
          f"numpy {np.__version__}{', quick' if args.quick else ''})")  # fmt: skip
    table(
        "1. One pool of N/10 GPUs",
        sizes,
        lambda n: generate(n, max(1, n // 10), seed=0, pooled=True),
        ALL,
    )
    table(
        "2. N/10 identical GPUs (worst-fit placement in rounds)",
        sizes,
        lambda n: unpooled(generate(n, n // 10, seed=0, pooled=True)),
        ["adaptive", "static_equal"],
    )
    small = [n for n in (100, 1_000, 10_000) if n <= (1_000 if args.quick else 10_000)]
    table(
        "3. N/10 identical GPUs, objective-aware placement",
        small,
        lambda n: unpooled(generate(n, n // 10, seed=0, pooled=True)),
        ["greedy_marginal", "sqrt_waterfill"],
    )


if __name__ == "__main__":
    main()
