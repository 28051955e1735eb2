"""Write the routing instances from the bundled data (run from anywhere).

    python instances/routing/build_instances.py [OUT_DIR]

Every number comes from a bundled file through the library (the CarbonEdge partition instances
``instances/partition/carbonedge_*.yaml`` and their layer graphs; the roofline of
``ecoopt.routing.profiles``; the request streams of ``ecoopt.routing.streams``; the hourly
intensity traces of ``ecoopt.carbon``) or is a constant below with its source or the word
*assumption*. Each file's ``description`` repeats what it uses and what was assumed. The
streams are small on purpose: the hindsight MILP must prove each optimal in seconds (``ecoopt
compare`` runs it beside the nine online policies). Running the script twice writes identical
files.
"""

from __future__ import annotations

import sys
from pathlib import Path

import numpy as np
import yaml

import ecoopt
from ecoopt.carbon import trace_slots
from ecoopt.provisioning.profiles import MEMORY_USABLE
from ecoopt.routing.profiles import OS_RESERVED_BYTES, energy_knee, llm_profiles
from ecoopt.routing.streams import azure, poisson

HERE = Path(__file__).resolve().parent
PARTITION = HERE.parent / "partition"

# --- CarbonEdge (arXiv 2603.27420; reference/seeds.md §1) ---------------------------------------
# The three Docker nodes: CPU share, memory (paper), intensity gCO2/kWh (paper), PUE 1.0 (paper).
CE_NODES = (
    ("high", 1.0, 1.0e9, 620.0),
    ("medium", 0.6, 0.512e9, 530.0),
    ("green", 0.4, 0.512e9, 380.0),
)
CE_SLOT_S = 0.1  # grid of batch starts; a tenth of CarbonEdge's ~0.25 s latencies


def r(x: float, digits: int = 6) -> float:
    """``x`` rounded to ``digits`` decimal places, as a float (short, stable YAML)."""
    return float(round(float(x), digits))


def carbonedge_profiles(model: str) -> tuple[list[dict], dict]:
    """Batch-1 profiles of ``model`` on the three nodes, from the partition instance's devices
    (effective FLOP/s and active power) and its layer graph's total FLOPs: service time =
    FLOPs / FLOP/s, energy = active power x service time (no transfer: the three containers
    share one host, and the partition file's loopback costs 0.1 ms and no energy)."""
    part = ecoopt.load(PARTITION / f"carbonedge_{model}.yaml")
    flops = part.graph.total_flops
    rows, figures = [], {"flops": flops, "param_bytes": part.graph.total_param_bytes}
    for dev in part.devices:
        t = flops / dev.flops_per_s
        rows.append(
            {
                "node": dev.name,
                "type": model,
                "batch": 1,
                "service_time_s": r(t),
                "energy_j": r(dev.active_power_w * t, 4),
                "memory_bytes": float(part.graph.total_param_bytes),
                "source": (
                    f"instances/partition/carbonedge_{model}.yaml: {flops / 1e6:.1f} MFLOP "
                    f"/ {dev.flops_per_s / 1e9:.3f} GFLOP/s, x {dev.active_power_w:g} W"
                ),
            }
        )
        figures[dev.name] = (t, dev.active_power_w * t)
    return rows, figures


def carbonedge_nodes() -> list[dict]:
    return [
        {
            "name": name,
            "memory_bytes": mem,
            "concurrency": 1,
            "idle_power_w": 0.0,
            "intensity_g_per_kwh": ci,
            "pue": 1.0,
        }
        for name, _, mem, ci in CE_NODES
    ]


def requests(rate: float, horizon: float, seed: int, kind: str, shift_s: float = 0.0) -> list:
    """A seeded Poisson stream (``ecoopt.routing.streams.poisson``), arrivals to the ms."""
    s = poisson(rate, horizon, types=(kind,), seed=seed)
    return [{"arrival_s": r(shift_s + t, 3), "type": kind} for t in s.arrival_s]


def figures_text(model: str, fig: dict) -> str:
    parts = [
        f"{n} {fig[n][0] * 1e3:.1f} ms and {fig[n][1]:.2f} J" for n in ("high", "medium", "green")
    ]
    return (
        f"{model}: {fig['flops'] / 1e6:.1f} MFLOP per inference (the bundled fused layer graph); "
        "per-inference service time = FLOPs / the partition file's effective speed, energy = "
        "its active power x that time: " + "; ".join(parts) + ". Memory: the model's "
        f"{fig['param_bytes'] / 1e6:.1f} MB of FP32 parameters (fits every node)."
    )


