"""partition exactness: hand-solved placements, the chain DP, brute force, status paths."""

from __future__ import annotations

import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import event, given
from hypothesis import strategies as st
from partition_files import HEADER, draw_layer, graph_instance

import ecoopt
from ecoopt.errors import NotApplicable
from ecoopt.partition import HEURISTICS, Plan, evaluate
from ecoopt.partition.heuristics import dp_chain, methods


def instance(
    tmp_path,
    layers,
    devices,
    links,
    *,
    input_bytes=1e5,
    slo=None,
    src="d0",
    sink="d0",
    weights=None,
):
    return graph_instance(
        tmp_path, layers, devices, links, source=src, sink=sink, input_bytes=input_bytes,
        slo=slo, weights=weights,
    )  # fmt: skip


def dev(name, fps, power, mem, ci, idle=0.0):
    return {
        "name": name,
        "flops_per_s": fps,
        "active_power_w": power,
        "idle_power_w": idle,
        "memory_bytes": mem,
        "intensity_g_per_kwh": ci,
    }


#: HiGHS's MIP feasibility tolerance (1e-6 absolute) on the model's order-1 rows: the model's
#: own objective may sit that far (relative) from its plan's; the plan itself is judged exactly
HIGHS_REL = 1e-6

TWO = [("A", ["x"], 1e9, 1e6, 1e6), ("B", ["A"], 1e9, 1e5, 1e6)]
DEVS = [dev("d0", 1e9, 10, 1e9, 500), dev("d1", 2e9, 10, 1e9, 100)]
LINK = [{"a": "d0", "b": "d1", "bandwidth_bytes_per_s": 1e6}]


def test_hand_solved_latency_and_carbon(tmp_path):
    # all on d0: 1 + 1 = 2 s. all on d1: 0.5 + 0.5 + input 0.1 + output 0.1 = 1.2 s.
    # A|B split either way pays the 1 MB tensor (1 s): 2.6 s. Carbon: d1 spends 10 J at
    # 100 g/kWh = 2.778e-4 g; d0 spends 20 J at 500 g/kWh = 2.778e-3 g.
    inst = instance(tmp_path, TWO, DEVS, LINK)
    lat = ecoopt.solve(inst, "latency", strict=True)
    assert lat.objective == pytest.approx(1.2)
    assert lat.plan.device == ["d1", "d1"]
    carbon = ecoopt.solve(inst, "carbon", strict=True)
    assert carbon.objective == pytest.approx(10 * 100 / 3.6e6)
    # period: d1 busy 1 s, link busy (0.1 + 0.1) s -> 1.0; split A on d1, B on d0: max(0.5,1,1.1)
    period = ecoopt.solve(inst, "period", strict=True)
    assert period.objective == pytest.approx(1.0)


def test_slo_conflict_is_explained_by_the_elastic_resolve(tmp_path):
    # fastest compute is 1.0 s (passes the pre-check) but every placement needs ≥ 1.2 s
    inst = instance(tmp_path, TWO, DEVS, LINK, slo=1.1)
    res = ecoopt.solve(inst)
    assert res.termination == "infeasible"
    assert "latency SLO" in res.explanation and "+0.1" in res.explanation


def test_slo_below_fastest_possible_and_layer_fitting_nowhere(tmp_path):
    res = ecoopt.solve(instance(tmp_path, TWO, DEVS, LINK, slo=0.5))
    assert res.termination == "infeasible"
    assert "below the fastest possible latency 1 s" in res.explanation
    big = [("A", ["x"], 1e9, 1e6, 5e9), ("B", ["A"], 1e9, 1e5, 1e6)]
    res = ecoopt.solve(instance(tmp_path, big, DEVS, LINK))
    assert (
        res.termination == "infeasible" and "layer(s) A (5 GB) fit in no device" in res.explanation
    )


def test_memory_forces_a_split(tmp_path):
    # each device holds one layer's weights only -> the MILP must split; DP ignores memory
    devs = [dev("d0", 1e9, 10, 1.5e6, 500), dev("d1", 2e9, 10, 1.5e6, 100)]
    inst = instance(tmp_path, TWO, devs, LINK)
    res = ecoopt.solve(inst, "latency", strict=True)
    assert sorted(res.plan.device) == ["d0", "d1"]
    assert res.objective == pytest.approx(2.6)
    plan = dp_chain(inst, "latency")
    assert not evaluate(inst, plan, "latency").feasible and plan.notes


