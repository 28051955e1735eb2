"""partition heuristics and the exact chain DP.

Every method returns a :class:`Plan`; all are judged by :func:`evaluate` (which counts idle
power; the heuristics' own costs are the additive proxies, without it). Complexities with L
layers, E edges, D devices: monolithic O(L·D); best single split O(L·E·D²) as matrix products;
AMP4EC split O(L + D log D); greedy per layer O(E·D); CarbonEdge weighted scoring O(L·D);
chain DP O(L·D²); contiguous pipeline stages (:mod:`.stages`) O(L²·K²·Π(m_u + 1)) over K
types of m_u interchangeable devices.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import NotApplicable
from ..tolerance import fits_memory, within
from .evaluate import Plan, evaluate
from .instance import PartitionData, PartitionInstance
from .stages import pipeline_stages_dp, pipeline_stages_moves

#: CarbonEdge mode weights (w_R, w_L, w_P, w_B, w_C), arXiv 2603.27420 [paper]
CARBONEDGE_MODES = {
    "performance": (0.25, 0.25, 0.30, 0.15, 0.05),
    "balanced": (0.20, 0.20, 0.15, 0.15, 0.30),
    "green": (0.15, 0.15, 0.10, 0.10, 0.50),
}


def costs(inst: PartitionInstance, objective: str) -> tuple[np.ndarray, np.ndarray]:
    """Additive per-inference costs (node (L, D), transfer (D, D, E)); period's proxy is latency."""
    return inst.data.additive_costs(objective, inst.weights)


def _plan(
    data: PartitionData, method: str, dev: np.ndarray, notes: list[str] | None = None
) -> Plan:
    return Plan(method, [data.devices[int(d)] for d in dev], notes or [])


def _best(inst: PartitionInstance, plans: list[Plan], objective: str) -> Plan:
    """The feasible plan with the best objective (or the least bad infeasible one)."""
    scored = [
        (not (ev := evaluate(inst, p, objective)).feasible, ev.objective, i)
        for i, p in enumerate(plans)
    ]
    return plans[min(scored)[2]]


def monolithic(inst: PartitionInstance, device: str) -> Plan:
    """Every layer on one device (the CarbonEdge / AMP4EC monolithic baseline)."""
    data = inst.data
    return _plan(
        data, f"monolithic[{device}]", np.full(len(data.layers), data.devices.index(device))
    )


def monolithic_best(inst: PartitionInstance, objective: str | None = None) -> Plan:
    """The best single device for the objective.

    Cost: O(L·D): every layer's cost on every device, summed per device.

    Misses: every gain from splitting: a model too large for any one device's memory, or an
    SLO only a split meets, leaves it infeasible."""
    objective = objective or inst.objective
    best = _best(inst, [monolithic(inst, d.name) for d in inst.devices], objective)
    best.method = "monolithic_best"
    return best


