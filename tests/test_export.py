"""Model export: every bundled instance written as LP and MPS, read back by a fresh HiGHS and
solved to ecoopt's optimum; readable names; the objective offset; errors naming the path."""

from __future__ import annotations

import functools
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import highspy
import numpy as np
import pytest

import ecoopt
from ecoopt.errors import EcoOptError
from ecoopt.export import clean, export_model, model_names, unique, write_model_file
from ecoopt.highs import new_highs
from ecoopt.lp import LinearProgram
from ecoopt.problems import spec_for

ROOT = Path(__file__).resolve().parents[1]
BUNDLED = sorted((ROOT / "instances" / "gpushare").glob("*.yaml")) + sorted(
    (ROOT / "instances" / "partition").glob("*.yaml")
)

#: seconds each read-back solve may take (the slowest bundled one needs about 4 s)
BUDGET_S = 30.0

#: the read-back solve: the gap asked for, no absolute gap, and the integrality tolerance of
#: ecoopt's tight attempt. The file is unscaled and partition optima are 1e-3 to 1e-7, inside
#: HiGHS's default absolute tolerances (with them, EfficientNet-B0 stops 4e-5 above optimal)
READ_BACK_OPTIONS = {
    "mip_rel_gap": 1e-9,
    "mip_abs_gap": 0.0,
    "mip_feasibility_tolerance": 1e-9,
    "time_limit": BUDGET_S,
}


@functools.cache
def optimum(path: Path) -> float:
    """``ecoopt.solve``'s checked optimum at a 1e-9 gap (once per instance)."""
    res = ecoopt.solve(ecoopt.load(path), mip_rel_gap=1e-9)
    assert res.optimal, res.summary()
    return res.objective


def read_back(path: Path) -> highspy.Highs:
    """A fresh HiGHS that has read ``path`` and solved it with :data:`READ_BACK_OPTIONS`."""
    h = new_highs()
    h.setOptionValue("output_flag", False)
    assert h.readModel(str(path)) == highspy.HighsStatus.kOk
    for key, value in READ_BACK_OPTIONS.items():
        assert h.setOptionValue(key, value) == highspy.HighsStatus.kOk
    assert h.run() == highspy.HighsStatus.kOk
    return h


@pytest.mark.parametrize("fmt", ["lp", "mps"])
@pytest.mark.parametrize("instance_path", BUNDLED, ids=lambda p: f"{p.parent.name}/{p.stem}")
def test_bundled_instance_round_trip(instance_path, fmt, tmp_path):
    inst = ecoopt.load(instance_path)
    out = export_model(inst, tmp_path / f"model.{fmt}")
    assert out == tmp_path / f"model.{fmt}"
    t0 = time.perf_counter()
    h = read_back(out)
    elapsed = time.perf_counter() - t0
    assert h.getModelStatus() == highspy.HighsModelStatus.kOptimal, f"{elapsed:.1f} s"
    value = h.getInfo().objective_function_value
    assert value == pytest.approx(optimum(instance_path), rel=1e-6)

    lp = spec_for(inst).formulate(inst, inst.objective)
    cols, rows = model_names(lp)
    model = h.getLp()
    assert sorted(model.col_names_) == sorted(cols)  # an LP file orders columns as first seen
    assert list(model.row_names_) == rows
    if fmt == "mps":
        assert list(model.col_names_) == cols
    text = out.read_text()
    assert "assign(" in text or "place(" in text
    assert not any(re.fullmatch(r"[cr]\d+", n) for n in cols + rows)


def cbc_executable() -> str | None:
    """CBC on PATH or beside the running Python (``pip install cbcbox``), else None."""
    return shutil.which("cbc") or shutil.which("cbc", path=str(Path(sys.executable).parent))


OTHER_READERS = [
    ROOT / "instances" / "gpushare" / "multi_gpu_three_grids.yaml",
    ROOT / "instances" / "gpushare" / "paper_nondegenerate.yaml",
]


def test_lp_integer_sections_have_their_long_names(tmp_path):
    inst = ecoopt.load(OTHER_READERS[0])
    lines = export_model(inst, tmp_path / "m.lp").read_text().splitlines()
    assert {"binary", "general", "semi-continuous"} <= set(lines)
    assert not {"bin", "gen", "semi"} & set(lines)


@pytest.mark.parametrize("fmt", ["lp", "mps"])
@pytest.mark.parametrize("instance_path", OTHER_READERS, ids=lambda p: p.stem)
def test_cbc_reads_the_files_as_mips(instance_path, fmt, tmp_path):
    cbc = cbc_executable()
    if cbc is None:
        pytest.skip("cbc is not installed here (pip install cbcbox)")
    out = export_model(ecoopt.load(instance_path), tmp_path / f"m.{fmt}")
    solution = tmp_path / "solution.txt"
    args = [cbc, str(out), "-ratioGap", "1e-9", "-solve", "-solu", str(solution), "-quit"]
    subprocess.run(args, capture_output=True, check=True, timeout=60)
    first = solution.read_text().splitlines()[0]
    assert first.startswith("Optimal")
    value = float(first.rsplit("objective value", 1)[1])
    assert value == pytest.approx(optimum(instance_path), rel=1e-7)  # CBC prints 8 decimals


@pytest.mark.parametrize("fmt", ["lp", "mps"])
@pytest.mark.parametrize("instance_path", OTHER_READERS, ids=lambda p: p.stem)
def test_scip_reads_the_files(instance_path, fmt, tmp_path):
    pyscipopt = pytest.importorskip("pyscipopt")
    out = export_model(ecoopt.load(instance_path), tmp_path / f"m.{fmt}")
    model = pyscipopt.Model()
    model.hideOutput()
    model.readProblem(str(out))
    model.setParam("limits/gap", 1e-9)
    model.optimize()
    assert model.getStatus() == "optimal"
    assert model.getObjVal() == pytest.approx(optimum(instance_path), rel=1e-6)


