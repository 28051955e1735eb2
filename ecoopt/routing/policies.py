"""Online routing policies, each run by the one simulator (``ecoopt.routing.simulate``).

A policy picks the node of each request when it becomes visible (``route``) and the batch size
its nodes wait for (``target``). Where the papers are silent, ecoopt decides:

* **CarbonEdge, Algorithm 1** (arXiv 2603.27420; modes ``carbonedge_performance``,
  ``carbonedge_balanced``, ``carbonedge_green``): per request one pass over the nodes that can
  serve its type; a node is skipped when its load is above ``carbonedge.load_filter`` (0.8) or,
  if ``carbonedge.latency_threshold_s`` is given, its service time is above it; the score is
  S = w_R·S_R + w_L·S_L + w_P·S_P + w_B·S_B + w_C·S_C with S_L = 1 − load,
  S_P = 1/(1 + avg_time_s), S_B = 1/(1 + 2·task_count), S_C = 1/(1 + I·E_est),
  E_est = P_node·(1000·avg_time_s)/3.6e6 as the paper writes it (W and ms: Wh, not kWh), and the
  highest score wins, the first node on ties (strict >). Ours, where the paper is silent: load =
  outstanding requests ÷ (concurrency × largest batch); task_count = outstanding requests;
  avg_time_s = the batch-1 service time; P_node = batch-1 energy ÷ service time + idle power;
  S_R = the share of free lanes; every node filtered → the least loaded one. Batches: as they
  come (target 1). ``carbonedge_custom`` (ours): the same rule with the instance's
  ``carbonedge.weights`` (w_R, w_L, w_P, w_B, w_C), or Balanced's when it gives none; it is
  made by name (``make_policy``, ``simulate(..., policies=[...])``) and is not among the
  default ``POLICY_NAMES``. :func:`carbonedge_weight_sweep` runs it over w_C with the other
  four weights Balanced's scaled to sum to 1 − w_C (ours: the paper does not say how they
  move). The per-request arithmetic is vectorised in ``ecoopt.routing.scoring``.
* ``round_robin``, ``random`` (seeded by the instance's ``seed``), ``least_loaded`` (fewest
  outstanding requests per lane-batch): target 1.
* The edge-cluster paper's routers (arXiv 2512.04088; their rules are not published, these are
  ours): ``latency_aware`` sends each request to the node with the earliest estimated finish
  (its lanes' free times, the queued work ahead, its batch-1 service time), target 1;
  ``carbon_aware`` to the node with the least carbon per request at its energy knee (the
  smallest batch after which doubling saves under 10 % energy per request) among those whose
  estimated finish meets the SLO (else the latency-aware node), waiting for knee-size batches;
  ``greedy`` to the first node in file order with a free lane, else the first that can serve.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable

import numpy as np

from .arrays import RoutingData
from .instance import RoutingInstance
from .scoring import decide_one, decide_run

MODES = {  # (w_R, w_L, w_P, w_B, w_C), CarbonEdge's Table of modes
    "performance": (0.25, 0.25, 0.30, 0.15, 0.05),
    "balanced": (0.20, 0.20, 0.15, 0.15, 0.30),
    "green": (0.15, 0.15, 0.10, 0.10, 0.50),
}


#: a run of this many same-type requests at one grid point goes through the merge
RUN_MERGE = 16


def mode_weights(inst: RoutingInstance, mode: str) -> tuple[float, ...]:
    """(w_R, w_L, w_P, w_B, w_C) of a CarbonEdge mode; ``custom``: the instance's
    ``carbonedge.weights``, or Balanced's when it gives none (ours)."""
    if mode == "custom":
        given = inst.carbonedge.weights
        return tuple(given) if given is not None else MODES["balanced"]
    return MODES[mode]