def best_split(inst: PartitionInstance, objective: str | None = None) -> Plan:
    """Neurosurgeon-style: the best single split point of the topological order between two
    devices (layers before the cut on ``a``, after it on ``b``; a = b is monolithic), over every
    device pair and cut, honouring memory, links and the SLO.

    Fully vectorised: with C[s, k] = 1 when edge k crosses cut s, the transfer cost of every
    (cut, a, b) is one matrix product C @ link[a, b, :], no Python loop.

    Cost: O(S·E·D²) flops for S cuts, E edges and D devices.

    Misses: plans with more than two devices or more than one cut.
    """
    objective = objective or inst.objective
    data = inst.data
    L, D = data.time_s.shape
    node, link = costs(inst, objective)
    latency = _split_table(data, data.time_s, data.additive_costs("latency", inst.weights)[1])
    if objective == "period":
        pre = np.concatenate([np.zeros((1, D)), np.cumsum(data.time_s, axis=0)])
        suf = np.concatenate([np.cumsum(data.time_s[::-1], axis=0)[::-1], np.zeros((1, D))])
        # busy time of a, of b, and of the links (all transfers summed: an upper bound when
        # they use different links; the evaluator computes the exact period)
        link_busy = _split_table(data, np.zeros_like(data.time_s), _occupancy(data))
        value = np.maximum(np.maximum(pre[:, :, None], suf[:, None, :]), link_busy)
        same = np.arange(D)  # a = b: the whole model on one device
        value[:, same, same] = np.maximum(pre[-1][None, :], link_busy[:, same, same])
    else:
        value = _split_table(data, node, link)
    mem = np.concatenate([[0.0], np.cumsum(data.param_bytes)])
    ok = fits_memory(mem[:, None, None], data.memory_bytes[None, :, None]) & fits_memory(
        (mem[-1] - mem)[:, None, None], data.memory_bytes[None, None, :]
    )
    same = np.eye(D, dtype=bool)[None]  # a = b: the whole model on one device
    ok &= ~same | fits_memory(mem[-1], data.memory_bytes)[None, :, None]
    ok &= latency < 1e29  # every transfer has a link
    if inst.latency_slo_s is not None:
        ok &= within(latency, inst.latency_slo_s)
    value = np.where(ok, value, np.inf)
    s, a, b = np.unravel_index(int(np.argmin(value)), value.shape)
    if not np.isfinite(value[s, a, b]):
        plan = monolithic_best(inst, objective)
        plan.method = "best_split"
        plan.notes.append("no feasible split; fell back to the best single device")
        return plan
    return _plan(data, "best_split", np.where(np.arange(L) < s, a, b))


def _occupancy(data: PartitionData) -> np.ndarray:
    """(D, D, E) link busy time of each transfer: bytes / bandwidth (no propagation delay)."""
    occ = data.edge_bytes[None, None, :] / data.bandwidth[:, :, None]
    return np.where(data.linked[:, :, None], occ, np.inf)


def _split_table(data: PartitionData, node: np.ndarray, link: np.ndarray) -> np.ndarray:
    """Additive cost (S = L+1 cuts, D, D) of 'layers before the cut on a, the rest on b'.

    Missing links cost ≥ 1e29 (finite, so that 0 × cost stays 0 in the products).
    """
    L, D = node.shape
    cut = np.arange(L + 1)[:, None]
    u = np.array([e[0] for e in data.edges])
    v = np.array([e[1] for e in data.edges])
    big = np.where(np.isfinite(link), link, 1e30)
    pre = np.concatenate([np.zeros((1, D)), np.cumsum(node, axis=0)])
    suf = np.concatenate([np.cumsum(node[::-1], axis=0)[::-1], np.zeros((1, D))])
    total = pre[:, :, None] + suf[:, None, :]
    mid = (u >= 0) & (v < L)
    cross = ((u[mid] < cut) & (cut <= v[mid])).astype(float)  # (S, E_mid)
    total += (cross @ big[:, :, mid].reshape(D * D, -1).T).reshape(L + 1, D, D)
    k_in, k_out = np.flatnonzero(u < 0), np.flatnonzero(v >= L)
    # input edges: source -> the layer they feed; output edges: the last layers -> sink
    for layer, cost in (
        (v[k_in], big[data.source][:, k_in]),
        (u[k_out], big[:, data.sink][:, k_out]),
    ):
        on_a = (layer < cut).astype(float)  # (S, E_end): the layer end runs on a
        total += (on_a @ cost.T)[:, :, None] + ((1 - on_a) @ cost.T)[:, None, :]
    return total


def amp4ec(inst: PartitionInstance, objective: str | None = None) -> Plan:
    """AMP4EC capability-proportional split [secondary]: S_i = 0.6·c_i/c_max + 0.4·m_i/m_max
    (c = FLOP/s, m = memory); devices in decreasing S take contiguous segments of the
    topological order whose FLOP share equals their share of ΣS.

    Cost: O(L + D log D): a sort of the devices and a search of the running FLOP share.

    Misses: the objective, links and memory (it splits by capability alone), so its plans
    are often far from the optimum or infeasible."""
    data = inst.data
    c = np.array([d.flops_per_s for d in inst.devices])
    m = data.memory_bytes
    score = 0.6 * c / c.max() + 0.4 * m / m.max()
    order = np.argsort(-score, kind="stable")
    work = data.time_s[:, order[0]]  # FLOP-proportional (time on one device)
    frac = np.cumsum(work) / max(work.sum(), 1e-300)
    bounds = np.cumsum(score[order]) / score.sum()
    seg = np.minimum(np.searchsorted(bounds, frac - 1e-12), len(order) - 1)
    return _plan(data, "amp4ec", order[seg])


