r"""The partition MILP: layers of a DAG on devices, transfers linearised by edge flows.

Sets
    L layers (topological order) plus ``input`` pinned on the source device and ``output`` on the
    sink; E edges (k, l) including input → first layers and last layers → output;
    D devices; (d, e) ordered device pairs with a link, or d = e; I ⊆ D the devices whose idle
    draw costs something (idle_power_w > 0, objectives carbon and weighted).
Variables
    place[l, d] ∈ {0,1}: layer l runs on device d (only where its weights fit the memory);
    flow[k, l, d, e] ∈ [0,1]: edge (k, l) goes from device d to device e;
    period ≥ 0 (units of T_ref): pipeline period, only for the ``period`` objective;
    used[d] ∈ {0,1}, wait[d] ≥ 0 (units of Lmax_d), latency ≥ 0 (units of Λ), d ∈ I: whether d
    hosts a layer, how long it idles within one inference, and the latency itself.
Tight transfer linearisation (DESIGN §4): Σ_e flow[k,l,d,e] = place[k,d] and
Σ_d flow[k,l,d,e] = place[l,e]. For a chain this is a network-flow matrix (integral LP); it
never needs the weak flow ≥ place + place − 1 form. A missing link simply has no flow column.
Per inference (sequential execution of the layers, then transfers)
    latency = Σ t[l,d]·place + Σ τ[k,l,d,e]·flow, with τ = link latency + bytes / bandwidth;
    busy_d  = Σ_l t[l,d]·place[l,d];
    carbon  = Σ c[l,d]·place + Σ c_link·flow + Σ_{d used} r_d·(latency − busy_d),
    c = active energy × intensity × PUE / 3.6e6 + embodied, r_d = idle_power_w × intensity × PUE
    / 3.6e6 (g/s): a device that hosts a layer idles while the others compute and transfer.
Objectives
    carbon (gCO2e/inference), latency (s), period (s/inference; throughput = 1/period),
    weighted = carbon_per_g·carbon + latency_per_s·latency. ``latency_slo_s`` bounds latency for
    every objective.
Symmetry
    Devices that a relabelling swaps without changing any number (``symmetry``: equal in
    every attribute, equal links to every other device, not pinned) make k! copies of each
    plan; ``device_order`` keeps one (``break_symmetry=False`` leaves it out).
Period floor
    The relaxation spreads every layer evenly over the devices, so no tensor crosses a link
    and its bound on the period stays at T_ref even where the optimum is twice that
    (ResNet-50 on 8 devices: tensors too large to cross a link keep its first stages on one
    device). ``period_floor`` lifts the period column's lower bound to a bound that holds
    for every plan (:func:`~ecoopt.partition.cuts.period_floor_s`: co-location closure,
    P||Cmax and star bounds); ``period_floor=False`` leaves it out.
Scaling
    HiGHS's row tolerances are absolute (about 1e-7), so every row is written in units that make
    it of order 1: memory as a fraction of the device, the SLO as a fraction of the SLO, busy
    times and the period in units of T_ref (``lp.meta["period_scale_s"]``), idle waits in
    units of their bound Lmax_d, latency in units of Λ. Objective coefficients carry the units
    back: ``lp.objective_value(x)`` is in g or s.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

from ..carbon import operational_carbon_g
from ..lp import LinearProgram
from ..tolerance import fits_memory
from .cuts import FLOOR_BACKOFF, period_floor_s
from .instance import OBJECTIVES, PartitionInstance
from .symmetry import device_classes, layer_ranking


class Cols(NamedTuple):
    """Index arrays of the place and flow columns (one entry per column)."""

    pl: np.ndarray  # layer of each place column
    pd: np.ndarray  # device of each place column
    place: np.ndarray  # global column numbers
    fe: np.ndarray  # edge of each flow column
    fd: np.ndarray  # sending device
    fe2: np.ndarray  # receiving device
    flow: np.ndarray  # global column numbers


def _flow_columns(data) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # noqa: ANN001
    """(edge, d, e) of every flow column: only linked pairs."""
    E = len(data.edges)
    ds, es = np.nonzero(data.linked)
    edge = np.repeat(np.arange(E), len(ds))
    return edge, np.tile(ds, E), np.tile(es, E)


def formulate(
    inst: PartitionInstance,
    objective: str,
    *,
    break_symmetry: bool = True,
    transfer_busy: bool = True,
    period_floor: bool = True,
) -> LinearProgram:
    """The partition MILP (module docstring). ``break_symmetry`` adds ``device_order``
    (:func:`add_device_order`) for every class of interchangeable devices; ``transfer_busy``
    adds :func:`add_transfer_busy` and ``period_floor`` :func:`add_period_floor` to the period
    objective. None changes the optimum; they are options so that their effect can be
    measured (``benchmarks/partition_symmetry.py``)."""
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    data = inst.data
    lp = LinearProgram(name=f"partition_{objective}", sense="min")
    c = _add_decisions(lp, inst, objective)
    add_assign(lp, data, c.pl, c.place)
    add_flow_balance(lp, data, c.pl, c.pd, c.place, c.fe, c.fd, c.fe2, c.flow)
    add_memory_fit(lp, data, c.pl, c.pd, c.place)
    if inst.latency_slo_s is not None:
        add_latency_slo(lp, data, c, inst.latency_slo_s)
    if objective == "period":
        add_period(lp, data, c)
        if transfer_busy:
            add_transfer_busy(lp, data, c)
        if period_floor:
            add_period_floor(lp, data)
    if objective in ("carbon", "weighted"):
        add_idle_wait(lp, inst, c, objective)
    classes = device_classes(data) if break_symmetry else []
    add_device_order(lp, data, c, classes)
    lp.meta["classes"] = classes  # plan_to_x starts from the canonical relabelling
    lp.meta["index"] = (c.pl, c.pd, c.fe, c.fd, c.fe2)  # place and flow columns, for plans
    return lp


def _add_decisions(lp: LinearProgram, inst: PartitionInstance, objective: str) -> Cols:
    """The ``place`` columns (admissible by memory, exact in bytes) and the ``flow`` columns."""
    data = inst.data
    fits = fits_memory(data.param_bytes[:, None], data.memory_bytes[None, :])
    pl, pd = np.nonzero(fits)
    fe, fd, fe2 = _flow_columns(data)
    if objective == "period":
        cx, cz = np.zeros(len(pl)), np.zeros(len(fe))
    else:
        node, link = data.additive_costs(objective, inst.weights)
        cx, cz = node[pl, pd], link[fd, fe2, fe]  # flow columns exist on linked pairs only
    place = lp.add_vars(
        "place",
        list(zip([data.layers[i] for i in pl], [data.devices[j] for j in pd])),
        upper=1.0,
        integer=True,
        cost=cx,
        doc="place[layer, device] = 1 if the layer runs there",
    )
    edge_label = [_edge_name(data, k) for k in range(len(data.edges))]
    flow = lp.add_vars(
        "flow",
        list(
            zip(
                [edge_label[k] for k in fe],
                [data.devices[j] for j in fd],
                [data.devices[j] for j in fe2],
            )
        ),
        upper=1.0,
        cost=cz,
        doc="flow[edge, from, to] = 1 if the edge's tensor goes from → to",
    )
    return Cols(pl, pd, place.cols, fe, fd, fe2, flow.cols)


def latency_terms(data, c: Cols) -> tuple[np.ndarray, np.ndarray]:  # noqa: ANN001
    """(columns, seconds) of the latency expression Σ t·place + Σ τ·flow, one per column."""
    cols = np.concatenate([c.place, c.flow])
    secs = np.concatenate([data.time_s[c.pl, c.pd], data.link_time[c.fd, c.fe2, c.fe]])
    return cols, secs


def period_scale_s(data) -> float:  # noqa: ANN001
    """T_ref = Σ_l min_d t[l,d] / D (s), a lower bound on any period (the work on the fastest
    devices, spread evenly); 1 s when it is not positive (e.g. every measured time is 0)."""
    t_ref = float(data.time_s.min(axis=1).sum()) / data.time_s.shape[1]
    return t_ref if np.isfinite(t_ref) and t_ref > 0 else 1.0


def _edge_name(data, k: int) -> str:  # noqa: ANN001
    u, v = data.edges[k]
    a = "input" if u < 0 else data.layers[u]
    b = "output" if v >= len(data.layers) else data.layers[v]
    return f"{a}->{b}"


def add_assign(lp: LinearProgram, data, pl, cols) -> None:  # noqa: ANN001
    r"""``assign[l]``: Σ_d place[l,d] = 1 — every layer runs on exactly one device.

    .. math::

        \sum_d \mathit{place}_{l,d} = 1 \qquad \forall l
    """
    lp.add_rows(
        "assign",
        list(data.layers),
        pl,
        cols,
        np.ones(len(cols)),
        lower=1.0,
        upper=1.0,
        doc=add_assign.__doc__ or "",
        elastic=False,
    )


def add_flow_balance(lp, data, pl, pd, pcols, fe, fd, fe2, fcols) -> None:  # noqa: ANN001
    r"""``flow_out[k,l,d]``: Σ_e flow[k,l,d,e] − place[k,d] = 0 and
    ``flow_in[k,l,e]``: Σ_d flow[k,l,d,e] − place[l,e] = 0.

    .. math::

        \sum_e \mathit{flow}_{k,l,d,e} - \mathit{place}_{k,d} &= 0 \qquad \forall (k,l), d \\
        \sum_d \mathit{flow}_{k,l,d,e} - \mathit{place}_{l,e} &= 0 \qquad \forall (k,l), e


    Index sets: edges × devices. ``input`` is fixed on the source device and ``output`` on the
    sink, so their place terms become the constant right-hand side 1 or 0. Dimensionless.
    """
    L = len(data.layers)
    D = len(data.devices)
    E = len(data.edges)
    col_of = np.full((L, D), -1)  # place column of (layer, device), -1 where it does not fit
    col_of[pl, pd] = pcols
    ends = np.array(data.edges)  # (E, 2): -1 = input, L = output
    for name, end, dev in (("flow_out", 0, fd), ("flow_in", 1, fe2)):
        node = ends[:, end]
        rhs = np.zeros((E, D))
        rhs[node < 0, data.source] = 1.0
        rhs[node >= L, data.sink] = 1.0
        real = np.flatnonzero((node >= 0) & (node < L))
        place_col = col_of[node[real]]  # (E_real, D)
        k, d = np.nonzero(place_col >= 0)
        rows = [fe * D + dev, real[k] * D + d]
        cols = [fcols, place_col[k, d]]
        vals = [np.ones(len(fcols)), -np.ones(len(k))]
        rhs = rhs.ravel()
        labels = [(_edge_name(data, k), data.devices[d]) for k in range(E) for d in range(D)]
        lp.add_rows(
            name,
            labels,
            np.concatenate(rows),
            np.concatenate(cols),
            np.concatenate(vals),
            lower=rhs,
            upper=rhs,
            doc=add_flow_balance.__doc__ or "",
            elastic=False,
        )


def add_memory_fit(lp: LinearProgram, data, pl, pd, cols) -> None:  # noqa: ANN001
    r"""``memory_fit[d]``: Σ_l (param_bytes_l / memory_bytes_d)·place[l,d] ≤ 1.

    .. math::

        \sum_l \frac{p_l}{M_d}\,\mathit{place}_{l,d} \le 1 \qquad \forall d


    Index set: devices. The weights resident on d, as a fraction of its memory
    (dimensionless): a row of order 1, so HiGHS's absolute row tolerance (about 1e-7) is a
    relative one. Memory is exact in bytes (:func:`~ecoopt.tolerance.fits_memory`): the
    evaluator judges the plan in bytes, and a layer whose weights exceed a device has no
    ``place`` column there at all.
    """
    lp.add_rows(
        "memory_fit",
        list(data.devices),
        pd,
        cols,
        data.param_bytes[pl] / data.memory_bytes[pd],
        upper=1.0,
        doc=add_memory_fit.__doc__ or "",
    )


def add_latency_slo(lp: LinearProgram, data, c: Cols, slo: float) -> None:  # noqa: ANN001
    r"""``latency_slo``: Σ (t[l,d] / slo)·place + Σ (τ[k,l,d,e] / slo)·flow ≤ 1.

    .. math::

        \sum_{l,d} \frac{t_{l,d}}{\mathit{slo}}\,\mathit{place}_{l,d} + \sum_{(k,l),d,e}
        \frac{\tau_{k,l,d,e}}{\mathit{slo}}\,\mathit{flow}_{k,l,d,e} \le 1


    One row. The latency of one inference (s) as a fraction of ``latency_slo_s`` (s), so the row
    is of order 1 and HiGHS's absolute tolerance is relative; the evaluator checks it with
    :func:`~ecoopt.tolerance.within`. The elastic explanation multiplies its slack by the SLO.
    """
    cols, secs = latency_terms(data, c)
    lp.add_rows(
        "latency_slo",
        ["latency"],
        np.zeros(len(cols), dtype=np.int64),
        cols,
        secs / slo,
        upper=1.0,
        doc=add_latency_slo.__doc__ or "",
    )


def add_period(lp: LinearProgram, data, c: Cols) -> None:  # noqa: ANN001
    r"""``device_busy[d]``: Σ_l (t[l,d] / T_ref)·place[l,d] − period ≤ 0 and
    ``link_busy[link]``: Σ_{k,l, both directions} (bytes / bandwidth / T_ref)·flow − period ≤ 0.

    .. math::

        \sum_l \frac{t_{l,d}}{T_\mathrm{ref}}\,\mathit{place}_{l,d} - \mathit{period} &\le 0 \qquad
        \forall d \\
        \sum_{(k,l)} \sum_{(d,e) \in \{(a,b),(b,a)\}}
        \frac{\beta_{k,l}}{B_{a,b}\,T_\mathrm{ref}}\,\mathit{flow}_{k,l,d,e} - \mathit{period} &\le
        0 \qquad \forall \text{ link } \{a,b\}


    Index sets: devices; undirected links. The period bounds every device's and every link's
    busy time per inference: a pipeline over a stream of inferences completes one per period.
    Busy times and ``period`` are in units of T_ref (:func:`period_scale_s`, kept in
    ``lp.meta["period_scale_s"]``), so the optimum of ``period`` is ≥ 1 and of order 1; its
    objective coefficient is T_ref, so the objective is in seconds.
    """
    D = len(data.devices)
    t_ref = period_scale_s(data)
    lp.meta["period_scale_s"] = t_ref
    pcol = int(lp.add_vars("period", ["period"], cost=t_ref, doc="period / T_ref").cols[0])
    lp.add_rows(
        "device_busy",
        list(data.devices),
        np.concatenate([c.pd, np.arange(D)]),
        np.concatenate([c.place, np.full(D, pcol)]),
        np.concatenate([data.time_s[c.pl, c.pd] / t_ref, -np.ones(D)]),
        upper=0.0,
        doc=add_period.__doc__ or "",
        elastic=False,
    )
    link = data.link_index[c.fd, c.fe2]
    on = link >= 0
    n_links = int(data.link_index.max()) + 1
    if n_links > 0:
        busy = data.edge_bytes[c.fe[on]] / data.bandwidth[c.fd[on], c.fe2[on]]  # no latency
        lp.add_rows(
            "link_busy",
            [f"link{k}" for k in range(n_links)],
            np.concatenate([link[on], np.arange(n_links)]),
            np.concatenate([c.flow[on], np.full(n_links, pcol)]),
            np.concatenate([busy / t_ref, -np.ones(n_links)]),
            upper=0.0,
            doc=add_period.__doc__ or "",
            elastic=False,
        )


def add_transfer_busy(lp: LinearProgram, data, c: Cols) -> None:  # noqa: ANN001
    r"""``transfer_busy[k,l]``: Σ_{d ≠ e} (bytes_kl / bandwidth_de / T_ref)·flow[k,l,d,e]
    − period ≤ 0.

    .. math::

        \sum_{d \ne e} \frac{\beta_{k,l}}{B_{d,e}\,T_\mathrm{ref}}\,\mathit{flow}_{k,l,d,e} -
        \mathit{period} \le 0 \qquad \forall (k,l)


    Index set: edges. One tensor's transfer occupies the one link it crosses, and that link's
    busy time bounds the period (``link_busy``), so each edge's own transfer time is at most
    the period: valid for every plan, implied at integer points, but not in the relaxation,
    where ``link_busy`` lets a fractional edge spread thinly over many links. Units of T_ref.
    """
    pcol = int(lp.vars["period"].cols[0])
    t_ref = lp.meta["period_scale_s"]
    off = c.fd != c.fe2
    occ = data.edge_bytes[c.fe[off]] / data.bandwidth[c.fd[off], c.fe2[off]] / t_ref
    E = len(data.edges)
    lp.add_rows(
        "transfer_busy",
        [_edge_name(data, k) for k in range(E)],
        np.concatenate([c.fe[off], np.arange(E)]),
        np.concatenate([c.flow[off], np.full(E, pcol)]),
        np.concatenate([occ, -np.ones(E)]),
        upper=0.0,
        doc=add_transfer_busy.__doc__ or "",
        elastic=False,
    )


def add_period_floor(lp: LinearProgram, data) -> None:  # noqa: ANN001
    r"""The ``period`` column's lower bound: period ≥ (1 − 10⁻¹²)·P_floor / T_ref.

    P_floor (s) is :func:`~ecoopt.partition.cuts.period_floor_s`, a bound that holds for
    every plan: layers joined by tensors too large to cross any link within the period stay
    on one device, and those groups are packed onto the devices (P||Cmax bounds). The
    relaxation cannot see it: it spreads every layer evenly over the devices, so no tensor
    crosses a link and its bound stays at Σ_l min_d t / D = T_ref. The back-off (``cuts.
    FLOOR_BACKOFF``) keeps float rounding from lifting the bound over a plan's period. Kept
    in ``lp.meta["period_floor_s"]``. Units of T_ref, like ``period``.
    """
    floor = period_floor_s(data)
    lp.meta["period_floor_s"] = floor
    if np.isfinite(floor) and floor > 0:
        block = lp.vars["period"]
        block.lower[:] = (1.0 - FLOOR_BACKOFF) * floor / lp.meta["period_scale_s"]


def idle_bounds_s(inst: PartitionInstance) -> np.ndarray:
    """Lmax_d (s): an upper bound on the latency of any plan that puts no layer on d.

    Σ_l max_{d' ≠ d, weights fit} t[l,d'] + Σ_edges max_{linked (a,b)} τ[a,b,edge], and at most
    ``latency_slo_s`` when there is one. A layer that fits on d only adds 0 (with no layer on
    d such a plan does not exist). It also bounds latency − busy_d when d hosts layers.
    """
    data = inst.data
    L, D = data.time_s.shape
    fits = fits_memory(data.param_bytes[:, None], data.memory_bytes[None, :])
    t = np.where(fits, data.time_s, -np.inf)
    order = np.argsort(-t, axis=1, kind="stable")
    best = t[np.arange(L), order[:, 0]]
    second = t[np.arange(L), order[:, 1]] if D > 1 else np.full(L, -np.inf)
    excl = np.where(order[:, :1] == np.arange(D)[None, :], second[:, None], best[:, None])
    compute = np.where(np.isfinite(excl), excl, 0.0).sum(axis=0)  # (D,)
    tau = np.where(data.linked[:, :, None], data.link_time, -np.inf).max(axis=(0, 1))
    bound = compute + float(tau.sum())
    if inst.latency_slo_s is not None:
        bound = np.minimum(bound, inst.latency_slo_s)
    return bound


def idle_rate(inst: PartitionInstance, objective: str) -> np.ndarray:
    """Objective cost of one second of idling, per device (g/s; × carbon_per_g if weighted)."""
    data = inst.data
    rate = np.asarray(operational_carbon_g(data.idle_power_w, data.intensity, data.pue))
    return rate * (inst.weights.carbon_per_g if objective == "weighted" else 1.0)


def add_idle_wait(lp: LinearProgram, inst: PartitionInstance, c: Cols, objective: str) -> None:
    r"""Idle carbon of the devices that host a layer, exact for minimisation.

    .. math::

        \frac{\Lambda}{L^{\max}_d}\,\mathit{latency} - \sum_l
        \frac{t_{l,d}}{L^{\max}_d}\,\mathit{place}_{l,d} + \mathit{used}_d - \mathit{wait}_d \le 1
        \qquad \forall d \in I


    For d ∈ I = {d : idle_power_w_d·intensity_d > 0, Lmax_d > 0} (:func:`idle_bounds_s`), with
    ``used_def`` (:func:`add_used_def`) and ``latency_def`` (:func:`add_latency_def`):

    ``idle_wait[d]``: (Λ/Lmax_d)·latency − Σ_l (t[l,d]/Lmax_d)·place[l,d] + used[d] − wait[d]
    ≤ 1, i.e. wait_s ≥ latency_s − busy_d − Lmax_d·(1 − used[d]), in units of Lmax_d (s).

    wait[d] costs r_d·Lmax_d (r_d of :func:`idle_rate`, g/s), i.e. r_d per second d idles.
    With used[d] = 0 the row is slack (latency ≤ Lmax_d); the cost is ≥ 0, so at the optimum
    wait is exactly latency − busy_d on used devices and 0 elsewhere.
    """
    data = inst.data
    lmax = idle_bounds_s(inst)
    rate = idle_rate(inst, objective)
    idle = np.flatnonzero((rate > 0) & (lmax > 0))
    if not len(idle):
        return
    n = len(idle)
    names = [data.devices[d] for d in idle]
    scale = float(lmax[idle].max())
    lp.meta["idle"] = (idle, lmax[idle], scale)
    used = lp.add_vars("used", names, upper=1.0, integer=True, doc="used[d] = 1 if d hosts a layer")
    wait = lp.add_vars("wait", names, cost=rate[idle] * lmax[idle], doc="idle time / Lmax_d")
    lat = int(lp.add_vars("latency", ["latency"], doc="latency / Λ").cols[0])
    slot = np.full(len(data.devices), -1)
    slot[idle] = np.arange(n)
    k = np.flatnonzero(slot[c.pd] >= 0)  # place columns on idle devices
    add_used_def(lp, data, c, k, used.cols[slot[c.pd[k]]])
    add_latency_def(lp, data, c, lat, scale)
    busy = -data.time_s[c.pl[k], c.pd[k]] / lmax[c.pd[k]]
    lp.add_rows(
        "idle_wait",
        names,
        np.concatenate([np.arange(n), slot[c.pd[k]], np.arange(n), np.arange(n)]),
        np.concatenate([np.full(n, lat), c.place[k], used.cols, wait.cols]),
        np.concatenate([scale / lmax[idle], busy, np.ones(n), -np.ones(n)]),
        upper=1.0,
        doc=add_idle_wait.__doc__ or "",
        elastic=False,
    )


def add_used_def(lp: LinearProgram, data, c: Cols, k: np.ndarray, used_col: np.ndarray) -> None:  # noqa: ANN001
    r"""``used_def[l,d]``: place[l,d] − used[d] ≤ 0, d ∈ I, l with weights fitting on d.

    .. math::

        \mathit{place}_{l,d} - \mathit{used}_d \le 0 \qquad \forall d \in I,\ l \text{ fitting on }
        d


    Index set: the place columns ``k`` on devices in I (``used_col`` their used column).
    Dimensionless; the disaggregated form (one row per layer) is the tight one.
    """
    lp.add_rows(
        "used_def",
        [(data.layers[c.pl[i]], data.devices[c.pd[i]]) for i in k],
        np.concatenate([np.arange(len(k))] * 2),
        np.concatenate([c.place[k], used_col]),
        np.concatenate([np.ones(len(k)), -np.ones(len(k))]),
        upper=0.0,
        doc=add_used_def.__doc__ or "",
        elastic=False,
    )


def add_latency_def(lp: LinearProgram, data, c: Cols, lat: int, scale: float) -> None:  # noqa: ANN001
    r"""``latency_def``: Σ (t/Λ)·place + Σ (τ/Λ)·flow − latency = 0.

    .. math::

        \sum_{l,d} \frac{t_{l,d}}{\Lambda}\,\mathit{place}_{l,d} + \sum_{(k,l),d,e}
        \frac{\tau_{k,l,d,e}}{\Lambda}\,\mathit{flow}_{k,l,d,e} - \mathit{latency} = 0


    One row: the SLO row's latency expression (:func:`latency_terms`, s) in units of
    Λ = max_{d ∈ I} Lmax_d (s), so ``idle_wait`` needs one latency term, not every column.
    """
    cols, secs = latency_terms(data, c)
    lp.add_rows(
        "latency_def",
        ["latency"],
        np.zeros(len(cols) + 1, dtype=np.int64),
        np.append(cols, lat),
        np.append(secs / scale, -1.0),
        lower=0.0,
        upper=0.0,
        doc=add_latency_def.__doc__ or "",
        elastic=False,
    )


def add_device_order(lp: LinearProgram, data, c: Cols, classes: list[np.ndarray]) -> None:  # noqa: ANN001
    r"""``device_order[l, d_i]``: place[l, d_i] − Σ_{l' ≺ l} place[l', d_{i−1}] ≤ 0.

    .. math::

        \mathit{place}_{l,d_i} - \sum_{l' \prec l} \mathit{place}_{l',d_{i-1}} \le 0 \qquad i = 2
        \dots k


    Index set: each class {d_1 < … < d_k} of interchangeable devices
    (:func:`~ecoopt.partition.symmetry.device_classes`), i = 2 … k, and the layers l that fit
    on the class; ≺ is the class's layer ranking
    (:func:`~ecoopt.partition.symmetry.layer_ranking`: decreasing compute time). Dimensionless.

    A class's device d_i may host layer l only if d_{i−1} hosts a layer ranked before l: the
    class's devices are used in the order of the first-ranked layer each hosts, unused ones
    last. Every plan has exactly one relabelling within its classes that satisfies these rows
    (:func:`~ecoopt.partition.symmetry.canonical_devices`), and relabelling keeps feasibility
    and the value of every objective, so the optimum is unchanged while the k! copies of each
    plan collapse to one. The longest layer may only go to d_1, the second to d_1 or d_2, …
    (the first-fit-decreasing order of bin packing), so branching settles the bottleneck
    first. Rows: L·(k − 1) per class, O(L²·k) nonzeros.
    """
    col_of = np.full((len(data.layers), len(data.devices)), -1)
    col_of[c.pl, c.pd] = c.place
    rows, cols, vals, labels = [], [], [], []
    for members in classes:
        ranked = layer_ranking(data, members)
        layers = ranked[col_of[ranked, members[0]] >= 0]  # the same for the whole class
        n = len(layers)
        row, before = np.nonzero(np.arange(n)[None, :] < np.arange(n)[:, None])
        for prev, dev in zip(members[:-1], members[1:]):
            r0 = len(labels)
            rows += [r0 + np.arange(len(layers)), r0 + row]
            cols += [col_of[layers, dev], col_of[layers[before], prev]]
            vals += [np.ones(len(layers)), -np.ones(len(row))]
            labels += [(data.layers[lay], data.devices[dev]) for lay in layers]
    if not labels:
        return
    lp.add_rows(
        "device_order",
        labels,
        np.concatenate(rows),
        np.concatenate(cols),
        np.concatenate(vals),
        upper=0.0,
        doc=add_device_order.__doc__ or "",
        elastic=False,
    )


def build(inst: PartitionInstance, objective: str | None = None):  # noqa: ANN201
    """The partition MILP as a Pyomo ``ConcreteModel`` (``m.place``, ``m.flow``, ``m.assign``)."""
    from ..lp import to_pyomo

    return to_pyomo(formulate(inst, objective or inst.objective))
