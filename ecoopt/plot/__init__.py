"""Figures of ecoopt's outputs, with matplotlib: the gap of each method per instance
(``gaps``), exact Pareto fronts with the heuristics' points (``front``), sweep curves
(``sweep``) and the simulators' timelines (``timeline``, data by ``timeline_data``).

Each takes the tidy DataFrame an ecoopt function returns, or the same read back from the CSV
the CLI writes, and returns the matplotlib Axes it drew on (``timeline``: the Figure). Save
with ``save(fig, "out.png")`` (or ``.svg``), or ``ax.figure.savefig``. matplotlib is imported
only when a function runs, and figures are ``matplotlib.figure.Figure`` objects, never
pyplot's: no backend is chosen and no window opens. ``ecoopt plot KIND INPUT... --out FILE``
is the same from the command line (``inputs.figure_for``).
"""

from __future__ import annotations

from .charts import front, gap_table, gaps, objective_names, sweep, swept_paths
from .style import label, method_styles, save
from .timeline import timeline, timeline_data

KINDS = ("gaps", "front", "sweep", "timeline")

__all__ = [
    "KINDS",
    "front",
    "gap_table",
    "gaps",
    "label",
    "method_styles",
    "objective_names",
    "save",
    "sweep",
    "swept_paths",
    "timeline",
    "timeline_data",
]
