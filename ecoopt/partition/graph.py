"""DNN layer graphs for the partition problem: load, validate, fuse, linearise.

A layer graph is a DAG whose nodes are layers and whose edges carry tensors. Every edge has
``bytes``, the ``out_bytes`` of its source (B). Every node has

* ``flops`` -- floating-point operations of one forward pass (FLOP, float);
* ``out_bytes`` -- bytes of the layer's output tensor, the bytes sent along each out-edge (B);
* ``param_bytes`` -- bytes of the layer's weights, which must be resident on its device (B);
* ``kv_cache_bytes`` -- bytes of the KV cache the layer keeps (B; 0 for CNNs);
* ``type`` -- the module or function type (``Conv2d``, ``add``, ``LlamaDecoderLayer``, ...);
* ``fused`` -- names of the trivial nodes merged into this one (empty without fusion).

Bundled models live in ``models/layer_graphs/{name}_layers.csv`` (origin and licence in
``models/SOURCES.md``). Two CSV layouts are read:

* CNNs (torch.fx, one row per graph node): ``idx,name,op,target,type,inputs,out_shape,...,
  out_bytes_fp32,params,param_bytes_fp32,macs,flops``; ``op == "placeholder"`` rows are the
  graph input and ``op == "output"`` rows (if any) the graph output -- neither is a layer;
* transformers (block-level chains): ``idx,name,type,inputs,out_shape,...,out_bytes,params,
  param_bytes,macs,flops,kv_cache_bytes``; the first row's ``inputs`` names the graph input
  (``input_ids``), which is not a row.

``inputs`` lists the predecessors' names separated by ``;``. Bytes are taken from ``out_bytes`` /
``param_bytes`` when present, else from ``out_bytes_fp32`` / ``param_bytes_fp32``.
"""

from __future__ import annotations

import csv
import math
from dataclasses import dataclass
from pathlib import Path
from typing import NamedTuple

import networkx as nx
import pandas as pd

from ..errors import EcoOptError

__all__ = [
    "FUSED_TYPES",
    "ChainLayer",
    "LayerGraph",
    "LayerGraphError",
    "available_models",
    "chain_of",
    "load_layer_graph",
    "measured_orin_nano_mobilenet_v2",
]

FUSED_TYPES: frozenset[str] = frozenset(
    {
        # present in the bundled CNNs
        "BatchNorm2d",
        "ReLU",
        "ReLU6",
        "SiLU",
        "Sigmoid",
        "Dropout",
        "add",
        "mul",
        "flatten",
        "stochastic_depth",
        # same kind, absent from the bundled CSVs
        "BatchNorm1d",
        "GELU",
        "Hardswish",
        "Identity",
        "cat",
    }
)
"""Node ``type`` values that fusion merges into a producer (elementwise, normalisation, reshape).

Convolutions, linear layers, pooling and transformer blocks are never fused.
"""

TOKEN_ID_BYTES: int = 4
"""Bytes of one token id (int32), used for the input of transformer graphs."""

_REQUIRED = ("name", "type", "inputs", "out_shape", "flops")
_BYTES = {"out_bytes": "out_bytes_fp32", "param_bytes": "param_bytes_fp32"}


class LayerGraphError(EcoOptError, ValueError):
    """A layer-graph CSV is malformed; the message names the file, row and column."""


class ChainLayer(NamedTuple):
    """One layer of a linearised graph (see :func:`chain_of`)."""

    layer: str
    flops: float  # FLOP
    param_bytes: float  # B
    cut_bytes_after: float  # B crossing a cut placed right after this layer


