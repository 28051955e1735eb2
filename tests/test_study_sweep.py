"""Sweeps (ecoopt.study): paths address fields by name, index or [*], set or scale them, and
say which path is wrong in one line; every point's MILP equals a single solve of the changed
instance; a resumed sweep (after a run on part of the grid, a torn last line, or a killed
process) equals an uninterrupted one."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import pytest
from test_io_cli import run

import ecoopt
from ecoopt.io import to_dict
from ecoopt.study import Change, PathError, apply
from ecoopt.study.paths import parse_set

ROOT = Path(__file__).resolve().parents[1]
GPU = ROOT / "instances" / "gpushare" / "paper_four_agents.yaml"
PART = ROOT / "instances" / "partition" / "carbonedge_mobilenet_v2.yaml"
COLS = ["point", "method", "objective", "feasible", "gap_pct"]


def test_paths_set_and_scale_by_name_index_and_star():
    data = to_dict(ecoopt.load(GPU))
    out = apply(data, [Change("gpus[gpu0].intensity_g_per_kwh", 100),
                       Change("agents[*].arrival_rps", 2.0, scale=True),
                       Change("agents[1].priority", 3)])  # fmt: skip
    assert out["gpus"][0]["intensity_g_per_kwh"] == 100
    assert [a["arrival_rps"] for a in out["agents"]] == [160, 80, 90, 50]
    assert out["agents"][1]["priority"] == 3
    assert data["gpus"][0]["intensity_g_per_kwh"] == 380  # the original is untouched


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (Change("gpus[h100].intensity_g_per_kwh", 1), "no element of gpus is named 'h100'"),
        (Change("agents[9].arrival_rps", 1), "agents has 4 elements, no [9]"),
        (Change("gpus[gpu0]", 1), "end it with a field"),
        (Change("name[*].x", 1), "'name' is not a list"),
        (Change("agents[*].role", 2, scale=True), "not a number to scale"),
        (Change("agents.1.x", 1), "'1' is not a field name"),
        (Change("links[*].x", 1), "no list 'links'"),
    ],
)
def test_a_bad_path_names_itself_in_one_line(change, words):
    with pytest.raises(PathError) as err:
        apply(to_dict(ecoopt.load(GPU)), [change])
    assert words in str(err.value) and change.path in str(err.value)
    assert "\n" not in str(err.value)


def test_parse_set():
    assert parse_set("a.b=1,2.5,x") == ("a.b", False, [1, 2.5, "x"])
    assert parse_set("agents[*].arrival_rps*=0.5,1") == ("agents[*].arrival_rps", True, [0.5, 1])
    for bad in ("a.b", "a.b=1,,2", "a.b=nan", "a.b*=x"):
        with pytest.raises(PathError):
            parse_set(bad)


def test_every_point_equals_a_single_solve_on_two_families():
    gpu = ecoopt.load(GPU)
    df = ecoopt.sweep(
        gpu, {"agents[*].arrival_rps*": [0.5, 1.0], "gpus[gpu0].share_units": [100, 200]}
    )
    assert len(df) == 4 * len(ecoopt.compare(gpu))
    part = ecoopt.load(PART)
    dp = ecoopt.sweep(
        part, {"devices[green].intensity_g_per_kwh": [100, 700]}, base_dir=PART.parent
    )
    for inst, frame in ((gpu, df), (part, dp)):
        base = to_dict(inst)
        for _, row in frame[frame.method == "milp"].iterrows():
            labels = [c for c in frame.columns[: frame.columns.get_loc("point")]]
            changes = [Change(c.rstrip("*"), row[c], scale=c.endswith("*")) for c in labels]
            alone = ecoopt.solve(ecoopt.from_dict(apply(base, changes), base_dir=PART.parent))
            assert alone.optimal and row["objective"] == pytest.approx(alone.objective, rel=1e-6)


def test_a_resumed_sweep_equals_an_uninterrupted_one(tmp_path):
    part = ecoopt.load(PART)
    out = tmp_path / "sweep.csv"
    key = "devices[green].intensity_g_per_kwh"
    ecoopt.sweep(part, {key: [100, 380]}, out=out)
    first = pd.read_csv(out)
    with open(out, "ab") as fh:  # a torn last line, as a kill during the write leaves
        fh.write(b"100,0,torn")
    resumed = ecoopt.sweep(part, {key: [100, 380, 700]}, out=out)
    whole = ecoopt.sweep(part, {key: [100, 380, 700]})
    pd.testing.assert_frame_equal(resumed[COLS], whole[COLS], check_dtype=False)
    kept = resumed[resumed.point < 2]["runtime_s"].to_numpy()
    assert (kept == first["runtime_s"].to_numpy()).all()  # read back, not re-run
    assert pd.read_csv(out)["done"].eq(1).all()


def test_a_killed_sweep_loses_no_finished_point(tmp_path):
    out = tmp_path / "killed.csv"
    values = ",".join(str(v) for v in range(100, 700, 10))  # 60 points
    cmd = [sys.executable, "-m", "ecoopt.cli", "sweep", str(PART), "--quiet", "--set",
           f"devices[green].intensity_g_per_kwh={values}", "--out", str(out)]  # fmt: skip
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    deadline = time.time() + 120
    while time.time() < deadline and (not out.exists() or out.read_text().count("\n") < 30):
        time.sleep(0.02)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    finished = pd.read_csv(out)
    finished = finished[finished["done"] == 1]
    assert 0 < finished["point"].nunique() < 60
    done = run("sweep", str(PART), "--quiet", "--set",
               f"devices[green].intensity_g_per_kwh={values}", "--out", str(out))  # fmt: skip
    assert done.returncode == 0, done.stderr
    resumed = pd.read_csv(out)
    assert resumed["point"].nunique() == 60 and resumed["done"].eq(1).all()
    before = finished.set_index(["point", "method"])["runtime_s"]
    after = resumed.set_index(["point", "method"])["runtime_s"].loc[before.index]
    assert (before == after).all()  # finished points were kept, not re-run


def test_cli_sweep_names_the_file_and_path_of_a_bad_value():
    bad = run("sweep", str(PART), "--set", "devices[green].intensity_g_per_kwh=abc")
    assert bad.returncode == 2 and str(PART) in bad.stderr and "intensity_g_per_kwh" in bad.stderr
    assert bad.stderr.count("\n") <= 1
    bad = run("sweep", str(PART), "--set", "devices[blue].intensity_g_per_kwh=1")
    assert bad.returncode == 2 and "devices[blue]" in bad.stderr


def test_progress_shows_points_seconds_and_the_best_milp_so_far(capsys):
    part = ecoopt.load(PART)
    ecoopt.sweep(part, {"devices[green].intensity_g_per_kwh": [100, 700]}, progress=True)
    err = capsys.readouterr().err
    assert "points" in err and "s/point" in err and "MILP min=0.001041" in err
    ecoopt.sweep(part, {"devices[green].intensity_g_per_kwh": [100, 700]})
    assert capsys.readouterr().err == ""  # off unless asked
