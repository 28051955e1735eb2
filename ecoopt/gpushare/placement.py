"""Objective-aware placement of agents on several GPUs: marginal-cost insertion, local search.

The per-slot allocation of every objective here is a separable convex resource allocation
(``model`` docstring), so the best allocation on one slot for a given set of agents is: each
agent at its smallest admissible level, plus the ``spare`` largest positive marginal gains of
one more unit across the agents (the marginal-allocation theorem; what ``greedy_marginal`` and
the unit local search of ``sqrt_waterfill`` converge to). With the per-agent marginal gains
tabulated once, a slot's value costs one ``np.partition`` over its agents' gains, O(n_g·U).

:func:`place_for_objective` builds a placement with that slot value as the oracle:

1. **Starts.** (a) Marginal-cost insertion: agents in decreasing order of required share (then
   memory) go, one by one, to the admissible slot where they add least to the objective, a
   slot's fixed carbon counted when it is first opened (priced among one empty slot and the
   eight busy slots with the cheapest capacity of each GPU type, taken from a lazy heap of
   slot prices, :class:`_Prices`: every slot on small instances). (b) The worst-fit placement
   of the paper's baselines (``heuristics.place``), so the result is never worse than that
   placement under the slot oracle; (c) worst-fit one agent at a time
   (``heuristics.place_one_by_one``, O(N·G): only while N·G ≤ :data:`ONE_BY_ONE_CELLS`).
2. **Local search.** Up to :data:`FULL_SWEEP_SLOTS` slots, from each start: for every pair of
   slots, the best move of one agent from one to the other and the best swap of two agents
   between them, repeated while they improve the objective; for carbon also closures of a
   slot (all its agents re-inserted elsewhere). The better start wins. On more slots, from the
   best start only: the slots, dearest first (violation, then the price of a unit of their
   capacity, in a lazy max-heap), each try moves to the eight cheapest slots of each type and a
   swap with the cheapest; a slot that changes is re-priced once and queued again; for carbon,
   closures of the least loaded slots into the cheapest ones. Either way only the slots a
   change touches are re-evaluated, all candidate changes of a slot pair in one numpy pass
   (:func:`_replaced`), within :func:`search_budget` pair evaluations. Deterministic.

Feasibility is lexicographic: a placement first minimises its violation (agents on slots where
they are inadmissible, minimum units over capacity, memory that does not fit), then the
objective. Memory is exact in bytes (``ecoopt.tolerance.fits_memory``); on a pool each model
lives on one GPU (``packing.pack_models``, the packing the plans use).
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field

import numpy as np

from ..tolerance import fits_memory
from .instance import OBJECTIVES, GpuShareInstance, Slot
from .model import Levels, level_cost, min_units
from .packing import pack_models, powered_gpus
from .physics import slot_rates, unit_bounds

_EPS = 1e-12  # relative improvement a move must bring (stops cycling on float noise)


def _powered(slot: Slot, units_used: int, hosts: np.ndarray | None) -> int:
    """GPUs a slot hosting agents powers (``packing.powered_gpus``; ``hosts`` None: the models
    do not pack, count the compute alone)."""
    h = np.zeros(1, dtype=np.int64) if hosts is None else hosts
    return powered_gpus(units_used, slot.units_per_gpu, h)


def slot_fixed_carbon(slot: Slot, units_used: int, hosts: np.ndarray | None) -> float:
    """Fixed carbon of a slot hosting agents (gCO2e/h): one powered GPU's rate
    (``physics.slot_rates``) × the GPUs it powers."""
    return slot_rates(slot)[0] * _powered(slot, units_used, hosts)


#: slot values the search keeps (a value and its key: about 200 B for 10 agents a slot); the
#: memo is emptied when it holds this many, so long searches stay within about 0.2 GB
MEMO_ENTRIES = 1_000_000


@dataclass(frozen=True)
class _Tables:
    """Per-type data of the slot oracle (G slots of T GPU types, N agents); costs are to be
    minimised. Slots of one type are identical, so every (type, agent) table has T rows, not
    G: O(T·N) memory however many GPUs of a type there are."""

    lo: np.ndarray  # (T, N) smallest admissible units, capped at U
    adm: np.ndarray  # (T, N) agent admissible on the type (min share, SLO, memory of one GPU)
    base: np.ndarray  # (T, N) cost at lo (objective units; throughput negated)
    gain: list[np.ndarray]  # per type (N, W): each agent's positive unit gains, 0-padded
    fixed: np.ndarray  # (G,) fixed carbon per powered GPU, 0 unless the objective is carbon
    cap: np.ndarray  # (G,) capacity units
    units: np.ndarray  # (G,) units per GPU
    memory: np.ndarray  # (N,) bytes
    sums: np.ndarray  # (T, 4, N): lo, inadmissible, base, memory (summed over a slot's agents)
    row: np.ndarray  # (G,) type row (into the (T, ·) tables) of each slot
    slots_of: list[np.ndarray]  # per type row: its slots, increasing
    memo: dict = field(default_factory=dict)  # (slot, members' bytes) → value


def _compact(gain: np.ndarray) -> np.ndarray:
    """Keep each row's positive gains, left-aligned, in the narrowest matrix that holds them
    (the slot oracle only ever sums the largest positive gains)."""
    pos = np.where(gain > 0, gain, 0.0)
    pos = -np.sort(-pos, axis=1)
    width = int((pos > 0).sum(axis=1).max()) if len(pos) else 0
    return np.ascontiguousarray(pos[:, :width])


def _tables(inst: GpuShareInstance, objective: str) -> _Tables:
    """Tabulate every agent's cost at every unit count, once per GPU type (its slots are
    identical): O(T·N·U) time, O(T·N·W + G) memory."""
    a = inst.arrays
    first: dict[int, int] = {}
    for g, slot in enumerate(inst.slots):
        first.setdefault(slot.gpu_index, g)
    rows = {gi: r for r, gi in enumerate(first)}
    per_type = [_type_table(inst, objective, g) for g in first.values()]
    row = np.array([rows[slot.gpu_index] for slot in inst.slots], dtype=np.int64)
    lo = np.array([p[0] for p in per_type])
    base = np.array([p[2] for p in per_type])
    fixed = [slot_rates(s)[0] if objective == "carbon" else 0.0 for s in inst.slots]
    return _Tables(
        lo=lo,
        adm=np.array([p[1] for p in per_type]),
        base=base,
        gain=[p[3] for p in per_type],
        fixed=np.array(fixed),
        cap=np.array([s.capacity_units for s in inst.slots]),
        units=np.array([s.units_per_gpu for s in inst.slots]),
        memory=a.memory,
        sums=np.stack(
            [
                lo,
                1.0 - np.array([p[1] for p in per_type]),
                base,
                np.broadcast_to(a.memory, base.shape),
            ],
            axis=1,
        ),  # fmt: skip
        row=row,
        slots_of=[np.flatnonzero(row == r) for r in range(len(first))],
    )


def _type_table(inst: GpuShareInstance, objective: str, gi: int) -> tuple[np.ndarray, ...]:
    """(lo, admissible, cost at lo, compacted positive gains) of every agent on slot gi."""
    a = inst.arrays
    n = len(a.names)
    sign = -1.0 if OBJECTIVES[objective] == "max" else 1.0
    slot = inst.slots[gi]
    U = slot.units_per_gpu
    k = np.arange(1, U + 1)
    lv = Levels(
        agent=np.repeat(np.arange(n), U),
        slot=np.full(n * U, gi),
        units=np.tile(k, n),
        share=np.tile(k / U, n),
    )
    cost = sign * level_cost(inst, lv, objective).reshape(n, U)
    m = min_units(inst, gi)
    lo_g = np.minimum(m, U)
    hi_g = np.clip(unit_bounds(a.min_share, a.max_share, U)[1], lo_g, U)
    g = cost[:, :-1] - cost[:, 1:]  # column j: from j+1 to j+2 units
    valid = (k[None, :-1] >= lo_g[:, None]) & (k[None, :-1] < hi_g[:, None])
    gain = _compact(np.where(valid & np.isfinite(g), g, 0.0))
    return lo_g, m <= U, cost[np.arange(n), lo_g - 1], gain


def _slot_value(
    inst: GpuShareInstance, t: _Tables, g: int, members: np.ndarray
) -> tuple[float, float]:
    """(violation, cost) of slot g hosting ``members`` under its best allocation.

    Violation: inadmissible members + minimum units over capacity (in GPUs) + 1 if the models
    do not fit (exact bytes; per GPU in a pool, by first-fit decreasing). Cost: Σ cost at lo −
    the largest positive unit gains that fit the spare units, plus the fixed carbon of the
    powered GPUs (:func:`slot_fixed_carbon`). O(n_g·W) for n_g members, W ≤ U−1 the widest run
    of positive gains on the slot.
    """
    if len(members) == 0:
        return 0.0, 0.0
    slot, r = inst.slots[g], t.row[g]
    lo_sum, n_bad, base_sum, mem_sum = t.sums[r][:, members].sum(axis=1)
    used = int(lo_sum)
    spare = int(t.cap[g]) - used
    viol = float(n_bad) + max(-spare, 0) / slot.units_per_gpu
    hosts = None
    if slot.scale == 1:
        viol += 0.0 if fits_memory(mem_sum, slot.memory_bytes) else 1.0
    else:
        hosts = pack_models(t.memory[members], slot.gpu.memory_bytes, slot.scale)
        viol += 1.0 if hosts is None else 0.0
    cost = float(base_sum)
    if spare > 0 and t.gain[r].shape[1]:
        flat = t.gain[r][members].ravel()  # 0-padded: zeros among the top add nothing
        if len(flat) > spare:
            flat = np.partition(flat, len(flat) - spare)[len(flat) - spare :]
        cost -= float(flat.sum())
        used += int(np.count_nonzero(flat))
    if t.fixed[g] > 0:  # = slot_fixed_carbon(slot, used, hosts), rate tabulated
        cost += t.fixed[g] * _powered(slot, used, hosts)
    return viol, cost


Value = tuple[float, float]  # (violation, cost) of a slot or a placement


def _members_by_slot(where: np.ndarray, n_slots: int) -> list[np.ndarray]:
    """Agents of every slot, increasing (−1: on none), by one stable sort: O(N log N + G)."""
    order = np.argsort(where, kind="stable")
    bounds = np.searchsorted(where[order], np.arange(n_slots + 1))
    return [order[bounds[g] : bounds[g + 1]] for g in range(n_slots)]


class _State:
    """A placement with its per-slot members and values, updated move by move."""

    def __init__(self, inst: GpuShareInstance, t: _Tables, where: np.ndarray):
        self.inst, self.t = inst, t
        self.where = where.copy()
        self.members = _members_by_slot(self.where, len(inst.slots))
        self.value = [self.evaluate(g, m) for g, m in enumerate(self.members)]
        #: Σ |cost| over the slots, kept up to date: the scale of :meth:`improves`
        self.scale = sum(abs(v[1]) for v in self.value)
        #: pair evaluations the local search may still spend (``_improve`` sets it)
        self.budget = np.inf

    def copy(self) -> _State:
        """An independent placement sharing the tables (members' arrays are never mutated)."""
        out = _State.__new__(_State)
        out.__dict__.update(self.__dict__)
        out.where, out.members, out.value = self.where.copy(), list(self.members), list(self.value)
        return out

    def evaluate(self, g: int, members: np.ndarray) -> Value:
        """Slot value of ``members`` (sorted) on g, memoised: searches revisit the same sets."""
        if len(members) == 0:
            return 0.0, 0.0
        key = (g, members.tobytes())
        v = self.t.memo.get(key)
        if v is None:
            if len(self.t.memo) >= MEMO_ENTRIES:  # a bounded cache: start afresh when full
                self.t.memo.clear()
            v = self.t.memo[key] = _slot_value(self.inst, self.t, g, members)
        return v

    def total(self) -> Value:
        return sum(v[0] for v in self.value), sum(v[1] for v in self.value)

    def delta(self, new: dict[int, Value]) -> Value:
        """Change of the total if the slots in ``new`` took those values."""
        dv = sum(v[0] - self.value[g][0] for g, v in new.items())
        dc = sum(v[1] - self.value[g][1] for g, v in new.items())
        return dv, dc

    def improves(self, d: Value) -> bool:
        """Lexicographic: less violation, or as little and a strictly lower cost (by more than
        a relative _EPS of the total, so float noise never cycles). O(1)."""
        if abs(d[0]) > 1e-9:
            return d[0] < 0
        return d[1] < -_EPS * (self.scale + 1e-300)

    def apply(self, members: dict[int, np.ndarray], values: dict[int, Value]) -> None:
        for g, m in members.items():
            self.members[g] = m
            self.scale += abs(values[g][1]) - abs(self.value[g][1])
            self.value[g] = values[g]
            self.where[m] = g


def _key(d: Value) -> Value:
    """Sort key of a change: violation rounded (float noise), then cost."""
    return round(d[0], 9), d[1]


def _best_insertion(s: _State, i: int, slots: np.ndarray) -> tuple[Value, int, np.ndarray, Value]:
    """Cheapest of ``slots`` for agent i (on none of them): (delta, slot, members, value)."""
    best = None
    for h in slots:
        h = int(h)
        dst = np.sort(np.append(s.members[h], i))
        v = s.evaluate(h, dst)
        d = (v[0] - s.value[h][0], v[1] - s.value[h][1])
        if best is None or _key(d) < _key(best[0]):
            best = (d, h, dst, v)
    assert best is not None
    return best


def _replaced(s: _State, g: int, out: np.ndarray, inn: np.ndarray) -> tuple[np.ndarray, ...]:
    """Values of slot g with agent ``out[p]`` taken off and ``inn[p]`` put on, for every p
    (−1: none): (violation, cost) arrays, as :func:`_slot_value` of each set.

    Unpooled slots in one numpy pass: P candidate sets share the slot's members, so sums are
    adjusted and the top-spare gains come from one sort of a (P, (n_g+1)·W) array. Pools
    (first-fit decreasing per set) one set at a time.
    """
    t, slot, A, r = s.t, s.inst.slots[g], s.members[g], s.t.row[g]
    if slot.scale > 1:
        vals = [
            s.evaluate(g, np.sort(np.append(A[A != o], [i] if i >= 0 else [])).astype(np.int64))
            for o, i in zip(out, inn)
        ]
        return np.array([v[0] for v in vals]), np.array([v[1] for v in vals])
    has_out, has_in = out >= 0, inn >= 0
    o, i = np.where(has_out, out, 0), np.where(has_in, inn, 0)
    total = t.sums[r][:, A].sum(axis=1)[:, None]  # lo, inadmissible, base, memory
    sums = total - t.sums[r][:, o] * has_out + t.sums[r][:, i] * has_in
    spare = t.cap[g] - sums[0]
    viol = sums[1] + np.maximum(-spare, 0) / slot.units_per_gpu
    viol = viol + ~fits_memory(sums[3], slot.memory_bytes)  # sums of whole bytes: exact
    cost = sums[2].copy()
    W = t.gain[r].shape[1]
    K = int(max(spare.max(initial=0), 0))  # the most units any candidate hands out
    if W and K:
        keep = (A[None, :] != out[:, None])[:, :, None]  # (P, n_g, 1)
        mine = _top_columns(t.gain[r][A], K + W)
        gains = np.concatenate(
            [(mine[None] * keep).reshape(len(out), -1), t.gain[r][i, :K] * has_in[:, None]],
            axis=1,
        )
        top = np.cumsum(-np.sort(-gains, axis=1), axis=1)
        take = np.clip(spare, 0, top.shape[1]).astype(np.int64)
        cost -= np.where(take > 0, top[np.arange(len(out)), np.maximum(take - 1, 0)], 0.0)
    count = len(A) - has_out + has_in
    cost = np.where(count > 0, cost + t.fixed[g], 0.0)
    return np.where(count > 0, viol, 0.0), cost


def _top_columns(gains: np.ndarray, m: int) -> np.ndarray:
    """The leading columns of ``gains`` (rows decreasing) holding every positive entry at least
    the m-th largest. Taking one row's W entries off and ≤ K ≤ m − W others on, the top K of
    any such set lie there (its K-th largest is at least the m-th largest of ``gains``), so
    :func:`_replaced` sorts these columns only. O(n_g·W)."""
    if gains.size <= m:
        return gains
    flat = gains.ravel()
    tau = max(float(np.partition(flat, flat.size - m)[flat.size - m]), np.finfo(float).tiny)
    return gains[:, : int((gains >= tau).sum(axis=1).max())]


def _apply_best(s: _State, g: int, h: int, out_g: np.ndarray, out_h: np.ndarray) -> bool:
    """Among changes p (agent ``out_g[p]`` from g to h and ``out_h[p]`` from h to g, −1: none),
    apply the best if it improves; nothing once the search's budget is spent."""
    if s.budget <= 0:
        return False
    s.budget -= 1
    vg, cg = _replaced(s, g, out_g, out_h)
    vh, ch = _replaced(s, h, out_h, out_g)
    dv = vg + vh - s.value[g][0] - s.value[h][0]
    dc = cg + ch - s.value[g][1] - s.value[h][1]
    p = int(np.lexsort((dc, np.round(dv, 9)))[0])
    if not s.improves((float(dv[p]), float(dc[p]))):
        return False
    mg, mh = s.members[g], s.members[h]
    mg, mh = mg[mg != out_g[p]], mh[mh != out_h[p]]
    if out_h[p] >= 0:
        mg = np.sort(np.append(mg, out_h[p]))
    if out_g[p] >= 0:
        mh = np.sort(np.append(mh, out_g[p]))
    s.apply({g: mg, h: mh}, {g: (float(vg[p]), float(cg[p])), h: (float(vh[p]), float(ch[p]))})
    return True


def _moves_between(s: _State, g: int, h: int) -> bool:
    """The best improving move of one agent from g to h (where it is admissible), repeated
    while one improves; True if any did."""
    improved = False
    while h != g and len(s.members[g]):
        A = s.members[g]
        cand = A[s.t.adm[s.t.row[h], A]]
        none = np.full(len(cand), -1)
        if len(cand) == 0 or not _apply_best(s, g, h, cand, none):
            break
        improved = True
    return improved


def _swaps_between(s: _State, g: int, h: int) -> bool:
    """The best improving swap of two agents between g and h (each admissible on the other's
    slot), repeated while one improves; True if any did."""
    improved = False
    while True:
        A, B = s.members[g], s.members[h]
        ok = s.t.adm[s.t.row[h], A][:, None] & s.t.adm[s.t.row[g], B][None, :]
        ia, jb = np.nonzero(ok)
        if len(ia) == 0 or not _apply_best(s, g, h, A[ia], B[jb]):
            break
        improved = True
    return improved


def _try_moves(s: _State) -> bool:
    """For every ordered pair of slots (g, h), :func:`_moves_between`: O(G²) pairs."""
    improved = False
    G = len(s.value)
    for g in range(G):
        for h in range(G):
            if s.budget <= 0:
                return improved
            improved = _moves_between(s, g, h) or improved
    return improved


def _try_swaps(s: _State) -> bool:
    """For every pair of slots, :func:`_swaps_between`: O(G²) pairs."""
    improved = False
    G = len(s.value)
    for g in range(G):
        for h in range(g + 1, G):
            if s.budget <= 0:
                return improved
            improved = _swaps_between(s, g, h) or improved
    return improved


def _closed(s: _State, g: int, targets) -> tuple[_State, set[int]]:  # noqa: ANN001
    """A copy of ``s`` with slot g emptied, its agents (in :func:`_order`) re-inserted one by
    one at their cheapest of ``targets(i)`` (slots other than g); and the slots it changed."""
    s.budget -= len(s.members[g])  # one pair evaluation per agent re-inserted
    trial, changed = s.copy(), {g}
    trial.apply({g: np.empty(0, dtype=np.int64)}, {g: (0.0, 0.0)})
    for i in _order(s.t, s.members[g]):
        _, h, dst, v = _best_insertion(trial, int(i), targets(int(i)))
        trial.apply({h: dst}, {h: v})
        changed.add(h)
    return trial, changed


def _try_close(s: _State) -> bool:
    """Empty one slot by re-inserting its agents (largest first) into the other slots: the
    first closure that improves is kept. O(G) insertions per agent."""
    G = len(s.value)

    def targets_without(g: int):  # noqa: ANN202
        def targets(i: int) -> np.ndarray:
            others = np.flatnonzero(s.t.adm[s.t.row, i] & (np.arange(G) != g))
            return others if len(others) else np.flatnonzero(np.arange(G) != g)

        return targets

    for g in range(G):
        if s.budget <= 0:
            return False
        if len(s.members[g]) == 0 or G == 1:
            continue
        trial, _ = _closed(s, g, targets_without(g))
        if s.improves(s.delta({k: trial.value[k] for k in range(G)})):
            s.apply({k: trial.members[k] for k in range(G)}, trial.value)
            return True
    return False


def _order(t: _Tables, agents: np.ndarray) -> np.ndarray:
    """Agents by decreasing required share (GPUs, smallest over admissible slots), then memory."""
    type_units = t.units[[so[0] for so in t.slots_of]]
    need = np.where(t.adm, t.lo / type_units[:, None], np.inf).min(axis=0)[agents]
    need = np.where(np.isfinite(need), need, 2.0)  # inadmissible everywhere: place first
    return agents[np.lexsort((-t.memory[agents], -need))]


#: busy slots of a GPU type that insertion (and the search, as partners) prices per agent
INSERTION_CANDIDATES = 8


def _capacity_price(t: _Tables, g: int, members: np.ndarray) -> float:
    """The smallest unit gain slot g hands out under its best allocation (0 when its spare
    units exceed its positive gains, or violation when minimum units overflow): what one more
    unit of the slot's capacity is worth. O(n_g·W)."""
    r = t.row[g]
    spare = int(t.cap[g] - t.sums[r][0, members].sum())
    if spare <= 0:
        return np.inf
    flat = t.gain[r][members].ravel()
    if len(flat) <= spare:
        return 0.0
    return float(np.partition(flat, len(flat) - spare)[len(flat) - spare])


class _Prices:
    """Each GPU type's slots ordered for pricing: busy ones in a lazy min-heap keyed by
    (violation, :func:`_capacity_price`, slot), empty ones in a min-heap of slot indices (the
    empty slots of a type are identical: only the first is ever priced).

    :meth:`update` re-prices one changed slot, O(n_g·W + log G), and pushes it again; entries
    left stale by a change are dropped when they surface, so :meth:`cheapest` costs
    O(k log G) amortised. Every slot is priced once when the object is built, then only when
    it changes.
    """

    def __init__(self, s: _State):
        G = len(s.value)
        self.version = np.zeros(G, dtype=np.int64)
        self.busy: list[list] = [[] for _ in s.t.slots_of]
        self.empty: list[list[int]] = [[] for _ in s.t.slots_of]
        for g in range(G):  # increasing g: each empty list is already a heap
            if len(s.members[g]):
                self.busy[s.t.row[g]].append(self.entry(s, g))
            else:
                self.empty[s.t.row[g]].append(g)
        for heap in self.busy:
            heapq.heapify(heap)

    def entry(self, s: _State, g: int) -> tuple[float, float, int, int]:
        """Heap entry of busy slot g: (violation, capacity price, slot, version)."""
        price = _capacity_price(s.t, g, s.members[g])
        return round(s.value[g][0], 9), price, g, int(self.version[g])

    def update(self, s: _State, g: int) -> tuple[float, float, int, int] | None:
        """Slot g changed: re-price it (its older entries go stale); its new entry if busy."""
        self.version[g] += 1
        r = s.t.row[g]
        if len(s.members[g]) == 0:
            heapq.heappush(self.empty[r], g)
            return None
        e = self.entry(s, g)
        heapq.heappush(self.busy[r], e)
        return e

    def cheapest(self, s: _State, r: int, k: int, exclude: int = -1) -> list[int]:
        """The k busy slots of type row r with the lowest (violation, price), other than
        ``exclude``, and the type's first empty slot."""
        heap, out, kept = self.busy[r], [], []
        while heap and len(out) < k:
            e = heapq.heappop(heap)
            g = e[2]
            if e[3] != self.version[g] or len(s.members[g]) == 0:
                continue  # stale
            kept.append(e)
            if g != exclude:
                out.append(g)
        for e in kept:
            heapq.heappush(heap, e)
        empty = self.empty[r]
        while empty and len(s.members[empty[0]]):
            heapq.heappop(empty)
        return out + empty[:1]


def _candidate_slots(s: _State, prices: _Prices, i: int, exclude: int = -1) -> np.ndarray:
    """Slots worth pricing for agent i: per GPU type that admits it (every type if none
    does), :meth:`_Prices.cheapest` — its :data:`INSERTION_CANDIDATES` cheapest busy slots
    and its first empty one (all of them on small instances). O(T·k log G)."""
    ok = s.t.adm[:, i]
    rows = np.flatnonzero(ok) if ok.any() else np.arange(len(ok))
    out = [prices.cheapest(s, int(r), INSERTION_CANDIDATES, exclude) for r in rows]
    return np.sort(np.concatenate([np.asarray(o, dtype=np.int64) for o in out]))


def _construct(inst: GpuShareInstance, t: _Tables) -> np.ndarray:
    """Marginal-cost insertion: each agent, in :func:`_order`, to its cheapest admissible slot
    among :func:`_candidate_slots`; only the slot it joins is re-priced.
    O(N·T·(k·(n_g·W + log G))), k = :data:`INSERTION_CANDIDATES` + 1."""
    s = _State(inst, t, np.full(len(inst.agents), -1, dtype=np.int64))
    prices = _Prices(s)
    for i in _order(t, np.arange(len(inst.agents))):
        _, h, dst, v = _best_insertion(s, int(i), _candidate_slots(s, prices, int(i)))
        s.apply({h: dst}, {h: v})
        prices.update(s, h)
    return s.where


def _relieve(s: _State, prices: _Prices, g: int) -> set[int]:
    """Moves of slot g's agents to the :data:`INSERTION_CANDIDATES` cheapest slots of every
    type admitting one of them (:meth:`_Prices.cheapest`), then swaps with the
    :data:`SWAP_PARTNERS` cheapest (a swap step prices n_g·n_h pairs); the slots that changed."""
    changed: set[int] = set()
    rows = np.flatnonzero(s.t.adm[:, s.members[g]].any(axis=1))
    for r in rows:
        for rank, h in enumerate(prices.cheapest(s, int(r), INSERTION_CANDIDATES, exclude=g)):
            swap = rank < SWAP_PARTNERS
            if _moves_between(s, g, h) | (swap and _swaps_between(s, g, h)):
                changed |= {g, h}
            if s.budget <= 0 or len(s.members[g]) == 0:
                return changed
    return changed


#: cheapest slots of a type that :func:`_relieve` tries swaps with (moves: all candidates)
SWAP_PARTNERS = 1


def _search_from(s: _State, prices: _Prices, sources) -> bool:  # noqa: ANN001
    """Relieve slots (:func:`_relieve`), dearest first (by violation, then capacity price),
    popped from a lazy max-heap; the slots that changed are re-priced once and queued again.
    Ends when no queued slot improves or the budget is spent: each step costs O(T·k) pair
    evaluations and O(log G) heap work."""
    queue = [(-e[0], -e[1], e[2], e[3]) for e in (prices.entry(s, g) for g in sources)]
    heapq.heapify(queue)
    improved = False
    while queue and s.budget > 0:
        *_, g, version = heapq.heappop(queue)
        if version != prices.version[g] or len(s.members[g]) == 0:
            continue
        for h in _relieve(s, prices, g):
            improved = True
            e = prices.update(s, h)
            if e is not None:
                heapq.heappush(queue, (-e[0], -e[1], h, e[3]))
    return improved


def _close_cheapest(s: _State, prices: _Prices) -> set[int]:
    """Closures on many slots: the busy slots by increasing minimum units, each emptied into
    the :func:`_candidate_slots` of its agents; the first that improves is kept (the slots it
    changed are returned). O(n_g·T·k) evaluations per closure tried, within the budget."""
    busy = [g for g in range(len(s.value)) if len(s.members[g])]
    load = [s.t.sums[s.t.row[g]][0, s.members[g]].sum() for g in busy]
    for g in (busy[j] for j in np.argsort(load, kind="stable")):
        if s.budget <= 0:
            break
        trial, changed = _closed(s, g, lambda i, g=g: _candidate_slots(s, prices, i, g))
        if s.improves(s.delta({k: trial.value[k] for k in changed})):
            s.apply({k: trial.members[k] for k in changed}, {k: trial.value[k] for k in changed})
            return changed
    return set()


def search_budget(n_agents: int, n_slots: int) -> int:
    """Pair evaluations the local search may spend: max(5,000, 10·(N + G)). A full sweep
    visits all G² slot pairs, so without a bound 1,000 agents on 100 GPUs took 355 s; the bound
    keeps the search linear in the instance's size (it ends earlier when nothing improves)."""
    return max(5_000, 10 * (n_agents + n_slots))


#: slots up to which the local search sweeps every pair of slots (above: :func:`_search_from`)
FULL_SWEEP_SLOTS = 24
#: agents × slots up to which worst-fit one agent at a time (O(N·G)) is also a start
ONE_BY_ONE_CELLS = 1_000_000


def _improve(s: _State, max_passes: int, full_sweep_slots: int) -> _State:
    """Local search within :func:`search_budget` pair evaluations, ≤ ``max_passes`` rounds.

    G ≤ ``full_sweep_slots``: sweeps of moves over all slot pairs, then of swaps, then (carbon)
    slot closures, until none improves. More slots: :func:`_search_from` (moves and swaps
    towards the cheapest slots of each type), then (carbon) :func:`_close_cheapest`, its changed
    slots searched again."""
    closing = bool(s.t.fixed.any())  # only fixed carbon rewards emptying a slot as such
    G = len(s.value)
    s.budget = search_budget(len(s.where), G)
    if G <= full_sweep_slots:
        for _ in range(max_passes):
            if _try_moves(s) or _try_swaps(s) or (closing and _try_close(s)):
                continue
            break
        return s
    prices = _Prices(s)
    sources: list[int] | set[int] = [g for g in range(G) if len(s.members[g])]
    for _ in range(max_passes):
        _search_from(s, prices, sources)
        sources = _close_cheapest(s, prices) if closing else set()
        for g in sources:
            prices.update(s, g)
        if not sources:
            break
    return s


def place_for_objective(
    inst: GpuShareInstance,
    objective: str | None = None,
    *,
    max_passes: int = 50,
    full_sweep_slots: int | None = None,
) -> np.ndarray:
    """Slot index (into ``inst.slots``) per agent, placed for ``objective`` (module docstring).

    Parameters
    ----------
    inst
        The instance.
    objective
        ``latency``, ``throughput``, ``cost`` or ``carbon``; default the instance's.
    max_passes
        Bound on local-search rounds per start (a round: a sweep of moves; if none improves, a
        sweep of swaps; if none improves and the objective is carbon, slot closures until one
        does).
    full_sweep_slots
        Slots up to which the local search tries every pair of slots (:func:`_improve`);
        default :data:`FULL_SWEEP_SLOTS`.

    Returns
    -------
    numpy.ndarray
        int64 slot indices, one per agent in file order. Every agent sits on a slot where it is
        admissible, minimum units fit every slot's capacity and models fit its memory (per GPU
        in a pool), whenever the construction or the search finds such a placement.

    Notes
    -----
    Complexity, N agents, G slots of T GPU types, U units per GPU, W ≤ U the widest run of
    positive gains, n_g agents on slot g: tables O(T·N·U); one slot evaluation O(n_g·W)
    (memoised); construction N·T·(1 + :data:`INSERTION_CANDIDATES`) evaluations and O(log G)
    heap work per agent; the search at most :func:`search_budget` = O(N + G) pair
    evaluations, each O((n_g + n_h)·W log) for a move and O(n_g·n_h·(n_g + n_h)·W log) for a
    swap, with O(log G) heap work per slot it changes above ``full_sweep_slots``. With n_g
    bounded (agents per GPU), O(N log G) in all; benchmarks/gpushare_placement_scale.py
    measures the growth per decade.
    """
    objective = objective or inst.objective
    n, G = len(inst.agents), len(inst.slots)
    if G == 1:
        return np.zeros(n, dtype=np.int64)
    if full_sweep_slots is None:
        full_sweep_slots = FULL_SWEEP_SLOTS
    t = _tables(inst, objective)
    best: _State | None = None
    seen: list[np.ndarray] = []
    for where in _starts(inst, t, full_sweep_slots):
        if any(np.array_equal(where, w) for w in seen):
            continue
        seen.append(where)
        s = _improve(_State(inst, t, where), max_passes, full_sweep_slots)
        if best is None or _key(s.total()) < _key(best.total()):
            best = s
    assert best is not None
    return best.where


def _starts(inst: GpuShareInstance, t: _Tables, full_sweep_slots: int) -> list[np.ndarray]:
    """The local search's starts: the construction, worst-fit in rounds and (while N·G ≤
    :data:`ONE_BY_ONE_CELLS`) worst-fit one agent at a time; above ``full_sweep_slots`` slots
    only the best of them."""
    from .heuristics import place, place_one_by_one  # worst-fit placements (import this module)

    n, G = len(inst.agents), len(inst.slots)
    starts = [_construct(inst, t), place(inst)]
    if n * G <= ONE_BY_ONE_CELLS:
        starts.append(place_one_by_one(inst))
    if G > full_sweep_slots:  # many slots: search from the best start only
        starts = [min(starts, key=lambda w: _key(_State(inst, t, w).total()))]
    return starts
