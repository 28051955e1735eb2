"""Tiny layer-graph CSVs for partition tests (the columns of models/layer_graphs)."""

from __future__ import annotations

from pathlib import Path

HEADER = (
    "idx,name,op,target,type,inputs,out_shape,out_elems,out_bytes_fp32,params,"
    "param_bytes_fp32,macs,flops\n"
)


def write_graph(path: Path, layers, input_bytes: float) -> Path:
    """layers: [(name, inputs list, flops, out_bytes, param_bytes)]; 'x' is the graph input."""
    rows = [f"0,x,placeholder,x,input,,1,1,{input_bytes},0,0,0,0"]
    for i, (name, inputs, flops, out_b, par) in enumerate(layers, start=1):
        rows.append(
            f"{i},{name},call_module,{name},Linear,{';'.join(inputs)},1,1,{out_b},0,{par},0,{flops}"
        )
    path.write_text(HEADER + "\n".join(rows) + "\n")
    return path


def graph_instance(
    folder: Path,
    layers,  # noqa: ANN001
    devices: list[dict],
    links: list[dict],
    *,
    source: str = "d0",
    sink: str = "d0",
    input_bytes: float = 1e5,
    slo: float | None = None,
    weights: dict | None = None,
):  # noqa: ANN201
    """A partition instance over the layer graph ``layers`` (written to ``folder``), the
    devices and links given, optionally an SLO and objective weights."""
    import ecoopt

    csv = write_graph(folder / "g_layers.csv", layers, input_bytes)
    data = {
        "problem": "partition",
        "model": {"path": csv.name, "fuse": False},
        "source": source,
        "sink": sink,
        "devices": devices,
        "links": links,
    }
    if slo is not None:
        data["latency_slo_s"] = slo
    if weights is not None:
        data["weights"] = weights
    return ecoopt.from_dict(data, base_dir=folder)
