"""The hindsight MILP of routing: with the whole stream known, which node serves each request in
which batch, starting at which grid point, so that carbon (or energy, mean latency, the largest
latency, a weighted sum) is least while every SLO, batch size, node concurrency and node
memory holds.

Time-expanded on the grid of ``slot_s``: batches start at grid points s·Δ. Requests that are
interchangeable — the same type, the same first grid point at or after their arrival, and for
every profile the same last grid point from which a batch of that profile still meets their
SLO and maximum wait — form one *group* g of R_g requests (one request per group when they all
differ). Index sets: groups g, profile rows p (node, type, batch size b_p; only those that fit
the node's memory), grid points s. A *cell* (g, p, s) exists when s is allowed for g on p.

Variables: ``batches[p, s]`` ∈ {0 … lanes_n} (batches of profile p started at s) and
``serve[g, p, s]`` ∈ ℤ≥0 (requests of group g in them). The model is exact over plans whose
batches start on the grid (the simulator's plans do): every such plan is a point of it, and
each point is a plan (requests of a cell fill its batches in any order).
"""

from __future__ import annotations

import numpy as np

from ..lp import LinearProgram
from .arrays import TIME_EPS, RoutingData
from .instance import RoutingInstance

#: cells (group, profile, grid point) the hindsight MILP takes at most
MAX_CELLS = 2_000_000


def _type_groups(
    d: RoutingData, k: int, earliest: int = 0, until: int | None = None, split: bool = False
) -> dict[str, np.ndarray]:
    """Groups of type k: first grid point (G,), last per profile of the type (G, P_k), size,
    and each request's group. Batches start from grid point ``earliest`` to ``until``. With
    ``split``, requests arriving at different times are never grouped (the tail objective
    needs each cell's latency exactly)."""
    reqs = np.flatnonzero(d.rtype == k)
    prof = np.flatnonzero(d.p_type == k)
    first = np.ceil(d.arrival_s[reqs] / d.slot_s - TIME_EPS).astype(np.int64)
    first = np.maximum(first, earliest)
    latest_s = np.minimum(
        d.deadline_s[reqs, None] - d.p_service_s[None, prof], d.start_by_s[reqs, None]
    )
    last = np.floor(latest_s / d.slot_s + TIME_EPS).astype(np.int64)  # (deadlines are finite)
    if until is not None:
        last = np.minimum(last, until)
    columns = [first, last]
    if split:
        columns.append(np.unique(d.arrival_s[reqs], return_inverse=True)[1].ravel())
    key, member, count = np.unique(
        np.column_stack(columns), axis=0, return_inverse=True, return_counts=True
    )
    last = key[:, 1 : 1 + len(prof)]
    return {"reqs": reqs, "prof": prof, "first": key[:, 0], "last": last,
            "count": count, "member": member.ravel()}  # fmt: skip


def build_cells(
    d: RoutingData, earliest: int = 0, until: int | None = None, split: bool = False
) -> dict[str, np.ndarray]:
    """Every group and cell: ``group_of`` (R,) each request's group, ``g_type``, ``g_count``,
    ``g_first``; cells ``cg``, ``cp``, ``cs`` (group, profile row, grid point from ``earliest``
    to ``until``; ``split``: see ``_type_groups``);
    batch columns ``bp``, ``bs`` and each cell's batch column ``cb``."""
    group_of = np.zeros(d.R, dtype=np.int64)
    g_type, g_count, g_first, cg, cp, cs = [], [], [], [], [], []
    offset = 0
    for k in range(d.K):
        if not (d.rtype == k).any():
            continue
        t = _type_groups(d, k, earliest, until, split)
        G = len(t["count"])
        group_of[t["reqs"]] = offset + t["member"]
        g_type.append(np.full(G, k))
        g_count.append(t["count"])
        g_first.append(t["first"])
        length = np.maximum(t["last"] - t["first"][:, None] + 1, 0)  # (G, P_k)
        gi, pi = np.nonzero(length)
        n = length[gi, pi]
        within = np.arange(n.sum()) - np.repeat(np.cumsum(n) - n, n)
        cg.append(np.repeat(offset + gi, n))
        cp.append(np.repeat(t["prof"][pi], n))
        cs.append(np.repeat(t["first"][gi], n) + within)
        offset += G
    cat = {k: np.concatenate(v) if v else np.zeros(0, dtype=np.int64)
           for k, v in (("g_type", g_type), ("g_count", g_count), ("g_first", g_first),
                        ("cg", cg), ("cp", cp), ("cs", cs))}  # fmt: skip
    pairs, cb = np.unique(np.column_stack([cat["cp"], cat["cs"]]), axis=0, return_inverse=True)
    return {**cat, "group_of": group_of, "bp": pairs[:, 0], "bs": pairs[:, 1], "cb": cb.ravel()}


