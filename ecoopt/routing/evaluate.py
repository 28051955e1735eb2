"""The routing plan and its independent evaluator.

The evaluator never reads solver variables: from the instance and the plan (the batches, each
on a node with a profile's batch size and a start time, and each request's batch) it recomputes
every request's latency, every batch's energy and carbon, and checks every constraint itself
(every request served once, batches of one type within their size, each request's batch
starting after it arrives, within its maximum wait and finishing within its SLO, node
concurrency and memory at every moment), so MILP plans and every policy's plans are judged by
the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..schema import Evaluation
from .arrays import TIME_EPS, RoutingData
from .instance import OBJECTIVES, RoutingInstance


@dataclass
class Plan:
    """``batch_of[i]``: the batch of request i (file order; −1: not served). Batch j runs on
    node ``batch_node[j]`` with the profile of batch size ``batch_size[j]`` (≥ the requests it
    holds) of its requests' type, from ``batch_start_s[j]``."""

    method: str
    batch_of: np.ndarray
    batch_node: np.ndarray
    batch_size: np.ndarray
    batch_start_s: np.ndarray
    notes: list[str] = field(default_factory=list)
    bound: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "batch_of": self.batch_of.tolist(),
            "batch_node": self.batch_node.tolist(),
            "batch_size": self.batch_size.tolist(),
            "batch_start_s": self.batch_start_s.tolist(),
            "notes": list(self.notes),
        }


def profile_rows(
    d: RoutingData, node: np.ndarray, rtype: np.ndarray, size: np.ndarray
) -> np.ndarray:
    """Profile row of each (node, type, batch size) (−1: none that fits the node)."""
    base = int(d.p_batch.max(initial=0)) + 1
    key = (d.p_node * d.K + d.p_type) * base + d.p_batch
    order = np.argsort(key)
    want = (node * d.K + rtype) * base + size
    at = np.clip(np.searchsorted(key[order], want), 0, len(key) - 1)
    hit = (size >= 1) & (size < base) & (key[order][at] == want)
    return np.where(hit, order[at], -1)


