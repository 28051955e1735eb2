"""Seeded random provisioning instances of any size, for property tests and benchmarks.

Each SKU gets a GPU board from ``ecoopt.carbon.GPU_BOARD_KG``, 1-8 boards, one to three host
variants (the first the fullest) and one or two lifetimes; each workload is online (a daily
rate curve with noise) or offline (a volume due by a random deadline), with one to three size
classes; every class gets a profile on a random subset of SKUs (at least one), faster SKUs
drawing more energy per request; offline classes may get a CPU profile. Sites have a daily
intensity curve. Demand is scaled so that the fleet limits can serve it.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..carbon import GPU_BOARD_KG
from .instance import ProvisioningInstance


def _sku(rng: np.random.Generator, i: int, sites: int, owned: bool) -> dict[str, Any]:
    boards = list(GPU_BOARD_KG)
    gpus = int(rng.choice([1, 2, 4, 8]))
    hosts = []
    dram, ssd = float(rng.choice([512, 1024, 2048])), float(rng.choice([2000, 8000, 22700]))
    for v in range(int(rng.integers(1, 4))):
        f = 0.5**v
        hosts.append(
            {
                "name": f"h{v}",
                "cpu_cores": int(rng.choice([32, 64, 112])),
                "dram_gb": dram * f,
                "ssd_gb": ssd * f,
                "idle_power_w": float(rng.uniform(150, 400)) * (0.8 + 0.2 * f),
            }
        )
    sku = {
        "name": f"sku{i}",
        "site": f"site{int(rng.integers(sites))}",
        "gpu": boards[int(rng.integers(len(boards)))],
        "gpus": gpus,
        "gpu_idle_power_w": float(rng.uniform(15, 90)),
        "price_usd": float(rng.uniform(5e3, 4e4)) * gpus,
        "lifetimes_years": [4.0] if rng.random() < 0.5 else [4.0, 6.0],
        "max_servers": int(rng.integers(2, 12)),
        "hosts": hosts,
    }
    if owned and rng.random() < 0.3:
        sku["owned"] = [{"host": "h0", "count": int(rng.integers(1, 4))}]
    return sku


def _workload(rng: np.random.Generator, j: int, slots: int) -> dict[str, Any]:
    n_cls = int(rng.integers(1, 4))
    share = rng.dirichlet(np.ones(n_cls))
    share = np.round(share / share.sum(), 6)
    share[-1] = round(1.0 - share[:-1].sum(), 6)
    classes = [{"name": f"c{k}", "share": float(share[k])} for k in range(n_cls)]
    if rng.random() < 0.6:
        t = np.arange(slots)
        curve = 1.0 + 0.5 * np.sin(2 * np.pi * t / 24.0) + rng.uniform(0, 0.2, slots)
        return {
            "name": f"w{j}",
            "kind": "online",
            "classes": classes,
            "rate_slots_rps": [round(float(x), 4) for x in curve],
        }
    release = int(rng.integers(0, max(1, slots // 2)))
    return {
        "name": f"w{j}",
        "kind": "offline",
        "classes": classes,
        "volume_requests": 1.0,
        "release_slot": release,
        "deadline_slot": int(rng.integers(release + 1, slots + 1)),
    }


def _profiles(rng: np.random.Generator, skus: list[dict], work: list[dict]) -> tuple[list, list]:
    """Every class gets a GPU profile on a random subset of SKUs (at least one), faster
    SKUs drawing more energy per request; offline classes may get a CPU profile."""
    profiles, cpu = [], []
    n_skus = len(skus)
    for w in work:
        for c in w["classes"]:
            on = rng.random(n_skus) < 0.6
            on[int(rng.integers(n_skus))] = True
            for i in np.flatnonzero(on):
                speed = skus[i]["gpus"] * rng.uniform(0.5, 2.0)
                energy = rng.uniform(50, 400) * (0.6 + 0.2 * speed / skus[i]["gpus"])
                profiles.append({"workload": w["name"], "class": c["name"],
                                 "hardware": f"sku{i}", "rate_rps": round(float(speed), 4),
                                 "energy_j_per_request": round(float(energy), 3)})  # fmt: skip
            if w["kind"] == "offline" and rng.random() < 0.5:
                cpu.append({"workload": w["name"], "class": c["name"],
                            "rate_rps_per_core": round(float(rng.uniform(0.002, 0.02)), 5),
                            "energy_j_per_request": round(float(rng.uniform(300, 1500)), 2),
                            "dram_gb": float(rng.choice([64, 300, 700]))})  # fmt: skip
    return profiles, cpu


def _sites(rng: np.random.Generator, sites: int, slots: int) -> list[dict]:
    """Sites with a daily intensity curve around a random mean, a PUE and a power price."""
    out = []
    for k in range(sites):
        base = float(rng.uniform(50, 600))
        t = np.arange(slots)
        ci = base * (1.0 + 0.4 * np.sin(2 * np.pi * (t + rng.uniform(0, 24)) / 24.0))
        out.append({"name": f"site{k}", "pue": round(float(rng.uniform(1.05, 1.5)), 3),
                    "electricity_usd_per_kwh": round(float(rng.uniform(0.05, 0.2)), 4),
                    "intensity_slots_g_per_kwh": [round(float(x), 3) for x in ci]})  # fmt: skip
    return out


def generate(
    n_workloads: int = 3,
    n_skus: int = 4,
    slots: int = 24,
    seed: int = 0,
    *,
    sites: int = 1,
    owned: bool = True,
    objective: str = "carbon",
) -> ProvisioningInstance:
    """A random instance with ``n_workloads`` workloads, ``n_skus`` SKUs and ``slots`` hourly
    slots; the same arguments give the same instance."""
    rng = np.random.default_rng(seed)
    skus = [_sku(rng, i, sites, owned) for i in range(n_skus)]
    work = [_workload(rng, j, slots) for j in range(n_workloads)]
    profiles, cpu = _profiles(rng, skus, work)
    _scale_demand(skus, work, profiles, slots, rng)
    site_list = _sites(rng, sites, slots)
    data = {
        "problem": "provisioning",
        "name": f"generated-{n_workloads}w-{n_skus}s-{slots}t-{seed}",
        "objective": objective,
        "horizon": {"slots": slots, "slot_h": 1.0},
        "sites": site_list,
        "hardware": skus,
        "workloads": work,
        "profiles": profiles,
        "cpu_profiles": cpu,
    }
    return ProvisioningInstance.model_validate(data)


def _scale_demand(skus, work, profiles, slots, rng) -> None:  # noqa: ANN001
    """Rates and volumes at 20-60 % of what the fleet limits could serve if each workload had
    its fastest SKU to itself (so instances are feasible but not trivial)."""
    fastest: dict[str, float] = {}
    for p in profiles:
        sku = skus[int(p["hardware"][3:])]
        cap = p["rate_rps"] * sku["max_servers"]
        fastest[p["workload"]] = min(fastest.get(p["workload"], np.inf), cap)
    share = 1.0 / max(len(work), 1)
    for w in work:
        target = fastest[w["name"]] * share * float(rng.uniform(0.2, 0.6))
        if w["kind"] == "online":
            peak = max(w["rate_slots_rps"])
            w["rate_slots_rps"] = [round(x / peak * target, 4) for x in w["rate_slots_rps"]]
        else:
            span = (w["deadline_slot"] - w["release_slot"]) * 3600.0
            w["volume_requests"] = round(target * span, 1)
