"""The validated routing input: edge nodes, request types with their SLOs, a profile per (node,
request type, batch size), and the stream of requests: listed (``requests``) or generated
(``stream``: a seeded generator or the bundled Azure LLM traces, of ``ecoopt.routing.streams``).

Time runs on a grid of ``slot_s`` seconds: requests arrive at any time, and a batch starts at a
grid point (the simulator dispatches at grid points; the hindsight MILP is exact over plans whose
batches start there). A node runs up to ``concurrency`` batches at once, each holding the memory
its profile states. A profile's ``energy_j`` is the energy of the whole batch above the node's
idle power; idle power is drawn all the time (a constant, reported as ``idle_carbon_g`` and kept
out of the objectives, which then differ only by the routing). Units are in the field names
(DESIGN §2).
"""

from __future__ import annotations

from functools import cached_property
from typing import Annotated, Any, Literal

from pydantic import (
    Discriminator,
    Field,
    StrictFloat,
    Tag,
    ValidationError,
    ValidationInfo,
    WrapValidator,
    field_validator,
    model_serializer,
    model_validator,
)

from ..rows import by_columns
from ..schema import MAX_INTENSITY, FieldProblem, Strict, TraceRef, one_intensity, require_unique
from . import streams

OBJECTIVES = {
    "carbon": "min",
    "energy": "min",
    "latency": "min",
    "latency_max": "min",
    "weighted": "min",
}

MAX_NODES = 1_000
MAX_TYPES = 200
MAX_BATCH = 4_096
MAX_REQUESTS = 2_000_000
MAX_HORIZON_S = 1e7
MAX_SLOTS = 10_000_000  # grid points over the horizon


class Node(Strict):
    """An edge device: memory, parallel batches, power, grid and embodied carbon."""

    name: str = Field(min_length=1)
    memory_bytes: float = Field(gt=0, le=1e14)
    concurrency: int = Field(1, ge=1, le=1_024, description="batches it runs at once")
    idle_power_w: float = Field(0.0, ge=0, le=1e5)
    intensity_g_per_kwh: float | None = Field(None, ge=0, le=MAX_INTENSITY)
    intensity_trace: TraceRef | None = None
    intensity_hourly_g_per_kwh: tuple[float, ...] | None = Field(None, max_length=100_000)
    pue: float = Field(1.0, ge=1.0, le=5.0)
    embodied_kg: float = Field(0.0, ge=0, le=1e6, description="amortised by busy time")
    lifetime_years: float = Field(5.0, ge=0.1, le=50)

    @model_validator(mode="after")
    def _one_intensity(self) -> Node:
        one_intensity(self, "intensity_hourly_g_per_kwh")
        return self


class RequestType(Strict):
    """A kind of request (a DNN task, an LLM prompt shape) and its service-level objective."""

    name: str = Field(min_length=1)
    slo_s: float = Field(gt=0, le=1e6, description="arrival to completion, at most")
    max_wait_s: float | None = Field(
        None, ge=0, le=1e6, description="arrival to its batch's start, at most"
    )
    prompt_tokens: int = Field(0, ge=0, le=10_000_000)
    output_tokens: int = Field(0, ge=0, le=10_000_000)


class Profile(Strict):
    """One (node, request type, batch size): the batch's service time, energy and memory."""

    node: str
    type: str
    batch: int = Field(1, ge=1, le=MAX_BATCH)
    service_time_s: float = Field(gt=0, le=1e6, description="the whole batch")
    energy_j: float = Field(ge=0, le=1e9, description="the whole batch, above idle")
    memory_bytes: float = Field(0.0, ge=0, le=1e14, description="held while it runs")
    source: str = ""


class Request(Strict):
    """One request: when it arrives and what it is."""

    arrival_s: float = Field(ge=0, le=MAX_HORIZON_S)
    type: str


# --- generated requests (``stream:``, the alternative to ``requests:``) --------------------------

StreamTypeName = Annotated[str, Field(min_length=1, max_length=streams.MAX_NAME_CHARS)]
Share = Annotated[StrictFloat, Field(ge=0, le=1)]
_RATE = {"le": streams.MAX_RATE_PER_S, "description": "requests/s"}
_HORIZON = {"gt": 0, "le": streams.MAX_HORIZON_S, "description": "arrivals in [0, horizon_s)"}


