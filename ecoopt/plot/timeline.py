"""A simulator's timeline: one panel per quantity, step lines per series, one time axis.

The data comes from the family's ``ProblemSpec.timeline`` (gpushare: the fluid simulator's
shares, backlogs and carbon per step; routing: requests in service per node, waiting, and
cumulative carbon of one plan), so every family with a simulator plugs in the same way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import pandas as pd

from ..problems import MODULES, get_spec, spec_for
from .style import method_styles

if TYPE_CHECKING:
    from matplotlib.figure import Figure

COLUMNS = ("time_s", "panel", "series", "value")
MAX_LEGEND = 12  # series per panel named in its legend; beyond, the panel says how many


def timeline_data(instance: Any, policy: str | None = None, *, steps: int | None = None) -> Any:
    """The tidy timeline of one ``policy``'s run on ``instance`` (columns ``COLUMNS``), from
    its family's ``ProblemSpec.timeline``; each family documents its default policy. Raises
    ValueError naming the families that have one when this family has none."""
    spec = spec_for(instance)
    if spec.timeline is None:
        have = [n for n in MODULES if get_spec(n).timeline is not None]
        raise ValueError(f"{spec.name} has no simulator to draw a timeline of; "
                         f"{', '.join(have)} have one")  # fmt: skip
    return spec.timeline(instance, policy, steps=steps)


def timeline(df: pd.DataFrame, fig: Figure | None = None, *, width: float = 7.0) -> Figure:
    """One panel per ``panel`` of ``df`` (in order of appearance, its name the y label),
    one step line per ``series`` (the value holds from its ``time_s`` on; the last value is
    drawn on to ``df.attrs["horizon_s"]`` when later), all sharing the time axis (s). A series
    keeps its colour in every panel. Returns the Figure; ``fig.axes`` are the panels."""
    missing = [c for c in COLUMNS if c not in df.columns]
    if missing:
        raise ValueError(f"not a timeline: no column(s) {', '.join(missing)}")
    panels = list(dict.fromkeys(df["panel"]))
    if not panels:
        raise ValueError("an empty timeline: nothing to draw")
    if fig is None:
        from matplotlib.figure import Figure

        fig = Figure(figsize=(width, 1.0 + 1.9 * len(panels)), layout="constrained")
    axs = fig.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    colours = method_styles(df["series"].astype(str))
    horizon = float(df.attrs.get("horizon_s") or 0.0)
    for ax, panel in zip(axs, panels):
        part = df[df["panel"] == panel]
        names = list(dict.fromkeys(part["series"].astype(str)))
        for name in names:
            rows = part[part["series"].astype(str) == name].sort_values("time_s", kind="stable")
            t, v = rows["time_s"].to_numpy(float), rows["value"].to_numpy(float)
            if len(t) and horizon > t[-1]:
                t, v = [*t, horizon], [*v, v[-1]]
            ax.step(t, v, where="post", color=colours[name]["color"], linewidth=1.2, label=name)
        ax.set_ylabel(panel, fontsize=8)
        ax.grid(alpha=0.3)
        if len(names) > 1 and len(names) <= MAX_LEGEND:
            ax.legend(fontsize=7, frameon=False, loc="upper left", bbox_to_anchor=(1.0, 1.0))
        elif len(names) > MAX_LEGEND:
            ax.set_title(f"{len(names)} series", fontsize=7, loc="right")
    axs[-1].set_xlabel("time (s)")
    what = " — ".join(str(df.attrs[k]) for k in ("instance", "policy") if df.attrs.get(k))
    if what:
        fig.suptitle(what, fontsize=9)
    return fig
