"""partition period floor: the co-location closure, the packing and the star bounds never
exceed the period of any plan (brute force over random small instances) and lift the bound
where the relaxation cannot; the single-layer moves of improve_period never raise the period."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from oracles import partition_optimum
from partition_files import graph_instance

import ecoopt
from ecoopt.errors import NotApplicable
from ecoopt.partition import Plan, evaluate, formulate
from ecoopt.partition.cuts import (
    FLOOR_BACKOFF,
    colocation_closure,
    crossing_times_s,
    packing_floor_s,
    period_floor_s,
)
from ecoopt.partition.model import period_scale_s
from ecoopt.partition.stages import improve_period, pipeline_stages_dp, pipeline_stages_moves


def build(path, layers, devices, links, *, source="d0", sink="d0", input_bytes=1e5, slo=None):
    return graph_instance(
        path, layers, devices, links, source=source, sink=sink, input_bytes=input_bytes, slo=slo
    )


def device(name, fps=1e9, mem=1e12):
    return {
        "name": name,
        "flops_per_s": fps,
        "active_power_w": 10.0,
        "memory_bytes": mem,
        "intensity_g_per_kwh": 300.0,
    }


def link(a, b, bw=1e7):
    return {"a": a, "b": b, "bandwidth_bytes_per_s": bw, "latency_s": 0.0}


def mesh(names, bw=1e7):
    return [link(a, b, bw) for a, b in itertools.combinations(names, 2)]


@pytest.mark.parametrize(
    "p, n, floor",
    [
        ([5.0], 3, 5.0),  # one item: its time
        ([1.0, 1.0, 1.0, 1.0], 2, 2.0),  # mean 2, pair p_2 + p_3 = 2
        ([4.0, 3.0, 3.0], 2, 6.0),  # pigeonhole: two of three share, p_2 + p_3 = 6 > mean 5
        ([4.0, 3.0, 3.0, 1.0, 1.0], 2, 6.0),  # mean 6 = pair 3 + 3 > k = 2: 3 + 1 + 1
        ([3.0] * 5, 2, 9.0),  # k = 2: one device holds three of the five
    ],
)
def test_packing_floor_by_hand(p, n, floor):
    assert packing_floor_s(np.array(p), n) == pytest.approx(floor)


def test_a_tensor_too_big_to_cross_keeps_its_layers_together(tmp_path):
    """A (1 s) → B (1 s) with a 100 MB tensor: 10 s on any link, so any plan of period < 10 s
    keeps A and B on one device: the floor is 2 s, twice T_ref = 2 s / 2 devices."""
    layers = [("A", ["x"], 1e9, 1e8, 0.0), ("B", ["A"], 1e9, 1.0, 0.0)]
    inst = build(tmp_path, layers, [device("d0"), device("d1")], mesh(["d0", "d1"]), input_bytes=1)
    data = inst.data
    root, forced = colocation_closure(data, crossing_times_s(data), 1.9)
    assert root[0] == root[1] and forced == pytest.approx(10.0)
    assert period_floor_s(data) == pytest.approx(2.0)
    assert period_scale_s(data) == pytest.approx(1.0)
    best, _ = partition_optimum(inst, "period")
    assert best == pytest.approx(2.0)


def test_two_tensors_on_one_link_add_up(tmp_path):
    """A (1 s) feeds B (0.1 s) and C (1 s), 0.6 s each on the link; B feeds C a tensor of
    10 s. Below 10 s B and C stay together, so A apart from them puts both of A's tensors
    on one link, 1.2 s: below 1.2 s the bundle joins A too, though no tensor of A's is
    above 0.6 s. The best plan, A apart, has period 1.2 s (+ 0.1 µs of input or output)."""
    layers = [
        ("A", ["x"], 1e9, 6e6, 0.0),
        ("B", ["A"], 1e8, 1e8, 0.0),
        ("C", ["A", "B"], 1e9, 1.0, 0.0),
    ]
    inst = build(tmp_path, layers, [device("d0"), device("d1")], mesh(["d0", "d1"]), input_bytes=1)
    data = inst.data
    root, _ = colocation_closure(data, crossing_times_s(data), 1.1)
    assert root[0] == root[1] == root[2]
    root, _ = colocation_closure(data, crossing_times_s(data), 1.2)
    assert root[0] != root[1] == root[2]
    best, _ = partition_optimum(inst, "period")
    assert best == pytest.approx(1.2 + 1e-7, rel=1e-9)
    assert period_floor_s(data) == pytest.approx(1.2, rel=1e-12)


@pytest.mark.parametrize("tensor_bytes, best_s", [(6e6, 1.1), (5e6, 1.0)])
def test_a_group_with_more_heavy_neighbours_than_links_takes_one_in(tmp_path, tensor_bytes, best_s):
    """H (1 s) sends a tensor to each of N1, N2, N3 (0.1 s each) on 3 devices. At 0.6 s a
    tensor, two neighbours on one other device would put 1.2 s on one link, so below 1.2 s
    at most two are off H's device and the third runs beside H: period ≥ 1.1 s (the packing
    bounds alone say 1 s). At 0.5 s two may share a link (1 s, with H off the source) and
    the floor stays at 1 s."""
    layers = [("H", ["x"], 1e9, tensor_bytes, 0.0)]
    layers += [(f"N{i}", ["H"], 1e8, 1.0, 0.0) for i in (1, 2, 3)]
    names = ["d0", "d1", "d2"]
    inst = build(tmp_path, layers, [device(n) for n in names], mesh(names), input_bytes=1)
    data = inst.data
    root, _ = colocation_closure(data, crossing_times_s(data), 1.0)
    assert len(set(root[:4])) == 4  # no tensor and no bundle above 1 s: nothing joined
    assert packing_floor_s(data.time_s[:, 0], 3) == pytest.approx(1.0)
    best, _ = partition_optimum(inst, "period")
    assert best == pytest.approx(best_s, rel=1e-9)
    assert period_floor_s(data) == pytest.approx(min(best_s, 1.1), rel=1e-6)
    assert period_floor_s(data) <= best


@st.composite
def small_instance(draw, tmp_path_factory):
    """1-5 layers (chain or DAG), 2-4 devices (alike or not), a full or partial mesh, maybe a
    latency SLO; tensor sizes from a few values so that bundles tie and the floor meets the
    optimum exactly."""
    n = draw(st.integers(1, 5))
    layers = []
    for i in range(n):
        pool = ["x"] + [f"L{j}" for j in range(i)]
        inputs = sorted(set(draw(st.lists(st.sampled_from(pool[-3:]), min_size=1, max_size=2))))
        flops = draw(st.sampled_from([1e7, 1e8, 3e8, 1e9]))
        out_b = draw(st.sampled_from([1e3, 1e5, 3e5, 1e6, 1e7]))
        layers.append((f"L{i}", inputs, flops, out_b, draw(st.sampled_from([0.0, 4e8]))))
    k = draw(st.integers(2, 4 if n <= 4 else 3))
    alike = draw(st.booleans())
    names = [f"d{j}" for j in range(k)]
    devices = [
        device(
            nm,
            fps=1e9 if alike else draw(st.sampled_from([5e8, 1e9, 2e9])),
            mem=draw(st.sampled_from([5e8, 1e9, 1e12])),
        )
        for nm in names
    ]
    pairs = list(itertools.combinations(names, 2))
    keep = [p for p in pairs if p[0] == "d0" or draw(st.booleans())]  # d0 reaches everyone
    links = [link(a, b, 1e7 if alike else draw(st.sampled_from([3e6, 1e7]))) for a, b in keep]
    sink = draw(st.sampled_from(names[:2]))
    input_bytes = draw(st.sampled_from([1.0, 1e5, 1e6]))
    slo = draw(st.sampled_from([None, None, 0.5, 1.5]))
    path = tmp_path_factory.mktemp("floor")
    return build(path, layers, devices, links, sink=sink, input_bytes=input_bytes, slo=slo)


@settings(max_examples=120)
@given(st.data())
def test_floor_never_exceeds_the_best_period_of_brute_force(tmp_path_factory, data):
    inst = data.draw(small_instance(tmp_path_factory))
    best, _ = partition_optimum(inst, "period")
    floor = period_floor_s(inst.data)
    assert floor >= 0.0
    if best is not None:
        assert (1.0 - FLOOR_BACKOFF) * floor <= best


@given(st.data())
def test_the_milp_with_the_floor_keeps_the_optimum_of_brute_force(tmp_path_factory, data):
    inst = data.draw(small_instance(tmp_path_factory))
    best, _ = partition_optimum(inst, "period")
    res = ecoopt.solve(inst, "period", mip_rel_gap=0)
    if best is None:
        assert res.termination == "infeasible"
        return
    assert res.optimal
    ev = evaluate(inst, res.plan, "period")
    assert ev.feasible and ev.objective == pytest.approx(best, rel=1e-7, abs=1e-12)
    assert res.bound <= best * (1 + 1e-9)


def test_every_plan_starts_inside_the_floor(tmp_path):
    """The start vector of every plan (plan_to_x) respects the period column's new bound."""
    layers = [("A", ["x"], 1e9, 1e8, 0.0), ("B", ["A"], 3e8, 1e6, 0.0), ("C", ["B"], 1e9, 1.0, 0)]
    names = ["d0", "d1", "d2"]
    inst = build(tmp_path, layers, [device(n) for n in names], mesh(names), input_bytes=1)
    lp = formulate(inst, "period")
    block = lp.vars["period"]
    assert block.lower[0] > 1.0  # above T_ref
    from ecoopt.partition import plan_to_x

    for combo in itertools.product(names, repeat=3):
        x = plan_to_x(inst, lp, Plan("p", list(combo)))
        assert x is not None and x[block.cols[0]] >= block.lower[0]


