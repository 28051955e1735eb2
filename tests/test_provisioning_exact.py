"""provisioning: hand-solved optima, an enumeration oracle, and the properties every method keeps
(every plan judged by the evaluator, the MILP never worse than a feasible method, lever rows
never better than the full MILP)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ecoopt
from ecoopt.provisioning import HEURISTICS, evaluate, lever_methods
from ecoopt.provisioning.generate import generate

HOURS_PER_YEAR = 8760.0


def sku(name, rate_site="grid", idle_w=0.0, embodied_kg=0.0, max_servers=5, years=1.0):  # noqa: ANN001, ANN201
    """A SKU without GPU boards: every figure is its host's, easy to price by hand."""
    return {
        "name": name,
        "site": rate_site,
        "gpu": "none",
        "gpus": 0,
        "gpu_idle_power_w": 0.0,
        "lifetimes_years": [years],
        "max_servers": max_servers,
        "hosts": [
            {
                "name": "h",
                "cpu_cores": 8,
                "dram_gb": 64,
                "ssd_gb": 0,
                "idle_power_w": idle_w,
                "embodied_kg": embodied_kg,
            }
        ],
    }


def instance(skus, workloads, profiles, ci, cpu_profiles=(), objective="carbon"):  # noqa: ANN001, ANN201
    return ecoopt.from_dict(
        {
            "problem": "provisioning",
            "objective": objective,
            "horizon": {"slots": len(ci), "slot_h": 1.0},
            "sites": [{"name": "grid", "intensity_slots_g_per_kwh": list(ci)}],
            "hardware": skus,
            "workloads": workloads,
            "profiles": profiles,
            "cpu_profiles": list(cpu_profiles),
        }
    )


def test_two_small_servers_beat_one_big_by_hand():
    # one hour at 500 g/kWh, 10 req/s. A: one server (10 req/s), 360 J/req, idle 1 kW, embodied
    # 1 kg per hour: 3.6 + 1 kWh → 2.3 kg + 1 kg = 3.3 kg. B: two servers of 5 req/s, 72 J/req,
    # idle 200 W, 0.5 kg/h each: (0.72 + 0.4) kWh → 0.56 kg + 1 kg = 1.56 kg.
    inst = instance(
        [sku("A", idle_w=1000, embodied_kg=HOURS_PER_YEAR), sku("B", idle_w=200, embodied_kg=4380)],
        [{"name": "chat", "kind": "online", "rate_rps": 10.0}],
        [
            {"workload": "chat", "hardware": "A", "rate_rps": 10, "energy_j_per_request": 360},
            {"workload": "chat", "hardware": "B", "rate_rps": 5, "energy_j_per_request": 72},
        ],
        [500.0],
    )
    res = ecoopt.solve(inst)
    assert res.optimal and res.objective == pytest.approx(1.56, rel=1e-9)
    assert res.plan.servers == {"B/h/1y": 2}
    ev = evaluate(inst, HEURISTICS["performance"](inst))
    assert ev.feasible and ev.objective == pytest.approx(3.3, rel=1e-9)  # the fastest SKU: A
    assert ecoopt.solve(inst, "energy").objective == pytest.approx(1.12, rel=1e-9)


def test_offline_work_waits_for_the_clean_slot_by_hand():
    # 36,000 requests due in 2 h, one server of 10 req/s (36,000 per hour), 100 J/req = 1 kWh;
    # idle 100 W for 2 h; embodied 4,380 kg over a year = 1 kg in 2 h. CI 500 then 100:
    # all in hour 2: 0.1 kg + idle 0.05 + 0.01 + 1 = 1.16 kg; spread evenly: 0.25 + 0.05 + 0.06 + 1.
    inst = instance(
        [sku("A", idle_w=100, embodied_kg=4380)],
        [{"name": "batch", "kind": "offline", "volume_requests": 36000.0}],
        [{"workload": "batch", "hardware": "A", "rate_rps": 10, "energy_j_per_request": 100}],
        [500.0, 100.0],
    )
    res = ecoopt.solve(inst)
    assert res.optimal and res.objective == pytest.approx(1.16, rel=1e-9)
    assert res.plan.gpu_load[0, 0].tolist() == pytest.approx([0.0, 10.0])
    assert evaluate(inst, HEURISTICS["performance"](inst)).objective == pytest.approx(1.36)
    assert evaluate(inst, HEURISTICS["carbon_fill"](inst)).objective == pytest.approx(1.16)


