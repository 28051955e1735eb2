"""Regenerate the data files of the hostile-input corpus (``python tests/hostile/make_corpus.py``).

Every file here is written by this script from two small valid instances (``gs_ok.yaml``,
``p_ok.yaml``), each case changing one thing. The manifest, ``cases.yaml``, is written by hand:
it says what each file is for and what ecoopt must answer. Symlinks and FIFOs are not
committed; ``tests/test_hostile_corpus.py`` makes them in a temporary folder (``setup:``).

Bundled instances copied here (``gs_bundled_*``) are copies so that every file the corpus names
lies inside this folder.
"""

from __future__ import annotations

import copy
import json
import math
import random
import shutil
from pathlib import Path

import yaml

HERE = Path(__file__).resolve().parent
REPO = HERE.parents[1]

GPU = {
    "name": "h100",
    "memory_bytes": 80.0e9,
    "idle_power_w": 60.0,
    "active_power_w": 700.0,
    "price_usd_per_h": 3.0,
    "intensity_g_per_kwh": 400.0,
}
GS = {
    "problem": "gpushare",
    "schema_version": 1,
    "name": "hostile_base",
    "objective": "latency",
    "gpus": [GPU],
    "agents": [
        {
            "name": "chat",
            "throughput_rps": 100.0,
            "min_share": 0.1,
            "arrival_rps": 20.0,
            "latency_slo_s": 1.0,
            "memory_bytes": 1.0e9,
        },
        {
            "name": "code",
            "throughput_rps": 50.0,
            "min_share": 0.1,
            "arrival_rps": 10.0,
            "memory_bytes": 2.0e9,
        },
    ],
}

EDGE = {
    "name": "edge",
    "flops_per_s": 1.0e10,
    "active_power_w": 5.0,
    "idle_power_w": 1.0,
    "memory_bytes": 4.0e9,
    "intensity_g_per_kwh": 300.0,
}
CLOUD = {
    "name": "cloud",
    "flops_per_s": 1.0e12,
    "active_power_w": 300.0,
    "idle_power_w": 50.0,
    "memory_bytes": 8.0e10,
    "intensity_g_per_kwh": 200.0,
    "pue": 1.2,
    "embodied_kg": 100.0,
    "lifetime_years": 4.0,
}
PS = {
    "problem": "partition",
    "schema_version": 1,
    "name": "hostile_base",
    "objective": "carbon",
    "model": {"path": "tiny_layers.csv"},
    "source": "edge",
    "sink": "edge",
    "latency_slo_s": 0.5,
    "devices": [EDGE, CLOUD],
    "links": [
        {"a": "edge", "b": "cloud", "bandwidth_bytes_per_s": 1.0e8, "latency_s": 0.01},
    ],
}

CSV_HEADER = (
    "idx,name,op,target,type,inputs,out_shape,out_elems,out_bytes_fp32,params,"
    "param_bytes_fp32,macs,flops\n"
)
# conv -> relu (fused into conv) -> fc: two layers, ``conv`` and ``fc``
CSV_ROWS = [
    "0,x,placeholder,x,input,,1x3x8x8,192,768,0,0,0,0",
    "1,conv,call_module,conv,Conv2d,x,1x8x8x8,512,2048,216,864,13824,27648",
    "2,relu,call_module,relu,ReLU,conv,1x8x8x8,512,2048,0,0,0,512",
    "3,fc,call_module,fc,Linear,relu,1x10,10,40,5130,20520,5120,10240",
]


def write_yaml(name: str, data: object) -> None:
    text = yaml.safe_dump(data, sort_keys=False, width=100, allow_unicode=True)
    assert yaml.safe_load(text) == data or _has_nan(data), name  # what is written is what we meant
    (HERE / name).write_text(text, encoding="utf-8")


def write_json(name: str, data: object) -> None:
    (HERE / name).write_text(json.dumps(data, indent=2) + "\n", encoding="utf-8")


def write_text(name: str, text: str) -> None:
    (HERE / name).write_text(text, encoding="utf-8")


def write_bytes(name: str, data: bytes) -> None:
    (HERE / name).write_bytes(data)


def _has_nan(x: object) -> bool:
    if isinstance(x, float):
        return math.isnan(x)
    if isinstance(x, dict):
        return any(_has_nan(v) for v in x.values())
    if isinstance(x, list):
        return any(_has_nan(v) for v in x)
    return False


def gs(**top: object) -> dict:
    d = copy.deepcopy(GS)
    d.update(top)
    return d