@st.composite
def random_instance(draw, tmp_path_factory, chain: bool, idle: bool = False):
    """Chains (no memory limit, no SLO: the DP's setting) or tiny DAGs; with ``idle`` the
    devices draw idle power (0 to their active power) and weighted has a latency weight."""
    n = draw(st.integers(1, 7 if chain else 5))
    D = draw(st.integers(2, 4 if chain else 3))
    layers = []
    for i in range(n):
        if chain or i == 0:
            inputs = ["x"] if i == 0 else [f"L{i - 1}"]
        else:
            k = draw(st.integers(1, min(2, i)))
            inputs = sorted(
                {f"L{j}" for j in draw(st.lists(st.integers(0, i - 1), min_size=k, max_size=k))}
            )
        layers.append(draw_layer(draw, f"L{i}", inputs))
    devices = []
    for j in range(D):
        power = draw(st.floats(1, 200))
        devices.append(
            dev(
                f"d{j}",
                draw(st.floats(1e8, 1e10)),
                power,
                1e12 if chain else draw(st.sampled_from([6e8, 1e9, 1e12])),
                draw(st.floats(20, 800)),
                idle=power * draw(st.sampled_from([0.0, 0.3, 1.0])) if idle else 0.0,
            )
        )
    links = [
        {
            "a": f"d{a}",
            "b": f"d{b}",
            "bandwidth_bytes_per_s": draw(st.floats(1e5, 1e9)),
            "latency_s": draw(st.floats(0, 0.05)),
            "energy_j_per_byte": draw(st.floats(0, 1e-6)),
        }
        for a, b in itertools.combinations(range(D), 2)
        if draw(st.booleans()) or b == a + 1
    ]
    slo = None if chain or draw(st.booleans()) else draw(st.floats(0.05, 20))
    weights = {"carbon_per_g": 1.0, "latency_per_s": draw(st.floats(0, 1e-3))} if idle else None
    path = tmp_path_factory.mktemp("g")
    return instance(
        path, layers, devices, links, slo=slo, src="d0", sink=f"d{D - 1}", weights=weights
    )


@given(st.data(), st.sampled_from(["carbon", "latency", "weighted"]))
def test_chain_dp_equals_milp(tmp_path_factory, data, objective):
    inst = data.draw(random_instance(tmp_path_factory, chain=True))
    res = ecoopt.solve(inst, objective, mip_rel_gap=0)
    dp = evaluate(inst, dp_chain(inst, objective), objective)
    if res.termination == "infeasible":  # too few layers to hop from source to sink
        assert not dp.feasible and "no link" in dp.violations[0]
        return
    assert res.optimal and dp.feasible
    milp = evaluate(inst, res.plan, objective)
    assert dp.objective == pytest.approx(milp.objective, rel=1e-7, abs=1e-12)
    assert res.objective == pytest.approx(milp.objective, rel=HIGHS_REL, abs=1e-12)


def brute_force(inst, objective: str) -> float | None:
    """Best evaluated objective over every layer → device assignment (None if none feasible)."""
    best = None
    for combo in itertools.product(inst.data.devices, repeat=len(inst.data.layers)):
        ev = evaluate(inst, Plan("brute", list(combo)), objective)
        if ev.feasible and (best is None or ev.objective < best):
            best = ev.objective
    return best


def check_milp_against_brute_force(inst, objective: str):
    """The MILP's plan is as good as the best enumerated one; no heuristic beats it."""
    best = brute_force(inst, objective)
    res = ecoopt.solve(inst, objective, mip_rel_gap=0)
    if best is None:
        assert res.termination == "infeasible" and res.explanation
        return res
    assert res.optimal
    milp = evaluate(inst, res.plan, objective)
    assert milp.feasible and milp.objective == pytest.approx(best, rel=1e-7, abs=1e-12)
    assert res.objective == pytest.approx(milp.objective, rel=HIGHS_REL, abs=1e-12)
    for name, fn in methods(inst).items():
        try:
            ev = evaluate(inst, fn(inst, objective=objective), objective)
        except NotApplicable:
            continue
        if ev.feasible:
            assert ev.objective >= res.objective * (1 - 1e-7) - 1e-12, name
    return res


@given(st.data(), st.sampled_from(["carbon", "latency", "period", "weighted"]))
def test_milp_equals_brute_force_on_tiny_dags(tmp_path_factory, data, objective):
    check_milp_against_brute_force(
        data.draw(random_instance(tmp_path_factory, chain=False)), objective
    )


@given(st.data(), st.sampled_from(["carbon", "weighted"]))
def test_milp_equals_brute_force_with_idle_power(tmp_path_factory, data, objective):
    """Idle carbon (idle_power_w × (latency − busy) on every device hosting a layer) is not
    additive; the MILP's used/wait rows model it exactly, as enumeration judged by the
    evaluator shows."""
    inst = data.draw(random_instance(tmp_path_factory, chain=False, idle=True))
    res = check_milp_against_brute_force(inst, objective)
    idle_j = res.metrics["idle_energy_j"] if res.metrics else 0.0
    event("optimum idles" if idle_j > 0 else "optimum does not idle")


def test_dp_not_applicable_to_branching_graphs():
    inst = ecoopt.load(
        Path(__file__).parents[1] / "instances/partition/carbonedge_mobilenet_v2.yaml"
    )
    assert not inst.graph.is_chain
    with pytest.raises(NotApplicable):
        HEURISTICS["dp_chain"](inst)
    assert "dp_chain" not in set(ecoopt.compare(inst).method)


