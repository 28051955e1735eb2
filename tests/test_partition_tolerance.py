"""partition boundary cases: the pre-check, the MILP, the heuristics and the evaluator decide
memory (exact, in bytes) and latency SLOs (``ecoopt.tolerance.within``) the same way."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from test_partition_exact import DEVS, LINK, TWO, dev, instance

import ecoopt
from ecoopt.partition import Plan, evaluate, formulate, precheck
from ecoopt.partition.heuristics import HEURISTICS

P = 1000.0  # weights of each layer, bytes: 1 byte is 1e-3 of a device, far above HiGHS's 1e-7
ONE = [("A", ["x"], 1e9, 1e3, P)]
PAIR = [("A", ["x"], 1e9, 1e3, P), ("B", ["A"], 1e9, 1e3, P)]


def _admissible(inst) -> set[tuple[str, str]]:
    return set(formulate(inst, "latency").vars["place"].labels)


@pytest.mark.parametrize("short", [0, 1])
def test_a_layer_exactly_as_large_as_the_device(tmp_path, short):
    """memory = weights: fits in the pre-check, the MILP and the evaluator; one byte short:
    fits in none of them."""
    inst = instance(tmp_path, ONE, [dev("d0", 1e9, 10, P - short, 100)], [])
    fits = short == 0
    assert (not precheck(inst)) == fits
    assert (("A", "d0") in _admissible(inst)) == fits
    assert evaluate(inst, Plan("x", ["d0"]), "latency").feasible == fits
    res = ecoopt.solve(inst, "latency")
    assert res.termination == ("optimal" if fits else "infeasible")
    if not fits:
        assert "layer(s) A (1e-06 GB) fit in no device" in res.explanation


@pytest.mark.parametrize("short", [0, 1])
def test_two_layers_filling_a_device_to_the_byte(tmp_path, short):
    """d0 (fast) holds 2P − short bytes: both layers fit there only when short = 0. The MILP's
    memory_fit row, best_split, greedy_layer and the evaluator agree on it."""
    devs = [dev("d0", 4e9, 10, 2 * P - short, 100), dev("d1", 1e9, 10, 1e12, 100)]
    links = [{"a": "d0", "b": "d1", "bandwidth_bytes_per_s": 1e9}]
    inst = instance(tmp_path, PAIR, devs, links)
    fits = short == 0
    assert not precheck(inst)
    assert evaluate(inst, Plan("x", ["d0", "d0"]), "latency").feasible == fits
    res = ecoopt.solve(inst, "latency", mip_rel_gap=0, strict=True)
    assert evaluate(inst, res.plan, "latency").feasible
    assert (res.plan.device == ["d0", "d0"]) == fits
    for name in ("best_split", "greedy_layer"):
        plan = HEURISTICS[name](inst, objective="latency")
        assert evaluate(inst, plan, "latency").feasible, name
        assert (plan.device == ["d0", "d0"]) == fits, name


def test_carbonedge_scoring_fills_a_device_to_the_byte(tmp_path):
    """CarbonEdge's filter admits a layer that fills the device exactly, not one byte more."""
    for short, expect in ((0, "d0"), (1, "d1")):
        # d0 is 1e4 x faster; d1's emptier memory (S_R) does not make up for that
        devs = [dev("d0", 1e12, 10, P - short, 100), dev("d1", 1e8, 10, 2 * P, 100)]
        links = [{"a": "d0", "b": "d1", "bandwidth_bytes_per_s": 1e9}]
        inst = instance(tmp_path, ONE, devs, links)
        plan = HEURISTICS["carbonedge_performance"](inst)
        assert plan.device == [expect]
        assert evaluate(inst, plan).feasible


