"""One routing plan over time, as the tidy frame ``ecoopt.plot.timeline`` draws.

Every quantity is a step function of time built from the plan's per-request log
(:func:`ecoopt.routing.simulate.request_log`): a request waits from its arrival until its
batch starts (for ever, when it is never served), is in service from its batch's start to its
finish, and its share of the batch's carbon is emitted at the batch's start.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..results import MILP
from .simulate import request_log

#: the panels of :func:`timeline_frame`, in drawing order (each names its unit)
PANELS = ("in service (requests)", "waiting (requests)", "cumulative carbon (gCO2e)")


def level(up: np.ndarray, down: np.ndarray, start: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """A counter that goes up by one at each time of ``up`` and down at each of ``down`` (s):
    (the times it changes, with ``start`` first, and its value from each time on). Changes at
    one instant are summed, so a finish and a start at the same time do not show a blip."""
    times = np.concatenate([up, down])
    steps = np.concatenate([np.ones(len(up)), -np.ones(len(down))])
    at, inverse = np.unique(times, return_inverse=True)
    change = np.zeros(len(at))
    np.add.at(change, inverse, steps)
    t, v = at, np.cumsum(change)
    if not len(at) or at[0] > start:
        t, v = np.concatenate([[start], t]), np.concatenate([[0.0], v])
    return t, v


def timeline_frame(inst: Any, plan: Any) -> pd.DataFrame:
    """``plan`` over time: per node the requests in service, the requests waiting (arrived,
    not started), and the cumulative gCO2e of the batches started so far. Columns ``time_s,
    panel, series, value`` (module docstring); time from the first arrival (s), since a
    stream need not start at 0."""
    log = request_log(inst, plan)
    served = log["start_s"].notna().to_numpy()
    t0 = float(log["arrival_s"].min()) if len(log) else 0.0
    service, waiting, carbon = PANELS
    parts = []
    for node in inst.data.node_names:
        mine = (log["node"] == node).to_numpy() & served
        t, v = level(log["start_s"].to_numpy()[mine], log["finish_s"].to_numpy()[mine], t0)
        parts.append(pd.DataFrame({"time_s": t, "panel": service, "series": node, "value": v}))
    t, v = level(log["arrival_s"].to_numpy(), log["start_s"].to_numpy()[served], t0)
    parts.append(pd.DataFrame({"time_s": t, "panel": waiting, "series": "waiting", "value": v}))
    by_start = log[served].groupby("start_s")["carbon_g"].sum()
    t = np.concatenate([[t0], by_start.index.to_numpy(float)])
    v = np.concatenate([[0.0], np.cumsum(by_start.to_numpy(float))])
    parts.append(pd.DataFrame({"time_s": t, "panel": carbon, "series": "carbon", "value": v}))
    df = pd.concat(parts, ignore_index=True)
    end = log["finish_s"].max()
    df.attrs.update(policy=plan.method, horizon_s=float(end) if np.isfinite(end) else 0.0)
    return df


def timeline(inst: Any, policy: str | None = None, *, steps: int | None = None) -> pd.DataFrame:
    """The plan of ``policy`` (``milp``, the hindsight optimum, or any routing heuristic;
    default ``carbon_aware``) as :func:`timeline_frame`. ``steps`` must be None: the stream
    sets the length."""
    from ..problems import spec_for
    from ..solve import solve

    if steps is not None:
        raise ValueError("a routing stream sets its own length: steps is for gpushare")
    policy = policy or "carbon_aware"
    heuristics = spec_for(inst).heuristics
    if policy == MILP:
        res = solve(inst)
        if res.plan is None:
            raise ValueError(f"the MILP found no plan ({res.termination})")
        plan = res.plan
    elif policy in heuristics:
        plan = heuristics[policy](inst)
    else:
        raise ValueError(f"unknown policy {policy!r}; choose among {MILP}, {', '.join(heuristics)}")
    df = timeline_frame(inst, plan)
    df.attrs.update(policy=policy, instance=getattr(inst, "name", "") or "")
    return df
