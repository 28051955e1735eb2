"""The routing MILP on streams too long to solve whole, and online.

* :func:`solve_rolling` — **rolling horizon** (hindsight within a window): the stream is cut
  into windows of ``window_s`` by the grid point at which each request becomes visible; window
  by window, the MILP of ``ecoopt.routing.model`` is solved over that window's requests with
  the lanes and memory that earlier windows' batches hold taken out of each node's capacity,
  and its batches are committed. Each window reports its own objective, bound and gap (proven
  for the window, given what came before); the plan gets a bound valid for the whole stream,
  :func:`request_bound`. A window never batches requests of two windows, so the plan can be
  worse than the hindsight optimum near window edges; with one window it is the optimum.
* :func:`online_milp` — **our own online policy**: at each decision epoch (a grid point at
  which requests become visible, or at which the last solve planned a batch), the MILP is
  solved over the requests seen and not yet started, with batches from now on and the
  capacity running batches hold taken out; the batches that start now are committed, the rest
  is re-planned at the next epoch (model-predictive control). It never looks at a request
  before it arrives.

Both solve *soft* models: a request that cannot be served (its SLO can no longer be met, or
capacity is gone) is left unserved at a penalty above any plan's cost instead of making the
window infeasible; the evaluator then rejects the plan, as it rejects any policy's.
"""

from __future__ import annotations

import dataclasses
import time
from dataclasses import dataclass, field

import numpy as np

from ..errors import NotApplicable
from ..highs import solve_lp
from ..lp import LinearProgram, objective_scale
from ..results import SolverOptions
from .arrays import TIME_EPS, RoutingData
from .evaluate import Plan, profile_rows
from .instance import RoutingInstance
from .model import _batch_costs, _serve_costs, build_cells, formulate_data, objective_weights
from .plans import plan_from_data


def sub_stream(d: RoutingData, idx: np.ndarray) -> RoutingData:
    """The stream ``d`` with only the requests ``idx`` (nodes, profiles and grid unchanged)."""
    return dataclasses.replace(
        d,
        arrival_s=d.arrival_s[idx],
        rtype=d.rtype[idx],
        deadline_s=d.deadline_s[idx],
        start_by_s=d.start_by_s[idx],
    )


def request_bound(
    d: RoutingData, weights: dict[str, float], earliest: int = 0, cells: dict | None = None
) -> float:
    """A lower bound on every plan's objective: each request alone at its cheapest cell,
    Σ_r min_{(p,s) allowed for r} (cost_p(s) / b_p + serve cost), plus the latency offset.
    Valid because a batch of profile p holding m ≤ b_p requests costs cost_p(s) = m ·
    cost_p(s)/m ≥ m · cost_p(s)/b_p. Requests with no allowed cell are left out (no plan can
    serve them). O(cells)."""
    cells = build_cells(d, earliest) if cells is None else cells  # (a model's, when built)
    if len(cells["cg"]) == 0:
        return 0.0
    batch = np.zeros(len(cells["bp"])) + _batch_costs(d, cells, weights)  # 0 for latency
    per = batch[cells["cb"]] / d.p_batch[cells["cp"]]
    per = per + _serve_costs(d, cells, weights)
    best = np.full(len(cells["g_count"]), np.inf)
    np.minimum.at(best, cells["cg"], per)
    ok = np.isfinite(best)
    offset = -weights.get("latency_s", 0.0) * float(d.arrival_s.mean())
    return float((best[ok] * cells["g_count"][ok]).sum() + offset)


class Occupancy:
    """Lanes and memory (bytes) that committed batches hold, per node and grid point."""

    def __init__(self, d: RoutingData) -> None:
        last = max(float(d.deadline_s.max()), d.horizon_s)
        T = int(np.ceil(last / d.slot_s)) + 2
        self.lanes = np.zeros((d.N, T))
        self.memory = np.zeros((d.N, T))

    def commit(self, d: RoutingData, plan: Plan) -> None:
        """Take the batches of ``plan`` (a plan of ``d``'s requests or a part of them)."""
        btype = np.zeros(len(plan.batch_node), dtype=np.int64)
        held = plan.batch_of >= 0
        btype[plan.batch_of[held]] = d.rtype[held]
        rows = profile_rows(d, plan.batch_node, btype, plan.batch_size)
        for j, p in enumerate(rows):
            s0 = int(round(plan.batch_start_s[j] / d.slot_s))
            dur = max(int(np.ceil(d.p_service_s[p] / d.slot_s - TIME_EPS)), 1)
            n = plan.batch_node[j]
            self.lanes[n, s0 : s0 + dur] += 1
            self.memory[n, s0 : s0 + dur] += d.p_memory_bytes[p]