def count_cells(d: RoutingData, earliest: int = 0, split: bool = False) -> int:
    """Cells the hindsight MILP of ``d`` has, counted without building them."""
    total = 0
    for k in range(d.K):
        if (d.rtype == k).any():
            t = _type_groups(d, k, earliest, split=split)
            total += int(np.maximum(t["last"] - t["first"][:, None] + 1, 0).sum())
    return total


def _batch_costs(d: RoutingData, cells: dict, weights: dict[str, float]) -> np.ndarray:
    bp, start = cells["bp"], cells["bs"] * d.slot_s
    per = {"carbon_g": d.batch_carbon_g(bp, start), "energy_j": d.p_energy_j[bp]}
    return sum(w * per[m] for m, w in weights.items() if m in per)


def _serve_costs(d: RoutingData, cells: dict, weights: dict[str, float]) -> np.ndarray:
    """Mean latency: Σ serve·(s·Δ + service) / R, less Σ arrival / R (the offset)."""
    done = cells["cs"] * d.slot_s + d.p_service_s[cells["cp"]]
    return weights.get("latency_s", 0.0) * done / d.R


def objective_weights(inst: RoutingInstance, objective: str) -> dict[str, float]:
    """The metric weights an objective stands for."""
    if objective == "weighted":
        w = inst.weights
        return {"carbon_g": w.carbon_g, "energy_j": w.energy_j, "latency_s": w.latency_s}
    names = {"carbon": "carbon_g", "energy": "energy_j", "latency": "latency_s",
             "latency_max": "latency_max_s"}  # fmt: skip
    return {names[objective]: 1.0}


def cell_latency(d: RoutingData, cells: dict) -> np.ndarray:
    """L_c: the latency (s) of the earliest-arriving request of cell c's group if it is served
    there, s·Δ + τ_p − min arrival of the group."""
    first_arrival = np.full(len(cells["g_count"]), np.inf)
    np.minimum.at(first_arrival, cells["group_of"], d.arrival_s)
    return cells["cs"] * d.slot_s + d.p_service_s[cells["cp"]] - first_arrival[cells["cg"]]


def worst_latency(lp: LinearProgram, d: RoutingData, cells: dict, weight: float) -> None:
    r"""The tail objective (``latency_max``): a binary ``used[c]`` per cell and ``worst`` ≥ 0 (s,
    cost ``weight``), with rows serve[g,p,s] − cap_c · used[c] ≤ 0 (``used_cell``: a cell
    serves only when used, cap_c its serve column's upper bound) and L_c · used[c] − worst ≤ 0
    (``worst_latency``, :func:`cell_latency`): worst is at least every served request's
    latency, and at the optimum equal to the largest.

    .. math::

        \mathit{serve}_{g,p,s} - \mathit{cap}_c\,\mathit{used}_c &\le 0 \qquad \forall c = (g,p,s)
        \\
        L_c\,\mathit{used}_c - \mathit{worst} &\le 0 \qquad \forall c
    """
    C = len(cells["cg"])
    lp.add_vars("used", list(range(C)), upper=1.0, integer=True, doc="cell c serves requests")
    lp.add_vars("worst", ["worst"], cost=weight, doc="the largest latency, s")
    serve, used = lp.vars["serve"], lp.vars["used"]
    cap = np.maximum(serve.upper, 1.0)
    rows = np.concatenate([np.arange(C), np.arange(C)])
    cols = np.concatenate([serve.offset + np.arange(C), used.offset + np.arange(C)])
    lp.add_rows("used_cell", list(range(C)), rows, cols,
                np.concatenate([1.0 / cap, -np.ones(C)]), upper=0.0,
                doc=worst_latency.__doc__ or "")  # fmt: skip
    lat = cell_latency(d, cells)
    scale = max(float(d.slo_s.max()), 1e-9)
    lp.add_rows("worst_latency", list(range(C)), np.concatenate([np.arange(C), np.arange(C)]),
                np.concatenate([used.offset + np.arange(C), np.full(C, lp.vars["worst"].offset)]),
                np.concatenate([lat / scale, np.full(C, -1.0 / scale)]), upper=0.0,
                doc=worst_latency.__doc__ or "")  # fmt: skip


def _add_variables(lp: LinearProgram, d: RoutingData, cells: dict, weights: dict) -> None:
    bp, cp, cg = cells["bp"], cells["cp"], cells["cg"]
    lanes = d.lanes[d.p_node[bp]]
    lp.add_vars(
        "batches",
        [(int(p), int(s)) for p, s in zip(bp, cells["bs"])],
        upper=lanes,
        integer=True,
        cost=_batch_costs(d, cells, weights),
        doc="batches of profile row p started at grid point s",
    )
    cap = np.minimum(cells["g_count"][cg], d.p_batch[cp] * d.lanes[d.p_node[cp]])
    lp.add_vars(
        "serve",
        [(int(g), int(p), int(s)) for g, p, s in zip(cg, cp, cells["cs"])],
        upper=cap,
        integer=True,
        cost=_serve_costs(d, cells, weights),
        doc="requests of group g in the batches of profile p started at s",
    )
    lp.objective_offset = -weights.get("latency_s", 0.0) * float(d.arrival_s.mean())


