"""Exact oracles written independently of ecoopt's models, solve layer and heuristics.

* :func:`gpushare_optimum` enumerates every assignment of agents to (unpooled) GPU slots and,
  per slot, allocates share units exactly by dynamic programming (a multiple-choice knapsack).
  Per-agent costs are computed here from the documented formulas (``ecoopt.gpushare.physics``
  and ``model`` docstrings); only the latency curve ``physics.latency_s`` is reused.
* :func:`partition_optimum` enumerates every layer→device assignment, and
  :func:`contiguous_stage_optimum` every contiguous-stage plan; the independent evaluator
  judges each one, and memory is checked exactly in bytes (``ecoopt.tolerance``).

All three return ``(value, plan)``, or ``(None, None)`` when no plan is feasible.
"""

from __future__ import annotations

import itertools
import math

import numpy as np

from ecoopt.gpushare import Plan as SharePlan
from ecoopt.gpushare.evaluate import evaluate as evaluate_share
from ecoopt.gpushare.instance import GpuShareInstance, Slot
from ecoopt.gpushare.physics import latency_s
from ecoopt.partition import Plan as PartitionPlan
from ecoopt.partition import evaluate as evaluate_partition
from ecoopt.partition.instance import PartitionInstance
from ecoopt.tolerance import GRID, fits_memory, within

MAXIMISE = {"throughput"}
MAX_PARTITION_PLANS = 5000


# -- gpushare --------------------------------------------------------------------------------
def priority_weights(inst: GpuShareInstance) -> np.ndarray:
    """w_i = (λ_i/P_i) / Σ_j λ_j/P_j (1/P normalised when no agent has demand)."""
    lam = np.array([a.rate_rps for a in inst.agents])
    prio = np.array([a.priority for a in inst.agents])
    w = lam / prio
    if w.sum() <= 0:
        w = 1.0 / prio
    return w / w.sum()


def slot_fixed_rate(slot: Slot) -> float:
    """gCO2e/h a slot draws whenever it hosts anyone: idle power plus amortised embodied."""
    g = slot.gpu
    idle = g.idle_power_w / 1000.0 * g.static_intensity * g.pue
    embodied = g.embodied_kg * 1000.0 / (g.lifetime_years * 8760.0)
    return idle + embodied


def slot_share_rate(slot: Slot) -> float:
    """gCO2e/h per whole GPU of share: (active − idle) power at the grid's intensity."""
    g = slot.gpu
    return (g.active_power_w - g.idle_power_w) / 1000.0 * g.static_intensity * g.pue


def unit_range(agent, units: int) -> range:  # noqa: ANN001
    """Whole units k ≥ 1 with min_share ≤ k/U ≤ max_share (bounds on the grid up to GRID)."""
    lo = max(1, math.ceil(agent.min_share * units - GRID))
    hi = min(units, math.floor(agent.max_share * units + GRID))
    return range(lo, hi + 1)


def meets_slo(inst: GpuShareInstance, agent, share: float, speed: float) -> bool:  # noqa: ANN001
    """SLO met: latency within it and utilisation ≤ overload_rho (no SLO: always)."""
    if agent.latency_slo_s is None:
        return True
    mu = speed * agent.throughput_rps
    lam = agent.rate_rps
    lat = float(latency_s(share, lam, mu, inst.overload_rho, inst.overload_horizon_s))
    return within(lat, agent.latency_slo_s) and within(lam / (mu * share), inst.overload_rho)


def agent_cost(inst: GpuShareInstance, i: int, slot: Slot, k: int, objective: str) -> float:
    """Agent i's objective term at k units of ``slot`` (to minimise: throughput is negated)."""
    agent = inst.agents[i]
    share = k / slot.units_per_gpu
    mu = slot.gpu.speed * agent.throughput_rps
    lam = agent.rate_rps
    if objective == "latency":
        w = priority_weights(inst)[i]
        return float(w * latency_s(share, lam, mu, inst.overload_rho, inst.overload_horizon_s))
    if objective == "throughput":
        return -min(lam, mu * share)
    if objective == "cost":
        return slot.gpu.price_usd_per_h * share
    if objective == "carbon":
        return slot_share_rate(slot) * share
    raise ValueError(f"unknown objective {objective!r}")