@dataclass
class Assembly:
    """The whole stream's plan, built from the plans of parts of it."""

    batch_of: np.ndarray
    node: list[int] = field(default_factory=list)
    size: list[int] = field(default_factory=list)
    start: list[float] = field(default_factory=list)

    def add(self, idx: np.ndarray, part: Plan) -> np.ndarray:
        """Add the batches of ``part`` (a plan over requests ``idx``); returns the requests of
        ``idx`` now in a batch (a mask)."""
        offset = len(self.node)
        self.node += part.batch_node.tolist()
        self.size += part.batch_size.tolist()
        self.start += part.batch_start_s.tolist()
        placed = part.batch_of >= 0
        self.batch_of[idx[placed]] = offset + part.batch_of[placed]
        return placed

    def plan(self, method: str) -> Plan:
        return Plan(
            method,
            self.batch_of.copy(),
            np.array(self.node, dtype=np.int64),
            np.array(self.size, dtype=np.int64),
            np.array(self.start, dtype=float),
        )


def tie_weight(d: RoutingData, weights: dict[str, float]) -> float:
    """ε of the tie-breaking term (:func:`tie_costs`), from the nodes and profiles alone (an
    online policy may not read the stream ahead): a request waiting the longest SLO costs
    10⁻³ of the cheapest request's share of any batch at the first hour's intensities; 0 when
    the objective already counts latency."""
    if weights.get("latency_s", 0.0) > 0 or len(d.p_node) == 0:
        return 0.0
    rows = np.arange(len(d.p_node))
    per = {"carbon_g": d.batch_carbon_g(rows, np.zeros(len(rows))), "energy_j": d.p_energy_j}
    cost = sum(w * per[m] for m, w in weights.items() if m in per) / d.p_batch
    cheapest = float(np.min(cost[cost > 0], initial=np.inf))
    return 1e-3 * cheapest / float(d.slo_s.max()) if np.isfinite(cheapest) else 0.0


def tie_costs(d: RoutingData, cells: dict, eps: float) -> np.ndarray:
    """Per cell, ε × the request's time from its first grid point to its batch's end, with
    the sign that breaks ties the useful way online: on a node that batches the request's type
    (a profile of batch > 1), later (the batch may still fill); elsewhere earlier (the lane is
    left free for requests not yet seen)."""
    batched = np.zeros((d.N, d.K), dtype=bool)
    np.logical_or.at(batched, (d.p_node, d.p_type), d.p_batch > 1)
    sign = np.where(batched[d.p_node, d.p_type], -1.0, 1.0)
    cp = cells["cp"]
    wait = (cells["cs"] - cells["g_first"][cells["cg"]]) * d.slot_s + d.p_service_s[cp]
    return eps * sign[cp] * wait


def _solve_part(
    d: RoutingData,
    idx: np.ndarray,
    weights: dict[str, float],
    earliest: int,
    occ: Occupancy,
    time_limit_s: float,
    eps: float,
    until: int | None = None,
) -> tuple[Plan, dict]:
    """The soft MILP over requests ``idx``, batches from grid point ``earliest`` to ``until``
    beside ``occ``: its plan (over ``idx``) and a record (requests, status, objective, bound,
    gap, seconds; in the weights given, with the tie-breaking and deferral terms)."""
    t0 = time.perf_counter()
    part = sub_stream(d, idx)
    lp = formulate_data(
        part, weights, earliest=earliest, until=until, held=(occ.lanes, occ.memory), soft=True
    )
    cells = lp.meta["cells"]
    lp.vars["serve"].cost += tie_costs(part, cells, eps)
    if until is not None:
        _price_deferral(part, lp, until, eps)
    ref = request_bound(part, weights, earliest, cells)
    sol = solve_lp(
        lp,
        SolverOptions(time_limit=time_limit_s, mip_rel_gap=1e-6, threads=1),
        cost_scale=objective_scale(lp, ref if ref > 0 else None),
    )
    if sol.x is None:
        plan = Plan("part", -np.ones(len(idx), dtype=np.int64), *_no_batches())
    else:
        plan = plan_from_data(part, lp, sol.x, "part")
    record = {
        "requests": len(idx),
        "unserved": int((plan.batch_of < 0).sum()),
        "status": sol.termination,
        "objective": _cost(lp, sol.x),
        "bound": sol.bound,
        "gap": sol.gap,
        "seconds": time.perf_counter() - t0,
    }
    return plan, record


