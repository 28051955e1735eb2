"""Pieces of instance schemas shared by every problem: strict models, grid intensity, results."""

from __future__ import annotations

import math
import sys
import types
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Union, get_args, get_origin

import annotated_types as at
import numpy as np
from pydantic import BaseModel, ConfigDict, Field, ValidationInfo, field_validator, model_validator

if TYPE_CHECKING:
    from .rows import Columns


def _wants(annotation: Any) -> set[type]:
    """The plain types a field annotation admits (``float | None`` -> {float, NoneType})."""
    if get_origin(annotation) in (Union, types.UnionType):
        return {t for a in get_args(annotation) for t in _wants(a)}
    return {annotation} if isinstance(annotation, type) else set()


#: unit shown in a range message, by the ending of the field's name (DESIGN §2)
_UNITS = (
    ("flops_per_s", "FLOP/s"),
    ("_bytes_per_s", "B/s"),
    ("_bytes", "B"),
    ("_power_w", "W"),
    ("_j_per_byte", "J/B"),
    ("_g_per_kwh", "gCO2e/kWh"),
    ("_usd_per_h", "USD/h"),
    ("_per_s", "per s"),
    ("_per_g", "per g"),
    ("_rps", "requests/s"),
    ("_kg", "kgCO2e"),
    ("_years", "years"),
    ("_s", "s"),
)


def unit_of(field: str) -> str:
    """The unit a field's name states (``memory_bytes`` -> ``B``), or "" for plain numbers."""
    return next((u for end, u in _UNITS if field.endswith(end)), "")


def _interval(metadata: list[Any]) -> tuple[float, bool, float, bool] | None:
    """(low, low included, high, high included) from a field's ge/gt/le/lt, if it has both."""
    lo = hi = None
    for m in metadata:
        if isinstance(m, at.Ge | at.Gt):
            lo = (float(getattr(m, "ge", getattr(m, "gt", 0))), isinstance(m, at.Ge))
        if isinstance(m, at.Le | at.Lt):
            hi = (float(getattr(m, "le", getattr(m, "lt", 0))), isinstance(m, at.Le))
    return None if lo is None or hi is None else (*lo, *hi)


def range_text(lo: float, lo_in: bool, hi: float, hi_in: bool, unit: str) -> str:
    """``[1, 1e+15] B``: the interval as a message shows it."""
    text = f"{'[' if lo_in else '('}{lo:g}, {hi:g}{']' if hi_in else ')'}"
    return f"{text} {unit}".rstrip()


def _inside(value: float, lo: float, lo_in: bool, hi: float, hi_in: bool) -> bool:
    return (value >= lo if lo_in else value > lo) and (value <= hi if hi_in else value < hi)


class FieldProblem(ValueError):
    """A model-level check's finding about one field below it: the loader reports it at
    ``<model's path>.<field>`` with its own fix, instead of at the model."""

    def __init__(self, field: str, message: str, fix: str = ""):
        self.field, self.message, self.fix = field, message, fix
        super().__init__(f"{field}: {message}" + (f" ({fix})" if fix else ""))


def check_range(
    value: float,
    lo: float,
    hi: float,
    unit: str = "",
    *,
    lo_in: bool = True,
    hi_in: bool = True,
    field: str | None = None,
) -> None:
    """Raise the stated-range message when ``value`` lies outside the interval (a
    :class:`FieldProblem` when ``field`` is named, else a ValueError)."""
    if _inside(value, lo, lo_in, hi, hi_in):
        return
    message = f"{value:g} is outside the stated range {range_text(lo, lo_in, hi, hi_in, unit)}"
    if field is not None:
        raise FieldProblem(field, message, "use a value within it")
    raise ValueError(f"{message} (use a value within it)")


