"""pipeline_stages_dp: the best contiguous-stage plan, against enumeration of every one."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracles import contiguous_stage_optimum
from partition_files import draw_layer, draw_link_spec
from test_partition_symmetry import build, device, link, mesh

import ecoopt
from ecoopt.errors import NotApplicable
from ecoopt.partition import SPEC as PARTITION
from ecoopt.partition import Plan, evaluate, stages
from ecoopt.partition.heuristics import HEURISTICS
from ecoopt.partition.instance import OBJECTIVES
from ecoopt.partition.stages import pipeline_stages_dp
from ecoopt.solve import reference


@st.composite
def chain_instance(draw, tmp_path_factory, dag: bool = False):
    """A chain (or, with ``dag``, a small DAG) of 1-6 layers on 1-4 devices, some alike or all
    distinct, memory that may bind, links that may be missing, source d0, sink d0 or the last
    device; no SLO and no idle power (the setting where the DP is exact)."""
    n = draw(st.integers(1, 6 if not dag else 5))
    layers = []
    for i in range(n):
        pool = ["x"] + [f"L{j}" for j in range(i)]
        inputs = (
            [pool[-1]]
            if not dag
            else sorted(set(draw(st.lists(st.sampled_from(pool[-3:]), min_size=1, max_size=2))))
        )
        layers.append(draw_layer(draw, f"L{i}", inputs))

    def spec():
        return {
            "flops_per_s": draw(st.floats(1e8, 1e10)),
            "active_power_w": draw(st.floats(1, 200)),
            "memory_bytes": draw(st.sampled_from([6e8, 1e9, 1e12])),
            "intensity_g_per_kwh": draw(st.floats(20, 800)),
        }

    def link_spec():
        return draw_link_spec(draw)

    D = draw(st.integers(1, 4))
    names = [f"d{j}" for j in range(D)]
    if draw(st.booleans()):  # alike devices on equal links
        alike, lk = spec(), link_spec()
        devices = [device(n, alike) for n in names]
        links = mesh(names, lk)
    else:
        devices = [device(n, spec()) for n in names]
        links = [
            link(a, b, link_spec())
            for a, b in itertools.combinations(names, 2)
            if draw(st.booleans()) or b == f"d{int(a[1:]) + 1}"
        ]
    weights = {"carbon_per_g": 1.0, "latency_per_s": draw(st.floats(0, 1e-3))}
    sink = draw(st.sampled_from(["d0", names[-1]]))
    path = tmp_path_factory.mktemp("stages")
    return build(path, layers, devices, links, sink=sink, weights=weights)


def stage_runs(inst, plan) -> list[str]:
    """The device of each maximal run of equal devices along the topological order."""
    return [d for d, _ in itertools.groupby(plan.device)]


@given(st.data(), st.sampled_from(list(OBJECTIVES)))
def test_dp_is_the_best_contiguous_stage_plan_on_chains(tmp_path_factory, data, objective):
    inst = data.draw(chain_instance(tmp_path_factory))
    best, _ = contiguous_stage_optimum(inst, objective)
    if best is None:  # no contiguous plan fits the memory and the links
        with pytest.raises(NotApplicable):
            pipeline_stages_dp(inst, objective)
        return
    plan = pipeline_stages_dp(inst, objective)
    runs = stage_runs(inst, plan)
    assert len(runs) == len(set(runs))  # each device one contiguous stage
    ev = evaluate(inst, plan, objective)
    assert ev.feasible and ev.objective == pytest.approx(best, rel=1e-9, abs=1e-15)


@given(st.data(), st.sampled_from(list(OBJECTIVES)))
def test_dp_on_dags_gives_a_contiguous_plan_the_evaluator_judges(tmp_path_factory, data, objective):
    """On a DAG the recursion prices a surrogate: its plan is contiguous, never better than
    the best contiguous plan, and feasible whenever its memory and links allow one."""
    inst = data.draw(chain_instance(tmp_path_factory, dag=True))
    best, _ = contiguous_stage_optimum(inst, objective)
    try:
        plan = pipeline_stages_dp(inst, objective)
    except NotApplicable:
        assert best is None
        return
    runs = stage_runs(inst, plan)
    assert len(runs) == len(set(runs))
    ev = evaluate(inst, plan, objective)
    if ev.feasible:
        assert best is not None and ev.objective >= best * (1 - 1e-9)


def test_transfers_sharing_a_link_are_summed(tmp_path):
    """Source = sink = d0 (0.45 s per layer) and d1 (0.1 s) on one 1 MB/s link; input 0.1 s,
    each layer's output 0.4 s. L0 on d0, L1 on d1 sends the cut and the output over the same
    link: 0.8 s, though each alone is 0.4 s < 0.45 s. The best is 0.5 s (all on d1: input +
    output; or L0 on d1, L1 on d0: input + cut)."""

    def spec(flops_per_s):
        return {
            "flops_per_s": flops_per_s,
            "active_power_w": 10.0,
            "memory_bytes": 1e12,
            "intensity_g_per_kwh": 100.0,
        }

    layers = [("L0", ["x"], 1e9, 4e5, 0.0), ("L1", ["L0"], 1e9, 4e5, 0.0)]
    devices = [device("d0", spec(1e9 / 0.45)), device("d1", spec(1e10))]
    inst = build(tmp_path, layers, devices, [link("d0", "d1", {"bandwidth_bytes_per_s": 1e6})])
    assert evaluate(inst, Plan("trap", ["d0", "d1"]), "period").objective == pytest.approx(0.8)
    plan = pipeline_stages_dp(inst, "period")
    assert evaluate(inst, plan, "period").objective == pytest.approx(0.5)


#: chains (flops, out bytes per layer), device FLOP/s, link bandwidths (pairs in order d0-d1,
#: d0-d2, …) and sink, where the recursion without one of its shared-link sums picks a worse
#: plan (found by searching with that sum removed); the input is 1e5 bytes from d0
SHARED_LINKS = {
    "one stage off the source = sink": (
        [(1e9, 1e5), (1e9, 4e5), (1e9, 1e6)],
        [2e9, 1e10, 2e9],
        [2e6, 2e6, 1e6],
        "d0",
    ),
    "source runs stage 2 (source = sink)": (
        [(1e9, 1e4), (5e8, 4e5), (1e8, 1e5)],
        [1e10, 5e9, 1e10],
        [5e6, 1e6, 2e6],
        "d0",
    ),
    "source runs stage 2 (source ≠ sink)": (
        [(5e8, 1e4), (1e8, 1e4), (5e8, 1e4)],
        [5e9, 1e10, 1e10],
        [2e6, 5e6, 2e6],
        "d1",
    ),
    "sink runs stage 1 and source stage 4": (
        [(1e9, 1e5), (1e8, 1e5), (1e9, 1e4), (5e8, 1e4)],
        [5e9, 1e10, 1e9, 1e10],
        [1e6, 2e6, 2e6, 1e6, 2e6, 1e6],
        "d1",
    ),
}


@pytest.mark.parametrize("case", list(SHARED_LINKS))
def test_every_shared_link_is_summed(tmp_path, case):
    shape, speeds, bandwidths, sink = SHARED_LINKS[case]
    inputs = [["x"]] + [[f"L{i}"] for i in range(len(shape) - 1)]
    layers = [(f"L{i}", inputs[i], f, b, 0.0) for i, (f, b) in enumerate(shape)]
    names = [f"d{j}" for j in range(len(speeds))]
    spec = {"active_power_w": 1.0, "memory_bytes": 1e12, "intensity_g_per_kwh": 100.0}
    devices = [device(n, {**spec, "flops_per_s": s}) for n, s in zip(names, speeds)]
    pairs = itertools.combinations(names, 2)
    links = [link(a, b, {"bandwidth_bytes_per_s": w}) for (a, b), w in zip(pairs, bandwidths)]
    inst = build(tmp_path, layers, devices, links, sink=sink)
    best, _ = contiguous_stage_optimum(inst, "period")
    got = evaluate(inst, pipeline_stages_dp(inst, "period"), "period").objective
    assert got == pytest.approx(best, rel=1e-12)


def four_alike(tmp_path):
    spec = {"flops_per_s": 1e10, "active_power_w": 50.0, "memory_bytes": 1e12}
    names = ["d0", "d1", "d2", "d3"]
    devices = [device(n, {**spec, "intensity_g_per_kwh": 300.0}) for n in names]
    layers = [(f"L{i}", ["x"] if i == 0 else [f"L{i - 1}"], 1e9, 1e4, 0.0) for i in range(8)]
    return build(tmp_path, layers, devices, mesh(names, {"bandwidth_bytes_per_s": 1e9}))


def test_four_alike_devices_split_eight_equal_layers_evenly(tmp_path):
    """Eight 0.1 s layers on four alike devices over fast links: two per device, 0.2 s."""
    inst = four_alike(tmp_path)
    plan = pipeline_stages_dp(inst, "period")
    assert sorted(plan.device.count(d) for d in set(plan.device)) == [2, 2, 2, 2]
    assert evaluate(inst, plan, "period").objective == pytest.approx(0.2)
    assert "pipeline_stages_dp" in set(ecoopt.compare(inst, "period").method)


def test_refused_when_the_recursion_would_be_too_large(tmp_path, monkeypatch):
    monkeypatch.setattr(stages, "MAX_WORK", 1e3)
    with pytest.raises(NotApplicable, match="2 device types"):
        pipeline_stages_dp(four_alike(tmp_path), "period")


def test_the_reference_plan_is_the_best_default_heuristic(tmp_path):
    """solve's reference (objective scale and MILP start) is the better feasible plan of
    greedy_layer and pipeline_stages_moves (the DP's plan, then single-layer moves for the
    period); on a tie the earlier one."""
    inst = four_alike(tmp_path)
    greedy = evaluate(inst, HEURISTICS["greedy_layer"](inst, objective="period"), "period")
    plan, ev = reference(PARTITION, inst, "period")
    assert plan.method == "pipeline_stages_moves" and ev.objective == pytest.approx(0.2)
    assert greedy.objective == pytest.approx(0.8)  # every layer on the source
    plan, ev = reference(PARTITION, inst, "latency")  # both: every layer on the source
    assert plan.method == "greedy_layer" and ev.objective == pytest.approx(0.8)
