"""The validated partition input: a DNN layer graph, edge devices, links, source and sink.

The layer graph is a model file from ``models/layer_graphs`` (by ``model.name``) or a CSV path
(``model.path``, relative to the instance file). It is loaded and checked when the instance is
validated, so a bad model file is reported like any other field.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

import numpy as np
from pydantic import Field, PrivateAttr, ValidationInfo, model_validator

from ..errors import listing
from ..schema import FieldProblem, GridPowered, Strict, check_range, require_unique

OBJECTIVES = {"carbon": "min", "latency": "min", "period": "min", "weighted": "min"}

#: size bounds, checked before the model's arrays are allocated (docs/guides/cli.md, "Trust model")
MAX_DEVICES = 1_000
MAX_TRANSFER_CELLS = 20_000_000  # devices² × tensor edges: the per-transfer arrays' size
MAX_LAYER_TIME_S = 1e4


class ModelRef(Strict):
    """Which layer graph: a bundled model ``name`` or a CSV ``path``; fused by default."""

    name: str | None = None
    path: str | None = None
    fuse: bool = True

    @model_validator(mode="after")
    def _one(self) -> ModelRef:
        if (self.name is None) == (self.path is None):
            raise ValueError("give exactly one of name (a bundled model) or path (a CSV file)")
        return self


def _load_model(model: ModelRef, context: dict):  # noqa: ANN202
    """The layer graph ``model`` names: a bundled model by ``name`` (a plain name only), or a
    CSV by ``path``, confined to the instance's folder and the allowed ones (``ecoopt.paths``)."""
    from ..paths import confined
    from .graph import available_models, load_layer_graph

    try:
        if model.name is not None:
            if not re.fullmatch(r"[A-Za-z0-9_.-]+", model.name) or ".." in model.name:
                known = ", ".join(available_models())
                raise ValueError(
                    f"name {model.name!r} is not a bundled model name (one of {known}); "
                    "use path: for a CSV file"
                )
            return load_layer_graph(model.name, fuse=model.fuse)
        base = Path(context.get("base_dir", "."))
        target = confined(str(model.path), base, context.get("allow_paths", ()))
        return load_layer_graph(target, fuse=model.fuse)
    except (ValueError, OSError) as exc:
        raise FieldProblem("model", str(exc)) from None


def _check_layer_times(devices: tuple[Device, ...], graph) -> None:  # noqa: ANN001
    """Every ``layer_times_s`` key names a layer of the model as loaded (fused or not)."""
    layers = set(graph.layers)
    for j, d in enumerate(devices):
        unknown = [k for k in d.layer_times_s or {} if k not in layers]
        if unknown:
            raise FieldProblem(
                f"devices[{j}] ({d.name}).layer_times_s",
                f"unknown layer(s) {listing(sorted(unknown), 5)}; the model's layers are "
                f"{listing(list(graph.layers))}",
                "use the model's layer names; with fuse: true the fused ones are gone",
            )


def _check_transfer_size(n_devices: int, graph) -> None:  # noqa: ANN001
    """devices² × tensor edges bounds the per-transfer arrays before they are built."""
    g = graph.graph
    edges = g.number_of_edges() + sum(1 for n in g if g.in_degree(n) == 0)
    edges += sum(1 for n in g if g.out_degree(n) == 0)
    cells = n_devices * n_devices * edges
    if cells > MAX_TRANSFER_CELLS:
        raise FieldProblem(
            "devices",
            f"{n_devices} devices and {edges:,} tensor edges make {cells:,} transfer cells; at "
            f"most {MAX_TRANSFER_CELLS:,} are allowed",
            "use fewer devices, or fuse the model",
        )