CE_CALIBRATION = (
    "Nodes (paper): High 1.0 CPU, 1 GB, 620 gCO2/kWh; Medium 0.6 CPU, 512 MB, 530; Green 0.4 "
    "CPU, 512 MB, 380; PUE 1.0, no embodied carbon, idle power not modelled (the paper counts "
    "none). Profiles: instances/partition/carbonedge_*.yaml's calibration (seeds.md §1): 4.063 "
    "GFLOP/s per full CPU from the paper's monolithic MobileNetV2 latency 254.85 ms on the "
    "0.6-CPU node, and 245 W per full CPU from the paper's ~36-39 J per inference on every node "
    "(37.5 J / 0.25485 s / 0.6), both scaled by the CPU share; "
)


def carbonedge_paper(model: str, rate: float, horizon: float, seed: int, slo: float) -> dict:
    rows, fig = carbonedge_profiles(model)
    reqs = requests(rate, horizon, seed, model)
    extra = ""
    if model == "efficientnet_b0":
        extra = (
            " EfficientNet-B0 uses the MobileNetV2 calibration (the paper gives no B0 latency), "
            "so its ~49 J per inference is FLOP-scaled; the paper's own B0 carbon figures "
            "(0.00198 g at 530, 0.00134 g at 380 gCO2/kWh) imply only ~13 J, an inconsistency "
            "of the paper's numbers that does not move the optimum (energy is equal on every "
            "node, so only the intensity decides)."
        )
    desc = (
        f"CarbonEdge's setting (arXiv 2603.27420) as a routing stream: {len(reqs)} {model} "
        f"tasks, Poisson at {rate:g}/s over {horizon:g} s (ecoopt.routing.streams.poisson, seed "
        f"{seed}; arrivals to the ms), batch 1 only (the paper's batch size), one task at a time "
        f"per node (concurrency 1), SLO {slo:g} s from arrival (assumption: the paper "
        f"states no deadline; every node meets it), slot_s {CE_SLOT_S:g} s. "
        + CE_CALIBRATION
        + figures_text(model, fig)
        + extra
        + " The energy per inference is the same on every node, so carbon differs only by the "
        "intensity and, with static intensities and a stream Green alone can serve within the "
        "SLO, the optimum is trivial: every task to Green (seeds.md §1 [derived]; the builder's "
        "seed was picked so that Green alone meets the SLO). The paper reports its Green mode "
        "sending 100 % of tasks to Green and its Performance and Balanced modes 100 % to High."
    )
    return {
        "description": desc,
        "objective": "carbon",
        "slot_s": CE_SLOT_S,
        "nodes": carbonedge_nodes(),
        "types": [{"name": model, "slo_s": slo}],
        "profiles": rows,
        "requests": reqs,
    }


def carbonedge_sequential(model: str, count: int, gap_s: float, slo: float) -> dict:
    """The paper's measurement as a stream: ``count`` inferences, one every ``gap_s``."""
    data = carbonedge_paper(model, 1.0, 7.0, 10, slo)
    data["requests"] = [{"arrival_s": r(i * gap_s), "type": model} for i in range(count)]
    data["description"] = (
        f"CarbonEdge's measurement (arXiv 2603.27420: 50 inferences per configuration, batch "
        f"1) as a routing stream: {count} {model} tasks, one every {gap_s:g} s, so each task "
        "finds every node idle; otherwise the nodes, profiles and SLO of "
        f"carbonedge_{model}.yaml. The paper's table (MobileNetV2): Performance 271.38 ms, "
        "0.0067 g; Balanced 271.11 ms, 0.0066 g; Green 272.02 ms, 0.0041 g per inference; "
        "node use 100 % High, 100 % High, 100 % Green. " + CE_CALIBRATION
    )
    return data


