"""gpushare heuristics: the paper's O(N) allocator, its baselines, the exact greedy, and ours.

Each allocator is a pure numpy function on one capacity (``*_shares``); the instance-level
wrappers place agents on GPUs (one GPU or pool: trivially; several: worst-fit by required share),
allocate on each, and quantise to the GPU's share units by largest remainder.

Complexities (N agents, U units per GPU): ``adaptive`` O(N); ``static_equal`` O(N);
``round_robin`` O(N); ``greedy_marginal`` O(N + U log N); ``sqrt_waterfill`` O(N log N)
(bisection on a sorted-free vectorised water level; 100 iterations of O(N)).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import numpy as np

from .evaluate import Plan
from .instance import GpuShareInstance
from .model import min_units
from .physics import latency_s, served_rps, slot_rates


# -- pure allocators on one capacity ------------------------------------------------------------
def adaptive_shares(
    lam: np.ndarray, min_share: np.ndarray, priority: np.ndarray, capacity: float
) -> np.ndarray:
    """The paper's O(N) adaptive allocator (arXiv 2512.22149, as reconstructed; seeds.md §2).

    d_i = λ_i·R_i/P_i;  g_i = max(R_i, d_i/D·G);  if Σg > G: g ← g·G/Σg.
    The final rescale can push agents below R_i: callers must check (``adaptive`` flags it).
    With no demand (D = 0) every agent gets its minimum R_i.
    """
    lam, R, P = (np.asarray(v, dtype=float) for v in (lam, min_share, priority))
    d = lam * R / P
    D = d.sum()
    g = np.maximum(R, d / D * capacity) if D > 0 else R.copy()
    total = g.sum()
    if total > capacity:
        g = g * (capacity / total)
    return g


def quantise(shares: np.ndarray, units: int, capacity_units: int,
             lo: np.ndarray | None = None, hi: np.ndarray | None = None) -> np.ndarray:
    """Round shares to whole units (largest remainder) keeping Σ ≤ capacity and lo ≤ k ≤ hi.

    Returns integer units. ``lo``/``hi`` are unit bounds (default 1 and ``units``).
    """
    x = np.asarray(shares, dtype=float) * units
    lo = np.ones(len(x), dtype=np.int64) if lo is None else lo
    hi = np.full(len(x), units, dtype=np.int64) if hi is None else hi
    k = np.clip(np.floor(x + 1e-9).astype(np.int64), lo, hi)
    spare = capacity_units - int(k.sum())
    if spare > 0:
        order = np.argsort(-(x - np.floor(x + 1e-9)), kind="stable")
        order = order[k[order] < hi[order]][:spare]
        k[order] += 1
    return k


def sqrt_waterfill_shares(
    lam: np.ndarray, mu: np.ndarray, weight: np.ndarray, lo: np.ndarray, hi: np.ndarray,
    capacity: float, rho_max: float,
) -> np.ndarray:
    """Our allocator: stabilise first, then share the rest by the square-root rule.

    The continuous optimum of min Σ w_i/(μ_i s_i − λ_i) s.t. Σ s_i = G (KKT) is
    s_i = λ_i/μ_i + c·sqrt(w_i/μ_i): each agent first gets its load λ_i/μ_i, and the spare
    capacity is split in proportion to sqrt(w_i/μ_i). We clip to [a_i, hi_i] with
    a_i = max(lo_i, λ_i/(ρ_max μ_i)) (never below a minimum, never beyond ρ_max utilisation)
    and find the water level c by bisection. When even the a_i do not fit (overload), every
    agent keeps lo_i and the spare capacity is split in proportion to the deficits a_i − lo_i.
    Never breaks a minimum share; O(N) per bisection step.
    """
    lam, mu, w = (np.asarray(v, dtype=float) for v in (lam, mu, weight))
    a = np.minimum(np.maximum(lo, lam / (rho_max * mu)), hi)
    if a.sum() > capacity:
        deficit = a - lo
        spare = capacity - lo.sum()
        if spare <= 0 or deficit.sum() <= 0:
            return lo.astype(float).copy()
        return lo + deficit * (spare / deficit.sum())
    root = np.sqrt(np.maximum(w, 0) / mu)
    if root.sum() <= 0:
        return a

    def fill(c: float) -> np.ndarray:
        return np.clip(lam / mu + c * root, a, hi)

    c_lo, c_hi = 0.0, 1.0
    while fill(c_hi).sum() < capacity and c_hi < 1e12:
        c_hi *= 2
    for _ in range(100):
        c = 0.5 * (c_lo + c_hi)
        if fill(c).sum() > capacity:
            c_hi = c
        else:
            c_lo = c
    return fill(c_lo)


# -- instance-level wrappers --------------------------------------------------------------------
def _required_units(inst: GpuShareInstance) -> np.ndarray:
    """(slots × agents) smallest admissible units (min share, SLO, memory), U+1 if none."""
    return np.array([min_units(inst, g) for g in range(len(inst.slots))])


def place(inst: GpuShareInstance) -> np.ndarray:
    """Slot index per agent: worst-fit decreasing by required share, respecting memory.

    One slot: everyone there. Otherwise agents in decreasing order of required share go to the
    admissible slot with the most free capacity (balances load, the usual choice of schedulers).
    """
    G = len(inst.slots)
    n = len(inst.agents)
    if G == 1:
        return np.zeros(n, dtype=np.int64)
    req = _required_units(inst)
    units = np.array([s.units_per_gpu for s in inst.slots])
    need = req / units[:, None]  # GPU fractions
    free = np.array([float(s.scale) for s in inst.slots])
    mem_free = np.array([s.memory_bytes for s in inst.slots])
    mem = inst.arrays.memory
    out = np.zeros(n, dtype=np.int64)
    for i in np.argsort(-need.min(axis=0), kind="stable"):
        ok = (req[:, i] <= units) & (need[:, i] <= free + 1e-9) & (mem[i] <= mem_free)
        cand = np.flatnonzero(ok) if ok.any() else np.arange(G)
        g = cand[np.argmax(free[cand])]
        out[i] = g
        free[g] -= min(need[g, i], 1.0)
        mem_free[g] -= mem[i]
    return out


def _per_slot(
    inst: GpuShareInstance,
    method: str,
    allocate: Callable[[np.ndarray, int], np.ndarray],
    *,
    respect_minimum: bool = True,
) -> Plan:
    """Place agents, call ``allocate(agent_indices, slot_index) -> units`` on each slot."""
    where = place(inst)
    k = np.zeros(len(inst.agents), dtype=np.int64)
    raw = np.zeros(len(inst.agents))
    notes: list[str] = []
    for g in np.unique(where):
        idx = np.flatnonzero(where == g)
        k[idx] = allocate(idx, int(g))
    share = k / np.array([inst.slots[g].units_per_gpu for g in where])
    plan = Plan(method=method, slot=[inst.slots[g].name for g in where], share=share,
                raw_share=raw, notes=notes)
    return plan


def adaptive(inst: GpuShareInstance, objective: str | None = None) -> Plan:
    """The paper's allocator per GPU, quantised; notes the agents its rescale pushes below R_i."""
    a = inst.arrays
    raw = np.zeros(len(a.names))

    def alloc(idx: np.ndarray, g: int) -> np.ndarray:
        slot = inst.slots[g]
        s = adaptive_shares(a.lam[idx], a.min_share[idx], a.priority[idx], float(slot.scale))
        raw[idx] = s
        return quantise(s, slot.units_per_gpu, slot.capacity_units)

    plan = _per_slot(inst, "adaptive", alloc)
    plan.raw_share = raw
    broken = [a.names[i] for i in np.flatnonzero(raw < a.min_share - 1e-9)]
    if broken:
        plan.notes.append("rescale broke min_share of: " + ", ".join(broken))
    return plan


