"""Sweep throughput: points per second here (serial), on local processes, and on a Dask
LocalCluster of 1, 2 and 4 workers (one thread each), on the same grid in the same run.

Run: ``python benchmarks/sweep_dask.py [--points N]``.

The grid is ``provisioning/ecoserve_ci17.yaml``'s grid intensity (one MILP and the heuristics
per point, about 0.2–0.5 s each). Each figure is a ratio to the serial run; every run's rows
are checked equal to the serial ones. On a machine with C cores, more than C workers cannot
go faster; the cluster's start-up is inside its time.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

import numpy as np

import ecoopt

FILE = Path(__file__).resolve().parents[1] / "instances" / "provisioning" / "ecoserve_ci17.yaml"
COLS = ["point", "method", "objective", "feasible"]


def main(argv: list[str] | None = None) -> int:
    from distributed import Client, LocalCluster

    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--points", type=int, default=16)
    args = ap.parse_args(argv)
    inst = ecoopt.load(FILE)
    site = ecoopt.io.to_dict(inst)["sites"][0]["name"]
    over = {f"sites[{site}].intensity_g_per_kwh": np.linspace(10, 600, args.points).tolist()}
    print(f"# sweep throughput — {args.points} points of {FILE.name}, {os.cpu_count()} cores, "
          f"ecoopt {ecoopt.__version__}, Python {sys.version.split()[0]}\n")  # fmt: skip
    print("| executor | seconds | points per s | ÷ serial time | same rows |")
    print("|---|---:|---:|---:|---|")
    t0 = time.perf_counter()
    serial = ecoopt.sweep(inst, over, base_dir=FILE.parent)
    base = time.perf_counter() - t0
    print(f"| serial | {base:.2f} | {args.points / base:.2f} | 1.00 | yes |", flush=True)
    runs = [("processes", "processes")] + [
        (f"dask, {n} worker{'s' * (n > 1)}", n) for n in (1, 2, 4)
    ]
    for label, how in runs:
        t0 = time.perf_counter()
        if how == "processes":
            df = ecoopt.sweep(inst, over, base_dir=FILE.parent, scheduler="processes")
        else:
            with (
                LocalCluster(n_workers=how, threads_per_worker=1, dashboard_address=None) as c,
                Client(c) as client,
            ):
                df = ecoopt.sweep(inst, over, base_dir=FILE.parent, scheduler=client)
        took = time.perf_counter() - t0
        same = serial[COLS].reset_index(drop=True).equals(df[COLS].reset_index(drop=True))
        print(f"| {label} | {took:.2f} | {args.points / took:.2f} | {took / base:.2f} | "
              f"{'yes' if same else 'NO'} |", flush=True)  # fmt: skip
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
