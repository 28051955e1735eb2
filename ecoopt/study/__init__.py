"""Studies across many solves, for every problem family: sweeps over instance fields
(``sweep``, resumable), addressed by paths (``ecoopt.study.paths``), and exact Pareto fronts
by the ε-constraint method (``pareto``)."""

from __future__ import annotations

from .pareto import pareto
from .paths import Change, PathError, apply
from .sweep import sweep

__all__ = ["Change", "PathError", "apply", "pareto", "sweep"]
