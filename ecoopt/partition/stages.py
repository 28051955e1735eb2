r"""Contiguous pipeline stages by dynamic programming: :func:`pipeline_stages_dp`.

A *contiguous-stage plan* cuts the topological layer order into stages [b_0, b_1), [b_1, b_2),
…, [b_{k−1}, b_k) (0 = b_0 < … < b_k = L) and runs stage i on device π_i, each device at most
once (π injective, 1 ≤ k ≤ D): the pipeline of the period objective, GPipe style.

Devices are grouped into *types*: the classes of interchangeable devices
(:func:`~ecoopt.partition.symmetry.device_classes`) and every other device alone (the pinned
source and sink always alone). Which member of a type runs a stage changes nothing, so the
state needs only how many devices of each type are in use, not which.

State (j, n, t, f): the first j layers are staged, n_u devices of type u are used, the last
stage runs on type t, f = the first stage runs on the sink (only when source ≠ sink).
Recursion, stage [i, j) on type t after a stage on type s:

    V(j, n, t, f) = min_{i, s} V(i, n − e_t, s, f) ⊕ S_t(i, j) ⊕ X_{s,t}(i),

S_t(i, j) the stage's cost on t (∞ if its weights do not fit t's memory, exactly in bytes),
X_{s,t}(i) the cost of the tensors crossing cut i from s to t (∞ without a link).

* period: ⊕ = max, S = compute seconds, X = link occupancy bytes / bandwidth. A link's busy
  time sums every transfer over it; with each device used once, only the input, the first
  cut, the last cut and the output can share a link (when the source or sink also runs a
  stage), and the recursion adds those sums where they arise (:func:`_final_period`).
* latency, carbon, weighted: ⊕ = +, S and X the additive costs of
  :meth:`~ecoopt.partition.instance.PartitionData.additive_costs`.

Exact (optimal among contiguous-stage plans, as the evaluator prices them) for chain graphs,
without a latency SLO, for period and latency, and for carbon and weighted when no device
draws idle power. Otherwise a heuristic: idle carbon is left out of the costs, the SLO is not
in the recursion (a violating plan is noted), and on a DAG every tensor crossing a cut is
charged to the link between the two stages at that cut. The plan is judged by the evaluator
like any other.

Cost: O(L²·K·Σ_states) with Π_u (m_u + 1)·K states, K types of m_u devices each: for D
identical devices and a pinned source/sink, K = 2 and it runs in milliseconds; for D distinct
devices it is exponential (2^D) and refused above :data:`MAX_WORK` cells.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..errors import NotApplicable
from ..tolerance import fits_memory, within
from .evaluate import Plan, evaluate
from .instance import PartitionData, PartitionInstance
from .symmetry import device_classes

#: array cells the recursion may touch: 1-4 ns each measured (0.1-0.4 s), since every solve
#: of a partition instance runs it for its reference plan
MAX_WORK = 1e8


def device_types(data: PartitionData) -> list[np.ndarray]:
    """Every device in exactly one type: the interchangeable classes, the rest alone; types in
    order of their first member, members ascending."""
    grouped = device_classes(data)
    seen = {int(d) for c in grouped for d in c}
    alone = [np.array([d]) for d in range(len(data.devices)) if d not in seen]
    return sorted(grouped + alone, key=lambda m: int(m[0]))


@dataclass(frozen=True)
class StageCosts:
    """The recursion's data over K types and cuts 0 … L.

    ``stage`` (K, L+1, L+1): S_t(i, j), ∞ for i ≥ j; ``cut`` (K, K, L+1): X_{s,t}(i) between
    two different devices of types s and t; ``into`` (K,): the input from the source to a
    first stage on t; ``out`` (K,): the output from a last stage on t to the sink.
    """

    stage: np.ndarray
    cut: np.ndarray
    into: np.ndarray
    out: np.ndarray
    src_type: int
    sink_type: int
    period: bool


def crossing_edges(data: PartitionData) -> np.ndarray:
    """(L+1, E) 1.0 where edge e = (u, v) crosses cut c (u < c ≤ v; input u = −1, output
    v = L): cut 0 carries the input, cut L the output, a chain's cut c the tensor c−1 → c."""
    u = np.array([e[0] for e in data.edges])
    v = np.array([e[1] for e in data.edges])
    cuts = np.arange(len(data.layers) + 1)[:, None]
    return ((u[None, :] < cuts) & (cuts <= v[None, :])).astype(float)


