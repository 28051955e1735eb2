"""partition: place the layers of a DNN's layer graph on heterogeneous edge devices.

Parts: ``graph`` (layer graphs from ``models/``, fusion), ``instance`` (validated input and the
per-layer/per-link cost arrays), ``model`` (the MILP), ``heuristics`` (monolithic, best split,
AMP4EC, greedy, CarbonEdge scoring, the exact chain DP), ``stages`` (the contiguous pipeline
stage DP), ``symmetry`` (interchangeable devices), ``evaluate`` (plan + evaluator).
"""

from __future__ import annotations

import math

import numpy as np

from ..lp import LinearProgram
from ..problems import ProblemSpec, register
from ..results import MILP
from ..solve import ElasticReport
from ..tolerance import fits_memory, within
from .cuts import memory_cuts
from .evaluate import Evaluation, Plan, evaluate, plan_from_named, plan_to_named
from .heuristics import HEURISTICS, methods
from .instance import OBJECTIVES, PartitionInstance
from .model import build, formulate
from .symmetry import canonical_devices


def plan_from_x(inst: PartitionInstance, lp: LinearProgram, x: np.ndarray) -> Plan:
    pl, pd, *_ = lp.meta["index"]
    on = lp.values(x, "place") > 0.5
    dev = np.zeros(len(inst.data.layers), dtype=np.int64)
    dev[pl[on]] = pd[on]
    return Plan(MILP, [inst.data.devices[d] for d in dev])


def plan_to_x(inst: PartitionInstance, lp: LinearProgram, plan: Plan) -> np.ndarray | None:
    """A full MILP start vector for ``plan`` (None if it uses an inadmissible placement).

    The plan is first relabelled within each class of interchangeable devices to the one
    representative the ``device_order`` rows admit (same objective, same feasibility:
    :mod:`.symmetry`). ``period`` is divided by ``lp.meta["period_scale_s"]``; ``used``,
    ``wait`` and ``latency`` (idle power) are computed from the model's own latency
    expression, in their scaled units.
    """
    data = inst.data
    L = len(data.layers)
    pl, pd, fe, fd, fe2 = lp.meta["index"]
    index = {n: j for j, n in enumerate(data.devices)}
    if any(d not in index for d in plan.device):
        return None
    dev = np.array([index[d] for d in plan.device])
    a = canonical_devices(data, dev, lp.meta.get("classes", []))
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


def plan_text(inst: PartitionInstance, plan: Plan) -> str:
    """Runs of consecutive layers per device, as ``ecoopt solve`` prints them."""
    runs: list[list] = []  # [device, first layer, last layer, count]
    for layer, device in plan_to_named(inst, plan)["layers"].items():
        if runs and runs[-1][0] == device:
            runs[-1][2:] = [layer, runs[-1][3] + 1]
        else:
            runs.append([device, layer, layer, 1])
    return "\n".join(
        f"  {first}{' … ' + last if n > 1 else ''} ({n} layer{'s' * (n > 1)}): {dev}"
        for dev, first, last, n in runs
    )


def _reachable(inst: PartitionInstance) -> np.ndarray:
    """(D,) bool: devices the source reaches over the links (a tensor can only travel there)."""
    data = inst.data
    seen = np.zeros(len(data.devices), dtype=bool)
    todo = [data.source]
    while todo:
        d = todo.pop()
        if not seen[d]:
            seen[d] = True
            todo.extend(np.flatnonzero(data.linked[d] & ~seen).tolist())
    return seen


def _unreached(inst: PartitionInstance, reach: np.ndarray) -> list[str]:
    """The sink must be reachable from the source: the result travels back over links."""
    if reach[inst.data.sink]:
        return []
    links = "no links join them" if not inst.links else "the links do not join them"
    return [
        f"sink {inst.sink!r} cannot be reached from source {inst.source!r}: {links} (add "
        "links between the devices, or make source and sink the same device)."
    ]


def precheck(inst: PartitionInstance) -> list[str]:
    """Plain-words conflicts found without a solver, decided by the one tolerance rule.

    The sink must be reachable from the source over the links, and only devices reachable
    from the source can host a layer. A layer fits in no such device iff its weights exceed
    each one's memory (exact, in bytes: :func:`~ecoopt.tolerance.fits_memory`, the same test
    as the MILP's admissible ``place`` columns and the evaluator); the SLO is below the fastest
    possible latency iff that latency is not :func:`~ecoopt.tolerance.within` it.
    """
    data = inst.data
    reach = _reachable(inst)
    out = _unreached(inst, reach)
    fits = fits_memory(data.param_bytes[:, None], data.memory_bytes[None, :]) & reach[None, :]
    too_big = np.flatnonzero(~fits.any(axis=1))
    where = "device's memory" if reach.all() else "memory of a device reachable from the source"
    if len(too_big):
        names = ", ".join(
            f"{data.layers[i]} ({data.param_bytes[i] / 1e9:.3g} GB)" for i in too_big[:8]
        )
        out.append(
            f"layer(s) {names} fit in no {where} (largest "
            f"{data.memory_bytes[reach].max() / 1e9:.3g} GB): add memory or split the layer."
        )
    weights, memory = math.fsum(data.param_bytes), math.fsum(data.memory_bytes[reach])
    if not fits_memory(weights, memory):
        whose = "all devices" if reach.all() else "the devices reachable from the source"
        out.append(
            f"the model's weights ({weights / 1e9:.3g} GB) exceed the memory of {whose} "
            f"together ({memory / 1e9:.3g} GB)."
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
        return (
            "infeasible: HiGHS proved it, and relaxing memory and the SLO does not help: "
            "check that the links let every tensor travel between the devices that need it."
        )
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
        default_heuristics=("greedy_layer", "pipeline_stages_moves"),
        plan_to_dict=plan_to_named,
        plan_from_dict=plan_from_named,
        plan_text=plan_text,
        reproduce="ecoopt.partition.reproduce",
        coefficient_fields={
            "memory_fit": "the model's param_bytes and devices[*].memory_bytes",
            "latency_slo": "latency_slo_s, the model's flops, devices[*].flops_per_s or "
            "layer_times_s, and links[*].bandwidth_bytes_per_s/latency_s",
            "device_busy": "the model's flops and devices[*].flops_per_s or layer_times_s",
            "link_busy": "the model's out_bytes and links[*].bandwidth_bytes_per_s",
            "transfer_busy": "the model's out_bytes and links[*].bandwidth_bytes_per_s",
            "idle_wait": "devices[*].idle_power_w and the layer and transfer times",
            "used_def": "devices[*].idle_power_w and the layer and transfer times",
            "latency_def": "the model's flops, devices[*].flops_per_s and links[*]",
            "place": "the model's flops, devices[*].flops_per_s, active_power_w, intensity, "
            "embodied_kg and weights",
            "flow": "the model's out_bytes and links[*]",
        },
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
