"""partition symmetry: interchangeable devices are found exactly, the device_order rows keep the
optimum (brute force, every objective) and admit exactly one plan per orbit."""

from __future__ import annotations

import dataclasses
import itertools
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from oracles import partition_optimum
from partition_files import draw_layer, draw_link_spec, graph_instance, write_graph

import ecoopt
from ecoopt.partition import Plan, evaluate, formulate, plan_to_x
from ecoopt.partition.instance import OBJECTIVES, PartitionData
from ecoopt.partition.symmetry import (
    _PER_DEVICE,
    _PER_LAYER,
    _PER_PAIR,
    canonical_devices,
    device_classes,
    interchangeable,
)


def build(path: Path, layers, devices, links, *, sink="d0", slo=None, weights=None):
    return graph_instance(path, layers, devices, links, sink=sink, slo=slo, weights=weights)


def device(name, spec):
    return {"name": name, **spec}


def link(a, b, spec):
    return {"a": a, "b": b, **spec}


def chain(n):
    inputs = [["x"]] + [[f"L{i}"] for i in range(n - 1)]
    return [(f"L{i}", inputs[i], 1e8 * (i + 1), 1e5, 1e8) for i in range(n)]


SPEC = {
    "flops_per_s": 1e10,
    "active_power_w": 50.0,
    "idle_power_w": 5.0,
    "memory_bytes": 1e9,
    "intensity_g_per_kwh": 300.0,
}
LINK = {"bandwidth_bytes_per_s": 1e8, "latency_s": 1e-3, "energy_j_per_byte": 1e-8}


def mesh(names, spec=LINK):
    return [link(a, b, spec) for a, b in itertools.combinations(names, 2)]


def four_equal(tmp_path, **changes):
    """d0 (source and sink) and d1, d2, d3 alike, on a full mesh of equal links; ``changes``
    maps a device name to fields that differ."""
    names = ["d0", "d1", "d2", "d3"]
    devices = [device(n, {**SPEC, **changes.get(n, {})}) for n in names]
    return build(tmp_path, chain(3), devices, mesh(names))


def test_equal_devices_form_one_class_without_the_pinned_one(tmp_path):
    inst = four_equal(tmp_path)
    assert [c.tolist() for c in device_classes(inst.data)] == [[1, 2, 3]]
    assert not interchangeable(inst.data, 0, 1)  # d0 holds the input and the output


@pytest.mark.parametrize(
    "field, value",
    [
        ("memory_bytes", 1e9 + 1),  # one byte
        ("intensity_g_per_kwh", 300.0000001),
        ("idle_power_w", 5.5),
        ("pue", 1.1),
        ("embodied_kg", 1.0),
        ("layer_times_s", {"L1": 0.5}),
    ],
)
def test_any_difference_that_enters_the_model_splits_a_class(tmp_path, field, value):
    inst = four_equal(tmp_path, d3={field: value})
    assert [c.tolist() for c in device_classes(inst.data)] == [[1, 2]]


def test_links_to_every_other_device_must_agree(tmp_path):
    names = ["d0", "d1", "d2", "d3"]
    devices = [device(n, SPEC) for n in names]
    far = mesh(names)
    far[2] = link("d0", "d3", {**LINK, "latency_s": 2e-3})  # d3 farther from the source
    assert [c.tolist() for c in device_classes(build(tmp_path, chain(3), devices, far).data)] == [
        [1, 2]
    ]
    fast = mesh(names)
    fast[-1] = link("d2", "d3", {**LINK, "bandwidth_bytes_per_s": 2e8})
    # d2 and d3 see d0, d1 alike and their own link both ways; d1's link to each differs
    classes = device_classes(build(tmp_path, chain(3), devices, fast).data)
    assert [c.tolist() for c in classes] == [[2, 3]]


def test_every_array_of_the_data_is_either_checked_or_device_free():
    """A new per-device field of PartitionData must be added to the interchangeability test."""
    device_free = {"layers", "devices", "param_bytes", "edges", "edge_bytes", "link_index"}
    device_free |= {"source", "sink"}  # fixed by the definition (pinned devices never swap)
    checked = set(_PER_LAYER) | set(_PER_DEVICE) | set(_PER_PAIR)
    fields = {f.name for f in dataclasses.fields(PartitionData)}
    assert fields == checked | device_free


