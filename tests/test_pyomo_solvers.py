"""Solver choice through Pyomo: any installed solver solves the same LinearProgram to HiGHS's
optimum; an unknown or uninstalled solver is one line naming it; options are mapped per
family; terminations, bounds and points are read back."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

import ecoopt
import ecoopt.pyomo_adapter as adapter
from ecoopt.errors import EcoOptError
from ecoopt.highs import solve_lp
from ecoopt.lp import LinearProgram, objective_scale
from ecoopt.problems import spec_for
from ecoopt.pyomo_adapter import native_options, pyomo_solver, solve_lp_pyomo, solver_family
from ecoopt.results import SolverOptions

ROOT = Path(__file__).resolve().parents[1]
SMALL = [
    ROOT / "instances" / "gpushare" / "paper_nondegenerate.yaml",
    ROOT / "instances" / "partition" / "carbonedge_mobilenet_v2.yaml",
]

#: open-source solvers and how they get here: pyscipopt is a test extra (scip_direct); cbc
#: comes with `pip install cbcbox`, glpk with `apt-get install glpk-utils`
OTHER_SOLVERS = ["scip_direct", "cbc", "glpk"]


def installed(name: str) -> bool:
    try:
        pyomo_solver(name)
    except EcoOptError:
        return False
    return True


def formulate(path: Path) -> tuple[object, LinearProgram]:
    inst = ecoopt.load(path)
    return inst, spec_for(inst).formulate(inst, inst.objective)


def small_lp(sense: str = "min", cover: float = 1.0) -> LinearProgram:
    """min/max x + 2y + 1.5 over integers 0..5 with x + y ≥ cover."""
    lp = LinearProgram(name="small", sense=sense, objective_offset=1.5)
    lp.add_vars("x", ["p", "q"], upper=5.0, integer=True, cost=np.array([1.0, 2.0]))
    lp.add_rows("cover", ["all"], np.zeros(2), np.arange(2), np.ones(2), lower=cover)
    return lp


@pytest.mark.parametrize("path", SMALL, ids=lambda p: p.stem)
@pytest.mark.parametrize("solver", ["appsi_highs", "highs", *OTHER_SOLVERS])
def test_solver_reaches_the_highs_optimum(solver, path):
    if not installed(solver):
        pytest.skip(f"{solver} is not installed here")
    inst, lp = formulate(path)
    options = SolverOptions(mip_rel_gap=1e-9)
    direct = solve_lp(lp, options)
    sol, build_s = solve_lp_pyomo(lp, options, solver)
    assert sol.termination == "optimal" and sol.solution_status == "optimal"
    assert sol.objective == pytest.approx(direct.objective, rel=1e-6)
    assert sol.bound is not None and sol.gap is not None and sol.gap <= 1e-6
    assert build_s > 0 and sol.solve_s > 0
    spec = spec_for(inst)
    evaluation = spec.evaluate(inst, spec.plan_from_x(inst, lp, sol.x), inst.objective)
    assert evaluation.feasible
    assert evaluation.objective == pytest.approx(direct.objective, rel=1e-6)


@pytest.mark.parametrize("solver", ["appsi_highs", "highs", *OTHER_SOLVERS])
def test_cost_scale_reaches_the_optimum_of_a_tiny_objective(solver):
    """EfficientNet-B0's optimum is 5.2e-3: unscaled, HiGHS (4e-5) and CBC (4e-4) stop above
    it and say optimal; scaled as ``solve`` scales, every solver reaches it."""
    if not installed(solver):
        pytest.skip(f"{solver} is not installed here")
    path = ROOT / "instances" / "partition" / "carbonedge_efficientnet_b0.yaml"
    inst, lp = formulate(path)
    best = ecoopt.solve(inst, mip_rel_gap=1e-9).objective
    scale = objective_scale(lp, best)
    sol, _ = solve_lp_pyomo(lp, SolverOptions(mip_rel_gap=1e-9), solver, cost_scale=scale)
    assert sol.termination == "optimal"
    assert sol.objective == pytest.approx(best, rel=1e-9)
    assert sol.bound == pytest.approx(best, rel=1e-6)  # in the model's units, not scaled


def test_default_solver_is_appsi_highs_and_old_call_works(paper_path):
    _, lp = formulate(paper_path)
    sol, _ = solve_lp_pyomo(lp, SolverOptions())
    assert sol.termination == "optimal"
    assert "'appsi_highs'" in sol.log
    via_solve = ecoopt.solve(ecoopt.load(paper_path), interface="pyomo")
    assert via_solve.optimal and via_solve.objective == pytest.approx(sol.objective, rel=1e-9)


def test_unknown_solver_is_one_line_before_any_build(monkeypatch):
    monkeypatch.setattr(adapter, "to_pyomo", lambda lp: pytest.fail("model built"))
    with pytest.raises(EcoOptError) as err:
        solve_lp_pyomo(small_lp(), SolverOptions(), "no_such_solver")
    text = str(err.value)
    assert "'no_such_solver'" in text and "highs" in text
    assert "\n" not in text


@pytest.mark.skipif(shutil.which("glpsol") is not None, reason="glpk is installed here")
def test_uninstalled_solver_names_what_to_install(monkeypatch):
    monkeypatch.setattr(adapter, "to_pyomo", lambda lp: pytest.fail("model built"))
    with pytest.raises(EcoOptError) as err:
        solve_lp_pyomo(small_lp(), SolverOptions(), "glpk")
    text = str(err.value)
    assert text.startswith("solver 'glpk' is not installed or not on PATH: install it")
    assert "apt-get install glpk-utils" in text and "solver='highs'" in text
    assert "\n" not in text


def test_solver_of_unknown_family_is_refused():
    with pytest.raises(EcoOptError, match=r"does not know how to pass .* 'ipopt'"):
        solve_lp_pyomo(small_lp(), SolverOptions(), "ipopt")


@pytest.mark.parametrize(
    "name, family",
    [
        ("appsi_highs", "highs"),
        ("highs", "highs"),
        ("cbc", "cbc"),
        ("appsi_cbc", "cbc"),
        ("glpk", "glpk"),
        ("scip", "scip"),
        ("scip_direct", "scip"),
        ("gurobi_persistent", "gurobi"),
        ("cplex_direct", "cplex"),
    ],
)
def test_solver_family_by_name(name, family):
    assert solver_family(name) is adapter.FAMILIES[family]


def test_scipy_is_not_scip():
    with pytest.raises(EcoOptError):
        solver_family("scipy.root")


@pytest.mark.parametrize(
    "family, expected",
    [
        ("highs", {"time_limit": 2.5, "mip_rel_gap": 1e-3, "threads": 1, "random_seed": 7}),
        ("cbc", {"sec": 2.5, "ratioGap": 1e-3, "threads": 1, "randomCbcSeed": 7}),
        ("glpk", {"tmlim": 3, "mipgap": 1e-3}),
        ("scip", {"limits/time": 2.5, "limits/gap": 1e-3, "randomization/randomseedshift": 7}),
        ("gurobi", {"TimeLimit": 2.5, "MIPGap": 1e-3, "Threads": 1, "Seed": 7}),
        ("cplex", {"timelimit": 2.5, "mipgap": 1e-3, "threads": 1, "randomseed": 7}),
    ],
)
def test_options_under_each_familys_names(family, expected):
    options = SolverOptions(time_limit=2.5, mip_rel_gap=1e-3, threads=1, seed=7)
    got = native_options(adapter.FAMILIES[family], options)
    if family == "highs":
        assert got.pop("mip_abs_gap") == 0.0  # the objective is not scaled on this route
    assert got == expected


def test_raw_solver_options_come_last_and_win():
    options = SolverOptions(mip_rel_gap=1e-3, solver_options={"ratioGap": 0.5, "cuts": "off"})
    got = native_options(adapter.FAMILIES["cbc"], options)
    assert got["ratioGap"] == 0.5 and got["cuts"] == "off"
    assert "sec" not in got  # no time limit asked, none passed


def test_tiny_time_limits_stay_limits():
    options = SolverOptions(time_limit=0.0)
    assert native_options(adapter.FAMILIES["glpk"], options)["tmlim"] == 1
    assert native_options(adapter.FAMILIES["gurobi"], options)["TimeLimit"] == 1e-3


@pytest.mark.parametrize("solver", ["appsi_highs", "highs", "scip_direct", "cbc"])
def test_terminations_and_points(solver):
    if not installed(solver):
        pytest.skip(f"{solver} is not installed here")
    sol, _ = solve_lp_pyomo(small_lp("max"), SolverOptions(), solver)
    assert (sol.termination, sol.objective, sol.bound) == ("optimal", 16.5, 16.5)
    assert sol.x.tolist() == [5.0, 5.0]
    sol, _ = solve_lp_pyomo(small_lp("min"), SolverOptions(), solver)
    assert (sol.termination, sol.objective) == ("optimal", 2.5)
    sol, _ = solve_lp_pyomo(small_lp("min", cover=11.0), SolverOptions(), solver)
    assert sol.termination in ("infeasible", "infeasible_or_unbounded")
    assert sol.x is None and sol.objective is None and sol.solution_status == "none"


@pytest.mark.parametrize("solver", ["appsi_highs", "scip_direct"])
def test_time_limit_is_passed_and_read_back(solver):
    if not installed(solver):
        pytest.skip(f"{solver} is not installed here")
    _, lp = formulate(ROOT / "instances" / "partition" / "carbonedge_mobilenet_v2_slo.yaml")
    sol, _ = solve_lp_pyomo(lp, SolverOptions(time_limit=0.2, mip_rel_gap=1e-9), solver)
    assert sol.termination == "time_limit"
    assert sol.solve_s < 5.0
    if sol.x is not None:
        assert sol.solution_status == "feasible"
        assert sol.bound is None or sol.bound <= sol.objective


def fake_results(lower, upper, status="ok"):
    return SimpleNamespace(
        problem=SimpleNamespace(lower_bound=lower, upper_bound=upper),
        solver=SimpleNamespace(status=status),
    )


def test_bound_rule():
    res = fake_results(float("-inf"), 3.0)
    assert adapter._bound(small_lp("min"), res, 3.0, "optimal") == 3.0
    assert adapter._bound(small_lp("min"), res, 3.0, "time_limit") is None
    assert adapter._bound(small_lp("min"), fake_results(2.0, 3.0), 3.0, "time_limit") == 2.0
    assert adapter._bound(small_lp("max"), fake_results(3.0, 4.0), 3.0, "time_limit") == 4.0
    assert adapter._bound(small_lp("max"), fake_results(3.0, None), 3.0, "optimal") == 3.0
    assert adapter._bound(small_lp("min"), fake_results(4.0, 6.0), 3.0, "optimal", 2.0) == 2.0


@pytest.mark.parametrize("solver", ["highs", "scip_direct"])
def test_bad_option_is_one_line_or_ignored(solver):
    if not installed(solver):
        pytest.skip(f"{solver} is not installed here")
    options = SolverOptions(solver_options={"no_such_option": 3})
    try:
        sol, _ = solve_lp_pyomo(small_lp(), options, solver)
    except EcoOptError as err:
        assert f"solver '{solver}' failed to run" in str(err) and "\n" not in str(err)
    else:
        assert sol.termination == "optimal"  # HiGHS through Pyomo ignores unknown options


def test_pyomo_route_keeps_stdout_clean():
    code = (
        "import ecoopt; from ecoopt.problems import spec_for; "
        "from ecoopt.pyomo_adapter import solve_lp_pyomo; "
        "from ecoopt.results import SolverOptions; "
        f"inst = ecoopt.load({str(SMALL[0])!r}); "
        "lp = spec_for(inst).formulate(inst, inst.objective); "
        "print(solve_lp_pyomo(lp, SolverOptions(), 'highs')[0].termination, end='')"
    )
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert run.stdout == "optimal"
