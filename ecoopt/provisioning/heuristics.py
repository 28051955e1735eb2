"""Provisioning methods to measure against the optimum: EcoServe's design points and ours.

EcoServe (arXiv 2502.05043) compares its ILP with performance-, energy- and cost-optimised
designs; their exact definitions are not published (seeds.md §4), so ecoopt states them:

* ``performance``: per workload, the SKU with the shortest time per request (Σ_c share_c / μ_cs),
  each SKU's first (full) host and first lifetime, no Reuse, sized for the peak;
* ``energy``: per workload, the least operational energy per request at full load
  ((e_cs + idle_W / μ_cs) · PUE), full host, sized for the peak;
* ``cost``: per workload, the least $ per request at full load (amortised price and energy);
* ``carbon_greedy``: per workload, the least operational + embodied carbon per request at full
  load over every option (host variant, lifetime), each workload on servers of its own;
* ``carbon_fill`` (ours): online classes on their least-objective SKU with the fleet shared by
  every class and sized for the summed peak, then offline work poured into the spare GPU and
  host-CPU capacity in order of marginal objective (cleanest slots first: time shifting, Reuse),
  adding servers only for what does not fit; tried with the leanest host of each SKU and with
  the host that serves most offline work on its CPUs, the better plan kept.

Offline work in the design points runs at a constant rate over its window. Owned servers
(Recycle on) replace new servers of the same SKU first (``carbon_fill``: only where they cost
less than a new one). The design points are O(C·S·T); ``carbon_fill`` is O(C·S·T·log(S·T))
for the pour plus its local search (``ecoopt.provisioning.consolidate``: all starts of both
host policies at once, per pass O(B·((C + S)·P + C·S + S²)) for B starts on P ≤ 5·C peak
slots); ``benchmarks/provisioning_scale.py`` measures both (docs/families/provisioning.md,
"Benchmarks").
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .arrays import ProvisioningData, servers_per_rps
from .consolidate import FleetPrices, consolidate
from .evaluate import Plan, evaluate
from .instance import ProvisioningInstance
from .model import _objective_weights, server_costs

OPTION_METRICS = ("carbon_kg", "energy_kwh", "cost_usd")


def _per_request(d: ProvisioningData, o: np.ndarray, weights: dict[str, float]) -> np.ndarray:
    """(C, O) the weighted metrics of one request served at full load on option o's servers
    (its share of idle and embodied, and its own energy); inf where there is no profile."""
    s = d.opt_sku[o]
    mu = d.rate[:, s]  # (C, O)
    H = d.hours
    with np.errstate(divide="ignore"):
        req_per_h = 3600.0 * mu
        kwh = (
            d.energy_j[:, s] / 3.6e6 + d.host_idle_w[d.opt_host[o]] / 1000.0 / req_per_h
        ) * d.pue[s]
        per = {
            "energy_kwh": kwh,
            "carbon_kg": kwh * d.intensity[s].mean(axis=1) / 1000.0
            + d.opt_embodied_kg[o] / H / req_per_h,
            "cost_usd": kwh * d.usd_per_kwh[s] + d.opt_capex_usd[o] / H / req_per_h,
        }
    out = sum(w * per[m] for m, w in weights.items())
    return np.where(mu > 0, out, np.inf)


def _first_options(d: ProvisioningData) -> np.ndarray:
    """Per SKU the option with its first host variant and first lifetime (−1: none)."""
    first = -np.ones(d.S, dtype=np.int64)
    for o in range(len(d.opt_names) - 1, -1, -1):
        if d.host_variant[d.opt_host[o]] == 0:
            first[d.opt_sku[o]] = o
    return first


def _class_rates(d: ProvisioningData) -> np.ndarray:
    """(C, T) requests/s: online demand; offline volume at a constant rate over its window."""
    span = d.window.sum(axis=1) * 3600.0 * d.slot_h
    even = np.where(d.window, (d.volume / np.maximum(span, 1e-300))[:, None], 0.0)
    return np.where(d.cls_online[:, None], d.demand_rps, even)


def _workload_choice(
    d: ProvisioningData, score: np.ndarray, sku_of: np.ndarray | None = None
) -> np.ndarray:
    """(C,) column of ``score`` (C, K) per class: for each workload (largest first) the best
    column for the whole workload (share-weighted sum over its classes) among those whose SKU
    (``sku_of[k]``, default k) still has room for the workload's peak, counting the servers the
    workloads before it took; per class when no column serves every class of a workload."""
    sku_of = np.arange(score.shape[1]) if sku_of is None else sku_of
    share = np.where(d.cls_online, d.demand_rps.sum(axis=1), d.volume)
    rate = _class_rates(d)
    room = d.max_new + np.bincount(d.own_sku, weights=d.own_count * d.own_usable, minlength=d.S)
    room = room.astype(float)
    choice = np.argmin(score, axis=1)
    order = sorted(np.unique(d.cls_workload), key=lambda w: -share[d.cls_workload == w].sum())
    for w in order:
        cls = np.flatnonzero(d.cls_workload == w)
        weight = share[cls] / share[cls].sum() if share[cls].sum() > 0 else np.ones(len(cls))
        total = (np.where(np.isfinite(score[cls]), score[cls], np.inf) * weight[:, None]).sum(0)
        with np.errstate(divide="ignore", invalid="ignore"):
            per = rate[cls][:, None, :] / d.rate[cls][:, sku_of][:, :, None]  # (c, K, T)
        need = np.ceil(np.nan_to_num(per, nan=0.0, posinf=np.inf).sum(0).max(axis=1) - 1e-9)
        fits = need <= room[sku_of]
        pick = np.where(fits & np.isfinite(total), total, np.inf)
        k = int(np.argmin(pick)) if np.isfinite(pick.min()) else int(np.argmin(total))
        if np.isfinite(total[k]):
            choice[cls] = k
            room[sku_of[k]] -= need[k]
    return choice


def _even_loads(d: ProvisioningData, sku_of_class: np.ndarray) -> np.ndarray:
    """(C, S, T): each class's :func:`_class_rates` on its SKU (none where it has no profile
    there: left unserved, which the evaluator reports)."""
    gpu = np.zeros((d.C, d.S, d.T))
    cls = np.arange(d.C)
    on = d.rate[cls, sku_of_class] > 0
    gpu[cls[on], sku_of_class[on]] = _class_rates(d)[on]
    return gpu


def _servers_needed(d: ProvisioningData, gpu: np.ndarray) -> np.ndarray:
    """(S,) whole servers each SKU needs for its peak slot."""
    load = _in_use(gpu, d.rate)  # (S, T)
    return np.ceil(load.max(axis=1, initial=0.0) - 1e-9).astype(np.int64)


def _fleet(
    d: ProvisioningData, need: np.ndarray, option: np.ndarray, own_left: np.ndarray | None = None
) -> tuple[dict, dict]:
    """Servers for ``need`` (S,) of each SKU: owned (usable, of ``own_left``, which it
    decrements) first, then new on ``option``."""
    own_left = np.where(d.own_usable, d.own_count, 0) if own_left is None else own_left
    kept: dict[str, int] = {}
    left = need.copy()
    for k in range(len(d.own_names)):
        s = d.own_sku[k]
        take = int(min(left[s], own_left[k]))
        if take:
            kept[d.own_names[k]] = take
            left[s] -= take
            own_left[k] -= take
    servers: dict[str, int] = {}
    for s in np.flatnonzero(left > 0):
        if option[s] >= 0:
            servers[d.opt_names[option[s]]] = int(left[s])
    return servers, kept


def _design_point(
    inst: ProvisioningInstance, name: str, score: np.ndarray, option: np.ndarray
) -> Plan:
    """Each workload on the SKU its ``score`` (C, S) ranks first, at constant offline rate,
    sized for its peak on ``option`` (S,)."""
    d = inst.data
    gpu = _even_loads(d, _workload_choice(d, score))
    servers, kept = _fleet(d, _servers_needed(d, gpu), option)
    return Plan(name, servers, kept, gpu, np.zeros((d.C, len(d.host_names), d.T)))


def performance(inst: ProvisioningInstance, objective: str | None = None) -> Plan:
    """Fastest SKU per workload, full hosts, sized for the peak (EcoServe's baseline).

    Cost: O(C·S·T) for C workload classes, S SKUs and T slots: one score per class and SKU,
    then each class's servers sized for its peak.

    Misses: carbon and energy (it picks for speed), sharing servers between workloads, idle capacity
    filled with offline work, time shifting, and the levers (Reuse, Rightsize, Recycle)."""
    d = inst.data
    with np.errstate(divide="ignore"):
        score = np.where(d.rate > 0, 1.0 / d.rate, np.inf)
    return _design_point(inst, "performance", score, _first_options(d))


def _by_metric(inst: ProvisioningInstance, name: str, metric: str) -> Plan:
    d = inst.data
    first = _first_options(d)
    score = np.full((d.C, d.S), np.inf)
    have = np.flatnonzero(first >= 0)
    score[:, have] = _per_request(d, first[have], {metric: 1.0})
    return _design_point(inst, name, score, first)


def energy_optimised(inst: ProvisioningInstance, objective: str | None = None) -> Plan:
    """Least operational energy per request per workload, full hosts (EcoServe's baseline).

    Cost: O(C·S·T) for C workload classes, S SKUs and T slots: one score per class and SKU,
    then each class's servers sized for its peak.

    Misses: embodied carbon and the grid's intensity, sharing servers between workloads, idle
    capacity filled with offline work, time shifting, and the levers (Reuse, Rightsize, Recycle)."""
    return _by_metric(inst, "energy", "energy_kwh")


def cost_optimised(inst: ProvisioningInstance, objective: str | None = None) -> Plan:
    """Least $ per request per workload, full hosts (EcoServe's baseline).

    Cost: O(C·S·T) for C workload classes, S SKUs and T slots: one score per class and SKU,
    then each class's servers sized for its peak.

    Misses: carbon (it picks for price), sharing servers between workloads, idle capacity filled
    with offline work, time shifting, and the levers (Reuse, Rightsize, Recycle)."""
    return _by_metric(inst, "cost", "cost_usd")


def carbon_greedy(inst: ProvisioningInstance, objective: str | None = None) -> Plan:
    """Least carbon per request per workload over every option, each workload alone.

    Cost: O(C·O + C·S·T) for C workload classes, O options (SKU, host, lifetime), S SKUs
    and T slots.

    Misses: sharing servers between workloads (each is sized for its own peak) and moving
    offline work into another workload's idle capacity."""
    d = inst.data
    per = _per_request(d, np.arange(len(d.opt_names)), {"carbon_kg": 1.0})  # (C, O)
    pick = _workload_choice(d, per, d.opt_sku)  # option per class
    gpu = _even_loads(d, d.opt_sku[pick])
    servers: dict[str, int] = {}
    kept: dict[str, int] = {}
    own_left = np.where(d.own_usable, d.own_count, 0)
    for w in np.unique(d.cls_workload):  # servers of its own for each workload
        alone = np.where((d.cls_workload == w)[:, None, None], gpu, 0.0)
        need = _servers_needed(d, alone)
        option = -np.ones(d.S, dtype=np.int64)
        option[d.opt_sku[pick[d.cls_workload == w]]] = pick[d.cls_workload == w]
        s_new, s_kept = _fleet(d, need, option, own_left)
        for table, add in ((servers, s_new), (kept, s_kept)):
            for k, v in add.items():
                table[k] = table.get(k, 0) + v
    return Plan("carbon_greedy", servers, kept, gpu, np.zeros((d.C, len(d.host_names), d.T)))


def _server_score(d: ProvisioningData, weights: dict[str, float], block: str = "servers"):  # noqa: ANN202
    """(O,) the weighted metrics of one server of each option (``kept``: of each owned
    batch) over the horizon, idle: the model's own ``server_costs``."""
    per = server_costs(d)
    return sum(w * per[m][block] for m, w in weights.items())


def _option_per_sku(d: ProvisioningData, weights: dict[str, float], policy: str) -> np.ndarray:
    """(S,) option of each SKU: the leanest by ``_server_score``, or (``reuse``) the one whose
    host CPUs serve the most offline work, the leanest among equals (−1: no option)."""
    score = _server_score(d, weights)
    offline = ~d.cls_online & d.splittable & (d.volume > 0)
    cpu = d.cpu_rate[offline].sum(axis=0)[d.opt_host] if offline.any() else np.zeros(len(score))
    option = -np.ones(d.S, dtype=np.int64)
    for s in range(d.S):
        mine = np.flatnonzero(d.opt_sku == s)
        if len(mine):
            key = (score[mine],) if policy == "leanest" else (score[mine], -cpu[mine])
            option[s] = mine[np.lexsort(key)[0]]
    return option


def _marginal(d: ProvisioningData, weights: dict[str, float], energy_j, sku, t) -> np.ndarray:  # noqa: ANN001
    """Weighted metrics of one more request's own energy on SKU ``sku`` in slot ``t``."""
    kwh = energy_j / 3.6e6 * d.pue[sku]
    per = {"energy_kwh": kwh, "carbon_kg": kwh * d.intensity[sku, t] / 1000.0,
           "cost_usd": kwh * d.usd_per_kwh[sku]}  # fmt: skip
    return sum(w * per[m] for m, w in weights.items())


def _host_servers(d: ProvisioningData, servers: dict, kept: dict) -> np.ndarray:
    out = np.zeros(len(d.host_names))
    for names, host, table in ((d.opt_names, d.opt_host, servers), (d.own_names, d.own_host, kept)):
        for i, n in enumerate(names):
            out[host[i]] += table.get(n, 0)
    return out


def _in_use(load: np.ndarray, rate: np.ndarray) -> np.ndarray:
    """(G, T) servers that ``load`` (C, G, T) takes at ``rate`` (C, G) per server."""
    return np.einsum("cgt,cg->gt", load, servers_per_rps(rate))


def _spare(used: np.ndarray, rate: np.ndarray, n: np.ndarray, c: int) -> np.ndarray:
    """(G, T) requests/s of class c that fit beside ``used`` (G, T) servers of ``n``."""
    return np.maximum(n[:, None] - used, 0.0) * rate[c][:, None]


def _pour(d, c, weights, gpu, cpu, N, host_n, only_sku, used) -> float:  # noqa: ANN001
    """Offline class c into the spare capacity beside ``used`` (GPU and CPU servers in use),
    cheapest marginal slot first (one argsort); returns the requests left over."""
    step = 3600.0 * d.slot_h
    spare = _spare(used[0], d.rate, N, c) * d.window[c][None, :]
    if only_sku is not None:
        spare[np.arange(d.S) != only_sku] = 0.0
    gi, gt = np.nonzero(spare > 0)
    kind, idx, slot = [np.zeros(len(gi), dtype=np.int64)], [gi], [gt]
    cost, room = [_marginal(d, weights, d.energy_j[c, gi], gi, gt)], [spare[gi, gt]]
    if only_sku is None and (d.cpu_rate[c] > 0).any():
        cpu_spare = _spare(used[1], d.cpu_rate, host_n, c) * d.window[c][None, :]
        hi, ht = np.nonzero(cpu_spare > 0)
        kind.append(np.ones(len(hi), dtype=np.int64))
        idx.append(hi)
        slot.append(ht)
        cost.append(_marginal(d, weights, np.full(len(hi), d.cpu_energy_j[c]), d.host_sku[hi], ht))
        room.append(cpu_spare[hi, ht])
    kind, idx, slot, cost, room = (np.concatenate(x) for x in (kind, idx, slot, cost, room))
    order = np.argsort(cost, kind="stable")
    reqs = room[order] * step
    before = np.concatenate([[0.0], np.cumsum(reqs)[:-1]])
    take = np.clip(d.volume[c] - before, 0.0, reqs) / step  # requests/s in each candidate
    on = take > 0
    for k, target in ((0, gpu), (1, cpu)):
        sel = on & (kind[order] == k)
        np.add.at(target[c], (idx[order][sel], slot[order][sel]), take[sel])
    return max(d.volume[c] - float(reqs.sum()), 0.0)


def _online_choice(d: ProvisioningData, score: np.ndarray, rightsize: bool) -> np.ndarray:
    """(C,) SKU of each class: its best by ``score`` (C, S), or the one best SKU for all."""
    if rightsize:
        return np.argmin(score, axis=1)
    weight = np.where(d.cls_online, d.demand_rps.sum(axis=1), d.volume / (3600.0 * d.slot_h))
    total = (score * weight[:, None]).sum(axis=0)
    return np.full(d.C, int(np.argmin(total)))


def _owned_worth_keeping(d: ProvisioningData, weights: dict[str, float], option: np.ndarray):  # noqa: ANN202
    """(K,) servers of each owned group worth keeping (0 where a new server of the SKU's
    ``option`` costs less over the horizon: e.g. a full old host idling more than a lean new
    one), and (K,) each owned server's weighted metrics."""
    cost = _server_score(d, weights, "kept") if len(d.own_names) else np.zeros(0)
    new = np.full(d.S, np.inf)
    new[option >= 0] = _server_score(d, weights)[option[option >= 0]]
    worth = d.own_usable & (cost <= new[d.own_sku])
    return np.where(worth, d.own_count, 0), cost


def _fleet_terms(d: ProvisioningData, weights: dict[str, float], option: np.ndarray):  # noqa: ANN202
    """(S,) each: the weighted metrics over the horizon, idle, of one owned server worth
    keeping and how many are, of one new server of ``option`` (0: no option), and how many
    new servers the fleet limit allows (``consolidate.FleetPrices``' terms)."""
    have = option >= 0
    new = np.zeros(d.S)
    new[have] = _server_score(d, weights)[option[have]]
    count, own_cost = _owned_worth_keeping(d, weights, option)
    K = np.bincount(d.own_sku, weights=count, minlength=d.S)
    own = np.full(d.S, np.inf)
    np.minimum.at(own, d.own_sku, own_cost)
    own = np.where(K > 0, own, 0.0)
    return own, K, new, np.where(have, d.max_new, 0)


#: most slots the consolidation sizes SKUs on (the busiest of the undominated ones)
PEAK_SLOTS = 64


def _peak_slots(rate: np.ndarray) -> np.ndarray:
    """The slots whose class rates (C, T) no other slot matches or exceeds in every class,
    busiest first, at most PEAK_SLOTS. Every need is a class's rate over a per-SKU constant,
    so a SKU's summed need peaks on one of these whatever classes it serves: the
    consolidation sizes SKUs exactly on these few slots instead of all T (inexactly, on the
    busiest, when more are undominated); the plan itself is sized on every slot.

    The busiest slot left is undominated; drop every slot it covers, repeat: O(C·T) per slot
    kept (a slot covering another is at least as busy, and covering is transitive)."""
    left = np.argsort(-rate.sum(axis=0), kind="stable")
    kept = []
    while len(left) and len(kept) < PEAK_SLOTS:
        kept.append(left[0])
        left = left[1:][~(rate[:, [left[0]]] >= rate[:, left[1:]]).all(axis=0)]
    return np.array(kept, dtype=np.int64)


def _class_need(d: ProvisioningData) -> np.ndarray:
    """(P, C, S) servers each class needs on each SKU in the peak slots (online demand;
    offline volume at a constant rate over its window; 1e18, beyond any fleet, where it has
    no profile), peak slots first for the consolidation."""
    rate = _class_rates(d)
    slots = _peak_slots(rate)
    with np.errstate(divide="ignore", invalid="ignore"):
        need = np.where(d.rate[None] > 0, rate[:, slots].T[:, :, None] / d.rate[None], 1e18)
    return np.ascontiguousarray(need)


def _class_energy(d: ProvisioningData, weights: dict[str, float], score: np.ndarray):  # noqa: ANN202
    """(C, S) the weighted metrics of each class's own energy over every slot (1e18 where
    ``score`` is inf: finite, so that 0 × it is 0)."""
    kwh = d.slot_h * 3600.0 * d.energy_j / 3.6e6 * d.pue[None, :]  # per req/s for one slot
    per_t = {"energy_kwh": np.ones((d.S, d.T)), "carbon_kg": d.intensity / 1000.0,
             "cost_usd": np.repeat(d.usd_per_kwh[:, None], d.T, axis=1)}  # fmt: skip
    unit = sum(w * per_t[m] for m, w in weights.items())  # (S, T)
    return np.where(np.isfinite(score), kwh * (_class_rates(d) @ unit.T), 1e18)


def _grow(d: ProvisioningData, c: int, left: float, N, limit, score, span, only) -> bool:  # noqa: ANN001
    """Servers for the ``left`` requests of offline class c that did not fit: on its best SKUs
    by ``score`` (only ``only`` if given) that are below their ``limit``. False: none."""
    grown = False
    for s in np.argsort(score[c]):
        if not np.isfinite(score[c, s]) or (only is not None and s != only) or N[s] >= limit[s]:
            continue
        per_server = d.rate[c, s] * span[c]
        n = int(min(limit[s] - N[s], np.ceil(left / per_server - 1e-9)))
        N[s] += n
        left -= n * per_server
        grown = True
        if left <= 0:
            break
    return grown


#: SKUs (best by mean score per request) that each seed one more start of the consolidation
STARTS = 3


def _starts(score: np.ndarray, sku: np.ndarray) -> np.ndarray:
    """(1 + STARTS, C): each class's best SKU, and every class that can run on one of the
    ``STARTS`` best SKUs put there."""
    ok = np.isfinite(score)
    count = ok.sum(axis=0)
    rank = np.where(count > 0, np.where(ok, score, 0.0).sum(axis=0) / np.maximum(count, 1), np.inf)
    starts = [sku.copy()]
    for s in np.argsort(rank)[:STARTS]:
        start = sku.copy()
        start[np.isfinite(score[:, s])] = s
        starts.append(start)
    return np.array(starts)


def _consolidated(d: ProvisioningData, weights, options, scores, skus) -> list[np.ndarray]:  # noqa: ANN001
    """Per host policy (``options``, with its ``scores`` and first choice ``skus``), the
    cheapest assignment :func:`consolidate` reaches from :func:`_starts`; every start of
    every policy in one search."""
    starts = [_starts(sc, sk) for sc, sk in zip(scores, skus)]
    policy = np.repeat(np.arange(len(options)), [len(x) for x in starts])
    terms = [_fleet_terms(d, weights, o) for o in options]
    price = FleetPrices(*(np.stack([t[k] for t in terms])[policy] for k in range(4)))
    energy = np.stack([_class_energy(d, weights, sc) for sc in scores])[policy]
    found, value = consolidate(price, _class_need(d), energy, np.concatenate(starts))
    return [found[policy == k][np.argmin(value[policy == k])].copy() for k in range(len(options))]


def _scores(d: ProvisioningData, weights: dict[str, float], option: np.ndarray) -> np.ndarray:
    """(C, S) weighted metrics per request of each class on each SKU's ``option`` (inf: none)."""
    have = np.flatnonzero(option >= 0)
    score = np.full((d.C, d.S), np.inf)
    score[:, have] = _per_request(d, option[have], weights)
    return score


def _fill(inst: ProvisioningInstance, weights, option, score, sku) -> Plan:  # noqa: ANN001
    """``carbon_fill`` for one option per SKU, its ``score`` and online classes on ``sku``
    (module docstring)."""
    d = inst.data
    keep = _owned_worth_keeping(d, weights, option)[0]
    limit = d.max_new + np.bincount(d.own_sku, weights=keep, minlength=d.S).astype(np.int64)
    gpu = _even_loads(d, np.where(d.cls_online, sku, 0)) * d.cls_online[:, None, None]
    cpu = np.zeros((d.C, len(d.host_names), d.T))
    N = _servers_needed(d, gpu)
    span = d.window.sum(axis=1) * 3600.0 * d.slot_h
    used = (_in_use(gpu, d.rate), np.zeros((len(d.host_names), d.T)))
    per_rps = (servers_per_rps(d.rate), servers_per_rps(d.cpu_rate))
    host_n = _host_servers(d, *_fleet(d, N, option, keep.copy()))
    for c in np.argsort(-d.volume, kind="stable"):
        if d.cls_online[c] or d.volume[c] <= 0:
            continue
        only = None if (d.splittable[c] and inst.levers.rightsize) else int(sku[c])
        for attempt in range(3):
            left = _pour(d, c, weights, gpu, cpu, N, host_n, only, used)
            if left <= 0 or attempt == 2 or not _grow(d, c, left, N, limit, score, span, only):
                break
            gpu[c], cpu[c] = 0.0, 0.0  # poured again, from scratch, onto the larger fleet
            host_n = _host_servers(d, *_fleet(d, N, option, keep.copy()))
        used[0][:] += gpu[c] * per_rps[0][c][:, None]
        used[1][:] += cpu[c] * per_rps[1][c][:, None]
    servers, kept = _fleet(d, N, option, keep.copy())
    return Plan("carbon_fill", servers, kept, gpu, cpu)


def carbon_fill(inst: ProvisioningInstance, objective: str | None = None) -> Plan:
    """Ours: a shared, peak-sized fleet for online work, offline work poured into its spare capacity
    cleanest slot first (:mod:`ecoopt.provisioning.heuristics`); the better of two host policies.

    Cost: O(C·S·T·log(S·T)) for the pour, plus the consolidation's local search
    (:mod:`ecoopt.provisioning.consolidate`); the slowest of the heuristics here
    (``benchmarks/provisioning_scale.py``).

    Misses: choosing the fleet for online and offline work together: each online class takes
    its cheapest SKU on its own before the fleet is sized, and offline work is poured greedily
    into what is left, so a fleet the MILP picks for both at once (across sites, say) is missed."""
    objective = objective or inst.objective
    weights = _objective_weights(inst, objective)
    d, rightsize = inst.data, inst.levers.rightsize
    options = [_option_per_sku(d, weights, p) for p in ("leanest", "reuse")]
    if np.array_equal(options[0], options[1]):
        options = options[:1]  # one host policy: nothing to choose
    scores = [_scores(d, weights, o) for o in options]
    skus = [_online_choice(d, sc, rightsize) for sc in scores]
    if rightsize:  # each policy consolidates for its own prices (one search for both)
        skus = _consolidated(d, weights, options, scores, skus)
    plans = [_fill(inst, weights, *args) for args in zip(options, scores, skus)]
    if len(plans) == 1:
        return plans[0]
    keys = []
    for plan in plans:
        ev = evaluate(inst, plan, objective)
        keys.append((not ev.feasible, ev.objective))
    return plans[keys.index(min(keys))]


HEURISTICS: dict[str, Callable[..., Plan]] = {
    "performance": performance,
    "energy": energy_optimised,
    "cost": cost_optimised,
    "carbon_greedy": carbon_greedy,
    "carbon_fill": carbon_fill,
}
