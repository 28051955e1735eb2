"""partition: place the layers of a DNN's layer graph on heterogeneous edge devices.

Parts: ``graph`` (layer graphs from ``models/``, fusion), ``instance`` (validated input and the
per-layer/per-link cost arrays), ``model`` (the MILP), ``heuristics`` (monolithic, best split,
AMP4EC, greedy, CarbonEdge scoring, the exact chain DP), ``evaluate`` (plan + evaluator).
"""

from __future__ import annotations

import math

import numpy as np

from ..lp import LinearProgram
from ..problems import ProblemSpec, register
from ..solve import ElasticReport
from ..tolerance import fits_memory, within
from .cuts import memory_cuts
from .evaluate import Evaluation, Plan, evaluate
from .heuristics import HEURISTICS, methods
from .instance import OBJECTIVES, PartitionInstance
from .model import build, formulate


def plan_from_x(inst: PartitionInstance, lp: LinearProgram, x: np.ndarray) -> Plan:
    pl, pd, *_ = lp.meta["index"]
    on = lp.values(x, "place") > 0.5
    dev = np.zeros(len(inst.data.layers), dtype=np.int64)
    dev[pl[on]] = pd[on]
    return Plan("milp", [inst.data.devices[d] for d in dev])


def plan_to_x(inst: PartitionInstance, lp: LinearProgram, plan: Plan) -> np.ndarray | None:
    """A full MILP start vector for ``plan`` (None if it uses an inadmissible placement).

    ``period`` is divided by ``lp.meta["period_scale_s"]``; ``used``, ``wait`` and ``latency``
    (idle power) are computed from the model's own latency expression, in their scaled units.
    """
    data = inst.data
    L = len(data.layers)
    pl, pd, fe, fd, fe2 = lp.meta["index"]
    index = {n: j for j, n in enumerate(data.devices)}
    if any(d not in index for d in plan.device):
        return None
    a = np.array([index[d] for d in plan.device])
    xp = (pd == a[pl]).astype(float)
    if xp.sum() != L:
        return None
    end = np.concatenate([a, [data.source, data.sink]])
    src = np.array([end[u] if u >= 0 else data.source for u, _ in data.edges])
    dst = np.array([end[v] if v < L else data.sink for _, v in data.edges])
    xf = ((fd == src[fe]) & (fe2 == dst[fe])).astype(float)
    parts = {"place": xp, "flow": xf}
    if "period" in lp.vars:
        period = evaluate(inst, plan, "period").objective
        parts["period"] = np.array([period / lp.meta["period_scale_s"]])
    if "used" in lp.vars:
        idle, lmax, scale = lp.meta["idle"]
        t_place = data.time_s[pl, pd] * xp
        latency = float(t_place.sum() + (data.link_time[fd, fe2, fe] * xf).sum())
        busy = np.bincount(pd, weights=t_place, minlength=len(data.devices))[idle]
        used = np.isin(idle, a).astype(float)
        parts["used"] = used
        parts["wait"] = used * np.maximum(latency - busy, 0.0) / lmax
        parts["latency"] = np.array([latency / scale])
    return np.concatenate([parts[name] for name in lp.vars])


def precheck(inst: PartitionInstance) -> list[str]:
    """Plain-words conflicts found without a solver, decided by the one tolerance rule.

    A layer fits in no device iff its weights exceed every device's memory (exact, in bytes:
    :func:`~ecoopt.tolerance.fits_memory`, the same test as the MILP's admissible ``place``
    columns and the evaluator); the SLO is below the fastest possible latency iff that latency
    is not :func:`~ecoopt.tolerance.within` it.
    """
    data = inst.data
    out = []
    fits = fits_memory(data.param_bytes[:, None], data.memory_bytes[None, :])
    too_big = np.flatnonzero(~fits.any(axis=1))
    if len(too_big):
        names = ", ".join(
            f"{data.layers[i]} ({data.param_bytes[i] / 1e9:.3g} GB)" for i in too_big[:8]
        )
        out.append(
            f"layer(s) {names} fit in no device's memory (largest "
            f"{data.memory_bytes.max() / 1e9:.3g} GB): add memory or split the layer."
        )
    weights, memory = math.fsum(data.param_bytes), math.fsum(data.memory_bytes)
    if not fits_memory(weights, memory):
        out.append(
            f"the model's weights ({weights / 1e9:.3g} GB) exceed all "
            f"devices' memory together ({memory / 1e9:.3g} GB)."
        )
    if inst.latency_slo_s is not None and not len(too_big):
        fastest = math.fsum(np.where(fits, data.time_s, np.inf).min(axis=1))
        if not within(fastest, inst.latency_slo_s):
            out.append(
                f"latency_slo_s {inst.latency_slo_s:.4g} s is below the fastest possible "
                f"latency {fastest:.4g} s (every layer on its fastest device that holds its "
                "weights, no transfers): relax the SLO or add faster devices."
            )
    return out


def _slack_in_units(inst: PartitionInstance, family: str, label: object, slack: float) -> float:
    """A row's elastic slack in the user's units: the model's rows are scaled (memory_fit is a
    fraction of the device's memory, latency_slo a fraction of the SLO), the message is not."""
    data = inst.data
    if family == "memory_fit":
        return slack * float(data.memory_bytes[data.devices.index(str(label))]) / 1e9  # GB
    if family == "latency_slo" and inst.latency_slo_s is not None:
        return slack * inst.latency_slo_s  # s
    return slack


def explain(inst: PartitionInstance, report: ElasticReport | None) -> str:
    if report is None or not report.by_family:
        return "infeasible: HiGHS proved it; the elastic re-solve found no family to relax."
    words = {
        "memory_fit": "device memory (GB) would have to grow",
        "latency_slo": "the latency SLO (s) would have to be relaxed",
    }
    parts = [
        f"{words.get(f, f)} [{f}: "
        + ", ".join(f"{lab}: +{_slack_in_units(inst, f, lab, v):.4g}" for lab, v in rows[:8])
        + "]"
        for f, rows in report.by_family.items()
    ]
    return (
        "infeasible: memory, links and the latency SLO cannot all be met together; "
        + "; ".join(parts)
        + "."
    )


SPEC = register(
    ProblemSpec(
        name="partition",
        instance_cls=PartitionInstance,
        objectives=OBJECTIVES,
        formulate=formulate,
        plan_from_x=plan_from_x,
        plan_to_x=plan_to_x,
        evaluate=evaluate,
        heuristics=HEURISTICS,
        precheck=precheck,
        explain=explain,
        cuts=memory_cuts,
        default_heuristic="greedy_layer",
        methods=methods,
    )
)

__all__ = [
    "HEURISTICS",
    "Evaluation",
    "PartitionInstance",
    "Plan",
    "build",
    "evaluate",
    "formulate",
]