def _type_mix(value: Any) -> Any:
    """A list of type names (equal shares) or a mapping of type name to share, each share in
    [0, 1] and summing to 1: one message for whatever is wrong (linear time)."""
    if not isinstance(value, dict | list | tuple) or not 1 <= len(value) <= MAX_TYPES:
        raise ValueError(
            f"write a list of 1 to {MAX_TYPES} type names or a mapping of type name to share"
        )
    seen: set[str] = set()
    for i, name in enumerate(value):
        if not isinstance(name, str) or not name:
            raise FieldProblem(f"[{i}]", "a type name must be a non-empty string")
        if name in seen:
            raise ValueError(f"names type {name!r} twice (name each type once)")
        seen.add(name)
    if isinstance(value, dict):
        shares = list(value.values())
        if not all(type(x) in (int, float) and 0 <= x <= 1 for x in shares):
            raise ValueError("each share must be a number in [0, 1]")
        if abs(sum(shares) - 1.0) > streams.SHARE_TOL:
            raise ValueError(f"the shares sum to {sum(shares):g}, not 1 (make them sum to 1)")
    return value


class _MixStream(Strict):
    """What the three generators share: the type mix and the seed."""

    types: tuple[StreamTypeName, ...] | dict[StreamTypeName, Share] = Field(
        ("task",),
        description="type names (equal shares) or type name to share; each a declared type",
    )
    seed: int = Field(0, ge=0, le=2**32 - 1, description="of numpy.random.default_rng")

    @field_validator("types", mode="before")
    @classmethod
    def _mix_ok(cls, value: Any) -> Any:
        return _type_mix(value)

    def expected(self) -> tuple[float, str, str]:  # pragma: no cover - each kind overrides
        """(expected requests or candidates drawn, the product it is, the fix)."""
        raise NotImplementedError

    @model_validator(mode="after")
    def _bounded(self) -> _MixStream:
        count, what, fix = self.expected()
        if count > MAX_REQUESTS:
            raise FieldProblem(
                what.split(" ")[0],
                f"{what} expects {count:.3g} requests, above the limit of {MAX_REQUESTS:,}",
                fix,
            )
        return self

    def type_names(self) -> tuple[str, ...]:
        return tuple(self.types)


class PoissonStream(_MixStream):
    """Homogeneous Poisson arrivals (``ecoopt.routing.streams.poisson``)."""

    kind: Literal["poisson"]
    rate_per_s: float = Field(gt=0, **_RATE)
    horizon_s: float = Field(**_HORIZON)

    def expected(self) -> tuple[float, str, str]:
        what, fix = "rate_per_s × horizon_s", "lower rate_per_s or shorten horizon_s"
        return self.rate_per_s * self.horizon_s, what, fix


class BurstyStream(_MixStream):
    """Two-state Markov-modulated Poisson arrivals (``ecoopt.routing.streams.bursty``)."""

    kind: Literal["bursty"]
    base_rate_per_s: float = Field(ge=0, **_RATE | {"description": "requests/s while calm"})
    burst_rate_per_s: float = Field(gt=0, **_RATE | {"description": "requests/s in a burst"})
    horizon_s: float = Field(**_HORIZON)
    mean_burst_s: float = Field(gt=0, le=streams.MAX_HORIZON_S, description="mean burst length")
    mean_calm_s: float = Field(gt=0, le=streams.MAX_HORIZON_S, description="mean calm length")

    def expected(self) -> tuple[float, str, str]:
        cycles = self.horizon_s / (self.mean_burst_s + self.mean_calm_s)
        if cycles > streams.MAX_CYCLES:
            raise FieldProblem(
                "horizon_s",
                f"horizon_s / (mean_burst_s + mean_calm_s) is {cycles:.3g} burst-calm cycles, "
                f"above the limit of {streams.MAX_CYCLES:g}",
                "shorten horizon_s or lengthen the mean state durations",
            )
        rate = max(self.base_rate_per_s, self.burst_rate_per_s)
        what = "burst_rate_per_s" if rate == self.burst_rate_per_s else "base_rate_per_s"
        return rate * self.horizon_s, f"{what} × horizon_s", "lower the rates or shorten horizon_s"


