"""gpushare heuristics: the paper's O(N) allocator, its baselines, the exact greedy, and ours.

Each allocator is a pure numpy function on one capacity (``*_shares``); the instance-level
wrappers place agents on GPUs (one GPU or pool: trivially; several: the paper's baselines by
worst-fit of required share, :func:`place`; ``greedy_marginal`` and ``sqrt_waterfill`` by the
objective-aware search of :func:`~ecoopt.gpushare.placement.place_for_objective`), allocate on
each, and quantise to the GPU's share units by largest remainder.

Complexities (N agents, G slots, U units per GPU; measured by benchmarks/gpushare_scale.py):
``adaptive``, ``static_equal``, ``round_robin``: O(N) on one slot, all slots at once with sums
per slot, plus one sort for the largest remainders on several: O(N log N); in a pool, models
onto its GPUs in O(N) when they fit the GPUs its compute powers (``packing.split_in_order``).
``sqrt_waterfill`` and ``greedy_marginal``: one sort and ≈45 (greedy: ≈20) bisection steps over
the agents for the water level, then the exact allocation by a price threshold from that start
(:func:`_optimal_units`: two sorts and a few counts of O(N) gain evaluations, most agents
settled by their start's gains; 2 counts at 10⁵ and 10⁶ agents), and the unit local search
(:func:`_local_search`) as its certificate: one round when the allocation is optimal. On
G > 1 slots add the placement: worst-fit in rounds of G (:func:`place`, O(N log G) plus O(G)
per agent that falls back) for the paper's baselines; ``place_for_objective`` for the other
two (its docstring: tables per GPU type, insertion pricing O(N·T) slots, a local search bounded
by ``placement.search_budget`` pair evaluations).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from ..errors import listing
from ..tolerance import GRID
from .evaluate import Plan
from .instance import GpuShareInstance
from .model import admission_class, min_units
from .packing import pack_models
from .physics import latency_s, served_rps, slot_rates, unit_bounds
from .placement import place_for_objective


# -- pure allocators on one capacity ------------------------------------------------------------
def adaptive_shares(
    lam: np.ndarray,
    min_share: np.ndarray,
    priority: np.ndarray,
    capacity: float | np.ndarray,
    group: np.ndarray | None = None,
) -> np.ndarray:
    """The paper's O(N) adaptive allocator (arXiv 2512.22149, as reconstructed; seeds.md §2).

    d_i = λ_i·R_i/P_i;  g_i = max(R_i, d_i/D·G);  if Σg > G: g ← g·G/Σg.
    The final rescale can push agents below R_i: callers must check (``adaptive`` flags it).
    With no demand (D = 0) every agent gets its minimum R_i. With ``group`` (slot per agent)
    the same rule runs on every slot at once, G = ``capacity[slot]`` and sums per slot.
    """
    lam, R, P = (np.asarray(v, dtype=float) for v in (lam, min_share, priority))
    d = lam * R
    d /= P  # = λR/P, in place: one array for the whole computation
    if group is None:
        D = d.sum()
        if D > 0:
            d *= capacity / D
            g = np.maximum(R, d, out=d)
        else:
            g = R.copy()
        total = g.sum()
        if total > capacity:
            g *= capacity / total
        return g
    cap = np.asarray(capacity, dtype=float)
    if len(cap) == 1:
        return adaptive_shares(lam, min_share, priority, float(cap[0]))
    D = np.bincount(group, weights=d, minlength=len(cap))[group]
    with np.errstate(divide="ignore", invalid="ignore"):
        g = np.where(D > 0, np.maximum(R, d / D * cap[group]), R)
    total = np.bincount(group, weights=g, minlength=len(cap))
    with np.errstate(divide="ignore", invalid="ignore"):
        factor = np.where(total > cap, cap / total, 1.0)
    return g * factor[group]


def quantise(
    shares: np.ndarray,
    units: int,
    capacity_units: int,
    lo: np.ndarray | None = None,
    hi: np.ndarray | None = None,
) -> np.ndarray:
    """Round shares to whole units (largest remainder) keeping Σ ≤ capacity and lo ≤ k ≤ hi.

    Returns integer units. ``lo``/``hi`` are unit bounds (default 1 and ``units``). One slot of
    :func:`quantise_groups`.
    """
    n = len(np.asarray(shares))
    return quantise_groups(
        shares, np.zeros(n, dtype=np.int64), np.array([units]), np.array([capacity_units]), lo, hi
    )


def quantise_groups(
    shares: np.ndarray,
    group: np.ndarray,
    units: np.ndarray,
    capacity_units: np.ndarray,
    lo: np.ndarray | None = None,
    hi: np.ndarray | None = None,
) -> np.ndarray:
    """:func:`quantise` on every slot at once: agent i is on slot ``group[i]``, whose GPUs have
    ``units[g]`` units and which holds ``capacity_units[g]``.

    Each slot floors x_i = share_i·U_g (clipped to [lo_i, hi_i]) and hands its spare units to
    the largest remainders x_i − ⌊x_i⌋ among agents below hi_i. O(N) on one slot
    (``argpartition``), O(N log N) on several (one sort by slot, then remainder).
    """
    if len(units) == 1:
        return _quantise_one(shares, int(units[0]), int(capacity_units[0]), lo, hi)
    group = np.asarray(group, dtype=np.int64)
    per_gpu = np.asarray(units, dtype=np.int64)[group]
    x = np.asarray(shares, dtype=float) * per_gpu
    lo = np.ones(len(x), dtype=np.int64) if lo is None else lo
    hi = per_gpu if hi is None else hi
    k = np.clip(np.floor(x + 1e-9).astype(np.int64), lo, hi)
    used = [k.sum()] if len(units) == 1 else np.bincount(group, weights=k, minlength=len(units))
    spare = np.asarray(capacity_units, dtype=np.int64) - np.asarray(used).astype(np.int64)
    room = np.flatnonzero((k < hi) & (spare[group] > 0))
    if len(room) == 0:
        return k
    rem = (x - np.floor(x + 1e-9))[room]
    # one float sort by (slot, decreasing remainder): slot + (1 − rem)/2 keeps slots apart
    order = np.argsort(group[room] + 0.5 * (1.0 - rem))
    g_sorted = group[room][order]
    first = np.searchsorted(g_sorted, g_sorted, side="left")
    rank = np.arange(len(order)) - first
    k[room[order[rank < spare[g_sorted]]]] += 1
    return k


def _quantise_one(
    shares: np.ndarray, U: int, capacity_units: int, lo: np.ndarray | None, hi: np.ndarray | None
) -> np.ndarray:
    """:func:`quantise_groups` on one slot of U units per GPU: the same floors and the same
    largest remainders, in place and without per-agent gathers. O(N): the take-th largest
    remainder by ``np.partition`` (values, not indices), then every agent above it and, of
    those equal to it, the first in file order."""
    x = np.asarray(shares, dtype=float) * U
    fl = x + 1e-9
    np.floor(fl, out=fl)
    k = fl.astype(np.int64)
    np.clip(k, 1 if lo is None else lo, U if hi is None else hi, out=k)
    spare = int(capacity_units) - int(k.sum())
    if spare <= 0:
        return k
    below = k < (U if hi is None else hi)
    n_room = int(np.count_nonzero(below))
    if n_room == 0 or spare >= n_room:
        k += below
        return k
    fl -= x  # ⌊x⌋ − x = −(x − ⌊x⌋) exactly: the negated remainders, without a copy
    if n_room < len(k):
        fl[~below] = np.inf  # agents at hi never take a unit
    return _add_to_smallest(k, fl, spare)


def _add_to_smallest(k: np.ndarray, key: np.ndarray, take: int) -> np.ndarray:
    """k + 1 on the ``take`` smallest entries of ``key`` (ties: first in order). O(N)."""
    cut = np.partition(key, take - 1)[take - 1]
    under = key < cut
    k += under
    short = take - int(np.count_nonzero(under))
    if short > 0:
        k[np.flatnonzero(key == cut)[:short]] += 1
    return k


def sqrt_waterfill_shares(
    lam: np.ndarray,
    mu: np.ndarray,
    weight: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    capacity: float,
    rho_max: float,
    rel_tol: float = 1e-13,
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
    Σ s_i(c) is non-decreasing in c; bisection finds the level that fills G (to ``rel_tol``
    relative: about 45 steps after doubling a bracket at 1e-13, 20 at 1e-6). Never below lo.
    O(N log N): one sort of the agents by c*, then O(active agents) a step.
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

    full = fill(np.inf)
    if lo.sum() >= capacity or full.sum() <= capacity:
        return full if full.sum() <= capacity else lo.copy()
    total = _filled_total(lam[lifted] / mu[lifted], root[lifted], c_star[lifted], lo, hi, lifted)
    c_lo, c_hi = 0.0, 1.0
    while total(c_hi) < capacity and c_hi < 1e15:
        c_hi *= 2
    while c_hi - c_lo > rel_tol * c_hi:  # about 45 halvings from the bracket at 1e-13
        c = 0.5 * (c_lo + c_hi)
        if total(c) > capacity:
            c_hi = c
        else:
            c_lo = c
    return fill(c_lo)


def _filled_total(base, root, c_star, lo, hi, lifted) -> Callable[[float], float]:  # noqa: ANN001
    """Σ s_i(c) of :func:`sqrt_waterfill_shares` at a finite level c, computed on the lifted
    agents only (the others stay at lo) in place: four passes over them a call."""
    lo_l, hi_l = lo[lifted], hi[lifted]
    fixed = float(lo[~lifted].sum())
    order = np.argsort(c_star, kind="stable")
    base, root, lo_l, hi_l, c_star = (x[order] for x in (base, root, lo_l, hi_l, c_star))
    floors = np.concatenate([[0.0], np.cumsum(lo_l)])
    work = np.empty_like(base)

    def total(c: float) -> float:
        active = int(np.searchsorted(c_star, c, side="right"))  # c ≥ c*_i
        w = work[:active]
        np.multiply(root[:active], c, out=w)
        w += base[:active]
        np.maximum(w, lo_l[:active], out=w)  # = np.clip (hi ≥ lo), without its overhead
        np.minimum(w, hi_l[:active], out=w)
        return fixed + float(w.sum()) + float(floors[-1] - floors[active])

    return total


# -- instance-level wrappers --------------------------------------------------------------------
def _per_slot(
    inst: GpuShareInstance,
    method: str,
    allocate: Callable[[np.ndarray], np.ndarray],
    where: np.ndarray | None = None,
) -> Plan:
    """Place agents (``where``: slot index per agent, default :func:`place`), then
    ``allocate(where) -> units`` of every agent; in a pool, models go onto its GPUs by
    :func:`pool_hosts`. O(N) outside the allocator and packing."""
    where = place(inst) if where is None else where
    k = allocate(where)
    t = slot_arrays(inst)
    if len(t.names) == 1:  # one slot: no gathers, no sort
        host = pool_hosts(inst, None, 0, int(k.sum()))
        return Plan(method, [t.names[0]] * len(k), k / t.units[0], host)
    host = np.zeros(len(inst.agents), dtype=np.int64)
    pools = np.flatnonzero(t.scale > 1)
    for g, idx in each_slot(where, pools) if len(pools) else ():
        host[idx] = pool_hosts(inst, idx, int(g), int(k[idx].sum()))
    return Plan(method=method, slot=t.names[where].tolist(), share=k / t.units[where], host=host)


def required_units(inst: GpuShareInstance) -> tuple[np.ndarray, np.ndarray]:
    """(classes × agents) smallest admissible units (min share, SLO, memory; U+1 if none) and
    the class of every slot: one row per :func:`~ecoopt.gpushare.model.admission_class`, since
    slots of one class admit the same levels. Built once per instance (O(G) Python over the
    slots, 0.15 s at 10⁵ GPUs), like :func:`~ecoopt.gpushare.model.min_units` itself."""
    cache = inst.min_units_cache
    if "required_units" not in cache:
        keys = [admission_class(s.gpu) for s in inst.slots]
        first = {k: g for g, k in reversed(list(enumerate(keys)))}
        row = {k: r for r, k in enumerate(first)}
        req = np.array([min_units(inst, g) for g in first.values()])
        cache["required_units"] = (req, np.array([row[k] for k in keys], dtype=np.int64))
    return cache["required_units"]


def place(inst: GpuShareInstance) -> np.ndarray:
    """Slot index per agent: worst-fit decreasing by required share, respecting memory.

    One slot: everyone there. Otherwise agents in decreasing order of required share (GPUs,
    the least over slots) are dealt in rounds of G: in each round the r-th agent goes to the
    slot with the r-th most free capacity when it is admissible there (units, free capacity,
    memory); an agent that is not takes the admissible slot with the most free capacity after
    the round's others, and an agent no slot admits keeps the slot the round dealt it. This
    balances load as the usual worst-fit of schedulers does, with one sort of G slots a round:
    O(N log G) when rounds succeed, O(G) more for each agent that falls back.
    """
    G, n = len(inst.slots), len(inst.agents)
    if G == 1:
        return np.zeros(n, dtype=np.int64)
    wf = _WorstFit.start(inst)
    order = np.argsort(-wf.need.min(axis=0), kind="stable")
    nowhere = (wf.req > wf.class_units[:, None]).all(axis=0)  # inadmissible on every slot
    for first in range(0, n, G):
        batch = order[first : first + G]
        slots = np.argsort(-wf.free, kind="stable")[: len(batch)]
        ok = wf.admits(batch, slots) | nowhere[batch]
        wf.assign(batch[ok], slots[ok])
        for i in batch[~ok]:
            wf.assign(np.array([i]), np.array([wf.freest_admitting(i)]))
    return wf.out


def place_one_by_one(inst: GpuShareInstance) -> np.ndarray:
    """Worst-fit decreasing exactly as the paper's schedulers run it: each agent, in decreasing
    order of required share, to the admissible slot with the most free capacity at that moment
    (the freest slot if none admits it). O(N·G); :func:`place` deals the same order in rounds.
    """
    G, n = len(inst.slots), len(inst.agents)
    if G == 1:
        return np.zeros(n, dtype=np.int64)
    wf = _WorstFit.start(inst)
    for i in np.argsort(-wf.need.min(axis=0), kind="stable"):
        wf.assign(np.array([i]), np.array([wf.freest_admitting(int(i))]))
    return wf.out


@dataclass
class _WorstFit:
    """The state of :func:`place`: free capacity (GPUs) and memory (bytes) of every slot."""

    memory: np.ndarray  # (N,) bytes of each agent's model
    req: np.ndarray  # (classes, N) smallest admissible units
    need: np.ndarray  # (classes, N) the same in GPUs
    cls: np.ndarray  # (G,) admission class of each slot
    class_units: np.ndarray  # (classes,) units per GPU of the class
    slot_units: np.ndarray  # (G,)
    free: np.ndarray  # (G,) GPUs of capacity not yet taken
    mem_free: np.ndarray  # (G,) bytes not yet taken
    out: np.ndarray  # (N,) slot of each agent

    @classmethod
    def start(cls_, inst: GpuShareInstance) -> _WorstFit:
        t = slot_arrays(inst)
        req, cls = required_units(inst)
        class_units = np.zeros(len(req), dtype=np.int64)
        class_units[cls] = t.units
        return cls_(
            inst.arrays.memory, req, req / class_units[:, None], cls, class_units, t.units,
            t.scale.astype(float), t.memory.copy(), np.zeros(len(inst.agents), dtype=np.int64),
        )  # fmt: skip

    def admits(self, agents: np.ndarray, slots: np.ndarray) -> np.ndarray:
        """Whether each agent fits its paired slot: admissible units, free capacity, memory."""
        return (
            (self._of(self.req, slots, agents) <= self.slot_units[slots])
            & (self._of(self.need, slots, agents) <= self.free[slots] + 1e-9)
            & (self.memory[agents] <= self.mem_free[slots])
        )

    def _of(self, table: np.ndarray, slots: np.ndarray, agents: np.ndarray) -> np.ndarray:
        """``table[class of slot, agent]`` for paired slots and agents (one class, as on
        identical GPUs: a 1-D gather, not a 2-D one)."""
        return table[0][agents] if len(table) == 1 else table[self.cls[slots], agents]

    def assign(self, agents: np.ndarray, slots: np.ndarray) -> None:
        """Put ``agents`` on ``slots`` (distinct slots) and take their needs off the slots."""
        self.out[agents] = slots
        self.free[slots] -= np.minimum(self._of(self.need, slots, agents), 1.0)
        self.mem_free[slots] -= self.memory[agents]

    def freest_admitting(self, i: int) -> int:
        """The admissible slot with the most free capacity for agent i (the freest if none)."""
        if len(self.class_units) == 1:  # one class: scalars, no gathers over the G slots
            ok = (self.need[0, i] <= self.free + 1e-9) & (self.memory[i] <= self.mem_free)
            ok &= bool(self.req[0, i] <= self.class_units[0])
        else:
            ok = (self.req[:, i] <= self.class_units)[self.cls]
            ok &= (self.need[:, i][self.cls] <= self.free + 1e-9) & (
                self.memory[i] <= self.mem_free
            )
        return int(np.argmax(np.where(ok, self.free, -np.inf) if ok.any() else self.free))


def each_slot(where: np.ndarray, only: np.ndarray | None = None):  # noqa: ANN201
    """(slot, agent indices) of every occupied slot (or of those in ``only``), agents in file
    order: one stable sort, O(N log N), instead of one scan of all agents per slot."""
    if len(where) and where.min() == where.max():  # one slot: no sort
        g = int(where[0])
        if only is None or g in only:
            yield g, np.arange(len(where))
        return
    order = np.argsort(where, kind="stable")
    sorted_where = where[order]
    slots, starts = np.unique(sorted_where, return_index=True)
    ends = np.append(starts[1:], len(order))
    keep = np.ones(len(slots), dtype=bool) if only is None else np.isin(slots, only)
    for g, a, b in zip(slots[keep], starts[keep], ends[keep]):
        yield int(g), order[a:b]


def slot_by_slot(
    allocate: Callable[[np.ndarray, int], np.ndarray],
) -> Callable[[np.ndarray], np.ndarray]:
    """An allocator of every agent from one of a slot's agents: ``allocate(idx, g)`` gives the
    units of agents ``idx`` on slot g."""

    def every_slot(where: np.ndarray) -> np.ndarray:
        k = np.zeros(len(where), dtype=np.int64)
        for g, idx in each_slot(where):
            k[idx] = allocate(idx, g)
        return k

    return every_slot


@dataclass(frozen=True)
class SlotArrays:
    """The slots' fields as arrays (placement slot g in ``inst.slots`` order)."""

    names: np.ndarray  # object array of slot names
    gpu_type: np.ndarray  # index into inst.gpus
    scale: np.ndarray  # GPUs in the slot (1, or the pool's count)
    units: np.ndarray  # share units per GPU
    capacity: np.ndarray  # share units of the whole slot
    memory: np.ndarray  # bytes of the whole slot