def _pair_costs(data: PartitionData, crossing, per_edge, a: int, b: int) -> np.ndarray:  # noqa: ANN001
    """(L+1,) cost of sending the tensors crossing each cut from device a to device b:
    Σ_e crossing[c, e]·per_edge[a, b, e]; 0 on a = b, ∞ where a tensor needs a missing link."""
    if a == b:
        return np.zeros(crossing.shape[0])
    if not data.linked[a, b]:
        return np.where(crossing.sum(axis=1) > 0, np.inf, 0.0)
    return crossing @ per_edge[a, b]


def stage_costs(inst: PartitionInstance, objective: str, types: list[np.ndarray]) -> StageCosts:
    """:class:`StageCosts` for ``objective`` on one representative device per type (and a
    second one for two stages on the same type)."""
    data = inst.data
    L = len(data.layers)
    period = objective == "period"
    if period:
        node = data.time_s
        with np.errstate(divide="ignore"):
            per_edge = data.edge_bytes[None, None, :] / data.bandwidth[:, :, None]
    else:
        node, per_edge = data.additive_costs(objective, inst.weights)
    rep = [int(m[0]) for m in types]
    other = [int(m[1]) if len(m) > 1 else int(m[0]) for m in types]
    prefix = np.vstack([np.zeros((1, node.shape[1])), np.cumsum(node, axis=0)])  # (L+1, D)
    weights = np.concatenate([[0.0], np.cumsum(data.param_bytes)])
    span = np.arange(L + 1)
    later = span[None, :] > span[:, None]
    stage = np.empty((len(types), L + 1, L + 1))
    for t, d in enumerate(rep):
        fits = fits_memory(weights[None, :] - weights[:, None], data.memory_bytes[d])
        cost = prefix[None, :, d] - prefix[:, None, d]
        stage[t] = np.where(later & fits, cost, np.inf)
    x = crossing_edges(data)
    cut = np.array(
        [
            [
                _pair_costs(data, x, per_edge, a, other[t] if s == t else b)
                for t, b in enumerate(rep)
            ]
            for s, a in enumerate(rep)
        ]
    )
    into = np.array([_pair_costs(data, x, per_edge, data.source, d)[0] for d in rep])
    out = np.array([_pair_costs(data, x, per_edge, d, data.sink)[L] for d in rep])
    of = {int(d): t for t, m in enumerate(types) for d in m}
    return StageCosts(stage, cut, into, out, of[data.source], of[data.sink], period)


def _join(c: StageCosts, *terms: np.ndarray | float) -> np.ndarray:
    """⊕ of the recursion: max for the period, + for the additive objectives."""
    out = np.asarray(terms[0], dtype=float)
    for t in terms[1:]:
        out = np.maximum(out, t) if c.period else out + t
    return out


def _single_stage(c: StageCosts, t: int, same_ends: bool) -> float:
    """Every layer on type t: input and output share the link when source = sink ≠ t."""
    L = c.stage.shape[1] - 1
    if not c.period:
        return float(c.stage[t, 0, L] + c.into[t] + c.out[t])
    link = c.into[t] + c.out[t] if same_ends and t != c.src_type else max(c.into[t], c.out[t])
    return float(max(c.stage[t, 0, L], link))


def _final_period(c: StageCosts, s: int, t: int, k: int, first_on_sink: bool) -> tuple:
    """(cut term (L+1,), output term) of a last stage k ≥ 2 on t after a stage on s.

    Links shared: the input's and the first cut's when the source runs stage 2 (k = 2);
    the last cut's and the output's when the sink runs stage k − 1; the input's and the
    output's when the sink runs stage 1 and the source stage k (all three when k = 2).
    """
    cut = c.cut[s, t] + (c.into[s] if k == 2 and t == c.src_type else 0.0)
    if s == c.sink_type:
        return cut + c.out[t], 0.0
    extra = c.into[c.sink_type] if first_on_sink and t == c.src_type and k >= 3 else 0.0
    return cut, c.out[t] + extra


@dataclass
class _Table:
    """States (n, t, f) with V over j, and per j the best i and predecessor state (−1: start)."""

    keys: list[tuple]
    value: list[np.ndarray]
    back_i: list[np.ndarray]
    back_key: list[np.ndarray]

    def offer(self, index: dict, key: tuple, cand: np.ndarray, i: np.ndarray, prev: int) -> None:
        if key not in index:
            index[key] = len(self.keys)
            self.keys.append(key)
            self.value.append(np.full(len(cand), np.inf))
            self.back_i.append(np.zeros(len(cand), dtype=np.int64))
            self.back_key.append(np.full(len(cand), -1))
        k = index[key]
        better = cand < self.value[k]
        self.value[k] = np.where(better, cand, self.value[k])
        self.back_i[k] = np.where(better, i, self.back_i[k])
        self.back_key[k] = np.where(better, prev, self.back_key[k])