def gs_gpu(**fields: object) -> dict:
    d = copy.deepcopy(GS)
    d["gpus"][0].update(fields)
    return d


def gs_agent(i: int = 0, **fields: object) -> dict:
    d = copy.deepcopy(GS)
    d["agents"][i].update(fields)
    return d


def ps(**top: object) -> dict:
    d = copy.deepcopy(PS)
    d.update(top)
    return d


def ps_dev(i: int = 0, **fields: object) -> dict:
    d = copy.deepcopy(PS)
    d["devices"][i].update(fields)
    return d


def ps_link(**fields: object) -> dict:
    d = copy.deepcopy(PS)
    d["links"][0].update(fields)
    return d


def gpushare_files() -> None:
    write_yaml("gs_ok.yaml", GS)
    write_yaml("gs_sim_short.yaml", gs(simulation={"steps": 2}))  # a fast `simulate`
    shutil.copyfile(
        REPO / "instances" / "gpushare" / "paper_nondegenerate.yaml",
        HERE / "gs_bundled_paper_nondegenerate.yaml",
    )

    # -- syntax --------------------------------------------------------------------------
    write_text("gs_syntax_unclosed_list.yaml", "problem: gpushare\ngpus: [\n  {name: h100\n")
    write_text(
        "gs_syntax_trailing_comma.json",
        '{\n  "problem": "gpushare",\n  "gpus": [],\n  "agents": [],\n}\n',
    )
    write_text("gs_empty.yaml", "")
    write_text("gs_top_level_list.yaml", "- problem: gpushare\n- gpus: []\n")
    write_text("gs_top_level_scalar.json", "42\n")
    write_bytes(
        "gs_not_utf8.yaml", "problem: gpushare\nname: caf\u00e9 cr\u00e8me\n".encode("latin-1")
    )
    rnd = random.Random(8)
    write_bytes("gs_binary.yaml", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + rnd.randbytes(2048))
    write_text("gs_deep_nesting.json", "[" * 100_000 + "]" * 100_000)
    # "billion laughs": 9 levels of 10 aliases, 10^9 leaves if anything expands it
    lines = ["problem: gpushare", 'a0: &a0 ["lol"]']
    for k in range(1, 10):
        refs = ", ".join([f"*a{k - 1}"] * 10)
        lines.append(f"a{k}: &a{k} [{refs}]")
    bomb = "\n".join(lines) + "\ngpus: *a9\nagents: *a9\n"
    write_text("gs_billion_laughs.yaml", bomb)
    write_text(
        "gs_python_tag.yaml",
        "problem: gpushare\n"
        "description: !!python/object/apply:builtins.print ['PWNED-BY-YAML']\n"
        "gpus: []\nagents: []\n",
    )

    # -- structure -------------------------------------------------------------------------
    d = gs()
    del d["agents"][1]["throughput_rps"]
    write_yaml("gs_missing_throughput.yaml", d)
    d = gs()
    d["gpus"][0]["memory_byte"] = d["gpus"][0].pop("memory_bytes")
    write_yaml("gs_misspelt_memory_byte.yaml", d)
    write_yaml("gs_unknown_problem.yaml", gs(problem="gpushares"))
    write_yaml("gs_schema_version_2.yaml", gs(schema_version=2))
    write_yaml("gs_empty_gpus.yaml", gs(gpus=[]))
    write_json("gs_empty_agents.json", gs(agents=[]))
    d = gs()
    d["agents"][0]["bad\nkey"] = 1
    write_yaml("gs_unknown_key_newline.yaml", d)
    d = gs()
    d["gpus"][0]["\x1b]0;owned\x07\x1b[2Jcolour"] = "green"
    write_json("gs_unknown_key_escape.json", d)

    # -- strict types ------------------------------------------------------------------------
    write_yaml("gs_bool_for_number.yaml", gs_gpu(memory_bytes=True))
    write_yaml("gs_string_number.yaml", gs_gpu(count="2"))
    write_yaml("gs_number_for_bool.yaml", gs_gpu(pooled=1))
    write_yaml("gs_list_for_mapping.yaml", gs(simulation=[1, 60]))
    write_yaml("gs_null_required.yaml", gs_agent(1, throughput_rps=None))

    # -- repeated keys ---------------------------------------------------------------------
    write_text(
        "gs_duplicate_key.yaml",
        "problem: gpushare\n"
        "gpus:\n"
        "  - name: h100\n"
        "    memory_bytes: 80.0e+9\n"
        "    idle_power_w: 60\n"
        "    active_power_w: 700\n"
        "    intensity_g_per_kwh: 400\n"
        "    active_power_w: 7000\n"
        "agents:\n"
        "  - {name: chat, throughput_rps: 100, arrival_rps: 20}\n",
    )
    write_text(
        "gs_duplicate_key.json",
        "{\n"
        '  "problem": "gpushare",\n'
        '  "gpus": [{"name": "h100", "memory_bytes": 8e10, "idle_power_w": 60,\n'
        '            "active_power_w": 700, "intensity_g_per_kwh": 400}],\n'
        '  "agents": [{"name": "chat", "throughput_rps": 100, "arrival_rps": 20,\n'
        '              "priority": 1,\n'
        '              "priority": 3}]\n'
        "}\n",
    )

    # -- NaN / infinity --------------------------------------------------------------------
    write_text(
        "gs_nan_throughput.yaml",
        yaml.safe_dump(gs_agent(0, throughput_rps=123.0), sort_keys=False).replace(
            "throughput_rps: 123.0", "throughput_rps: .nan"
        ),
    )
    write_yaml("gs_inf_memory.yaml", gs_gpu(memory_bytes=math.inf))
    write_text(
        "gs_neg_inf_idle_power.json",
        json.dumps(gs_gpu(idle_power_w=-12345.0), indent=2).replace("-12345.0", "-Infinity"),
    )

    # -- ranges: absurd but finite ---------------------------------------------------------
    write_yaml("gpu_memory_huge.yaml", gs_gpu(memory_bytes=1e308))
    write_yaml("gpu_power_huge.yaml", gs_gpu(active_power_w=1e308))
    write_yaml("gs_priority_denormal.yaml", gs_agent(1, priority=5e-324))
    write_yaml("gs_throughput_tiny.yaml", gs_agent(0, throughput_rps=1e-300))
    write_yaml("gs_intensity_huge.yaml", gs_gpu(intensity_g_per_kwh=1e12))
    write_yaml("gs_pue_huge.yaml", gs_gpu(pue=1e9))
    write_yaml("gs_price_huge.yaml", gs_gpu(price_usd_per_h=1e300))
    write_yaml("gs_embodied_huge.yaml", gs_gpu(embodied_kg=1e300))
    write_yaml("gs_lifetime_tiny.yaml", gs_gpu(lifetime_years=1e-300))
    write_yaml("gs_slo_tiny.yaml", gs_agent(0, latency_slo_s=1e-300))
    write_yaml("gs_idle_power_negative.yaml", gs_gpu(idle_power_w=-5.0))
    write_yaml("gs_agent_memory_negative.yaml", gs_agent(1, memory_bytes=-1.0))
    write_yaml("gs_arrival_huge.yaml", gs_agent(1, arrival_rps=1e300))
    d = gs()
    for a in d["agents"]:
        del a["arrival_rps"]
        a["arrival_trace_rps"] = [10.0, 12.0, 9.0, 11.0]
    d["agents"][1]["arrival_trace_rps"][2] = 1e308
    write_yaml("gs_trace_value_huge.yaml", d)

    # -- size bounds -------------------------------------------------------------------------
    write_yaml("gs_count_huge_unpooled.yaml", gs_gpu(count=1_000_000_000))
    write_yaml("gs_sim_steps_huge.yaml", gs(simulation={"steps": 1_000_000_000}))

    # -- references ----------------------------------------------------------------------------
    tr = {"intensity_trace": {"name": "EIA930-ATLANTIS-2022", "start": "2022-06-01T12:00Z"}}
    d = gs_gpu(**tr)
    del d["gpus"][0]["intensity_g_per_kwh"]
    write_yaml("gs_trace_unknown_name.yaml", d)
    d = gs_gpu(intensity_trace={"name": "EIA930-CISO-2022", "start": "2022-13-45T99:00Z"})
    del d["gpus"][0]["intensity_g_per_kwh"]
    write_yaml("gs_trace_start_unparsable.yaml", d)
    d = gs_gpu(intensity_trace={"name": "EIA930-CISO-2022", "start": "1999-01-01T00:00Z"})
    del d["gpus"][0]["intensity_g_per_kwh"]
    write_yaml("gs_trace_start_outside.yaml", d)

    # -- proven infeasible ---------------------------------------------------------------------
    d = gs()
    d["agents"][0]["min_share"] = 0.7
    d["agents"][1]["min_share"] = 0.6
    write_yaml("gs_infeasible_min_shares.yaml", d)
    write_yaml("gs_infeasible_memory.yaml", gs_agent(1, memory_bytes=200.0e9))


