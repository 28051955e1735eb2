"""The gpushare plan and its independent evaluator.

The evaluator never looks at solver variables or model coefficients: it recomputes every metric
from the instance and the plan (who sits on which GPU with which share) and checks every
constraint itself, so MILP plans and heuristic plans are judged by the same code.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..schema import Evaluation as BaseEvaluation
from .instance import OBJECTIVES, GpuShareInstance
from .physics import latency_s, served_rps, slot_rates, unit_bounds

TOL = 1e-6  # capacity in GPUs


@dataclass
class Plan:
    """One decision: per agent (file order) the slot it runs on and its share of one GPU.

    ``time_slice`` marks whole-GPU round-robin plans, whose ``share`` is the time-average share.
    ``raw_share`` keeps an allocator's continuous output before quantisation to the GPU's units.
    """

    method: str
    slot: list[str]
    share: np.ndarray
    time_slice: bool = False
    raw_share: np.ndarray | None = None
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "method": self.method,
            "slot": list(self.slot),
            "share": [round(float(s), 10) for s in self.share],
            "time_slice": self.time_slice,
            "notes": list(self.notes),
        }
        if self.raw_share is not None:
            out["raw_share"] = [float(s) for s in self.raw_share]
        return out


@dataclass
class Evaluation(BaseEvaluation):
    """The common evaluation plus a per-agent table."""

    per_agent: pd.DataFrame = field(default_factory=pd.DataFrame)


def evaluate(inst: GpuShareInstance, plan: Plan, objective: str | None = None) -> Evaluation:
    """Recompute metrics and check every constraint of ``plan`` on ``inst``.

    Checks: every agent on an existing GPU; share a whole number of that GPU's units, ≥ 1 unit,
    within [min_share, max_share]; per GPU Σ shares ≤ capacity and Σ memory ≤ memory; latency
    ≤ SLO. Metrics: priority-weighted mean latency (s), throughput (req/s), cost (USD/h), carbon
    (gCO2e/h), GPU utilisation (busy fraction of the capacity in use), unstable agents.
    """
    objective = objective or inst.objective
    a = inst.arrays
    n = len(a.names)
    slot_by_name = {s.name: (k, s) for k, s in enumerate(inst.slots)}
    share = np.asarray(plan.share, dtype=float)
    violations: list[str] = []
    if len(plan.slot) != n or share.shape != (n,):
        raise ValueError(f"plan has {len(plan.slot)} slots / {share.shape} shares for {n} agents")

    unknown = [nm for nm in plan.slot if nm not in slot_by_name]
    if unknown:
        violations.append(f"unknown GPU(s): {', '.join(sorted(set(unknown)))}")
    slot_idx = np.array([slot_by_name.get(nm, (0, None))[0] for nm in plan.slot])
    rates = np.array([slot_rates(s) for s in inst.slots])
    units = np.array([s.units_per_gpu for s in inst.slots])[slot_idx]
    speed = rates[slot_idx, 3]
    mu = a.mu * speed

    k = share * units
    off_grid = np.abs(k - np.round(k)) > 1e-6
    for i in np.flatnonzero(off_grid):
        violations.append(f"{a.names[i]}: share {share[i]:.6g} is not a multiple of 1/{units[i]}")
    k = np.round(k).astype(np.int64)
    k_lo, k_hi = unit_bounds(a.min_share, a.max_share, units)  # the MILP's own rounding rule
    for i in np.flatnonzero(k < k_lo):
        violations.append(
            f"{a.names[i]}: share {share[i]:.4g} below min_share {a.min_share[i]:.4g} (or one unit)"
        )
    for i in np.flatnonzero(k > k_hi):
        violations.append(
            f"{a.names[i]}: share {share[i]:.4g} above max_share {a.max_share[i]:.4g}"
        )
    gpu_mem = np.array([s.gpu.memory_bytes for s in inst.slots])[slot_idx]
    for i in np.flatnonzero(a.memory > gpu_mem * (1 + 1e-9)):
        violations.append(
            f"{a.names[i]}: model needs {a.memory[i] / 1e9:.4g} GB > one GPU's "
            f"{gpu_mem[i] / 1e9:.4g} GB"
        )

    lat = latency_s(share, a.lam, mu, inst.overload_rho, inst.overload_horizon_s)
    if plan.time_slice:
        lat = lat + _time_slice_wait(inst, slot_idx)
    slo_ok = (lat <= a.slo * (1 + 1e-9)) & (a.lam <= inst.overload_rho * mu * share * (1 + 1e-12))
    for i in np.flatnonzero(np.isfinite(a.slo) & ~slo_ok):
        violations.append(
            f"{a.names[i]}: latency {lat[i]:.4g} s (utilisation "
            f"{a.lam[i] / (mu[i] * share[i]):.3g}) misses SLO {a.slo[i]:.4g} s"
        )

    G = len(inst.slots)
    load = np.bincount(slot_idx, weights=share, minlength=G)
    mem = np.bincount(slot_idx, weights=a.memory, minlength=G)
    hosted = np.bincount(slot_idx, minlength=G) > 0
    for g, s in enumerate(inst.slots):
        if load[g] > s.scale + TOL:
            violations.append(f"GPU {s.name}: shares sum to {load[g]:.4g} > capacity {s.scale}")
        if mem[g] > s.memory_bytes * (1 + 1e-9):
            violations.append(
                f"GPU {s.name}: agents need {mem[g] / 1e9:.4g} GB > {s.memory_bytes / 1e9:.4g} GB"
            )

    served = served_rps(share, a.lam, mu)
    stable = a.lam < mu * share
    cost = float(np.sum(rates[slot_idx, 2] * share))
    carbon = float(np.sum(rates[:, 0] * hosted) + np.sum(rates[slot_idx, 1] * share))
    w = a.weights
    cap_in_use = float(sum(s.scale for g, s in enumerate(inst.slots) if hosted[g]))
    metrics = {
        "latency_s": float(np.sum(w * lat)),
        "throughput_rps": float(served.sum()),
        "cost_usd_per_h": cost,
        "carbon_g_per_h": carbon,
        "utilisation": float(np.sum(served / mu) / cap_in_use) if cap_in_use else 0.0,
        "unstable_agents": int((~stable).sum()),
        "gpus_used": int(hosted.sum()),
    }
    objective_value = {
        "latency": metrics["latency_s"],
        "throughput": metrics["throughput_rps"],
        "cost": cost,
        "carbon": carbon,
    }[objective]
    per_agent = pd.DataFrame(
        {
            "agent": a.names,
            "gpu": list(plan.slot),
            "share": share,
            "latency_s": lat,
            "served_rps": served,
            "arrival_rps": a.lam,
            "stable": stable,
        }
    )
    assert objective in OBJECTIVES
    return Evaluation(objective_value, not violations, violations, metrics, per_agent)


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
