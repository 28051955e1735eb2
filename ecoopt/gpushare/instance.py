"""The validated gpushare input: GPUs, LLM agents and the latency model's one knob.

Units are in the field names (DESIGN §2). Shares are fractions of one GPU; a GPU is divided into
``share_units`` equal units (100 → 1 % steps, 7 → MIG-like sevenths) and every agent holds a whole
number of units on exactly one GPU.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property
from operator import attrgetter
from typing import TYPE_CHECKING, Annotated, Literal

import numpy as np
from pydantic import Field, ValidationInfo, model_validator

from ..rows import by_columns, collector_paused
from ..schema import FieldProblem, GridPowered, Strict, check_range, require_unique

if TYPE_CHECKING:
    from ..rows import Columns

OBJECTIVES = {"latency": "min", "throughput": "max", "cost": "min", "carbon": "min"}

#: size bounds, checked before anything is allocated (docs/guides/cli.md, "Trust model")
MAX_AGENTS = 1_000_000
MAX_GPUS = 100_000  # GPUs of one type, and placement slots (unpooled GPUs + pools) in all
MAX_STEPS = 100_000  # simulation steps, and the length of an arrival trace
MAX_SIM_CELLS = 10_000_000  # simulation steps × agents: each per-step record is that big
MAX_RATE_RPS = 1e7


def check_sim_size(steps: int, agents: int, field: str) -> None:
    """Refuse a simulation whose per-step records would not fit: T ≤ MAX_STEPS, T·n ≤ cells."""
    if steps > MAX_STEPS:
        raise FieldProblem(
            field, f"at most {MAX_STEPS:,} simulation steps, got {steps:,}", "use fewer steps"
        )
    if steps * agents > MAX_SIM_CELLS:
        raise FieldProblem(
            field,
            f"steps × agents must be at most {MAX_SIM_CELLS:,}, got {steps:,} × {agents:,}",
            "simulate fewer steps or split the agents",
        )


def _check_trace(values: tuple[float, ...]) -> None:
    """An arrival trace: 1..MAX_STEPS finite rates in [0, MAX_RATE_RPS] requests/s."""
    if len(values) == 0:
        raise ValueError("arrival_trace_rps needs at least one value")
    if len(values) > MAX_STEPS:
        raise FieldProblem(
            "arrival_trace_rps",
            f"at most {MAX_STEPS:,} values, got {len(values):,}",
            "resample the trace to fewer, longer steps",
        )
    v = np.asarray(values, dtype=float)
    bad = np.flatnonzero(~((v >= 0) & (v <= MAX_RATE_RPS)))
    if bad.size:
        k = int(bad[0])
        check_range(float(v[k]), 0.0, MAX_RATE_RPS, "requests/s", field=f"arrival_trace_rps[{k}]")


class GPU(GridPowered):
    """One GPU type; ``count`` identical GPUs of it."""

    name: str = Field(min_length=1)
    count: int = Field(1, ge=1, le=MAX_GPUS, description="identical GPUs of this type")
    share_units: int = Field(100, ge=1, le=10_000)
    memory_bytes: float = Field(ge=1, le=1e15, description="memory of one GPU")
    idle_power_w: float = Field(ge=0, le=1e5)
    active_power_w: float = Field(ge=0, le=1e5)
    price_usd_per_h: float = Field(0.0, ge=0, le=1e4)
    speed: float = Field(
        1.0, ge=1e-3, le=1e3, description="throughput multiplier relative to the agents' base"
    )
    embodied_kg: float = Field(0.0, ge=0, le=1e5)
    lifetime_years: float = Field(5.0, ge=0.1, le=50)
    pooled: bool = Field(
        False,
        description="treat the count GPUs as one capacity pool (the paper's G_total, serverless "
        "platforms); an agent's share is still at most one GPU",
    )

    @model_validator(mode="after")
    def _power(self) -> GPU:
        if self.active_power_w < self.idle_power_w:
            raise ValueError("active_power_w must be ≥ idle_power_w")
        return self


class Agent(Strict):
    """One LLM agent: its model's throughput at a full GPU, its demand and its guarantees."""

    name: str = Field(min_length=1)
    role: str = ""
    throughput_rps: float = Field(
        ge=1e-6, le=MAX_RATE_RPS, description="requests/s served with a whole GPU"
    )
    min_share: float = Field(0.0, ge=0, le=1)
    max_share: float = Field(1.0, gt=0, le=1)
    priority: float = Field(
        1.0, ge=1e-3, le=1e3, description="1 = highest; larger = lower priority"
    )
    arrival_rps: float | None = Field(None, ge=0, le=MAX_RATE_RPS)
    arrival_trace_rps: tuple[float, ...] | None = None
    latency_slo_s: float | None = Field(None, ge=1e-6, le=1e6)
    memory_bytes: float = Field(0.0, ge=0, le=1e15)

    row_rules_cover = ("_demand",)

    @classmethod
    def rows_breaking_rules(cls, cols: Columns) -> np.ndarray:
        """``_demand`` over a whole table (``ecoopt.rows``): the rows that break it."""
        no_rate, no_trace = cols.missing["arrival_rps"], cols.missing["arrival_trace_rps"]
        steps, values = cols.lengths["arrival_trace_rps"], cols.items["arrival_trace_rps"]
        bad = (no_rate == no_trace) | (cols.numbers["min_share"] > cols.numbers["max_share"])
        bad |= ~no_trace & ((steps == 0) | (steps > MAX_STEPS))
        outside = ~((values >= 0) & (values <= MAX_RATE_RPS))  # one per trace value
        bad[np.repeat(np.arange(cols.n), steps)[outside]] = True
        return bad

    @model_validator(mode="after")
    def _demand(self) -> Agent:
        if (self.arrival_rps is None) == (self.arrival_trace_rps is None):
            raise ValueError("give exactly one of arrival_rps or arrival_trace_rps")
        if self.arrival_trace_rps is not None:
            _check_trace(self.arrival_trace_rps)
        if self.min_share > self.max_share:
            raise ValueError("min_share must be ≤ max_share")
        return self

    @property
    def rate_rps(self) -> float:
        """Arrival rate used by the static problem: ``arrival_rps`` or the trace's mean."""
        if self.arrival_rps is not None:
            return self.arrival_rps
        assert self.arrival_trace_rps is not None
        return float(np.mean(self.arrival_trace_rps)) if self.arrival_trace_rps else 0.0


