"""A sweep gives the same rows whichever executor runs its points: here in order, local
processes, or a Dask LocalCluster (and the CLI's --scheduler processes)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from test_io_cli import run

import ecoopt

ROOT = Path(__file__).resolve().parents[1]
PART = ROOT / "instances" / "partition" / "carbonedge_mobilenet_v2.yaml"
OVER = {
    "devices[green].intensity_g_per_kwh": [100, 380, 700],
    "devices[high].intensity_g_per_kwh*": [1.0, 0.5],
}
COLS = ["point", "method", "objective", "feasible", "gap_pct"]


def test_serial_processes_and_dask_give_the_same_sweep(tmp_path):
    from distributed import Client, LocalCluster

    inst = ecoopt.load(PART)
    serial = ecoopt.sweep(inst, OVER, base_dir=PART.parent)
    procs = ecoopt.sweep(inst, OVER, base_dir=PART.parent, scheduler="processes")
    with (
        LocalCluster(n_workers=2, threads_per_worker=1, dashboard_address=None) as cluster,
        Client(cluster) as client,
    ):
        out = tmp_path / "dask.csv"
        dask = ecoopt.sweep(inst, OVER, base_dir=PART.parent, scheduler=client, out=out)
    assert len(serial) == 6 * len(ecoopt.compare(inst))
    for other in (procs, dask):
        pd.testing.assert_frame_equal(serial[COLS], other[COLS], check_dtype=False)
    written = pd.read_csv(out).sort_values("point", kind="stable", ignore_index=True)
    pd.testing.assert_frame_equal(serial[COLS], written[COLS], check_dtype=False)


def test_cli_sweep_on_processes():
    done = run("sweep", str(PART), "--quiet", "--scheduler", "processes", "--methods",
               "greedy_layer", "--set", "devices[green].intensity_g_per_kwh=100,700")  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert done.stdout.count("greedy_layer") == 2 and done.stdout.count("milp") == 2