@st.composite
def symmetric_instance(draw, tmp_path_factory):
    """Up to 5 layers (chain or DAG), a class of 2-3 alike devices beside the source d0, maybe
    one more device (the sink then, sometimes); memory that may bind, idle power, an SLO."""
    n = draw(st.integers(1, 5))
    layers = []
    for i in range(n):
        pool = ["x"] + [f"L{j}" for j in range(i)]
        inputs = sorted(set(draw(st.lists(st.sampled_from(pool[-2:]), min_size=1, max_size=2))))
        layers.append(draw_layer(draw, f"L{i}", inputs))

    def spec():
        power = draw(st.floats(1, 200))
        return {
            "flops_per_s": draw(st.floats(1e8, 1e10)),
            "active_power_w": power,
            "idle_power_w": power * draw(st.sampled_from([0.0, 0.3])),
            "memory_bytes": draw(st.sampled_from([6e8, 1e9, 1e12])),
            "intensity_g_per_kwh": draw(st.floats(20, 800)),
            "embodied_kg": draw(st.sampled_from([0.0, 50.0])),
        }

    def link_spec():
        return draw_link_spec(draw)

    k = draw(st.integers(2, 3))
    alike, extra = spec(), draw(st.booleans()) and k == 2
    devices = [device("d0", draw(st.sampled_from([alike, spec()])))]
    devices += [device(f"c{j}", alike) for j in range(k)]
    inner, to_source = link_spec(), link_spec()
    links = mesh([f"c{j}" for j in range(k)], inner)
    links += [link("d0", f"c{j}", to_source) for j in range(k)]
    sink = "d0"
    if extra:
        devices.append(device("e", spec()))
        to_extra = link_spec()
        links += [link("e", f"c{j}", to_extra) for j in range(k)] + [link("d0", "e", link_spec())]
        sink = draw(st.sampled_from(["d0", "e"]))
    slo = draw(st.sampled_from([None, draw(st.floats(0.05, 5))]))
    weights = {"carbon_per_g": 1.0, "latency_per_s": draw(st.floats(0, 1e-3))}
    path = tmp_path_factory.mktemp("sym")
    return build(path, layers, devices, links, sink=sink, slo=slo, weights=weights)


def row_violation(lp, x: np.ndarray, family: str) -> float:
    """Largest violation of one constraint family at x."""
    fam = lp.families[family]
    activity = np.bincount(fam.rows, weights=fam.vals * x[fam.cols], minlength=fam.size)
    return float(max(np.max(fam.lower - activity), np.max(activity - fam.upper)))


@given(st.data(), st.sampled_from(list(OBJECTIVES)))
def test_symmetry_rows_keep_the_optimum_of_brute_force(tmp_path_factory, data, objective):
    inst = data.draw(symmetric_instance(tmp_path_factory))
    assert device_classes(inst.data), "the generator must make a class"
    best, _ = partition_optimum(inst, objective)
    rows = ecoopt.solve(inst, objective, mip_rel_gap=0)
    plain = ecoopt.solve(inst, objective, mip_rel_gap=0, model_options={"break_symmetry": False})
    if best is None:
        assert rows.termination == plain.termination == "infeasible"
        return
    assert rows.optimal and plain.optimal
    for res in (rows, plain):
        assert set(res.plan.device) <= set(inst.data.devices)  # plans by device name
        ev = evaluate(inst, res.plan, objective)
        assert ev.feasible and ev.objective == pytest.approx(best, rel=1e-7, abs=1e-12)
    # the plan with the rows is its orbit's canonical representative
    index = {n: j for j, n in enumerate(inst.data.devices)}
    dev = np.array([index[d] for d in rows.plan.device])
    assert np.array_equal(canonical_devices(inst.data, dev, device_classes(inst.data)), dev)