def partition_files() -> None:
    write_text("tiny_layers.csv", CSV_HEADER + "\n".join(CSV_ROWS) + "\n")
    write_yaml("p_ok.yaml", PS)

    # -- syntax --------------------------------------------------------------------------
    write_text(
        "p_syntax_bad_indent.yaml",
        "problem: partition\nmodel:\n  path: tiny_layers.csv\n fuse: true\nsource: edge\n",
    )
    write_text("p_syntax_unquoted_key.json", '{\n  "problem": "partition",\n  source: "edge"\n}\n')
    write_text("p_empty.json", "")
    write_text("p_top_level_list.json", '[{"problem": "partition"}]\n')
    write_text("p_top_level_scalar.yaml", "partition\n")
    write_bytes("p_not_utf8.json", json.dumps(PS, indent=2).encode("utf-16"))  # UTF-16 with a BOM
    write_bytes("p_binary_nul.yaml", b"problem: partition\n" + b"\x00\x01\x02\x03" * 256)
    write_text("p_deep_nesting.yaml", "problem: partition\nmodel: " + "[" * 100_000 + "]" * 100_000)
    lines = ["problem: partition", "m0: &m0 {l0: 1.0, l1: 1.0}"]
    for k in range(1, 10):
        refs = ", ".join(f"k{j}: *m{k - 1}" for j in range(10))
        lines.append(f"m{k}: &m{k} {{{refs}}}")
    text = (
        "\n".join(lines)
        + "\n"
        + yaml.safe_dump({k: v for k, v in PS.items() if k != "problem"}, sort_keys=False)
    )
    text = text.replace("  idle_power_w: 1.0\n", "  idle_power_w: 1.0\n  layer_times_s: *m9\n", 1)
    write_text("p_billion_laughs.yaml", text)
    write_text(
        "p_python_tag.yaml",
        "problem: partition\n"
        "model: !!python/object/new:builtins.print ['PWNED-BY-YAML']\n"
        "source: edge\nsink: edge\ndevices: []\n",
    )

    # -- structure -------------------------------------------------------------------------
    d = ps()
    del d["source"]
    write_yaml("p_missing_source.yaml", d)
    d = ps()
    d["latency_slo"] = d.pop("latency_slo_s")
    write_yaml("p_misspelt_latency_slo.yaml", d)
    write_yaml("p_unknown_problem.yaml", ps(problem="partitioning"))
    write_json("p_schema_version_0.json", ps(schema_version=0))
    write_yaml("p_empty_devices.yaml", ps(devices=[]))

    # -- strict types ------------------------------------------------------------------------
    write_yaml("p_bool_for_number.yaml", ps_dev(1, flops_per_s=True))
    # quoted: unquoted, 1e9 is a number in YAML 1.2 (and ecoopt reads it as one)
    text = yaml.safe_dump(ps_link(bandwidth_bytes_per_s="1e9"), sort_keys=False)
    write_text(
        "p_string_number.yaml",
        text.replace("bandwidth_bytes_per_s: 1e9", "bandwidth_bytes_per_s: '1e9'"),
    )
    write_yaml("p_number_for_bool.yaml", ps(model={"path": "tiny_layers.csv", "fuse": 0}))
    write_yaml("p_list_for_mapping.yaml", ps(model=["tiny_layers.csv"]))
    write_json("p_null_required.json", ps(sink=None))

    # -- repeated keys ---------------------------------------------------------------------
    text = yaml.safe_dump(PS, sort_keys=False)
    text = text.replace("sink: edge\n", "sink: edge\nsink: cloud\n", 1)
    write_text("p_duplicate_key.yaml", text)
    text = json.dumps(PS, indent=2).replace(
        '"latency_s": 0.01', '"latency_s": 0.01,\n      "latency_s": 0.0', 1
    )
    write_text("p_duplicate_key.json", text)

    # -- NaN / infinity --------------------------------------------------------------------
    write_text(
        "p_nan_memory.json",
        json.dumps(ps_dev(0, memory_bytes=-777.0), indent=2).replace("-777.0", "NaN"),
    )
    write_yaml("p_inf_slo.yaml", ps(latency_slo_s=math.inf))
    write_yaml("p_neg_inf_idle_power.yaml", ps_dev(1, idle_power_w=-math.inf))

    # -- ranges: absurd but finite ---------------------------------------------------------
    write_yaml("p_flops_tiny.yaml", ps_dev(1, flops_per_s=1e-300))
    write_yaml("p_link_bandwidth_huge.yaml", ps_link(bandwidth_bytes_per_s=1e300))
    write_yaml("p_embodied_huge.yaml", ps_dev(1, embodied_kg=1e300))
    write_yaml("p_lifetime_tiny.yaml", ps_dev(1, lifetime_years=1e-300))
    write_yaml("p_slo_tiny.yaml", ps(latency_slo_s=1e-300))
    write_yaml("p_memory_huge.yaml", ps_dev(0, memory_bytes=1e308))
    write_yaml("p_power_huge.yaml", ps_dev(1, active_power_w=1e308))
    write_yaml("p_intensity_huge.yaml", ps_dev(0, intensity_g_per_kwh=1e12))
    write_yaml("p_pue_huge.yaml", ps_dev(1, pue=1e9))
    write_yaml("p_link_latency_negative.yaml", ps_link(latency_s=-0.5))
    write_yaml("p_weights_huge.yaml", ps(objective="weighted", weights={"carbon_per_g": 1e300}))
    write_yaml("p_layer_times_huge.yaml", ps_dev(0, layer_times_s={"conv": 1e300, "fc": 1e-3}))
    rows = list(CSV_ROWS)
    rows[3] = "3,fc,call_module,fc,Linear,relu,1x10,10,40,5130,20520,5120,1e300"
    write_text("huge_flops_layers.csv", CSV_HEADER + "\n".join(rows) + "\n")
    write_yaml("p_csv_flops_huge.yaml", ps(model={"path": "huge_flops_layers.csv"}))

    # -- references ----------------------------------------------------------------------------
    write_yaml("p_source_ghost.yaml", ps(source="ghost"))
    write_json("p_sink_ghost.json", ps(sink="ghost"))
    write_yaml("p_link_end_ghost.yaml", ps_link(a="ghost"))
    write_yaml(
        "p_layer_times_ghost.yaml", ps_dev(0, layer_times_s={"conv": 1e-3, "ghost_layer": 0.1})
    )
    write_yaml("p_model_unknown_name.yaml", ps(model={"name": "resnet51"}))
    d = ps_dev(1, intensity_trace={"name": "NESO-MORDOR-2022", "start": "2022-01-01T00:00Z"})
    del d["devices"][1]["intensity_g_per_kwh"]
    write_yaml("p_trace_unknown_name.yaml", d)
    d = ps_dev(1, intensity_trace={"name": "NESO-GB-2022", "start": "half past nine"})
    del d["devices"][1]["intensity_g_per_kwh"]
    write_yaml("p_trace_start_unparsable.yaml", d)
    d = ps_dev(1, intensity_trace={"name": "NESO-GB-2022", "start": "2031-06-01T00:00Z"})
    del d["devices"][1]["intensity_g_per_kwh"]
    write_yaml("p_trace_start_outside.yaml", d)

    # -- paths ---------------------------------------------------------------------------------
    write_yaml("p_path_absolute.yaml", ps(model={"path": "/etc/passwd"}))
    write_yaml("p_path_dotdot.yaml", ps(model={"path": "../conftest.py"}))
    write_yaml("p_path_dotdot_deep.yaml", ps(model={"path": "../../../../../../etc/shadow"}))
    write_yaml("p_model_name_slash.yaml", ps(model={"name": "../hostile/tiny"}))
    write_yaml("p_path_dev_zero.yaml", ps(model={"path": "/dev/zero"}))
    write_yaml("p_path_missing.yaml", ps(model={"path": "no_such_layers.csv"}))
    # made into a symlink / a FIFO at test time, in a temporary folder
    write_yaml("p_path_symlink.yaml", ps(model={"path": "link_layers.csv"}))
    write_yaml("p_path_fifo.yaml", ps(model={"path": "pipe_layers.csv"}))

    # -- proven infeasible ---------------------------------------------------------------------
    write_yaml("p_infeasible_no_links.yaml", ps(sink="cloud", links=[]))
    write_yaml(
        "p_infeasible_memory.yaml",
        ps(
            devices=[
                {**EDGE, "memory_bytes": 100.0},
                {**CLOUD, "memory_bytes": 100.0},
            ]
        ),
    )
    write_yaml("p_infeasible_slo.yaml", ps(model={"name": "mobilenet_v2"}, latency_slo_s=1e-4))


if __name__ == "__main__":
    gpushare_files()
    partition_files()
    print(f"wrote {len(list(HERE.iterdir()))} files in {HERE}")
