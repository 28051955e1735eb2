"""ecoopt.plot on real small outputs: what is drawn is what the tables say, infeasible plans
are marked, and ``ecoopt plot`` writes PNG/SVG or refuses bad input in one line."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ecoopt
from ecoopt import plot
from ecoopt.gpushare.simulate import TIMELINE_PANELS, simulate_policy
from ecoopt.routing.simulate import request_log
from ecoopt.routing.timeline import PANELS as ROUTING_PANELS
from ecoopt.routing.timeline import level

ROOT = Path(__file__).resolve().parents[1]
GPU = ROOT / "instances" / "gpushare"
NONDEG = GPU / "paper_nondegenerate.yaml"
FOUR = GPU / "paper_four_agents.yaml"
BURSTY = GPU / "generated_12_agents_bursty_trace.yaml"
ROUTING = ROOT / "instances" / "routing" / "carbonedge_capacity.yaml"
INTENSITY, SLO = "gpus[gpu0].intensity_g_per_kwh", "agents[*].latency_slo_s"


@pytest.fixture(scope="module")
def tables():
    return {p.stem: ecoopt.compare(ecoopt.load(p)) for p in (NONDEG, FOUR)}


@pytest.fixture(scope="module")
def front_df():
    return ecoopt.pareto(ecoopt.load(NONDEG), "latency", "carbon", 3)


@pytest.fixture(scope="module")
def sweep_df():
    over = {INTENSITY: [100, 400], SLO: [0.2, 1.0]}
    return ecoopt.sweep(
        ecoopt.load(NONDEG), over, objective="carbon", methods=["adaptive", "sqrt_waterfill"]
    )


# -- gaps ---------------------------------------------------------------------------------------
def test_gaps_one_bar_per_feasible_heuristic_at_its_gap(tables):
    ax = plot.gaps(tables)
    heur = [m for m in tables["paper_nondegenerate"].method if m != "milp"]
    assert [c.get_label() for c in ax.containers] == heur  # no MILP bar
    both = pd.concat([df.assign(instance=k) for k, df in tables.items()])
    for container, method in zip(ax.containers, heur):
        rows = both[(both.method == method) & both.feasible]
        heights = [bar.get_height() for bar in container]
        assert np.allclose(heights, rows.gap_pct), method
    assert [t.get_text() for t in ax.get_xticklabels()] == list(tables)
    assert any(np.allclose(line.get_ydata(), 0) for line in ax.lines)  # the MILP baseline


def test_gaps_marks_infeasible_plans_with_a_cross_and_no_bar(tables):
    four = tables["paper_four_agents"]
    infeasible = list(four[~four.feasible].method)
    assert infeasible  # the paper's rescale, static equal and round robin break a minimum
    ax = plot.gaps({"four": four})
    crosses = [c for c in ax.collections if c.get_gid() == "infeasible"]
    assert sorted(c.get_label().lstrip("_").split(":")[0] for c in crosses) == sorted(infeasible)
    bars = {c.get_label(): len(c) for c in ax.containers}
    assert all(bars[m] == 0 for m in infeasible)
    assert all(np.allclose(c.get_offsets()[:, 1], 0) for c in crosses)
    assert "× infeasible plan (no bar)" in [t.get_text() for t in ax.get_legend().get_texts()]


def test_gaps_nan_gap_is_marked_not_drawn(tables):
    df = tables["paper_nondegenerate"].copy()
    df.loc[1, "gap_pct"] = np.nan
    ax = plot.gaps({"x": df})
    assert len(ax.containers[0]) == 0
    gids = [(c.get_label().lstrip("_").split(":")[0], c.get_gid()) for c in ax.collections]
    zero = df[(df.method != "milp") & (df.gap_pct.abs() <= 1e-9)].method
    assert gids == [(df.method[1], "no gap"), *[(m, "zero") for m in zero]]


# -- front --------------------------------------------------------------------------------------
def test_front_line_points_and_labels(front_df):
    ax = plot.front(front_df)
    pts = front_df[front_df.kind == "front"].sort_values("x")
    assert np.allclose(ax.lines[0].get_xdata(), pts.x)
    assert np.allclose(ax.lines[0].get_ydata(), pts.y)
    assert ax.get_xlabel() == "latency (s)" and ax.get_ylabel() == "carbon"
    heur = front_df[front_df.kind == "heuristic"]
    assert [c.get_label() for c in ax.collections[2:]] == list(heur.method)
    for c, (_, r) in zip(ax.collections[2:], heur.iterrows()):
        assert np.allclose(c.get_offsets()[0], (r.x, r.y))
    assert len(ax.collections[0].get_offsets()) == len(pts)  # all proven optimal


def test_front_marks_dominated_infeasible_and_unproven(front_df):
    df = front_df.copy()
    heur = df.index[df.kind == "heuristic"]
    df.loc[heur[0], "feasible"] = False
    df.loc[df.index[1], "status"] = "time_limit"
    ax = plot.front(df)
    assert len(ax.collections[1].get_offsets()) == 1  # the unproven front point, hollow
    assert len(ax.collections[1].get_facecolor()) == 0
    marks = ax.collections[2:]
    assert len(marks[0].get_facecolor()) == 0  # infeasible: hollow
    assert all(len(m.get_facecolor()) for m in marks[1:])
    shape = [m.get_paths()[0].vertices.shape for m in marks]
    dominated = list(df.loc[heur, "dominated"].astype(bool))
    assert dominated.count(True) and dominated.count(False)
    kinds = {d: {s for s, dd in zip(shape, dominated) if dd == d} for d in (True, False)}
    assert kinds[True].isdisjoint(kinds[False])  # dominated points have a marker of their own


def test_front_labels_from_the_objective_columns_then_attrs(front_df):
    df = front_df.assign(x_objective="period", y_objective="energy_j")
    ax = plot.front(df)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("period (s)", "energy_j")
    # pareto's frame names its objectives in columns and attrs: drop both to reach the fallback
    bare = front_df.drop(columns=["x_objective", "y_objective"], errors="ignore")
    bare.attrs = {}
    ax = plot.front(bare)
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("x", "y")


# -- sweep --------------------------------------------------------------------------------------
def test_sweep_one_line_per_method_and_slo_through_feasible_points(sweep_df):
    ax = plot.sweep(sweep_df, INTENSITY)  # by: the other path, found alone
    methods = list(dict.fromkeys(sweep_df.method))
    assert len(ax.lines) == 2 * len(methods)
    for line in ax.lines:
        method, slo = line.get_label().split(", ")
        value = float(slo.split(" = ")[1])
        rows = sweep_df[(sweep_df.method == method) & (sweep_df[SLO] == value)]
        ok = rows[rows.feasible].sort_values(INTENSITY)
        assert list(line.get_xdata()) == list(ok[INTENSITY])
        assert np.allclose(line.get_ydata(), ok.objective)
    assert ax.get_xlabel() == INTENSITY
    # at 0.2 s every plan is infeasible: the MILP has no value (× on the axis), the
    # heuristics a hollow marker at theirs
    lost = [c for c in ax.collections if c.get_gid() == "no value" and len(c.get_offsets())]
    assert sorted(c.get_offsets()[:, 0].tolist() for c in lost) == [[100.0, 400.0]]
    hollow = np.vstack([c.get_offsets() for c in ax.collections if c.get_gid() == "infeasible"])
    bad = sweep_df[~sweep_df.feasible & sweep_df.objective.notna()]
    assert sorted(map(tuple, hollow)) == sorted(zip(bad[INTENSITY], bad.objective))


def test_sweep_refuses_unknown_paths_and_ambiguous_grids(sweep_df):
    with pytest.raises(ValueError, match="paths are"):
        plot.sweep(sweep_df, "nope")
    three = sweep_df.assign(extra=sweep_df.point % 2)
    three = three[["extra", *sweep_df.columns]]
    with pytest.raises(ValueError, match="also varies"):
        plot.sweep(three, INTENSITY)
    ax = plot.sweep(sweep_df, SLO, y="gap_pct", by=INTENSITY)
    assert ax.get_ylabel() == "gap to the MILP optimum (%)"


# -- timelines ----------------------------------------------------------------------------------
def test_gpushare_timeline_draws_the_simulator_arrays():
    inst = ecoopt.load(BURSTY)
    df = plot.timeline_data(inst, "adaptive", steps=8)
    trace = simulate_policy(inst, "adaptive", steps=8)
    fig = plot.timeline(df)
    assert [ax.get_ylabel() for ax in fig.axes] == list(TIMELINE_PANELS)
    share, backlog, carbon = fig.axes
    assert [line.get_label() for line in share.lines] == trace.agents
    for i, line in enumerate(share.lines):
        assert np.allclose(line.get_xdata()[:8], np.arange(8) * trace.step_s)
        assert np.allclose(line.get_ydata()[:8], trace.share[:, i])
    for i, line in enumerate(backlog.lines):
        assert np.allclose(line.get_ydata()[:8], trace.backlog_req[:, i])
    assert np.allclose(carbon.lines[0].get_ydata()[:8], trace.carbon_g)
    assert share.get_shared_x_axes().joined(share, carbon)
    assert fig.axes[-1].get_xlabel() == "time (s)"


def test_routing_timeline_counts_match_the_request_log():
    inst = ecoopt.load(ROUTING)
    df = plot.timeline_data(inst, "latency_aware")
    plan = ecoopt.routing.HEURISTICS["latency_aware"](inst)
    log = request_log(inst, plan)
    fig = plot.timeline(df)
    assert [ax.get_ylabel() for ax in fig.axes] == list(ROUTING_PANELS)
    for line in fig.axes[0].lines:
        mine = log[log.node == line.get_label()]
        for t, v in zip(line.get_xdata(), line.get_ydata()):
            assert v == ((mine.start_s <= t) & (mine.finish_s > t)).sum()
    waiting = fig.axes[1].lines[0]
    for t, v in zip(waiting.get_xdata(), waiting.get_ydata()):
        assert v == ((log.arrival_s <= t) & ~(log.start_s <= t)).sum()
    carbon = ecoopt.routing.evaluate(inst, plan).metrics["carbon_g"]
    assert np.isclose(fig.axes[2].lines[0].get_ydata()[-1], carbon)


def test_level_sums_changes_at_one_instant():
    t, v = level(np.array([1.0, 2.0, 2.0]), np.array([2.0, 3.0, 4.0]))
    assert t.tolist() == [0.0, 1.0, 2.0, 3.0, 4.0]
    assert v.tolist() == [0.0, 1.0, 2.0, 1.0, 0.0]


def test_timeline_of_a_family_without_simulator_names_those_with():
    inst = ecoopt.load(ROOT / "instances" / "partition" / "carbonedge_mobilenet_v2.yaml")
    with pytest.raises(ValueError, match="gpushare, routing have one"):
        plot.timeline_data(inst)


def test_save_png_and_svg_reproducibly(tmp_path, tables):
    ax = plot.gaps(tables)
    a, b, s = tmp_path / "a.png", tmp_path / "b.png", tmp_path / "a.svg"
    plot.save(ax, a), plot.save(plot.gaps(tables).figure, b), plot.save(plot.gaps(tables), s)
    assert a.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and a.read_bytes() == b.read_bytes()
    assert b"<svg" in s.read_bytes()[:400]
    with pytest.raises(ValueError, match=".png or .svg"):
        plot.save(ax, tmp_path / "a.pdf")


def test_import_ecoopt_does_not_import_matplotlib():
    code = "import sys, ecoopt, ecoopt.plot; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert out.stdout.strip() == "False", out.stderr


# -- the CLI ------------------------------------------------------------------------------------
def run_all(cases: list[tuple[str, ...]]) -> list[tuple[int, str]]:
    """(exit code, stderr) of ``ecoopt`` with each argument list, run side by side."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "ecoopt.cli", *args],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )  # fmt: skip
        for args in cases
    ]
    out = []
    for proc in procs:
        _, err = proc.communicate(timeout=300)
        out.append((proc.returncode, err))
    return out


