"""Regression tests for the cases an adversarial review found (one test per finding)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

import ecoopt
from ecoopt.gpushare import HEURISTICS, Plan, evaluate
from ecoopt.gpushare.physics import latency_s

NONDEG = Path(__file__).resolve().parents[1] / "instances/gpushare/paper_nondegenerate.yaml"


def gpu(**kw):
    return {
        "name": "g",
        "share_units": 3,
        "memory_bytes": 4e10,
        "idle_power_w": 50,
        "active_power_w": 250,
        "intensity_g_per_kwh": 300,
        **kw,
    }


def agent(name, **kw):
    return {"name": name, "throughput_rps": 100, "arrival_rps": 10, **kw}


def test_min_share_just_above_a_unit_rounds_the_same_everywhere():
    # 0.333334 on thirds: the MILP, the heuristics and the evaluator all accept one unit
    inst = ecoopt.from_dict(
        {
            "problem": "gpushare",
            "gpus": [gpu()],
            "agents": [agent(n, min_share=0.333334) for n in "abc"],
        }
    )
    res = ecoopt.solve(inst, strict=True)
    np.testing.assert_allclose(res.plan.share, [1 / 3] * 3)
    df = ecoopt.compare(inst)
    assert (df[df.feasible].gap_pct >= -1e-9).all()


def test_heavier_overload_is_never_faster_and_never_meets_an_slo():
    w = latency_s(0.5, np.array([45, 60, 100, 1e3, 1e4]), 100.0, 0.95)
    assert np.all(np.diff(w) > 0)
    inst = ecoopt.from_dict(
        {
            "problem": "gpushare",
            "gpus": [gpu(share_units=100)],
            "agents": [agent("flood", arrival_rps=1e4, latency_slo_s=0.1), agent("calm")],
        }
    )
    res = ecoopt.solve(inst)
    assert res.termination == "infeasible" and "flood" in res.explanation


def test_a_model_larger_than_one_gpu_of_a_pool_is_not_placed():
    inst = ecoopt.from_dict(
        {
            "problem": "gpushare",
            "gpus": [gpu(count=3, pooled=True, memory_bytes=4e10)],
            "agents": [agent("big", memory_bytes=5e10), agent("small")],
        }
    )
    res = ecoopt.solve(inst)
    assert res.termination == "infeasible" and "big (memory_bytes 50 GB" in res.explanation


def test_round_robin_wait_counts_the_gpus_of_a_pool():
    inst = ecoopt.from_dict(
        {
            "problem": "gpushare",
            "gpus": [gpu(count=4, pooled=True)],
            "agents": [agent("a"), agent("b")],
        }
    )
    plan = HEURISTICS["round_robin"](inst)
    plain = Plan("same shares, no slicing", plan.slot, plan.share)
    # 2 agents on 4 GPUs both run all the time: no wait for a turn
    assert evaluate(inst, plan).objective == pytest.approx(evaluate(inst, plain).objective)


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "ecoopt.cli", *args], capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("content", [b"problem: [1, 2]\n", b'problem: gpushare\nname: "\xff"\n'])
def test_odd_files_give_one_line(tmp_path, content):
    p = tmp_path / "odd.yaml"
    p.write_bytes(content)
    r = run("validate", str(p))
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1 and str(p) in r.stderr


def test_csv_into_a_missing_folder_is_one_line(tmp_path):
    r = run(
        "compare",
        str(NONDEG),
        "--csv",
        str(tmp_path / "no" / "x.csv"),
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"--csv {tmp_path / 'no' / 'x.csv'}: folder" in r.stderr and "does not exist" in r.stderr


def test_invalid_solver_limits_are_refused():
    inst = ecoopt.load(NONDEG)
    for kw in ({"time_limit": -1}, {"time_limit": float("nan")}, {"mip_rel_gap": -1}):
        with pytest.raises(ValueError, match="must be a number"):
            ecoopt.solve(inst, **kw)


def test_both_demands_or_an_empty_trace_are_refused():
    for extra in ({"arrival_trace_rps": [90, 90]}, {"arrival_trace_rps": [], "arrival_rps": None}):
        data = {"problem": "gpushare", "gpus": [gpu()], "agents": [agent("a", **extra)]}
        data["agents"][0] = {k: v for k, v in data["agents"][0].items() if v is not None}
        with pytest.raises(ecoopt.InstanceError, match="agents\\[0\\] \\(a\\)"):
            ecoopt.from_dict(data)


def test_simulation_past_the_trace_is_refused_before_running(tmp_path):
    data = yaml.safe_load(NONDEG.read_text())
    g = data["gpus"][0]
    g.pop("intensity_g_per_kwh")
    g["intensity_trace"] = {"name": "EIA930-CISO-2022", "start": "2022-12-31T23:30Z"}
    inst = ecoopt.from_dict(data)  # a start in the last hour is valid for the static problem
    from ecoopt.gpushare import simulate

    with pytest.raises(ecoopt.InstanceError, match="intensity_trace.start"):
        simulate(inst, ["static_equal"], steps=7200)
