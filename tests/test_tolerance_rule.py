"""One tolerance rule: pre-check, model, heuristics and evaluator agree on every boundary."""

from __future__ import annotations

import numpy as np
import pytest

import ecoopt
from ecoopt.gpushare import HEURISTICS, Plan, evaluate
from ecoopt.gpushare.model import admissible
from ecoopt.gpushare.physics import latency_s
from ecoopt.problems import get_spec
from ecoopt.tolerance import agree, fits_memory, on_grid, within

GB80 = 80e9


def gpushare(memory_bytes, slo=None):
    agent = {"name": "a", "throughput_rps": 10, "arrival_rps": 2, "memory_bytes": memory_bytes}
    if slo is not None:
        agent["latency_slo_s"] = slo
    gpu = {
        "name": "g",
        "share_units": 10,
        "memory_bytes": GB80,
        "idle_power_w": 50,
        "active_power_w": 300,
        "intensity_g_per_kwh": 100,
    }
    return ecoopt.from_dict({"problem": "gpushare", "gpus": [gpu], "agents": [agent]})


def test_rule_itself():
    assert fits_memory(GB80, GB80) and not fits_memory(GB80 + 1, GB80)
    assert within(1.0 + 5e-10, 1.0) and not within(1.0 + 2e-9, 1.0) and within(5.0, np.inf)
    assert on_grid(0.333334, 3) and not on_grid(0.34, 3)
    assert agree(1.0, 1.0 + 5e-10) and not agree(1.0, 1.0 + 1e-8)


def test_a_model_8_bytes_over_one_gpu_is_infeasible_everywhere():
    inst = gpushare(GB80 + 8)
    assert get_spec("gpushare").precheck(inst)  # pre-check says infeasible
    assert ecoopt.solve(inst).termination == "infeasible"
    for name, h in HEURISTICS.items():
        assert not evaluate(inst, h(inst)).feasible, name
    df = ecoopt.compare(inst)
    assert not df.feasible.any()


def test_a_model_exactly_one_gpu_fits_everywhere():
    inst = gpushare(GB80)
    assert not get_spec("gpushare").precheck(inst)
    res = ecoopt.solve(inst, strict=True)
    assert res.metrics["feasible"]
    assert all(evaluate(inst, h(inst)).feasible for h in HEURISTICS.values())


@pytest.mark.parametrize("units", [4, 6, 9])
def test_an_slo_exactly_at_a_levels_latency_admits_that_level(units):
    share = units / 10
    slo = float(latency_s(share, 2.0, 10.0, 0.95))
    inst = gpushare(1e9, slo=slo)
    ok = admissible(inst, 0, np.arange(1, 11))[0]
    assert ok[units - 1] and not ok[units - 2]  # that level in, the one below out
    plan = Plan("by hand", ["g"], np.array([share]))
    assert evaluate(inst, plan).feasible
    below = Plan("by hand", ["g"], np.array([share - 0.1]))
    assert not evaluate(inst, below).feasible
