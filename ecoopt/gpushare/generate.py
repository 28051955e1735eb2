"""Seeded random gpushare instances with a size knob, for property tests and benchmarks."""

from __future__ import annotations

import numpy as np

from ..io import from_dict
from .instance import GpuShareInstance


def generate(
    n_agents: int,
    n_gpus: int = 1,
    *,
    seed: int = 0,
    share_units: int = 100,
    pooled: bool = False,
    load: float = 0.8,
    min_share_total: float = 0.4,
    slo_fraction: float = 0.3,
    memory_gb: float = 80.0,
    objective: str = "latency",
    trace_steps: int | None = None,
) -> GpuShareInstance:
    """An instance with ``n_agents`` agents on ``n_gpus`` GPUs (one pool if ``pooled``).

    Offered load Σλ/μ is ``load`` × capacity; minimum shares sum to ``min_share_total`` ×
    capacity (on the unit grid); a ``slo_fraction`` of agents get a latency SLO that is
    attainable at 1.5 × their load share; agents' useful shares are capped (``max_share``) at a
    few times their load, as a scheduler would. Intensities, powers and prices vary per GPU.
    ``trace_steps`` adds a bursty per-step arrival trace (mean = the static rate).
    """
    rng = np.random.default_rng(seed)
    cap = float(n_gpus)
    U = share_units
    mu = np.exp(rng.uniform(np.log(20), np.log(200), n_agents))
    mix = rng.dirichlet(np.full(n_agents, 2.0))
    load_share = np.minimum(load * cap * mix, 0.9)  # λ/μ, at most 0.9 of one GPU
    lam = load_share * mu
    min_share = np.floor(min_share_total * cap * rng.dirichlet(np.full(n_agents, 2.0)) * U) / U
    min_share = np.minimum(min_share, np.floor(load_share * U) / U)
    max_share = np.minimum(1.0, np.ceil((3 * load_share + 2 / U) * U) / U)
    priority = rng.integers(1, 4, n_agents)
    has_slo = rng.random(n_agents) < slo_fraction
    slo_share = 1.5 * load_share + 1.0 / U
    slo = 1.0 / (mu * slo_share - lam)
    # keep the instance feasible on total capacity: drop the largest SLO demands until the
    # guaranteed shares fit in 90 % of it (bin packing may still bind across several GPUs)
    for i in np.argsort(-slo_share):
        if np.maximum(min_share, np.where(has_slo, slo_share, 0)).sum() <= 0.9 * cap:
            break
        has_slo[i] = False
    mem = rng.uniform(0.5, 8.0, n_agents) * 1e9
    gpus = []
    for g in range(1 if pooled else n_gpus):
        gpus.append(
            {
                "name": f"gpu{g}",
                "count": n_gpus if pooled else 1,
                "pooled": pooled,
                "share_units": U,
                "memory_bytes": memory_gb * 1e9,
                "idle_power_w": float(rng.uniform(40, 80)),
                "active_power_w": float(rng.uniform(250, 400)),
                "price_usd_per_h": round(float(rng.uniform(1.0, 3.0)), 2),
                "intensity_g_per_kwh": round(float(rng.uniform(50, 600)), 1),
            }
        )
    agents = []
    for i in range(n_agents):
        a: dict = {
            "name": f"agent{i}",
            "throughput_rps": round(float(mu[i]), 3),
            "min_share": float(min_share[i]),
            "max_share": float(max_share[i]),
            "priority": int(priority[i]),
            "arrival_rps": round(float(lam[i]), 3),
            "memory_bytes": round(float(mem[i]), -6),
        }
        if has_slo[i]:
            a["latency_slo_s"] = round(float(slo[i]), 4)
        if trace_steps:
            burst = rng.gamma(4.0, 0.25, trace_steps)  # mean 1, coefficient of variation 0.5
            a["arrival_trace_rps"] = [round(float(v), 3) for v in lam[i] * burst]
            del a["arrival_rps"]
        agents.append(a)
    data = {
        "problem": "gpushare",
        "name": f"generated_{n_agents}x{n_gpus}{'_pooled' if pooled else ''}_s{seed}",
        "objective": objective,
        "gpus": gpus,
        "agents": agents,
    }
    return from_dict(data, source=f"generate(seed={seed})")  # type: ignore[return-value]