@settings(max_examples=60)
@given(st.data())
def test_moves_keep_the_plan_feasible_and_never_raise_the_period(tmp_path_factory, data):
    """improve_period from the DP's plan (and from every layer on the source): feasible
    whenever its start is, the period never above the start's, never below brute force."""
    inst = data.draw(small_instance(tmp_path_factory))
    best, _ = partition_optimum(inst, "period")
    starts = [Plan("src", [inst.data.devices[inst.data.source]] * len(inst.data.layers))]
    try:
        starts.append(pipeline_stages_dp(inst, "period"))
    except NotApplicable:
        pass
    for start in starts:
        before = evaluate(inst, start, "period")
        after = evaluate(inst, improve_period(inst, start), "period")
        if before.feasible:
            assert after.feasible and after.objective <= before.objective
            assert after.objective >= best * (1 - 1e-12)


def test_moves_take_a_layer_off_the_busiest_device(tmp_path):
    """Three equal layers in a chain on two devices: all on d0 is 3 s; one move gives 2 s
    (tensors of 1 byte cost nothing), the best a single move reaches."""
    layers = [(f"L{i}", ["x"] if i == 0 else [f"L{i - 1}"], 1e9, 1.0, 0.0) for i in range(3)]
    inst = build(tmp_path, layers, [device("d0"), device("d1")], mesh(["d0", "d1"]), input_bytes=1)
    start = Plan("src", ["d0"] * 3)
    plan = improve_period(inst, start)
    assert evaluate(inst, plan, "period").objective == pytest.approx(2.0, rel=1e-6)
    assert sorted(plan.device) == ["d0", "d0", "d1"]


