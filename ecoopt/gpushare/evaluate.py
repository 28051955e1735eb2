"""The gpushare plan and its independent evaluator.

The evaluator never looks at solver variables or model coefficients: it recomputes every metric
from the instance and the plan (who sits on which GPU with which share) and checks every
constraint itself, so MILP plans and heuristic plans are judged by the same code.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..schema import Evaluation as BaseEvaluation
from ..tolerance import REL, fits_memory, on_grid, within
from .instance import OBJECTIVES, GpuShareInstance
from .packing import powered_gpus
from .physics import latency_s, served_rps, slot_rates, unit_bounds


@dataclass
class Plan:
    """One decision: per agent (file order) the slot it runs on and its share of one GPU.

    ``host`` says which GPU of its slot holds each agent's model (0 … S−1 in a pool of S GPUs;
    ``None``: GPU 0 for everyone, the only choice outside pools; see ``packing``).
    ``time_slice`` marks whole-GPU round-robin plans, whose ``share`` is the time-average share.
    ``raw_share`` keeps an allocator's continuous output before quantisation to the GPU's units.
    """

    method: str
    slot: list[str]
    share: np.ndarray
    host: np.ndarray | None = None
    time_slice: bool = False
    raw_share: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": self.method,
            "slot": list(self.slot),
            "share": [round(float(s), 10) for s in self.share],
            "host": None if self.host is None else [int(h) for h in self.host],
            "time_slice": self.time_slice,
            "notes": list(self.notes),
        }
        if self.raw_share is not None:
            out["raw_share"] = [float(s) for s in self.raw_share]
        return out


@dataclass
class Evaluation(BaseEvaluation):
    """The common evaluation plus a per-agent table, built when first read (a solve evaluates
    two plans and reads neither table)."""

    per_agent_columns: dict[str, Any] = field(default_factory=dict, repr=False)

    @functools.cached_property
    def per_agent(self) -> pd.DataFrame:
        """One row per agent: its GPU, share, latency, served and arrival rate, stability."""
        return pd.DataFrame(self.per_agent_columns)


def evaluate(inst: GpuShareInstance, plan: Plan, objective: str | None = None) -> Evaluation:
    """Recompute metrics and check every constraint of ``plan`` on ``inst``.

    Checks (the rule of ``ecoopt.tolerance``): every agent on an existing GPU; share a whole
    number of that GPU's units, ≥ 1 unit, within [min_share, max_share]; per slot Σ units ≤
    its units; each model on one GPU of its slot, and per GPU Σ memory ≤ memory (exact bytes);
    latency ≤ SLO at utilisation ≤ ``overload_rho``. Metrics: priority-weighted mean latency
    (s), throughput (req/s), cost (USD/h), carbon (gCO2e/h, idle power of the powered GPUs
    only), GPU utilisation (busy fraction of the powered GPUs), unstable agents, GPUs powered.
    """
    objective = objective or inst.objective
    a = inst.arrays
    n = len(a.names)
    share = np.asarray(plan.share, dtype=float)
    host = np.zeros(n, dtype=np.int64) if plan.host is None else np.asarray(plan.host)
    if len(plan.slot) != n or share.shape != (n,) or host.shape != (n,):
        raise ValueError(f"plan has {len(plan.slot)} slots / {share.shape} shares for {n} agents")
    slot_by_name = {s.name: k for k, s in enumerate(inst.slots)}
    violations: list[str] = []
    unknown = [nm for nm in plan.slot if nm not in slot_by_name]
    if unknown:
        violations.append(f"unknown GPU(s): {', '.join(sorted(set(unknown)))}")
    slot_idx = np.array([slot_by_name.get(nm, 0) for nm in plan.slot], dtype=np.int64)
    k = _check_units(inst, share, slot_idx, violations)
    powered = _check_slots(inst, k, slot_idx, host, violations)
    rates = np.array([slot_rates(s) for s in inst.slots])
    mu = a.mu * rates[slot_idx, 3]
    lat = latency_s(share, a.lam, mu, inst.overload_rho, inst.overload_horizon_s)
    if plan.time_slice:
        lat = lat + _time_slice_wait(inst, slot_idx)
    slo_ok = within(lat, a.slo) & (a.lam <= inst.overload_rho * mu * share * (1 + REL))
    for i in np.flatnonzero(np.isfinite(a.slo) & ~slo_ok):
        violations.append(
            f"{a.names[i]}: latency {lat[i]:.4g} s (utilisation "
            f"{a.lam[i] / (mu[i] * share[i]):.3g}) misses SLO {a.slo[i]:.4g} s"
        )
    metrics, per_agent = _metrics(inst, plan, share, slot_idx, lat, powered, rates)
    key = {"latency": "latency_s", "throughput": "throughput_rps"}
    key.update(cost="cost_usd_per_h", carbon="carbon_g_per_h")
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    return Evaluation(metrics[key[objective]], not violations, violations, metrics, per_agent)


def _metrics(inst, plan, share, slot_idx, lat, powered, rates) -> tuple[dict, dict]:  # noqa: ANN001
    """Latency, throughput, cost, carbon (powered GPUs' idle), utilisation; per-agent columns."""
    a = inst.arrays
    mu = a.mu * rates[slot_idx, 3]
    served = served_rps(share, a.lam, mu)
    metrics = {
        "latency_s": float(np.sum(a.weights * lat)),
        "throughput_rps": float(served.sum()),
        "cost_usd_per_h": float(np.sum(rates[slot_idx, 2] * share)),
        "carbon_g_per_h": float(np.sum(rates[:, 0] * powered) + np.sum(rates[slot_idx, 1] * share)),
        "utilisation": float(np.sum(served / mu) / powered.sum()) if powered.any() else 0.0,
        "unstable_agents": int((~(a.lam < mu * share)).sum()),
        "gpus_used": int(powered.sum()),
    }
    per_agent = {
        "agent": a.names,
        "gpu": list(plan.slot),
        "share": share,
        "latency_s": lat,
        "served_rps": served,
        "arrival_rps": a.lam,
        "stable": a.lam < mu * share,
    }
    return metrics, per_agent


def _check_units(
    inst: GpuShareInstance, share: np.ndarray, slot_idx: np.ndarray, violations: list[str]
) -> np.ndarray:
    """Whole units per agent (rounded), noting off-grid shares and min/max share breaches."""
    a = inst.arrays
    units = np.array([s.units_per_gpu for s in inst.slots])[slot_idx]
    for i in np.flatnonzero(~on_grid(share, units)):
        violations.append(f"{a.names[i]}: share {share[i]:.6g} is not a multiple of 1/{units[i]}")
    k = np.round(share * units).astype(np.int64)
    k_lo, k_hi = unit_bounds(a.min_share, a.max_share, units)  # the MILP's own rounding rule
    for i in np.flatnonzero(k < k_lo):
        violations.append(
            f"{a.names[i]}: share {share[i]:.4g} below min_share {a.min_share[i]:.4g} (or one unit)"
        )
    for i in np.flatnonzero(k > k_hi):
        violations.append(
            f"{a.names[i]}: share {share[i]:.4g} above max_share {a.max_share[i]:.4g}"
        )
    return k


def _check_slots(
    inst: GpuShareInstance,
    k: np.ndarray,
    slot_idx: np.ndarray,
    host: np.ndarray,
    violations: list[str],
) -> np.ndarray:
    """Capacity (exact units) and memory per GPU (exact bytes); returns GPUs powered per slot."""
    a = inst.arrays
    G = len(inst.slots)
    powered = np.zeros(G, dtype=np.int64)
    order = np.argsort(slot_idx, kind="stable")
    bounds = np.searchsorted(slot_idx[order], np.arange(G + 1))
    for g in np.flatnonzero(np.diff(bounds)):
        s = inst.slots[g]
        on = order[bounds[g] : bounds[g + 1]]
        used = int(k[on].sum())
        if used > s.capacity_units:
            violations.append(
                f"GPU {s.name}: shares sum to {used / s.units_per_gpu:.4g} > capacity {s.scale}"
            )
        h = host[on]
        if np.any((h < 0) | (h >= s.scale)):
            violations.append(f"GPU {s.name}: host index outside 0…{s.scale - 1}")
            h = np.clip(h, 0, s.scale - 1)
        mem = np.bincount(h, weights=a.memory[on], minlength=s.scale)
        for j in np.flatnonzero(~fits_memory(mem, s.gpu.memory_bytes)):
            where = s.name if s.scale == 1 else f"{s.name} (GPU {j} of the pool)"
            violations.append(
                f"GPU {where}: models need {mem[j] / 1e9:.6g} GB > "
                f"{s.gpu.memory_bytes / 1e9:.6g} GB"
            )
        powered[g] = powered_gpus(used, s.units_per_gpu, h)
    return powered


def _time_slice_wait(inst: GpuShareInstance, slot_idx: np.ndarray) -> np.ndarray:
    """Mean wait for one's turn under whole-GPU rotation with a quantum of ``simulation.step_s``.

    With n agents on S GPUs, min(S, n) run at a time and a rotation has c = ⌈n / min(S, n)⌉
    turns; a request lands outside its agent's turn with probability (c−1)/c and then waits a
    uniform part of the (c−1)·q other turns: (c−1)/c · (c−1)·q/2 (0 when S ≥ n).
    """
    n_on = np.bincount(slot_idx, minlength=len(inst.slots))[slot_idx].astype(float)
    scale = np.array([s.scale for s in inst.slots], dtype=float)[slot_idx]
    cycle = np.ceil(n_on / np.minimum(scale, n_on))  # a pool of S GPUs runs S agents at a time
    q = inst.simulation.step_s
    return (cycle - 1) / cycle * (cycle - 1) * q / 2


def plan_to_named(inst: GpuShareInstance, plan: Plan) -> dict[str, Any]:
    """The plan keyed by agent name: ``{"agents": {name: {"gpu", "share", "host"}}, ...}``."""
    host = np.zeros(len(plan.slot), dtype=np.int64) if plan.host is None else plan.host
    agents = {
        a.name: {"gpu": s, "share": round(float(x), 10), "host": int(h)}
        for a, s, x, h in zip(inst.agents, plan.slot, plan.share, host)
    }
    return {
        "problem": "gpushare",
        "method": plan.method,
        "agents": agents,
        "time_slice": plan.time_slice,
        "notes": list(plan.notes),
    }


def plan_from_named(inst: GpuShareInstance, data: dict[str, Any]) -> Plan:
    """A :class:`Plan` from :func:`plan_to_named`'s form; every agent once, by name."""
    from ..plans import entries_by_name

    rows = entries_by_name(data, "agents", [a.name for a in inst.agents], ("gpu", "share"))
    slot = [str(r["gpu"]) for r in rows]
    share = np.array([float(r["share"]) for r in rows])
    host = np.array([int(r.get("host", 0)) for r in rows], dtype=np.int64)
    return Plan(
        method=str(data.get("method", "file")),
        slot=slot,
        share=share,
        host=host,
        time_slice=bool(data.get("time_slice", False)),
    )