def _price_deferral(d: RoutingData, lp: LinearProgram, until: int, eps: float) -> None:
    """Groups that may still start after the look-ahead's last grid point ``until`` may be
    left for a later epoch at their cheapest cost per request inside the look-ahead (a full
    batch's share), plus ε × the longest SLO (so that serving as cheaply now wins the tie);
    the others keep the unserved penalty."""
    cells = lp.meta["cells"]
    per = lp.vars["batches"].cost[cells["cb"]] / d.p_batch[cells["cp"]]
    per = per + lp.vars["serve"].cost
    best = np.full(len(cells["g_count"]), np.inf)
    np.minimum.at(best, cells["cg"], per)
    latest = np.minimum(d.deadline_s[:, None] - d.p_service_s[None, :], d.start_by_s[:, None])
    latest = np.where(d.p_type[None, :] == d.rtype[:, None], latest, -np.inf).max(axis=1)
    last = np.floor(latest / d.slot_s + TIME_EPS)
    rep = np.zeros(len(best), dtype=np.int64)
    rep[cells["group_of"]] = np.arange(d.R)
    later = (last[rep] > until) & np.isfinite(best)
    cost = lp.vars["unserved"].cost
    cost[later] = best[later] + eps * float(d.slo_s.max())


def _no_batches() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64), np.zeros(0)


def _cost(lp: LinearProgram, x: np.ndarray | None) -> float | None:
    """The objective without the unserved penalty."""
    if x is None:
        return None
    pen = lp.vars["unserved"]
    return lp.objective_value(x) - float(pen.cost @ lp.values(x, "unserved"))


def _visible(d: RoutingData) -> np.ndarray:
    """Each request's first grid point (index)."""
    return np.ceil(d.arrival_s / d.slot_s - TIME_EPS).astype(np.int64)


@dataclass
class RollingResult:
    """A plan of the whole stream, the per-window (or per-epoch) records, and a lower bound
    on every plan's objective (:func:`request_bound`; ``None`` when not computed)."""

    plan: Plan
    windows: list[dict]
    bound: float | None

    def frame(self):  # noqa: ANN201 - pandas.DataFrame
        import pandas as pd

        return pd.DataFrame(self.windows)


def _applies(objective: str) -> None:
    if objective == "latency_max":
        raise NotApplicable(
            "the rolling horizon and online_milp minimise sums (carbon, energy, mean latency, "
            "weighted), not the largest latency"
        )


def solve_rolling(
    inst: RoutingInstance,
    window_s: float | None = None,
    *,
    objective: str | None = None,
    time_limit_s: float = 10.0,
) -> RollingResult:
    """Rolling horizon (module docstring): windows of ``window_s`` (default twice the longest
    SLO, at least 10 grid points), each solved to proven optimality or ``time_limit_s``."""
    d = inst.data
    _applies(objective or inst.objective)
    weights = objective_weights(inst, objective or inst.objective)
    eps = tie_weight(d, weights)
    window = window_s if window_s is not None else max(2.0 * d.slo_s.max(), 10 * d.slot_s)
    which = np.floor(_visible(d) * d.slot_s / window + TIME_EPS).astype(np.int64)
    occ, out, records = Occupancy(d), Assembly(-np.ones(d.R, dtype=np.int64)), []
    for w in np.unique(which):
        idx = np.flatnonzero(which == w)
        part, rec = _solve_part(d, idx, weights, 0, occ, time_limit_s, eps)
        out.add(idx, part)
        occ.commit(sub_stream(d, idx), part)
        records.append({"window": int(w), "start_s": float(w * window), **rec})
    plan = out.plan("rolling_horizon")
    plan.bound = request_bound(d, weights)
    return RollingResult(plan, records, plan.bound)


