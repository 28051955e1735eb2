"""The validated provisioning input: a horizon of time slots, grid sites, a catalogue of server
SKUs (GPU boards, host variants, lifetimes, owned servers), LLM workloads and their execution
profiles, and the four EcoServe levers.

Units are in the field names (DESIGN §2). A profile gives, per (workload class, SKU), the largest
request rate one server sustains within the class's SLOs and the GPU energy per request above
idle; ``ecoopt.provisioning.profiles`` builds them from the bundled ML.ENERGY measurements or
a stated roofline. Every provisioned server draws its idle power (GPUs and host) for the whole
horizon; serving adds energy per request on top (the choice ecoopt made where EcoServe is
silent: servers are provisioned, not switched off between slots).
"""

from __future__ import annotations

from functools import cached_property
from typing import Literal

import numpy as np
from pydantic import Field, model_validator

from ..schema import MAX_INTENSITY, FieldProblem, Strict, TraceRef, one_intensity, require_unique

OBJECTIVES = {"carbon": "min", "energy": "min", "cost": "min", "weighted": "min"}

MAX_SLOTS = 8_760  # one year of hourly slots
MAX_SKUS = 200
MAX_WORKLOADS = 200
MAX_CLASSES = 50  # per workload
MAX_SERVERS = 100_000
MAX_RATE_RPS = 1e7
MAX_CELLS = 5_000_000  # classes × SKUs × slots: the load variables of the model


class Horizon(Strict):
    """``slots`` consecutive time slots of ``slot_h`` hours."""

    slots: int = Field(ge=1, le=MAX_SLOTS)
    slot_h: float = Field(1.0, ge=1 / 60, le=24 * 31)


class Site(Strict):
    """A grid: one of a fixed intensity, a bundled hourly trace, or a value per slot; a PUE."""

    name: str = Field(min_length=1)
    intensity_g_per_kwh: float | None = Field(None, ge=0, le=MAX_INTENSITY)
    intensity_trace: TraceRef | None = None
    intensity_slots_g_per_kwh: tuple[float, ...] | None = None
    pue: float = Field(1.0, ge=1.0, le=5.0)
    electricity_usd_per_kwh: float = Field(0.0, ge=0, le=10)

    @model_validator(mode="after")
    def _one_intensity(self) -> Site:
        one_intensity(self, "intensity_slots_g_per_kwh")
        return self


class HostVariant(Strict):
    """One host configuration of a SKU (EcoServe's Reduce: less DRAM and SSD, less embodied)."""

    name: str = Field(min_length=1)
    cpu_cores: int = Field(ge=0, le=4096)
    dram_gb: float = Field(ge=0, le=1e5)
    ssd_gb: float = Field(ge=0, le=1e6)
    idle_power_w: float = Field(ge=0, le=1e5, description="host idle power (CPU, DRAM, fans)")
    embodied_kg: float | None = Field(
        None, ge=0, le=1e6, description="override of the component model (ecoopt.carbon)"
    )


class Owned(Strict):
    """Servers of this SKU already owned: kept in service or retired (EcoServe's Recycle)."""

    host: str = Field(min_length=1, description="name of one of the SKU's host variants")
    count: int = Field(ge=1, le=MAX_SERVERS)
    embodied: Literal["sunk", "amortised"] = "sunk"
    remaining_years: float = Field(
        2.0, ge=0.1, le=50, description="years left to amortise over (embodied: amortised)"
    )