class Policy:
    """Base: the nodes able to serve each type, their batch-1 figures and the largest batch."""

    name = "policy"

    def __init__(self, inst: RoutingInstance) -> None:
        d = self.d = inst.data
        self.inst = inst
        self.capable = [
            np.flatnonzero(np.isin(np.arange(d.N), d.p_node[d.p_type == k])) for k in range(d.K)
        ]
        self.service1 = np.full((d.N, d.K), np.inf)  # smallest profiled batch's service time
        self.energy1 = np.full((d.N, d.K), np.inf)  # ... and its energy per request
        self.biggest = np.zeros((d.N, d.K), dtype=np.int64)
        for p in np.argsort(-d.p_batch, kind="stable"):  # smallest batch written last
            n, k = d.p_node[p], d.p_type[p]
            self.service1[n, k] = d.p_service_s[p]
            self.energy1[n, k] = d.p_energy_j[p] / d.p_batch[p]
            self.biggest[n, k] = max(self.biggest[n, k], d.p_batch[p])
        #: (N,) each node's quickest batch-1 service time over the types it serves
        quick = np.where(np.isfinite(self.service1), self.service1, np.inf).min(axis=1)
        self.quickest = np.where(np.isfinite(quick), quick, 0.0)
        self._fast_constants()

    def _fast_constants(self) -> None:
        """Per type, as Python lists for :meth:`route_fast`: the capable nodes, each node's
        capacity (lanes × its largest batch, at least 1) and batch-1 service time."""
        d = self.d
        self.nodes_of = [c.tolist() for c in self.capable]
        self.cap_of = [(d.lanes * np.maximum(self.biggest[:, k], 1)).tolist() for k in range(d.K)]
        self.service1_of = [self.service1[:, k].tolist() for k in range(d.K)]
        self.rtype_list = d.rtype.tolist()
        self.quickest_list = self.quickest.tolist()
        self.lanes_list = d.lanes.tolist()

    def target(self, n: int, k: int) -> int:
        return 1

    def route_visible(self, sim, rs: list[int], t: float) -> None:  # noqa: ANN001
        """Route the requests ``rs`` visible at t, in order, each seeing the previous ones
        queued (``sim`` is a :class:`~ecoopt.routing.simulate.Simulation`)."""
        for r in rs:
            sim.admit(r, self.route_fast(sim, r, t), t)

    def route_fast(self, sim, r: int, t: float) -> int:  # noqa: ANN001
        """The node of :meth:`route`, read from the simulator's plain-Python state."""
        raise NotImplementedError

    def load(self, sim, k: int) -> np.ndarray:  # noqa: ANN001
        """Outstanding requests per node ÷ (lanes × its largest batch of type k)."""
        cap = self.d.lanes * np.maximum(self.biggest[:, k], 1)
        return sim.state.outstanding() / cap

    def route(self, sim, r: int, t: float) -> int:  # noqa: ANN001
        raise NotImplementedError


class RoundRobin(Policy):
    """Each request to the next capable node in turn, per type; batches as they come.

    Cost: O(1) a request.

    Misses: everything but the turn: load, speed, SLOs, carbon; an online rule: it sees no request
    before it arrives and no future intensity."""

    name = "round_robin"

    def __init__(self, inst: RoutingInstance) -> None:
        super().__init__(inst)
        self.turn = np.zeros(self.d.K, dtype=np.int64)

    def route(self, sim, r: int, t: float) -> int:  # noqa: ANN001
        k = self.d.rtype[r]
        nodes = self.capable[k]
        self.turn[k] += 1
        return int(nodes[(self.turn[k] - 1) % len(nodes)])

    def route_fast(self, sim, r: int, t: float) -> int:  # noqa: ANN001
        return self.route(sim, r, t)


class Random(Policy):
    """Each request to a capable node drawn uniformly (seeded by the instance's ``seed``).

    Cost: O(1) a request.

    Misses: as ``round_robin``, and a run of draws can pile requests on one node.
    """

    name = "random"

    def __init__(self, inst: RoutingInstance) -> None:
        super().__init__(inst)
        self.rng = np.random.default_rng(inst.seed)

    def route(self, sim, r: int, t: float) -> int:  # noqa: ANN001
        nodes = self.capable[self.d.rtype[r]]
        return int(nodes[self.rng.integers(len(nodes))])

    def route_fast(self, sim, r: int, t: float) -> int:  # noqa: ANN001
        return self.route(sim, r, t)


class LeastLoaded(Policy):
    """Each request to the capable node with the fewest outstanding requests per lane-batch.

    Cost: O(N) a request, for N capable nodes.

    Misses: speed (a slow node with a short queue wins), carbon and SLOs; an online rule: it sees no
    request before it arrives and no future intensity."""

    name = "least_loaded"

    def route(self, sim, r: int, t: float) -> int:  # noqa: ANN001
        k = self.d.rtype[r]
        nodes = self.capable[k]
        return int(nodes[np.argmin(self.load(sim, k)[nodes])])

    def route_fast(self, sim, r: int, t: float) -> int:  # noqa: ANN001
        k = self.rtype_list[r]
        return _least_loaded(self.nodes_of[k], sim.state.outstanding, self.cap_of[k])