class Device(GridPowered):
    """An edge or datacenter device.

    Time of a layer = max(flops / ``flops_per_s``, param_bytes / ``memory_bandwidth_bytes_per_s``)
    unless ``layer_times_s`` gives a measured time for it. A device that hosts at least one
    layer draws ``active_power_w`` while it computes and ``idle_power_w`` while it waits within
    the same inference (the other devices' compute and every transfer).
    """

    name: str = Field(min_length=1)
    flops_per_s: float = Field(
        ge=1, le=1e18, description="effective (sustained) FLOP/s for this model"
    )
    active_power_w: float = Field(ge=0, le=1e5)
    idle_power_w: float = Field(0.0, ge=0, le=1e5)
    memory_bytes: float = Field(ge=1, le=1e15, description="memory available for weights")
    memory_bandwidth_bytes_per_s: float | None = Field(
        None,
        ge=1,
        le=1e16,
        description="if given, a layer takes at least param_bytes / bandwidth "
        "(roofline: every weight is read once per inference; decode is bandwidth-bound)",
    )
    embodied_kg: float = Field(0.0, ge=0, le=1e5)
    lifetime_years: float = Field(5.0, ge=0.1, le=50)
    layer_times_s: dict[str, float] | None = Field(
        None,
        description="measured per-layer times (s) overriding flops / flops_per_s; each in "
        f"[0, {MAX_LAYER_TIME_S:g}] s, each key a layer of the (fused) model",
    )

    @model_validator(mode="after")
    def _check(self) -> Device:
        if self.active_power_w < self.idle_power_w:
            raise ValueError("active_power_w must be ≥ idle_power_w")
        for layer, t in (self.layer_times_s or {}).items():
            check_range(t, 0.0, MAX_LAYER_TIME_S, "s", field=f"layer_times_s[{layer!r}]")
        return self


class Link(Strict):
    """A bidirectional link between devices ``a`` and ``b``."""

    a: str
    b: str
    bandwidth_bytes_per_s: float = Field(ge=1, le=1e16)
    latency_s: float = Field(0.0, ge=0, le=1e4)
    energy_j_per_byte: float = Field(0.0, ge=0, le=1e-3)


class Weights(Strict):
    """Weights of the ``weighted`` objective: carbon_per_g·carbon_g + latency_per_s·latency_s."""

    carbon_per_g: float = Field(1.0, ge=0, le=1e6)
    latency_per_s: float = Field(0.0, ge=0, le=1e6)


