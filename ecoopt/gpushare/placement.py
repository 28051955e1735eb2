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
   eight busy slots with the cheapest capacity of each GPU type: every slot on small ones).
   (b) The worst-fit placement of the paper's baselines (``heuristics.place``), so the result
   is never worse than that placement under the slot oracle; (c) worst-fit one agent at a time
   (``heuristics.place_one_by_one``), which ``place`` approximates in rounds.
2. **Local search** from each start: for every pair of slots, the best move of one agent from
   one to the other and the best swap of two agents between them, repeated while they improve
   the objective; for carbon also closures of a slot (all its agents re-inserted elsewhere).
   Only the two slots a move touches are re-evaluated, all candidate moves of a slot pair in
   one numpy pass (:func:`_replaced`). At most ``max_passes`` rounds. The better start wins.
   Deterministic.

Feasibility is lexicographic: a placement first minimises its violation (agents on slots where
they are inadmissible, minimum units over capacity, memory that does not fit), then the
objective. Memory is exact in bytes (``ecoopt.tolerance.fits_memory``); on a pool each model
lives on one GPU (``packing.pack_models``, the packing the plans use).
"""

from __future__ import annotations

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


@dataclass(frozen=True)
class _Tables:
    """Per-slot data of the slot oracle (G slots, N agents); costs are to be minimised."""

    lo: np.ndarray  # (G, N) smallest admissible units, capped at U
    adm: np.ndarray  # (G, N) agent admissible on the slot (min share, SLO, memory of one GPU)
    base: np.ndarray  # (G, N) cost at lo (objective units; throughput negated)
    gain: list[np.ndarray]  # per slot (N, W): each agent's positive unit gains, 0-padded
    fixed: np.ndarray  # (G,) fixed carbon per powered GPU, 0 unless the objective is carbon
    cap: np.ndarray  # (G,) capacity units
    units: np.ndarray  # (G,) units per GPU
    memory: np.ndarray  # (N,) bytes
    sums: np.ndarray  # (G, 4, N): lo, inadmissible, base, memory (summed over a slot's agents)
    first_of_type: dict[int, int]  # GPU type → its first slot
    type_of: np.ndarray  # (G,) GPU type of each slot
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
    identical): O(T·N·U) for T types; a type's slots share its gain table."""
    a = inst.arrays
    first = {}
    for g, slot in enumerate(inst.slots):
        first.setdefault(slot.gpu_index, g)
    per_type = {gi: _type_table(inst, objective, g) for gi, g in first.items()}
    typ = [slot.gpu_index for slot in inst.slots]
    lo = np.array([per_type[gi][0] for gi in typ])
    adm = np.array([per_type[gi][1] for gi in typ])
    base = np.array([per_type[gi][2] for gi in typ])
    fixed = [slot_rates(s)[0] if objective == "carbon" else 0.0 for s in inst.slots]
    return _Tables(
        lo=lo,
        adm=adm,
        base=base,
        gain=[per_type[gi][3] for gi in typ],
        fixed=np.array(fixed),
        cap=np.array([s.capacity_units for s in inst.slots]),
        units=np.array([s.units_per_gpu for s in inst.slots]),
        memory=a.memory,
        sums=np.stack([lo, 1.0 - adm, base, np.broadcast_to(a.memory, base.shape)], axis=1),
        first_of_type={gi: g for gi, g in first.items()},
        type_of=np.array(typ, dtype=np.int64),
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
    slot = inst.slots[g]
    lo_sum, n_bad, base_sum, mem_sum = t.sums[g][:, members].sum(axis=1)
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
    if spare > 0 and t.gain[g].shape[1]:
        flat = t.gain[g][members].ravel()  # 0-padded: zeros among the top add nothing
        if len(flat) > spare:
            flat = np.partition(flat, len(flat) - spare)[len(flat) - spare :]
        cost -= float(flat.sum())
        used += int(np.count_nonzero(flat))
    if t.fixed[g] > 0:  # = slot_fixed_carbon(slot, used, hosts), rate tabulated
        cost += t.fixed[g] * _powered(slot, used, hosts)
    return viol, cost


Value = tuple[float, float]  # (violation, cost) of a slot or a placement


class _State:
    """A placement with its per-slot members and values, updated move by move."""

    def __init__(self, inst: GpuShareInstance, t: _Tables, where: np.ndarray):
        self.inst, self.t = inst, t
        self.where = where.copy()
        self.members = [np.flatnonzero(where == g) for g in range(len(inst.slots))]
        self.value = [self.evaluate(g, m) for g, m in enumerate(self.members)]
        #: pair evaluations the local search may still spend (``_improve`` sets it)
        self.budget = np.inf

    def evaluate(self, g: int, members: np.ndarray) -> Value:
        """Slot value of ``members`` (sorted) on g, memoised: searches revisit the same sets."""
        key = (g, members.tobytes())
        v = self.t.memo.get(key)
        if v is None:
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
        a relative _EPS of the total, so float noise never cycles)."""
        if abs(d[0]) > 1e-9:
            return d[0] < 0
        return d[1] < -_EPS * (sum(abs(v[1]) for v in self.value) + 1e-300)

    def apply(self, members: dict[int, np.ndarray], values: dict[int, Value]) -> None:
        for g, m in members.items():
            self.members[g] = m
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
    t, slot, A = s.t, s.inst.slots[g], s.members[g]
    if slot.scale > 1:
        vals = [
            s.evaluate(g, np.sort(np.append(A[A != o], [i] if i >= 0 else [])).astype(np.int64))
            for o, i in zip(out, inn)
        ]
        return np.array([v[0] for v in vals]), np.array([v[1] for v in vals])
    has_out, has_in = out >= 0, inn >= 0
    o, i = np.where(has_out, out, 0), np.where(has_in, inn, 0)
    total = t.sums[g][:, A].sum(axis=1)[:, None]  # lo, inadmissible, base, memory
    sums = total - t.sums[g][:, o] * has_out + t.sums[g][:, i] * has_in
    spare = t.cap[g] - sums[0]
    viol = sums[1] + np.maximum(-spare, 0) / slot.units_per_gpu
    viol = viol + ~fits_memory(sums[3], slot.memory_bytes)  # sums of whole bytes: exact
    cost = sums[2].copy()
    W = t.gain[g].shape[1]
    if W:
        keep = (A[None, :] != out[:, None])[:, :, None]  # (P, n_g, 1)
        gains = np.concatenate(
            [(t.gain[g][A][None] * keep).reshape(len(out), -1), t.gain[g][i] * has_in[:, None]],
            axis=1,
        )
        top = np.cumsum(-np.sort(-gains, axis=1), axis=1)
        take = np.clip(spare, 0, top.shape[1]).astype(np.int64)
        cost -= np.where(take > 0, top[np.arange(len(out)), np.maximum(take - 1, 0)], 0.0)
    count = len(A) - has_out + has_in
    cost = np.where(count > 0, cost + t.fixed[g], 0.0)
    return np.where(count > 0, viol, 0.0), cost


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


def _try_moves(s: _State) -> bool:
    """For every ordered pair of slots (g, h), the best improving move of one agent from g to
    an h where it is admissible, repeated while one improves."""
    improved = False
    G = len(s.value)
    for g in range(G):
        for h in range(G):
            if s.budget <= 0:
                return improved
            while h != g and len(s.members[g]):
                A = s.members[g]
                cand = A[s.t.adm[h, A]]
                none = np.full(len(cand), -1)
                if len(cand) == 0 or not _apply_best(s, g, h, cand, none):
                    break
                improved = True
    return improved


def _try_swaps(s: _State) -> bool:
    """For every pair of slots, the best improving swap of two agents (each admissible on the
    other's slot), repeated while one improves."""
    improved = False
    G = len(s.value)
    for g in range(G):
        for h in range(g + 1, G):
            if s.budget <= 0:
                return improved
            while True:
                A, B = s.members[g], s.members[h]
                ok = s.t.adm[h, A][:, None] & s.t.adm[g, B][None, :]
                ia, jb = np.nonzero(ok)
                if len(ia) == 0 or not _apply_best(s, g, h, A[ia], B[jb]):
                    break
                improved = True
    return improved


def _try_close(s: _State) -> bool:
    """Empty one slot by re-inserting its agents (largest first) into the other slots."""
    G = len(s.value)
    for g in range(G):
        if s.budget <= 0:
            return False
        if len(s.members[g]) == 0 or G == 1:
            continue
        s.budget -= len(s.members[g])  # one pair evaluation per agent re-inserted
        trial = _State.__new__(_State)
        trial.inst, trial.t = s.inst, s.t
        trial.where = s.where.copy()
        trial.members = list(s.members)
        trial.value = list(s.value)
        trial.members[g] = np.empty(0, dtype=np.int64)
        trial.value[g] = (0.0, 0.0)
        for i in _order(s.t, s.members[g]):
            others = np.flatnonzero(s.t.adm[:, i] & (np.arange(G) != g))
            if len(others) == 0:
                others = np.flatnonzero(np.arange(G) != g)
            _, h, dst, v = _best_insertion(trial, i, others)
            trial.apply({h: dst}, {h: v})
        new = {k: trial.value[k] for k in range(G)}
        if s.improves(s.delta(new)):
            s.apply({k: trial.members[k] for k in range(G)}, new)
            return True
    return False


def _order(t: _Tables, agents: np.ndarray) -> np.ndarray:
    """Agents by decreasing required share (GPUs, smallest over admissible slots), then memory."""
    need = np.where(t.adm, t.lo / t.units[:, None], np.inf).min(axis=0)[agents]
    need = np.where(np.isfinite(need), need, 2.0)  # inadmissible everywhere: place first
    return agents[np.lexsort((-t.memory[agents], -need))]


#: non-empty slots of a GPU type that marginal-cost insertion prices for each agent
INSERTION_CANDIDATES = 8


def _construct(inst: GpuShareInstance, t: _Tables) -> np.ndarray:
    """Marginal-cost insertion: each agent, in :func:`_order`, to its cheapest admissible slot
    among :func:`_insertion_candidates`."""
    n = len(inst.agents)
    s = _State(inst, t, np.full(n, -1, dtype=np.int64))
    price = np.zeros(len(inst.slots))  # the last unit gain each slot hands out (0: spare left)
    hosted = np.zeros(len(inst.slots), dtype=np.int64)
    for i in _order(t, np.arange(n)):
        slots = _insertion_candidates(t, int(i), price, hosted == 0)
        _, h, dst, v = _best_insertion(s, int(i), slots)
        s.apply({h: dst}, {h: v})
        price[h] = _capacity_price(t, h, dst)
        hosted[h] += 1
    return s.where


def _capacity_price(t: _Tables, g: int, members: np.ndarray) -> float:
    """The smallest unit gain slot g hands out under its best allocation (0 when its spare
    units exceed its positive gains, or violation when minimum units overflow): what one more
    unit of the slot's capacity is worth. O(n_g·W)."""
    spare = int(t.cap[g] - t.sums[g][0, members].sum())
    if spare <= 0:
        return np.inf
    flat = t.gain[g][members].ravel()
    if len(flat) <= spare:
        return 0.0
    return float(np.partition(flat, len(flat) - spare)[len(flat) - spare])


def _insertion_candidates(t: _Tables, i: int, price: np.ndarray, empty: np.ndarray) -> np.ndarray:
    """Slots worth pricing for agent i: per GPU type, its first empty admissible slot (empty
    slots of a type are identical) and the :data:`INSERTION_CANDIDATES` non-empty admissible
    ones whose capacity is cheapest (:func:`_capacity_price`; all of them on small instances);
    every slot if none admits i. O(G) array work, so insertion prices O(N·T) slots rather
    than O(N·G)."""
    ok = t.adm[:, i]
    if not ok.any():
        return np.arange(len(ok))
    out = []
    for gi in t.first_of_type:
        mine = ok & (t.type_of == gi)
        busy = np.flatnonzero(mine & ~empty)
        if len(busy) > INSERTION_CANDIDATES:
            busy = busy[np.argpartition(price[busy], INSERTION_CANDIDATES - 1)]
            busy = busy[:INSERTION_CANDIDATES]
        out.extend([busy, np.flatnonzero(mine & empty)[:1]])
    return np.sort(np.concatenate(out))


def search_budget(n_agents: int, n_slots: int) -> int:
    """Pair evaluations the local search may spend: max(5,000, 10·(N + G)). Every sweep visits
    all G² slot pairs, so without a bound 1,000 agents on 100 GPUs took 355 s; the bound keeps
    the search linear in the instance's size (it ends earlier when nothing improves)."""
    return max(5_000, 10 * (n_agents + n_slots))


def _improve(s: _State, max_passes: int) -> _State:
    """Sweeps of moves, then of swaps, then (carbon) slot closures, until none improves
    (≤ ``max_passes`` rounds, ≤ :func:`search_budget` pair evaluations)."""
    closing = bool(s.t.fixed.any())  # only fixed carbon rewards emptying a slot as such
    s.budget = search_budget(len(s.where), len(s.value))
    for _ in range(max_passes):
        if _try_moves(s) or _try_swaps(s) or (closing and _try_close(s)):
            continue
        break
    return s


def place_for_objective(
    inst: GpuShareInstance, objective: str | None = None, *, max_passes: int = 50
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

    Returns
    -------
    numpy.ndarray
        int64 slot indices, one per agent in file order. Every agent sits on a slot where it is
        admissible, minimum units fit every slot's capacity and models fit its memory (per GPU
        in a pool), whenever the construction or the search finds such a placement.

    Notes
    -----
    Complexity, N agents, G slots of T GPU types, U units per GPU, n_g agents on slot g:
    tables O(T·N·U); one slot evaluation O(n_g·U log) (memoised); construction N·T·(1 +
    :data:`INSERTION_CANDIDATES`) evaluations at most (N·G on small instances). A move step on
    slots (g, h) prices its n_g candidates, a swap step its ≤ n_g·n_h, each at O(n_g·U log),
    in one numpy pass, and repeats while it improves; closures (carbon only) cost N·G
    evaluations a round. Three starts (fewer when they coincide). The number of improving
    steps has no useful bound beyond ``max_passes`` rounds; benchmarks/gpushare_placement.py
    reports the wall time
    against the MILP's.
    """
    objective = objective or inst.objective
    n, G = len(inst.agents), len(inst.slots)
    if G == 1:
        return np.zeros(n, dtype=np.int64)
    from .heuristics import place, place_one_by_one  # worst-fit placements (import this module)

    t = _tables(inst, objective)
    starts = [_construct(inst, t), place(inst), place_one_by_one(inst)]
    best: _State | None = None
    seen: list[np.ndarray] = []
    for where in starts:
        if any(np.array_equal(where, w) for w in seen):
            continue
        seen.append(where)
        s = _improve(_State(inst, t, where), max_passes)
        if best is None or _key(s.total()) < _key(best.total()):
            best = s
    assert best is not None
    return best.where