def slot_arrays(inst: GpuShareInstance) -> SlotArrays:
    """:class:`SlotArrays` of ``inst``, built once per instance."""
    cache = inst.min_units_cache
    if "slot_arrays" not in cache:
        s = inst.slots
        cache["slot_arrays"] = SlotArrays(
            names=np.array([x.name for x in s], dtype=object),
            gpu_type=np.array([x.gpu_index for x in s], dtype=np.int64),
            scale=np.array([x.scale for x in s], dtype=np.int64),
            units=np.array([x.units_per_gpu for x in s], dtype=np.int64),
            capacity=np.array([x.capacity_units for x in s], dtype=np.int64),
            memory=np.array([x.memory_bytes for x in s], dtype=float),
        )
    return cache["slot_arrays"]


def pool_hosts(
    inst: GpuShareInstance, idx: np.ndarray | None, g: int, units_used: int = 0
) -> np.ndarray:
    """GPU of its slot for each model of ``idx`` (None: every agent), whose shares take
    ``units_used`` units of slot g (``packing.pack_models``, told the ⌈units_used / U⌉ GPUs the
    compute powers anyway; all on GPU 0 when the models do not fit, which the evaluator then
    reports)."""
    slot = inst.slots[g]
    memory = inst.arrays.memory if idx is None else inst.arrays.memory[idx]
    if slot.scale == 1:
        return np.zeros(len(memory), dtype=np.int64)
    powered = -(-int(units_used) // slot.units_per_gpu)
    host = pack_models(memory, slot.gpu.memory_bytes, slot.scale, powered=powered)
    return np.zeros(len(memory), dtype=np.int64) if host is None else host


def adaptive(inst: GpuShareInstance, objective: str | None = None) -> Plan:
    """The paper's allocator per GPU, quantised; notes the agents its rescale pushes below R_i.

    All slots at once (:func:`adaptive_shares` with sums per slot).

    Cost: O(N) on one slot: one pass over the agents and a partition to whole units.

    Misses: the objective and the latency SLOs (it shares by demand and priority alone), and
    its rescale can push agents below their minimum share, so its plan is often infeasible."""
    a = inst.arrays
    t = slot_arrays(inst)
    out: list[np.ndarray] = []

    def alloc(where: np.ndarray) -> np.ndarray:
        out.append(adaptive_shares(a.lam, a.min_share, a.priority, t.scale, where))
        return quantise_groups(out[0], where, t.units, t.capacity)

    plan = _per_slot(inst, "adaptive", alloc)
    plan.raw_share = raw = out[0]
    # max(R, d) ≥ R exactly, so only a rescaled share can fall below R: test that first
    if (raw < a.min_share).any() and (bad := raw < a.min_share - GRID).any():
        broken = np.flatnonzero(bad)
        names = [a.names[i] for i in broken[:12]]
        plan.notes.append("rescale broke min_share of: " + listing(names, total=len(broken)))
    return plan


def static_equal(inst: GpuShareInstance, objective: str | None = None) -> Plan:
    """Every agent on a GPU gets an equal share of it (a baseline of the paper).

    Cost: O(N): a count of agents per slot and a division.

    Misses: everything an agent asks for: its demand, its minimum share, its SLO and the
    objective; infeasible wherever an agent needs more than the equal share."""
    t = slot_arrays(inst)

    def alloc(where: np.ndarray) -> np.ndarray:
        count = np.bincount(where, minlength=len(t.scale))
        return quantise_groups(t.scale[where] / count[where], where, t.units, t.capacity)

    return _per_slot(inst, "static_equal", alloc)


def round_robin(inst: GpuShareInstance, objective: str | None = None) -> Plan:
    """Whole-GPU time slicing rotating every ``simulation.step_s`` (a baseline of the paper).

    Its static plan is the time-average share 1/n; the evaluator adds the wait for one's turn and
    the simulator replays the actual rotation.

    Cost: O(N), as :func:`static_equal`.

    Misses: what :func:`static_equal` misses, and each agent also waits for its turn, so SLOs
    break that an equal share would have met.
    """
    plan = static_equal(inst)
    plan.method = "round_robin"
    plan.time_slice = True
    return plan


def _local_search(
    inst: GpuShareInstance,
    objective: str,
    idx: np.ndarray,
    g: int,
    k: np.ndarray,
    lo: np.ndarray,
    hi: np.ndarray,
    max_moves: int,
    known: tuple[np.ndarray, np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Improve an allocation by unit moves in rounds until no single move improves it.

    A round applies, at once, one kind of move, each to distinct agents (the costs are
    separable, so improving moves on distinct agents improve together): drop a unit from every
    agent whose loss of one unit is negative; else give the spare units to the agents with the
    largest positive gains of one more unit, one each; else move a unit from the r-th cheapest
    donor to the r-th dearest receiver for every r where that improves (pairs sharing an agent
    left out; if all are, the single best move). Only agents whose units changed are priced
    again (:func:`_slot_cost`): O(N) array work a round plus O(changed) costs, ≤
    ``max_moves`` units moved.

    Stops when no drop, no add of a spare unit and no move of a unit between two agents
    improves. For costs convex in the share (all four objectives here) such an allocation is
    optimal on one GPU (separable convex resource allocation), so the search ends at the
    optimum when it converges within its budget. ``known`` = (k0, gain, loss): the marginals
    at units k0 already computed, reused for the agents whose k is k0.
    """
    m = _Marginals(inst, objective, idx, g, k.copy(), lo, hi, known)
    spare = inst.slots[g].capacity_units - int(m.k.sum())
    moved = 0
    while moved < max_moves:
        drop = np.flatnonzero(m.loss < -_TOL)
        if len(drop) == 0 and spare > 0:
            add = np.flatnonzero(m.gain > _TOL)
            if len(add) > spare:
                add = add[np.argpartition(-m.gain[add], spare - 1)[:spare]]
        else:
            add = np.zeros(0, dtype=np.int64)
        if len(drop) == 0 and len(add) == 0:
            drop, add = _improving_pairs(m)
        if len(drop) == 0 and len(add) == 0:
            break
        spare += len(drop) - len(add)
        moved += max(len(drop), len(add))
        m.change(drop, -1)
        m.change(add, +1)
    return m.k


_TOL = 1e-15  # absolute improvement a move must bring (costs are of order 1 or more)


class _Marginals:
    """Units ``k`` of agents ``idx`` on slot g with the change of cost of one unit more
    (``gain``, > 0 helps; −inf at hi) and one unit less (``loss``, < 0 helps; +inf at lo)."""

    def __init__(self, inst, objective, idx, g, k, lo, hi, known=None) -> None:  # noqa: ANN001
        self.inst, self.objective, self.idx, self.g = inst, objective, idx, g
        self.k, self.lo, self.hi = k, lo, hi
        self.cost = _slot_cost(inst, objective, idx, g)
        self.gain = np.empty(len(k))
        self.loss = np.empty(len(k))
        self.last_pairs = 0  # moves of the last round of pairs (sizes the next one's sort)
        if known is None:
            self.price(np.arange(len(k)))
        else:  # (k0, gain, loss) at k0 (:func:`_start_gains`): price the others only
            k0, self.gain[:], self.loss[:] = known
            self.price(np.flatnonzero(k != k0))

    def price(self, j: np.ndarray) -> None:
        """Recompute gain and loss of agents j (positions in ``idx``) at their units."""
        if len(j) == 0:
            return
        U = self.inst.slots[self.g].units_per_gpu
        k = self.k[j]
        at = None if len(j) == len(self.k) else j  # every agent: no gathers

        def value(units: np.ndarray) -> np.ndarray:
            return self.cost(at, units)

        cur = value(k)
        up, down = value(np.minimum(k + 1, U)), value(np.maximum(k - 1, 1))
        self.gain[j] = np.where(k < self.hi[j], cur - up, -np.inf)
        self.loss[j] = np.where(k > self.lo[j], down - cur, np.inf)

    def change(self, j: np.ndarray, step: int) -> None:
        self.k[j] += step
        self.price(j)


def _improving_pairs(m: _Marginals) -> tuple[np.ndarray, np.ndarray]:
    """(donors, receivers): the r-th smallest loss paired with the r-th largest gain while
    the move improves (gain > loss, relative tolerance), pairs sharing an agent dropped;
    the single best move when every pair shares one.

    Only the K largest gains and K smallest losses are sorted (``argpartition``, O(N)), K
    twice the last round's pairs and doubled while all K pairs improve: O(N + K log K)."""
    none = np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    if not (np.isfinite(m.gain).any() and np.isfinite(m.loss).any()):
        return none
    # only a gain above the least loss, or a loss below the largest gain, can be in a move
    receivers = np.flatnonzero(np.isfinite(m.gain) & (m.gain > m.loss.min()))
    donors = np.flatnonzero(np.isfinite(m.loss) & (m.loss < m.gain.max()))
    if len(receivers) == 0 or len(donors) == 0:
        return none
    n = min(len(receivers), len(donors))
    K = min(n, max(16, 2 * m.last_pairs))
    while True:
        r, d = _extreme(receivers, -m.gain, K), _extreme(donors, m.loss, K)
        gain, loss = m.gain[r], m.loss[d]
        good = gain > loss + _TOL * np.maximum(1.0, np.abs(gain))
        if good.all() and K < n:
            K = min(n, 2 * K)
            continue
        break
    last = int(np.argmin(good)) if not good.all() else len(good)
    if last == 0:
        return _best_single_move(m, r, d)
    r, d = r[:last], d[:last]
    keep = ~np.isin(r, d) & ~np.isin(d, r)
    m.last_pairs = int(keep.sum())
    if not keep.any():
        return _best_single_move(m, r, d)
    return d[keep], r[keep]


def _extreme(agents: np.ndarray, key: np.ndarray, K: int) -> np.ndarray:
    """The K of ``agents`` with the smallest ``key``, sorted by it (ties by position)."""
    if K < len(agents):
        agents = np.sort(agents[np.argpartition(key[agents], K - 1)[:K]])
    return agents[np.argsort(key[agents], kind="stable")][:K]


def _best_single_move(m: _Marginals, receivers, donors) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """The best move of one unit between two different agents, if it improves."""
    j = receivers[0]
    i = donors[0] if donors[0] != j else (donors[1] if len(donors) > 1 else -1)
    alt_j = receivers[1] if len(receivers) > 1 else -1
    best = []
    for a, b in ((i, j), (donors[0], alt_j)):
        if a >= 0 and b >= 0 and a != b:
            gain, loss = m.gain[b], m.loss[a]
            if gain > loss + _TOL * max(1.0, abs(gain)):
                best.append((gain - loss, a, b))
    if not best:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    _, a, b = max(best)
    return np.array([a]), np.array([b])


# -- the exact allocation on one slot, by a price threshold -------------------------------------
Cost = Callable[[np.ndarray | None, np.ndarray], np.ndarray]


def _slot_cost(inst: GpuShareInstance, objective: str, idx: np.ndarray, g: int) -> Cost:
    """``cost(j, units)``: the objective contribution of agents ``idx[j]`` (positions; None:
    all) at ``units`` on slot g, as a quantity to minimise; the agents' fields gathered once."""
    a, slot = inst.arrays, inst.slots[g]
    U = slot.units_per_gpu
    _, per_share, price, _ = slot_rates(slot)
    w, lam, mu = a.weights[idx], a.lam[idx], a.mu[idx] * slot.gpu.speed
    rho, horizon = inst.overload_rho, inst.overload_horizon_s
    rate = price if objective == "cost" else per_share

    def cost(j: np.ndarray | None, units: np.ndarray) -> np.ndarray:
        at = slice(None) if j is None else j
        share = units / U
        if objective == "latency":
            return w[at] * latency_s(share, lam[at], mu[at], rho, horizon)
        if objective == "throughput":
            return -served_rps(share, lam[at], mu[at])
        return rate * share  # cost or carbon

    return cost


def _units_at_price(
    gain: Cost, price: float, low: np.ndarray, high: np.ndarray, guess: np.ndarray
) -> np.ndarray:
    """Units every agent takes at ``price``: the smallest k in [low, high] with k = high or
    gain(k) ≤ price, given that the answer lies in [low, high] (gain(k) = cost(k) − cost(k+1)
    does not increase with k: convex costs).

    A search per agent, vectorised: it probes ``guess``, then the neighbour on the answer's side,
    then halves. An agent whose answer is its guess costs two gain evaluations; one at distance
    d costs O(log d + log(high − low)).
    """
    a, b = low.copy(), high.copy()
    nxt = np.asarray(guess, dtype=np.int64).copy()
    j = np.flatnonzero(a < b)
    step = 0
    while len(j):
        aj, bj = a[j], b[j]
        p = np.clip(nxt[j], aj, bj - 1) if step < 2 else (aj + bj) // 2
        le = gain(j, p) <= price  # the answer is ≤ p
        b[j] = np.where(le, p, bj)
        a[j] = np.where(le, aj, p + 1)
        nxt[j] = np.where(le, p - 1, p + 1)
        j = j[a[j] < b[j]]
        step += 1
    return a


@dataclass
class _PriceBracket:
    """Prices λ_lo < λ* ≤ λ_hi around the threshold, with the exact units at both: ``k_hi`` =
    k(λ_hi) (Σ ≤ capacity) and ``k_lo`` = k(λ_lo) (Σ > capacity; before the first such count,
    the upper bounds ``hi`` at λ_lo = 0). k(λ) is non-increasing, so k_hi ≤ k(λ) ≤ k_lo for
    every λ between."""

    price_lo: float
    k_lo: np.ndarray
    price_hi: float
    k_hi: np.ndarray
    exact_lo: bool = False

    def add(self, price: float, k: np.ndarray, capacity: int) -> bool:
        """Record k = k(price); True if it is the new low end (too many units)."""
        if int(k.sum()) > capacity:
            self.price_lo, self.k_lo, self.exact_lo = price, k, True
            return True
        self.price_hi, self.k_hi = price, k
        return False

    def inside(self, price: float) -> bool:
        low_ok = price > self.price_lo or (price == 0.0 and not self.exact_lo)
        return low_ok and price < self.price_hi


def _next_price(
    gain: Cost, br: _PriceBracket, capacity: int, from_low: bool, start: tuple
) -> float:
    """The next price to count at, from the end just counted (one unit per agent, exactly).

    From k_lo (r units too many): the r-th smallest value of an agent's last unit above k_hi,
    at which at least r agents give one up (Σ ≤ capacity there). From k_hi (r units short): just
    below the r-th largest gain of an agent's next unit below k_lo, at which at least r agents
    take one more (Σ ≥ capacity), or 0 when fewer than r such gains are positive. Bisection
    when that price is not strictly inside the bracket. One gain per agent in the window, but
    none for an agent still at its start (``start`` = (k0, up, down): its gains there).
    """
    j = np.flatnonzero(br.k_lo > br.k_hi)
    price = np.nan
    if from_low and len(j):
        r = int(br.k_lo.sum()) - capacity
        v = _gains_at(gain, j, br.k_lo[j] - 1, start[0][j] - 1, start[2][j])
        price = float(np.partition(v, r - 1)[r - 1]) if r <= len(v) else float(v.max())
    elif len(j):
        r = capacity - int(br.k_hi.sum())
        u = _gains_at(gain, j, br.k_hi[j], start[0][j], start[1][j])
        top = float(-np.partition(-u, r - 1)[r - 1]) if r <= len(u) else 0.0
        price = max(float(np.nextafter(top, -np.inf)), 0.0) if top > 0 else 0.0
    if br.inside(price):
        return price
    if np.isinf(br.price_hi):
        return 2.0 * br.price_lo + 1.0
    return 0.5 * (br.price_lo + br.price_hi)


def _gains_at(
    gain: Cost, j: np.ndarray, k: np.ndarray, known_k: np.ndarray, known: np.ndarray
) -> np.ndarray:
    """gain(j, k), evaluated only where k is not ``known_k`` (whose gains are ``known``)."""
    out = known.copy()
    new = np.flatnonzero(k != known_k)
    if len(new):
        out[new] = gain(j[new], k[new])
    return out


def _first_price(up: np.ndarray, down: np.ndarray, target: int) -> float:
    """The least price λ ≥ 0 at which moving every agent by at most one unit from its start
    (one more if its next unit gains ``up`` > λ, one less if its last unit gains ``down`` ≤ λ)
    changes Σ units by at most ``target``: D(λ) = #{up > λ} − #{down ≤ λ} ≤ target.

    D is non-increasing and changes only at the values of ``up`` and ``down``: two sorts, then
    binary searches over them. O(N log N).
    """
    ups, downs = np.sort(up[np.isfinite(up)]), np.sort(down[np.isfinite(down)])

    def moved(x: float) -> int:
        above = len(ups) - int(np.searchsorted(ups, x, side="right"))
        return above - int(np.searchsorted(downs, x, side="right"))

    if moved(0.0) <= target:
        return 0.0
    best = np.inf
    for values in (ups, downs):
        i, j = int(np.searchsorted(values, 0.0, side="right")), len(values)
        while i < j:
            mid = (i + j) // 2
            if moved(float(values[mid])) <= target:
                j = mid
            else:
                i = mid + 1
        if i < len(values):
            best = min(best, float(values[i]))
    if np.isinf(best):  # even one unit off every agent is not enough: the largest value
        best = float(max(ups.max(initial=0.0), downs.max(initial=0.0)))
    return best


def _take_largest(gain: Cost, k_hi: np.ndarray, k_lo: np.ndarray, r: int) -> np.ndarray:
    """``k_hi`` plus the r largest positive gains among every agent's levels k_hi … k_lo − 1
    (each agent's gains do not increase, so what it takes is a prefix). O(D) for D levels."""
    width = k_lo - k_hi
    j = np.flatnonzero(width > 0)
    if r <= 0 or len(j) == 0:
        return k_hi
    rows = np.repeat(j, width[j])
    first = np.cumsum(width[j]) - width[j]
    levels = k_hi[rows] + np.arange(len(rows)) - np.repeat(first, width[j])
    g = gain(rows, levels)
    pos = np.flatnonzero(g > 0)
    if len(pos) > r:
        pos = pos[np.argpartition(-g[pos], r - 1)[:r]]
    return k_hi + np.bincount(rows[pos], minlength=len(k_hi))


def _start_gains(
    cost: Cost, lo: np.ndarray, hi: np.ndarray, k0: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(up, down) at units k0 (lo ≤ k0 ≤ hi): the gain of one unit more (−inf at hi) and the
    value of the last unit (+inf at lo), as :class:`_Marginals` prices them (three costs)."""
    c0 = cost(None, k0)
    up = np.where(k0 < hi, c0 - cost(None, np.minimum(k0 + 1, hi)), -np.inf)
    down = np.where(k0 > lo, cost(None, np.maximum(k0 - 1, lo)) - c0, np.inf)
    return up, down


def _optimal_units(
    cost: Cost,
    lo: np.ndarray,
    hi: np.ndarray,
    capacity: int,
    start: np.ndarray,
    start_gains: tuple[np.ndarray, np.ndarray] | None = None,
) -> np.ndarray:
    """Units minimising Σ cost_i(k_i) over lo ≤ k ≤ hi, Σ k ≤ ``capacity``, for costs convex in
    k: the capacity − Σ lo largest positive marginal gains (marginal-allocation theorem), found
    by a price instead of one unit at a time.

    At a price λ ≥ 0 every agent takes the units whose gain exceeds λ, k(λ)
    (:func:`_units_at_price`), and Σ k(λ) falls as λ rises. The search counts k(λ) first at the
    first-order price of ``start`` (:func:`_first_price`; the start's own gains settle most agents
    with no evaluation), then at prices from the counts' ends (:func:`_next_price`), keeping a
    bracket λ_lo < λ* ≤ λ_hi (:class:`_PriceBracket`), until Σ k(λ) = capacity, or λ = 0 fits,
    or the window between the two ends holds ≤ 4N + 1024 levels: then it takes the largest
    gains of the window (:func:`_take_largest`). From the water-filling start a few counts
    suffice, each a few gain evaluations per agent: O(N log N) with the sorts. A window still
    wide after 64 counts returns k(λ_hi), feasible, for the local search to finish.
    ``start_gains``: :func:`_start_gains` at the start clipped to [lo, max(hi, lo)], if known.
    """
    hi = np.maximum(hi, lo)
    if capacity - int(lo.sum()) <= 0 or not bool((hi > lo).any()):
        return lo.copy()

    def gain(j: np.ndarray | None, k: np.ndarray) -> np.ndarray:
        return cost(j, k) - cost(j, k + 1)

    k0 = np.clip(start, lo, hi)
    up, down = _start_gains(cost, lo, hi, k0) if start_gains is None else start_gains
    price = _first_price(up, down, capacity - int(k0.sum()))
    low = np.where(up > price, k0 + 1, np.where(down > price, k0, lo))
    high = np.where(down <= price, k0 - 1, np.where(up <= price, k0, hi))
    br, guess = _PriceBracket(0.0, hi.copy(), np.inf, lo.copy()), k0
    for _ in range(64):
        k = _units_at_price(gain, price, low, high, guess)
        total = int(k.sum())
        if total == capacity or (price == 0.0 and total <= capacity):
            return k
        from_low = br.add(price, k, capacity)
        if int((br.k_lo - br.k_hi).sum()) <= 4 * len(k) + 1024:
            break
        price = _next_price(gain, br, capacity, from_low, (k0, up, down))
        low, high, guess = br.k_hi, br.k_lo, k
    if int((br.k_lo - br.k_hi).sum()) > 64 * len(k) + 4096:
        return br.k_hi
    return _take_largest(gain, br.k_hi, br.k_lo, capacity - int(br.k_hi.sum()))


def _unit_bounds(inst: GpuShareInstance, idx: np.ndarray, g: int) -> tuple[np.ndarray, np.ndarray]:
    """Smallest admissible units (min share, SLO; capped at U) and largest (max share)."""
    U = inst.slots[g].units_per_gpu
    lo = np.minimum(min_units(inst, g)[idx], U)
    hi = unit_bounds(inst.arrays.min_share[idx], inst.arrays.max_share[idx], U)[1]
    return lo, hi


def _water_start(
    inst: GpuShareInstance,
    idx: np.ndarray,
    g: int,
    lo: np.ndarray,
    hi: np.ndarray,
    rel_tol: float = 1e-13,
) -> tuple[np.ndarray, np.ndarray]:
    """(shares, units): :func:`sqrt_waterfill_shares` of agents ``idx`` on slot g (water level
    to ``rel_tol``) and its floor to whole units within [lo, hi]."""
    a, slot = inst.arrays, inst.slots[g]
    U = slot.units_per_gpu
    s = sqrt_waterfill_shares(
        a.lam[idx], a.mu[idx] * slot.gpu.speed, a.weights[idx], lo / U, hi / U,
        float(slot.scale), inst.overload_rho, rel_tol,
    )  # fmt: skip
    return s, np.clip(np.floor(s * U + 1e-9).astype(np.int64), lo, np.maximum(hi, lo))


def _exact_units(
    inst: GpuShareInstance,
    objective: str,
    idx: np.ndarray,
    g: int,
    lo: np.ndarray,
    hi: np.ndarray,
    start: np.ndarray,
) -> np.ndarray:
    """The optimum of agents ``idx`` on slot g from ``start`` (:func:`_optimal_units`), then
    :func:`_local_search` as its certificate: it stops at once when no drop, add or move of a
    unit improves, and otherwise finishes the job unit by unit."""
    cap = inst.slots[g].capacity_units
    cost = _slot_cost(inst, objective, idx, g)
    k0 = np.clip(start, lo, np.maximum(hi, lo))
    up, down = _start_gains(cost, lo, np.maximum(hi, lo), k0)
    k = _optimal_units(cost, lo, hi, cap, k0, (up, down))
    budget = 2 * len(idx) + cap
    return _local_search(inst, objective, idx, g, k, lo, hi, budget, known=(k0, up, down))


def greedy_marginal(inst: GpuShareInstance, objective: str | None = None) -> Plan:
    """The marginal greedy's allocation: every agent at its smallest admissible level, then
    the spare units to the largest improvements of the objective, one unit at a time, while any
    improves and capacity remains.

    Exact on one GPU when each agent's cost is convex in its share (true for all four
    objectives under the tangent-continued M/M/1 model): the classic marginal-allocation
    theorem for separable convex resource allocation. Computed, with the same result, by the
    price threshold of :func:`_optimal_units` from a coarse water-filling start (level to 1e-6)
    rather than unit by unit. On several GPUs agents are first placed by
    :func:`~ecoopt.gpushare.placement.place_for_objective`.

    Cost: O(N log N) per GPU for the allocation; the placement on several GPUs does
    O(N log G) slot and pair evaluations above 24 slots, each a numpy call, which dominates.

    Misses: nothing on one GPU (exact for convex costs); on several GPUs the placement is a
    local search, a small gap to the optimum (``benchmarks/gpushare_placement.py``).
    """
    objective = objective or inst.objective

    def alloc(idx: np.ndarray, g: int) -> np.ndarray:
        lo, hi = _unit_bounds(inst, idx, g)
        start = _water_start(inst, idx, g, lo, hi, rel_tol=1e-6)[1]  # only a start
        return _exact_units(inst, objective, idx, g, lo, hi, start)

    where = place_for_objective(inst, objective)
    return _per_slot(inst, "greedy_marginal", slot_by_slot(alloc), where)


def sqrt_waterfill(inst: GpuShareInstance, objective: str | None = None) -> Plan:
    """Our allocator: the continuous square-root water-filling of
    :func:`sqrt_waterfill_shares`, floored to whole units (never below an agent's smallest
    admissible level: min share and SLO), then improved to the one-GPU optimum: the price
    threshold of :func:`_optimal_units` from that start, and :func:`_local_search` (drop, add or
    move a unit) until no move helps. Never breaks a minimum share. On several GPUs agents are
    first placed by :func:`~ecoopt.gpushare.placement.place_for_objective`.

    Cost: O(N log N) per GPU for the allocation (a sort for the water level, then the price
    threshold); the placement on several GPUs as in :func:`greedy_marginal`.

    Misses: as :func:`greedy_marginal`: nothing on one GPU, a small placement gap on several
    (``benchmarks/gpushare_placement.py``)."""
    objective = objective or inst.objective
    a = inst.arrays
    raw = np.zeros(len(a.names))

    def alloc(idx: np.ndarray, g: int) -> np.ndarray:
        lo, hi = _unit_bounds(inst, idx, g)
        raw[idx], k = _water_start(inst, idx, g, lo, hi)
        return _exact_units(inst, objective, idx, g, lo, hi, k)

    where = place_for_objective(inst, objective)
    plan = _per_slot(inst, "sqrt_waterfill", slot_by_slot(alloc), where)
    plan.raw_share = raw
    return plan


HEURISTICS: dict[str, Callable[..., Plan]] = {
    "adaptive": adaptive,
    "static_equal": static_equal,
    "round_robin": round_robin,
    "greedy_marginal": greedy_marginal,
    "sqrt_waterfill": sqrt_waterfill,
}