def _recursion(c: StageCosts, sizes: list[int], same_ends: bool) -> tuple[float, list]:
    """Run the recursion level by level (stages used); return the best complete plan's value
    and its stages [(first layer, end, type)] in order."""
    K, L = len(sizes), c.stage.shape[1] - 1
    table, index = _Table([], [], [], []), {}
    best = (math.inf, None)  # (value, (i, predecessor state or −1, last type))
    for t in range(K):
        key = (tuple(int(u == t) for u in range(K)), t, not same_ends and t == c.sink_type)
        table.offer(index, key, _join(c, c.stage[t, 0], c.into[t]), np.zeros(L + 1), -1)
        best = min(best, (_single_stage(c, t, same_ends), (0, -1, t)), key=lambda b: b[0])
    level = 1
    while level < min(sum(sizes), L):
        for k in [k for k, key in enumerate(table.keys) if sum(key[0]) == level]:
            n, s, f = table.keys[k]
            v = table.value[k]
            for t in (t for t in range(K) if n[t] < sizes[t]):
                nxt = tuple(x + (u == t) for u, x in enumerate(n))
                extra = c.into[s] if c.period and level == 1 and t == c.src_type else 0.0
                grid = _join(c, v[:, None], c.stage[t], (c.cut[s, t] + extra)[:, None])
                table.offer(index, (nxt, t, f), grid.min(axis=0), grid.argmin(axis=0), k)
                if c.period:
                    cut, out = _final_period(c, s, t, level + 1, f)
                    last = _join(c, v, c.stage[t, :, L], cut, out)
                else:
                    last = _join(c, v, c.stage[t, :, L], c.cut[s, t], c.out[t])
                i = int(np.argmin(last))
                best = min(best, (float(last[i]), (i, k, t)), key=lambda b: b[0])
        level += 1
    return best[0], _stages(table, best[1], L)


def _stages(table: _Table, last: tuple | None, L: int) -> list[tuple[int, int, int]]:
    """Walk the back pointers from the best complete plan to its first stage."""
    if last is None:
        return []
    i, k, t = last
    out, j = [(i, L, t)], i
    while k >= 0:
        i, prev = int(table.back_i[k][j]), int(table.back_key[k][j])
        out.append((i, j, table.keys[k][1]))
        j, k = i, prev
    return out[::-1]


def _work(sizes: list[int], L: int) -> float:
    """Array cells the recursion touches: states × types × (L+1)²."""
    return math.prod(m + 1 for m in sizes) * len(sizes) ** 2 * 2 * (L + 1) ** 2


def pipeline_stages_dp(inst: PartitionInstance, objective: str | None = None) -> Plan:
    """The best contiguous-stage plan by dynamic programming (:mod:`ecoopt.partition.stages`:
    exact for chains without an SLO for period and latency, and for carbon and weighted without
    idle power; a heuristic otherwise). Raises :class:`~ecoopt.errors.NotApplicable` when the
    device types make the recursion larger than :data:`MAX_WORK` cells.

    Cost: O(L²·K·states), states = K·Π_u (m_u + 1) for K device types of m_u devices each:
    milliseconds on identical devices, exponential (2^D) on D distinct ones, so refused above
    :data:`MAX_WORK` cells.

    Misses: plans whose stages are not contiguous in the topological order, each device used
    more than once, idle carbon (left out of its costs) and the SLO (not in the recursion)."""
    objective = objective or inst.objective
    data = inst.data
    types = device_types(data)
    sizes = [len(m) for m in types]
    work = _work(sizes, len(data.layers))
    if work > MAX_WORK:
        raise NotApplicable(
            f"pipeline_stages_dp: {len(types)} device types make {work:.3g} DP cells "
            f"(at most {MAX_WORK:.0e}); it is fast when many devices are interchangeable"
        )
    costs = stage_costs(inst, objective, types)
    value, stages = _recursion(costs, sizes, data.source == data.sink)
    if not math.isfinite(value):
        raise NotApplicable(
            "pipeline_stages_dp: no contiguous-stage plan fits the memory and the links"
        )
    dev = np.zeros(len(data.layers), dtype=np.int64)
    taken = [0] * len(types)
    for first, end, t in stages:
        dev[first:end] = types[t][taken[t]]
        taken[t] += 1
    plan = Plan("pipeline_stages_dp", [data.devices[d] for d in dev])
    ev = evaluate(inst, plan, objective)
    if not ev.feasible:
        plan.notes.append("best contiguous-stage plan breaks " + "; ".join(ev.violations[:2]))
    return plan


