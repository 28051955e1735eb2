"""Instance files: validation messages, round trips, and the CLI through a subprocess."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
import yaml

import ecoopt
from ecoopt.gpushare.generate import generate

INSTANCES = Path(__file__).resolve().parents[1] / "instances"

GOOD = yaml.safe_load((INSTANCES / "gpushare" / "paper_four_agents.yaml").read_text())


def bad(tmp_path: Path, mutate) -> str:
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    mutate(data)
    path = tmp_path / "bad.yaml"
    path.write_text(yaml.safe_dump(data))
    with pytest.raises(ecoopt.InstanceError) as info:
        ecoopt.load(path)
    msg = str(info.value)
    assert msg.startswith(str(path))
    return msg


def test_missing_field(tmp_path):
    msg = bad(tmp_path, lambda d: d["agents"][1].pop("throughput_rps"))
    assert "agents[1] (nlp).throughput_rps: Field required (add this field)" in msg


def test_negative_share(tmp_path):
    msg = bad(tmp_path, lambda d: d["agents"][2].update(min_share=-0.1))
    assert "agents[2] (vision).min_share" in msg and "outside the stated range [0, 1]" in msg


def test_unknown_key(tmp_path):
    msg = bad(tmp_path, lambda d: d["gpus"][0].update(colour="green"))
    assert "gpus[0] (gpu0).colour: unknown key" in msg


def test_wrong_type(tmp_path):
    msg = bad(tmp_path, lambda d: d["agents"][0].update(arrival_rps="lots"))
    assert "agents[0] (coordinator).arrival_rps" in msg and "write a number" in msg


def test_unknown_problem(tmp_path):
    msg = bad(tmp_path, lambda d: d.update(problem="teleport"))
    assert "problem: unknown problem 'teleport' (use one of gpushare" in msg


def test_every_error_reported_at_once(tmp_path):
    def two(d):
        d["agents"][0].pop("throughput_rps")
        d["gpus"][0]["idle_power_w"] = -1

    msg = bad(tmp_path, two)
    assert "2 problems" in msg and "throughput_rps" in msg and "idle_power_w" in msg


def test_yaml_syntax_error(tmp_path):
    p = tmp_path / "broken.yaml"
    p.write_text("problem: gpushare\nagents: [\n")
    with pytest.raises(ecoopt.InstanceError, match="not valid YAML"):
        ecoopt.load(p)


@pytest.mark.parametrize("suffix", [".yaml", ".json"])
def test_dump_load_round_trip(tmp_path, suffix):
    inst = generate(5, 2, seed=2, trace_steps=4)
    path = tmp_path / f"x{suffix}"
    ecoopt.dump(inst, path)
    assert ecoopt.load(path) == inst


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "ecoopt.cli", *args], capture_output=True, text=True, timeout=300
    )


def test_cli_compare_writes_csv(tmp_path):
    out = tmp_path / "t.csv"
    p = run("compare", str(INSTANCES / "gpushare" / "paper_four_agents.yaml"), "--csv", str(out))
    assert p.returncode == 0, p.stderr
    assert "milp" in p.stdout and "sqrt_waterfill" in p.stdout
    df = pd.read_csv(out)
    assert len(df) == 6 and (df[df.feasible].gap_pct >= -1e-9).all()


def test_cli_user_errors_are_one_line_no_traceback(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("problem: gpushare\ngpus: []\nagents: []\nextra: 1\n")
    for args in (
        ["solve", str(p)],
        ["compare", str(p)],
        ["validate", str(p)],
        ["solve", str(tmp_path / "missing.yaml")],
    ):
        r = run(*args)
        assert r.returncode != 0
        assert "Traceback" not in r.stderr
        assert len(r.stderr.strip().splitlines()) == 1, r.stderr
        assert str(tmp_path) in r.stderr


def test_cli_validate_reports_infeasible_minimums(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["agents"][0]["min_share"] = 0.5
    p = tmp_path / "over.yaml"
    p.write_text(yaml.safe_dump(data))
    r = run("validate", str(p))
    assert r.returncode == 1 and "coordinator" in r.stderr and "Traceback" not in r.stderr


def test_cli_infeasible_instance_is_one_line_naming_agents(tmp_path):
    data = yaml.safe_load(yaml.safe_dump(GOOD))
    data["agents"][3]["min_share"] = 0.6
    p = tmp_path / "over.yaml"
    p.write_text(yaml.safe_dump(data))
    r = run("solve", str(p))
    assert r.returncode != 0 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    assert str(p) in r.stderr and "reasoning (0.6)" in r.stderr and "min_share" in r.stderr
    c = run("compare", str(p))
    assert c.returncode == 1 and "reasoning" in c.stderr


def test_cli_solve_json():
    r = run("solve", str(INSTANCES / "gpushare" / "paper_four_agents.yaml"), "--json")
    assert r.returncode == 0
    assert '"termination": "optimal"' in r.stdout


def test_unknown_trace_and_non_finite_numbers(tmp_path):
    def mutate(d):
        d["gpus"][0].pop("intensity_g_per_kwh")
        d["gpus"][0]["intensity_trace"] = {"name": "EIA930-XXX-2022", "start": "2022-01-01T00:00Z"}
        d["agents"][0]["throughput_rps"] = float("inf")

    msg = bad(tmp_path, mutate)
    assert "gpus[0] (gpu0).intensity_trace.name: unknown trace" in msg
    assert "agents[0] (coordinator).throughput_rps: Input should be a finite number" in msg


def test_cli_solve_json_is_the_whole_stdout_and_exit_codes_follow_the_table():
    import json

    path = str(INSTANCES / "gpushare" / "paper_nondegenerate.yaml")
    p = run("solve", path, "--json")
    out = json.loads(p.stdout)  # no banner or log before the JSON
    assert p.returncode == 0 and out["solution_status"] == "optimal"
    # stopped at once with the reference heuristic's plan as incumbent: 3
    big = str(INSTANCES / "gpushare" / "generated_300_agents_pool_30.yaml")
    p = run("solve", big, "--time-limit", "0", "--objective", "carbon")
    assert p.returncode == 3, p.stdout + p.stderr
    assert "solution feasible" in p.stdout
