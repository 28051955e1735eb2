"""The partition plan and its independent evaluator (any method's plan, same checks)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..carbon import operational_carbon_g
from ..schema import Evaluation
from ..tolerance import fits_memory, within
from .instance import PartitionInstance


@dataclass
class Plan:
    """Device of every layer, in the instance's topological layer order."""

    method: str
    device: list[str]
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {"method": self.method, "device": list(self.device), "notes": list(self.notes)}


def evaluate(inst: PartitionInstance, plan: Plan, objective: str | None = None) -> Evaluation:
    """Recompute latency, period, throughput, energy, carbon, inferences per gCO2 and memory.

    Checks: every layer on a known device; weights fit each device's memory (exact, in bytes);
    every tensor crossing devices has a link; latency within ``latency_slo_s`` (both by the one
    tolerance rule, :mod:`ecoopt.tolerance`). Execution is sequential
    (one inference at a time: compute of every layer plus every transfer); the pipeline period
    is the largest busy time of any device or link per inference. A device that hosts a layer
    draws ``idle_power_w`` while it waits within the inference (latency − its busy time):
    ``energy_j`` and ``carbon_g`` include that idle draw, ``idle_energy_j`` shows it alone.
    """
    objective = objective or inst.objective
    data = inst.data
    L, D = data.time_s.shape
    index = {n: j for j, n in enumerate(data.devices)}
    violations: list[str] = []
    if len(plan.device) != L:
        raise ValueError(f"plan places {len(plan.device)} layers, the graph has {L}")
    unknown = sorted({d for d in plan.device if d not in index})
    if unknown:
        violations.append(f"unknown device(s): {', '.join(unknown)}")
    a = np.array([index.get(d, 0) for d in plan.device])
    layer = np.arange(L)
    # node endpoints of every edge: input on the source, output on the sink
    where = np.concatenate([a, [data.source, data.sink]])  # index -1 -> source, L -> sink
    src = np.array([where[u] if u >= 0 else data.source for u, _ in data.edges])
    dst = np.array([where[v] if v < L else data.sink for _, v in data.edges])
    k = np.arange(len(data.edges))
    link_t = np.where(~data.linked[src, dst], np.inf, data.link_time[src, dst, k])
    compute = data.time_s[layer, a]
    latency = float(compute.sum() + link_t.sum())
    mem = np.bincount(a, weights=data.param_bytes, minlength=D)
    violations += _violations(inst, src, dst, mem, latency)
    idle_j = _idle_energy_j(data, a, compute, float(link_t.sum()))
    idle_g = float(np.sum(operational_carbon_g(idle_j, data.intensity, data.pue)))
    carbon = float(data.carbon_g[layer, a].sum() + data.link_carbon_g[src, dst, k].sum()) + idle_g
    energy = float(data.energy_j[layer, a].sum() + data.link_energy_j[src, dst, k].sum())
    period = _period_s(data, a, compute, src, dst)
    w = inst.weights
    metrics = {
        "latency_s": latency,
        "period_s": period,
        "throughput_per_s": 1.0 / period if period > 0 else float("inf"),
        "energy_j": energy + float(idle_j.sum()),
        "idle_energy_j": float(idle_j.sum()),
        "carbon_g": carbon,
        "inferences_per_g": 1.0 / carbon if carbon > 0 else float("inf"),
        "devices_used": int(len(np.unique(a))),
        "transfers": int(np.sum(src != dst)),
        "max_memory_frac": float(np.max(mem / data.memory_bytes)),
    }
    value = {
        "carbon": carbon,
        "latency": latency,
        "period": period,
        "weighted": w.carbon_per_g * carbon + w.latency_per_s * latency,
    }[objective]
    return Evaluation(value, not violations, violations, metrics)


def _violations(inst: PartitionInstance, src, dst, mem, latency: float) -> list[str]:  # noqa: ANN001
    """Missing links, memory (exact bytes) and the SLO (``tolerance.within``), in words."""
    data = inst.data
    out = [
        f"edge {j}: no link from {data.devices[src[j]]} to {data.devices[dst[j]]}"
        for j in np.flatnonzero(~data.linked[src, dst])
    ]
    out += [
        f"{data.devices[d]}: weights {mem[d] / 1e9:.4g} GB > memory "
        f"{data.memory_bytes[d] / 1e9:.4g} GB"
        for d in np.flatnonzero(~fits_memory(mem, data.memory_bytes))
    ]
    if inst.latency_slo_s is not None and not within(latency, inst.latency_slo_s):
        out.append(f"latency {latency:.6g} s above SLO {inst.latency_slo_s:.6g} s")
    return out


def _period_s(data, a, compute, src, dst) -> float:  # noqa: ANN001
    """Largest busy time (s) of any device (its compute) or link (bytes / bandwidth)."""
    busy = np.bincount(a, weights=compute, minlength=len(data.devices))
    link_id = data.link_index[src, dst]
    on = link_id >= 0
    link_busy = np.bincount(
        link_id[on],
        weights=data.edge_bytes[on] / data.bandwidth[src[on], dst[on]],
        minlength=max(1, int(data.link_index.max()) + 1),
    )
    return float(max(busy.max(), link_busy.max(initial=0.0)))


def _idle_energy_j(data, a: np.ndarray, compute: np.ndarray, transfer_s: float) -> np.ndarray:  # noqa: ANN001
    """(D,) idle energy (J) of every device hosting a layer: idle_power_w × its wait, the
    latency minus its own busy time = the other devices' compute + every transfer (summed as
    such, so a device alone with no transfer waits exactly 0 s). A missing link (inf s) makes
    the wait, and the idle energy of a device with idle power, infinite."""
    D = len(data.devices)
    hosts = np.bincount(a, minlength=D) > 0
    elsewhere = a[None, :] != np.arange(D)[:, None]  # (D, L)
    wait = np.where(elsewhere, compute[None, :], 0.0).sum(axis=1) + transfer_s
    with np.errstate(invalid="ignore"):  # 0 W × inf s is no idle energy
        return np.where(hosts & (data.idle_power_w > 0), data.idle_power_w * wait, 0.0)


def plan_to_named(inst: PartitionInstance, plan: Plan) -> dict[str, Any]:
    """The plan keyed by layer name: ``{"layers": {layer: device}, ...}``."""
    return {
        "problem": "partition",
        "method": plan.method,
        "layers": dict(zip(inst.data.layers, plan.device)),
        "notes": list(plan.notes),
    }


def plan_from_named(inst: PartitionInstance, data: dict[str, Any]) -> Plan:
    """A :class:`Plan` from :func:`plan_to_named`'s form; every layer once, by name."""
    from ..plans import entries_by_name

    devices = entries_by_name(data, "layers", inst.data.layers, ())
    return Plan(str(data.get("method", "file")), [str(d) for d in devices])