@dataclass(frozen=True)
class LayerGraph:
    """A DNN as a DAG of layers, with the bytes entering and leaving it.

    Attributes
    ----------
    name : str
        Model name (the CSV file name without ``_layers.csv``).
    graph : networkx.DiGraph
        Frozen DAG of layers; node attributes as in the module docstring.
    input_bytes : float
        Bytes of the graph input, B: the placeholder's ``out_bytes`` for CNNs (the fp32 image,
        602,112 B at 1x3x224x224); for transformers, the token ids, ``TOKEN_ID_BYTES`` per
        position of the first row's output (512 B for BERT at 128 tokens, 4 B for one decode
        token). The first row's ``out_bytes`` (the embedding's output) is not used: the
        embedding is itself a layer that can be placed.
    """

    name: str
    graph: nx.DiGraph
    input_bytes: float

    @property
    def layers(self) -> list[str]:
        """Layer names in topological order (ties broken by CSV order)."""
        return _topological_order(self.graph)

    @property
    def is_chain(self) -> bool:
        """True if the layers form one path: one source, one sink, degrees at most 1."""
        g = self.graph
        if g.number_of_nodes() == 0:
            return False
        if any(g.in_degree(n) > 1 or g.out_degree(n) > 1 for n in g):
            return False
        sources = sum(1 for n in g if g.in_degree(n) == 0)
        sinks = sum(1 for n in g if g.out_degree(n) == 0)
        return sources == 1 and sinks == 1

    @property
    def total_flops(self) -> float:
        """FLOPs of one forward pass, FLOP."""
        return sum(d["flops"] for _, d in self.graph.nodes(data=True))

    @property
    def total_param_bytes(self) -> float:
        """Bytes of all weights, B."""
        return sum(d["param_bytes"] for _, d in self.graph.nodes(data=True))

    @property
    def output_bytes(self) -> float:
        """Bytes of the graph output, B: the ``out_bytes`` of the sink (summed if several)."""
        g = self.graph
        return sum(g.nodes[n]["out_bytes"] for n in g if g.out_degree(n) == 0)


def _topological_order(g: nx.DiGraph) -> list[str]:
    position = {n: i for i, n in enumerate(g.nodes)}
    return list(nx.lexicographical_topological_sort(g, key=position.__getitem__))


def _repo_root() -> Path:
    """The repository root: the parent of the ``ecoopt`` package directory."""
    return Path(__file__).resolve().parents[2]


def _model_dir(base_dir: str | Path | None) -> Path:
    """``base_dir/models/layer_graphs``; by default the repository's, or, in an installed
    ecoopt without the repository, the copy installed as the ``ecoopt._models`` package."""
    if base_dir is not None:
        return Path(base_dir) / "models" / "layer_graphs"
    repo = _repo_root() / "models" / "layer_graphs"
    if repo.is_dir():
        return repo
    from importlib.resources import files

    # ecoopt._models is data only (no __init__): reach it through the ecoopt package itself
    return Path(str(files("ecoopt"))) / "_models" / "layer_graphs"


def available_models(base_dir: str | Path | None = None) -> list[str]:
    """Names of the bundled layer graphs (``resnet50``, ``llama2_7b_decode1``, ...), sorted."""
    suffix = "_layers.csv"
    return sorted(p.name[: -len(suffix)] for p in _model_dir(base_dir).glob(f"*{suffix}"))


#: stated ranges of a layer's numbers (per forward pass) and of a layer graph's size
MAX_LAYER_FLOPS = 1e18
MAX_LAYER_BYTES = 1e15
MAX_LAYERS = 100_000


def _number(text: str, where: str, high: float) -> float:
    """A finite number in [0, high] from one CSV cell (an overlong cell is not echoed whole)."""
    shown = text if len(text) <= 40 else text[:37] + "..."
    try:
        value = float(text)
    except ValueError:
        raise LayerGraphError(f"{where}: not a number: {shown!r}") from None
    if not math.isfinite(value):
        raise LayerGraphError(f"{where}: not a finite number: {shown!r}")
    if not 0 <= value <= high:
        raise LayerGraphError(
            f"{where}: {value:g} is outside the stated range [0, {high:g}] (use a value within it)"
        )
    return value


def _rows(reader: csv.DictReader, file: str, numeric: dict[str, str]) -> list[tuple]:
    """(row number, name, op, attributes, inputs, out_shape) per CSV row, each number checked."""
    rows: list[tuple] = []
    for rec in reader:
        row = reader.line_num
        name = (rec["name"] or "").strip()
        if not name:
            raise LayerGraphError(f"{file} row {row} column name: empty")
        if len(rows) >= MAX_LAYERS:
            raise LayerGraphError(f"{file}: at most {MAX_LAYERS:,} rows (layers)")
        attrs = {
            key: _number(
                rec[col] or "",
                f"{file} row {row} column {col}",
                MAX_LAYER_FLOPS if key == "flops" else MAX_LAYER_BYTES,
            )
            for key, col in numeric.items()
        }
        attrs.setdefault("kv_cache_bytes", 0.0)
        attrs["type"] = rec["type"] or ""
        inputs = [s.strip() for s in (rec["inputs"] or "").split(";") if s.strip()]
        rows.append((row, name, (rec.get("op") or "").strip(), attrs, inputs, rec["out_shape"]))
    return rows


