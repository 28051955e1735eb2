"""Layer graphs for the partition problem: bundled models, fusion, chains, validation."""

from __future__ import annotations

import csv
from pathlib import Path

import networkx as nx
import pandas as pd
import pytest

from ecoopt.partition.graph import (
    FUSED_TYPES,
    LayerGraph,
    available_models,
    chain_of,
    load_layer_graph,
    measured_orin_nano_mobilenet_v2,
)

ROOT = Path(__file__).resolve().parents[1]
LAYER_DIR = ROOT / "models" / "layer_graphs"
CNNS = ["resnet18", "resnet50", "mobilenet_v2", "vgg16", "efficientnet_b0"]
TRANSFORMERS = [
    "bert_base_seq128",
    *(
        f"{m}_{p}"
        for m in ("tinyllama_1.1b", "llama2_7b", "llama3_8b")
        for p in ("prefill512", "decode1")
    ),
]
MODELS = CNNS + TRANSFORMERS
FUSED_NODES = {
    "resnet18": 23,
    "resnet50": 56,
    "mobilenet_v2": 54,
    "vgg16": 22,
    "efficientnet_b0": 99,
}


def _rows(name: str) -> list[dict[str, str]]:
    with (LAYER_DIR / f"{name}_layers.csv").open(newline="") as f:
        return list(csv.DictReader(f))


def _summary(name: str) -> pd.Series:
    cnn = pd.read_csv(LAYER_DIR / "cnn_summary.csv").set_index("model")
    if name in cnn.index:
        row = cnn.loc[name]
        return pd.Series(
            {"flops": row["flops_all_counted"], "param_bytes": row["param_bytes_fp32"]}
        )
    return pd.read_csv(LAYER_DIR / "transformer_summary.csv").set_index("model").loc[name]


@pytest.fixture(scope="module")
def graphs() -> dict[tuple[str, bool], LayerGraph]:
    return {(m, fuse): load_layer_graph(m, fuse=fuse) for m in MODELS for fuse in (False, True)}


def test_every_bundled_model_is_available():
    assert available_models() == sorted(MODELS)


@pytest.mark.parametrize("name", MODELS)
def test_unfused_graph_matches_csv(name, graphs):
    g = graphs[name, False]
    rows = _rows(name)
    layers = [r for r in rows if r.get("op") not in ("placeholder", "output")]
    assert g.name == name
    assert g.graph.number_of_nodes() == len(layers)
    assert g.layers == [r["name"] for r in layers]  # CSV order is a topological order
    assert nx.is_directed_acyclic_graph(g.graph)
    for _, d in g.graph.nodes(data=True):
        assert {"flops", "out_bytes", "param_bytes", "type", "kv_cache_bytes"} <= d.keys()
        assert all(isinstance(d[k], float) for k in ("flops", "out_bytes", "param_bytes"))
        assert d["fused"] == ()
    first, last = layers[0], layers[-1]
    assert g.output_bytes == float(last.get("out_bytes") or last["out_bytes_fp32"])
    if name in CNNS:
        assert rows[0]["op"] == "placeholder"
        assert g.input_bytes == float(rows[0]["out_bytes_fp32"]) == 3 * 224 * 224 * 4
        assert all(d["kv_cache_bytes"] == 0.0 for _, d in g.graph.nodes(data=True))
    else:  # int32 token ids: 1 x seq positions
        seq = int(first["out_shape"].split("x")[1])
        assert g.input_bytes == 4 * seq
        assert sum(d["kv_cache_bytes"] for _, d in g.graph.nodes(data=True)) == sum(
            float(r["kv_cache_bytes"]) for r in rows
        )


@pytest.mark.parametrize("name", MODELS)
def test_fusion_preserves_totals_exactly(name, graphs):
    unfused, fused = graphs[name, False], graphs[name, True]
    ref = _summary(name)
    # integer-valued floats below 2**53: sums are exact in any order
    assert unfused.total_flops == fused.total_flops == ref["flops"]
    assert unfused.total_param_bytes == fused.total_param_bytes == ref["param_bytes"]
    assert fused.input_bytes == unfused.input_bytes
    assert fused.output_bytes == unfused.output_bytes
    merged = [x for _, d in fused.graph.nodes(data=True) for x in d["fused"]]
    assert len(merged) == len(set(merged))
    assert set(fused.graph) | set(merged) == set(unfused.graph)