class Strict(BaseModel):
    """Frozen, unknown keys rejected, no NaN or infinity, no silent coercion: a number field
    refuses ``true`` and ``"2"``, a boolean field refuses ``"yes"`` and ``1``. A number field
    with both a lower and an upper bound states a plausible range, and a value outside it is
    refused with the range in the message."""

    model_config = ConfigDict(extra="forbid", frozen=True, allow_inf_nan=False)

    #: the model validators that :meth:`rows_breaking_rules` checks over a whole column
    #: table (``ecoopt.rows``); a model with any other model validator is validated row by row
    row_rules_cover: ClassVar[tuple[str, ...]] = ()

    @classmethod
    def rows_breaking_rules(cls, cols: Columns) -> np.ndarray:
        """Which rows of a table whose fields are each valid break a cross-field rule of the
        model validators in ``row_rules_cover`` (a boolean per row): their vectorised form,
        used only to decide; the validators themselves word the messages."""
        return np.zeros(cols.n, dtype=bool)

    @field_validator("*", mode="before")
    @classmethod
    def _no_coercion(cls, value: Any, info: ValidationInfo) -> Any:
        number, boolean, bounds, numbers = _rule(cls, info.field_name)
        if number:
            _check_number(value, bounds, info.field_name)
        elif numbers and isinstance(value, list | tuple):
            for i, item in enumerate(value):  # a list of numbers: each one a number
                if isinstance(item, bool | str) or _beyond_floats(item):
                    raise FieldProblem(f"[{i}]", _not_a_number(item))
        elif boolean and not isinstance(value, bool) and value is not None:
            raise ValueError(f"write true or false, not {value!r}")
        return value


def _beyond_floats(value: Any) -> bool:
    """An integer too large for a float (JSON and YAML read 400 digits as an int)."""
    return (
        isinstance(value, int) and not isinstance(value, bool) and abs(value) > sys.float_info.max
    )


def _digits(value: int) -> int:
    """Decimal digits of a large integer, about (``str`` refuses more than 4,300)."""
    return int(value.bit_length() * math.log10(2)) + 1


def _not_a_number(value: Any) -> str:
    if _beyond_floats(value):
        return f"an integer of about {_digits(value):,} digits is larger than any number (1.8e+308)"
    return f"write a number, not {value!r}"


def _check_number(value: Any, bounds: tuple[float, bool, float, bool] | None, field: str) -> None:
    """A number field's value: not a bool or a string, not an integer beyond any float,
    within the stated range (the field's unit is worked out only for a message)."""
    if isinstance(value, bool | str) or (_beyond_floats(value) and not bounds):
        raise ValueError(_not_a_number(value))
    if bounds and _beyond_floats(value):
        raise ValueError(
            f"an integer of about {_digits(value):,} digits is outside the stated range "
            f"{range_text(*bounds, unit_of(field))} (use a value within it)"
        )
    if bounds and isinstance(value, int | float) and math.isfinite(value):
        lo, lo_in, hi, hi_in = bounds
        if not _inside(value, lo, lo_in, hi, hi_in):
            check_range(value, lo, hi, unit_of(field), lo_in=lo_in, hi_in=hi_in)


_Rule = tuple[bool, bool, tuple[float, bool, float, bool] | None, bool]
_RULES: dict[tuple[type, str], _Rule] = {}


def _rule(cls: type[BaseModel], name: str) -> _Rule:
    """(is a number field, is a boolean field, stated range, is a list of numbers) of one
    field, worked out once."""
    key = (cls, name)
    if key not in _RULES:
        field = cls.model_fields[name]
        wants = _wants(field.annotation)
        number = bool(wants & {int, float}) and not wants & {str, bool}
        bounds = _interval(field.metadata) if number else None
        _RULES[key] = (number, bool in wants, bounds, _numbers_list(field.annotation))
    return _RULES[key]


def _numbers_list(annotation: Any) -> bool:
    """``tuple[float, ...]`` (or ``| None``): a list each of whose items must be a number."""
    args = get_args(annotation)
    if get_origin(annotation) in (Union, types.UnionType):
        return any(_numbers_list(a) for a in args)
    return get_origin(annotation) is tuple and bool(args) and args[0] in (int, float)


