"""The validated routing input: edge nodes, request types with their SLOs, a profile per (node,
request type, batch size), and the stream of requests.

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

from pydantic import Field, model_validator

from ..rows import by_columns
from ..schema import MAX_INTENSITY, Strict, TraceRef, one_intensity, require_unique

OBJECTIVES = {"carbon": "min", "energy": "min", "latency": "min", "weighted": "min"}

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
    objective: Literal["carbon", "energy", "latency", "weighted"] = "carbon"
    weights: Weights = Weights()
    slot_s: float = Field(gt=0, le=3_600, description="batches start on this grid")
    horizon_s: float | None = Field(
        None, gt=0, le=MAX_HORIZON_S, description="default: last arrival plus the longest SLO"
    )
    nodes: tuple[Node, ...] = Field(min_length=1, max_length=MAX_NODES)
    types: tuple[RequestType, ...] = Field(min_length=1, max_length=MAX_TYPES)
    profiles: tuple[Profile, ...] = Field(min_length=1, max_length=MAX_NODES * 64)
    requests: Annotated[tuple[Request, ...], by_columns(Request, MAX_REQUESTS)] = Field(
        min_length=1, max_length=MAX_REQUESTS
    )
    carbonedge: CarbonEdge = CarbonEdge()
    seed: int = Field(0, ge=0, le=2**32 - 1, description="of the random policy")

    @model_validator(mode="after")
    def _consistent(self) -> RoutingInstance:
        require_unique("nodes", [n.name for n in self.nodes])
        require_unique("types", [t.name for t in self.types])
        from .checks import check_instance

        check_instance(self)
        return self

    @cached_property
    def data(self) -> Any:  # RoutingData; imported lazily (arrays.py needs this module)
        """The instance as arrays (requests, profiles, grid, intensities), once."""
        from .arrays import build_data

        return build_data(self)