@pytest.mark.parametrize("name", CNNS)
def test_fusion_keeps_only_compute_layers_and_true_edge_bytes(name, graphs):
    unfused, fused = graphs[name, False].graph, graphs[name, True].graph
    assert fused.number_of_nodes() == FUSED_NODES[name]
    assert not {d["type"] for _, d in fused.nodes(data=True)} & FUSED_TYPES
    owner = {x: n for n, d in fused.nodes(data=True) for x in (n, *d["fused"])}
    crossing = {(owner[a], owner[b]) for a, b in unfused.edges if owner[a] != owner[b]}
    assert crossing == set(fused.edges)
    for a, b in unfused.edges:  # each fused edge carries exactly the original tensor's bytes
        if owner[a] != owner[b]:
            assert fused.nodes[owner[a]]["out_bytes"] == unfused.nodes[a]["out_bytes"]
            assert fused.edges[owner[a], owner[b]]["bytes"] == unfused.nodes[a]["out_bytes"]


def test_resnet50_fusion_details(graphs):
    unfused, fused = graphs["resnet50", False], graphs["resnet50", True]
    assert unfused.graph.number_of_nodes() == 175
    assert fused.graph.number_of_nodes() < unfused.graph.number_of_nodes() / 3
    # conv1 + bn1 + relu become one node with the relu's output
    conv1 = fused.graph.nodes["conv1"]
    assert conv1["fused"] == ("bn1", "relu")
    assert conv1["flops"] == sum(unfused.graph.nodes[n]["flops"] for n in ("conv1", "bn1", "relu"))
    # the first residual add merges into the downsample conv; conv3 keeps its edge to it
    ds = fused.graph.nodes["layer1_0_downsample_0"]
    assert "add" in ds["fused"]
    assert fused.graph.has_edge("layer1_0_conv3", "layer1_0_downsample_0")
    assert fused.graph.in_degree("layer1_0_downsample_0") == 2


def test_chains(graphs):
    for name in TRANSFORMERS:
        assert graphs[name, True].is_chain and graphs[name, False].is_chain, name
    assert graphs["vgg16", True].is_chain
    for name in ("resnet18", "resnet50", "mobilenet_v2", "efficientnet_b0"):
        assert not graphs[name, True].is_chain, name


@pytest.mark.parametrize("name", ["vgg16", "bert_base_seq128", "llama2_7b_decode1"])
def test_chain_of_a_chain_cuts_at_out_bytes(name, graphs):
    g = graphs[name, True]
    chain = chain_of(g)
    nodes = g.graph.nodes
    assert [c.layer for c in chain] == g.layers
    assert chain[0].cut_bytes_after == nodes[g.layers[0]]["out_bytes"]
    assert [c.cut_bytes_after for c in chain[:-1]] == [nodes[n]["out_bytes"] for n in g.layers[:-1]]
    assert chain[-1].cut_bytes_after == 0.0
    assert sum(c.flops for c in chain) == g.total_flops
    assert sum(c.param_bytes for c in chain) == g.total_param_bytes


def test_chain_of_a_dag_counts_the_residual_branch(graphs):
    g = graphs["resnet50", True]
    chain = {c.layer: c for c in chain_of(g)}
    nodes = g.graph.nodes
    # after layer1_0_conv1 both the block input (maxpool, needed by the downsample) and
    # conv1's output cross the cut
    assert chain["layer1_0_conv1"].cut_bytes_after == (
        nodes["maxpool"]["out_bytes"] + nodes["layer1_0_conv1"]["out_bytes"]
    )
    assert chain_of(g.graph) == list(chain.values())


def test_chain_of_small_dag():
    g = nx.DiGraph()
    for n, b in (("a", 10.0), ("b", 20.0), ("c", 30.0), ("d", 40.0)):
        g.add_node(n, flops=1.0, param_bytes=2.0, out_bytes=b)
    g.add_edges_from([("a", "b"), ("a", "c"), ("b", "d"), ("c", "d")])
    assert [c.cut_bytes_after for c in chain_of(g)] == [10.0, 30.0, 50.0, 0.0]


def test_load_by_path_and_base_dir(tmp_path):
    by_path = load_layer_graph(LAYER_DIR / "vgg16_layers.csv")
    assert by_path.name == "vgg16"
    assert by_path.graph.number_of_nodes() == FUSED_NODES["vgg16"]
    (tmp_path / "models" / "layer_graphs").mkdir(parents=True)
    src = LAYER_DIR / "resnet18_layers.csv"
    (tmp_path / "models" / "layer_graphs" / "tiny_layers.csv").write_text(src.read_text())
    assert load_layer_graph("tiny", base_dir=tmp_path).graph.number_of_nodes() == 23
    with pytest.raises(ValueError, match="available models: tiny$"):
        load_layer_graph("resnet18", base_dir=tmp_path)