def level_table(inst: GpuShareInstance, slot: Slot, objective: str) -> list[dict[int, float]]:
    """Per agent: admissible units on ``slot`` → cost (empty if the agent cannot sit there)."""
    table = []
    for i, agent in enumerate(inst.agents):
        levels: dict[int, float] = {}
        if fits_memory(agent.memory_bytes, slot.gpu.memory_bytes):
            for k in unit_range(agent, slot.units_per_gpu):
                if meets_slo(inst, agent, k / slot.units_per_gpu, slot.gpu.speed):
                    levels[k] = agent_cost(inst, i, slot, k, objective)
        table.append(levels)
    return table


def knapsack(agents: tuple[int, ...], table: list[dict[int, float]], units: int):  # noqa: ANN201
    """Exact min Σ cost over one level per agent with Σ units ≤ ``units``: (value, units) or None.

    DP over agents; state = units used so far; keeps the argmin choices for backtracking.
    """
    best = {0: (0.0, ())}  # units used -> (cost, chosen units per agent so far)
    for i in agents:
        nxt: dict[int, tuple[float, tuple[int, ...]]] = {}
        for used, (cost, chosen) in best.items():
            for k, c in table[i].items():
                u = used + k
                if u <= units and (u not in nxt or cost + c < nxt[u][0]):
                    nxt[u] = (cost + c, (*chosen, k))
        best = nxt
        if not best:
            return None
    cost, chosen = min(best.values(), key=lambda v: v[0])
    return cost, chosen


class SlotSolver:
    """Memoised best allocation of each set of agents on each slot (infeasible → None)."""

    def __init__(self, inst: GpuShareInstance, objective: str) -> None:
        self.inst = inst
        self.objective = objective
        self.tables = [level_table(inst, s, objective) for s in inst.slots]
        self.memo: dict[tuple[int, tuple[int, ...]], tuple[float, tuple[int, ...]] | None] = {}

    def best(self, g: int, agents: tuple[int, ...]):  # noqa: ANN201
        key = (g, agents)
        if key not in self.memo:
            self.memo[key] = self._solve(g, agents)
        return self.memo[key]

    def _solve(self, g: int, agents: tuple[int, ...]):  # noqa: ANN202
        slot = self.inst.slots[g]
        if not agents:
            return 0.0, ()
        memory = sum(self.inst.agents[i].memory_bytes for i in agents)
        if not fits_memory(memory, slot.gpu.memory_bytes):
            return None
        found = knapsack(agents, self.tables[g], slot.units_per_gpu)
        if found is None:
            return None
        cost, chosen = found
        if self.objective == "carbon":
            cost += slot_fixed_rate(slot)
        return cost, chosen


def gpushare_optimum(inst: GpuShareInstance, objective: str):  # noqa: ANN201
    """Exact optimum (value in the objective's own sense, Plan) or (None, None) if infeasible."""
    slots = inst.slots
    if any(s.scale != 1 for s in slots):
        raise ValueError("gpushare_optimum handles unpooled slots only (scale 1)")
    n, G = len(inst.agents), len(slots)
    if G**n > 200_000:
        raise ValueError(f"{G}^{n} assignments is too many to enumerate")
    solver = SlotSolver(inst, objective)
    best_cost, best_where, best_units = math.inf, None, None
    for where in itertools.product(range(G), repeat=n):
        total, units = 0.0, {}
        for g in range(G):
            agents = tuple(i for i in range(n) if where[i] == g)
            found = solver.best(g, agents)
            if found is None:
                break
            total += found[0]
            units.update(zip(agents, found[1]))
        else:
            if total < best_cost:
                best_cost, best_where, best_units = total, where, units
    if best_where is None:
        return None, None
    share = np.array([best_units[i] / slots[best_where[i]].units_per_gpu for i in range(n)])
    plan = SharePlan("oracle", [slots[g].name for g in best_where], share)
    value = -best_cost if objective in MAXIMISE else best_cost
    return value, plan