def stated_ranges(cls: type[BaseModel], prefix: str = "") -> list[tuple[str, str]]:
    """(field path, stated range) for every bounded number under ``cls``, in field order:
    ``("gpus[*].memory_bytes", "[1, 1e+15] B")``. The range table of docs/guides/cli.md is this
    list."""
    out: list[tuple[str, str]] = []
    for name, field in cls.model_fields.items():
        path = f"{prefix}{name}"
        bounds = _interval(field.metadata)
        if bounds and _wants(field.annotation) & {int, float}:
            out.append((path, range_text(*bounds, unit_of(name))))
        for sub in _models_in(field.annotation):
            many = get_origin(field.annotation) is tuple or any(
                get_origin(a) is tuple for a in get_args(field.annotation)
            )
            out += stated_ranges(sub, f"{path}[*]." if many else f"{path}.")
    return out


def _models_in(annotation: Any) -> list[type[BaseModel]]:
    args = get_args(annotation) or (annotation,)
    found = []
    for a in args:
        if isinstance(a, type) and issubclass(a, BaseModel):
            found.append(a)
        elif get_args(a):
            found += _models_in(a)
    return found


#: the stated ranges shared by every family (gCO2e/kWh: the dirtiest grids are ~1,100)
MAX_INTENSITY = 3000.0


def require_unique(what: str, names: list[str]) -> None:
    """Raise a ValueError naming the repeated entries of ``names`` (linear time)."""
    if len(set(names)) == len(names):
        return  # the usual case, settled by a set (a Counter of 10⁶ names costs twice as much)
    dup = sorted(n for n, k in Counter(names).items() if k > 1)
    if dup:
        raise ValueError(f"{what} names must be unique; repeated: {', '.join(dup)}")


def one_intensity(model: BaseModel, listed: str) -> None:
    """Exactly one of ``intensity_g_per_kwh``, ``intensity_trace`` and the list field
    ``listed`` (a value per slot or hour) is given, and every listed value is within
    [0, MAX_INTENSITY] gCO2e/kWh (a FieldProblem naming the entry)."""
    values = getattr(model, listed)
    given = [model.intensity_g_per_kwh, model.intensity_trace, values]  # type: ignore[attr-defined]
    if sum(v is not None for v in given) != 1:
        raise ValueError(f"give exactly one of intensity_g_per_kwh, intensity_trace or {listed}")
    for k, v in enumerate(values or ()):
        if not 0 <= v <= MAX_INTENSITY:
            raise FieldProblem(
                f"{listed}[{k}]",
                f"{v:g} is outside [0, {MAX_INTENSITY:g}] gCO2e/kWh",
                "use a value within it",
            )


class TraceRef(Strict):
    """An hourly carbon-intensity trace bundled with ecoopt, read from ``start`` (UTC)."""

    name: str = Field(description="e.g. EIA930-CISO-2022 (ecoopt.carbon.available_traces())")
    start: str = Field(description="ISO timestamp, e.g. 2022-06-01T12:00Z")

    @model_validator(mode="after")
    def _exists(self) -> TraceRef:
        """Unknown names, unreadable starts and starts outside the trace are load-time errors."""
        import pandas as pd

        from .carbon import available_traces, load_trace

        known = available_traces()
        if self.name not in known:
            raise FieldProblem(
                "name", f"unknown trace {self.name!r}", f"use one of {', '.join(known)}"
            )
        try:
            t0 = pd.Timestamp(self.start)
            t0 = t0.tz_localize("UTC") if t0.tz is None else t0.tz_convert("UTC")
        except (ValueError, TypeError, OverflowError):
            raise FieldProblem(
                "start",
                f"{self.start[:40]!r} is not a timestamp",
                "write an ISO 8601 time such as 2022-06-01T12:00Z",
            ) from None
        index = load_trace(self.name).index
        end = index[-1] + (index[-1] - index[-2])  # the last value holds one step
        if not index[0] <= t0 < end:
            raise FieldProblem(
                "start",
                f"{t0:%Y-%m-%dT%H:%MZ} is outside trace {self.name!r}",
                f"choose a start from {index[0]:%Y-%m-%dT%H:%MZ} up to {end:%Y-%m-%dT%H:%MZ}",
            )
        return self


class GridPowered(Strict):
    """Something drawing power from a grid: a static intensity or a bundled trace, and a PUE."""

    intensity_g_per_kwh: float | None = Field(None, ge=0, le=MAX_INTENSITY)
    intensity_trace: TraceRef | None = None
    pue: float = Field(1.0, ge=1.0, le=5.0)

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
