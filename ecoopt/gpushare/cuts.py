"""gpushare cover cuts (``ecoopt.cuts``): the agents whose models overflow a GPU's memory."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..cuts import cover
from ..lp import LinearProgram
from ..tolerance import fits_memory
from .evaluate import Plan
from .instance import GpuShareInstance


def memory_cuts(
    inst: GpuShareInstance, lp: LinearProgram, plan: Plan
) -> list[tuple[Any, Any, float]]:
    """For every GPU whose models in ``plan`` overflow its memory, exactly in bytes:
    Σ_{i∈S} Σ_k assign[i,g,k] ≤ |S| − 1 on a single GPU, Σ_{i∈S} host[i,g,j] ≤ |S| − 1 on GPU
    j of a pool (S the agents whose models sit there)."""
    slot_of = {s.name: g for g, s in enumerate(inst.slots)}
    if any(nm not in slot_of for nm in plan.slot):
        return []
    where = np.array([slot_of[nm] for nm in plan.slot])
    host = np.zeros(len(where), dtype=np.int64) if plan.host is None else np.asarray(plan.host)
    mem = inst.arrays.memory
    lv, pools = lp.meta["levels"], lp.meta["hosts"]
    out = []
    for g in np.unique(where):
        s = inst.slots[g]
        for j in np.unique(host[where == g]):
            members = np.flatnonzero((where == g) & (host == j) & (mem > 0))
            if fits_memory(mem[members].sum(), s.gpu.memory_bytes):
                continue
            if s.scale == 1:
                pick = np.flatnonzero((lv.slot == g) & np.isin(lv.agent, members))
                cols = lp.vars["assign"].cols[pick]
            elif "host" in lp.vars:
                pick = (pools["slot"] == g) & (pools["gpu"] == j) & np.isin(pools["agent"], members)
                cols = lp.vars["host"].cols[np.flatnonzero(pick)]
            else:
                continue  # a fixed first-fit packing: it fits by construction
            out.append(
                cover(
                    f"{s.name}#{j}:" + ",".join(inst.arrays.names[i] for i in members[:4]),
                    cols,
                    len(members),
                )
            )
    return out
