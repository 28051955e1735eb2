"""gpushare: share GPUs among LLM agents under capacity, minimum-share, memory and SLO constraints.

Parts: ``instance`` (validated input), ``model`` (the MILP), ``heuristics`` (the paper's O(N)
allocator, static equal, round robin, greedy marginal, our square-root water-filling),
``evaluate`` (plan + independent evaluator), ``generate`` (seeded instances), ``simulate``
(discrete-time fluid simulator over a workload trace).
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from ..lp import LinearProgram
from ..problems import ProblemSpec, register
from ..results import MILP
from ..solve import ElasticReport
from .cuts import memory_cuts
from .evaluate import Evaluation, Plan, evaluate, plan_from_named, plan_to_named
from .heuristics import HEURISTICS
from .instance import OBJECTIVES, GpuShareInstance
from .model import build, formulate, levels, min_units
from .packing import powered_gpus
from .physics import unit_bounds
from .simulate import simulate, simulate_policy, timeline


def plan_from_x(inst: GpuShareInstance, lp: LinearProgram, x: np.ndarray) -> Plan:
    """The plan a MILP solution encodes: slot, share and host GPU of every agent."""
    lv = lp.meta["levels"]
    z = lp.values(x, "assign") > 0.5
    n = len(inst.agents)
    where = np.zeros(n, dtype=np.int64)
    share = np.zeros(n)
    where[lv.agent[z]] = lv.slot[z]
    share[lv.agent[z]] = lv.share[z]
    pools = lp.meta["hosts"]
    host = np.zeros(n, dtype=np.int64)
    for g, fixed in pools["fixed"].items():
        on = where == g
        host[on] = fixed[on]
    if "host" in lp.vars:
        h = lp.values(x, "host") > 0.5
        host[pools["agent"][h]] = pools["gpu"][h]
    return Plan(method=MILP, slot=[inst.slots[g].name for g in where], share=share, host=host)


def plan_to_x(inst: GpuShareInstance, lp: LinearProgram, plan: Plan) -> np.ndarray | None:
    """A full MILP start vector for ``plan``, or None when the plan is not a MILP point."""
    lv = lp.meta["levels"]
    slot_of = {s.name: g for g, s in enumerate(inst.slots)}
    if any(nm not in slot_of for nm in plan.slot):
        return None
    where = np.array([slot_of[nm] for nm in plan.slot], dtype=np.int64)
    units = np.array([s.units_per_gpu for s in inst.slots])
    k = np.round(np.asarray(plan.share) * units[where]).astype(np.int64)
    n = len(inst.agents)
    span = int(units.max()) + 1  # units 0 … U of any slot: a key per (slot, agent, units)
    if np.any((k < 0) | (k >= span)):
        return None
    cols = _columns_of(
        (lv.slot * n + lv.agent) * span + lv.units, (where * n + np.arange(n)) * span + k
    )
    if cols is None:
        return None
    z = np.zeros(len(lv.agent))
    z[cols] = 1.0
    host = np.zeros(len(k), dtype=np.int64) if plan.host is None else np.asarray(plan.host)
    host = _canonical_hosts(inst, where, host)
    powered = np.zeros(len(inst.slots))
    for g in np.unique(where):
        on = where == g
        powered[g] = powered_gpus(int(k[on].sum()), int(units[g]), host[on])
    parts = [z, powered]
    if "host" in lp.vars:
        extra = _host_start(inst, lp, where, host)
        if extra is None:
            return None
        parts.extend(extra)
    return np.concatenate(parts)


def _columns_of(column_keys: np.ndarray, wanted: np.ndarray) -> np.ndarray | None:
    """Position of each wanted key among the columns' keys (distinct integers), or None when
    one is not there (a binary search, after a sort unless the keys are increasing already; no
    per-column Python)."""
    if len(wanted) == 0:
        return np.zeros(0, dtype=np.int64)
    if len(column_keys) == 0:
        return None
    if bool(np.all(column_keys[1:] > column_keys[:-1])):  # levels come in key order: no sort
        found = np.minimum(np.searchsorted(column_keys, wanted), len(column_keys) - 1)
    else:
        order = np.argsort(column_keys, kind="stable")
        at = np.searchsorted(column_keys, wanted, sorter=order)
        found = order[np.minimum(at, len(order) - 1)]
    return found if np.array_equal(column_keys[found], wanted) else None


def _canonical_hosts(inst: GpuShareInstance, where: np.ndarray, host: np.ndarray) -> np.ndarray:
    """Relabel each pool's GPUs in order of first use by models of decreasing size (GPUs are
    identical), the order the MILP's symmetry breaking expects; zero-byte models on GPU 0."""
    mem = inst.arrays.memory
    out = np.zeros(len(host), dtype=np.int64)
    for g in np.unique(where):
        heavy = np.flatnonzero((where == g) & (mem > 0))
        order = heavy[np.argsort(-mem[heavy], kind="stable")]
        used = np.asarray(host)[order].astype(np.int64)
        gpus, first_use = np.unique(used, return_index=True)
        label = np.argsort(np.argsort(first_use))  # GPU -> its rank by first use
        out[order] = label[np.searchsorted(gpus, used)]
    return out