def carbonedge_capacity(rate: float, horizon: float, seed: int, slo: float) -> dict:
    model = "mobilenet_v2"
    rows, fig = carbonedge_profiles(model)
    reqs = requests(rate, horizon, seed, model)
    green = fig["green"][0]
    desc = (
        f"CarbonEdge's three nodes (arXiv 2603.27420) under load: {len(reqs)} {model} tasks, "
        f"Poisson at {rate:g}/s over {horizon:g} s (ecoopt.routing.streams.poisson, seed {seed};"
        f" arrivals to the ms), batch 1, concurrency 1, SLO {slo:g} s (assumption), slot_s "
        f"{CE_SLOT_S:g} s. Green serves one task per {green * 1e3:.0f} ms (4 grid slots), at "
        f"most ~{1 / (4 * CE_SLOT_S):g} tasks/s, below the {rate:g}/s arriving, so Green alone "
        "breaks the SLO and the least-carbon plan must split the stream: Green first, then "
        "Medium, then High. This is where the online policies and the hindsight optimum "
        "differ. " + CE_CALIBRATION + figures_text(model, fig)
    )
    return {
        "description": desc,
        "objective": "carbon",
        "slot_s": CE_SLOT_S,
        "nodes": carbonedge_nodes(),
        "types": [{"name": model, "slo_s": slo}],
        "profiles": rows,
        "requests": reqs,
    }


# --- Edge LLM cluster (arXiv 2512.04088; reference/seeds.md §3) ----------------------------------
LLM_PROMPT_TOKENS, LLM_OUTPUT_TOKENS = 128, 64  # assumption: a short chat turn (TinyLlama)
LLM_BATCHES = (1, 2, 4, 8)
LLM_SLOT_S = 0.5  # grid of batch starts, s
LLM_SLO_FACTOR = 2.0  # SLO = 2 x the Orin NX's batch-1 service time (assumption)
# Grids (assumption: three sites; EIA-930 balancing areas and GB's NESO, bundled hourly traces).
# The stream starts 2 s before 14:00 UTC on 2022-06-01, when CAISO's morning solar ramp drops
# its intensity by ~30 % (the hindsight MILP may hold an RTX batch past the hour).
LLM_TRACE_START = "2022-06-01T13:00Z"
LLM_SHIFT_S = 3598.0
LLM_CLUSTER = (
    ("orin_nx_gb", "orin_nx_8gb", "NESO-GB-2022"),
    ("orin_nx_pjm", "orin_nx_8gb", "EIA930-PJM-2022"),
    ("rtx_ciso", "rtx_2000_ada", "EIA930-CISO-2022"),
)
DEVICE_MEMORY_B = {"orin_nx_8gb": 8e9, "rtx_2000_ada": 16e9}  # the device table's GB as 1e9 B
DEVICE_IDLE_W = {"orin_nx_8gb": 5.0, "rtx_2000_ada": 8.0}  # ecoopt.routing.profiles.IDLE_W
SOC = {"orin_nx_8gb"}


def usable_bytes(device: str) -> float:
    """The memory llm_profiles judges fit against: 0.9 x (M - OS reserve on a SoC)."""
    reserved = OS_RESERVED_BYTES if device in SOC else 0.0
    return MEMORY_USABLE * (DEVICE_MEMORY_B[device] - reserved)


def llm_nodes(
    model: str, kind: str, weight_bits: int, tokens: tuple[int, int], batches: tuple[int, ...]
) -> tuple[list[dict], list[dict], list[str], float]:
    """The cluster's nodes on their grids, the fitting roofline profiles of ``model`` for
    request type ``kind``, a note per node for the description, and the SLO."""
    prompt_tokens, output_tokens = tokens
    nodes, rows, notes, slo_base = [], [], [], None
    for name, device, trace in LLM_CLUSTER:
        prof = llm_profiles(
            device,
            model,
            batches,
            prompt_tokens=prompt_tokens,
            output_tokens=output_tokens,
            weight_bits=weight_bits,
        )
        if device == "orin_nx_8gb" and slo_base is None:
            slo_base = prof[0].service_time_s
        fitting = [p for p in prof if p.fits]
        rows += [llm_profile_row(name, kind, device, model, weight_bits, p) for p in fitting]
        ci = trace_slots(trace, LLM_TRACE_START, 2, 3600.0)
        nodes.append(
            {
                "name": name,
                "memory_bytes": usable_bytes(device),
                "concurrency": 1,
                "idle_power_w": DEVICE_IDLE_W[device],
                "intensity_trace": {"name": trace, "start": LLM_TRACE_START},
                "pue": 1.0,
            }
        )
        per = ", ".join(
            f"b{p.batch} {p.service_time_s:.3f} s {p.energy_j:.1f} J"
            + ("" if p.fits else " (does not fit)")
            for p in prof
        )
        notes.append(
            f"{name} ({device}, {trace} {ci[0]:.0f} then {ci[1]:.0f} gCO2/kWh over 13:00 and "
            f"14:00 UTC): {per}; usable memory {usable_bytes(device) / 1e9:.3g} GB, energy knee "
            f"batch {energy_knee(fitting)}"
        )
    assert slo_base is not None
    return nodes, rows, notes, r(LLM_SLO_FACTOR * slo_base, 3)


