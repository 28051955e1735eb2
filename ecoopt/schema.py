"""Pieces of instance schemas shared by every problem: strict models, grid intensity, results."""

from __future__ import annotations

import types
from collections import Counter
from dataclasses import dataclass
from typing import Any, Union, get_args, get_origin

from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator


def _wants(annotation: Any) -> set[type]:
    """The plain types a field annotation admits (``float | None`` -> {float, NoneType})."""
    if get_origin(annotation) in (Union, types.UnionType):
        return {t for a in get_args(annotation) for t in _wants(a)}
    return {annotation} if isinstance(annotation, type) else set()


class Strict(BaseModel):
    """Frozen, unknown keys rejected, no NaN or infinity, no silent coercion: a number field
    refuses ``true`` and ``"2"``, a boolean field refuses ``"yes"`` and ``1``."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    @field_validator("*", mode="before")
    @classmethod
    def _no_coercion(cls, value: Any, info: ValidationInfo) -> Any:
        wants = _wants(cls.model_fields[info.field_name].annotation)
        if wants & {int, float} and not wants & {str, bool}:
            if isinstance(value, bool | str):
                raise ValueError(f"write a number, not {value!r}")
        if bool in wants and not isinstance(value, bool) and value is not None:
            raise ValueError(f"write true or false, not {value!r}")
        return value


def require_unique(what: str, names: list[str]) -> None:
    """Raise a ValueError naming the repeated entries of ``names`` (linear time)."""
    dup = sorted(n for n, k in Counter(names).items() if k > 1)
    if dup:
        raise ValueError(f"{what} names must be unique; repeated: {', '.join(dup)}")


class TraceRef(Strict):
    """An hourly carbon-intensity trace bundled with ecoopt, read from ``start`` (UTC)."""

    name: str = Field(description="e.g. EIA930-CISO-2022 (ecoopt.carbon.available_traces())")
    start: str = Field(description="ISO timestamp, e.g. 2022-06-01T12:00Z")

    @model_validator(mode="after")
    def _exists(self) -> TraceRef:
        from .carbon import trace_slots

        try:  # unknown names and starts outside the trace's span are caught at load time
            trace_slots(self.name, self.start, 1, 1.0)
        except (ValueError, TypeError) as exc:
            raise ValueError(str(exc)) from None
        return self


class GridPowered(Strict):
    """Something drawing power from a grid: a static intensity or a bundled trace, and a PUE."""

    intensity_g_per_kwh: float | None = Field(None, ge=0)
    intensity_trace: TraceRef | None = None
    pue: float = Field(1.0, ge=1.0)

    @model_validator(mode="after")
    def _one_intensity(self) -> GridPowered:
        if (self.intensity_g_per_kwh is None) == (self.intensity_trace is None):
            raise ValueError("give exactly one of intensity_g_per_kwh or intensity_trace")
        return self

    @property
    def static_intensity(self) -> float:
        """gCO2e/kWh: the fixed value, or the trace's value in force at its start."""
        if self.intensity_g_per_kwh is not None:
            return self.intensity_g_per_kwh
        from .carbon import trace_slots

        tr = self.intensity_trace
        assert tr is not None  # guaranteed by _one_intensity
        return float(trace_slots(tr.name, tr.start, 1, 1.0)[0])


@dataclass
class Evaluation:
    """What an independent evaluator says of one plan."""

    objective: float
    feasible: bool
    violations: list[str]
    metrics: dict[str, Any]

    def as_dict(self) -> dict[str, Any]:
        return {
            "objective": self.objective,
            "feasible": self.feasible,
            "violations": list(self.violations),
            **self.metrics,
        }