class Simulation(Strict):
    """Control loop of the dynamic simulator."""

    step_s: float = Field(1.0, ge=1e-3, le=1e5)
    steps: int | None = Field(
        None, ge=1, le=MAX_STEPS, description="default: the arrival traces' length, else 60"
    )
    window_steps: int = Field(
        1, ge=1, le=MAX_STEPS, description="past steps averaged for the observed rate"
    )


class GpuShareInstance(Strict):
    problem: Literal["gpushare"]
    schema_version: Literal[1] = 1
    name: str = ""
    description: str = ""
    objective: Literal["latency", "throughput", "cost", "carbon"] = "latency"
    overload_rho: float = Field(
        0.95, gt=0, lt=1, description="utilisation beyond which the overload model applies"
    )
    overload_horizon_s: float = Field(
        60.0,
        ge=1e-3,
        le=1e6,
        description="horizon over which an overloaded queue's backlog is priced",
    )
    gpus: tuple[GPU, ...] = Field(min_length=1, max_length=MAX_GPUS)
    agents: Annotated[tuple[Agent, ...], by_columns(Agent, MAX_AGENTS)] = Field(
        min_length=1, max_length=MAX_AGENTS
    )
    simulation: Simulation = Simulation()

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> GpuShareInstance:
        require_unique("gpus", [g.name for g in self.gpus])
        cols = _agent_columns(info)
        if cols is None:
            names = list(map(attrgetter("name"), self.agents))
            traces = map(attrgetter("arrival_trace_rps"), self.agents)
            lengths = set(map(len, filter(None, traces)))  # (an empty trace is refused per agent)
        else:  # the same names and trace lengths, read from the agents' validated columns
            names, steps = cols.values["name"], cols.lengths["arrival_trace_rps"]
            lengths = set(np.unique(steps[steps > 0]).tolist())
        require_unique("agents", names)
        if len(lengths) > 1:
            raise ValueError("every agent's arrival_trace_rps must have the same length")
        slots = sum(1 if g.pooled else g.count for g in self.gpus)
        if slots > MAX_GPUS:
            raise FieldProblem(
                "gpus",
                f"at most {MAX_GPUS:,} placement slots (unpooled GPUs plus pools), got {slots:,}",
                "set pooled: true on large counts of one type",
            )
        if self.simulation.steps is not None:
            check_sim_size(self.simulation.steps, len(self.agents), "simulation.steps")
        return self

    @model_validator(mode="after")
    def _arrays_from_columns(self, info: ValidationInfo) -> GpuShareInstance:
        """When the agents were validated column by column (``ecoopt.rows``), their arrays
        are those columns: seed the cached ``arrays`` with them instead of reading 10⁶
        models back one attribute at a time."""
        cols = _agent_columns(info)
        if cols is not None:
            self.__dict__["arrays"] = AgentArrays.from_columns(cols)
        return self

    # -- derived views (computed once) -----------------------------------------------------
    @cached_property
    def slots(self) -> list[Slot]:
        """The GPUs an agent can be placed on: ``count`` copies, or one pool if ``pooled``."""
        out: list[Slot] = []
        for gi, g in enumerate(self.gpus):
            copies = 1 if g.pooled else g.count
            scale = g.count if g.pooled else 1
            for c in range(copies):
                name = g.name if (copies == 1) else f"{g.name}#{c}"
                out.append(Slot(name=name, gpu_index=gi, scale=scale, gpu=g))
        return out

    @cached_property
    def min_units_cache(self) -> dict[int, np.ndarray]:
        """GPU type -> smallest admissible units per agent (``model.min_units`` fills it)."""
        return {}

    @cached_property
    def arrays(self) -> AgentArrays:
        """The agents' fields as vectors, read in one C-level pass (one attrgetter call per
        agent, then a transpose), not one property call per agent and field."""
        fields = ("name", "throughput_rps", "min_share", "max_share", "priority")
        fields += ("latency_slo_s", "memory_bytes", "arrival_rps", "arrival_trace_rps")
        with collector_paused():
            names, mu, lo, hi, prio, slo, mem, rate, traces = zip(
                *map(attrgetter(*fields), self.agents)
            )
        no_slo = np.array(slo, dtype=float)  # None -> NaN
        return AgentArrays(
            names=list(names),
            lam=_rates(rate, traces),
            mu=np.array(mu, dtype=float),
            min_share=np.array(lo, dtype=float),
            max_share=np.array(hi, dtype=float),
            priority=np.array(prio, dtype=float),
            slo=np.where(np.isnan(no_slo), np.inf, no_slo),
            memory=np.array(mem, dtype=float),
        )