def _epoch(
    d: RoutingData,
    t: int,
    waiting: np.ndarray,
    weights: dict[str, float],
    occ: Occupancy,
    out: Assembly,
    time_limit_s: float,
    eps: float,
    lookahead: int,
) -> tuple[np.ndarray, int, dict]:
    """One decision at grid point t over the requests ``waiting``: commit the batches that
    start now; return the requests placed (mask over ``waiting``), the next grid point a
    planned batch starts (a large number if none) and the solve's record."""
    part, rec = _solve_part(d, waiting, weights, t, occ, time_limit_s, eps, t + lookahead)
    grid = np.round(part.batch_start_s / d.slot_s).astype(np.int64)
    now = grid == t
    kept = _only(part, now)
    placed = out.add(waiting, kept)
    occ.commit(sub_stream(d, waiting), kept)
    later = grid[~now]
    return placed, int(later.min()) if len(later) else np.iinfo(np.int64).max, rec


def _only(plan: Plan, keep: np.ndarray) -> Plan:
    """``plan`` with only the batches ``keep`` selects (their requests; the rest unserved)."""
    renumber = -np.ones(len(keep), dtype=np.int64)
    renumber[keep] = np.arange(keep.sum())
    batch_of = -np.ones(len(plan.batch_of), dtype=np.int64)
    on = plan.batch_of >= 0
    batch_of[on] = renumber[plan.batch_of[on]]
    return Plan(
        plan.method,
        batch_of,
        plan.batch_node[keep],
        plan.batch_size[keep],
        plan.batch_start_s[keep],
    )


def online_milp(
    inst: RoutingInstance,
    *,
    objective: str | None = None,
    lookahead: int | None = None,
    time_limit_s: float = 2.0,
) -> RollingResult:
    """Our online policy (module docstring): the MILP re-solved at each decision epoch over
    the requests seen and not started, on the grid points from now to ``lookahead`` ahead
    (default: twice the longest service time, at least 10). A request whose SLO lets it start
    beyond the look-ahead may be left for a later epoch at its best price inside it. One solve
    per epoch (each to proven optimality or ``time_limit_s``); requests whose SLO can no
    longer be met are dropped (left unserved)."""
    d = inst.data
    _applies(objective or inst.objective)
    if lookahead is None:
        lookahead = max(10, int(np.ceil(2.0 * d.p_service_s.max() / d.slot_s)))
    weights = objective_weights(inst, objective or inst.objective)
    eps = tie_weight(d, weights)
    seen = _visible(d)
    arrivals = np.unique(seen)
    done = np.zeros(d.R, dtype=bool)
    occ, out, records = Occupancy(d), Assembly(-np.ones(d.R, dtype=np.int64)), []
    t, planned = int(arrivals[0]), np.iinfo(np.int64).max
    while True:
        waiting = np.flatnonzero((seen <= t) & ~done)
        if len(waiting):
            placed, planned, rec = _epoch(
                d, t, waiting, weights, occ, out, time_limit_s, eps, lookahead
            )
            done[waiting[placed]] = True
            dead = waiting[~placed][d.deadline_s[waiting[~placed]] < (t + 1) * d.slot_s]
            done[dead] = True  # it cannot start later and still meet its SLO
            records.append({"epoch": t, "start_s": t * d.slot_s, **rec})
        nxt = arrivals[arrivals > t]
        t_next = min(int(nxt[0]) if len(nxt) else np.iinfo(np.int64).max, planned)
        if ((seen <= t) & ~done).any():  # deferred ones: look again when the window has moved
            t_next = min(t_next, t + lookahead)
        if t_next == np.iinfo(np.int64).max or done.all():
            break
        t = t_next
    plan = out.plan("online_milp")
    plan.bound = request_bound(d, weights)
    return RollingResult(plan, records, plan.bound)
