"""The provisioning plan and its independent evaluator.

The evaluator never reads solver variables or model coefficients: from the instance and the
plan (servers bought and kept, and the request rates each SKU's GPUs and each host's CPUs
serve in each slot) it recomputes energy, carbon and cost slot by slot and checks every
constraint itself, so the MILP's plan, the design points and the heuristics are judged by the
same code. Flows are checked by the tolerance rule's FLOW (``ecoopt.tolerance``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..errors import listing
from ..schema import Evaluation
from ..tolerance import flow_equal, flow_within
from .arrays import ProvisioningData, servers_per_rps
from .instance import OBJECTIVES, ProvisioningInstance


@dataclass
class Plan:
    """One decision. ``servers``: new servers by option name (``"sku/host/4y"``); ``kept``:
    owned servers kept, by group name (``"sku/host/owned#0"``); ``gpu_load[c, s, t]`` and
    ``cpu_load[c, h, t]``: requests/s of class c on SKU s's GPUs or host variant h's CPUs in
    slot t (index sets of ``ecoopt.provisioning.arrays``)."""

    method: str
    servers: dict[str, int]
    kept: dict[str, int]
    gpu_load: np.ndarray
    cpu_load: np.ndarray
    notes: list[str] = field(default_factory=list)
    #: a lower bound on the optimum that the method proved (``lp_round``: its relaxation)
    bound: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "method": self.method,
            "servers": dict(self.servers),
            "kept": dict(self.kept),
            "gpu_load": self.gpu_load.tolist(),
            "cpu_load": self.cpu_load.tolist(),
            "notes": list(self.notes),
        }


def _counts(given: dict[str, int], names: list[str], what: str, bad: list[str]) -> np.ndarray:
    """``given`` as a vector over ``names``; unknown names and non-integers are violations."""
    index = {n: i for i, n in enumerate(names)}
    out = np.zeros(len(names), dtype=np.int64)
    unknown = [n for n in given if n not in index]
    if unknown:
        bad.append(f"{what}: {listing(unknown, 6)} not available in this instance (or its levers)")
    for n, v in given.items():
        if n in index:
            if float(v) != int(v) or v < 0:
                bad.append(f"{what} {n}: {v!r} is not a whole number ≥ 0")
            out[index[n]] = max(int(v), 0)
    return out


def _check_fleet(
    inst: ProvisioningInstance, new: np.ndarray, kept: np.ndarray, bad: list[str]
) -> None:
    d = inst.data
    per_sku = np.bincount(d.opt_sku, weights=new, minlength=d.S)
    for s in np.flatnonzero(per_sku > d.max_new):
        bad.append(
            f"{d.sku_names[s]}: {int(per_sku[s])} new servers above max_servers {d.max_new[s]}"
        )
    limit = np.where(d.own_usable, d.own_count, 0)
    for k in np.flatnonzero(kept > limit):
        why = "" if d.own_usable[k] else " (Recycle is off: owned servers are retired)"
        bad.append(f"{d.own_names[k]}: keeps {kept[k]} of {limit[k]} owned servers{why}")
    if not inst.levers.rightsize:
        used = (per_sku + np.bincount(d.own_sku, weights=kept, minlength=d.S)) > 0
        if used.sum() > 1:
            names = [d.sku_names[s] for s in np.flatnonzero(used)]
            bad.append(f"Rightsize is off but the fleet has {listing(names, 6)}")


def _check_where(d: ProvisioningData, gpu: np.ndarray, cpu: np.ndarray, bad: list[str]) -> None:
    """Loads only where a profile exists, inside the class's window, and never negative."""
    if min(gpu.min(initial=0.0), cpu.min(initial=0.0)) < 0:
        bad.append("negative load")
    stray = (gpu > 0) & ((d.rate[:, :, None] <= 0) | ~d.window[:, None, :])
    for c, s, t in zip(*np.nonzero(stray)) if stray.any() else ():
        bad.append(
            f"{d.cls_names[c]} on {d.sku_names[s]} in slot {t}: no profile or outside its window"
        )
        break
    cpu_ok = (d.cpu_rate > 0)[:, :, None] & d.window[:, None, :]
    cpu_ok &= (~d.cls_online & d.splittable)[:, None, None]
    cpu_stray = (cpu > 0) & ~cpu_ok
    for c, h, t in zip(*np.nonzero(cpu_stray)) if cpu_stray.any() else ():
        bad.append(f"{d.cls_names[c]} on the CPUs of {d.host_names[h]} in slot {t}: not allowed")
        break
    for c in np.flatnonzero(~d.splittable):
        skus = np.flatnonzero(gpu[c].sum(axis=1) > 0)
        if len(skus) > 1:
            bad.append(f"{d.cls_names[c]} is not splittable but runs on {len(skus)} SKUs")


def _check_served(d: ProvisioningData, gpu: np.ndarray, cpu: np.ndarray, bad: list[str]) -> None:
    """Online: Σ_s load = demand in every slot; offline: requests served ≥ volume."""
    served = gpu.sum(axis=1) + cpu.sum(axis=1)  # (C, T) requests/s
    miss = d.cls_online[:, None] & ~flow_equal(served, d.demand_rps)
    for c, t in zip(*np.nonzero(miss)):
        bad.append(
            f"{d.cls_names[c]} slot {t}: serves {served[c, t]:.6g} "
            f"of {d.demand_rps[c, t]:.6g} req/s"
        )
        if len(bad) > 20:
            return
    done = (served * d.window).sum(axis=1) * 3600.0 * d.slot_h
    for c in np.flatnonzero(~d.cls_online & ~flow_within(d.volume, done)):
        bad.append(f"{d.cls_names[c]}: {done[c]:.6g} of {d.volume[c]:.6g} requests by its deadline")


