r"""The gpushare MILP: a multiple-choice, multi-knapsack over (agent, GPU, share level) triples.

Sets
    I agents; G placement slots (each GPU, or one pool per ``pooled`` GPU type);
    K_{i,g} admissible share levels of agent i on slot g, in units of 1/U_g of a GPU:
    k ≥ max(1, ⌈min_share_i·U_g⌉), k ≤ ⌊max_share_i·U_g⌋, memory_i ≤ memory_g and
    latency_i(k/U_g) ≤ latency_slo_i. The SLO and the minimum share are enforced here, by
    construction, which is exact for any latency function.
Variables
    assign[i,g,k] ∈ {0,1}: agent i holds k units on slot g.
    used[g] ∈ {0,1}: slot g hosts at least one agent (draws idle power).
Objective (all linear in assign and used; coefficients from ``physics``)
    latency    min Σ w_i·W_i(k/U_g)·assign             (priority-weighted mean response time, s)
    throughput max Σ min(λ_i, v_g μ_i k/U_g)·assign     (req/s)
    cost       min Σ price_g·(k/U_g)·assign             (USD/h, billed per share-hour)
    carbon     min Σ c^fix_g·used + Σ c^act_g·(k/U_g)·assign   (gCO2e/h, operational + embodied)
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..lp import LinearProgram
from .instance import OBJECTIVES, GpuShareInstance
from .physics import latency_s, served_rps, slot_rates, unit_bounds


@dataclass(frozen=True)
class Levels:
    """The admissible (agent, slot, units) triples as parallel arrays."""

    agent: np.ndarray
    slot: np.ndarray
    units: np.ndarray
    share: np.ndarray  # fraction of one GPU


def min_units(inst: GpuShareInstance, slot_index: int) -> np.ndarray:
    """Smallest admissible units per agent on a slot from min share and SLO (U+1 if none)."""
    U = inst.slots[slot_index].units_per_gpu
    k = np.arange(1, U + 1)
    ok = admissible(inst, slot_index, k)
    return np.where(ok.any(axis=1), ok.argmax(axis=1) + 1, U + 1)


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
    ok &= (a.memory <= slot.gpu.memory_bytes)[:, None]
    if np.isfinite(a.slo).any():
        ok &= meets_slo(inst, k[None, :] / U, np.arange(len(a.names))[:, None], slot.gpu.speed)
    return ok


def meets_slo(inst: GpuShareInstance, share: np.ndarray, agent: np.ndarray, speed) -> np.ndarray:  # noqa: ANN001
    """Whether agents ``agent`` at ``share`` on a GPU of ``speed`` meet their SLO (broadcasts)."""
    a = inst.arrays
    lam, mu = a.lam[agent], speed * a.mu[agent]
    w = latency_s(share, lam, mu, inst.overload_rho, inst.overload_horizon_s)
    stable = lam <= inst.overload_rho * mu * share * (1 + 1e-12)
    return (w <= a.slo[agent] * (1 + 1e-9)) & stable | ~np.isfinite(a.slo[agent])


def levels(inst: GpuShareInstance) -> Levels:
    parts = []
    for gi, slot in enumerate(inst.slots):
        k = np.arange(1, slot.units_per_gpu + 1)
        ai, ki = np.nonzero(admissible(inst, gi, k))
        units = k[ki]
        parts.append((ai, np.full(len(ai), gi), units, units / slot.units_per_gpu))
    cat = [np.concatenate([p[j] for p in parts]) for j in range(4)]
    return Levels(agent=cat[0], slot=cat[1], units=cat[2], share=cat[3])


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
    r"""``one_level[i]``: Σ_{g,k} assign[i,g,k] = 1 — every agent gets exactly one level on one GPU.

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


def add_capacity(
    lp: LinearProgram, inst: GpuShareInstance, lv: Levels, cols: np.ndarray, used: np.ndarray
) -> None:
    r"""``capacity[g]``: Σ_{i,k} k·assign[i,g,k] − U_g·S_g·used[g] ≤ 0.

    Index set: slots. Units: share units (1/U_g of a GPU); S_g GPUs in a pool, else 1.
    """
    cap = np.array([s.capacity_units for s in inst.slots], dtype=float)
    G = len(inst.slots)
    lp.add_rows(
        "capacity",
        [s.name for s in inst.slots],
        np.concatenate([lv.slot, np.arange(G)]),
        np.concatenate([cols, used]),
        np.concatenate([lv.units.astype(float), -cap]),
        upper=0.0,
        doc=add_capacity.__doc__ or "",
    )


def add_memory_fit(
    lp: LinearProgram, inst: GpuShareInstance, lv: Levels, cols: np.ndarray, used: np.ndarray
) -> None:
    r"""``memory_fit[g]``: Σ_{i,k} memory_i·assign[i,g,k] − M_g·used[g] ≤ 0.

    Index set: slots. Units: GB (bytes / 1e9, for numerically tame coefficients).
    """
    mem = np.array([s.memory_bytes for s in inst.slots]) / 1e9
    G = len(inst.slots)
    lp.add_rows(
        "memory_fit",
        [s.name for s in inst.slots],
        np.concatenate([lv.slot, np.arange(G)]),
        np.concatenate([cols, used]),
        np.concatenate([inst.arrays.memory[lv.agent] / 1e9, -mem]),
        upper=0.0,
        doc=add_memory_fit.__doc__ or "",
    )


def formulate(inst: GpuShareInstance, objective: str) -> LinearProgram:
    """The gpushare MILP as a :class:`~ecoopt.lp.LinearProgram` (see the module docstring)."""
    lv = levels(inst)
    lp = LinearProgram(name=f"gpushare_{objective}", sense=OBJECTIVES[objective])
    names = inst.arrays.names
    slot_names = [s.name for s in inst.slots]
    assign = lp.add_vars(
        "assign",
        list(
            zip([names[i] for i in lv.agent], [slot_names[g] for g in lv.slot], lv.units.tolist())
        ),
        lower=0.0,
        upper=1.0,
        integer=True,
        cost=level_cost(inst, lv, objective),
        doc="assign[agent, gpu, units] = 1 if the agent holds that many share units on that GPU",
    )
    fixed = np.array([slot_rates(s)[0] for s in inst.slots]) if objective == "carbon" else 0.0
    used = lp.add_vars(
        "used",
        slot_names,
        lower=0.0,
        upper=1.0,
        integer=True,
        cost=fixed,
        doc="used[gpu] = 1 if the GPU hosts any agent",
    )
    add_one_level(lp, inst, lv, assign.cols)
    add_capacity(lp, inst, lv, assign.cols, used.cols)
    add_memory_fit(lp, inst, lv, assign.cols, used.cols)
    lp.meta["levels"] = lv  # kept for plan extraction
    return lp


def build(inst: GpuShareInstance, objective: str | None = None):  # noqa: ANN201
    """The gpushare MILP as a Pyomo ``ConcreteModel`` (``m.assign``, ``m.capacity`` ...)."""
    from ..lp import to_pyomo

    return to_pyomo(formulate(inst, objective or inst.objective))