def llm_profile_row(name: str, kind: str, device: str, model: str, bits: int, p: object) -> dict:
    return {
        "node": name,
        "type": kind,
        "batch": p.batch,
        "service_time_s": r(p.service_time_s),
        "energy_j": r(p.energy_j, 4),
        "memory_bytes": float(round(p.memory_bytes)),
        "source": (
            f"ecoopt.routing.profiles.llm_profiles({device!r}, {model!r}, "
            f"weight_bits={bits}), {p.bound}-bound"
        ),
    }


def llm_setting(
    batches: tuple[int, ...], slo: float, slot_s: float, notes: list[str], hours: bool = True
) -> str:
    """What every edge LLM cluster file shares, for its description (``hours``: the stream
    crosses 14:00 UTC, where the intensities change)."""
    held = ", and may hold a batch for the cleaner hour;" if hours else ";"
    return (
        "Profiles: "
        f"the roofline of ecoopt.routing.profiles.llm_profiles at batches "
        f"{', '.join(map(str, batches))} (only those that fit are listed; defaults: 80 % of "
        "datasheet bandwidth, 50 % of dense FP16 peak, the device at its full active power, "
        "Orin NX 20 W mode with 5 W idle, RTX 2000 Ada 70 W board with 8 W idle, the host PC "
        f"not counted). SLO {slo:g} s = {LLM_SLO_FACTOR:g} x the Orin NX's batch-1 service time "
        f"(assumption); slot_s {slot_s:g} s; one batch at a time per device (concurrency 1: "
        "the engine batches, the node runs one batch); node memory_bytes = the usable memory "
        "llm_profiles judges fit by (0.9 x (M - 1.5 GB OS reserve) on the Orin NX, 0.9 x M on the "
        "RTX); PUE 1.0; no embodied carbon. Per node: " + "; ".join(notes) + ". Energy per "
        "prompt falls with batch (decode is memory-bound: a step reads the weights once), so "
        "the hindsight optimum batches as far as the SLO and memory allow, on the cleanest node "
        f"that can{held} the online policies see only the arrivals so far."
    )


def llm_cluster(
    model: str,
    label: str,
    weight_bits: int,
    n: int,
    rate: float,
    seed: int,
    tokens: tuple[int, int] = (LLM_PROMPT_TOKENS, LLM_OUTPUT_TOKENS),
    batches: tuple[int, ...] = LLM_BATCHES,
    slot_s: float = LLM_SLOT_S,
) -> dict:
    prompt_tokens, output_tokens = tokens
    kind = f"{label}_p{prompt_tokens}_o{output_tokens}"
    nodes, rows, notes, slo = llm_nodes(model, kind, weight_bits, tokens, batches)
    reqs = requests(rate, 4 * n / rate, seed, kind, LLM_SHIFT_S)[:n]
    desc = (
        f"A heterogeneous edge LLM cluster in the spirit of arXiv 2512.04088 (seeds.md §3): two "
        f"Jetson Orin NX 8 GB and one RTX 2000 Ada 16 GB host on three grids, serving {len(reqs)} "
        f"{label} prompts of {prompt_tokens} prompt and {output_tokens} output tokens "
        f"(assumption), Poisson at {rate:g}/s (ecoopt.routing.streams."
        f"poisson, seed {seed}, the first {n} arrivals, to the ms), starting {LLM_SHIFT_S:g} s "
        f"after the traces' start {LLM_TRACE_START} (so the stream crosses 14:00 UTC). "
        + llm_setting(batches, slo, slot_s, notes)
    )
    return {
        "description": desc,
        "objective": "carbon",
        "slot_s": slot_s,
        "nodes": nodes,
        "types": [
            {
                "name": kind,
                "slo_s": slo,
                "prompt_tokens": prompt_tokens,
                "output_tokens": output_tokens,
            }
        ],
        "profiles": rows,
        "requests": reqs,
    }