def _check_capacity(d: ProvisioningData, gpu, cpu, new, kept, bad: list[str]) -> None:  # noqa: ANN001
    """GPU load in servers ≤ servers of the SKU; CPU load ≤ servers of the host variant.
    (A load where no profile exists counts 0 here: ``_check_where`` rejects it.)"""
    gpu_servers = np.einsum("cst,cs->st", gpu, servers_per_rps(d.rate))  # (S, T)
    cpu_servers = np.einsum("cht,ch->ht", cpu, servers_per_rps(d.cpu_rate))  # (H, T)
    sku_n = np.bincount(d.opt_sku, weights=new, minlength=d.S)
    sku_n += np.bincount(d.own_sku, weights=kept, minlength=d.S)
    host_n = np.bincount(d.opt_host, weights=new, minlength=len(d.host_names))
    host_n += np.bincount(d.own_host, weights=kept, minlength=len(d.host_names))
    for s, t in zip(*np.nonzero(~flow_within(gpu_servers, sku_n[:, None]))):
        bad.append(
            f"{d.sku_names[s]} slot {t}: load needs {gpu_servers[s, t]:.6g} servers, "
            f"has {sku_n[s]:g}"
        )
        break
    for h, t in zip(*np.nonzero(~flow_within(cpu_servers, host_n[:, None]))):
        bad.append(
            f"CPUs of {d.host_names[h]} slot {t}: need {cpu_servers[h, t]:.6g} servers, "
            f"has {host_n[h]:g}"
        )
        break


def _metrics(inst: ProvisioningInstance, gpu, cpu, new, kept) -> dict[str, Any]:  # noqa: ANN001
    """Energy, carbon and cost recomputed slot by slot; fleet figures."""
    d = inst.data
    idle_w = np.bincount(d.opt_sku, weights=new * d.host_idle_w[d.opt_host], minlength=d.S)
    idle_w += np.bincount(d.own_sku, weights=kept * d.host_idle_w[d.own_host], minlength=d.S)
    active_j = np.einsum("cst,cs->st", gpu, d.energy_j)  # (S, T) J per s
    cpu_j = np.einsum("cht,c->ht", cpu, d.cpu_energy_j)  # (H, T)
    np.add.at(active_j, d.host_sku, cpu_j)  # each host variant's CPUs onto its SKU
    energy_kwh = (idle_w[:, None] + active_j) * 3600.0 * d.slot_h / 3.6e6 * d.pue[:, None]  # (S, T)
    operational_kg = float((energy_kwh * d.intensity).sum() / 1000.0)
    embodied_kg = float(new @ d.opt_embodied_kg + kept @ d.own_embodied_kg)
    cost = float(new @ d.opt_capex_usd + (energy_kwh * d.usd_per_kwh[:, None]).sum())
    cpu_total = float(cpu.sum())
    requests = (float(gpu.sum()) + cpu_total) * 3600.0 * d.slot_h
    gpus = np.array([s.gpus for s in inst.hardware])
    return {
        "carbon_kg": operational_kg + embodied_kg,
        "operational_kg": operational_kg,
        "embodied_kg": embodied_kg,
        "energy_kwh": float(energy_kwh.sum()),
        "cost_usd": cost,
        "servers_new": int(new.sum()),
        "servers_kept": int(kept.sum()),
        "gpus": int(new @ gpus[d.opt_sku] + kept @ gpus[d.own_sku]),
        "requests": requests,
        "carbon_g_per_request": (operational_kg + embodied_kg) * 1000.0 / requests
        if requests
        else 0.0,
        "cpu_share_of_offline": float(
            cpu_total / max(float(gpu.sum(axis=(1, 2)) @ ~d.cls_online) + cpu_total, 1e-300)
        ),
    }


def evaluate(inst: ProvisioningInstance, plan: Plan, objective: str | None = None) -> Evaluation:
    """Recompute every metric of ``plan`` on ``inst`` and check every constraint: whole numbers
    of servers within the fleet limits and the levers, loads only where a profile exists and
    inside each class's window, online demand met in every slot, offline volume served by its
    deadline, GPU and host-CPU capacity in every slot, unsplittable classes on one SKU."""
    objective = objective or inst.objective
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    d = inst.data
    gpu, cpu = np.asarray(plan.gpu_load, dtype=float), np.asarray(plan.cpu_load, dtype=float)
    if gpu.shape != (d.C, d.S, d.T) or cpu.shape != (d.C, len(d.host_names), d.T):
        raise ValueError(f"plan loads of shape {gpu.shape} / {cpu.shape} for this instance")
    bad: list[str] = []
    new = _counts(plan.servers, d.opt_names, "servers", bad)
    kept = _counts(plan.kept, d.own_names, "kept", bad)
    _check_fleet(inst, new, kept, bad)
    _check_where(d, gpu, cpu, bad)
    _check_served(d, gpu, cpu, bad)
    _check_capacity(d, gpu, cpu, new, kept, bad)
    m = _metrics(inst, gpu, cpu, new, kept)
    w = inst.weights
    m["weighted"] = (
        w.carbon_kg * m["carbon_kg"] + w.energy_kwh * m["energy_kwh"] + w.cost_usd * m["cost_usd"]
    )
    key = {
        "carbon": "carbon_kg",
        "energy": "energy_kwh",
        "cost": "cost_usd",
        "weighted": "weighted",
    }
    return Evaluation(m[key[objective]], not bad, bad, m)