def greedy_layer(inst: PartitionInstance, objective: str | None = None) -> Plan:
    """Each layer, in topological order, on the device that adds least to the objective
    (its compute plus transfers from its already-placed predecessors, plus the transfer to the
    sink if it is a last layer), among devices with memory left and links to the predecessors.

    Cost: O((L + E)·D): each layer and each edge priced once on every device.

    Misses: the future: a layer never moves once placed, so memory filled early or an SLO
    (not in its rule) can leave it far from the optimum or infeasible."""
    objective = objective or inst.objective
    data = inst.data
    L, D = data.time_s.shape
    node, link = costs(inst, objective)
    preds: list[list[int]] = [[] for _ in range(L)]
    outs: list[list[int]] = [[] for _ in range(L)]
    for k, (u, v) in enumerate(data.edges):
        if v < L:
            preds[v].append(k)
        if u >= 0 and v >= L:
            outs[u].append(k)
    used = np.zeros(D)  # bytes placed so far: whole bytes, exact sums
    dev = np.zeros(L, dtype=np.int64)
    for layer in range(L):
        cost = node[layer].copy()
        for k in preds[layer]:
            u = data.edges[k][0]
            s = data.source if u < 0 else dev[u]
            cost = cost + np.where(data.linked[s], link[s, :, k], np.inf)
        for k in outs[layer]:
            cost = cost + np.where(data.linked[:, data.sink], link[:, data.sink, k], np.inf)
        fits = fits_memory(used + data.param_bytes[layer], data.memory_bytes)
        cost = np.where(fits, cost, np.inf)
        d = (
            int(np.argmin(cost))
            if np.isfinite(cost).any()
            else int(np.argmax(data.memory_bytes - used))
        )
        dev[layer] = d
        used[d] += data.param_bytes[layer]
    return _plan(data, "greedy_layer", dev)


def carbonedge_scoring(inst: PartitionInstance, mode: str) -> Plan:
    """CarbonEdge Algorithm 1 [paper], applied per layer in topological order.

    Skip devices with load > 0.8; score S = w_R·S_R + w_L·S_L + w_P·S_P + w_B·S_B + w_C·S_C with
    S_L = 1 − load, S_P = 1/(1 + t_ms), S_B = 1/(1 + 2·task_count), S_C = 1/(1 + I·E_est),
    E_est = P·t_ms/3.6e6 (as the paper writes it). Decisions the paper leaves open [open]:
    load = memory used / memory; S_R = 1 − load after placing the layer; t_ms the layer's
    compute time on the device; task_count the layers already placed there; when every device
    is filtered, the one with the most free memory. Strict > so the first device wins ties.
    """
    data = inst.data
    L, D = data.time_s.shape
    wR, wL, wP, wB, wC = CARBONEDGE_MODES[mode]
    power = np.array([d.active_power_w for d in inst.devices])
    used = np.zeros(D)
    count = np.zeros(D)
    dev = np.zeros(L, dtype=np.int64)
    for layer in range(L):
        load = used / data.memory_bytes
        t_ms = data.time_s[layer] * 1e3
        after = (used + data.param_bytes[layer]) / data.memory_bytes
        score = (
            wR * (1 - after)
            + wL * (1 - load)
            + wP / (1 + t_ms)
            + wB / (1 + 2 * count)
            + wC / (1 + data.intensity * power * t_ms / 3.6e6)
        )
        ok = (load <= 0.8) & fits_memory(used + data.param_bytes[layer], data.memory_bytes)
        d = int(np.argmax(np.where(ok, score, -np.inf))) if ok.any() else int(np.argmin(load))
        dev[layer] = d
        used[d] += data.param_bytes[layer]
        count[d] += 1
    return _plan(data, f"carbonedge_{mode}", dev)