def _load_profile(inst: PartitionInstance, a: np.ndarray) -> np.ndarray | None:
    """Every device's and link's busy time (s) under the plan ``a`` (device per layer), sorted
    decreasing: its first entry is the period. None when the plan breaks memory (exact, in
    bytes), a link or the latency SLO (:func:`~ecoopt.tolerance.within`). O(L + E)."""
    data = inst.data
    L, D = data.time_s.shape
    where = np.concatenate([a, [data.source, data.sink]])
    ends = np.array(data.edges, dtype=np.int64).reshape(-1, 2)
    src = where[np.where(ends[:, 0] < 0, L, ends[:, 0])]
    dst = where[np.where(ends[:, 1] >= L, L + 1, ends[:, 1])]
    held = np.bincount(a, weights=data.param_bytes, minlength=D)
    if not (data.linked[src, dst].all() and fits_memory(held, data.memory_bytes).all()):
        return None
    compute = data.time_s[np.arange(L), a]
    if inst.latency_slo_s is not None:
        latency = float(compute.sum() + data.link_time[src, dst, np.arange(len(ends))].sum())
        if not within(latency, inst.latency_slo_s):
            return None
    link = data.link_index[src, dst]
    on = link >= 0
    links = np.bincount(
        link[on],
        weights=data.edge_bytes[on] / data.bandwidth[src[on], dst[on]],
        minlength=int(data.link_index.max()) + 1,
    )
    return -np.sort(-np.concatenate([np.bincount(a, weights=compute, minlength=D), links]))


def _lower(a: np.ndarray, b: np.ndarray) -> bool:
    """a < b lexicographically (equal lengths)."""
    diff = np.flatnonzero(a != b)
    return bool(len(diff)) and bool(a[diff[0]] < b[diff[0]])


def improve_period(inst: PartitionInstance, plan: Plan, max_rounds: int = 50) -> Plan:
    """Local search for the period objective from ``plan``: move one layer to another device
    whenever that lowers the load profile (:func:`_load_profile`: every device's and link's
    busy time, sorted decreasing, compared lexicographically, so the period first, then how
    many resources reach it, …), until no move does or after ``max_rounds`` passes. Every
    accepted plan meets memory, links and the SLO; the period never rises. A heuristic (a
    local optimum of single moves); the plan is returned unchanged when it is infeasible.
    Cost O(rounds·L·D·(L + E)).
    """
    data = inst.data
    index = {n: j for j, n in enumerate(data.devices)}
    a = np.array([index[d] for d in plan.device], dtype=np.int64)
    best = _load_profile(inst, a)
    if best is None:
        return plan
    for _ in range(max_rounds):
        moved = False
        for layer in range(len(a)):
            home = a[layer]
            for d in range(len(data.devices)):
                a[layer] = d
                profile = None if d == home else _load_profile(inst, a)
                if profile is not None and _lower(profile, best):
                    best, home, moved = profile, d, True
            a[layer] = home
        if not moved:
            break
    return Plan(plan.method, [data.devices[d] for d in a], list(plan.notes))


def pipeline_stages_moves(inst: PartitionInstance, objective: str | None = None) -> Plan:
    """:func:`pipeline_stages_dp`'s plan, then for the period objective
    :func:`improve_period` (single-layer moves, no longer contiguous stages). On ResNet-50
    over 8 identical devices it reaches the period floor (:func:`~ecoopt.partition.cuts.
    period_floor_s`) that the DP's contiguous plan misses by 25-30 %, and so do 23 of the 24
    bundled models (fused or not) on 8 edge devices; it takes 13-17 ms at 24 layers to 1.2 s at
    249 on a quiet machine (``benchmarks/partition_symmetry.py --only floor``). Other
    objectives: the DP's plan.

    Cost: the DP's, plus rounds of single-layer moves for the period, each O(L·D) candidate
    moves.

    Misses: as :func:`pipeline_stages_dp` on objectives other than the period; on the period,
    optima that need more than one layer moved at once."""
    objective = objective or inst.objective
    plan = pipeline_stages_dp(inst, objective)
    if objective != "period":
        return plan
    out = improve_period(inst, plan)
    out.method = "pipeline_stages_moves"
    return out