def _read_csv(path: Path) -> tuple[nx.DiGraph, float]:
    """Parse and validate a layer CSV; return the unfused graph and the input bytes."""
    file = path.name
    with path.open(newline="") as f:
        reader = csv.DictReader(f)
        header = reader.fieldnames or []
        cols = {key: key if key in header else alt for key, alt in _BYTES.items()}
        missing = [c for c in _REQUIRED if c not in header]
        missing += [f"{k} (or {a})" for k, a in _BYTES.items() if cols[k] not in header]
        if missing:
            raise LayerGraphError(f"{file} row 1 (header): missing column {', '.join(missing)}")
        numeric = {"flops": "flops", **cols}
        if "kv_cache_bytes" in header:
            numeric["kv_cache_bytes"] = "kv_cache_bytes"
        rows = _rows(reader, file, numeric)
    if not rows:
        raise LayerGraphError(f"{file}: no rows")

    row_of: dict[str, int] = {}
    for row, name, *_ in rows:
        if name in row_of:
            raise LayerGraphError(
                f"{file} row {row} column name: {name!r} repeats row {row_of[name]}"
            )
        row_of[name] = row
    placeholders = {name for _, name, op, *_ in rows if op == "placeholder"}
    dropped = placeholders | {name for _, name, op, *_ in rows if op == "output"}
    g = nx.DiGraph()
    for k, (row, name, _op, attrs, inputs, _) in enumerate(rows):
        external_ok = k == 0 and not placeholders  # a transformer's input_ids
        for p in inputs:
            if p not in row_of and not external_ok:
                raise LayerGraphError(f"{file} row {row} column inputs: unknown node {p!r}")
        if name not in dropped:
            g.add_node(name, **attrs, fused=())
            g.add_edges_from((p, name) for p in inputs if p in row_of and p not in dropped)
    try:
        cycle = nx.find_cycle(g)
    except nx.NetworkXNoCycle:
        cycle = None
    if cycle:
        names = " -> ".join([u for u, _ in cycle] + [cycle[0][0]])
        raise LayerGraphError(f"{file} row {row_of[cycle[0][1]]} column inputs: cycle {names}")
    if g.number_of_nodes() == 0:
        raise LayerGraphError(f"{file}: no layers (only placeholder/output rows)")

    if placeholders:
        input_bytes = sum(a["out_bytes"] for _, n, _, a, _, _ in rows if n in placeholders)
    else:
        row, *_, shape = rows[0]
        try:
            dims = [int(s) for s in (shape or "").lower().split("x")]
        except ValueError:
            raise LayerGraphError(
                f"{file} row {row} column out_shape: not a shape like 1x128x768: {shape!r}"
            ) from None
        input_bytes = float(TOKEN_ID_BYTES * math.prod(dims[:-1]))
        if not 0 < input_bytes <= MAX_LAYER_BYTES:
            raise LayerGraphError(
                f"{file} row {row} column out_shape: the input's {input_bytes:g} bytes are "
                f"outside the stated range (0, {MAX_LAYER_BYTES:g}]"
            )
    return g, input_bytes


def _fuse(g: nx.DiGraph) -> nx.DiGraph:
    """Merge every node whose type is in ``FUSED_TYPES`` into a producer (see load_layer_graph)."""
    order = _topological_order(g)
    position = {n: i for i, n in enumerate(order)}
    owner: dict[str, str] = {}  # original node -> node of the fused graph that holds it
    fused = nx.DiGraph()
    for n in order:
        attrs = g.nodes[n]
        preds = sorted({owner[p] for p in g.predecessors(n)}, key=position.__getitem__)
        if attrs["type"] in FUSED_TYPES and preds:
            target, others = preds[-1], preds[:-1]
            t = fused.nodes[target]
            for key in ("flops", "param_bytes", "kv_cache_bytes"):
                t[key] += attrs[key]
            t["out_bytes"] = attrs["out_bytes"]
            t["fused"] += (n,)
            fused.add_edges_from((p, target) for p in others)
            owner[n] = target
        else:
            fused.add_node(n, **attrs)
            fused.add_edges_from((p, n) for p in preds)
            owner[n] = n
    return fused