def _add_unserved(lp: LinearProgram, cells: dict) -> None:
    """``unserved[g]`` ∈ ℤ≥0 (soft models only): requests of group g left for later, each
    priced above any plan's whole cost, so a solution leaves one only when it must."""
    costs = np.concatenate([b.cost for b in lp.vars.values()])
    penalty = 10.0 * float(np.abs(costs).sum()) + 1.0
    G = len(cells["g_count"])
    lp.add_vars("unserved", list(range(G)), upper=cells["g_count"], integer=True,
                cost=penalty, doc="requests of group g not served (soft models)")  # fmt: skip


def serve_all(lp: LinearProgram, cells: dict) -> None:
    r"""Σ_{p,s} serve[g,p,s] (+ unserved[g] in a soft model) = R_g for every group g (scaled by
    R_g): every request served.

    .. math::

        \sum_{p,s} \mathit{serve}_{g,p,s} \;(+\, \mathit{unserved}_g) = R_g \qquad \forall g
    """
    cg, G = cells["cg"], len(cells["g_count"])
    rows, cols = cg, lp.vars["serve"].offset + np.arange(len(cg))
    if "unserved" in lp.vars:
        rows = np.concatenate([rows, np.arange(G)])
        cols = np.concatenate([cols, lp.vars["unserved"].offset + np.arange(G)])
    lp.add_rows(
        "serve_all",
        list(range(G)),
        rows,
        cols,
        1.0 / cells["g_count"][rows],
        lower=1.0,
        upper=1.0,
        doc=serve_all.__doc__ or "",
    )


def batch_fill(lp: LinearProgram, d: RoutingData, cells: dict) -> None:
    r"""Σ_g serve[g,p,s] / b_p − batches[p,s] ≤ 0 for every batch column (p, s): a batch holds
    at most its profile's b_p requests (scaled by b_p).

    .. math::

        \sum_g \mathit{serve}_{g,p,s} - b_p\,\mathit{batches}_{p,s} \le 0 \qquad \forall (p,s)
    """
    cb, B = cells["cb"], len(cells["bp"])
    rows = np.concatenate([cb, np.arange(B)])
    cols = np.concatenate(
        [lp.vars["serve"].offset + np.arange(len(cb)), lp.vars["batches"].offset + np.arange(B)]
    )
    vals = np.concatenate([1.0 / d.p_batch[cells["cp"]], -np.ones(B)])
    labels = [(int(p), int(s)) for p, s in zip(cells["bp"], cells["bs"])]
    lp.add_rows("batch_fill", labels, rows, cols, vals, upper=0.0,
                doc=batch_fill.__doc__ or "")  # fmt: skip


def serve_in_batch(lp: LinearProgram, d: RoutingData, cells: dict) -> None:
    r"""serve[g,p,s] − min(R_g, b_p)·batches[p,s] ≤ 0 for every cell (scaled by min(R_g, b_p)):
    implied by ``batch_fill`` for whole batches, it cuts the relaxation's fractions of big
    batches, which otherwise price a lone request at a full batch's energy per request.

    .. math::

        \mathit{serve}_{g,p,s} - \min(R_g, b_p)\,\mathit{batches}_{p,s} \le 0 \qquad \forall (g,p,s)
    """
    cb, C = cells["cb"], len(cells["cg"])
    m = np.minimum(cells["g_count"][cells["cg"]], d.p_batch[cells["cp"]]).astype(float)
    rows = np.concatenate([np.arange(C), np.arange(C)])
    cols = np.concatenate([lp.vars["serve"].offset + np.arange(C), lp.vars["batches"].offset + cb])
    vals = np.concatenate([1.0 / m, -np.ones(C)])
    lp.add_rows("serve_in_batch", list(range(C)), rows, cols, vals, upper=0.0,
                doc=serve_in_batch.__doc__ or "")  # fmt: skip


