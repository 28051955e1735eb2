"""Every command's machine-readable output parses, and a written plan reads back."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from ecoopt import __version__
from ecoopt.cli import main

ROOT = Path(__file__).parents[1]
BUNDLED = sorted((ROOT / "instances").glob("*/*.yaml"))
GPUSHARE = [p for p in BUNDLED if p.parent.name == "gpushare"]


def run_json(capfd, argv: list[str]) -> tuple[int, object]:
    code = main(argv)
    out, _ = capfd.readouterr()  # file-descriptor level: a banner printed by HiGHS shows here
    return code, json.loads(out)


@pytest.mark.parametrize("path", BUNDLED, ids=lambda p: p.stem)
def test_solve_and_compare_json_parse(path, capfd):
    code, data = run_json(capfd, ["solve", str(path), "--json", "--time-limit", "30"])
    assert code in (0, 3) and data["instance"] == str(path)
    assert data["plan"]["problem"] == data["problem"]
    code, data = run_json(capfd, ["compare", str(path), "--json", "--time-limit", "30"])
    (block,) = data["instances"]
    assert block["rows"][0]["method"] == "milp" and "milp" in block["plans"]


@pytest.mark.parametrize("path", GPUSHARE[:3], ids=lambda p: p.stem)
def test_simulate_json_parses(path, capfd):
    code, data = run_json(capfd, ["simulate", str(path), "--json", "--steps", "3"])
    assert code == 0 and {r["policy"] for r in data["rows"]} >= {"milp", "adaptive"}


def test_solve_json_through_a_real_pipe():
    path = ROOT / "instances/gpushare/paper_nondegenerate.yaml"
    r = subprocess.run(
        [
            sys.executable,
            "-c",
            "from ecoopt.cli import main; raise SystemExit(main())",
            "solve",
            "--json",
            str(path),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["solution_status"] == "optimal"


@pytest.mark.parametrize(
    "path",
    [
        ROOT / "instances/gpushare/paper_four_agents.yaml",
        ROOT / "instances/partition/carbonedge_mobilenet_v2.yaml",
    ],
    ids=lambda p: p.stem,
)
def test_a_written_plan_is_evaluated_and_warm_starts(path, tmp_path, capfd):
    _, data = run_json(capfd, ["solve", str(path), "--json"])
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps(data))
    code, ev = run_json(capfd, ["evaluate", str(path), str(plan), "--json"])
    assert code == 0 and ev["feasible"]
    assert ev["objective"] == pytest.approx(data["objective"], rel=1e-12)
    code, again = run_json(capfd, ["solve", str(path), "--json", "--warm-start", str(plan)])
    assert code == 0 and again["objective"] == pytest.approx(data["objective"], rel=1e-9)


def test_a_plan_naming_a_ghost_is_one_line(tmp_path, capfd):
    path = ROOT / "instances/gpushare/paper_four_agents.yaml"
    plan = tmp_path / "plan.json"
    plan.write_text(json.dumps({"problem": "gpushare", "agents": {"ghost": {}}}))
    assert main(["evaluate", str(path), str(plan)]) == 2
    err = capfd.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "unknown name(s) ghost" in err[0] and "coordinator" in err[0]


def test_csv_on_solve_and_long_notes_summarised(tmp_path):
    import ecoopt
    from ecoopt.gpushare.generate import generate
    from ecoopt.outputs import for_csv, notes, summarise

    assert summarise("a; b; c; d; e") == "a; b; c; and 2 more"
    path = ROOT / "instances/gpushare/paper_four_agents.yaml"
    out = tmp_path / "s.csv"
    assert main(["solve", str(path), "--csv", str(out), "--quiet"]) == 0
    assert out.read_text().splitlines()[0].startswith("method,objective,feasible,gap_pct")
    inst = generate(200, 2, seed=1, min_share_total=0.9)
    df = ecoopt.compare(inst, methods=["static_equal"])
    assert len(df.violations.iloc[1]) > 3000  # the full detail stays in the frame and JSON
    line = next(n for n in notes(df) if "static_equal" in n)
    assert "more" in line and len(line) < 300
    assert len(for_csv(df).violations.iloc[1]) < 300


def test_version_and_schema(capfd):
    with pytest.raises(SystemExit) as info:
        main(["--version"])
    assert info.value.code == 0 and capfd.readouterr().out.strip() == f"ecoopt {__version__}"
    for problem in ("gpushare", "partition"):
        code, schema = run_json(capfd, ["schema", problem])
        assert code == 0 and schema["properties"]["problem"]


def test_progress_goes_to_stderr_only_when_asked(capfd):
    import ecoopt
    from ecoopt.gpushare.generate import generate

    inst = generate(40, 3, seed=2)
    ecoopt.compare(inst, progress=False)
    out, err = capfd.readouterr()
    assert out == "" and err == ""
    ecoopt.compare(inst, progress=True)
    out, err = capfd.readouterr()
    assert out == "" and "heuristics" in err
    assert main(["compare", "--quiet", str(GPUSHARE[0]), "--json"]) in (0, 3)
    assert capfd.readouterr().err == ""


def test_log_file_and_verbose_keep_stdout_clean(tmp_path, capfd):
    import ecoopt

    inst = ecoopt.load(ROOT / "instances/gpushare/paper_four_agents.yaml")
    log = tmp_path / "h.log"
    res = ecoopt.solve(inst, verbose=True, log_file=str(log))
    out, err = capfd.readouterr()
    assert out == "" and "MIP has" in err and "MIP has" in log.read_text() and res.log