def _host_start(
    inst: GpuShareInstance, lp: LinearProgram, where: np.ndarray, host: np.ndarray
) -> list[np.ndarray] | None:
    """Start values of the ``host`` and ``on`` columns, or None if a host column is missing."""
    pools = lp.meta["hosts"]
    G = len(inst.slots)
    span = int(max(s.scale for s in inst.slots))  # host GPUs 0 … S−1 of any pool
    packed = np.unique(pools["slot"])
    placed = np.flatnonzero(np.isin(where, packed) & (inst.arrays.memory > 0))
    if np.any((host[placed] < 0) | (host[placed] >= span)):
        return None
    keys = (pools["agent"] * G + pools["slot"]) * span + pools["gpu"]
    cols = _columns_of(keys, (placed * G + where[placed]) * span + host[placed])
    if cols is None:
        return None
    h = np.zeros(lp.vars["host"].size)
    h[cols] = 1.0
    used = {
        (inst.slots[int(g)].name, int(j)) for g, j in zip(pools["slot"][h > 0], pools["gpu"][h > 0])
    }
    return [h, np.array([1.0 if lab in used else 0.0 for lab in lp.vars["on"].labels])]


def _fmt_agents(pairs: list[tuple[str, float]], limit: int = 8) -> str:
    text = ", ".join(f"{n} ({v:.3g})" for n, v in pairs[:limit])
    return text + (f" and {len(pairs) - limit} more" if len(pairs) > limit else "")


def precheck(inst: GpuShareInstance) -> list[str]:
    """Cheap conflicts, in plain words, found before any model is built."""
    a = inst.arrays
    out: list[str] = []
    req = np.array([min_units(inst, g) / s.units_per_gpu for g, s in enumerate(inst.slots)])
    unfit = np.all(req > 1.0, axis=0)
    if unfit.any():
        biggest = max(s.gpu.memory_bytes for s in inst.slots)
        why = []
        for i in np.flatnonzero(unfit):
            if a.memory[i] > biggest:
                why.append(
                    f"{a.names[i]} (memory_bytes {a.memory[i] / 1e9:.4g} GB > the "
                    f"largest GPU's {biggest / 1e9:.4g} GB)"
                )
            elif np.isfinite(a.slo[i]):
                why.append(
                    f"{a.names[i]} (latency_slo_s {a.slo[i]:.4g} s is not met even at "
                    "max_share on the fastest GPU)"
                )
            else:
                why.append(f"{a.names[i]} (min_share/max_share admit no share level)")
        out.append("no GPU can host agent(s) " + "; ".join(why) + ".")
        return out
    need = req.min(axis=0)
    capacity = float(sum(s.scale for s in inst.slots))
    if need.sum() > capacity + 1e-9:
        order = np.argsort(-need)
        binding = [(a.names[i], float(need[i])) for i in order if need[i] > 0]
        floor = np.array(
            [
                unit_bounds(a.min_share, a.max_share, s.units_per_gpu)[0] / s.units_per_gpu
                for s in inst.slots
            ]
        ).min(axis=0)
        slo_driven = [
            a.names[i] for i in order if np.isfinite(a.slo[i]) and need[i] > floor[i] + 1e-9
        ]
        why = "minimum shares" + (" and latency SLOs" if slo_driven else "")
        out.append(
            f"the {why} of the agents need {need.sum():.4g} GPUs but only {capacity:.4g} exist: "
            f"{_fmt_agents(binding)} (lower min_share"
            + (f", relax latency_slo_s of {', '.join(slo_driven[:8])}" if slo_driven else "")
            + " or add GPUs)."
        )
    total_mem = sum(s.memory_bytes for s in inst.slots)
    if a.memory.sum() > total_mem:
        out.append(
            f"the agents' models need {a.memory.sum() / 1e9:.4g} GB but the GPUs hold "
            f"{total_mem / 1e9:.4g} GB in total (remove agents or add GPU memory)."
        )
    return out