@given(st.data(), st.sampled_from(list(OBJECTIVES)))
def test_rows_admit_exactly_the_canonical_plan_of_every_orbit(tmp_path_factory, data, objective):
    """Every plan: its point satisfies device_order iff the plan is canonical, and swapping
    two interchangeable devices changes no metric the evaluator reports."""
    inst = data.draw(symmetric_instance(tmp_path_factory))
    d = inst.data
    classes = device_classes(d)
    lp, free = formulate(inst, objective), formulate(inst, objective, break_symmetry=False)
    a, b = classes[0][:2]
    for combo in itertools.product(range(len(d.devices)), repeat=len(d.layers)):
        dev = np.array(combo)
        plan = Plan("p", [d.devices[j] for j in dev])
        x = plan_to_x(inst, free, plan)  # the plan as it is (no device_order rows there)
        if x is None:  # a layer on a device whose memory it exceeds alone
            continue
        canonical = np.array_equal(canonical_devices(d, dev, classes), dev)
        assert (row_violation(lp, x, "device_order") <= 1e-9) == canonical
        swapped = np.where(dev == a, b, np.where(dev == b, a, dev))
        ev = evaluate(inst, plan, objective)
        ev2 = evaluate(inst, Plan("q", [d.devices[j] for j in swapped]), objective)
        assert ev.feasible == ev2.feasible and len(ev.violations) == len(ev2.violations)
        assert {"objective": ev.objective, **ev.metrics} == pytest.approx(
            {"objective": ev2.objective, **ev2.metrics}, rel=1e-12, abs=0
        )


def test_unknown_model_option_is_refused_by_name(tmp_path):
    with pytest.raises(ValueError, match="'symmetry' not known to partition's model"):
        ecoopt.solve(four_equal(tmp_path), model_options={"symmetry": False})


def relaxation_bound(lp) -> float:
    """The LP relaxation's optimum (every integer column made continuous)."""
    from ecoopt.highs import solve_lp
    from ecoopt.results import SolverOptions

    for block in lp.vars.values():
        block.integer = False
    sol = solve_lp(lp, SolverOptions())
    assert sol.termination == "optimal"
    return float(sol.objective)


def test_transfer_busy_lifts_the_relaxation_and_keeps_the_optimum(tmp_path):
    """One layer too big for the source d0 goes to d1 or d2, so its 1 MB input crosses one
    link: 1 MB / 1 MB/s = 1 s. The relaxation splits the layer over d1 and d2 and ``link_busy``
    sees 0.5 s on each link; ``transfer_busy`` sees the whole second."""
    small = {**SPEC, "memory_bytes": 1e6}
    devices = [device("d0", small), device("d1", SPEC), device("d2", SPEC)]
    slow = {"bandwidth_bytes_per_s": 1e6}
    csv = write_graph(tmp_path / "g_layers.csv", [("A", ["x"], 1e6, 1.0, 1e8)], 1e6)
    inst = ecoopt.from_dict(
        {
            "problem": "partition",
            "model": {"path": csv.name, "fuse": False},
            "source": "d0",
            "sink": "d0",
            "devices": devices,
            "links": mesh(["d0", "d1", "d2"], slow),
        },
        base_dir=tmp_path,
    )
    # (without device_order: with it, A may only go to d1, which lifts the bound too)
    # (and without the period floor, which sees the crossing too: input and output bundled)
    free = {"break_symmetry": False, "period_floor": False}
    weak = relaxation_bound(formulate(inst, "period", transfer_busy=False, **free))
    strong = relaxation_bound(formulate(inst, "period", **free))
    assert weak == pytest.approx(0.5 + 0.5e-6, rel=1e-9)  # + half the 1-byte output
    assert strong == pytest.approx(1.0, rel=1e-9)
    floor_only = {"break_symmetry": False, "transfer_busy": False}
    assert relaxation_bound(formulate(inst, "period", **floor_only)) == pytest.approx(
        1.0 + 1e-6, rel=1e-9
    )
    res = ecoopt.solve(inst, "period", mip_rel_gap=0, strict=True)
    assert res.objective == pytest.approx(1.0 + 1e-6, rel=1e-9)  # 1 s in, 1 µs back
