"""Studies across many solves, for every problem family: sweeps over instance fields
(``sweep``, resumable), addressed by paths (``ecoopt.study.paths``)."""

from __future__ import annotations

from .paths import Change, PathError, apply
from .sweep import sweep

__all__ = ["Change", "PathError", "apply", "sweep"]
