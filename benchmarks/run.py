"""Run every benchmark whose figures the documentation quotes, one after another, and print them.

Run:  python benchmarks/run.py                 (the full sizes; tens of minutes on 2 cores)
      python benchmarks/run.py --quick         (the small sizes of each; a few minutes)
      python benchmarks/run.py --only gpushare_scale partition_symmetry
      python benchmarks/run.py --out figures.md

Each benchmark is its own script in this folder (run alone, it prints the same tables) and is
run in a fresh process with this interpreter, so one benchmark's caches and memory never
flatter the next. Every figure is a ratio to a reference measured in the same run (total ÷
HiGHS, heuristic ÷ MILP, ÷ numpy.sort, growth per decade of N): absolute times vary between
machines. The exit code is the number of benchmarks that failed.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent

#: name → what its tables show (the order they run in)
BENCHMARKS = {
    "solve_overhead": "ecoopt's time outside HiGHS: each phase, total ÷ HiGHS, the Pyomo route",
    "gpushare": "gpushare MILP build / hand-off / HiGHS by N, heuristic gaps and allocator times",
    "gpushare_scale": "gpushare heuristics to 10⁶ agents: seconds, ÷ sort, growth, peak memory",
    "gpushare_placement": "gpushare on several GPUs: heuristic gaps and time ÷ MILP",
    "gpushare_placement_scale": "placement on N/10 identical GPUs: time ÷ sort, work, growth",
    "partition": "partition MILP and heuristics on the bundled models",
    "partition_symmetry": "partition on identical devices: symmetry rows, stage DP, growth",
    "provisioning_scale": "provisioning MILP by slots × SKUs: time, growth; heuristic gaps, ÷ MILP",
    "heuristics_growth": "every family's heuristics by decades of size: time, growth, ÷ MILP, gap",
    "routing_scale": "routing hindsight MILP by grid and stream size; simulator µs per request",
    "pareto_warm": "Pareto fronts: 21 points by warm re-solves ÷ one solve, and cold",
    "sweep_dask": "sweep throughput: serial, local processes, Dask LocalCluster of 1, 2, 4",
    "validate_scale": "loading and validating instance files of growing size",
}


def run_one(name: str, quick: bool) -> tuple[int, str, float]:
    """(exit code, output, seconds) of one benchmark script."""
    script = HERE / f"{name}.py"
    cmd = [sys.executable, str(script)] + (["--quick"] if quick else [])
    t = time.perf_counter()
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    out = proc.stdout + (f"\n(stderr)\n{proc.stderr}" if proc.returncode else "")
    return proc.returncode, out, time.perf_counter() - t


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawTextHelpFormatter
    )
    ap.add_argument("--quick", action="store_true", help="each benchmark's small sizes")
    ap.add_argument(
        "--only", nargs="+", choices=list(BENCHMARKS), metavar="NAME", help="run only these"
    )
    ap.add_argument("--out", type=Path, help="also write the output to this Markdown file")
    ap.add_argument("--list", action="store_true", help="list the benchmarks and stop")
    args = ap.parse_args(argv)
    if args.list:
        for name, what in BENCHMARKS.items():
            print(f"{name:20s} {what}")
        return 0
    names = [n for n in BENCHMARKS if (HERE / f"{n}.py").exists()]
    names = [n for n in names if not args.only or n in args.only]
    failed, parts = 0, []
    for name in names:
        print(f"# {name} — {BENCHMARKS[name]}", flush=True)
        code, out, seconds = run_one(name, args.quick)
        failed += code != 0
        status = "" if code == 0 else f", FAILED (exit {code})"
        text = f"{out.rstrip()}\n\n({name}: {seconds:.0f} s{status})\n"
        print(text, flush=True)
        parts.append(f"# {name}\n\n{text}")
    if args.out:
        args.out.write_text("\n".join(parts), encoding="utf-8")
    return failed


if __name__ == "__main__":
    sys.exit(main())