def _running(d: RoutingData, cells: dict) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(node, grid point, batch column) for every grid point t a batch column runs over,
    s ≤ t < s + ⌈service/Δ⌉."""
    bp, bs = cells["bp"], cells["bs"]
    dur = np.maximum(np.ceil(d.p_service_s[bp] / d.slot_s - TIME_EPS).astype(np.int64), 1)
    col = np.repeat(np.arange(len(bp)), dur)
    t = np.repeat(bs, dur) + (np.arange(dur.sum()) - np.repeat(np.cumsum(dur) - dur, dur))
    return d.p_node[bp][col], t, col


def _per_node_slot(lp, d, cells, name, weight, cap, doc, held=None) -> None:  # noqa: ANN001
    """Σ_{running batch columns} weight · batches ≤ cap_n − held[n, t] per (node, grid point),
    ``held`` (N, T) what committed batches outside the model already take (None: nothing);
    only rows that the columns' upper bounds could break are kept."""
    node, t, col = _running(d, cells)
    key, row = np.unique(np.column_stack([node, t]), axis=0, return_inverse=True)
    row = row.ravel()
    w = weight[cells["bp"][col]]
    room = cap[key[:, 0]].astype(float)
    if held is not None:
        room = room - held[key[:, 0], np.minimum(key[:, 1], held.shape[1] - 1)]
    most = np.bincount(row, weights=w * lp.vars["batches"].upper[col], minlength=len(key))
    keep = most > room * (1 + 1e-12) + 1e-12
    new = -np.ones(len(key), dtype=np.int64)
    new[keep] = np.arange(keep.sum())
    on = keep[row]
    scale = cap[key[:, 0]]
    lp.add_rows(
        name,
        [(d.node_names[n], int(s)) for n, s in key[keep]],
        new[row[on]],
        lp.vars["batches"].offset + col[on],
        w[on] / scale[row[on]],
        upper=np.maximum(room[keep], 0.0) / scale[keep],
        doc=doc,
    )


def lanes(lp: LinearProgram, d: RoutingData, cells: dict, held=None) -> None:  # noqa: ANN001
    r"""Σ_{p on n} Σ_{s ≤ t < s + ⌈τ_p/Δ⌉} batches[p,s] ≤ lanes_n for every node n and grid
    point t (scaled by lanes_n): at most ``concurrency`` batches run at once.

    .. math::

        \sum_{p \text{ on } n}\ \sum_{s \le t < s + \lceil \tau_p/\Delta \rceil}
        \mathit{batches}_{p,s} \le \mathit{lanes}_n \qquad \forall n, t
    """
    _per_node_slot(lp, d, cells, "lanes", np.ones(len(d.p_node)), d.lanes.astype(float),
                   lanes.__doc__ or "", held)  # fmt: skip


def memory_fit(lp: LinearProgram, d: RoutingData, cells: dict, held=None) -> None:  # noqa: ANN001
    r"""Σ_{p on n} Σ_{s ≤ t < s + ⌈τ_p/Δ⌉} m_p · batches[p,s] ≤ M_n for every node n and grid
    point t (scaled by M_n): the batches running at once fit the node's memory (bytes).

    .. math::

        \sum_{p \text{ on } n}\ \sum_{s \le t < s + \lceil \tau_p/\Delta \rceil}
        m_p\,\mathit{batches}_{p,s} \le M_n \qquad \forall n, t
    """
    _per_node_slot(lp, d, cells, "memory_fit", d.p_memory_bytes, d.memory_bytes,
                   memory_fit.__doc__ or "", held)  # fmt: skip


def formulate_data(
    d: RoutingData,
    weights: dict[str, float],
    *,
    name: str = "routing",
    earliest: int = 0,
    until: int | None = None,
    held: tuple[np.ndarray, np.ndarray] | None = None,
    soft: bool = False,
) -> LinearProgram:
    """The MILP of the stream ``d``: batches start from grid point ``earliest`` to ``until``,
    ``held`` = (lanes, memory), each (N, T), is what batches outside the model take per node
    and grid point, and a ``soft`` model may leave requests unserved at a penalty (the
    rolling-horizon and online solves of ``ecoopt.routing.rolling``)."""
    cells = build_cells(d, earliest, until, split=weights.get("latency_max_s", 0.0) > 0)
    lp = LinearProgram(name=name, sense="min")
    lp.meta["cells"] = cells
    _add_variables(lp, d, cells, weights)
    if soft:
        _add_unserved(lp, cells)
    serve_all(lp, cells)
    batch_fill(lp, d, cells)
    serve_in_batch(lp, d, cells)
    lanes(lp, d, cells, None if held is None else held[0])
    memory_fit(lp, d, cells, None if held is None else held[1])
    if weights.get("latency_max_s", 0.0) > 0:
        worst_latency(lp, d, cells, weights["latency_max_s"])
    return lp


def formulate(inst: RoutingInstance, objective: str | None = None) -> LinearProgram:
    """The hindsight MILP of ``inst`` under ``objective`` (default the instance's)."""
    weights = objective_weights(inst, objective or inst.objective)
    return formulate_data(inst.data, weights, name=f"routing:{inst.name or 'instance'}")