def test_reuse_puts_offline_work_on_idle_host_cpus_by_hand():
    # the online service needs the one server anyway; its 8 cores × 0.9 × 0.5 req/s = 3.6 req/s
    # of CPU serve the 3,600-request batch within its hour at 1,000 J/req (1 kWh, 0.1 kg at
    # 100 g/kWh) instead of a second server's 1 kg of embodied carbon.
    inst = instance(
        [sku("A", idle_w=0, embodied_kg=HOURS_PER_YEAR, max_servers=2)],
        [
            {"name": "chat", "kind": "online", "rate_rps": 10.0},
            {"name": "batch", "kind": "offline", "volume_requests": 3600.0},
        ],
        [
            {"workload": "chat", "hardware": "A", "rate_rps": 10, "energy_j_per_request": 0},
            {"workload": "batch", "hardware": "A", "rate_rps": 10, "energy_j_per_request": 0},
        ],
        [100.0],
        cpu_profiles=[
            {
                "workload": "batch",
                "rate_rps_per_core": 0.5,
                "energy_j_per_request": 1000,
                "dram_gb": 32,
            }
        ],
    )
    res = ecoopt.solve(inst)
    assert res.optimal and res.objective == pytest.approx(1.1, rel=1e-9)
    assert res.plan.cpu_load.sum() == pytest.approx(1.0)  # 1 req/s for the hour
    off = ecoopt.solve(inst.with_levers(reuse=False))
    assert off.objective == pytest.approx(2.0, rel=1e-9)  # a second server instead


def oracle(inst) -> float:  # noqa: ANN001
    """Enumerate every fleet of one-option SKUs; per slot, serve the demand cheapest first
    (one class: a fractional knapsack, optimal by the greedy). Carbon in kg."""
    T = inst.horizon.slots
    ci = np.asarray(inst.sites[0].intensity_slots_g_per_kwh)
    (w,) = inst.workloads
    lam = np.asarray(w.rate_slots_rps)
    prof = {p.hardware: p for p in inst.profiles}
    best = np.inf
    ranges = [range(s.max_servers + 1) for s in inst.hardware]
    for n in itertools.product(*ranges):
        fixed, caps, unit = 0.0, [], []
        for s, k in zip(inst.hardware, n):
            h = s.hosts[0]
            fixed += k * (h.idle_power_w * T / 1000 * ci.mean() / 1000 * T / T)
            fixed += k * h.embodied_kg * T / (s.lifetimes_years[0] * HOURS_PER_YEAR)
            p = prof.get(s.name)
            caps.append(k * p.rate_rps if p else 0.0)
            unit.append(p.energy_j_per_request if p else np.inf)
        total = fixed
        order = np.argsort(unit)
        for t in range(T):
            left = lam[t]
            for i in order:
                take = min(left, caps[i])
                total += take * 3600 * unit[i] / 3.6e6 * ci[t] / 1000 if take > 0 else 0.0
                left -= take
            if left > 1e-9 * max(lam[t], 1):
                total = np.inf
                break
        best = min(best, total)
    return best