@pytest.fixture(scope="module")
def csvs(tmp_path_factory):
    """The CSVs the commands write, written by them."""
    d = tmp_path_factory.mktemp("csv")
    made = run_all(
        [
            ("compare", str(NONDEG), "--csv", str(d / "paper_nondegenerate.csv"), "--quiet"),
            ("compare", str(FOUR), "--csv", str(d / "paper_four_agents.csv"), "--quiet"),
            ("pareto", str(NONDEG), "--x", "latency", "--y", "carbon", "--points", "3",
             "--csv", str(d / "front.csv")),
            ("sweep", str(NONDEG), "--objective", "carbon", "--set", f"{INTENSITY}=100,400",
             "--set", f"{SLO}=0.2,1.0", "--methods", "adaptive,sqrt_waterfill",
             "--out", str(d / "sweep.csv"), "--quiet"),
        ]
    )  # fmt: skip
    assert [code for code, _ in made] == [0, 0, 0, 0], made
    return d


def test_cli_writes_png_and_svg(tmp_path, csvs):
    cases = [
        ("gaps", str(csvs / "paper_nondegenerate.csv"), str(csvs / "paper_four_agents.csv")),
        ("front", str(csvs / "front.csv")),
        ("sweep", str(csvs / "sweep.csv"), "--x", INTENSITY, "--y", "gap_pct"),
        ("timeline", str(ROUTING), "--policy", "round_robin"),
        ("timeline", str(NONDEG), "--steps", "4"),
    ]
    outs = [tmp_path / f"{k}{'.svg' if k % 2 else '.png'}" for k in range(len(cases))]
    done = run_all([("plot", *case, "--out", str(out)) for case, out in zip(cases, outs)])
    for (code, err), out in zip(done, outs):
        assert code == 0, err
        head = out.read_bytes()[:400]
        assert head.startswith(b"\x89PNG") if out.suffix == ".png" else b"<svg" in head


