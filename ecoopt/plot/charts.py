"""Bars of heuristic gaps, Pareto fronts with the heuristics' points, and sweep curves.

Each function takes the tidy DataFrame an ecoopt function returns (``compare``, ``pareto``,
``sweep``), or the same read back from the CSV the CLI writes, draws on ``ax`` (a new
figure's when None) and returns the Axes. Infeasible plans are always visible: a × with no
bar, a hollow marker, or a × on the x axis where the plan has no value to place.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..results import MILP
from .style import axes, label, method_styles

if TYPE_CHECKING:
    from matplotlib.axes import Axes


def _need(df: pd.DataFrame, columns: tuple[str, ...], what: str) -> None:
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise ValueError(f"not {what}: no column(s) {', '.join(missing)}")


def gap_table(tables: pd.DataFrame | Mapping[str, pd.DataFrame]) -> pd.DataFrame:
    """One frame of ``instance, method, gap_pct, feasible`` from compare tables: a frame with
    an ``instance`` column (``ecoopt compare --csv``'s), one compare table (its
    ``attrs["instance"]`` names it), or a mapping name -> compare table."""
    if isinstance(tables, Mapping):
        frames = [df.assign(instance=str(name)) for name, df in tables.items()]
        if not frames:
            raise ValueError("no compare tables to plot")
        df = pd.concat(frames, ignore_index=True)
    elif "instance" in tables.columns:
        df = tables
    else:
        df = tables.assign(instance=tables.attrs.get("instance") or "instance")
    _need(df, ("method", "gap_pct", "feasible"), "a compare table")
    return df


def gaps(
    tables: pd.DataFrame | Mapping[str, pd.DataFrame],
    ax: Axes | None = None,
    *,
    yscale: str = "linear",
) -> Axes:
    """Grouped bars: each heuristic's ``gap_pct`` (%) to the MILP, one group per instance.

    The MILP rows are the baseline (a black line at 0 %), not bars. A heuristic whose plan is
    infeasible gets no bar but a × at 0 in its colour; a feasible one without a finite gap
    (no MILP reference) a hollow circle at 0. ``ax.containers`` holds one bar container per
    heuristic, in order of first appearance; ``yscale`` is matplotlib's (``"symlog"`` keeps
    0.1 % and 300 % readable on one axis)."""
    df = gap_table(tables)
    df = df[df["method"].astype(str) != MILP]
    ax = axes(ax, (max(4.0, 1.2 + 1.1 * df["instance"].nunique()), 3.6))
    instances = list(dict.fromkeys(df["instance"].astype(str)))
    methods = list(dict.fromkeys(df["method"].astype(str)))
    styles = method_styles(methods)
    width = 0.8 / max(1, len(methods))
    for j, method in enumerate(methods):
        rows = df[df["method"].astype(str) == method]
        pos = np.array([instances.index(str(i)) for i in rows["instance"]], dtype=float)
        pos += (j - (len(methods) - 1) / 2) * width
        gap = pd.to_numeric(rows["gap_pct"], errors="coerce").to_numpy(float)
        feasible = rows["feasible"].map(_true).to_numpy(bool)
        ok = feasible & np.isfinite(gap)
        colour = styles[method]["color"]
        ax.bar(pos[ok], gap[ok], width, color=colour, edgecolor=colour, label=method)
        for mask, style, what in (
            (~feasible, {"marker": "x", "color": colour}, "infeasible"),
            (feasible & ~ok, {"marker": "o", "facecolors": "none", "edgecolors": colour}, "no gap"),
            (ok & (np.abs(np.nan_to_num(gap)) <= 1e-9), {"marker": "o", "color": colour}, "zero"),
        ):
            if mask.any():
                ax.scatter(pos[mask], np.zeros(mask.sum()), s=40, zorder=4, clip_on=False,
                           label=f"_{method}: {what}", gid=what, **style)  # fmt: skip
    ax.axhline(0.0, color="black", linewidth=1.0, zorder=3)
    ax.set_yscale(yscale, **({"linthresh": 1.0} if yscale == "symlog" else {}))
    tilt = {"rotation": 20, "ha": "right", "rotation_mode": "anchor"} if len(instances) > 3 else {}
    ax.set_xticks(range(len(instances)), instances, fontsize=8, **tilt)
    ax.margins(y=0.08)
    ax.set_ylabel(label("gap_pct"))
    ax.grid(axis="y", alpha=0.3)
    ax.legend(handles=_gap_handles(ax, colour_of=styles), fontsize=7, ncols=2 if len(methods) > 5
              else 1, frameon=False)  # fmt: skip
    return ax


def _gap_handles(ax: Axes, colour_of: Mapping[str, Any]) -> list[Any]:
    from matplotlib.lines import Line2D
    from matplotlib.patches import Patch

    handles: list[Any] = [Patch(color=s["color"], label=m) for m, s in colour_of.items()]
    handles.append(Line2D([], [], color="black", linewidth=1.0, label="MILP optimum (0 %)"))
    marks = {c.get_gid() for c in ax.collections}
    if "infeasible" in marks:
        handles.append(Line2D([], [], linestyle="none", marker="x", color="grey",
                              label="× infeasible plan (no bar)"))  # fmt: skip
    if "zero" in marks:
        handles.append(Line2D([], [], linestyle="none", marker="o", color="grey",
                              label="● at 0: the optimum itself"))  # fmt: skip
    if "no gap" in marks:
        handles.append(Line2D([], [], linestyle="none", marker="o", markerfacecolor="none",
                              color="grey", label="no finite gap"))  # fmt: skip
    return handles


def objective_names(df: pd.DataFrame) -> tuple[str, str]:
    """A front's (x, y) objective names: the ``x_objective``/``y_objective`` columns, else
    ``df.attrs["x"]``/``["y"]`` (``ecoopt.pareto`` sets both), else ``("x", "y")``."""
    names = []
    for axis in ("x", "y"):
        col = f"{axis}_objective"
        if col in df.columns and df[col].notna().any():
            names.append(str(df[col].dropna().iloc[0]))
        else:
            names.append(str(df.attrs.get(axis) or axis))
    return names[0], names[1]


def front(df: pd.DataFrame, ax: Axes | None = None) -> Axes:
    """The exact front of an ``ecoopt.pareto`` frame, with every heuristic's point.

    Front points (rows of kind ``front`` with a plan) joined in order of x: filled black when
    proven optimal, hollow when not (time limit, gap). Heuristics in their method's colour,
    circles when no front point dominates them and crosses (X) when one does, hollow when
    their plan is infeasible, each annotated with its name (coincident ones together).
    ``ax.collections``: the optimal front points, the others, then one per heuristic in
    order; ``ax.lines[0]`` the front. Axis labels: the objective names (``objective_names``)."""
    _need(df, ("kind", "method", "x", "y", "feasible", "status"), "a pareto table")
    ax = axes(ax, (6.0, 4.0))
    xname, yname = objective_names(df)
    pts = df[(df["kind"] == "front") & df["feasible"].map(_true).astype(bool)].sort_values("x")
    optimal = (pts["status"].astype(str) == "optimal").to_numpy()
    ax.plot(pts["x"], pts["y"], color="black", linewidth=1.0, zorder=2, label="exact front")
    ax.scatter(pts["x"][optimal], pts["y"][optimal], color="black", s=22, zorder=3,
               label="front point, optimal")  # fmt: skip
    ax.scatter(pts["x"][~optimal], pts["y"][~optimal], facecolors="none", edgecolors="black",
               s=22, zorder=3, label="front point, not proven optimal")  # fmt: skip
    heur = df[df["kind"] == "heuristic"]
    styles = method_styles(heur["method"].astype(str))
    at: dict[tuple[float, float], list[str]] = {}
    for _, r in heur.iterrows():
        x, y = float(r["x"]), float(r["y"])
        if not (math.isfinite(x) and math.isfinite(y)):
            continue
        colour = styles[str(r["method"])]["color"]
        marker = "X" if _true(r.get("dominated")) else "o"
        fill = {"color": colour} if _true(r["feasible"]) else {"facecolors": "none",
                                                              "edgecolors": colour}  # fmt: skip
        ax.scatter([x], [y], marker=marker, s=60, zorder=4, linewidths=1.3,
                   label=str(r["method"]), **fill)  # fmt: skip
        at.setdefault((x, y), []).append(str(r["method"]))
    for (x, y), names in at.items():  # kept out of the layout: a long name must not shrink ax
        text = ", ".join(names) if len(names) <= 2 else ",\n".join(names)
        ax.annotate(text, (x, y), xytext=(5, 4), textcoords="offset points", fontsize=7,
                    va="bottom" if len(names) <= 2 else "top").set_in_layout(False)  # fmt: skip
    ax.set_xlabel(label(xname))
    ax.set_ylabel(label(yname))
    ax.margins(0.12)
    ax.grid(alpha=0.3)
    ax.legend(handles=_front_handles(ax), fontsize=7, frameon=False, loc="upper left",
              bbox_to_anchor=(1.01, 1.0))  # fmt: skip
    return ax


def _true(value: Any) -> bool:
    """A flag read from a frame or a CSV: True, 1 or "True"; NaN and None are False."""
    if isinstance(value, str):
        return value.strip().lower() in ("true", "1", "yes")
    return bool(value) if value is not None and value == value else False


def _front_handles(ax: Axes) -> list[Any]:
    from matplotlib.lines import Line2D

    grey = {"linestyle": "none", "color": "grey", "markersize": 7}
    return [
        *ax.lines[:1],
        *[c for c in ax.collections[:2] if len(c.get_offsets())],
        *[c for c in ax.collections[2:]],
        Line2D([], [], marker="X", label="X: dominated by a front point", **grey),
        Line2D([], [], marker="o", markerfacecolor="none", label="hollow: infeasible", **grey),
    ]


def swept_paths(df: pd.DataFrame) -> list[str]:
    """The swept paths of an ``ecoopt.sweep`` frame: its columns before ``point``."""
    _need(df, ("point", "method", "feasible"), "a sweep table")
    cols = list(df.columns)
    return cols[: cols.index("point")]


def _by(df: pd.DataFrame, x: str, by: str | None) -> str | None:
    """The second swept path to split the lines by: ``by``, or the only other path taking
    more than one value; refused when there are several to choose from."""
    paths = swept_paths(df)
    if x not in paths:
        raise ValueError(f"no swept path {x!r}: the sweep's paths are {', '.join(paths)}")
    if by is not None and by not in paths:
        raise ValueError(f"no swept path {by!r}: the sweep's paths are {', '.join(paths)}")
    others = [p for p in paths if p not in (x, by) and df[p].nunique() > 1]
    if others and (by is not None or len(others) > 1):
        raise ValueError(f"the sweep also varies {', '.join(others)}: give by= one of them "
                         "or filter the rows first")  # fmt: skip
    return by if by is not None else (others[0] if others else None)


LINESTYLES = ("-", "--", ":", "-.")


def _fmt(value: Any) -> str:
    return f"{value:g}" if isinstance(value, int | float | np.number) else str(value)


def sweep(
    df: pd.DataFrame, x: str, y: str = "objective", by: str | None = None, ax: Axes | None = None
) -> Axes:
    """Sweep curves: ``y`` (``objective``, ``gap_pct`` or a metric) against the swept path
    ``x``, one line per method (its colour and marker) through its feasible points.

    With a second swept path ``by`` (default: the only other path that varies), one line
    style per value of it. An infeasible point is a hollow marker at its value, or, without
    one (an infeasible MILP has no objective), a × on the x axis. ``ax.lines``: one per
    (``by`` value, method) in order, each's x data the swept values where it is feasible."""
    by = _by(df, x, by)
    _need(df, (y,), "a sweep table with that column")
    if not pd.api.types.is_numeric_dtype(df[x]):
        raise ValueError(f"swept path {x!r} takes values that are not numbers: plot by it")
    ax = axes(ax, (6.0, 3.8))
    styles = method_styles(df["method"].astype(str))
    groups = [(None, df)] if by is None else list(df.groupby(by, sort=True))
    from matplotlib.transforms import blended_transform_factory

    bottom = blended_transform_factory(ax.transData, ax.transAxes)
    for k, (value, part) in enumerate(groups):
        dash = LINESTYLES[k % len(LINESTYLES)]
        for method, rows in part.groupby(part["method"].astype(str), sort=False):
            rows = rows.sort_values(x)
            xs = rows[x].to_numpy(float)
            ys = pd.to_numeric(rows[y], errors="coerce").to_numpy(float)
            ok = rows["feasible"].map(_true).to_numpy(bool)
            st = styles[method]
            name = method if by is None else f"{method}, {by} = {_fmt(value)}"
            ax.plot(xs[ok], ys[ok], linestyle=dash, marker=st["marker"], color=st["color"],
                    markersize=5, label=name)  # fmt: skip
            hollow, lost = ~ok & np.isfinite(ys), ~ok & ~np.isfinite(ys)
            ax.scatter(xs[hollow], ys[hollow], marker=st["marker"], facecolors="none",
                       edgecolors=st["color"], s=30, zorder=4, gid="infeasible")  # fmt: skip
            ax.scatter(xs[lost], np.zeros(lost.sum()), marker="x", color=st["color"], s=30,
                       transform=bottom, clip_on=False, zorder=4, gid="no value")  # fmt: skip
    ax.set_xlabel(label(x))
    ax.set_ylabel(label(y))
    ax.grid(alpha=0.3)
    ax.legend(handles=_sweep_handles(ax), fontsize=7, frameon=False)
    return ax


def _sweep_handles(ax: Axes) -> list[Any]:
    from matplotlib.lines import Line2D

    grey = {"linestyle": "none", "color": "grey", "markersize": 6}
    return [
        *ax.lines,
        Line2D([], [], marker="o", markerfacecolor="none", label="hollow: infeasible", **grey),
        Line2D([], [], marker="x", label="× on the axis: infeasible, no value", **grey),
    ]