def test_pipeline_stages_moves_is_the_dp_for_other_objectives(tmp_path):
    layers = [(f"L{i}", ["x"] if i == 0 else [f"L{i - 1}"], 1e9, 1.0, 0.0) for i in range(3)]
    inst = build(tmp_path, layers, [device("d0"), device("d1")], mesh(["d0", "d1"]), input_bytes=1)
    dp = pipeline_stages_dp(inst, "latency")
    assert pipeline_stages_moves(inst, "latency").device == dp.device
    assert pipeline_stages_moves(inst, "period").method == "pipeline_stages_moves"


@pytest.mark.parametrize("slo, period", [(None, 1.0), (2.05, 2.0)])
def test_moves_keep_the_latency_slo(tmp_path, slo, period):
    """Two 1 s layers joined by a 0.1 s tensor: splitting them halves the period but makes the
    latency 2.1 s, above an SLO of 2.05 s, so with that SLO no move is taken."""
    layers = [("A", ["x"], 1e9, 1e6, 0.0), ("B", ["A"], 1e9, 1.0, 0.0)]
    devices = [device("d0"), device("d1")]
    inst = build(tmp_path, layers, devices, mesh(["d0", "d1"]), input_bytes=1, slo=slo)
    plan = improve_period(inst, Plan("src", ["d0", "d0"]))
    ev = evaluate(inst, plan, "period")
    assert ev.feasible and ev.objective == pytest.approx(period, rel=1e-6)
