"""Figures of a routing ``compare`` table: carbon per request against p95 latency.

matplotlib is imported inside the functions, and figures are built with
``matplotlib.figure.Figure`` rather than pyplot, so nothing here selects a backend, opens a
window or keeps a figure alive after its last reference: it works under Agg, in a notebook
and in tests alike. Save or display the returned figure yourself (``fig.savefig(...)``).

The first row of a ``compare`` table is the hindsight MILP (the reference of ``gap_pct``); it
is drawn as a black star. Every other row is an online policy, drawn as a filled marker, or a
hollow one when its plan is infeasible (it misses an SLO, a maximum wait, a lane or memory).
Methods are numbered in the order of the table, and every point is annotated with its
number, so that policies whose points coincide (the same plan) stay readable: the annotation
then lists every number at that point.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import pandas as pd

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

X = "latency_p95_s"
Y = "carbon_g_per_request"
MARKERS = "osD^vP<>Xph*"
MILP_STYLE = {"marker": "*", "color": "black", "s": 160, "zorder": 4}


def method_numbers(tables: Sequence[pd.DataFrame]) -> dict[str, int]:
    """Each method's number (1, 2, ...) in order of first appearance across ``tables``."""
    numbers: dict[str, int] = {}
    for df in tables:
        for method in df["method"]:
            numbers.setdefault(str(method), len(numbers) + 1)
    return numbers


def _style(number: int) -> dict[str, Any]:
    from matplotlib import colormaps

    colours = colormaps["tab10"].colors if number <= 10 else colormaps["tab20"].colors
    return {
        "marker": MARKERS[(number - 1) % len(MARKERS)],
        "color": colours[(number - 1) % len(colours)],
        "s": 46,
        "zorder": 3,
    }


def carbon_vs_p95(
    df: pd.DataFrame,
    ax: Axes | None = None,
    *,
    numbers: Mapping[str, int] | None = None,
    title: str | None = None,
) -> Axes:
    """Carbon per request (g) against p95 latency (s), one point per row of ``df``.

    ``df`` is an ``ecoopt.compare`` table of a routing instance (MILP first). ``numbers``
    maps each method to the number it is annotated with (default: its position in ``df``,
    from 1); pass the same mapping to every panel of a figure. Each point is one scatter
    collection labelled with its method, so ``ax.collections`` holds one per row, in order.
    Returns the Axes (a new figure's when ``ax`` is None).
    """
    if ax is None:
        from matplotlib.figure import Figure

        ax = Figure(figsize=(4.0, 3.2)).add_subplot()
    missing = [c for c in ("method", "feasible", X, Y) if c not in df.columns]
    if missing:
        raise ValueError(f"not a routing compare table: no column(s) {missing}")
    numbers = dict(numbers) if numbers is not None else method_numbers([df])
    at: dict[tuple[float, float], list[int]] = {}
    for row, (_, r) in enumerate(df.iterrows()):
        method = str(r["method"])
        x, y = float(r[X]), float(r[Y])
        if row == 0:
            style = dict(MILP_STYLE)
        else:
            style = _style(numbers[method])
        if not bool(r["feasible"]):
            style["facecolors"] = "none"
            style["edgecolors"] = style.pop("color")
            style["linewidths"] = 1.3
        ax.scatter([x], [y], label=method, **style)
        at.setdefault((x, y), []).append(numbers[method])
    for (x, y), nums in at.items():
        ax.annotate(
            ",".join(map(str, nums)),
            (x, y),
            xytext=(4, 3),
            textcoords="offset points",
            fontsize=7,
        )
    ax.set_xlabel("p95 latency (s)")
    ax.set_ylabel("carbon (g per request)")
    ax.margins(0.15)
    ax.grid(alpha=0.3)
    if title is not None:
        ax.set_title(title, fontsize=9)
    return ax


def carbon_vs_p95_panels(
    tables: Mapping[str, pd.DataFrame],
    *,
    ncols: int = 3,
    panel_size: tuple[float, float] = (3.6, 3.0),
    dpi: float = 80,
) -> Figure:
    """One ``carbon_vs_p95`` panel per instance (``tables``: name -> compare table), with
    one legend of every method's number, marker and colour, and of the hollow marker.

    The legend fills the first spare panel of the grid, or gets a row of its own when the
    grid has none. The instance panels are ``fig.axes[:len(tables)]``, in order.
    """
    from matplotlib.figure import Figure

    if not tables:
        raise ValueError("no tables to plot")
    names = list(tables)
    numbers = method_numbers(list(tables.values()))
    ncols = max(1, min(ncols, len(names)))
    nrows = math.ceil(len(names) / ncols)
    spare = nrows * ncols > len(names)
    rows = nrows if spare else nrows + 1
    fig = Figure(figsize=(panel_size[0] * ncols, panel_size[1] * rows), dpi=dpi)
    grid = fig.add_gridspec(rows, ncols)
    for k, name in enumerate(names):
        ax = fig.add_subplot(grid[k // ncols, k % ncols])
        carbon_vs_p95(tables[name], ax, numbers=numbers, title=name)

    handles = _legend_handles(numbers, {str(df["method"].iloc[0]) for df in tables.values()})
    if spare:
        legend_ax = fig.add_subplot(grid[nrows - 1, len(names) % ncols :])
    else:
        legend_ax = fig.add_subplot(grid[rows - 1, :])
    legend_ax.axis("off")
    legend_ax.legend(
        handles=handles,
        loc="center",
        fontsize=8,
        frameon=False,
        ncols=(1 if len(handles) <= 12 else 2) if spare else min(4, len(handles)),
    )
    fig.tight_layout()
    return fig


def _legend_handles(numbers: Mapping[str, int], milp: set[str]) -> list[Any]:
    """One legend entry per method (its number, marker and colour), and one for hollow."""
    from matplotlib.lines import Line2D

    handles = []
    for method, n in numbers.items():
        style = dict(MILP_STYLE) if method in milp else _style(n)
        handles.append(
            Line2D(
                [],
                [],
                linestyle="none",
                marker=style["marker"],
                color=style["color"],
                markersize=9 if method in milp else 6,
                label=f"{n} {method}" + (" (hindsight optimum)" if method in milp else ""),
            )
        )
    handles.append(
        Line2D(
            [],
            [],
            linestyle="none",
            marker="o",
            markerfacecolor="none",
            markeredgecolor="grey",
            color="grey",
            markersize=6,
            label="hollow: infeasible plan",
        )
    )
    return handles
