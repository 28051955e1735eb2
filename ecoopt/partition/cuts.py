"""partition cover cuts (``ecoopt.cuts``): the layers whose weights overflow a device."""

from __future__ import annotations

from typing import Any

import numpy as np

from ..cuts import cover
from ..lp import LinearProgram
from ..tolerance import fits_memory
from .evaluate import Plan
from .instance import PartitionInstance


def memory_cuts(
    inst: PartitionInstance, lp: LinearProgram, plan: Plan
) -> list[tuple[Any, Any, float]]:
    """For every device whose layers in ``plan`` overflow its memory, exactly in bytes:
    Σ_{l∈S} place[l,d] ≤ |S| − 1 (S the layers placed there)."""
    data = inst.data
    index = {n: j for j, n in enumerate(data.devices)}
    if any(d not in index for d in plan.device):
        return []
    dev = np.array([index[d] for d in plan.device])
    pl, pd = lp.meta["index"][:2]
    out = []
    for d in np.unique(dev):
        members = np.flatnonzero(dev == d)
        if fits_memory(data.param_bytes[members].sum(), data.memory_bytes[d]):
            continue
        pick = np.flatnonzero((pd == d) & np.isin(pl, members))
        out.append(cover(f"{data.devices[d]}", lp.vars["place"].cols[pick], len(members)))
    return out
