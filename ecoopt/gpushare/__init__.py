"""gpushare: share GPUs among LLM agents under capacity, minimum-share, memory and SLO constraints.

Parts: ``instance`` (validated input), ``model`` (the MILP), ``heuristics`` (the paper's O(N)
allocator, static equal, round robin, greedy marginal, our square-root water-filling),
``evaluate`` (plan + independent evaluator), ``generate`` (seeded instances), ``simulate``
(discrete-time fluid simulator over a workload trace).
"""

from __future__ import annotations

import numpy as np

from ..lp import LinearProgram
from ..problems import ProblemSpec, register
from ..solve import ElasticReport
from .evaluate import Evaluation, Plan, evaluate
from .heuristics import HEURISTICS
from .instance import OBJECTIVES, GpuShareInstance
from .model import build, formulate, levels, min_units
from .physics import unit_bounds
from .simulate import simulate, simulate_policy


def plan_from_x(inst: GpuShareInstance, lp: LinearProgram, x: np.ndarray) -> Plan:
    lv = lp.meta["levels"]
    z = lp.values(x, "assign") > 0.5
    n = len(inst.agents)
    slot = [""] * n
    share = np.zeros(n)
    for i, g, s in zip(lv.agent[z], lv.slot[z], lv.share[z]):
        slot[i] = inst.slots[g].name
        share[i] = s
    return Plan(method="milp", slot=slot, share=share)


def plan_to_x(inst: GpuShareInstance, lp: LinearProgram, plan: Plan) -> np.ndarray | None:
    """A full MILP start vector for ``plan``, or None when the plan is not a MILP point."""
    lv = lp.meta["levels"]
    slot_of = {s.name: g for g, s in enumerate(inst.slots)}
    units = np.array([s.units_per_gpu for s in inst.slots])
    key = {
        (int(a), int(g), int(k)): j for j, (a, g, k) in enumerate(zip(lv.agent, lv.slot, lv.units))
    }
    z = np.zeros(len(lv.agent))
    for i, (nm, s) in enumerate(zip(plan.slot, plan.share)):
        g = slot_of.get(nm)
        j = None if g is None else key.get((i, g, int(round(s * units[g]))))
        if j is None:
            return None
        z[j] = 1.0
    used = np.zeros(len(inst.slots))
    used[[slot_of[nm] for nm in plan.slot]] = 1.0
    return np.concatenate([z, used])


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


def explain(inst: GpuShareInstance, report: ElasticReport | None) -> str:
    """Turn an elastic re-solve into plain words naming the constraint families to relax."""
    if report is None or not report.by_family:
        return (
            "infeasible: HiGHS proved it, but the elastic re-solve found no single family to relax."
        )
    words = {
        "capacity": "GPU capacity (share units) would have to grow",
        "memory_fit": "GPU memory (GB) would have to grow",
        "one_level": "agents could not be given any admissible share level",
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
            f"{lab}: +{v:.4g}" + (f" (agents {', '.join(on_gpu[lab])})" if lab in on_gpu else "")
            for lab, v in rows[:8]
        )
        parts.append(f"{words.get(fam, fam)} [{fam}: {detail}]")
    return (
        "infeasible: minimum shares, SLO-required shares and memory cannot all be packed onto "
        "the GPUs (an agent's share lives on one GPU); " + "; ".join(parts) + "."
    )


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
        default_heuristic="sqrt_waterfill",
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