def test_bad_partition_files(tmp_path):
    base = {
        "problem": "partition",
        "model": {"name": "resnet51"},
        "source": "a",
        "sink": "zz",
        "devices": [dev("a", 1e9, 10, 1e9, 100)],
    }
    with pytest.raises(ecoopt.InstanceError) as info:
        ecoopt.from_dict(base, source="x.yaml")
    msg = str(info.value)
    assert "sink: 'zz' is not a device (devices: a)" in msg
    base["sink"] = "a"
    with pytest.raises(ecoopt.InstanceError, match="model: unknown model 'resnet51'"):
        ecoopt.from_dict(base)
    bad_csv = tmp_path / "bad_layers.csv"
    bad_csv.write_text(
        HEADER
        + "0,x,placeholder,x,input,,1,1,10,0,0,0,0\n1,A,call_module,A,Linear,x,1,1,10,0,0,0,lots\n"
    )
    base["model"] = {"path": bad_csv.name}
    with pytest.raises(ecoopt.InstanceError, match="column flops: not a number"):
        ecoopt.from_dict(base, base_dir=tmp_path)


def test_pyomo_model_is_named_and_agrees(tmp_path):
    inst = instance(tmp_path, TWO, DEVS, LINK)
    from ecoopt.partition import build

    m = build(inst, "latency")
    names = {c.local_name for c in m.component_objects()}
    assert {"place", "flow", "assign", "flow_out", "flow_in", "memory_fit"} <= names
    via = ecoopt.solve(inst, "latency", interface="pyomo")
    assert via.objective == pytest.approx(1.2)


def test_cli_partition_errors_are_one_line(tmp_path):
    import subprocess
    import sys

    import yaml

    src = Path(__file__).parents[1] / "instances/partition/carbonedge_mobilenet_v2.yaml"
    data = yaml.safe_load(src.read_text())
    cases = {
        "unknown_model.yaml": ({"model": {"name": "mobilenet_v9"}}, 2, "model: unknown model"),
        "slo.yaml": ({"latency_slo_s": 0.01}, 1, "below the fastest possible latency"),
    }
    for name, (change, code, text) in cases.items():
        path = tmp_path / name
        path.write_text(yaml.safe_dump({**data, **change}))
        r = subprocess.run(
            [sys.executable, "-m", "ecoopt.cli", "solve", str(path)],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert r.returncode == code, r.stderr
        assert "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
        assert str(path) in r.stderr and text in r.stderr


def test_scaled_rows_read_back_in_seconds_and_grams(tmp_path):
    """Rows are scaled (fractions of memory and SLO, busy times in units of T_ref); a plan's
    start vector still satisfies them and the objective is in the evaluator's units."""
    from ecoopt.partition import formulate, plan_to_x

    inst = instance(tmp_path, TWO, DEVS, LINK, slo=3.0)
    plan = Plan("x", ["d1", "d0"])
    for objective in ("carbon", "latency", "period", "weighted"):
        lp = formulate(inst, objective)
        x = plan_to_x(inst, lp, plan)
        assert lp.objective_value(x) == pytest.approx(evaluate(inst, plan, objective).objective)
        starts, index, value, lo, hi = lp.row_arrays()
        ax = np.add.reduceat(value * x[index], starts[:-1]) if len(index) else np.zeros(0)
        assert np.all(ax <= hi + 1e-9) and np.all(ax >= lo - 1e-9), objective
    assert formulate(inst, "period").meta["period_scale_s"] == pytest.approx((0.5 + 0.5) / 2)
    res = ecoopt.solve(inst, "period", warm_start=plan, strict=True)
    assert res.objective == pytest.approx(1.0)


def test_idle_power_hand_solved(tmp_path):
    # Slow link (1e5 B/s): all on d1 takes 1 s compute + 1 s input + 1 s output; d1 idles 2 s.
    # Without idle power, all on d1 (10 J at 100 g/kWh) beats all on d0 (20 J at 100 g/kWh);
    # with d1 idling at 10 W it spends 10 + 20 J and all on d0 (no transfer, no wait) wins.
    slow = [{"a": "d0", "b": "d1", "bandwidth_bytes_per_s": 1e5}]
    for idle, plan, joules in ((0.0, ["d1", "d1"], 10.0), (10.0, ["d0", "d0"], 20.0)):
        devs = [dev("d0", 1e9, 10, 1e9, 100, idle=5.0), dev("d1", 2e9, 10, 1e9, 100, idle=idle)]
        layers = [("A", ["x"], 1e9, 1e6, 1e6), ("B", ["A"], 1e9, 1e5, 1e6)]
        inst = instance(tmp_path, layers, devs, slow)
        res = ecoopt.solve(inst, "carbon", mip_rel_gap=0, strict=True)
        assert res.plan.device == plan
        assert res.objective == pytest.approx(joules * 100 / 3.6e6, rel=1e-6)
        ev = evaluate(inst, Plan("x", ["d1", "d1"]), "carbon")
        assert ev.metrics["idle_energy_j"] == pytest.approx(2 * idle)
        assert ev.metrics["energy_j"] == pytest.approx(10 + 2 * idle)
        if idle:
            with pytest.raises(NotApplicable, match="idle power on d0, d1"):
                dp_chain(inst, "carbon")
            assert dp_chain(inst, "latency").device == [
                "d0",
                "d0",
            ]  # 2 s vs 3 s: latency is additive