def static_equal(inst: GpuShareInstance, objective: str | None = None) -> Plan:
    """Every agent on a GPU gets an equal share of it (a baseline of the paper)."""

    def alloc(idx: np.ndarray, g: int) -> np.ndarray:
        slot = inst.slots[g]
        return quantise(np.full(len(idx), slot.scale / len(idx)), slot.units_per_gpu,
                        slot.capacity_units)

    return _per_slot(inst, "static_equal", alloc)


def round_robin(inst: GpuShareInstance, objective: str | None = None) -> Plan:
    """Whole-GPU time slicing rotating every ``simulation.step_s`` (a baseline of the paper).

    Its static plan is the time-average share 1/n; the evaluator adds the wait for one's turn and
    the simulator replays the actual rotation.
    """
    plan = static_equal(inst)
    plan.method = "round_robin"
    plan.time_slice = True
    return plan


def _level_value(inst: GpuShareInstance, objective: str, idx: np.ndarray, g: int,
                 units: np.ndarray) -> np.ndarray:
    """Per-agent objective contribution at ``units`` on slot g, as a quantity to minimise."""
    a = inst.arrays
    slot = inst.slots[g]
    share = units / slot.units_per_gpu
    mu = a.mu[idx] * slot.gpu.speed
    _, per_share, price, _ = slot_rates(slot)
    if objective == "latency":
        return a.weights[idx] * latency_s(share, a.lam[idx], mu, inst.overload_rho)
    if objective == "throughput":
        return -served_rps(share, a.lam[idx], mu)
    if objective == "cost":
        return price * share
    return per_share * share  # carbon