def _agent_columns(info: ValidationInfo) -> Columns | None:
    """The agents' table when they were validated column by column (``ecoopt.rows`` leaves
    it in the validation context): their names and values, without reading 10⁶ models."""
    return ((info.context or {}).get("columns") or {}).get("agents")


def _rates(rates: tuple, traces: tuple) -> np.ndarray:
    """``Agent.rate_rps`` of every agent: its ``arrival_rps``, or its trace's mean. The traces
    all have one length (the instance checks it), so their means are one row-wise mean."""
    lam = np.array(rates, dtype=float)  # None (a trace instead) -> NaN
    traced = np.flatnonzero(np.isnan(lam))
    if traced.size:
        lam[traced] = np.array([traces[i] for i in traced.tolist()]).mean(axis=1)
    return lam


@dataclass(frozen=True, eq=False)
class AgentArrays:
    """The agents' fields as numpy vectors, in file order. Compared by identity: value
    equality of numpy fields has no single truth value, and an instance's ``==`` compares
    its cached views only to fall back to its fields."""

    names: list[str]
    lam: np.ndarray
    mu: np.ndarray
    min_share: np.ndarray
    max_share: np.ndarray
    priority: np.ndarray
    slo: np.ndarray
    memory: np.ndarray

    @classmethod
    def from_columns(cls, cols: Columns) -> AgentArrays:
        """The arrays of agents validated as a table (``ecoopt.rows.Columns``): the same
        values as reading every agent, taken from the table's float views."""
        num = cols.numbers
        lam = num["arrival_rps"].copy()  # NaN where a trace gives the rate
        traced = cols.missing["arrival_rps"]
        if traced.any():  # every trace has one length (the instance's rule)
            lam[traced] = cols.items["arrival_trace_rps"].reshape(int(traced.sum()), -1).mean(1)
        slo = num["latency_slo_s"]
        return cls(
            names=list(cols.values["name"]),
            lam=lam,
            mu=num["throughput_rps"].copy(),
            min_share=num["min_share"].copy(),
            max_share=num["max_share"].copy(),
            priority=num["priority"].copy(),
            slo=np.where(np.isnan(slo), np.inf, slo),
            memory=num["memory_bytes"].copy(),
        )

    @cached_property
    def weights(self) -> np.ndarray:
        """Priority-weighted request weights w_i = (λ_i/P_i) / Σ_j λ_j/P_j (sum to 1).

        Computed once: the unit local search reads a few entries per move, and recomputing
        the whole vector each time made it O(N²)."""
        w = self.lam / self.priority
        if w.sum() <= 0:
            w = 1.0 / self.priority
        return w / w.sum()


@dataclass(frozen=True)
class Slot:
    """A placement target: one GPU, or a pool of ``scale`` GPUs."""

    name: str
    gpu_index: int
    scale: int
    gpu: GPU

    @property
    def units_per_gpu(self) -> int:
        return self.gpu.share_units

    @property
    def capacity_units(self) -> int:
        return self.gpu.share_units * self.scale

    @property
    def memory_bytes(self) -> float:
        return self.gpu.memory_bytes * self.scale

    @cached_property
    def intensity_g_per_kwh(self) -> float:
        """Static intensity of the slot's GPU (cached: a trace lookup is not free)."""
        return self.gpu.static_intensity
