r"""The gpushare MILP: a multiple-choice, multi-knapsack over (agent, GPU, share level) triples.

Sets
    I agents; G placement slots (each GPU, or one pool per ``pooled`` GPU type);
    K_{i,g} admissible share levels of agent i on slot g, in units of 1/U_g of a GPU:
    k ≥ max(1, ⌈min_share_i·U_g⌉), k ≤ ⌊max_share_i·U_g⌋, memory_i ≤ memory_g and
    latency_i(k/U_g) ≤ latency_slo_i. The SLO and the minimum share are enforced here, by
    construction, which is exact for any latency function.
Variables
    assign[i,g,k] ∈ {0,1}: agent i holds k units on slot g.
    powered[g] ∈ {0,…,S_g}: GPUs of slot g that are powered (S_g = 1 unless pooled).
    host[i,g,j], on[g,j] ∈ {0,1}: in a pool whose models must be packed GPU by GPU (see
    :func:`add_pool_packing`), agent i's model sits on GPU j of the pool; GPU j holds a model.
Objective (all linear; coefficients from ``physics``)
    latency    min Σ w_i·W_i(k/U_g)·assign             (priority-weighted mean response time, s)
    throughput max Σ min(λ_i, v_g μ_i k/U_g)·assign     (req/s)
    cost       min Σ price_g·(k/U_g)·assign             (USD/h, billed per share-hour)
    carbon     min Σ c^fix_g·powered + Σ c^act_g·(k/U_g)·assign   (gCO2e/h; c^fix per GPU)
Scaling
    Rows are written in GPUs (capacity: units / U_g; memory: bytes / one GPU's bytes), so their
    coefficients lie in [0, 1] whatever the instance's units; the objective is scaled by the
    solve layer (``ecoopt.lp.objective_scale``).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..lp import Labels, LinearProgram
from ..tolerance import REL, fits_memory, within
from .instance import OBJECTIVES, GpuShareInstance
from .packing import pack_models
from .physics import latency_s, served_rps, slot_rates, unit_bounds


@dataclass(frozen=True)
class Levels:
    """The admissible (agent, slot, units) triples as parallel arrays."""

    agent: np.ndarray
    slot: np.ndarray
    units: np.ndarray
    share: np.ndarray  # fraction of one GPU


def min_units(inst: GpuShareInstance, slot_index: int) -> np.ndarray:
    """Smallest admissible units per agent on a slot from min share and SLO (U+1 if none).

    Admissibility is monotone in the units (more share never breaks the SLO, the memory test
    does not depend on them), so a vectorised binary search over [k_lo, k_hi] finds it in
    O(N log U) rather than the O(N·U) grid; slots of one :func:`admission_class` share the
    answer."""
    key = admission_class(inst.slots[slot_index].gpu)
    cache = inst.min_units_cache
    if key not in cache:
        cache[key] = _first_admissible(inst, slot_index)
    return cache[key]


def admission_class(gpu) -> tuple[int, float, float]:  # noqa: ANN001
    """What decides which levels a GPU admits: (share units, speed, memory bytes). GPUs that
    differ only in power, price or grid admit the same levels."""
    return (gpu.share_units, gpu.speed, gpu.memory_bytes)


def _first_admissible(inst: GpuShareInstance, slot_index: int) -> np.ndarray:
    slot = inst.slots[slot_index]
    a = inst.arrays
    U = slot.units_per_gpu
    k_lo, k_hi = unit_bounds(a.min_share, a.max_share, U)
    first = k_lo.astype(np.int64)  # without an SLO the smallest unit count is admissible
    slo = np.flatnonzero(np.isfinite(a.slo))
    if len(slo):
        first[slo] = _first_meeting_slo(inst, slot, slo, first[slo], k_hi[slo].astype(np.int64))
    first = np.where(first <= k_hi, first, U + 1)
    first[~fits_memory(a.memory, slot.gpu.memory_bytes)] = U + 1
    return np.where(first < 1, U + 1, first)


def _first_meeting_slo(inst, slot, agent, lo, k_hi) -> np.ndarray:  # noqa: ANN001
    """Smallest k in [lo, k_hi] at which ``agent`` meets its SLO (k_hi + 1 if none).

    The M/M/1 branch gives it in closed form, k ≥ U·max(λ/(ρ_max·μ), (λ + 1/SLO)/μ): that
    guess is kept when :func:`meets_slo` holds at it and not one unit below (the test itself
    decides at the tolerance's edge); the others get a binary search over [lo, k_hi + 1]."""
    a, U, speed = inst.arrays, slot.units_per_gpu, slot.gpu.speed
    lam, mu = a.lam[agent], speed * a.mu[agent]
    share = np.maximum(lam / (inst.overload_rho * mu), (lam + 1.0 / a.slo[agent]) / mu)
    guess = np.clip(np.ceil(share * U).astype(np.int64), lo, k_hi + 1)
    at = meets_slo(inst, np.minimum(guess, U) / U, agent, speed) & (guess <= k_hi)
    below = (guess > lo) & meets_slo(inst, np.minimum(guess - 1, U) / U, agent, speed)
    settled = (at & ~below) | ((guess == k_hi + 1) & ~below)
    hi = np.where(settled, guess, k_hi + 1)
    lo = np.where(settled, guess, lo)
    while (lo < hi).any():
        mid = (lo + hi) // 2
        ok = meets_slo(inst, np.minimum(mid, U) / U, agent, speed) & (mid < hi)
        hi = np.where(ok, mid, hi)
        lo = np.where(ok | (lo >= hi), lo, mid + 1)
    return lo


def admissible(inst: GpuShareInstance, slot_index: int, k: np.ndarray) -> np.ndarray:
    """Boolean (agents × len(k)) mask of admissible unit counts on one slot.

    Admissible: within the unit bounds of [min_share, max_share]; the agent's model fits one
    GPU of the slot (also in a pool: its share lives on one GPU); with a latency SLO, latency
    within it at utilisation ≤ ``overload_rho`` (an overloaded queue never meets an SLO).
    """
    slot = inst.slots[slot_index]
    a = inst.arrays
    U = slot.units_per_gpu
    k_lo, k_hi = unit_bounds(a.min_share, a.max_share, U)
    ok = (k[None, :] >= k_lo[:, None]) & (k[None, :] <= k_hi[:, None])
    ok &= fits_memory(a.memory, slot.gpu.memory_bytes)[:, None]
    if np.isfinite(a.slo).any():
        ok &= meets_slo(inst, k[None, :] / U, np.arange(len(a.names))[:, None], slot.gpu.speed)
    return ok


def meets_slo(inst: GpuShareInstance, share: np.ndarray, agent: np.ndarray, speed) -> np.ndarray:  # noqa: ANN001
    """Whether agents ``agent`` at ``share`` on a GPU of ``speed`` meet their SLO (broadcasts)."""
    a = inst.arrays
    lam, mu = a.lam[agent], speed * a.mu[agent]
    w = latency_s(share, lam, mu, inst.overload_rho, inst.overload_horizon_s)
    stable = lam <= inst.overload_rho * mu * share * (1 + REL)
    return within(w, a.slo[agent]) & stable | ~np.isfinite(a.slo[agent])


def levels(inst: GpuShareInstance) -> Levels:
    """Every admissible (agent, slot, units) triple, by slot, then agent, then units.

    Admissibility is monotone in the units (:func:`min_units`): on a slot, the admissible
    units of agent i are the whole range [min_units_i, k_hi_i] (k_hi from max_share), empty
    when min_units_i > k_hi_i. So the triples are built from the two ends, in memory O(number
    of levels), not from the agents × units grid of :func:`admissible` (which they equal;
    ``tests/test_gpushare_levels.py`` holds them to it). ``min_units`` is cached on the
    instance, so the pre-check, this and the heuristics search for it once per GPU type.
    """
    parts = [_slot_levels(inst, g) for g in range(len(inst.slots))]
    agent = np.concatenate([p[0] for p in parts])
    slot = np.concatenate([np.full(len(p[0]), g, dtype=np.int64) for g, p in enumerate(parts)])
    units = np.concatenate([p[1] for p in parts])
    per_gpu = np.array([s.units_per_gpu for s in inst.slots], dtype=float)
    return Levels(agent=agent, slot=slot, units=units, share=units / per_gpu[slot])


def _slot_levels(inst: GpuShareInstance, slot_index: int) -> tuple[np.ndarray, np.ndarray]:
    """(agent, units) of the admissible levels on one slot, agents ascending, units ascending."""
    a = inst.arrays
    U = inst.slots[slot_index].units_per_gpu
    first = min_units(inst, slot_index)  # U + 1 where none is admissible
    last = np.minimum(unit_bounds(a.min_share, a.max_share, U)[1], U)
    count = np.where(first <= last, last - first + 1, 0).astype(np.int64)
    agent = np.repeat(np.arange(len(first), dtype=np.int64), count)
    # units run first_i, first_i + 1, …: the position within the level list, shifted per agent
    shift = np.repeat(first.astype(np.int64) - (np.cumsum(count) - count), count)
    return agent, shift + np.arange(len(agent), dtype=np.int64)


def level_cost(inst: GpuShareInstance, lv: Levels, objective: str) -> np.ndarray:
    """Objective coefficient of every triple (units in the module docstring)."""
    a = inst.arrays
    rates = np.array([slot_rates(s) for s in inst.slots])  # fixed, per_share, price, speed
    speed = rates[lv.slot, 3]
    lam, mu = a.lam[lv.agent], a.mu[lv.agent] * speed
    if objective == "latency":
        return a.weights[lv.agent] * latency_s(
            lv.share, lam, mu, inst.overload_rho, inst.overload_horizon_s
        )
    if objective == "throughput":
        return served_rps(lv.share, lam, mu)
    if objective == "cost":
        return rates[lv.slot, 2] * lv.share
    if objective == "carbon":
        return rates[lv.slot, 1] * lv.share
    raise ValueError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")


def add_one_level(lp: LinearProgram, inst: GpuShareInstance, lv: Levels, cols: np.ndarray) -> None:
    r"""``one_level[i]``: every agent gets exactly one level on one GPU.

    .. math:: \sum_{g,k} \mathit{assign}_{i,g,k} = 1 \qquad \forall i

    Index set: agents. Dimensionless.
    """
    lp.add_rows(
        "one_level",
        inst.arrays.names,
        lv.agent,
        cols,
        np.ones(len(cols)),
        lower=1.0,
        upper=1.0,
        doc=add_one_level.__doc__ or "",
        elastic=False,  # every agent must be placed: capacity and memory are what can give
    )


def add_capacity(lp: LinearProgram, inst: GpuShareInstance, lv: Levels, cols, powered) -> None:  # noqa: ANN001
    r"""``capacity[g]``: the shares on a slot fit the GPUs it powers.

    .. math:: \sum_{i,k} \frac{k}{U_g}\,\mathit{assign}_{i,g,k} - \mathit{powered}_g \le 0
        \qquad \forall g

    Index set: slots. Units: GPUs (a share's units over the units of one GPU); the shares on a
    slot fit the GPUs it powers, at most S_g (the bound of ``powered``).
    """
    U = np.array([s.units_per_gpu for s in inst.slots], dtype=float)
    G = len(inst.slots)
    lp.add_rows(
        "capacity",
        [s.name for s in inst.slots],
        np.concatenate([lv.slot, np.arange(G)]),
        np.concatenate([cols, powered]),
        np.concatenate([lv.units / U[lv.slot], -np.ones(G)]),
        upper=0.0,
        doc=add_capacity.__doc__ or "",
    )


def add_memory_fit(lp: LinearProgram, inst: GpuShareInstance, lv: Levels, cols, powered) -> None:  # noqa: ANN001
    r"""``memory_fit[g]``: the models on a slot fit the memory of the GPUs it powers.

    .. math:: \sum_{i,k} \frac{m_i}{M_g}\,\mathit{assign}_{i,g,k} - \mathit{powered}_g \le 0
        \qquad \forall g

    Index set: slots. Units: GPUs of memory (bytes over one GPU's bytes M_g). Exact on a single
    GPU; on a pool it is the aggregate that :func:`add_pool_packing` refines GPU by GPU.
    """
    M = np.array([s.gpu.memory_bytes for s in inst.slots])
    G = len(inst.slots)
    lp.add_rows(
        "memory_fit",
        [s.name for s in inst.slots],
        np.concatenate([lv.slot, np.arange(G)]),
        np.concatenate([cols, powered]),
        np.concatenate([inst.arrays.memory[lv.agent] / M[lv.slot], -np.ones(G)]),
        upper=0.0,
        doc=add_memory_fit.__doc__ or "",
    )


def formulate(inst: GpuShareInstance, objective: str) -> LinearProgram:
    """The gpushare MILP as a :class:`~ecoopt.lp.LinearProgram` (see the module docstring)."""
    lv = levels(inst)
    lp = LinearProgram(name=f"gpushare_{objective}", sense=OBJECTIVES[objective])
    slot_names = [s.name for s in inst.slots]
    assign = lp.add_vars(
        "assign",
        Labels(len(lv.agent), lambda: _level_labels(inst, lv)),
        lower=0.0,
        upper=1.0,
        integer=True,
        cost=level_cost(inst, lv, objective),
        doc="assign[agent, gpu, units] = 1 if the agent holds that many share units on that GPU",
    )
    fixed = np.array([slot_rates(s)[0] for s in inst.slots]) if objective == "carbon" else 0.0
    powered = lp.add_vars(
        "powered",
        slot_names,
        lower=0.0,
        upper=np.array([s.scale for s in inst.slots], dtype=float),
        integer=True,
        cost=fixed,
        doc="powered[gpu] = GPUs of the slot that are powered (0 or 1 outside pools)",
    )
    add_one_level(lp, inst, lv, assign.cols)
    add_capacity(lp, inst, lv, assign.cols, powered.cols)
    add_memory_fit(lp, inst, lv, assign.cols, powered.cols)
    lp.meta["levels"] = lv  # kept for plan extraction
    lp.meta["hosts"] = add_pool_packing(lp, inst, lv, assign.cols, powered.cols, objective)
    return lp


def _level_labels(inst: GpuShareInstance, lv: Levels) -> list[tuple[str, str, int]]:
    """(agent name, slot name, units) of every level: the ``assign`` labels (built on demand)."""
    names, slot_names = inst.arrays.names, [s.name for s in inst.slots]
    return list(
        zip(
            [names[i] for i in lv.agent.tolist()],
            [slot_names[g] for g in lv.slot.tolist()],
            lv.units.tolist(),
        )
    )


def agents_on(lv: Levels, g: int) -> np.ndarray:
    """The agents with a level on slot g, ascending: :func:`levels` lists them by slot, then
    agent, so one pass over the slot's levels finds each once (O(levels), no sort)."""
    agents = lv.agent[lv.slot == g]
    if len(agents) == 0:
        return agents
    first = np.empty(len(agents), dtype=bool)
    first[0] = True
    np.not_equal(agents[1:], agents[:-1], out=first[1:])
    return agents[first]


def pool_packings(
    inst: GpuShareInstance, lv: Levels, objective: str
) -> tuple[dict[int, np.ndarray], list[int]]:
    """Per pool (slot of S > 1 GPUs): a packing of models onto its GPUs fixed in advance, or
    left to the MILP.

    Fixed (host per agent, by ``packing.pack_models`` of *every* agent admissible on the pool)
    when no admissible agent has a model, or when the objective does not price powered GPUs
    (not carbon, or a fixed rate of 0) and that packing fits: any subset of a packable set
    packs the same way, so nothing is lost. Otherwise the pool is in the returned list and
    :func:`add_pool_packing` adds its host variables.
    """
    fixed: dict[int, np.ndarray] = {}
    packed: list[int] = []
    mem = inst.arrays.memory
    for g, s in enumerate(inst.slots):
        if s.scale == 1:
            continue
        cand = agents_on(lv, g)
        host = np.zeros(len(mem), dtype=np.int64)
        if not np.any(mem[cand] > 0):
            fixed[g] = host
            continue
        if objective != "carbon" or slot_rates(s)[0] == 0:
            packing = pack_models(mem[cand], s.gpu.memory_bytes, s.scale)
            if packing is not None:
                host[cand] = packing
                fixed[g] = host
                continue
        packed.append(g)
    return fixed, packed


def _host_columns(inst: GpuShareInstance, lv: Levels, packed: list[int]) -> tuple[np.ndarray, ...]:
    """(agent, slot, gpu) of every host column. Symmetry broken: the r-th model of a pool, by
    decreasing bytes, may only use GPUs 0 … r (GPUs are identical)."""
    mem = inst.arrays.memory
    parts = []
    for g in packed:
        cand = agents_on(lv, g)
        heavy = cand[mem[cand] > 0]
        order = heavy[np.argsort(-mem[heavy], kind="stable")]
        count = np.minimum(np.arange(len(order)), inst.slots[g].scale - 1) + 1
        agent = np.repeat(order, count)
        gpu = np.arange(len(agent)) - np.repeat(np.cumsum(count) - count, count)  # 0 … count−1
        parts.append((agent, np.full(len(agent), g), gpu))
    if not parts:
        return tuple(np.zeros(0, dtype=np.int64) for _ in range(3))
    return tuple(np.concatenate([p[k] for p in parts]).astype(np.int64) for k in range(3))


def add_pool_packing(
    lp: LinearProgram,
    inst: GpuShareInstance,
    lv: Levels,
    cols: np.ndarray,
    powered: np.ndarray,
    objective: str,
) -> dict[str, object]:
    r"""Pools whose models must be packed GPU by GPU (:func:`pool_packings`):
    ``host_one[i,g]`` (a model on one GPU), ``gpu_memory[g,j]`` (GPUs of memory),
    ``gpu_order[g,j]`` (GPUs used in order, breaks symmetry) and ``powered_hosts[g]`` (a GPU
    holding a model is powered).

    .. math::

        \sum_j \mathit{host}_{i,g,j} - \sum_k \mathit{assign}_{i,g,k} &= 0 \\
        \sum_i \frac{m_i}{M_g}\,\mathit{host}_{i,g,j} - \mathit{on}_{g,j} &\le 0 \\
        \mathit{on}_{g,j} - \mathit{on}_{g,j-1} &\le 0 \\
        \sum_j \mathit{on}_{g,j} - \mathit{powered}_g &\le 0

    Index sets: agents with a model admissible on pool g; GPUs j of the pool. Returns what
    plan extraction needs: the fixed packings and the host columns' (agent, slot, gpu).
    """
    fixed, packed = pool_packings(inst, lv, objective)
    agent, slot, gpu = _host_columns(inst, lv, packed)
    out: dict[str, object] = {"fixed": fixed, "agent": agent, "slot": slot, "gpu": gpu}
    if not packed:
        return out
    names, sn = inst.arrays.names, [s.name for s in inst.slots]
    host = lp.add_vars(
        "host",
        Labels(len(agent), lambda: _host_labels(inst, agent, slot, gpu)),
        upper=1.0,
        integer=True,
        doc="host[agent, pool, gpu] = 1 if the agent's model sits on that GPU of the pool",
    )
    # one row per (agent, pool) pair, in (agent, pool) order: pair keys agent·G + pool
    G = len(inst.slots)
    pairs, h_rows = np.unique(agent * G + slot, return_inverse=True)
    a_sel = np.flatnonzero(np.isin(lv.slot, packed) & (inst.arrays.memory[lv.agent] > 0))
    a_rows = np.searchsorted(pairs, lv.agent[a_sel] * G + lv.slot[a_sel])
    lp.add_rows(
        "host_one",
        Labels(len(pairs), lambda: [(names[k // G], sn[k % G]) for k in pairs.tolist()]),
        np.concatenate([h_rows.ravel(), a_rows]).astype(np.int64),
        np.concatenate([host.cols, cols[a_sel]]),
        np.concatenate([np.ones(len(h_rows)), -np.ones(len(a_rows))]),
        lower=0.0,
        upper=0.0,
        doc=add_pool_packing.__doc__ or "",
        elastic=False,
    )
    _add_gpu_rows(lp, inst, packed, agent, slot, gpu, host.cols, powered)
    return out


def _host_labels(inst: GpuShareInstance, agent, slot, gpu) -> list[tuple[str, str, int]]:  # noqa: ANN001
    """(agent name, pool name, GPU) of every host column: the ``host`` labels (on demand)."""
    names, sn = inst.arrays.names, [s.name for s in inst.slots]
    return [(names[i], sn[g], j) for i, g, j in zip(agent.tolist(), slot.tolist(), gpu.tolist())]


def _add_gpu_rows(lp, inst, packed, agent, slot, gpu, host_cols, powered) -> None:  # noqa: ANN001
    """``on`` variables and the ``gpu_memory``, ``gpu_order``, ``powered_hosts`` rows."""
    sn = [s.name for s in inst.slots]
    gj = [(g, j) for g in packed for j in range(inst.slots[g].scale)]
    on = lp.add_vars(
        "on", [(sn[g], j) for g, j in gj], upper=1.0, integer=True, doc="on[pool, gpu]"
    )
    # the rows of pool g's GPUs start after those of the pools before it in ``packed``
    first_row = np.zeros(len(inst.slots), dtype=np.int64)
    first_row[packed] = np.cumsum([0] + [inst.slots[g].scale for g in packed[:-1]])
    M = np.array([s.gpu.memory_bytes for s in inst.slots])
    lp.add_rows(
        "gpu_memory",
        [(sn[g], j) for g, j in gj],
        np.concatenate([first_row[slot] + gpu, np.arange(len(gj))]),
        np.concatenate([host_cols, on.cols]),
        np.concatenate([inst.arrays.memory[agent] / M[slot], -np.ones(len(gj))]),
        upper=0.0,
        doc=add_pool_packing.__doc__ or "",
    )
    later = np.array([r for r, (g, j) in enumerate(gj) if j > 0], dtype=np.int64)
    lp.add_rows(
        "gpu_order",
        [(sn[gj[r][0]], gj[r][1]) for r in later.tolist()],
        np.repeat(np.arange(len(later)), 2),
        np.column_stack([on.cols[later], on.cols[later - 1]]).ravel(),
        np.tile([1.0, -1.0], len(later)),
        upper=0.0,
        doc=add_pool_packing.__doc__ or "",
        elastic=False,
    )
    lp.add_rows(
        "powered_hosts",
        [sn[g] for g in packed],
        np.concatenate([[packed.index(g) for g, _ in gj], np.arange(len(packed))]).astype(int),
        np.concatenate([on.cols, powered[packed]]),
        np.concatenate([np.ones(len(gj)), -np.ones(len(packed))]),
        upper=0.0,
        doc=add_pool_packing.__doc__ or "",
        elastic=False,
    )


def build(inst: GpuShareInstance, objective: str | None = None):  # noqa: ANN201
    """The gpushare MILP as a Pyomo ``ConcreteModel`` (``m.assign``, ``m.capacity`` ...)."""
    from ..lp import to_pyomo

    return to_pyomo(formulate(inst, objective or inst.objective))