def test_cli_gaps_reads_the_compare_csv_back(csvs):
    from ecoopt.plot.inputs import compare_csvs

    df = compare_csvs([csvs / "paper_four_agents.csv", csvs / "paper_nondegenerate.csv"])
    assert list(dict.fromkeys(df.instance)) == ["paper_four_agents", "paper_nondegenerate"]
    assert df.feasible.dtype == bool and df.gap_pct.dtype == float


def test_cli_bad_inputs_are_one_line(tmp_path, csvs):
    compare_csv = csvs / "paper_nondegenerate.csv"
    text = compare_csv.read_text().splitlines()
    bad_number = tmp_path / "bad_number.csv"
    cells = text[2].split(",")
    cells[3] = "lots"  # gap_pct
    bad_number.write_text("\n".join([text[0], text[1], ",".join(cells), *text[3:]]) + "\n")
    no_column = tmp_path / "no_column.csv"
    pd.read_csv(compare_csv).drop(columns="feasible").to_csv(no_column, index=False)
    binary = tmp_path / "binary.csv"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00" * 20)
    huge = tmp_path / "huge.csv"
    with open(huge, "wb") as fh:
        fh.truncate(60_000_000)  # sparse: no time spent writing
    sweep_csv = str(csvs / "sweep.csv")
    cases = {
        ("gaps", str(tmp_path / "missing.csv")): "no such file",
        ("gaps", str(bad_number)): "column gap_pct, row 2: 'lots' is not a number",
        ("gaps", str(no_column)): "no column feasible",
        ("gaps", str(binary)): "binary.csv",
        ("gaps", str(huge)): "above the 50,000,000",
        ("front", str(compare_csv)): "no column kind",
        ("sweep", sweep_csv, "--x", "nope"): "--x nope: no such swept path",
        ("sweep", sweep_csv, "--x", INTENSITY, "--y", "nope"): "--y nope: no such column",
        ("sweep", sweep_csv): "needs --x",
        ("gaps", str(compare_csv), "--policy", "adaptive"): "--policy is for plot timeline",
        ("timeline", str(ROUTING), "--policy", "nope"): "unknown policy 'nope'",
        ("timeline", str(ROOT / "instances/partition/carbonedge_mobilenet_v2.yaml")): "no simu",
        ("timeline", str(compare_csv)): "paper_nondegenerate.csv",
    }
    cases[("gaps", str(compare_csv), "--out", str(tmp_path / "x.pdf"))] = ".png or .svg"
    runs = [
        ("plot", *a) + (() if "--out" in a else ("--out", str(tmp_path / "x.png"))) for a in cases
    ]
    for (code, err), (args, words) in zip(run_all(runs), cases.items()):
        assert code == 2, (args, err)
        assert len(err.strip().splitlines()) == 1, err
        assert "Traceback" not in err and words in err, (args, err)
    assert not (tmp_path / "x.png").exists()