class Sku(Strict):
    """A server type: ``gpus`` boards of one GPU on one of ``hosts``, bought for a lifetime."""

    name: str = Field(min_length=1)
    site: str = Field(min_length=1)
    gpu: str = Field(min_length=1, description="GPU board, e.g. H100-SXM")
    gpus: int = Field(ge=0, le=64)
    gpu_idle_power_w: float = Field(ge=0, le=5e3, description="idle power of one board")
    gpu_embodied_kg: float | None = Field(
        None, ge=0, le=1e4, description="one board; default: ecoopt.carbon.GPU_BOARD_KG[gpu]"
    )
    price_usd: float = Field(0.0, ge=0, le=1e8, description="purchase price, amortised")
    price_usd_per_h: float = Field(0.0, ge=0, le=1e4, description="rental price")
    lifetimes_years: tuple[float, ...] = Field((4.0,), min_length=1, max_length=10)
    max_servers: int = Field(1_000, ge=0, le=MAX_SERVERS, description="new servers at most")
    hosts: tuple[HostVariant, ...] = Field(min_length=1, max_length=20)
    owned: tuple[Owned, ...] = ()

    @model_validator(mode="after")
    def _consistent(self) -> Sku:
        require_unique("hosts", [h.name for h in self.hosts])
        for k, y in enumerate(self.lifetimes_years):
            if not 0.1 <= y <= 50:
                raise FieldProblem(f"lifetimes_years[{k}]", f"{y:g} is outside [0.1, 50] years")
        names = {h.name for h in self.hosts}
        for k, o in enumerate(self.owned):
            if o.host not in names:
                raise FieldProblem(
                    f"owned[{k}].host", f"unknown host {o.host!r}", f"use one of {sorted(names)}"
                )
        if self.gpu_embodied_kg is None and self.gpus > 0:
            from ..carbon import GPU_BOARD_KG

            if self.gpu not in GPU_BOARD_KG:
                raise FieldProblem(
                    "gpu_embodied_kg",
                    f"no bundled figure for GPU {self.gpu!r}",
                    f"give gpu_embodied_kg, or use one of {', '.join(GPU_BOARD_KG)}",
                )
        return self


class RequestClass(Strict):
    """A request-size class of a workload: its share of the workload's rate or volume."""

    name: str = Field(min_length=1)
    share: float = Field(1.0, gt=0, le=1)
    prompt_tokens: float | None = Field(None, ge=0, le=1e7)
    output_tokens: float | None = Field(None, ge=0, le=1e7)
    splittable: bool = Field(True, description="false: the whole class on one SKU")


class Workload(Strict):
    """An online service (a rate per slot) or an offline batch job (a volume by a deadline)."""

    name: str = Field(min_length=1)
    kind: Literal["online", "offline"]
    rate_rps: float | None = Field(None, ge=0, le=MAX_RATE_RPS, description="online, constant")
    rate_slots_rps: tuple[float, ...] | None = Field(None, description="online, one per slot")
    volume_requests: float | None = Field(None, ge=0, le=1e13)
    release_slot: int = Field(0, ge=0, le=MAX_SLOTS)
    deadline_slot: int | None = Field(
        None, ge=0, le=MAX_SLOTS, description="offline: end slot (exclusive); default the horizon"
    )
    ttft_slo_s: float | None = Field(None, gt=0, le=3600)
    tpot_slo_s: float | None = Field(None, gt=0, le=60)
    classes: tuple[RequestClass, ...] = (RequestClass(name="all"),)

    @model_validator(mode="after")
    def _demand(self) -> Workload:
        require_unique("classes", [c.name for c in self.classes])
        if abs(sum(c.share for c in self.classes) - 1.0) > 1e-6:
            raise FieldProblem("classes", "the shares must add up to 1", "rescale them")
        rates = self.rate_slots_rps
        if self.kind == "online":
            if (self.rate_rps is None) == (rates is None) or self.volume_requests is not None:
                raise ValueError(
                    "an online workload gives one of rate_rps or rate_slots_rps "
                    "(and no volume_requests)"
                )
            for k, r in enumerate(rates or ()):
                if not 0 <= r <= MAX_RATE_RPS:
                    raise FieldProblem(
                        f"rate_slots_rps[{k}]",
                        f"{r:g} is outside [0, {MAX_RATE_RPS:g}] requests/s",
                        "use a non-negative rate",
                    )
        elif self.volume_requests is None or self.rate_rps is not None or rates is not None:
            raise ValueError("an offline workload gives volume_requests (and no rate)")
        return self


