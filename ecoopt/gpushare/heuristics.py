"""gpushare heuristics: the paper's O(N) allocator, its baselines, the exact greedy, and ours.

Each allocator is a pure numpy function on one capacity (``*_shares``); the instance-level
wrappers place agents on GPUs (one GPU or pool: trivially; several: the paper's baselines by
worst-fit of required share, :func:`place`; ``greedy_marginal`` and ``sqrt_waterfill`` by the
objective-aware search of :func:`~ecoopt.gpushare.placement.place_for_objective`), allocate on
each, and quantise to the GPU's share units by largest remainder.

Complexities per GPU (N agents, U units per GPU): ``adaptive`` O(N); ``static_equal`` O(N);
``round_robin`` O(N); ``greedy_marginal`` O((N + U) log N); ``sqrt_waterfill`` O(N log N)
(100 bisection steps of O(N) for the water level, then ≤ 2N + U unit moves of O(log N)). On
G > 1 slots add the placement: worst-fit O(G·N·U); ``place_for_objective`` O(G·N·U) tables plus
a local search whose passes cost O(N·G + N²) slot evaluations of O(n_g·U) each (its docstring).
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

import numpy as np

from ..tolerance import GRID
from .evaluate import Plan
from .instance import GpuShareInstance
from .model import min_units
from .packing import first_fit_decreasing
from .physics import latency_s, served_rps, slot_rates, unit_bounds
from .placement import place_for_objective


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


def quantise(
    shares: np.ndarray,
    units: int,
    capacity_units: int,
    lo: np.ndarray | None = None,
    hi: np.ndarray | None = None,
) -> np.ndarray:
    """Round shares to whole units (largest remainder) keeping Σ ≤ capacity and lo ≤ k ≤ hi.

    Returns integer units. ``lo``/``hi`` are unit bounds (default 1 and ``units``).
    """
    x = np.asarray(shares, dtype=float) * units
    lo = np.ones(len(x), dtype=np.int64) if lo is None else lo
    hi = np.full(len(x), units, dtype=np.int64) if hi is None else hi
    k = np.clip(np.floor(x + 1e-9).astype(np.int64), lo, hi)
    spare = capacity_units - int(k.sum())
    room = np.flatnonzero(k < hi)
    if spare > 0 and len(room):
        rem = (x - np.floor(x + 1e-9))[room]
        take = min(spare, len(room))
        # O(N) selection of the largest remainders (argpartition, not a full sort)
        k[room[np.argpartition(-rem, take - 1)[:take]]] += 1
    return k


def sqrt_waterfill_shares(
    lam: np.ndarray,
    mu: np.ndarray,
    weight: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    capacity: float,
    rho_max: float,
) -> np.ndarray:
    """Our allocator: the KKT solution of the continuous latency problem, by water-filling.

    Minimise Σ w_i·W_i(s_i) s.t. Σ s_i ≤ G, lo_i ≤ s_i ≤ hi_i, with W_i the tangent-continued
    M/M/1 curve of :func:`~ecoopt.gpushare.physics.latency_s`. For a water level c (= ν^-1/2,
    ν the capacity price) the stationarity condition gives, per agent,

        s_i(c) = clip(λ_i/μ_i + c·sqrt(w_i/μ_i), lo_i, hi_i)   if c ≥ c*_i
        s_i(c) = lo_i                                          otherwise,

    where c*_i is the level at which λ_i/μ_i + c·sqrt(w_i/μ_i) reaches s*_i = λ_i/(ρ_max μ_i):
    below s*_i the curve is linear, so an agent is either left at its floor or lifted past the
    overload point at once (the square-root rule: load first, spare capacity ∝ sqrt(w/μ)).
    Σ s_i(c) is non-decreasing in c; bisection finds the level that fills G. Never below lo.
    O(N) per bisection step, 100 steps.
    """
    lam, mu, w = (np.asarray(v, dtype=float) for v in (lam, mu, weight))
    lo = np.asarray(lo, dtype=float)
    hi = np.maximum(np.asarray(hi, dtype=float), lo)
    root = np.sqrt(np.maximum(w, 0.0) / mu)
    s_star = lam / (rho_max * mu)
    with np.errstate(divide="ignore", invalid="ignore"):
        c_star = np.where(root > 0, (s_star - lam / mu) / root, np.inf)
    c_star = np.where(lam <= 0, 0.0, c_star)

    lifted = root > 0

    def fill(c: float) -> np.ndarray:
        lift = np.zeros_like(root)
        lift[lifted] = c * root[lifted]  # only agents with weight: never inf·0
        return np.where(c >= c_star, np.clip(lam / mu + lift, lo, hi), lo)

    if lo.sum() >= capacity or fill(np.inf).sum() <= capacity:
        return fill(np.inf) if fill(np.inf).sum() <= capacity else lo.copy()
    c_lo, c_hi = 0.0, 1.0
    while fill(c_hi).sum() < capacity and c_hi < 1e15:
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
    where: np.ndarray | None = None,
) -> Plan:
    """Place agents (``where``: slot index per agent, default :func:`place`), then
    ``allocate(agent_indices, slot_index) -> units`` on each slot; in a pool, models go onto
    its GPUs by first-fit decreasing (``packing``)."""
    where = place(inst) if where is None else where
    k = np.zeros(len(inst.agents), dtype=np.int64)
    host = np.zeros(len(inst.agents), dtype=np.int64)
    for g in np.unique(where):
        idx = np.flatnonzero(where == g)
        k[idx] = allocate(idx, int(g))
        host[idx] = pool_hosts(inst, idx, int(g))
    share = k / np.array([inst.slots[g].units_per_gpu for g in where])
    return Plan(method=method, slot=[inst.slots[g].name for g in where], share=share, host=host)


def pool_hosts(inst: GpuShareInstance, idx: np.ndarray, g: int) -> np.ndarray:
    """GPU of its slot for each model of ``idx`` (first-fit decreasing; all on GPU 0 when they
    do not fit, which the evaluator then reports)."""
    slot = inst.slots[g]
    if slot.scale == 1:
        return np.zeros(len(idx), dtype=np.int64)
    host = first_fit_decreasing(inst.arrays.memory[idx], slot.gpu.memory_bytes, slot.scale)
    return np.zeros(len(idx), dtype=np.int64) if host is None else host


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
    broken = [a.names[i] for i in np.flatnonzero(raw < a.min_share - GRID)]
    if broken:
        plan.notes.append("rescale broke min_share of: " + ", ".join(broken))
    return plan


def static_equal(inst: GpuShareInstance, objective: str | None = None) -> Plan:
    """Every agent on a GPU gets an equal share of it (a baseline of the paper)."""

    def alloc(idx: np.ndarray, g: int) -> np.ndarray:
        slot = inst.slots[g]
        return quantise(
            np.full(len(idx), slot.scale / len(idx)), slot.units_per_gpu, slot.capacity_units
        )

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


def _level_value(
    inst: GpuShareInstance, objective: str, idx: np.ndarray, g: int, units: np.ndarray
) -> np.ndarray:
    """Per-agent objective contribution at ``units`` on slot g, as a quantity to minimise."""
    a = inst.arrays
    slot = inst.slots[g]
    share = units / slot.units_per_gpu
    mu = a.mu[idx] * slot.gpu.speed
    _, per_share, price, _ = slot_rates(slot)
    if objective == "latency":
        return a.weights[idx] * latency_s(
            share, a.lam[idx], mu, inst.overload_rho, inst.overload_horizon_s
        )
    if objective == "throughput":
        return -served_rps(share, a.lam[idx], mu)
    if objective == "cost":
        return price * share
    return per_share * share  # carbon


def _local_search(
    inst: GpuShareInstance,
    objective: str,
    idx: np.ndarray,
    g: int,
    k: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    max_moves: int,
) -> np.ndarray:
    """Improve an allocation one unit at a time: drop a unit whose removal helps, add a spare
    unit that helps, or move a unit from the agent that loses least to the one that gains most;
    stop when no such move improves (at most ``max_moves``; two lazy heaps, O(log N) a move).

    For costs convex in the share (all four objectives here) an allocation that no single
    move improves is optimal on one GPU, so the search ends at the optimum when it converges
    within its budget.
    """
    k = k.copy()
    spare = inst.slots[g].capacity_units - int(k.sum())

    def push(j: int) -> None:
        units = np.array([max(k[j] - 1, 1), k[j], k[j] + 1])
        c_down, c, c_up = _level_value(inst, objective, idx[[j, j, j]], g, units)
        if k[j] < hi[j]:
            heapq.heappush(gains, (-(c - c_up), j, int(k[j])))
        if k[j] > lo[j]:
            heapq.heappush(losses, (c_down - c, j, int(k[j])))

    U = inst.slots[g].units_per_gpu
    cur = _level_value(inst, objective, idx, g, k)
    up = _level_value(inst, objective, idx, g, np.minimum(k + 1, U))
    down = _level_value(inst, objective, idx, g, np.maximum(k - 1, 1))
    gains = [(-(c - u), j, int(k[j])) for j, (c, u) in enumerate(zip(cur, up)) if k[j] < hi[j]]
    losses = [(d - c, j, int(k[j])) for j, (c, d) in enumerate(zip(cur, down)) if k[j] > lo[j]]
    heapq.heapify(gains)
    heapq.heapify(losses)
    tol = 1e-15
    for _ in range(max_moves):
        while gains and gains[0][2] != k[gains[0][1]]:
            heapq.heappop(gains)  # stale entry
        while losses and losses[0][2] != k[losses[0][1]]:
            heapq.heappop(losses)
        gain, j = (-gains[0][0], gains[0][1]) if gains else (-np.inf, -1)
        loss, i = (losses[0][0], losses[0][1]) if losses else (np.inf, -1)
        if loss < -tol:  # removing a unit helps (cost, carbon)
            k[i] -= 1
            spare += 1
            push(i)
        elif spare > 0 and gain > tol:  # a spare unit helps
            k[j] += 1
            spare -= 1
            push(j)
        elif i != j and i >= 0 and j >= 0 and gain > loss + tol * max(1.0, abs(gain)):
            k[i] -= 1
            k[j] += 1
            push(i)
            push(j)
        else:
            break
    return k


def _unit_bounds(inst: GpuShareInstance, idx: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
    """Smallest admissible units (min share, SLO; capped at U) and largest (max share)."""
    U = inst.slots[g].units_per_gpu
    lo = np.minimum(min_units(inst, g)[idx], U)
    hi = unit_bounds(inst.arrays.min_share[idx], inst.arrays.max_share[idx], U)[1]
    return lo, hi


def greedy_marginal(inst: GpuShareInstance, objective: str | None = None) -> Plan:
    """Start every agent at its smallest admissible level; hand out units one at a time to the
    agent whose objective improves most, while any improves and capacity remains.

    Exact on one GPU when each agent's cost is convex in its share (true for all four
    objectives under the tangent-continued M/M/1 model): the classic marginal-allocation
    theorem for separable convex resource allocation. O(N + U log N) per GPU. On several GPUs
    agents are first placed by :func:`~ecoopt.gpushare.placement.place_for_objective`.
    """
    objective = objective or inst.objective

    def alloc(idx: np.ndarray, g: int) -> np.ndarray:
        # from the floors no unit can be dropped, so the local search hands out spare units
        # by largest marginal gain: exactly the greedy
        lo, hi = _unit_bounds(inst, idx, g)
        budget = 2 * len(idx) + inst.slots[g].capacity_units
        return _local_search(inst, objective, idx, g, lo, lo, hi, max_moves=budget)

    return _per_slot(inst, "greedy_marginal", alloc, place_for_objective(inst, objective))


def sqrt_waterfill(inst: GpuShareInstance, objective: str | None = None) -> Plan:
    """Our O(N log N) allocator: the continuous square-root water-filling of
    :func:`sqrt_waterfill_shares`, floored to whole units (never below an agent's smallest
    admissible level: min share and SLO), then improved one unit at a time
    (:func:`_local_search`: drop, add or move a unit) until no move helps. Never breaks a
    minimum share. On several GPUs agents are first placed by
    :func:`~ecoopt.gpushare.placement.place_for_objective` (benchmarks/gpushare_placement.py
    measures its gap to the MILP)."""
    objective = objective or inst.objective
    a = inst.arrays
    raw = np.zeros(len(a.names))

    def alloc(idx: np.ndarray, g: int) -> np.ndarray:
        slot = inst.slots[g]
        U = slot.units_per_gpu
        lo, hi = _unit_bounds(inst, idx, g)
        s = sqrt_waterfill_shares(
            a.lam[idx],
            a.mu[idx] * slot.gpu.speed,
            a.weights[idx],
            lo / U,
            hi / U,
            float(slot.scale),
            inst.overload_rho,
        )
        raw[idx] = s
        k = np.clip(np.floor(s * U + 1e-9).astype(np.int64), lo, np.maximum(hi, lo))
        budget = 2 * len(idx) + slot.capacity_units
        return _local_search(inst, objective, idx, g, k, lo, hi, max_moves=budget)

    plan = _per_slot(inst, "sqrt_waterfill", alloc, place_for_objective(inst, objective))
    plan.raw_share = raw
    return plan


HEURISTICS: dict[str, Callable[..., Plan]] = {
    "adaptive": adaptive,
    "static_equal": static_equal,
    "round_robin": round_robin,
    "greedy_marginal": greedy_marginal,
    "sqrt_waterfill": sqrt_waterfill,
}