def test_graph_is_frozen(graphs):
    with pytest.raises(nx.NetworkXError):
        graphs["vgg16", True].graph.add_node("extra")


def test_unknown_model_lists_available():
    with pytest.raises(ValueError, match="unknown model 'resnet51'") as err:
        load_layer_graph("resnet51")
    for name in MODELS:
        assert name in str(err.value)


HEADER = "idx,name,op,target,type,inputs,out_shape,out_bytes_fp32,param_bytes_fp32,flops"
GOOD = [
    "0,x,placeholder,x,input,,1x3,12,0,0",
    "1,conv,call_module,conv,Conv2d,x,1x4,16,8,100",
    "2,relu,call_module,relu,ReLU,conv,1x4,16,0,4",
    "3,fc,call_module,fc,Linear,relu,1x2,8,40,16",
]


def _write(tmp_path: Path, lines: list[str], header: str = HEADER) -> Path:
    path = tmp_path / "tiny_layers.csv"
    path.write_text("\n".join([header, *lines]) + "\n")
    return path


def test_small_csv_loads(tmp_path):
    g = load_layer_graph(_write(tmp_path, GOOD))
    assert g.layers == ["conv", "fc"]
    assert g.graph.nodes["conv"]["flops"] == 104.0
    assert (g.input_bytes, g.output_bytes, g.total_param_bytes) == (12.0, 8.0, 48.0)
    output_row = "4,output,output,output,output,fc,1x2,8,0,0"
    assert load_layer_graph(_write(tmp_path, [*GOOD, output_row]), fuse=False).layers == [
        "conv",
        "relu",
        "fc",
    ]


@pytest.mark.parametrize(
    ("header", "lines", "message"),
    [
        (
            HEADER.replace(",flops", ""),
            [line.rsplit(",", 1)[0] for line in GOOD],
            "tiny_layers.csv row 1 (header): missing column flops",
        ),
        (
            HEADER.replace("out_bytes_fp32", "size"),
            GOOD,
            "row 1 (header): missing column out_bytes (or out_bytes_fp32)",
        ),
        (HEADER, [*GOOD[:2], GOOD[2].replace(",4", ",abc")], "row 4 column flops: not a number"),
        (HEADER, [*GOOD[:3], GOOD[3].replace(",16", ",nan")], "row 5 column flops: not a finite"),
        (
            HEADER,
            [*GOOD[:1], GOOD[1].replace(",16,", ",-16,")],
            "row 3 column out_bytes_fp32: -16 is outside the stated range",
        ),
        (
            HEADER,
            [*GOOD[:3], GOOD[3].replace(",relu,", ",relu;ghost,")],
            "row 5 column inputs: unknown node 'ghost'",
        ),
        (
            HEADER,
            [*GOOD[:1], GOOD[1].replace(",x,", ",x;fc,"), *GOOD[2:]],
            "column inputs: cycle conv -> relu -> fc -> conv",
        ),
        (HEADER, [*GOOD, GOOD[3]], "row 6 column name: 'fc' repeats row 5"),
        (HEADER, GOOD[:1], "no layers"),
    ],
)
def test_malformed_csv_is_rejected(tmp_path, header, lines, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        load_layer_graph(_write(tmp_path, lines, header))


def test_transformer_layout_only_allows_an_external_input_on_the_first_row(tmp_path):
    header = "idx,name,type,inputs,out_shape,out_bytes,param_bytes,flops,kv_cache_bytes"
    rows = ["0,emb,Embedding,input_ids,1x8x16,256,64,0,0", "1,blk,Block,emb,1x8x16,256,32,10,5"]
    g = load_layer_graph(_write(tmp_path, rows, header))
    assert g.input_bytes == 8 * 4
    assert g.graph.nodes["blk"]["kv_cache_bytes"] == 5.0
    rows[1] = rows[1].replace(",emb,", ",emb;input_ids,")
    with pytest.raises(ValueError, match="row 3 column inputs: unknown node 'input_ids'"):
        load_layer_graph(_write(tmp_path, rows, header))


def test_measured_orin_nano_units():
    df = measured_orin_nano_mobilenet_v2()
    assert list(df.columns) == ["layer_name", "runtime_s", "power_w"]
    assert len(df) == 54  # TensorRT layers; the fused fx graph also has 54
    total = df["runtime_s"].sum()
    assert 1e-3 < total < 2e-3  # ~1.5 ms per inference: TensorRT FP16 on an Orin Nano
    assert df["power_w"].between(2.3, 2.4).all()  # W above idle
    assert df["layer_name"].is_unique