def test_names_are_block_and_label():
    inst = ecoopt.load(ROOT / "instances" / "gpushare" / "paper_four_agents.yaml")
    cols, rows = model_names(spec_for(inst).formulate(inst, "latency"))
    assert cols[0] == "assign(coordinator,gpu0,10)"
    assert "powered(gpu0)" in cols
    assert rows[:2] == ["one_level(coordinator)", "one_level(nlp)"]
    inst = ecoopt.load(ROOT / "instances" / "partition" / "cluster_resnet50_stream.yaml")
    cols, _ = model_names(spec_for(inst).formulate(inst, "period"))
    assert "flow(input__conv1,orin_nx,rtx2000_ws)" in cols


def test_cleaning_keeps_names_unique():
    assert clean("a b:c[d]->é") == "a_b_c_d____"
    assert unique(["x(a_b)", "x(a_b)", "x(a_b)~2", "x(a_b)"]) == [
        "x(a_b)",
        "x(a_b)~2",
        "x(a_b)~2~2",
        "x(a_b)~3",
    ]


def small_lp(sense: str, offset: float, labels: list) -> LinearProgram:
    """min/max x + 2y + offset over integers 0..5 with x + y ≥ 1, x - y ≤ 2."""
    lp = LinearProgram(name="small lp", sense=sense, objective_offset=offset)
    lp.add_vars("x", labels, upper=5.0, integer=True, cost=np.array([1.0, 2.0]))
    lp.add_rows("cover", ["all"], np.zeros(2), np.arange(2), np.ones(2), lower=1.0)
    lp.add_rows("diff", [("x", "y")], np.zeros(2), np.arange(2), np.array([1.0, -1.0]), upper=2)
    return lp


@pytest.mark.parametrize("fmt", ["lp", "mps"])
@pytest.mark.parametrize("sense, offset, expected", [("min", 5.25, 6.25), ("max", -3.5, 11.5)])
def test_objective_offset_survives(fmt, sense, offset, expected, tmp_path):
    out = write_model_file(small_lp(sense, offset, ["p", "q"]), tmp_path / f"m.{fmt}")
    h = read_back(out)
    assert h.getLp().offset_ == pytest.approx(offset)
    assert h.getInfo().objective_function_value == pytest.approx(expected)
    try:
        import pyscipopt
    except ImportError:
        return
    model = pyscipopt.Model()
    model.hideOutput()
    model.readProblem(str(out))
    model.optimize()
    assert model.getObjVal() == pytest.approx(expected)  # SCIP reads the offset too


@pytest.mark.parametrize("fmt", ["lp", "mps"])
def test_hostile_labels_stay_readable_and_distinct(fmt, tmp_path):
    labels = ["a b: [c] -> d + e*f", "a_b___c_____d___e_f"]  # the first cleans to the second
    lp = small_lp("min", 0.0, labels)
    out = write_model_file(lp, tmp_path / f"m.{fmt}")
    names = list(read_back(out).getLp().col_names_)
    assert names == ["x(a_b___c_____d___e_f)", "x(a_b___c_____d___e_f)~2"]
    assert names == model_names(lp)[0]


def test_format_argument_wins_over_suffix(tmp_path):
    out = write_model_file(small_lp("min", 1.0, ["p", "q"]), tmp_path / "model.txt", "mps")
    assert out.read_text().splitlines()[0].startswith("NAME")
    out = write_model_file(small_lp("min", 1.0, ["p", "q"]), tmp_path / "model.txt", "LP")
    assert "File written by HiGHS .lp file handler" in out.read_text()


@pytest.mark.parametrize("name, fmt", [("model.xlsx", None), ("model", None), ("model.lp", "gams")])
def test_unknown_format_names_the_allowed_ones(name, fmt, tmp_path):
    inst = ecoopt.load(ROOT / "instances" / "gpushare" / "paper_four_agents.yaml")
    with pytest.raises(ValueError, match=r"choose one of 'lp', 'mps'"):
        export_model(inst, tmp_path / name, format=fmt)


def test_missing_folder_is_an_error_naming_the_path(tmp_path):
    inst = ecoopt.load(ROOT / "instances" / "gpushare" / "paper_four_agents.yaml")
    target = tmp_path / "no_such_folder" / "model.lp"
    with pytest.raises(EcoOptError, match="does not exist") as err:
        export_model(inst, target)
    assert str(target) in str(err.value)
    assert "\n" not in str(err.value)


def test_folder_as_target_is_an_error_and_leaves_nothing(tmp_path):
    (tmp_path / "model.mps").mkdir()
    inst = ecoopt.load(ROOT / "instances" / "gpushare" / "paper_four_agents.yaml")
    with pytest.raises(EcoOptError, match="model.mps"):
        export_model(inst, tmp_path / "model.mps")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["model.mps"]  # no scratch left


def test_highs_write_failure_is_an_error_naming_the_path(tmp_path, monkeypatch):
    monkeypatch.setattr(highspy.Highs, "writeModel", lambda self, path: highspy.HighsStatus.kError)
    with pytest.raises(EcoOptError, match=r"HiGHS could not write the model to .*m\.lp"):
        write_model_file(small_lp("min", 0.0, ["p", "q"]), tmp_path / "m.lp")
    assert list(tmp_path.iterdir()) == []


def test_export_keeps_stdout_clean(tmp_path):
    code = (
        "import ecoopt, sys; from ecoopt.export import export_model; "
        f"export_model(ecoopt.load({str(BUNDLED[0])!r}), {str(tmp_path / 'm.lp')!r})"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout == ""
    assert (tmp_path / "m.lp").is_file()
