r"""The partition MILP: layers of a DAG on devices, transfers linearised by edge flows.

Sets
    L layers (topological order) plus ``input`` pinned on the source device and ``output`` on the
    sink; E edges (k, l) including input → first layers and last layers → output;
    D devices; (d, e) ordered device pairs with a link, or d = e.
Variables
    place[l, d] ∈ {0,1}: layer l runs on device d (only where its weights fit the memory);
    flow[k, l, d, e] ∈ [0,1]: edge (k, l) goes from device d to device e;
    period ≥ 0 (s): pipeline period, only for the ``period`` objective.
Tight transfer linearisation (DESIGN §4): Σ_e flow[k,l,d,e] = place[k,d] and
Σ_d flow[k,l,d,e] = place[l,e]. For a chain this is a network-flow matrix (integral LP); it
never needs the weak flow ≥ place + place − 1 form. A missing link simply has no flow column.
Per inference (sequential execution of the layers, then transfers)
    latency = Σ t[l,d]·place + Σ τ[k,l,d,e]·flow, with τ = link latency + bytes / bandwidth;
    carbon  = Σ c[l,d]·place + Σ c_link·flow, c = energy × intensity × PUE / 3.6e6 + embodied.
Objectives
    carbon (gCO2e/inference), latency (s), period (s/inference; throughput = 1/period),
    weighted = carbon_per_g·carbon + latency_per_s·latency. ``latency_slo_s`` bounds latency for
    every objective.
"""

from __future__ import annotations

import numpy as np

from ..lp import LinearProgram
from ..tolerance import fits_memory
from .instance import OBJECTIVES, PartitionInstance


def _flow_columns(data) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # noqa: ANN001
    """(edge, d, e) of every flow column: only linked pairs."""
    E = len(data.edges)
    ds, es = np.nonzero(data.linked)
    edge = np.repeat(np.arange(E), len(ds))
    return edge, np.tile(ds, E), np.tile(es, E)


def formulate(inst: PartitionInstance, objective: str) -> LinearProgram:
    if objective not in OBJECTIVES:
        raise ValueError(f"unknown objective {objective!r}; choose one of {', '.join(OBJECTIVES)}")
    data = inst.data
    L, D = data.time_s.shape
    lp = LinearProgram(name=f"partition_{objective}", sense="min")
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
    add_assign(lp, data, pl, place.cols)
    add_flow_balance(lp, data, pl, pd, place.cols, fe, fd, fe2, flow.cols)
    add_memory_fit(lp, data, pl, pd, place.cols)
    if inst.latency_slo_s is not None:
        add_latency_slo(lp, data, pl, pd, place.cols, fe, fd, fe2, flow.cols, inst.latency_slo_s)
    if objective == "period":
        period = lp.add_vars("period", ["period"], cost=1.0, doc="pipeline period, s")
        add_period(lp, data, pl, pd, place.cols, fe, fd, fe2, flow.cols, int(period.cols[0]))
    lp.meta["index"] = (pl, pd, fe, fd, fe2)  # place and flow columns, for plan extraction
    return lp


def _edge_name(data, k: int) -> str:  # noqa: ANN001
    u, v = data.edges[k]
    a = "input" if u < 0 else data.layers[u]
    b = "output" if v >= len(data.layers) else data.layers[v]
    return f"{a}->{b}"


def add_assign(lp: LinearProgram, data, pl, cols) -> None:  # noqa: ANN001
    r"""``assign[l]``: Σ_d place[l,d] = 1 — every layer runs on exactly one device."""
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


def add_latency_slo(lp, data, pl, pd, pcols, fe, fd, fe2, fcols, slo: float) -> None:  # noqa: ANN001
    r"""``latency_slo``: Σ t[l,d]·place + Σ τ[k,l,d,e]·flow ≤ latency_slo_s (s)."""
    cols = np.concatenate([pcols, fcols])
    vals = np.concatenate([data.time_s[pl, pd], data.link_time[fd, fe2, fe]])
    lp.add_rows(
        "latency_slo",
        ["latency"],
        np.zeros(len(cols), dtype=np.int64),
        cols,
        vals,
        upper=slo,
        doc=add_latency_slo.__doc__ or "",
    )


def add_period(lp, data, pl, pd, pcols, fe, fd, fe2, fcols, pcol: int) -> None:  # noqa: ANN001
    r"""``device_busy[d]``: Σ_l t[l,d]·place[l,d] − period ≤ 0 and
    ``link_busy[link]``: Σ_{k,l, both directions} bytes/bandwidth·flow − period ≤ 0.

    The period bounds every device's and every link's busy time per inference (s): a pipeline
    over a stream of inferences completes one per period.
    """
    D = len(data.devices)
    lp.add_rows(
        "device_busy",
        list(data.devices),
        np.concatenate([pd, np.arange(D)]),
        np.concatenate([pcols, np.full(D, pcol)]),
        np.concatenate([data.time_s[pl, pd], -np.ones(D)]),
        upper=0.0,
        doc=add_period.__doc__ or "",
        elastic=False,
    )
    link = data.link_index[fd, fe2]
    on = link >= 0
    n_links = int(data.link_index.max()) + 1
    if n_links > 0:
        busy = data.edge_bytes[fe[on]] / data.bandwidth[fd[on], fe2[on]]  # occupancy, no latency
        lp.add_rows(
            "link_busy",
            [f"link{k}" for k in range(n_links)],
            np.concatenate([link[on], np.arange(n_links)]),
            np.concatenate([fcols[on], np.full(n_links, pcol)]),
            np.concatenate([busy, -np.ones(n_links)]),
            upper=0.0,
            doc=add_period.__doc__ or "",
            elastic=False,
        )


def build(inst: PartitionInstance, objective: str | None = None):  # noqa: ANN201
    """The partition MILP as a Pyomo ``ConcreteModel`` (``m.place``, ``m.flow``, ``m.assign``)."""
    from ..lp import to_pyomo

    return to_pyomo(formulate(inst, objective or inst.objective))