class DiurnalStream(_MixStream):
    """Poisson arrivals with a cosine daily cycle (``ecoopt.routing.streams.diurnal``)."""

    kind: Literal["diurnal"]
    mean_rate_per_s: float = Field(gt=0, **_RATE)
    horizon_s: float = Field(**_HORIZON)
    period_s: float = Field(86400.0, ge=1e-3, le=streams.MAX_HORIZON_S)
    amplitude: float = Field(0.5, ge=0, le=1, description="peak rate = mean x (1 + amplitude)")
    peak_at_s: float = Field(50400.0, ge=-streams.MAX_HORIZON_S, le=streams.MAX_HORIZON_S)

    def expected(self) -> tuple[float, str, str]:
        count = self.mean_rate_per_s * (1 + self.amplitude) * self.horizon_s
        what = "mean_rate_per_s × (1 + amplitude) × horizon_s"
        return count, what, "lower mean_rate_per_s or shorten horizon_s"


class AzureStream(Strict):
    """A window of a bundled Azure LLM trace, 2023 (``ecoopt.routing.streams.azure``)."""

    kind: Literal["azure"]
    service: Literal["code", "conv"] = Field(
        description="code: 8,819 requests over 3,436 s; conv: 19,366 over 3,502 s"
    )
    start_s: float = Field(0.0, ge=0, le=3_600, description="window start, trace time")
    duration_s: float | None = Field(
        None, gt=0, le=streams.MAX_HORIZON_S, description="window length; default to the end"
    )
    speedup: float = Field(1.0, ge=1e-3, le=streams.MAX_SPEEDUP, description="replay speed")
    type_name: StreamTypeName | None = Field(None, description="a declared type; llm_<service>")
    max_requests: int | None = Field(None, ge=0, le=10**9, description="the first ones only")

    def type_names(self) -> tuple[str, ...]:
        return (self.type_name or f"llm_{self.service}",)


STREAM_KINDS = {"poisson": PoissonStream, "bursty": BurstyStream, "diurnal": DiurnalStream}
STREAM_KINDS["azure"] = AzureStream  # type: ignore[assignment]


def _untagged(value: Any, handler: Any, info: ValidationInfo) -> Any:
    """The stream's kind checked first (one message naming ``stream.kind``), then its model;
    errors are placed at ``stream.<field>``, without pydantic's tag of the union member."""
    if not isinstance(value, dict | PoissonStream | BurstyStream | DiurnalStream | AzureStream):
        raise ValueError("write a mapping of fields, its kind one of " + ", ".join(STREAM_KINDS))
    if isinstance(value, dict):
        kind = value.get("kind")
        if kind is None or not isinstance(kind, str) or kind not in STREAM_KINDS:
            raise FieldProblem(
                "kind",
                "missing" if kind is None else f"unknown kind {kind!r}",
                f"use one of {', '.join(STREAM_KINDS)}",
            )
    try:
        return handler(value)
    except ValidationError as exc:
        raise _moved(exc) from None


def _moved(exc: ValidationError) -> Exception:
    """The stream model's errors without the union's tag; an unknown parameter alone (a
    misspelt one also makes a required one missing), with the parameters its kind takes."""
    errors = exc.errors()
    tag = errors[0]["loc"][0] if errors and errors[0]["loc"] else None
    if tag not in STREAM_KINDS:
        return exc
    errors = [e | {"loc": e["loc"][1:] if e["loc"][:1] == (tag,) else e["loc"]} for e in errors]
    extra = [e for e in errors if e["type"] == "extra_forbidden" and len(e["loc"]) == 1]
    if extra:
        fields = list(STREAM_KINDS[str(tag)].model_fields)  # its own first, then types, seed
        return FieldProblem(
            str(extra[0]["loc"][0]),
            f"unknown key, not a parameter of kind {tag!r}",
            f"use one of {', '.join(sorted(fields, key=_MixStream.model_fields.__contains__))}",
        )
    moved = [{k: e[k] for k in ("type", "input", "ctx", "loc") if k in e} for e in errors]
    try:
        return ValidationError.from_exception_data(exc.title, moved)
    except (KeyError, TypeError, ValueError):  # an error type it cannot remake: as it was
        return exc


def _kind_of(value: Any) -> Any:
    return value.get("kind") if isinstance(value, dict) else getattr(value, "kind", None)


StreamSpec = Annotated[
    Annotated[PoissonStream, Tag("poisson")]
    | Annotated[BurstyStream, Tag("bursty")]
    | Annotated[DiurnalStream, Tag("diurnal")]
    | Annotated[AzureStream, Tag("azure")],
    Discriminator(_kind_of),  # a function: Strict's checks run on kind too
    WrapValidator(_untagged),
]