def load_layer_graph(
    path_or_name: str | Path, *, fuse: bool = True, base_dir: str | Path | None = None
) -> LayerGraph:
    """Load a DNN layer graph from a CSV file or a bundled model name.

    Parameters
    ----------
    path_or_name : str or Path
        A CSV path, or a bundled model name such as ``"resnet50"`` or ``"llama2_7b_decode1"``
        (read from ``models/layer_graphs/{name}_layers.csv``). A ``Path``, or a string ending
        in ``.csv`` or containing a path separator, is a path.
    fuse : bool
        Merge trivial nodes into their producers (default True), as inference engines do.
        A node whose ``type`` is in :data:`FUSED_TYPES` (BatchNorm, ReLU/ReLU6/SiLU/Sigmoid,
        Dropout, ``add``, ``mul``, ``flatten``, ``stochastic_depth``, ...) is merged into its
        predecessor; with several predecessors (a residual ``add``, a squeeze-excitation ``mul``)
        into the one last in topological order, and the other in-edges are re-pointed to it, so
        the residual edge still carries the other branch's ``out_bytes``. The producer gains
        the node's ``flops``, ``param_bytes`` and ``kv_cache_bytes`` and takes its ``out_bytes``;
        its ``fused`` attribute lists the merged names. Totals are preserved exactly, and in the
        bundled CNNs every fused edge still carries exactly the bytes of the tensor it stands
        for. A trivial node without a predecessor layer stays. Layers, unfused -> fused (what
        remains is the convolutions, linear layers and pooling): ResNet-18 69 -> 23, ResNet-50
        175 -> 56, MobileNetV2 153 -> 54 (TensorRT also runs it as 54 layers), VGG-16 40 -> 22,
        EfficientNet-B0 249 -> 99; transformer chains are unchanged (no trivial nodes).
    base_dir : str or Path, optional
        Directory holding ``models/``; default the repository root (the parent of the
        ``ecoopt`` package directory).

    Returns
    -------
    LayerGraph
        Placeholder and output rows are dropped; their bytes are kept as ``input_bytes`` and
        ``output_bytes``.

    Raises
    ------
    LayerGraphError
        (a ``ValueError``) for an unknown model name (the message lists the available ones) or
        a malformed file: a missing column, a value that is not a finite number or is negative,
        an ``inputs`` entry naming no row, a repeated name, or a cycle. The message names the
        file, the row (the line number in the file; the header is row 1) and the column, e.g.
        ``resnet50_layers.csv row 13 column flops: not a number: 'abc'``.
    FileNotFoundError
        If a path is given and does not exist.
    """
    text = str(path_or_name)
    if isinstance(path_or_name, Path) or text.endswith(".csv") or "/" in text or "\\" in text:
        path = Path(path_or_name)
    else:
        path = _model_dir(base_dir) / f"{text}_layers.csv"
        if not path.is_file():
            known = ", ".join(available_models(base_dir)) or "none"
            raise LayerGraphError(f"unknown model {text!r}; available models: {known}")
    graph, input_bytes = _read_csv(path)
    if fuse:
        graph = _fuse(graph)
    for u, v in graph.edges:
        graph.edges[u, v]["bytes"] = graph.nodes[u]["out_bytes"]
    name = path.name.removesuffix(".csv").removesuffix("_layers")
    return LayerGraph(name=name, graph=nx.freeze(graph), input_bytes=input_bytes)


def chain_of(graph: LayerGraph | nx.DiGraph) -> list[ChainLayer]:
    """Linearise a layer DAG for split-point partitioners.

    Layers are taken in topological order; cutting after layer ``i`` sends every output of a
    layer at or before ``i`` that is consumed by a layer after ``i``.

    Parameters
    ----------
    graph : LayerGraph or networkx.DiGraph
        Nodes need ``flops``, ``param_bytes`` and ``out_bytes``.

    Returns
    -------
    list of ChainLayer
        ``(layer, flops, param_bytes, cut_bytes_after)`` per layer, FLOP and B.
        ``cut_bytes_after`` is the sum of ``out_bytes`` of the layers up to and including this
        one that have a successor after it; it is 0 for the last layer (the graph output is
        ``LayerGraph.output_bytes``). For a chain it is each layer's ``out_bytes``.
    """
    g = graph.graph if isinstance(graph, LayerGraph) else graph
    order = _topological_order(g)
    position = {n: i for i, n in enumerate(order)}
    last_use = {n: max((position[s] for s in g.successors(n)), default=-1) for n in order}
    chain = []
    for i, n in enumerate(order):
        cut = sum(g.nodes[u]["out_bytes"] for u in order[: i + 1] if last_use[u] > i)
        attrs = g.nodes[n]
        chain.append(ChainLayer(n, attrs["flops"], attrs["param_bytes"], float(cut)))
    return chain