# -- the README's figures -----------------------------------------------------------------------
def test_make_figures_outputs_are_the_committed_images_and_regenerate_identically(tmp_path):
    sys.path.insert(0, str(ROOT / "scripts"))
    try:
        import make_figures
    finally:
        sys.path.remove(str(ROOT / "scripts"))
    committed = sorted(p.name for p in (ROOT / "docs" / "img").iterdir())
    assert sorted(make_figures.FIGURES) == committed
    for name in committed:
        assert (ROOT / "docs" / "img" / name).stat().st_size < 150_000, name
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    guide = (ROOT / "docs" / "guides" / "studies.md").read_text(encoding="utf-8")
    assert all(f"../img/{name}" in guide for name in committed)  # every one, explained
    assert sum(f"docs/img/{name}" in readme for name in committed) >= 2  # two on the front page
    fresh = make_figures.make("gaps_gpushare.png", tmp_path)
    assert fresh.read_bytes() == (ROOT / "docs" / "img" / "gaps_gpushare.png").read_bytes()


def test_flags_read_as_text_are_not_all_true(tables):
    """A frame read with dtype=str holds "False": it must not count as feasible."""
    df = tables["paper_four_agents"]
    four = pd.DataFrame({c: df[c].astype(str) for c in ("method", "gap_pct", "feasible")})
    ax = plot.gaps({"four": four})
    crosses = sum(c.get_gid() == "infeasible" for c in ax.collections)
    assert crosses == (four.feasible == "False").sum() == 3