class Weights(Strict):
    """The ``weighted`` objective: Σ weight × metric."""

    carbon_g: float = Field(1.0, ge=0, le=1e9)
    energy_j: float = Field(0.0, ge=0, le=1e9)
    latency_s: float = Field(0.0, ge=0, le=1e9, description="per second of mean latency")


class CarbonEdge(Strict):
    """Parameters of CarbonEdge's scheduler (Algorithm 1) that its paper leaves open or states."""

    load_filter: float = Field(0.8, ge=0, le=1, description="skip a node whose load is above")
    latency_threshold_s: float | None = Field(
        None, gt=0, le=1e6, description="skip a node whose service time is above (unstated)"
    )
    weights: tuple[float, float, float, float, float] | None = Field(
        None, description="(w_R, w_L, w_P, w_B, w_C) of policy carbonedge_custom, each in [0, 1]"
    )

    @model_validator(mode="after")
    def _weights_in_range(self) -> CarbonEdge:
        w = self.weights
        if w is not None and not all(0.0 <= x <= 1.0 for x in w):  # nan fails too
            raise ValueError(f"carbonedge.weights must each lie in [0, 1], got {list(w)}")
        return self


class RoutingInstance(Strict):
    problem: Literal["routing"]
    schema_version: Literal[1] = 1
    name: str = ""
    description: str = ""
    objective: Literal["carbon", "energy", "latency", "latency_max", "weighted"] = "carbon"
    weights: Weights = Weights()
    slot_s: float = Field(gt=0, le=3_600, description="batches start on this grid")
    horizon_s: float | None = Field(
        None, gt=0, le=MAX_HORIZON_S, description="default: last arrival plus the longest SLO"
    )
    nodes: tuple[Node, ...] = Field(min_length=1, max_length=MAX_NODES)
    types: tuple[RequestType, ...] = Field(min_length=1, max_length=MAX_TYPES)
    profiles: tuple[Profile, ...] = Field(min_length=1, max_length=MAX_NODES * 64)
    requests: Annotated[tuple[Request, ...], by_columns(Request, MAX_REQUESTS)] | None = Field(
        None,
        min_length=1,
        max_length=MAX_REQUESTS,
        description="the requests, listed; or give stream instead (exactly one of the two)",
    )
    stream: StreamSpec | None = Field(
        None,
        description=(
            "the requests, generated instead of listed (exactly one of requests and stream): "
            "a seeded generator (poisson, bursty, diurnal) or a window of the bundled Azure "
            "LLM traces (azure), by ecoopt.routing.streams.generate_stream with these "
            "parameters; its type names must be declared in types. Materialised when the file "
            "is validated (the same file gives the same requests), then read as requests. "
            "Per-request token counts (the Azure traces' prompt and output tokens) are not "
            "used: routing's profiles are per type"
        ),
    )
    carbonedge: CarbonEdge = CarbonEdge()
    seed: int = Field(0, ge=0, le=2**32 - 1, description="of the random policy")

    @model_validator(mode="before")
    @classmethod
    def _requests_or_stream(cls, data: Any) -> Any:
        if isinstance(data, dict):
            given = [k for k in ("requests", "stream") if data.get(k) is not None]
            if len(given) != 1:
                raise FieldProblem(
                    "requests",
                    "both requests and stream are given"
                    if given
                    else "neither requests nor stream is given",
                    "give exactly one of requests (a list of arrivals) and stream (a generator)",
                )
        return data

    @model_validator(mode="after")
    def _consistent(self) -> RoutingInstance:
        require_unique("nodes", [n.name for n in self.nodes])
        require_unique("types", [t.name for t in self.types])
        from .checks import check_instance, stream_requests

        if self.stream is not None:  # a frozen model: set once, here, as validation would
            object.__setattr__(self, "requests", stream_requests(self))
        check_instance(self)
        return self

    @model_serializer(mode="wrap")
    def _without_generated(self, handler: Any) -> dict[str, Any]:
        """A stream's requests are not written back: the stream stands for them."""
        data = handler(self)
        if self.stream is not None:
            data.pop("requests", None)
        return data

    @cached_property
    def data(self) -> Any:  # RoutingData; imported lazily (arrays.py needs this module)
        """The instance as arrays (requests, profiles, grid, intensities), once."""
        from .arrays import build_data

        return build_data(self)