def measured_orin_nano_mobilenet_v2(*, base_dir: str | Path | None = None) -> pd.DataFrame:
    """Measured per-layer runtime and power of MobileNetV2 on a Jetson Orin Nano.

    TensorRT FP16, JetPack 6.1, batch 1 (fuzzylabs/edge-vision-power-estimation, Apache-2.0;
    see ``models/SOURCES.md``). Rows are TensorRT layers (fused conv + BN (+ add); 53
    convolutional including the classifier, 1 pooling), not the fx nodes of
    ``load_layer_graph("mobilenet_v2")``.

    Units, converted here: the files' ``runtime`` is in **ms** and ``power`` in **µW**.
    Evidence: upstream's preprocessing turns each TensorRT profiler time into
    ``timedelta(milliseconds=...)`` and computes power as mV x mA (INA3221 ``in1_input`` x
    ``curr1_input``) into a column named ``layer_power_excluding_idle_power_micro_watt``. The
    totals agree: the 54 runtimes sum to 1.52, i.e. 1.52 ms per inference, the expected
    TensorRT FP16 latency of MobileNetV2 on an Orin Nano (1.52 s would be ~1000x too slow), and
    the power is 2.37e6 µW = 2.37 W (mW would give 2.4 kW, impossible for a 7-15 W module).
    The power is the board input power **above idle**, averaged over the layer's time window;
    it is almost constant (2.370-2.375 W) because the sensor samples far more slowly than a
    layer runs (13-170 µs), so it does not resolve per-layer differences.

    Parameters
    ----------
    base_dir : str or Path, optional
        Directory holding ``models/``; default the repository root.

    Returns
    -------
    pandas.DataFrame
        Columns ``layer_name`` (TensorRT layer name), ``runtime_s`` (s), ``power_w`` (W above
        idle); convolutional layers first, then pooling, in file order.
    """
    folder = _model_dir(base_dir) / "measured_jetson_orin_nano"
    parts = [pd.read_csv(folder / f"mobilenet_v2_{k}.csv") for k in ("convolutional", "pooling")]
    raw = pd.concat(parts, ignore_index=True)
    return pd.DataFrame(
        {
            "layer_name": raw["layer_name"].astype(str),
            "runtime_s": raw["runtime"].astype(float) / 1e3,
            "power_w": raw["power"].astype(float) / 1e6,
        }
    )


def orin_nano_mobilenet_v2_layer_times(*, base_dir: str | Path | None = None) -> dict[str, float]:
    """Measured per-layer times (s) of MobileNetV2 on a Jetson Orin Nano, keyed by the fused
    layer names of ``load_layer_graph("mobilenet_v2")``.

    TensorRT names its 54 fused layers after the PyTorch module path of their first operator
    (``[CONVOLUTION]-[...]-[/features/1/conv/0/0/convolution_1] + [SCALE]...``); that path with
    ``/`` → ``_`` is the fx layer name (``features_1_conv_0_0``); the global mean is the fx
    ``adaptive_avg_pool2d``. All 54 measured layers map one-to-one onto the 54 fused layers.
    """
    import re

    out: dict[str, float] = {}
    for name, t in zip(
        *(
            measured_orin_nano_mobilenet_v2(base_dir=base_dir)[c]
            for c in ("layer_name", "runtime_s")
        )
    ):
        m = re.search(r"\]-\[/([^\]]*?)/(?:convolution|addmm)", name)
        key = (
            m.group(1).replace("/", "_")
            if m
            else ("adaptive_avg_pool2d" if "mean" in name else name)
        )
        out[key] = float(t)
    return out
