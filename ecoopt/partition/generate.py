"""Seeded random partition instances: a bundled model on D random devices, fully linked."""

from __future__ import annotations

import numpy as np

from ..io import from_dict
from .instance import PartitionInstance


def generate(
    model: str,
    n_devices: int,
    *,
    seed: int = 0,
    fuse: bool = True,
    objective: str = "carbon",
    slo_factor: float | None = 1.5,
) -> PartitionInstance:
    """``model`` (a bundled layer graph) on ``n_devices`` devices with a full mesh of links.

    Devices span edge to datacenter: 2e10-5e12 effective FLOP/s, 5-300 W, 0.5-40 GB,
    50-700 gCO2/kWh; links 10 MB/s-1 GB/s, 0.1-20 ms, 10-200 nJ/byte. Input and output on
    device 0. With ``slo_factor`` the latency SLO is that multiple of the fastest monolithic
    latency (with its input and output transfers) that fits in memory, so the instance stays
    feasible.
    """
    rng = np.random.default_rng(seed)
    speed = np.exp(rng.uniform(np.log(2e10), np.log(5e12), n_devices))
    devices = [
        {
            "name": f"dev{j}",
            "flops_per_s": float(speed[j]),
            "active_power_w": float(np.clip(speed[j] / 2e10, 5, 300)),
            "memory_bytes": float(rng.uniform(0.5e9, 40e9)),
            "intensity_g_per_kwh": float(rng.uniform(50, 700)),
        }
        for j in range(n_devices)
    ]
    links = [
        {
            "a": f"dev{a}",
            "b": f"dev{b}",
            "bandwidth_bytes_per_s": float(np.exp(rng.uniform(np.log(1e7), np.log(1e9)))),
            "latency_s": float(rng.uniform(1e-4, 2e-2)),
            "energy_j_per_byte": float(rng.uniform(1e-8, 2e-7)),
        }
        for a in range(n_devices)
        for b in range(a + 1, n_devices)
    ]
    data = {
        "problem": "partition",
        "name": f"generated_{model}_{n_devices}dev_s{seed}",
        "objective": objective,
        "model": {"name": model, "fuse": fuse},
        "source": "dev0",
        "sink": "dev0",
        "devices": devices,
        "links": links,
    }
    inst = from_dict(data, source=f"generate({model!r}, {n_devices}, seed={seed})")
    if slo_factor is not None:
        from .evaluate import evaluate
        from .heuristics import monolithic

        evs = [evaluate(inst, monolithic(inst, d["name"]), "latency") for d in devices]
        mono = min((e.metrics["latency_s"] for e in evs if e.feasible), default=np.inf)
        data["latency_slo_s"] = float(slo_factor * mono) if np.isfinite(mono) else None
        inst = from_dict(data)
    return inst  # type: ignore[return-value]