def llm_azure(model: str, label: str, service: str, start_s: float, duration_s: float) -> dict:
    """The edge LLM cluster serving a window of a bundled Azure LLM trace, as a ``stream:``
    (the file lists no request): one request type whose tokens are the window's medians."""
    window = azure(service, start_s=start_s, duration_s=duration_s)
    tokens = (int(np.median(window.prompt_tokens)), int(np.median(window.output_tokens)))
    kind = f"{label}_{service}"
    nodes, rows, notes, slo = llm_nodes(model, kind, 16, tokens, LLM_BATCHES)
    desc = (
        f"The edge LLM cluster of edge_llm_cluster.yaml (two Jetson Orin NX 8 GB and one RTX "
        f"2000 Ada 16 GB host on three grids, arXiv 2512.04088, seeds.md §3) serving real "
        f"arrivals: the {len(window)} requests of the bundled Azure LLM {service!r} trace (2023) "
        f"arriving in [{start_s:g}, {start_s + duration_s:g}) s of trace time, replayed at real "
        f"speed from t = 0 (stream: kind azure; ecoopt.routing.streams.azure), all of type "
        f"{kind} ({model}, FP16). Routing has one profile per (node, type, batch), so the "
        f"window's per-request token counts are not used: the type takes their medians, "
        f"{tokens[0]} prompt and {tokens[1]} output tokens (the window's requests range over "
        f"{window.prompt_tokens.min()}-{window.prompt_tokens.max()} and "
        f"{window.output_tokens.min()}-{window.output_tokens.max()}). The stream starts at the "
        f"traces' start {LLM_TRACE_START} and ends within that hour. "
        + llm_setting(LLM_BATCHES, slo, LLM_SLOT_S, notes, hours=False)
    )
    return {
        "description": desc,
        "objective": "carbon",
        "slot_s": LLM_SLOT_S,
        "nodes": nodes,
        "types": [
            {"name": kind, "slo_s": slo, "prompt_tokens": tokens[0], "output_tokens": tokens[1]}
        ],
        "profiles": rows,
        "stream": {
            "kind": "azure",
            "service": service,
            "start_s": float(start_s),
            "duration_s": float(duration_s),
            "type_name": kind,
        },
    }


class _Dumper(yaml.SafeDumper):
    """Plain YAML: no anchors and aliases for values the builder shares between entries."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def write(out: Path, name: str, data: dict) -> None:
    text = "# Written by instances/routing/build_instances.py; do not edit by hand.\n"
    text += yaml.dump(
        {"problem": "routing", "schema_version": 1, "name": name, **data},
        sort_keys=False,
        width=100,
        allow_unicode=True,
        Dumper=_Dumper,
    )
    (out / f"{name}.yaml").write_text(text)


def main(out: Path = HERE) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write(out, "carbonedge_mobilenet_v2", carbonedge_paper("mobilenet_v2", 1.0, 7.0, 10, 1.0))
    write(
        out, "carbonedge_efficientnet_b0", carbonedge_paper("efficientnet_b0", 0.5, 14.0, 10, 1.5)
    )
    write(out, "carbonedge_capacity", carbonedge_capacity(4.0, 2.0, 8, 0.6))
    write(
        out,
        "carbonedge_mobilenet_v2_sequential",
        carbonedge_sequential("mobilenet_v2", 50, 1.0, 1.0),
    )
    write(out, "edge_llm_cluster", llm_cluster("tinyllama_1.1b", "tinyllama_1.1b", 16, 10, 3.0, 1))
    write(
        out,
        "edge_llm_cluster_llama3",
        llm_cluster("llama3_8b", "llama3_8b_w4", 4, 8, 1.0, 1, (512, 128), (1, 2, 4, 8, 16), 1.0),
    )
    write(out, "edge_llm_azure_conv", llm_azure("tinyllama_1.1b", "tinyllama_1.1b", "conv", 600, 2))


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