def test_slo_exactly_at_a_plans_latency(tmp_path):
    """With the SLO set to the evaluated latency of all-on-d1 (the only plan that can meet it),
    that plan is feasible in the pre-check, the MILP, best_split and the evaluator; a hair
    (1e-6 relative) below, it is feasible nowhere."""
    base = instance(tmp_path, TWO, DEVS, LINK)
    target = evaluate(base, Plan("x", ["d1", "d1"]), "latency").metrics["latency_s"]
    inst = instance(tmp_path, TWO, DEVS, LINK, slo=target)
    assert not precheck(inst)
    ev = evaluate(inst, Plan("x", ["d1", "d1"]), "carbon")
    assert ev.feasible
    for objective in ("carbon", "latency", "weighted", "period"):
        res = ecoopt.solve(inst, objective, mip_rel_gap=0, strict=True)
        assert res.plan.device == ["d1", "d1"], objective
        assert evaluate(inst, res.plan, objective).feasible
    assert HEURISTICS["best_split"](inst).device == ["d1", "d1"]
    tight = instance(tmp_path, TWO, DEVS, LINK, slo=target * (1 - 1e-6))
    assert not precheck(tight)  # compute alone (1.0 s) is below the SLO
    assert not evaluate(tight, Plan("x", ["d1", "d1"])).feasible
    assert ecoopt.solve(tight).termination == "infeasible"


def test_slo_exactly_at_the_fastest_compute_passes_theprecheck(tmp_path):
    """The pre-check's 'fastest possible latency' (1.0 s here) meets an SLO equal to it."""
    assert not precheck(instance(tmp_path, TWO, DEVS, LINK, slo=1.0))
    assert precheck(instance(tmp_path, TWO, DEVS, LINK, slo=1.0 * (1 - 1e-6)))


def test_memory_conflict_is_explained_in_gb(tmp_path):
    """memory_fit rows are fractions of the device; the explanation reads GB again."""
    layers = [(n, [p], 1e9, 1e3, 0.8e9) for n, p in (("A", "x"), ("B", "A"), ("C", "B"))]
    devs = [dev("d0", 1e9, 10, 1.2e9, 100), dev("d1", 1e9, 10, 1.2e9, 100)]
    link = [{"a": "d0", "b": "d1", "bandwidth_bytes_per_s": 1e9}]
    inst = instance(tmp_path, layers, devs, link)  # 2.4 GB in 2.4 GB, but one layer per device
    assert not precheck(inst)
    res = ecoopt.solve(inst, "latency")
    assert res.termination == "infeasible"
    assert re.search(
        r"device memory \(GB\) would have to grow \[memory_fit: d[01]: \+0.4\]", res.explanation
    ), res.explanation


def test_unlinked_devices_are_explained_before_solving(tmp_path):
    """Without links only the source's device can host layers: the precheck says so."""
    layers = [("A", ["x"], 1e9, 1e3, 1e9), ("B", ["A"], 1e9, 1e3, 1e9)]
    devs = [dev("d0", 1e9, 10, 1.5e9, 100), dev("d1", 1e9, 10, 1.5e9, 100)]
    inst = instance(tmp_path, layers, devs, [])
    assert precheck(inst) == [
        "the model's weights (2 GB) exceed the memory of the devices reachable from the "
        "source together (1.5 GB)."
    ]


CASES = Path(__file__).parent / "cases"
TRUE_OPTIMUM_S = 0.5208347309804209  # exhaustive enumeration, /work/shared/cases/README.md


def test_memory_boundary_reproducer():
    """Reproducer: the MILP's plan must fit d0's memory to the byte and be the true optimum.

    "All on d0" overfills it by one byte (2.4e-9 of its memory, inside HiGHS's tolerance even on
    the scaled row): the check finds it and a cover cut (``ecoopt.cuts``) removes it."""
    inst = ecoopt.load(CASES / "partition_memory_boundary.yaml")
    res = ecoopt.solve(inst, "latency")
    ev = evaluate(inst, res.plan, "latency")
    assert ev.feasible, ev.violations
    assert res.objective == pytest.approx(TRUE_OPTIMUM_S, rel=1e-6)
    assert ev.objective == pytest.approx(TRUE_OPTIMUM_S, rel=1e-6)
    assert res.optimal and any("cover cut" in n for n in res.notes)
