"""Seeded random routing instances of any size, for property tests and benchmarks.

Nodes differ in speed, power and grid (a static intensity each); every node profiles every
request type at batch sizes 1, 2 and 4, a batch of b taking b^0.6 times the batch-1 time and
b^0.7 times its energy (so energy per request falls with the batch, as decoding's does).
Requests arrive as a Poisson stream at ``load`` times the rate the fastest node alone serves
at batch 1, and each type's SLO is ``slack`` times its slowest batch-4 service time, so
every stream is servable in time by batching (not only by the fastest node).
"""

from __future__ import annotations

import numpy as np

from ..io import from_dict
from .instance import RoutingInstance

BATCHES = (1, 2, 4)


def _nodes(rng: np.random.Generator, n: int) -> list[dict]:
    return [
        {
            "name": f"node{i}",
            "memory_bytes": float(rng.choice([4e9, 8e9, 16e9])),
            "concurrency": int(rng.integers(1, 3)),
            "idle_power_w": round(float(rng.uniform(0, 10)), 3),
            "intensity_g_per_kwh": round(float(rng.uniform(20, 700)), 3),
            "embodied_kg": round(float(rng.uniform(0, 200)), 3),
        }
        for i in range(n)
    ]


def _profiles(rng: np.random.Generator, nodes: list[dict], types: int) -> list[dict]:
    rows = []
    for nd in nodes:
        speed = rng.uniform(0.5, 2.0)
        for k in range(types):
            base_s = round(float(rng.uniform(0.05, 0.5) / speed), 4)
            base_j = round(float(base_s * rng.uniform(5, 60)), 4)
            for b in BATCHES:
                rows.append({
                    "node": nd["name"], "type": f"type{k}", "batch": b,
                    "service_time_s": round(base_s * b**0.6, 6),
                    "energy_j": round(base_j * b**0.7, 6),
                    "memory_bytes": float(nd["memory_bytes"]) * rng.uniform(0.05, 0.3) * b**0.5,
                })  # fmt: skip
    return rows


def generate(
    n_nodes: int = 3,
    n_requests: int = 20,
    seed: int = 0,
    *,
    n_types: int = 1,
    slot_s: float = 0.05,
    load: float = 0.6,
    slack: float = 4.0,
    objective: str = "carbon",
) -> RoutingInstance:
    """A random instance of ``n_nodes`` nodes, ``n_types`` request types and ``n_requests``
    Poisson arrivals (module docstring), validated like a file."""
    rng = np.random.default_rng(seed)
    nodes = _nodes(rng, n_nodes)
    profiles = _profiles(rng, nodes, n_types)
    fastest = min(p["service_time_s"] for p in profiles if p["batch"] == 1)
    gaps = rng.exponential(fastest / load, n_requests)
    arrival = np.round(np.cumsum(gaps) - gaps[0], 6)
    types = []
    for k in range(n_types):
        slow = max(p["service_time_s"] for p in profiles if p["type"] == f"type{k}")
        types.append({"name": f"type{k}", "slo_s": round(slack * slow, 6)})
    kinds = rng.integers(0, n_types, n_requests)
    return from_dict({
        "problem": "routing",
        "name": f"generated-{n_nodes}x{n_requests}-seed{seed}",
        "objective": objective,
        "weights": {"carbon_g": 1.0, "latency_s": 0.01},
        "slot_s": slot_s,
        "nodes": nodes,
        "types": types,
        "profiles": profiles,
        "requests": [{"arrival_s": float(a), "type": f"type{k}"} for a, k in zip(arrival, kinds)],
        "seed": seed,
    })  # fmt: skip
