"""Registry of problem families: what ``solve``, ``compare``, ``load`` and the CLI dispatch on.

Each subpackage (``ecoopt.gpushare`` ...) registers one :class:`ProblemSpec` bundling its five
parts: instance class, formulation, heuristics, plan conversion and the independent evaluator.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

#: problem name -> module that registers it on import
MODULES = {
    "gpushare": "ecoopt.gpushare",
    "partition": "ecoopt.partition",
    "provisioning": "ecoopt.provisioning",
    "routing": "ecoopt.routing",
}


@dataclass(frozen=True)
class ProblemSpec:
    name: str
    instance_cls: type
    objectives: dict[str, str]  # objective -> "min" | "max"
    formulate: Callable[..., Any]  # (instance, objective, **model_options) -> LinearProgram
    plan_from_x: Callable[..., Any]  # (instance, lp, x) -> Plan
    plan_to_x: Callable[..., Any]  # (instance, lp, plan) -> x (warm start)
    evaluate: Callable[..., Any]  # (instance, plan, objective) -> Evaluation
    heuristics: dict[str, Callable[..., Any]]  # name -> (instance, objective=) -> Plan
    precheck: Callable[..., list[str]]  # (instance) -> plain-words conflicts, [] if none seen
    explain: Callable[..., str]  # (instance, ElasticReport | None) -> plain words
    #: heuristics whose best feasible plan (by the evaluator; ties to the earlier name) is the
    #: reference of every solve: it sets the objective scale and starts the MILP
    default_heuristics: tuple[str, ...]
    plan_to_dict: Callable[..., dict[str, Any]]  # (instance, plan) -> named schema (ecoopt.plans)
    plan_from_dict: Callable[..., Any]  # (instance, named dict) -> Plan
    #: every method for one instance (default: ``heuristics``); lets a problem add per-instance
    #: rows such as monolithic on each device
    methods: Callable[[Any], dict[str, Callable[..., Any]]] | None = None
    #: (instance, lp, plan) -> [(label, columns, rhs)]: integer cover cuts Σ_cols x ≤ rhs that
    #: every feasible plan satisfies and ``plan`` breaks (e.g. the layers it puts on a device
    #: whose memory they overflow by one byte). Exact where HiGHS's tolerances are too coarse;
    #: see ``ecoopt.cuts``.
    cuts: Callable[..., list[tuple[Any, Any, float]]] | None = None
    #: constraint family or variable block -> the instance fields that set its numbers, named
    #: by ``ecoopt.conditioning`` when a model is too ill-conditioned to hand to HiGHS
    coefficient_fields: dict[str, str] = field(default_factory=dict)
    #: (instance, plan) -> the plan for people, as ``ecoopt solve`` prints it (default: the
    #: named schema of ``plan_to_dict`` as JSON)
    plan_text: Callable[[Any, Any], str] | None = None
    #: ``(instance, policies | None, *, steps, progress) -> DataFrame``, one row per policy, as
    #: ``ecoopt simulate`` prints it (None: the family has no simulator); a family whose
    #: simulator keeps a per-request log also takes ``requests=True`` and then returns
    #: (that DataFrame, one row per request and policy), from the same runs
    simulate: Callable[..., Any] | None = None
    #: whether ``simulate`` takes ``requests=True`` (``ecoopt simulate --requests-csv``)
    simulate_requests: bool = False
    #: the module whose ``reproduce(instances folder) -> ecoopt.reproduce.Section`` puts the
    #: family's seed paper's claims beside our figures (imported on use: it runs ``compare``;
    #: None: no paper to reproduce)
    reproduce: str | None = None
    #: ``(instance, policy | None, *, steps) -> DataFrame``: one policy's run over time,
    #: columns ``time_s, panel, series, value`` (``panel``: what is plotted, with its unit;
    #: each series a step function holding ``value`` from ``time_s`` on), as ``ecoopt.plot.
    #: timeline`` draws it (None: the family has no simulator to draw)
    timeline: Callable[..., Any] | None = None

    def methods_for(self, instance: Any) -> dict[str, Callable[..., Any]]:
        return self.methods(instance) if self.methods else dict(self.heuristics)

    def sense(self, objective: str) -> str:
        return self.objectives[objective]

    def check_objective(self, objective: str) -> None:
        if objective not in self.objectives:
            raise ValueError(
                f"unknown objective {objective!r} for {self.name}; "
                f"choose one of {', '.join(self.objectives)}"
            )


_REGISTRY: dict[str, ProblemSpec] = {}


def register(spec: ProblemSpec) -> ProblemSpec:
    _REGISTRY[spec.name] = spec
    return spec


def get_spec(name: str) -> ProblemSpec:
    if name not in _REGISTRY:
        if name not in MODULES:
            raise KeyError(name)
        importlib.import_module(MODULES[name])
    return _REGISTRY[name]


def spec_for(instance: Any) -> ProblemSpec:
    name = getattr(instance, "problem", None)
    if name is None:
        raise TypeError(f"not an ecoopt instance: {type(instance).__name__}")
    return get_spec(name)