def plan_text(inst: GpuShareInstance, plan: Plan) -> str:
    """The per-agent table of the plan's evaluation, as ``ecoopt solve`` prints it."""
    return evaluate(inst, plan).per_agent.to_string(index=False)


def explain(inst: GpuShareInstance, report: ElasticReport | None) -> str:
    """Turn an elastic re-solve into plain words naming the constraint families to relax."""
    if report is None or not report.by_family:
        return (
            "infeasible: HiGHS proved it, but the elastic re-solve found no single family to relax."
        )
    words = {
        "capacity": "GPU capacity (in GPUs) would have to grow",
        "memory_fit": "GPU memory (in GPUs' worth of memory) would have to grow",
        "gpu_memory": "the memory of single GPUs in a pool (in GPUs' worth) would have to grow",
    }
    on_gpu: dict[str, list[str]] = {}
    if "assign" in report.values:
        lv = levels(inst)
        for j in np.flatnonzero(report.values["assign"] > 0.5):
            on_gpu.setdefault(inst.slots[lv.slot[j]].name, []).append(
                f"{inst.arrays.names[lv.agent[j]]} {lv.share[j]:.3g}"
            )
    parts = []
    for fam, rows in report.by_family.items():
        detail = ", ".join(
            f"{lab}: +{v:.4g} GPU"
            + (f" (agents {', '.join(on_gpu[lab])})" if lab in on_gpu else "")
            for lab, v in rows[:8]
        )
        parts.append(f"{words.get(fam, fam)} [{fam}: {detail}]")
    return (
        "infeasible: minimum shares, SLO-required shares and memory cannot all be packed onto "
        "the GPUs (an agent's share lives on one GPU); " + "; ".join(parts) + "."
    )


def simulate_checked(inst: GpuShareInstance, policies=None, *, steps=None, progress=False):  # noqa: ANN001, ANN201
    """:func:`simulate`, with ``steps`` checked against the size bounds first."""
    from .instance import check_sim_size

    if steps is not None:
        check_sim_size(steps, len(inst.agents), "--steps")
    return simulate(inst, policies, steps=steps, progress=progress)


def timeline_checked(
    inst: GpuShareInstance, policy: str | None = None, *, steps: int | None = None
) -> pd.DataFrame:
    """:func:`timeline`, with ``steps`` checked against the size bounds first."""
    from .instance import check_sim_size

    if steps is not None:
        check_sim_size(steps, len(inst.agents), "--steps")
    return timeline(inst, policy, steps=steps)


SPEC = register(
    ProblemSpec(
        name="gpushare",
        instance_cls=GpuShareInstance,
        objectives=OBJECTIVES,
        formulate=formulate,
        plan_from_x=plan_from_x,
        plan_to_x=plan_to_x,
        evaluate=evaluate,
        heuristics=HEURISTICS,
        precheck=precheck,
        explain=explain,
        cuts=memory_cuts,
        default_heuristics=("sqrt_waterfill",),
        plan_to_dict=plan_to_named,
        plan_from_dict=plan_from_named,
        plan_text=plan_text,
        simulate=simulate_checked,
        reproduce="ecoopt.gpushare.reproduce",
        timeline=timeline_checked,
        coefficient_fields={
            "capacity": "gpus[*].share_units and agents[*].min_share/max_share",
            "memory_fit": "agents[*].memory_bytes and gpus[*].memory_bytes",
            "gpu_memory": "agents[*].memory_bytes and gpus[*].memory_bytes",
            "assign": "agents[*].throughput_rps, arrival_rps, priority, latency_slo_s and "
            "gpus[*].speed, active_power_w, price_usd_per_h, intensity",
            "powered": "gpus[*].idle_power_w, price_usd_per_h, intensity, embodied_kg",
        },
    )
)

__all__ = [
    "HEURISTICS",
    "Evaluation",
    "GpuShareInstance",
    "Plan",
    "build",
    "evaluate",
    "formulate",
    "simulate",
    "simulate_policy",
]
