"""Routing plans to and from the MILP's columns, and as named data for files."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..lp import LinearProgram
from ..plans import PlanError
from ..results import MILP
from .arrays import RoutingData
from .evaluate import Plan, profile_rows
from .instance import RoutingInstance
from .model import cell_latency


def plan_from_x(inst: RoutingInstance, lp: LinearProgram, x: np.ndarray) -> Plan:
    """The plan a MILP solution encodes: each batch column's whole batches, filled with the
    requests its cells serve (each group's requests in arrival order)."""
    return plan_from_data(inst.data, lp, x)


def plan_from_data(d: RoutingData, lp: LinearProgram, x: np.ndarray, method: str = MILP) -> Plan:
    """:func:`plan_from_x` for the stream ``d`` the model was built on (requests of a soft
    model's ``unserved`` stay -1)."""
    cells = lp.meta["cells"]
    count = np.round(lp.values(x, "batches")).astype(np.int64)
    serve = np.round(lp.values(x, "serve")).astype(np.int64)
    order = np.argsort(d.arrival_s, kind="stable")
    by_group = np.split(order[np.argsort(cells["group_of"][order], kind="stable")],
                        np.cumsum(cells["g_count"])[:-1])  # fmt: skip
    taken = np.zeros(len(cells["g_count"]), dtype=np.int64)
    members: list[list[np.ndarray]] = [[] for _ in count]
    for c in np.flatnonzero(serve > 0):
        g = cells["cg"][c]
        members[cells["cb"][c]].append(by_group[g][taken[g] : taken[g] + serve[c]])
        taken[g] += serve[c]
    batch_of = -np.ones(d.R, dtype=np.int64)
    node, size, start = [], [], []
    for b in np.flatnonzero(count > 0):
        reqs = np.concatenate(members[b]) if members[b] else np.zeros(0, dtype=np.int64)
        p = cells["bp"][b]
        for chunk in np.array_split(reqs, count[b]):
            if len(chunk):
                batch_of[chunk] = len(node)
                node.append(d.p_node[p])
                size.append(d.p_batch[p])
                start.append(cells["bs"][b] * d.slot_s)
    return Plan(method, batch_of, np.array(node, dtype=np.int64),
                np.array(size, dtype=np.int64), np.array(start, dtype=float))  # fmt: skip


def _positions(keys: np.ndarray, want: np.ndarray) -> np.ndarray | None:
    """Index in ``keys`` of each of ``want`` (None if any is missing)."""
    order = np.argsort(keys, kind="stable")
    at = np.minimum(np.searchsorted(keys[order], want), max(len(keys) - 1, 0))
    if len(keys) == 0 or (keys[order][at] != want).any():
        return None
    return order[at]


def plan_to_x(inst: RoutingInstance, lp: LinearProgram, plan: Plan) -> np.ndarray | None:
    """A MILP start for ``plan`` (None when it leaves a request unserved, starts a batch off
    the grid or uses a batch column or cell the model does not have)."""
    d, cells = inst.data, lp.meta["cells"]
    if not (plan.batch_of >= 0).all():
        return None
    grid = np.round(plan.batch_start_s / d.slot_s).astype(np.int64)
    if np.abs(plan.batch_start_s / d.slot_s - grid).max(initial=0.0) > 1e-6:
        return None
    btype = np.zeros(len(plan.batch_node), dtype=np.int64)
    btype[plan.batch_of] = d.rtype
    row = profile_rows(d, plan.batch_node, btype, plan.batch_size)
    if (row < 0).any():
        return None
    span = int(max(grid.max(initial=0), cells["bs"].max(initial=0))) + 1
    col = _positions(cells["bp"] * span + cells["bs"], row * span + grid)
    P = len(d.p_node) + 1
    cell_key = (cells["cg"] * P + cells["cp"]) * span + cells["cs"]
    mine = plan.batch_of
    cell = _positions(cell_key, (cells["group_of"] * P + row[mine]) * span + grid[mine])
    if col is None or cell is None:
        return None
    batches = np.bincount(col, minlength=len(cells["bp"])).astype(float)
    serve = np.bincount(cell, minlength=len(cell_key)).astype(float)
    parts = [batches, serve]
    if "used" in lp.vars:  # the tail objective's columns (model.worst_latency)
        used = serve > 0
        worst = float(cell_latency(d, cells)[used].max(initial=0.0))
        parts += [used.astype(float), np.array([worst])]
    return np.concatenate(parts)


def plan_to_named(inst: RoutingInstance, plan: Plan) -> dict[str, Any]:
    """``{"problem", "method", "batches": [{node, type, batch, start_s, requests}],
    "unserved": [request indices]}``: batches keyed by node name."""
    d = inst.data
    batches = []
    for j in range(len(plan.batch_node)):
        reqs = np.flatnonzero(plan.batch_of == j)
        batches.append({
            "node": d.node_names[plan.batch_node[j]],
            "type": d.type_names[d.rtype[reqs[0]]] if len(reqs) else None,
            "batch": int(plan.batch_size[j]),
            "start_s": float(plan.batch_start_s[j]),
            "requests": reqs.tolist(),
        })  # fmt: skip
    return {
        "problem": "routing",
        "method": plan.method,
        "batches": batches,
        "unserved": np.flatnonzero(plan.batch_of < 0).tolist(),
    }


def plan_from_named(inst: RoutingInstance, data: dict[str, Any]) -> Plan:
    """The plan of ``plan_to_named`` (a PlanError names what does not fit the instance)."""
    d = inst.data
    nodes = {n: i for i, n in enumerate(d.node_names)}
    batch_of = -np.ones(d.R, dtype=np.int64)
    node, size, start = [], [], []
    for j, b in enumerate(data.get("batches", [])):
        if b.get("node") not in nodes:
            raise PlanError(f"batches[{j}].node: unknown node {b.get('node')!r}")
        reqs = np.asarray(b.get("requests", []), dtype=np.int64)
        if len(reqs) and (reqs.min() < 0 or reqs.max() >= d.R):
            raise PlanError(f"batches[{j}].requests: an index outside 0..{d.R - 1}")
        batch_of[reqs] = j
        node.append(nodes[b["node"]])
        size.append(int(b.get("batch", len(reqs))))
        start.append(float(b.get("start_s", 0.0)))
    method = str(data.get("method", "file"))
    return Plan(method, batch_of, np.array(node, dtype=np.int64), np.array(size, dtype=np.int64),
                np.array(start, dtype=float))  # fmt: skip
