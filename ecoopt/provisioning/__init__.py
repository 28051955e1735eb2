"""provisioning: which servers to provision for LLM serving over a horizon, and where each
request class runs in each slot, so that operational plus embodied carbon (or energy, cost) is
least while every online demand and offline deadline is met (EcoServe's 4R, arXiv 2502.05043).

Parts: ``instance`` (validated input), ``arrays`` (index sets and per-horizon figures),
``model`` (the MILP), ``heuristics`` (EcoServe's design points and ``carbon_fill``),
``evaluate`` (plan and evaluator), ``generate`` (seeded instances), ``profiles`` and
``traces`` (execution profiles and request-trace shapes from the bundled data).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..errors import listing
from ..lp import LinearProgram
from ..plans import PlanError
from ..problems import ProblemSpec, register
from ..results import MILP
from ..solve import ElasticReport
from .evaluate import Plan, evaluate
from .heuristics import HEURISTICS
from .instance import OBJECTIVES, ProvisioningInstance
from .model import formulate
from .rounding import lp_round

LEVERS = ("reduce", "reuse", "rightsize", "recycle")


def plan_from_x(inst: ProvisioningInstance, lp: LinearProgram, x: np.ndarray) -> Plan:
    """The plan a MILP solution encodes: whole servers, and the loads (tiny negatives from the
    solver's tolerances clipped to 0)."""
    d, idx = inst.data, lp.meta["index"]
    n = np.round(lp.values(x, "servers")).astype(np.int64)
    k = np.round(lp.values(x, "kept")).astype(np.int64)
    gpu = np.zeros((d.C, d.S, d.T))
    gpu[idx["gc"], idx["gs"], idx["gt"]] = np.maximum(lp.values(x, "gpu_load"), 0.0)
    cpu = np.zeros((d.C, len(d.host_names), d.T))
    cpu[idx["cc"], idx["ch"], idx["ct"]] = np.maximum(lp.values(x, "cpu_load"), 0.0)
    servers = {d.opt_names[o]: int(v) for o, v in enumerate(n) if v > 0}
    kept = {d.own_names[j]: int(v) for j, v in enumerate(k) if v > 0}
    return Plan(MILP, servers, kept, gpu, cpu)


def plan_to_x(inst: ProvisioningInstance, lp: LinearProgram, plan: Plan) -> np.ndarray | None:
    """A full MILP start for ``plan`` (None when it uses a server option or a load cell the
    model does not have)."""
    d, idx = inst.data, lp.meta["index"]
    opt = {n: i for i, n in enumerate(d.opt_names)}
    own = {n: i for i, n in enumerate(d.own_names)}
    if any(n not in opt for n in plan.servers) or any(n not in own for n in plan.kept):
        return None
    parts: dict[str, np.ndarray] = {"servers": np.zeros(len(opt)), "kept": np.zeros(len(own))}
    for table, key, names in ((plan.servers, "servers", opt), (plan.kept, "kept", own)):
        for n, v in table.items():
            parts[key][names[n]] = v
    gpu, cpu = np.asarray(plan.gpu_load), np.asarray(plan.cpu_load)
    parts["gpu_load"] = gpu[idx["gc"], idx["gs"], idx["gt"]]
    parts["cpu_load"] = cpu[idx["cc"], idx["ch"], idx["ct"]]
    if not np.isclose(parts["gpu_load"].sum() + parts["cpu_load"].sum(), gpu.sum() + cpu.sum()):
        return None  # load where the model has no variable
    if "choose" in lp.vars:
        used = gpu.sum(axis=2) > 0  # (C, S)
        parts["choose"] = used[idx["wc"], idx["ws"]].astype(float)
    if "pick" in lp.vars:
        n_s = np.bincount(d.opt_sku, weights=parts["servers"], minlength=d.S)
        n_s += np.bincount(d.own_sku, weights=parts["kept"], minlength=d.S)
        parts["pick"] = (n_s > 0).astype(float)
    return np.concatenate([parts[name] for name in lp.vars])


def precheck(inst: ProvisioningInstance) -> list[str]:
    """Conflicts visible without a solve: an online class whose demand in some slot exceeds
    every server the catalogue allows; an offline class that all servers cannot finish."""
    d = inst.data
    owned = np.bincount(d.own_sku, weights=d.own_count * d.own_usable, minlength=d.S)
    most = (d.max_new + owned).astype(float)  # servers of each SKU at most
    out = []
    can = d.rate @ most  # (C,) requests/s with every server on the class
    for c in np.flatnonzero(d.cls_online):
        over = np.flatnonzero(d.demand_rps[c] > can[c] * (1 + 1e-9))
        if len(over):
            t = int(over[0])
            out.append(
                f"workload class {d.cls_names[c]} needs {d.demand_rps[c, t]:.4g} req/s in slot {t} "
                f"but all servers allowed serve at most {can[c]:.4g} (raise max_servers, or add "
                "hardware with a profile for it)."
            )
    best_cpu = np.zeros((d.C, d.S))  # each server's best host variant for the class
    np.maximum.at(best_cpu, (slice(None), d.host_sku), d.cpu_rate)
    for c in np.flatnonzero(~d.cls_online & (d.volume > 0)):
        at_most = (can[c] + best_cpu[c] @ most) * d.window[c].sum() * 3600.0 * d.slot_h
        if at_most < d.volume[c] * (1 - 1e-9):
            out.append(
                f"offline class {d.cls_names[c]} needs {d.volume[c]:.4g} requests by slot "
                f"{int(np.flatnonzero(d.window[c])[-1]) + 1} but all servers allowed serve at most "
                f"{at_most:.4g} in its window (move the deadline or raise max_servers)."
            )
    return out


def explain(inst: ProvisioningInstance, report: ElasticReport | None) -> str:
    """Plain words for a model HiGHS proves infeasible."""
    if report is None or not report.by_family:
        return (
            "infeasible: HiGHS proved it, but the elastic re-solve found no single family to relax."
        )
    words = {
        "online_demand": "online demand that cannot be served",
        "offline_volume": "offline volume that cannot be finished by its deadline",
        "gpu_capacity": "GPU capacity that would have to grow (servers)",
        "cpu_capacity": "host-CPU capacity that would have to grow (servers)",
        "fleet_limit": "fleet limits (max_servers) that would have to grow",
    }
    parts = [
        f"{words.get(fam, fam)} [{fam}: "
        + ", ".join(f"{lab}: {v:.4g}" for lab, v in rows[:8])
        + "]"
        for fam, rows in report.by_family.items()
    ]
    return "infeasible: " + "; ".join(parts) + "."


def plan_to_named(inst: ProvisioningInstance, plan: Plan) -> dict[str, Any]:
    """``{"problem", "method", "servers", "kept", "gpu_load": {class: {sku: [rate per slot]}},
    "cpu_load": {class: {host: [...]}}}``, zero rows left out."""
    d = inst.data
    gpu = {
        d.cls_names[c]: {
            d.sku_names[s]: plan.gpu_load[c, s].tolist()
            for s in range(d.S)
            if plan.gpu_load[c, s].any()
        }
        for c in range(d.C)
    }
    cpu = {
        d.cls_names[c]: {
            d.host_names[h]: plan.cpu_load[c, h].tolist()
            for h in range(len(d.host_names))
            if plan.cpu_load[c, h].any()
        }
        for c in range(d.C)
    }
    return {
        "problem": "provisioning",
        "method": plan.method,
        "servers": dict(plan.servers),
        "kept": dict(plan.kept),
        "gpu_load": {c: v for c, v in gpu.items() if v},
        "cpu_load": {c: v for c, v in cpu.items() if v},
    }


def plan_from_named(inst: ProvisioningInstance, data: dict[str, Any]) -> Plan:
    """The inverse of :func:`plan_to_named`; names checked, values judged by the evaluator."""
    d = inst.data
    gpu = _loads(data.get("gpu_load", {}), d.cls_names, d.sku_names, d.T, "gpu_load")
    cpu = _loads(data.get("cpu_load", {}), d.cls_names, d.host_names, d.T, "cpu_load")
    servers, kept = data.get("servers", {}), data.get("kept", {})
    if not isinstance(servers, dict) or not isinstance(kept, dict):
        raise PlanError("servers and kept: mappings of option name to a count")
    return Plan(str(data.get("method", "plan")), dict(servers), dict(kept), gpu, cpu)


def _loads(table: Any, classes: list[str], where: list[str], T: int, key: str) -> np.ndarray:
    out = np.zeros((len(classes), len(where), T))
    if not isinstance(table, dict):
        raise PlanError(f"{key}: a mapping of class to {{hardware: [rate per slot]}}")
    ci, wi = {n: i for i, n in enumerate(classes)}, {n: i for i, n in enumerate(where)}
    for c, row in table.items():
        if c not in ci or not isinstance(row, dict):
            raise PlanError(f"{key}: unknown class {c!r}; this instance has {listing(classes, 8)}")
        for w, rates in row.items():
            if w not in wi:
                raise PlanError(f"{key}.{c}: unknown {w!r}; this instance has {listing(where, 8)}")
            values = np.asarray(rates, dtype=float)
            if values.shape != (T,):
                raise PlanError(f"{key}.{c}.{w}: {T} rates (one per slot) expected")
            out[ci[c], wi[w]] = values
    return out


def plan_text(inst: ProvisioningInstance, plan: Plan) -> str:
    """Servers by option, then where each class's requests go, as ``ecoopt solve`` prints."""
    d = inst.data
    lines = ["servers:"]
    lines += [f"  {n}: {k} new" for n, k in sorted(plan.servers.items())]
    lines += [f"  {n}: {k} kept" for n, k in sorted(plan.kept.items())]
    lines.append("requests served, by class:")
    gpu = plan.gpu_load.sum(axis=2)  # (C, S) request-slots
    cpu = plan.cpu_load.sum(axis=2)  # (C, H)
    for c, name in enumerate(d.cls_names):
        total = gpu[c].sum() + cpu[c].sum()
        if total <= 0:
            continue
        parts = [
            f"{d.sku_names[s]} {100 * gpu[c, s] / total:.1f} %" for s in np.flatnonzero(gpu[c])
        ]
        parts += [
            f"CPUs of {d.host_names[h]} {100 * cpu[c, h] / total:.1f} %"
            for h in np.flatnonzero(cpu[c])
        ]
        lines.append(f"  {name}: " + ", ".join(parts))
    return "\n".join(lines)


def lever_methods(inst: ProvisioningInstance) -> dict[str, Any]:
    """Every heuristic, ``lp_round`` (LP relaxation rounded, with its bound), and one MILP row
    per lever that is on, solved with that lever off (``milp_no_reuse`` …): what each R saves
    against the full optimum."""
    out: dict[str, Any] = dict(HEURISTICS)
    out["lp_round"] = lp_round
    for lever in LEVERS:
        if getattr(inst.levers, lever):
            out[f"milp_no_{lever}"] = _without(lever)
    return out


def _without(lever: str) -> Any:
    def method(inst: ProvisioningInstance, objective: str | None = None) -> Plan:
        from ..solve import solve

        res = solve(inst.with_levers(**{lever: False}), objective=objective)
        if res.plan is None:
            raise RuntimeError(f"no plan with {lever} off: {res.termination}")
        plan = res.plan
        plan.method = f"milp_no_{lever}"
        return plan

    method.__doc__ = f"The MILP with the {lever} lever switched off."
    return method


SPEC = register(
    ProblemSpec(
        name="provisioning",
        instance_cls=ProvisioningInstance,
        objectives=OBJECTIVES,
        formulate=formulate,
        plan_from_x=plan_from_x,
        plan_to_x=plan_to_x,
        evaluate=evaluate,
        heuristics=HEURISTICS,
        precheck=precheck,
        explain=explain,
        default_heuristics=("carbon_fill", "carbon_greedy", "performance"),
        plan_to_dict=plan_to_named,
        plan_from_dict=plan_from_named,
        methods=lever_methods,
        plan_text=plan_text,
        reproduce="ecoopt.provisioning.reproduce",
        coefficient_fields={
            "online_demand": "workloads[*].rate_rps / rate_slots_rps and classes[*].share",
            "offline_volume": "workloads[*].volume_requests and horizon.slot_h",
            "gpu_capacity": "profiles[*].rate_rps",
            "cpu_capacity": "cpu_profiles[*].rate_rps_per_core and hosts[*].cpu_cores",
            "servers": "hardware[*] powers, prices, embodied figures and lifetimes; sites",
            "gpu_load": "profiles[*].energy_j_per_request and sites[*] intensities, PUE",
        },
    )
)

__all__ = ["HEURISTICS", "Plan", "ProvisioningInstance", "evaluate", "formulate", "lp_round"]