def greedy_marginal(inst: GpuShareInstance, objective: str | None = None) -> Plan:
    """Start every agent at its smallest admissible level; hand out units one at a time to the
    agent whose objective improves most, while any improves and capacity remains.

    Exact on one GPU when each agent's cost is convex in its share (true for all four
    objectives under the tangent-continued M/M/1 model): the classic marginal-allocation
    theorem for separable convex resource allocation. O(N + U log N).
    """
    objective = objective or inst.objective
    a = inst.arrays

    def alloc(idx: np.ndarray, g: int) -> np.ndarray:
        slot = inst.slots[g]
        U = slot.units_per_gpu
        k = min_units(inst, g)[idx].astype(np.int64)
        hi = np.floor(a.max_share[idx] * U + 1e-9).astype(np.int64)
        k = np.minimum(k, U)
        spare = slot.capacity_units - int(k.sum())
        if spare <= 0:
            return k
        cur = _level_value(inst, objective, idx, g, k)
        nxt = _level_value(inst, objective, idx, g, np.minimum(k + 1, U))
        heap = [(-(c - n_), j) for j, (c, n_) in enumerate(zip(cur, nxt)) if k[j] < hi[j]]
        heapq.heapify(heap)
        while spare > 0 and heap:
            neg_gain, j = heapq.heappop(heap)
            if -neg_gain <= 1e-15:
                break
            k[j] += 1
            spare -= 1
            if k[j] < hi[j]:
                one = np.array([idx[j]])
                c, n_ = _level_value(inst, objective, one, g, np.array([k[j], k[j] + 1]))
                heapq.heappush(heap, (-(c - n_), j))
        return k

    return _per_slot(inst, "greedy_marginal", alloc)


def sqrt_waterfill(inst: GpuShareInstance, objective: str | None = None) -> Plan:
    """Our O(N log N) allocator (see :func:`sqrt_waterfill_shares`), quantised without ever
    dropping an agent below its smallest admissible level (min share and SLO)."""
    a = inst.arrays
    raw = np.zeros(len(a.names))

    def alloc(idx: np.ndarray, g: int) -> np.ndarray:
        slot = inst.slots[g]
        U = slot.units_per_gpu
        lo_k = np.minimum(min_units(inst, g)[idx], U)
        hi_k = np.floor(a.max_share[idx] * U + 1e-9).astype(np.int64)
        s = sqrt_waterfill_shares(
            a.lam[idx], a.mu[idx] * slot.gpu.speed, a.weights[idx], lo_k / U, hi_k / U,
            float(slot.scale), inst.overload_rho,
        )
        raw[idx] = s
        return quantise(s, U, slot.capacity_units, lo=lo_k, hi=hi_k)

    plan = _per_slot(inst, "sqrt_waterfill", alloc)
    plan.raw_share = raw
    return plan


HEURISTICS: dict[str, Callable[..., Plan]] = {
    "adaptive": adaptive,
    "static_equal": static_equal,
    "round_robin": round_robin,
    "greedy_marginal": greedy_marginal,
    "sqrt_waterfill": sqrt_waterfill,
}