def _batches(d: RoutingData, plan: Plan, bad: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """Each batch's type and profile row (−1 where it has none), with its violations."""
    B = len(plan.batch_node)
    served = plan.batch_of >= 0
    if served.any() and plan.batch_of.max() >= B:
        bad.append(
            f"request {int(np.argmax(plan.batch_of >= B))} names a batch that does not exist"
        )
        return np.full(B, -1), np.full(B, -1)
    members = np.bincount(plan.batch_of[served], minlength=B)
    btype = np.full(B, -1)
    btype[plan.batch_of[served]] = d.rtype[served]
    mixed = np.zeros(len(served), dtype=bool)  # (a plan may have no batch at all)
    mixed[served] = btype[plan.batch_of[served]] != d.rtype[served]
    if mixed.any():
        bad.append(f"batch {int(plan.batch_of[np.argmax(mixed)])} mixes request types")
    row = profile_rows(d, plan.batch_node, np.maximum(btype, 0), plan.batch_size)
    used = members > 0
    for j in np.flatnonzero(used & (row < 0))[:1]:
        bad.append(
            f"batch {j}: no profile of {d.type_names[btype[j]]} at batch {plan.batch_size[j]} "
            f"on node {d.node_names[plan.batch_node[j]]} that fits its memory"
        )
    for j in np.flatnonzero(used & (members > plan.batch_size))[:1]:
        bad.append(
            f"batch {j} holds {members[j]} requests, more than its size {plan.batch_size[j]}"
        )
    return btype, np.where(used, row, -1)


def _requests(d: RoutingData, plan: Plan, row: np.ndarray, bad: list[str]) -> np.ndarray:
    """Each served request's latency (s; nan if unserved), with its violations."""
    served = plan.batch_of >= 0
    for i in np.flatnonzero(~served)[:1]:
        bad.append(
            f"request {i} ({d.type_names[d.rtype[i]]}, arrives {d.arrival_s[i]:.6g} s) is not "
            f"served ({int((~served).sum())} requests in all)"
        )
    start = np.full(d.R, np.nan)  # (a plan may have no batch at all)
    start[served] = plan.batch_start_s[plan.batch_of[served]]
    mine = np.full(d.R, -1)
    mine[served] = row[plan.batch_of[served]]
    latency = np.where(mine >= 0, start + d.p_service_s[np.maximum(mine, 0)] - d.arrival_s, np.nan)
    checks = (
        (start < d.arrival_s - TIME_EPS, "starts before it arrives"),
        (start > d.start_by_s + TIME_EPS, "waits longer than its type's max_wait_s"),
        (latency > d.slo_s[d.rtype] + TIME_EPS, "finishes after its SLO"),
    )
    for broken, why in checks:
        hit = np.flatnonzero(served & broken)
        if len(hit):
            i = hit[0]
            bad.append(
                f"request {i} ({d.type_names[d.rtype[i]]}, arrives {d.arrival_s[i]:.6g} s, "
                f"batch starts {start[i]:.6g} s) {why} ({len(hit)} requests in all)"
            )
    return latency


def _overlaps(d: RoutingData, plan: Plan, row: np.ndarray, bad: list[str]) -> None:
    """At every moment, per node: running batches ≤ its concurrency and their memory ≤ its
    memory (batches run over [start, start + service); one ending as another starts, within
    TIME_EPS relative, do not overlap)."""
    used = np.flatnonzero(row >= 0)
    for n in np.unique(plan.batch_node[used]):
        on = used[plan.batch_node[used] == n]
        start = plan.batch_start_s[on]
        end = start + d.p_service_s[row[on]]
        end = end - TIME_EPS * np.maximum(1.0, end)
        t = np.concatenate([start, end])
        order = np.lexsort((np.r_[np.ones(len(on)), -np.ones(len(on))], t))
        mem = d.p_memory_bytes[row[on]]
        running = np.cumsum(np.r_[np.ones(len(on)), -np.ones(len(on))][order])
        held = np.cumsum(np.r_[mem, -mem][order])
        for what, level, cap in (
            ("more batches than its concurrency", running, d.lanes[n]),
            ("batches beyond its memory_bytes", held, d.memory_bytes[n] * (1 + 1e-9)),
        ):
            over = np.flatnonzero(level > cap)
            if len(over):
                bad.append(f"node {d.node_names[n]} at {t[order][over[0]]:.6g} s runs {what}")


def _metrics(d: RoutingData, plan: Plan, row: np.ndarray, latency: np.ndarray) -> dict[str, Any]:
    used = np.flatnonzero(row >= 0)
    carbon = d.batch_carbon_g(row[used], plan.batch_start_s[used])
    served = np.isfinite(latency)
    lat = latency[served]
    idle_kwh = d.idle_w * d.horizon_s * d.pue / 3.6e6
    mean_i = d.hourly_g_per_kwh.mean(axis=1)  # (an approximation only where hours differ)
    q = np.percentile(lat, [50, 95, 99]) if len(lat) else np.full(3, np.nan)
    return {
        "carbon_g": float(carbon.sum()),
        "energy_j": float(d.p_energy_j[row[used]].sum()),
        "latency_s": float(lat.mean()) if len(lat) else float("nan"),
        "latency_p50_s": float(q[0]),
        "latency_p95_s": float(q[1]),
        "latency_p99_s": float(q[2]),
        "latency_max_s": float(lat.max()) if len(lat) else float("nan"),
        "slo_attainment": float((lat <= d.slo_s[d.rtype[served]] + TIME_EPS).mean())
        if len(lat)
        else 0.0,
        "served": int(served.sum()),
        "dropped": int(d.R - served.sum()),
        "batches": int(len(used)),
        "mean_batch": float(served.sum() / len(used)) if len(used) else 0.0,
        "throughput_rps": float(served.sum() / d.horizon_s),
        "carbon_g_per_request": float(carbon.sum() / served.sum()) if served.any() else 0.0,
        "idle_carbon_g": float((idle_kwh * mean_i).sum()),
    }


def evaluate(inst: RoutingInstance, plan: Plan, objective: str | None = None) -> Evaluation:
    """Recompute every metric of ``plan`` on ``inst`` and check every constraint (module
    docstring). The objective of ``weighted`` is Σ weight × (carbon_g, energy_j, latency_s)."""
    objective = objective or inst.objective
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    d = inst.data
    plan = _as_arrays(plan, d)
    bad: list[str] = []
    _, row = _batches(d, plan, bad)
    latency = _requests(d, plan, row, bad)
    _overlaps(d, plan, row, bad)
    m = _metrics(d, plan, row, latency)
    w = inst.weights
    m["weighted"] = (
        w.carbon_g * m["carbon_g"] + w.energy_j * m["energy_j"] + w.latency_s * m["latency_s"]
    )
    key = {
        "carbon": "carbon_g",
        "energy": "energy_j",
        "latency": "latency_s",
        "latency_max": "latency_max_s",
        "weighted": "weighted",
    }
    return Evaluation(m[key[objective]], not bad, bad, m)


def _as_arrays(plan: Plan, d: RoutingData) -> Plan:
    """The plan with integer and float arrays of the right lengths (a shape error is a
    ValueError naming the field)."""
    out = Plan(
        plan.method,
        np.asarray(plan.batch_of, dtype=np.int64).ravel(),
        np.asarray(plan.batch_node, dtype=np.int64).ravel(),
        np.asarray(plan.batch_size, dtype=np.int64).ravel(),
        np.asarray(plan.batch_start_s, dtype=float).ravel(),
        plan.notes,
        plan.bound,
    )
    if len(out.batch_of) != d.R:
        raise ValueError(f"plan batch_of has {len(out.batch_of)} entries for {d.R} requests")
    B = len(out.batch_node)
    if len(out.batch_size) != B or len(out.batch_start_s) != B:
        raise ValueError("plan batch_node, batch_size and batch_start_s differ in length")
    if B and (out.batch_node.min() < 0 or out.batch_node.max() >= d.N):
        raise ValueError("plan batch_node names a node index outside the instance")
    if not np.isfinite(out.batch_start_s).all():
        raise ValueError("plan batch_start_s holds a non-finite time")
    return out