@settings(max_examples=40, deadline=None)
@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(0, 10**6),
)
def test_milp_equals_enumeration_on_tiny_online_instances(n_skus, slots, seed):
    rng = np.random.default_rng(seed)
    skus = [
        sku(
            f"S{i}",
            idle_w=float(rng.uniform(0, 500)),
            embodied_kg=float(rng.uniform(0, 9e3)),
            max_servers=int(rng.integers(1, 4)),
        )
        for i in range(n_skus)
    ]
    profiles = [
        {
            "workload": "w",
            "hardware": f"S{i}",
            "rate_rps": float(rng.uniform(1, 10)),
            "energy_j_per_request": float(rng.uniform(0, 500)),
        }
        for i in range(n_skus)
    ]
    cap = sum(p["rate_rps"] * s["max_servers"] for p, s in zip(profiles, skus))
    lam = [float(x) for x in rng.uniform(0, cap, slots)]
    inst = instance(
        skus,
        [{"name": "w", "kind": "online", "rate_slots_rps": lam}],
        profiles,
        [float(x) for x in rng.uniform(0, 800, slots)],
    )
    want = oracle(inst)
    res = ecoopt.solve(inst, mip_rel_gap=1e-9)
    assert res.optimal
    assert res.objective == pytest.approx(want, rel=1e-6, abs=1e-9)
    assert evaluate(inst, res.plan).feasible


@settings(max_examples=25, deadline=None)
@given(
    st.integers(1, 3),
    st.integers(1, 3),
    st.integers(1, 6),
    st.integers(0, 10**6),
    st.sampled_from(["carbon", "energy", "cost"]),
)
def test_milp_is_never_worse_than_a_feasible_method(workloads, skus, slots, seed, objective):
    inst = generate(workloads, skus, slots, seed, objective=objective)
    res = ecoopt.solve(inst, mip_rel_gap=1e-9)
    if res.termination == "infeasible":
        return
    assert res.optimal
    assert evaluate(inst, res.plan, objective).feasible
    for name, method in HEURISTICS.items():
        ev = evaluate(inst, method(inst, objective=objective), objective)
        if ev.feasible:
            assert res.objective <= ev.objective * (1 + 1e-7) + 1e-9, name


@settings(max_examples=10, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 4), st.integers(0, 10**6))
def test_lever_rows_are_never_better_than_the_full_milp(workloads, skus, slots, seed):
    inst = generate(workloads, skus, slots, seed)
    res = ecoopt.solve(inst, mip_rel_gap=1e-9)
    if not res.optimal:
        return
    for name, method in lever_methods(inst).items():
        if not name.startswith("milp_no_"):
            continue
        try:
            plan = method(inst)
        except RuntimeError:
            continue  # infeasible with the lever off
        ev = evaluate(inst, plan)
        assert ev.feasible, (name, ev.violations[:3])
        assert ev.objective >= res.objective * (1 - 1e-7) - 1e-9, name


def test_a_longer_lifetime_of_the_same_host_dominates():
    from ecoopt.provisioning.model import dominated_options

    inst = generate(2, 3, 4, seed=5)
    d = inst.data
    dominated = dominated_options(d)
    for o, name in enumerate(d.opt_names):
        longer = [
            j
            for j in range(len(d.opt_names))
            if d.opt_host[j] == d.opt_host[o] and d.opt_years[j] > d.opt_years[o]
        ]
        if longer:
            assert dominated[o], name  # same host, more years: less embodied and capex per hour


@settings(max_examples=15, deadline=None)
@given(st.integers(1, 3), st.integers(1, 3), st.integers(1, 6), st.integers(0, 10**6))
def test_lp_round_is_feasible_and_its_bound_holds(workloads, skus, slots, seed):
    from ecoopt.provisioning import lp_round

    inst = generate(workloads, skus, slots, seed)
    res = ecoopt.solve(inst, mip_rel_gap=1e-9)
    if not res.optimal:
        return
    plan = lp_round(inst)
    ev = evaluate(inst, plan)
    assert ev.feasible, ev.violations[:3]
    assert ev.objective >= res.objective * (1 - 1e-7) - 1e-9
    assert plan.bound <= res.objective * (1 + 1e-7) + 1e-9  # the relaxation bounds the optimum