def dp_chain(inst: PartitionInstance, objective: str | None = None) -> Plan:
    """Exact dynamic programme for chains, O(L·D²), for the additive objectives.

    V[l, d] = node[l, d] + min_{d'} (V[l−1, d'] + link[d', d, edge l−1→l]), the input pinned
    on the source and the output on the sink. Memory and the SLO are not in the recursion:
    when its plan violates them it is only a lower bound (noted in the plan). Idle power makes
    carbon non-additive (a used device idles for the whole latency minus its own busy time), so
    for carbon and weighted with any idle cost the DP is not applicable.

    Cost: O(L·D²): one min over D predecessors' devices per layer and device.

    Misses: DAGs (not applicable), memory and the SLO (then only a bound), idle carbon.
    """
    objective = objective or inst.objective
    if not inst.graph.is_chain:
        raise NotApplicable("dp_chain needs a chain graph")
    if objective == "period":
        raise NotApplicable("dp_chain handles additive objectives, not the pipeline period")
    if objective in ("carbon", "weighted"):
        from .model import idle_rate

        idle = [d for d, r in zip(inst.data.devices, idle_rate(inst, objective)) if r > 0]
        if idle:
            raise NotApplicable(
                "dp_chain is exact only for additive costs; idle power on "
                f"{', '.join(idle)} makes carbon depend on the whole plan's latency "
                "(idle time = latency − busy time), so it is left to the MILP"
            )
    data = inst.data
    L, D = data.time_s.shape
    node, link = costs(inst, objective)
    link = np.where(data.linked[:, :, None], link, np.inf)
    # edges of a chain in order: input->0, 0->1, ..., (L-1)->output
    k_of = {e: k for k, e in enumerate(data.edges)}
    value = node[0] + link[data.source, :, k_of[(-1, 0)]]
    back = np.zeros((L, D), dtype=np.int64)
    for layer in range(1, L):
        total = value[:, None] + link[:, :, k_of[(layer - 1, layer)]]
        back[layer] = np.argmin(total, axis=0)
        value = total[back[layer], np.arange(D)] + node[layer]
    value = value + link[:, data.sink, k_of[(L - 1, L)]]
    dev = np.zeros(L, dtype=np.int64)
    dev[-1] = int(np.argmin(value))
    for layer in range(L - 1, 0, -1):
        dev[layer - 1] = back[layer, dev[layer]]
    plan = _plan(data, "dp_chain", dev)
    ev = evaluate(inst, plan, objective)
    if not ev.feasible:
        plan.notes.append("DP optimum ignores memory/SLO and violates them: a lower bound only")
    return plan


def _carbonedge_mode(mode: str) -> Callable[..., Plan]:
    """:func:`carbonedge_scoring` in one of the paper's modes, as a heuristic."""

    def run(inst: PartitionInstance, objective: str | None = None) -> Plan:
        return carbonedge_scoring(inst, mode)

    w = CARBONEDGE_MODES[mode]
    run.__doc__ = (f"CarbonEdge's scoring per layer (:func:`carbonedge_scoring`) in its {mode} "
                   f"mode, weights (w_R, w_L, w_P, w_B, w_C) = {w}.\n\n"
                   "Cost: O(L·D): one score per layer and device.\n\n"
                   "Misses: transfers between layers, the SLO and the objective itself (it "
                   "scores devices, not plans), so its plans break SLOs and links.")  # fmt: skip
    return run


HEURISTICS: dict[str, Callable[..., Plan]] = {
    "dp_chain": dp_chain,
    "pipeline_stages_dp": pipeline_stages_dp,
    "pipeline_stages_moves": pipeline_stages_moves,
    "monolithic_best": monolithic_best,
    "best_split": best_split,
    "amp4ec": amp4ec,
    "greedy_layer": greedy_layer,
    **{f"carbonedge_{m}": _carbonedge_mode(m) for m in CARBONEDGE_MODES},
}


def methods(inst: PartitionInstance) -> dict[str, Callable[..., Plan]]:
    """Every method for this instance: the heuristics plus monolithic on each device."""
    per_device = {
        f"monolithic[{d.name}]": (lambda i, objective=None, _d=d.name: monolithic(i, _d))
        for d in inst.devices
    }
    return {**HEURISTICS, **per_device}
