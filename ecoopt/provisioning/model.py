"""The provisioning MILP as numpy blocks: one function per constraint family, maths in each
docstring (index sets in ``arrays``; H = horizon hours, Δ = slot hours).

Variables:

* ``servers[o]`` ∈ ℤ, 0 ≤ N_o ≤ max_servers of its SKU: new servers of option o = (SKU,
  host variant, lifetime);
* ``kept[k]`` ∈ ℤ, 0 ≤ K_k ≤ count_k (0 with Recycle off): owned servers kept in service;
* ``gpu_load[c,s,t]`` ≥ 0: requests/s of class c on the GPUs of SKU s in slot t (only where a
  profile exists and t is in the class's window);
* ``cpu_load[c,h,t]`` ≥ 0: requests/s of offline class c on the host CPUs of host variant h
  (Reuse; only where the model fits the host's DRAM);
* ``choose[c,s]`` ∈ {0,1}: the one SKU of a class with ``splittable: false``;
* ``pick[s]`` ∈ {0,1}: the one SKU of the fleet when Rightsize is off.

Objective (``metric_costs``): carbon_kg = Σ_o N_o (idle_kWh_o · mean_t CI_st / 1000 + E_o)
+ Σ_k K_k (…) + Σ_{c,s,t} gpu_load · Δ · e_cs / 1000 · PUE_s · CI_st / 1000 + CPU alike;
energy_kwh and cost_usd alike (cost: amortised purchase and rental, and energy × $/kWh);
weighted = Σ weights × metric.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..lp import Labels, LinearProgram
from .arrays import ProvisioningData
from .instance import ProvisioningInstance


def formulate(inst: ProvisioningInstance, objective: str | None = None) -> LinearProgram:
    """The MILP of ``inst`` under ``objective`` (default the instance's)."""
    objective = objective or inst.objective
    d = inst.data
    lp = LinearProgram(name=f"provisioning:{inst.name or 'instance'}", sense="min")
    idx = load_index(d)
    lp.meta["index"] = idx
    costs = metric_costs(inst, idx)
    weights = _objective_weights(inst, objective)
    cost = {b: sum(w * costs[m][b] for m, w in weights.items()) for b in costs["carbon_kg"]}
    _add_variables(lp, inst, idx, cost)
    online_demand(lp, d, idx)
    offline_volume(lp, d, idx)
    gpu_capacity(lp, d, idx)
    cpu_capacity(lp, d, idx)
    fleet_limit(lp, d)
    load_needs_server(lp, d, idx)
    volume_needs_server(lp, d, idx)
    if "choose" in lp.vars:
        whole_class(lp, d, idx)
    if "pick" in lp.vars:
        one_sku(lp, d)
    lp.meta["metric_costs"] = costs
    return lp


def _objective_weights(inst: ProvisioningInstance, objective: str) -> dict[str, float]:
    if objective == "weighted":
        w = inst.weights
        return {"carbon_kg": w.carbon_kg, "energy_kwh": w.energy_kwh, "cost_usd": w.cost_usd}
    key = {"carbon": "carbon_kg", "energy": "energy_kwh", "cost": "cost_usd"}[objective]
    return {key: 1.0}


def load_index(d: ProvisioningData) -> dict[str, np.ndarray]:
    """Where load variables exist: (c, s, t) with a GPU profile in the class's window (and,
    online, demand > 0); (c, h, t) for offline splittable classes with a CPU rate."""
    gpu_ok = (d.rate > 0)[:, :, None] & d.window[:, None, :]
    gpu_ok &= ~d.cls_online[:, None, None] | (d.demand_rps > 0)[:, None, :]
    gc, gs, gt = np.nonzero(gpu_ok)
    cpu_ok = (d.cpu_rate > 0)[:, :, None] & d.window[:, None, :]
    cpu_ok &= (~d.cls_online & d.splittable & (d.volume > 0))[:, None, None]
    cc, ch, ct = np.nonzero(cpu_ok)
    whole = np.flatnonzero(~d.splittable)
    wc, ws = np.nonzero((d.rate > 0) & ~d.splittable[:, None])
    return dict(gc=gc, gs=gs, gt=gt, cc=cc, ch=ch, ct=ct, whole=whole, wc=wc, ws=ws)


def server_costs(d: ProvisioningData) -> dict[str, dict[str, np.ndarray]]:
    """Per metric, the coefficient of one new server of each option (``servers``) and of one
    kept owned server (``kept``) over the horizon: idle energy (PUE included) at the site's
    mean intensity plus amortised embodied carbon; idle energy; amortised price plus idle
    energy at the site's electricity price."""
    ci = d.intensity.mean(axis=1)
    return {
        "energy_kwh": dict(servers=d.opt_idle_kwh, kept=d.own_idle_kwh),
        "carbon_kg": dict(
            servers=d.opt_idle_kwh * ci[d.opt_sku] / 1000.0 + d.opt_embodied_kg,
            kept=d.own_idle_kwh * ci[d.own_sku] / 1000.0 + d.own_embodied_kg,
        ),
        "cost_usd": dict(
            servers=d.opt_capex_usd + d.opt_idle_kwh * d.usd_per_kwh[d.opt_sku],
            kept=d.own_idle_kwh * d.usd_per_kwh[d.own_sku],
        ),
    }


def metric_costs(inst: ProvisioningInstance, idx: dict[str, np.ndarray]) -> dict[str, Any]:
    """Per metric and variable block, the metric's coefficient of each column."""
    d = inst.data
    gpu_kwh = d.slot_h * d.energy_j[idx["gc"], idx["gs"]] / 1000.0 * d.pue[idx["gs"]]
    cs = d.host_sku[idx["ch"]]
    cpu_kwh = d.slot_h * d.cpu_energy_j[idx["cc"]] / 1000.0 * d.pue[cs]
    loads = {
        "energy_kwh": dict(gpu=gpu_kwh, cpu=cpu_kwh),
        "carbon_kg": dict(
            gpu=gpu_kwh * d.intensity[idx["gs"], idx["gt"]] / 1000.0,
            cpu=cpu_kwh * d.intensity[cs, idx["ct"]] / 1000.0,
        ),
        "cost_usd": dict(gpu=gpu_kwh * d.usd_per_kwh[idx["gs"]], cpu=cpu_kwh * d.usd_per_kwh[cs]),
    }
    fleet = server_costs(d)
    return {m: {**fleet[m], **loads[m]} for m in loads}


def dominated_options(d: ProvisioningData) -> np.ndarray:
    """(O,) bool: options some other option of the same SKU beats or equals on every count —
    host CPUs that serve at least as much of every class, and no more idle energy, amortised
    embodied carbon or cost (e.g. the same host bought for a longer lifetime). No optimum
    needs them, so their ``servers`` are fixed at 0, which removes interchangeable columns."""
    n_opt = len(d.opt_names)
    figures = np.stack([d.opt_idle_kwh, d.opt_embodied_kg, d.opt_capex_usd], axis=1)
    cpu = d.cpu_rate[:, d.opt_host].T  # (O, C)
    out = np.zeros(n_opt, dtype=bool)
    for o in range(n_opt):
        rival = (d.opt_sku == d.opt_sku[o]) & (np.arange(n_opt) != o)
        rival &= (figures <= figures[o]).all(axis=1) & (cpu >= cpu[o]).all(axis=1)
        better = (figures < figures[o]).any(axis=1) | (cpu > cpu[o]).any(axis=1)
        tie = ~better & (np.arange(n_opt) < o)  # identical options: keep the first
        out[o] = bool((rival & (better | tie) & ~out).any())
    return out


def _add_variables(lp: LinearProgram, inst: ProvisioningInstance, idx: dict, cost: dict) -> None:
    d = inst.data
    lp.add_vars(
        "servers",
        list(d.opt_names),
        upper=np.where(dominated_options(d), 0, d.max_new[d.opt_sku]),
        integer=True,
        cost=cost["servers"],
        doc="new servers of option o (SKU, host, lifetime)",
    )
    lp.add_vars(
        "kept",
        list(d.own_names),
        upper=np.where(d.own_usable, d.own_count, 0),
        integer=True,
        cost=cost["kept"],
        doc="owned servers kept in service",
    )
    gc, gs, gt = idx["gc"], idx["gs"], idx["gt"]
    owned_s = np.bincount(d.own_sku, weights=d.own_count * d.own_usable, minlength=d.S)
    cap = np.where(
        d.cls_online[gc], d.demand_rps[gc, gt], d.rate[gc, gs] * (d.max_new[gs] + owned_s[gs])
    )
    lp.add_vars(
        "gpu_load",
        Labels(len(gc), lambda: _labels(d, gc, d.sku_names, gs, gt)),
        upper=cap,
        cost=cost["gpu"],
        doc="requests/s of class c on SKU s in slot t",
    )
    cc, ch, ct = idx["cc"], idx["ch"], idx["ct"]
    lp.add_vars(
        "cpu_load",
        Labels(len(cc), lambda: _labels(d, cc, d.host_names, ch, ct)),
        cost=cost["cpu"],
        doc="requests/s of class c on host CPUs of variant h, slot t",
    )
    if len(idx["wc"]):
        lp.add_vars(
            "choose",
            [(d.cls_names[c], d.sku_names[s]) for c, s in zip(idx["wc"], idx["ws"])],
            upper=1.0,
            integer=True,
            doc="the one SKU of a class kept whole",
        )
    if not inst.levers.rightsize:
        lp.add_vars(
            "pick",
            list(d.sku_names),
            upper=1.0,
            integer=True,
            doc="the one SKU of the fleet (Rightsize off)",
        )


def _labels(d: ProvisioningData, c: np.ndarray, names: list[str], s: np.ndarray, t: np.ndarray):  # noqa: ANN202
    return [(d.cls_names[i], names[j], int(k)) for i, j, k in zip(c, s, t)]


def online_demand(lp: LinearProgram, d: ProvisioningData, idx: dict) -> None:
    r"""Σ_s gpu_load[c,s,t] / λ_ct = 1 for every online class c and slot t with λ_ct > 0
    (scaled by the demand λ_ct, requests/s).

    .. math::

        \sum_s \mathit{gpu\_load}_{c,s,t} = \lambda_{c,t} \qquad \forall c \text{ online},\ t:
        \lambda_{c,t} > 0
    """
    need = d.cls_online[:, None] & (d.demand_rps > 0)
    rc, rt = np.nonzero(need)
    row_of = -np.ones(need.shape, dtype=np.int64)
    row_of[rc, rt] = np.arange(len(rc))
    gc, gt = idx["gc"], idx["gt"]
    on = d.cls_online[gc]
    rows = row_of[gc[on], gt[on]]
    cols = lp.vars["gpu_load"].offset + np.flatnonzero(on)
    vals = 1.0 / d.demand_rps[gc[on], gt[on]]
    labels = [(d.cls_names[c], int(t)) for c, t in zip(rc, rt)]
    lp.add_rows(
        "online_demand",
        labels,
        rows,
        cols,
        vals,
        lower=1.0,
        upper=1.0,
        doc=online_demand.__doc__ or "",
    )


def offline_volume(lp: LinearProgram, d: ProvisioningData, idx: dict) -> None:
    r"""Σ_{s,t} gpu_load[c,s,t]·3600Δ + Σ_{h,t} cpu_load[c,h,t]·3600Δ ≥ V_c for every offline
    class with volume V_c > 0, its slots limited to [release, deadline) (scaled by V_c).

    .. math::

        3600\,\Delta \Big(\sum_{s,t} \mathit{gpu\_load}_{c,s,t} + \sum_{h,t}
        \mathit{cpu\_load}_{c,h,t}\Big) \ge V_c \qquad \forall c \text{ offline}
    """
    need = np.flatnonzero(~d.cls_online & (d.volume > 0))
    row_of = -np.ones(d.C, dtype=np.int64)
    row_of[need] = np.arange(len(need))
    parts = []
    for block, c in (("gpu_load", idx["gc"]), ("cpu_load", idx["cc"])):
        on = np.flatnonzero(row_of[c] >= 0)
        parts.append(
            (row_of[c[on]], lp.vars[block].offset + on, 3600.0 * d.slot_h / d.volume[c[on]])
        )
    rows, cols, vals = (np.concatenate(x) for x in zip(*parts))
    lp.add_rows(
        "offline_volume",
        [d.cls_names[c] for c in need],
        rows,
        cols,
        vals,
        lower=1.0,
        doc=offline_volume.__doc__ or "",
    )


def gpu_capacity(lp: LinearProgram, d: ProvisioningData, idx: dict) -> None:
    r"""Σ_c gpu_load[c,s,t] / μ_cs ≤ Σ_{o ∈ s} N_o + Σ_{k ∈ s} K_k for every SKU s and slot t
    (in servers: μ_cs is one server's SLO-feasible rate).

    .. math::

        \sum_c \frac{\mathit{gpu\_load}_{c,s,t}}{\mu_{c,s}} \le \sum_{o \in s} N_o + \sum_{k \in s}
        K_k \qquad \forall s, t
    """
    _capacity(lp, d, "gpu_capacity", "gpu_load", (idx["gc"], idx["gs"], idx["gt"]), d.rate,
              (d.opt_sku, d.own_sku), d.sku_names,
              gpu_capacity.__doc__ or "")  # fmt: skip


def cpu_capacity(lp: LinearProgram, d: ProvisioningData, idx: dict) -> None:
    r"""Σ_c cpu_load[c,h,t] / ν_ch ≤ Σ_{o ∈ h} N_o + Σ_{k ∈ h} K_k for every host variant h
    with CPU work and slot t (ν_ch: one server's host-CPU rate, ``cpu_free_share`` of its
    cores).

    .. math::

        \sum_c \frac{\mathit{cpu\_load}_{c,h,t}}{\nu_{c,h}} \le \sum_{o \in h} N_o + \sum_{k \in h}
        K_k \qquad \forall h, t
    """
    if len(idx["cc"]) == 0:
        return
    _capacity(lp, d, "cpu_capacity", "cpu_load", (idx["cc"], idx["ch"], idx["ct"]), d.cpu_rate,
              (d.opt_host, d.own_host), d.host_names,
              cpu_capacity.__doc__ or "")  # fmt: skip


def _capacity(lp, d, family, block, where, rate, groups, names, doc) -> None:  # noqa: ANN001
    """Rows (group g, slot t): Σ load / rate − servers of g − kept of g ≤ 0."""
    c, g, t = where
    T = d.T
    load = (g * T + t, lp.vars[block].offset + np.arange(len(c)), 1.0 / rate[c, g])
    row_group = np.repeat(np.arange(len(names)), T)  # row g·T + t belongs to group g
    fleet = _servers_of(lp, row_group, np.ones(len(row_group)), groups)
    rows, cols, vals = (np.concatenate(x) for x in zip(load, fleet))
    labels = Labels(len(names) * T, lambda: [(n, k) for n in names for k in range(T)])
    lp.add_rows(family, labels, rows, cols, vals, upper=0.0, doc=doc)


def _servers_of(lp: LinearProgram, row_group: np.ndarray, coef: np.ndarray, groups) -> tuple:  # noqa: ANN001
    """Entries −coef[r] on every ``servers`` and ``kept`` column of group ``row_group[r]``,
    for rows r = 0 … R−1 (``groups``: the group of each option and of each owned batch): the
    right-hand "servers of its SKU (or host variant)" of the capacity-like rows."""
    rows, cols, vals = [], [], []
    for block, of in zip(("servers", "kept"), groups):
        r, j = np.nonzero(row_group[:, None] == np.asarray(of)[None, :])
        rows.append(r)
        cols.append(lp.vars[block].offset + j)
        vals.append(-coef[r])
    return tuple(np.concatenate(x) for x in (rows, cols, vals))


def load_needs_server(lp: LinearProgram, d: ProvisioningData, idx: dict) -> None:
    r"""gpu_load[c,s,t] ≤ min(U_cst, μ_cs) · (Σ_{o ∈ s} N_o + Σ_{k ∈ s} K_k), and the same for
    cpu_load with ν_ch and the servers of host variant h (U: the load's upper bound, the
    demand or the whole volume in one slot).

    .. math::

        \mathit{gpu\_load}_{c,s,t} \le \min(U_{c,s,t}, \mu_{c,s}) \Big(\sum_{o \in s} N_o +
        \sum_{k \in s} K_k\Big) \qquad \forall (c,s,t): U_{c,s,t} < \mu_{c,s}


    Valid for whole servers (no server: no load; one or more: load ≤ U and ≤ μ × servers),
    and much tighter than ``gpu_capacity`` in the LP relaxation when a class's demand is small
    against one server's rate, where the relaxation would buy a sliver of a server of every
    SKU: the facility-location strengthening x_ij ≤ u_ij · y_i. Rows with U ≥ μ are left
    out: the capacity row already gives load ≤ μ × servers.
    """
    parts, labels = [], []
    span = 3600.0 * d.slot_h
    for block, c, g, cap, opt_g, own_g in (
        ("gpu_load", idx["gc"], idx["gs"], d.rate, d.opt_sku, d.own_sku),
        ("cpu_load", idx["cc"], idx["ch"], d.cpu_rate, d.opt_host, d.own_host),
    ):
        var = lp.vars[block]
        whole = var.upper if block == "gpu_load" else d.volume[c] / span
        m = np.minimum(whole, cap[c, g])
        keep = np.flatnonzero((m > 0) & (whole < cap[c, g]))  # else implied by the capacity row
        base = len(labels)
        labels += [(block, i) for i in keep.tolist()]
        fr, fc, fv = _servers_of(lp, g[keep], m[keep], (opt_g, own_g))
        parts.append((np.concatenate([base + np.arange(len(keep)), base + fr]),
                      np.concatenate([var.offset + keep, fc]),
                      np.concatenate([np.ones(len(keep)), fv])))  # fmt: skip
    rows, cols, vals = (np.concatenate(x) for x in zip(*parts))
    lp.add_rows(
        "load_needs_server",
        labels,
        rows,
        cols,
        vals,
        upper=0.0,
        doc=load_needs_server.__doc__ or "",
    )


def volume_needs_server(lp: LinearProgram, d: ProvisioningData, idx: dict) -> None:
    r"""Σ_t gpu_load[c,s,t] · 3600Δ / V_c ≤ Σ_{o ∈ s} N_o + Σ_{k ∈ s} K_k for every offline
    class c and SKU s it can run on, and the same for cpu_load and host variants: the share of
    a class's volume a SKU serves is at most its number of servers.

    .. math::

        \frac{3600\,\Delta}{V_c} \sum_t \mathit{gpu\_load}_{c,s,t} \le \sum_{o \in s} N_o +
        \sum_{k \in s} K_k \qquad \forall c \text{ offline},\ s


    Valid for whole servers (none: nothing; one or more: a share ≤ 1). The per-slot rows of
    :func:`load_needs_server` do not imply it: without it the LP relaxation serves an offline
    volume in the cleanest slots on a fraction of a server, where whole servers would idle
    through the other slots.
    """
    span = 3600.0 * d.slot_h
    parts, labels = [], []
    for block, c, g, names, opt_g, own_g in (
        ("gpu_load", idx["gc"], idx["gs"], d.sku_names, d.opt_sku, d.own_sku),
        ("cpu_load", idx["cc"], idx["ch"], d.host_names, d.opt_host, d.own_host),
    ):
        on = np.flatnonzero(~d.cls_online[c] & (d.volume[c] > 0))
        if len(on) == 0:
            continue
        pairs, row = np.unique(c[on] * len(names) + g[on], return_inverse=True)
        base = len(labels)
        labels += [(block, d.cls_names[p // len(names)], names[p % len(names)]) for p in pairs]
        group = pairs % len(names)
        fr, fc, fv = _servers_of(lp, group, np.ones(len(group)), (opt_g, own_g))
        parts.append((np.concatenate([base + row, base + fr]),
                      np.concatenate([lp.vars[block].offset + on, fc]),
                      np.concatenate([span / d.volume[c[on]], fv])))  # fmt: skip
    if not parts:
        return
    rows, cols, vals = (np.concatenate(x) for x in zip(*parts))
    lp.add_rows(
        "volume_needs_server",
        labels,
        rows,
        cols,
        vals,
        upper=0.0,
        doc=volume_needs_server.__doc__ or "",
    )


def fleet_limit(lp: LinearProgram, d: ProvisioningData) -> None:
    r"""Σ_{o ∈ s} N_o ≤ max_servers_s for every SKU s with more than one option.

    .. math::

        \sum_{o \in s} N_o \le N^{\max}_s \qquad \forall s \text{ with more than one option}
    """
    counts = np.bincount(d.opt_sku, minlength=d.S)
    many = np.flatnonzero(counts > 1)
    if len(many) == 0:
        return
    row_of = -np.ones(d.S, dtype=np.int64)
    row_of[many] = np.arange(len(many))
    on = np.flatnonzero(row_of[d.opt_sku] >= 0)
    lp.add_rows(
        "fleet_limit",
        [d.sku_names[s] for s in many],
        row_of[d.opt_sku[on]],
        lp.vars["servers"].offset + on,
        np.ones(len(on)),
        upper=d.max_new[many],
        doc=fleet_limit.__doc__ or "",
    )


def whole_class(lp: LinearProgram, d: ProvisioningData, idx: dict) -> None:
    r"""Σ_s choose[c,s] = 1 for a class kept whole, and gpu_load[c,s,t] ≤ U_cst·choose[c,s]
    (U: the variable's upper bound, the demand or all servers' rate), scaled by U.

    .. math::

        \sum_s \mathit{choose}_{c,s} &= 1 \qquad \forall c \text{ kept whole} \\
        \mathit{gpu\_load}_{c,s,t} - U_{c,s,t}\,\mathit{choose}_{c,s} &\le 0 \qquad \forall (c,s,t)
    """
    wc, ws = idx["wc"], idx["ws"]
    rows_of = {c: i for i, c in enumerate(idx["whole"])}
    ch = lp.vars["choose"]
    lp.add_rows(
        "whole_class",
        [d.cls_names[c] for c in idx["whole"]],
        np.array([rows_of[c] for c in wc], dtype=np.int64),
        ch.offset + np.arange(len(wc)),
        np.ones(len(wc)),
        lower=1.0,
        upper=1.0,
        doc=whole_class.__doc__ or "",
    )
    pair = {(int(c), int(s)): j for j, (c, s) in enumerate(zip(wc, ws))}
    gl = lp.vars["gpu_load"]
    on = np.flatnonzero(~d.splittable[idx["gc"]] & (gl.upper > 0))
    j = np.array([pair[(int(idx["gc"][i]), int(idx["gs"][i]))] for i in on], dtype=np.int64)
    n = len(on)
    rows = np.concatenate([np.arange(n), np.arange(n)])
    cols = np.concatenate([gl.offset + on, ch.offset + j])
    vals = np.concatenate([1.0 / gl.upper[on], -np.ones(n)])
    lp.add_rows(
        "class_on_one",
        [gl.labels[i] for i in on],
        rows,
        cols,
        vals,
        upper=0.0,
        doc=whole_class.__doc__ or "",
    )


def one_sku(lp: LinearProgram, d: ProvisioningData) -> None:
    r"""Rightsize off: Σ_s pick[s] = 1, N_o ≤ max_s·pick[s(o)] and K_k ≤ count_k·pick[s(k)].

    .. math::

        \sum_s \mathit{pick}_s &= 1 \\
        N_o - N^{\max}_{s(o)}\,\mathit{pick}_{s(o)} &\le 0 \qquad \forall o \\
        K_k - \mathit{count}_k\,\mathit{pick}_{s(k)} &\le 0 \qquad \forall k
    """
    pk = lp.vars["pick"]
    lp.add_rows(
        "fleet_type",
        ["one SKU"],
        np.zeros(d.S, dtype=np.int64),
        pk.offset + np.arange(d.S),
        np.ones(d.S),
        lower=1.0,
        upper=1.0,
        doc=one_sku.__doc__ or "",
    )
    parts, labels = [], []
    for block, sku, ub in (
        ("servers", d.opt_sku, d.max_new[d.opt_sku]),
        ("kept", d.own_sku, d.own_count),
    ):
        n, base = len(sku), len(labels)
        labels += list(lp.vars[block].labels)
        r = base + np.arange(n)
        parts.append(
            (
                np.concatenate([r, r]),
                np.concatenate([lp.vars[block].offset + np.arange(n), pk.offset + sku]),
                np.concatenate([np.ones(n), -np.asarray(ub, dtype=float)]),
            )
        )
    rows, cols, vals = (np.concatenate(x) for x in zip(*parts))
    lp.add_rows("only_picked", labels, rows, cols, vals, upper=0.0, doc=one_sku.__doc__ or "")