class PartitionInstance(Strict):
    problem: Literal["partition"]
    schema_version: Literal[1] = 1
    name: str = ""
    description: str = ""
    objective: Literal["carbon", "latency", "period", "weighted"] = "carbon"
    model: ModelRef
    devices: tuple[Device, ...] = Field(min_length=1, max_length=MAX_DEVICES)
    links: tuple[Link, ...] = Field((), max_length=MAX_DEVICES * (MAX_DEVICES - 1) // 2)
    source: str = Field(description="device where the input arrives")
    sink: str = Field(description="device where the result must return")
    latency_slo_s: float | None = Field(None, ge=1e-6, le=1e6)
    weights: Weights = Weights()

    _graph: object = PrivateAttr(default=None)

    @model_validator(mode="after")
    def _consistent(self, info: ValidationInfo) -> PartitionInstance:
        names = [d.name for d in self.devices]
        require_unique("device", names)
        known = f"(devices: {listing(names)})"
        for what, dev in (("source", self.source), ("sink", self.sink)):
            if dev not in names:
                raise FieldProblem(what, f"{dev!r} is not a device {known}", "use one of them")
        for k, link in enumerate(self.links):
            for end in ("a", "b"):
                if getattr(link, end) not in names:
                    raise FieldProblem(
                        f"links[{k}].{end}",
                        f"{getattr(link, end)!r} is not a device {known}",
                        "use one of them or add the device",
                    )
            if link.a == link.b:
                raise FieldProblem(
                    f"links[{k}]", "a link joins two different devices", "change a or b"
                )
        self._graph = _load_model(self.model, info.context or {})
        _check_layer_times(self.devices, self._graph)
        _check_transfer_size(len(self.devices), self._graph)
        return self

    @property
    def graph(self):  # noqa: ANN201
        """The loaded :class:`~ecoopt.partition.graph.LayerGraph`."""
        return self._graph

    @cached_property
    def data(self) -> PartitionData:
        return PartitionData.build(self)


@dataclass(frozen=True)
class PartitionData:
    """Everything the model, heuristics and evaluator need, as numpy arrays.

    Nodes are the graph's layers in topological order plus two pinned virtual nodes, ``input``
    (on the source device, carrying the input bytes) and ``output`` (on the sink device).
    """

    layers: list[str]  # real layers, topological order
    devices: list[str]
    time_s: np.ndarray  # (L, D) compute time of layer l on device d
    energy_j: np.ndarray  # (L, D) active energy
    carbon_g: np.ndarray  # (L, D) operational (incl. PUE) + embodied share
    param_bytes: np.ndarray  # (L,) whole bytes (rounded up at the boundary)
    memory_bytes: np.ndarray  # (D,)
    edges: list[tuple[int, int]]  # node indices; -1 = input, L = output
    edge_bytes: np.ndarray  # (E,)
    link_time: np.ndarray  # (D, D, E) transfer time of edge over d->e (0 on d==e), inf if no link
    link_energy_j: np.ndarray  # (D, D, E)
    link_carbon_g: np.ndarray  # (D, D, E)
    linked: np.ndarray  # (D, D) bool: a transfer d->e is possible (d == e always)
    link_index: np.ndarray  # (D, D) int: which undirected link, -1 if none or d == e
    bandwidth: np.ndarray  # (D, D) bytes/s, inf where no link
    source: int
    sink: int
    intensity: np.ndarray  # (D,) gCO2/kWh
    pue: np.ndarray  # (D,)
    idle_power_w: np.ndarray  # (D,) drawn by a device hosting a layer while it waits

    def additive_costs(self, objective: str, w: Weights) -> tuple[np.ndarray, np.ndarray]:
        """Per-inference cost of each (layer, device) and each (from, to, edge) transfer.

        carbon: gCO2e; latency: s; weighted: carbon_per_g·carbon + latency_per_s·latency.
        ``period`` is not additive: its additive proxy is latency. Idle carbon is not additive
        either and is left out: the heuristics use these proxies, the MILP and the evaluator
        add the idle draw. Transfers over a missing
        link cost inf.
        """
        if objective == "carbon":
            node, link = self.carbon_g, self.link_carbon_g
        elif objective == "weighted":
            node = w.carbon_per_g * self.carbon_g + w.latency_per_s * self.time_s
            with np.errstate(invalid="ignore"):  # 0 × inf on missing links, masked below
                link = w.carbon_per_g * self.link_carbon_g + w.latency_per_s * self.link_time
        else:
            node, link = self.time_s, self.link_time
        return node, np.where(self.linked[:, :, None], link, np.inf)

    @staticmethod
    def build(inst: PartitionInstance) -> PartitionData:
        from ..carbon import embodied_rate_g_per_h, operational_carbon_g

        g = inst.graph
        layers = list(g.layers)
        pos = {name: i for i, name in enumerate(layers)}
        flops = np.array([g.graph.nodes[n]["flops"] for n in layers], dtype=float)
        # whole bytes, so every sum of them is exact and memory is decided exactly
        # (ecoopt.tolerance.fits_memory); a fractional byte count in a file is rounded up
        params = np.ceil(np.array([g.graph.nodes[n]["param_bytes"] for n in layers], dtype=float))
        out_b = np.array([g.graph.nodes[n]["out_bytes"] for n in layers], dtype=float)
        intensity = np.array([d.static_intensity for d in inst.devices])
        pue = np.array([d.pue for d in inst.devices])
        time_s = flops[:, None] / np.array([d.flops_per_s for d in inst.devices])[None, :]
        bw_mem = np.array([d.memory_bandwidth_bytes_per_s or np.inf for d in inst.devices])
        time_s = np.maximum(time_s, params[:, None] / bw_mem[None, :])  # roofline
        for j, d in enumerate(inst.devices):
            for name, t in (d.layer_times_s or {}).items():
                if name in pos:
                    time_s[pos[name], j] = t
        power = np.array([d.active_power_w for d in inst.devices])
        energy = time_s * power[None, :]
        emb = np.array(
            [
                embodied_rate_g_per_h(d.embodied_kg, d.lifetime_years) / 3600.0
                if d.embodied_kg
                else 0.0
                for d in inst.devices
            ]
        )
        carbon = operational_carbon_g(energy, intensity[None, :], pue[None, :]) + time_s * emb
        edges, eb = _edges(g, layers, out_b)
        names = [d.name for d in inst.devices]
        links = _link_arrays(inst, names, eb, intensity, pue)
        return PartitionData(
            layers=layers,
            devices=names,
            time_s=time_s,
            energy_j=energy,
            carbon_g=carbon,
            param_bytes=params,
            memory_bytes=np.array([d.memory_bytes for d in inst.devices]),
            edges=edges,
            edge_bytes=eb,
            **links,
            source=names.index(inst.source),
            sink=names.index(inst.sink),
            intensity=intensity,
            pue=pue,
            idle_power_w=np.array([d.idle_power_w for d in inst.devices], dtype=float),
        )


def _edges(g, layers: list[str], out_b: np.ndarray) -> tuple[list[tuple[int, int]], np.ndarray]:  # noqa: ANN001
    """Edges as node indices (−1 = input, L = output) and the bytes each carries."""
    pos = {name: i for i, name in enumerate(layers)}
    L = len(layers)
    edges: list[tuple[int, int]] = []
    ebytes: list[float] = []
    for s in (n for n in layers if g.graph.in_degree(n) == 0):
        edges.append((-1, pos[s]))
        ebytes.append(float(g.input_bytes))
    for u, v in g.graph.edges:
        edges.append((pos[u], pos[v]))
        ebytes.append(float(out_b[pos[u]]))
    for t in (n for n in layers if g.graph.out_degree(n) == 0):
        edges.append((pos[t], L))
        ebytes.append(float(out_b[pos[t]]))
    return edges, np.array(ebytes)


def _link_arrays(inst, names, eb, intensity, pue) -> dict[str, np.ndarray]:  # noqa: ANN001
    """Per (from, to[, edge]): linked, link index, bandwidth, transfer time, energy, carbon."""
    from ..carbon import operational_carbon_g

    D = len(names)
    linked = np.eye(D, dtype=bool)
    link_index = np.full((D, D), -1)
    bw = np.full((D, D), np.inf)
    lat = np.zeros((D, D))
    epb = np.zeros((D, D))
    for k, link in enumerate(inst.links):
        a, b = names.index(link.a), names.index(link.b)
        for x, y in ((a, b), (b, a)):
            linked[x, y] = True
            link_index[x, y] = k
            bw[x, y] = link.bandwidth_bytes_per_s
            lat[x, y] = link.latency_s
            epb[x, y] = link.energy_j_per_byte
    off = ~np.eye(D, dtype=bool)
    link_time = np.where(
        linked[:, :, None] & off[:, :, None],
        lat[:, :, None] + eb[None, None, :] / bw[:, :, None],
        np.where(linked[:, :, None], 0.0, np.inf),
    )
    link_energy = np.where(off[:, :, None], epb[:, :, None] * eb[None, None, :], 0.0)
    # transfer energy is charged at the sending device's grid intensity and PUE
    link_carbon = operational_carbon_g(link_energy, intensity[:, None, None], pue[:, None, None])
    return dict(
        link_time=link_time,
        link_energy_j=link_energy,
        link_carbon_g=link_carbon,
        linked=linked,
        link_index=link_index,
        bandwidth=bw,
    )
