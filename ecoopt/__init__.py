"""ecoopt: exact optimisation models and the heuristics real schedulers use, for carbon-aware
AI inference. ``load`` an instance, ``solve`` it to proven optimality with HiGHS, ``compare``
every heuristic against the optimum."""

from __future__ import annotations

from .compare import compare
from .errors import EcoOptError, InfeasibleError, InstanceError, NotOptimalError
from .export import export_model
from .io import dump, from_dict, load
from .solve import Result, solve
from .study import pareto, sweep

__version__ = "0.1.0"
__all__ = [
    "EcoOptError",
    "InfeasibleError",
    "InstanceError",
    "NotOptimalError",
    "Result",
    "compare",
    "dump",
    "export_model",
    "from_dict",
    "load",
    "pareto",
    "solve",
    "sweep",
    "__version__",
]
