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


def draw_layer(draw, name: str, inputs: list[str]) -> tuple:  # noqa: ANN001
    """One random layer row for :func:`write_graph` (hypothesis ``draw``): FLOPs 1e6-1e9, output
    1e3-1e6 B, parameters 0-5e8 B."""
    from hypothesis import strategies as st

    flops, out_bytes = draw(st.floats(1e6, 1e9)), draw(st.floats(1e3, 1e6))
    return (name, inputs, flops, out_bytes, draw(st.floats(0, 5e8)))


def draw_link_spec(draw) -> dict:  # noqa: ANN001
    """Random link fields: bandwidth 1e5-1e9 B/s, latency 0-0.05 s, 0-1e-6 J per byte."""
    from hypothesis import strategies as st

    return {
        "bandwidth_bytes_per_s": draw(st.floats(1e5, 1e9)),
        "latency_s": draw(st.floats(0, 0.05)),
        "energy_j_per_byte": draw(st.floats(0, 1e-6)),
    }