class CarbonEdge(Policy):
    """CarbonEdge's weighted scoring (:mod:`ecoopt.routing.policies`): each request to the
    capable node of highest score S = w_R·S_R + w_L·S_L + w_P·S_P + w_B·S_B + w_C·S_C,
    batches as they come.

    Cost: O(N) a request, for N capable nodes (vectorised per run of requests,
    ``ecoopt.routing.scoring``).

    Misses: SLOs (a score, not a deadline), batching (target 1) and the energy per request of
    larger batches; an online rule: it sees no request before it arrives and no future intensity.
    """

    def __init__(self, inst: RoutingInstance, mode: str) -> None:
        super().__init__(inst)
        self.name = f"carbonedge_{mode}"
        self.w = mode_weights(inst, mode)
        d = self.d
        self.power_w = np.where(np.isfinite(self.service1), self.energy1 / self.service1, 0.0)
        self.power_w += d.idle_w[:, None]
        cfg = inst.carbonedge
        lat = np.inf if cfg.latency_threshold_s is None else cfg.latency_threshold_s
        self.load_filter = cfg.load_filter
        self.eligible_of = [
            (self.service1[c, k] <= lat).tolist() for k, c in enumerate(self.capable)
        ]
        self.const_p_of = [  # w_P·S_P of the capable nodes, as scores computes it
            (self.w[2] * (1.0 / (1.0 + self.service1[c, k]))).tolist()
            for k, c in enumerate(self.capable)
        ]
        self.cap_capable = [
            np.asarray(self.cap_of[k])[c].tolist() for k, c in enumerate(self.capable)
        ]
        self.const_c: dict[tuple[int, int], list[float]] = {}  # (type, hour) -> w_C·S_C

    def _const_c(self, k: int, hour: int) -> list[float]:
        """w_C·S_C of type k's capable nodes in that hour, as :meth:`scores` computes it."""
        if (k, hour) not in self.const_c:
            d, nodes = self.d, self.capable[k]
            avg = self.service1[:, k]
            e_est = self.power_w[:, k] * (1000.0 * avg) / 3.6e6
            s_c = 1.0 / (1.0 + d.hourly_g_per_kwh[:, hour] * e_est)
            self.const_c[(k, hour)] = (self.w[4] * s_c)[nodes].tolist()
        return self.const_c[(k, hour)]

    def scores(self, sim, k: int, t: float) -> np.ndarray:  # noqa: ANN001
        d, st = self.d, sim.state
        load = self.load(sim, k)
        free = (st.free_at <= t + 1e-9).sum(axis=1) / d.lanes
        avg = self.service1[:, k]
        e_est = self.power_w[:, k] * (1000.0 * avg) / 3.6e6
        hour = min(int(t // 3600.0), d.hourly_g_per_kwh.shape[1] - 1)
        s_c = 1.0 / (1.0 + d.hourly_g_per_kwh[:, hour] * e_est)
        parts = (free, 1.0 - load, 1.0 / (1.0 + avg), 1.0 / (1.0 + 2.0 * st.outstanding()), s_c)
        return sum(w * s for w, s in zip(self.w, parts))

    def route(self, sim, r: int, t: float) -> int:  # noqa: ANN001
        k = self.d.rtype[r]
        nodes = self.capable[k]
        cfg = self.inst.carbonedge
        load = self.load(sim, k)[nodes]
        keep = load <= cfg.load_filter
        if cfg.latency_threshold_s is not None:
            keep &= self.service1[nodes, k] <= cfg.latency_threshold_s
        if not keep.any():
            return int(nodes[np.argmin(load)])
        score = self.scores(sim, k, t)[nodes]
        score = np.where(keep, score, -np.inf)
        return int(nodes[np.argmax(score)])  # argmax: the first of equal scores

    def route_visible(self, sim, rs: list[int], t: float) -> None:  # noqa: ANN001
        """Per run of consecutive same-type requests: one at a time in plain Python
        (:func:`~ecoopt.routing.scoring.decide_one`), or for a run of ``RUN_MERGE`` or more by
        the exact merge :func:`~ecoopt.routing.scoring.decide_run` (that module's docstring)."""
        d, st, rt = self.d, sim.state, self.rtype_list
        hour = min(int(t // 3600.0), d.hourly_g_per_kwh.shape[1] - 1)
        a = 0
        while a < len(rs):
            k, b = rt[rs[a]], a + 1
            while b < len(rs) and rt[rs[b]] == k:
                b += 1
            nodes, tt = self.nodes_of[k], t + 1e-9
            free = [  # the share of free lanes (all of them, the usual case, at one look)
                1.0 if max(fa) <= tt else sum(map(tt.__ge__, fa)) / len(fa)
                for fa in (st.free_at[n] for n in nodes)
            ]
            every = len(nodes) == d.N  # positions are nodes: read the counts in place
            if b - a >= RUN_MERGE:
                picks = self._merge(st, k, hour, free, b - a)
            else:
                picks = None
            for i in range(a, b):
                if picks is None:
                    out = st.outstanding if every else [st.outstanding[n] for n in nodes]
                    j = decide_one(out, free, self.cap_capable[k],
                                   self.const_p_of[k], self._const_c(k, hour), self.w,
                                   self.load_filter, self.eligible_of[k])  # fmt: skip
                else:
                    j = picks[i - a]
                sim.admit(rs[i], nodes[j], t)
            a = b

    def _merge(self, st, k: int, hour: int, free: list[float], m: int) -> list[int]:  # noqa: ANN001
        nodes = self.capable[k]
        return decide_run(
            np.asarray(st.outstanding)[nodes], np.asarray(free), np.asarray(self.cap_capable[k]),
            self.service1[nodes, k], self.power_w[nodes, k],
            self.d.hourly_g_per_kwh[nodes, hour], self.w, m, self.load_filter,
            np.asarray(self.eligible_of[k]),
        ).tolist()  # fmt: skip


def _least_loaded(nodes: list[int], outstanding: list[int], cap: list[int]) -> int:
    """The node of ``nodes`` with the least outstanding ÷ capacity, the first on ties."""
    best, pick = np.inf, nodes[0]
    for n in nodes:
        if outstanding[n] / cap[n] < best:
            best, pick = outstanding[n] / cap[n], n
    return pick


def _finish_fast(policy: Policy, sim, k: int, t: float, nodes: list[int]) -> list[float]:  # noqa: ANN001
    """:func:`_finish_estimates` of ``nodes`` from the plain-Python state, the same floats."""
    st, quick, lanes, s1 = sim.state, policy.quickest_list, policy.lanes_list, policy.service1_of[k]
    out = []
    for n in nodes:
        free = min(st.free_at[n])
        out.append((free if free > t else t) + st.queued[n] * quick[n] / lanes[n] + s1[n])
    return out


def _finish_estimates(policy: Policy, sim, k: int, t: float) -> np.ndarray:  # noqa: ANN001
    """Per node: when a request of type k sent now would finish, roughly: the earliest lane
    free time (or now), plus the queued requests' batch-1 work spread over the lanes, plus its
    own batch-1 service time."""
    d, st = policy.d, sim.state
    lane_free = np.maximum(st.free_at.min(axis=1), t)
    return lane_free + st.queued * policy.quickest / d.lanes + policy.service1[:, k]


class LatencyAware(Policy):
    """Each request to the capable node with the earliest estimated finish
    (:mod:`ecoopt.routing.policies`).

    Cost: O(N) a request, for N capable nodes.

    Misses: carbon and energy (it chases speed) and batching (target 1); an online rule: it sees no
    request before it arrives and no future intensity."""

    name = "latency_aware"

    def route(self, sim, r: int, t: float) -> int:  # noqa: ANN001
        k = self.d.rtype[r]
        nodes = self.capable[k]
        return int(nodes[np.argmin(_finish_estimates(self, sim, k, t)[nodes])])

    def route_fast(self, sim, r: int, t: float) -> int:  # noqa: ANN001
        k = self.rtype_list[r]
        nodes = self.nodes_of[k]
        finish = _finish_fast(self, sim, k, t, nodes)
        return nodes[finish.index(min(finish))]


def energy_knee(d: RoutingData, n: int, k: int, saving: float = 0.10) -> int:
    """The smallest profiled batch of (n, k) after which the next profiled size at most twice
    as large saves less than ``saving`` of the energy per request (the largest if none)."""
    mine = np.flatnonzero((d.p_node == n) & (d.p_type == k))
    mine = mine[np.argsort(d.p_batch[mine])]
    b, e = d.p_batch[mine], d.p_energy_j[mine] / d.p_batch[mine]
    for j in range(len(b)):
        nxt = np.flatnonzero((b > b[j]) & (b <= 2 * b[j]))
        if not len(nxt) or e[nxt[-1]] > (1.0 - saving) * e[j]:
            return int(b[j])
    return int(b[-1]) if len(b) else 1


class CarbonAware(Policy):
    """Each request to the node of least carbon per request at its energy knee among those whose
    estimated finish meets the SLO; nodes wait for knee-size batches
    (:mod:`ecoopt.routing.policies`).

    Cost: O(N) a request, for N capable nodes.

    Misses: its finish estimate takes batch-1 service times and the queue's length, so a knee-size
    batch that runs longer can still break an SLO; an online rule: it sees no request before it
    arrives and no future intensity."""

    name = "carbon_aware"

    def __init__(self, inst: RoutingInstance) -> None:
        super().__init__(inst)
        d = self.d
        self.knee = np.ones((d.N, d.K), dtype=np.int64)
        self.knee_energy = np.full((d.N, d.K), np.inf)  # J per request at the knee
        for n, k in set(zip(d.p_node.tolist(), d.p_type.tolist())):
            b = energy_knee(d, n, k)
            p = np.flatnonzero((d.p_node == n) & (d.p_type == k) & (d.p_batch == b))[0]
            self.knee[n, k], self.knee_energy[n, k] = b, d.p_energy_j[p] / b
        self.g_of: dict[tuple[int, int], list[float]] = {}  # (type, hour) -> g per request
        self.deadline = d.deadline_s.tolist()

    def target(self, n: int, k: int) -> int:
        return int(self.knee[n, k])

    def route(self, sim, r: int, t: float) -> int:  # noqa: ANN001
        d, k = self.d, self.d.rtype[r]
        nodes = self.capable[k]
        finish = _finish_estimates(self, sim, k, t)[nodes]
        g = (
            self.knee_energy[nodes, k]
            * d.pue[nodes]
            / 3.6e6
            * d.intensity(nodes, np.full(len(nodes), t))
        )
        ok = finish <= d.deadline_s[r]
        if not ok.any():
            return int(nodes[np.argmin(finish)])
        return int(nodes[np.argmin(np.where(ok, g, np.inf))])

    def route_fast(self, sim, r: int, t: float) -> int:  # noqa: ANN001
        k = self.rtype_list[r]
        nodes = self.nodes_of[k]
        finish = _finish_fast(self, sim, k, t, nodes)
        hour = min(max(int(t // 3600.0), 0), self.d.hourly_g_per_kwh.shape[1] - 1)
        if (k, hour) not in self.g_of:
            g = self.knee_energy[:, k] * self.d.pue / 3.6e6 * self.d.hourly_g_per_kwh[:, hour]
            self.g_of[(k, hour)] = g.tolist()
        g, deadline = self.g_of[(k, hour)], self.deadline[r]
        best, pick = np.inf, -1
        for n, f in zip(nodes, finish):
            if f <= deadline and g[n] < best:
                best, pick = g[n], n
        return pick if pick >= 0 else nodes[finish.index(min(finish))]


class Greedy(Policy):
    """Each request to the first node in file order with a free lane and an empty queue,
    else to the first capable node.

    Cost: O(N) a request at worst, for N capable nodes.

    Misses: everything but the order of the file: speed, carbon, SLOs; an online rule: it sees no
    request before it arrives and no future intensity."""

    name = "greedy"

    def route(self, sim, r: int, t: float) -> int:  # noqa: ANN001
        nodes = self.capable[self.d.rtype[r]]
        for n in nodes:
            if sim.state.free_at[n].min() <= t + 1e-9 and sim.state.queued[n] == 0:
                return int(n)
        return int(nodes[0])

    def route_fast(self, sim, r: int, t: float) -> int:  # noqa: ANN001
        nodes, st = self.nodes_of[self.rtype_list[r]], sim.state
        for n in nodes:
            if min(st.free_at[n]) <= t + 1e-9 and st.queued[n] == 0:
                return n
        return nodes[0]


#: each policy's constructor, by name (a policy holds state: make a fresh one per run)
MAKERS: dict[str, Callable[[RoutingInstance], Policy]] = {
    **{f"carbonedge_{m}": (lambda inst, m=m: CarbonEdge(inst, m)) for m in (*MODES, "custom")},
    **{
        cls.name: cls
        for cls in (RoundRobin, Random, LeastLoaded, LatencyAware, CarbonAware, Greedy)
    },
}
#: the policies run by default (simulate, compare, the heuristics); ``carbonedge_custom`` is
#: made by name only (with no ``carbonedge.weights`` it would repeat ``carbonedge_balanced``)
POLICY_NAMES = tuple(name for name in MAKERS if name != "carbonedge_custom")


def policy_doc(name: str) -> str:
    """What the policy ``name`` does, its cost and what it misses: its class's docstring (for
    CarbonEdge's modes, with the mode's weights)."""
    if not name.startswith("carbonedge_"):
        return inspect.cleandoc(MAKERS[name].__doc__ or "")
    mode = name.removeprefix("carbonedge_")
    weights = MODES.get(mode, "the instance's carbonedge.weights")
    first, rest = inspect.cleandoc(CarbonEdge.__doc__ or "").split("\n\n", 1)
    return f"{first} Its {mode} mode: (w_R, w_L, w_P, w_B, w_C) = {weights}.\n\n{rest}"


def make_policy(inst: RoutingInstance, name: str) -> Policy:
    """A fresh policy ``name`` (one of ``MAKERS``: ``POLICY_NAMES`` or ``carbonedge_custom``)
    for ``inst``."""
    return MAKERS[name](inst)


def sweep_weights(w_c: float) -> tuple[float, ...]:
    """The weights of the sweep at w_C (ours; the paper does not say how the others move):
    Balanced's w_R, w_L, w_P, w_B scaled to sum to 1 − w_C, i.e. each × (1 − w_C)/0.70, so
    w_C = 0.30 is Balanced itself and the others keep Balanced's proportions."""
    rest = MODES["balanced"][:4]
    scale = (1.0 - w_c) / sum(rest)
    return (*(w * scale for w in rest), float(w_c))


def carbonedge_weight_sweep(inst: RoutingInstance, w_c_values) -> object:  # noqa: ANN001
    """CarbonEdge (policy ``carbonedge_custom``) at each w_C of ``w_c_values`` with
    :func:`sweep_weights`: a pandas DataFrame of w_C, the weights used, each node's share of
    the requests (``share_<node>``), carbon_g_per_request, latency_p95_s and slo_attainment."""
    import pandas as pd

    from .evaluate import evaluate
    from .simulate import simulate_plan

    d, rows = inst.data, []
    for w_c in w_c_values:
        w = sweep_weights(float(w_c))
        cfg = type(inst.carbonedge)(**{**inst.carbonedge.model_dump(), "weights": w})
        variant = inst.model_copy(update={"carbonedge": cfg})
        plan = simulate_plan(d, make_policy(variant, "carbonedge_custom"))
        m = evaluate(variant, plan).metrics
        served = plan.batch_of >= 0
        node = plan.batch_node[plan.batch_of[served]]
        share = np.bincount(node, minlength=d.N) / max(len(node), 1)
        rows.append({
            "w_C": float(w_c), "weights": tuple(round(x, 6) for x in w),
            **{f"share_{name}": float(s) for name, s in zip(d.node_names, share)},
            "carbon_g_per_request": m["carbon_g_per_request"],
            "latency_p95_s": m["latency_p95_s"], "slo_attainment": m["slo_attainment"],
        })  # fmt: skip
    return pd.DataFrame(rows)


def sweep_switch(table, node: str) -> float | None:  # noqa: ANN001
    """The least w_C of a :func:`carbonedge_weight_sweep` table from which ``node`` takes the
    largest share of requests at every larger w_C too (None: never)."""
    share = table[[c for c in table.columns if c.startswith("share_")]]
    top = (share.idxmax(axis=1) == f"share_{node}").to_numpy()
    if not top[-1]:
        return None
    first = len(top) - int(np.argmin(top[::-1])) if not top.all() else 0
    return float(table["w_C"].iloc[first])