class GpuProfileRow(Strict):
    """One (workload class, SKU): the SLO-feasible rate of one server and its energy."""

    workload: str
    request_class: str = Field("all", alias="class")
    hardware: str
    rate_rps: float = Field(gt=0, le=MAX_RATE_RPS, description="per server, within the SLOs")
    energy_j_per_request: float = Field(ge=0, le=1e7, description="GPU energy above idle")
    source: str = ""


class CpuProfileRow(Strict):
    """Offline work of one class on host CPUs (EcoServe's Reuse), per core of any host."""

    workload: str
    request_class: str = Field("all", alias="class")
    rate_rps_per_core: float = Field(gt=0, le=1e4)
    energy_j_per_request: float = Field(ge=0, le=1e8, description="host energy above idle")
    dram_gb: float = Field(ge=0, le=1e5, description="host DRAM needed to serve it")
    source: str = ""


class Levers(Strict):
    """EcoServe's 4R; each can be switched off (``compare`` adds a row per lever off)."""

    reduce: bool = Field(True, description="host variants other than each SKU's first")
    reuse: bool = Field(True, description="offline work on host CPUs")
    rightsize: bool = Field(True, description="more than one SKU in the fleet")
    recycle: bool = Field(True, description="lifetimes beyond each SKU's first; owned servers")


class Weights(Strict):
    """The ``weighted`` objective: Σ weight × metric."""

    carbon_kg: float = Field(1.0, ge=0, le=1e6)
    energy_kwh: float = Field(0.0, ge=0, le=1e6)
    cost_usd: float = Field(0.0, ge=0, le=1e6)


class ProvisioningInstance(Strict):
    problem: Literal["provisioning"]
    schema_version: Literal[1] = 1
    name: str = ""
    description: str = ""
    objective: Literal["carbon", "energy", "cost", "weighted"] = "carbon"
    weights: Weights = Weights()
    horizon: Horizon
    ssd_accounting: Literal["device", "nand_die"] = "device"
    cpu_free_share: float = Field(
        0.9, ge=0, le=1, description="share of host cores offline work may use"
    )
    sites: tuple[Site, ...] = Field(min_length=1, max_length=100)
    hardware: tuple[Sku, ...] = Field(min_length=1, max_length=MAX_SKUS)
    workloads: tuple[Workload, ...] = Field(min_length=1, max_length=MAX_WORKLOADS)
    profiles: tuple[GpuProfileRow, ...] = Field(max_length=MAX_SKUS * MAX_WORKLOADS * 10)
    cpu_profiles: tuple[CpuProfileRow, ...] = ()
    levers: Levers = Levers()

    @model_validator(mode="after")
    def _consistent(self) -> ProvisioningInstance:
        from .checks import check_instance

        check_instance(self)
        return self

    @cached_property
    def data(self):  # noqa: ANN201 - ProvisioningData; imported lazily (arrays.py needs us)
        """The instance as arrays (classes, SKUs, options, profiles, intensities), once."""
        from .arrays import build_data

        return build_data(self)

    def with_levers(self, **levers: bool) -> ProvisioningInstance:
        """The same instance, validated again, with some levers set, e.g.
        ``with_levers(reuse=False)`` (a copy would carry the cached arrays of this one)."""
        data = self.model_dump(by_alias=True, exclude_none=True)
        data["levers"] = {**data.get("levers", {}), **levers}
        return type(self).model_validate(data)


def slot_rates(w: Workload, slots: int) -> np.ndarray:
    """An online workload's rate per slot (requests/s); zeros for an offline one."""
    if w.kind != "online":
        return np.zeros(slots)
    if w.rate_slots_rps is not None:
        return np.asarray(w.rate_slots_rps, dtype=float)
    return np.full(slots, float(w.rate_rps or 0.0))