def gpushare_exactly_feasible(inst: GpuShareInstance, plan: SharePlan, objective: str):  # noqa: ANN201
    """The evaluator's verdict plus memory exact in bytes: (feasible, Evaluation)."""
    ev = evaluate_share(inst, plan, objective)
    used: dict[str, float] = {}
    for agent, name in zip(inst.agents, plan.slot):
        used[name] = used.get(name, 0.0) + agent.memory_bytes
    by_name = {s.name: s for s in inst.slots}
    memory_ok = all(
        fits_memory(b, by_name[nm].gpu.memory_bytes) for nm, b in used.items() if nm in by_name
    ) and all(
        fits_memory(a.memory_bytes, by_name[nm].gpu.memory_bytes)
        for a, nm in zip(inst.agents, plan.slot)
        if nm in by_name
    )
    return ev.feasible and memory_ok, ev


# -- partition --------------------------------------------------------------------------------
def partition_exactly_feasible(inst: PartitionInstance, plan: PartitionPlan, objective: str):  # noqa: ANN201
    """The evaluator's verdict plus weights exact in bytes per device: (feasible, Evaluation)."""
    ev = evaluate_partition(inst, plan, objective)
    d = inst.data
    used = dict.fromkeys(d.devices, 0.0)
    for name, b in zip(plan.device, d.param_bytes):
        if name in used:
            used[name] += float(b)
    memory_ok = all(fits_memory(used[n], d.memory_bytes[j]) for j, n in enumerate(d.devices))
    return ev.feasible and memory_ok, ev


def partition_optimum(inst: PartitionInstance, objective: str):  # noqa: ANN201
    """Best feasible (value, Plan) over every layer→device assignment, or (None, None)."""
    d = inst.data
    if len(d.devices) ** len(d.layers) > MAX_PARTITION_PLANS:
        raise ValueError("too many layer→device assignments to enumerate")
    best_value, best_plan = None, None
    for combo in itertools.product(d.devices, repeat=len(d.layers)):
        plan = PartitionPlan("oracle", list(combo))
        ok, ev = partition_exactly_feasible(inst, plan, objective)
        if ok and (best_value is None or ev.objective < best_value):
            best_value, best_plan = ev.objective, plan
    return best_value, best_plan


def contiguous_stage_plans(inst: PartitionInstance):  # noqa: ANN201
    """Every contiguous-stage plan: the topological order cut into k ≥ 1 non-empty runs, run i
    on device π_i, π injective (each device at most one run)."""
    d = inst.data
    L = len(d.layers)
    for k in range(1, min(L, len(d.devices)) + 1):
        for cuts in itertools.combinations(range(1, L), k - 1):
            bounds = (0, *cuts, L)
            for order in itertools.permutations(d.devices, k):
                device: list[str] = []
                for i, name in enumerate(order):
                    device += [name] * (bounds[i + 1] - bounds[i])
                yield PartitionPlan("oracle", device)


def contiguous_stage_optimum(inst: PartitionInstance, objective: str):  # noqa: ANN201
    """Best feasible (value, Plan) over :func:`contiguous_stage_plans`, or (None, None)."""
    best_value, best_plan = None, None
    for plan in contiguous_stage_plans(inst):
        ok, ev = partition_exactly_feasible(inst, plan, objective)
        if ok and (best_value is None or ev.objective < best_value):
            best_value, best_plan = ev.objective, plan
    return best_value, best_plan
