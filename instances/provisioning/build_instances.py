"""Write the provisioning instances from the bundled data (run from anywhere).

    python instances/provisioning/build_instances.py [OUT_DIR]

Every number comes from a bundled table through the library (``ecoopt.provisioning.profiles``:
ML.ENERGY measurements, the roofline, the host-CPU model; ``ecoopt.provisioning.traces``: the
Azure 2023 request traces; ``ecoopt.carbon``: embodied figures and intensity traces) or is a
constant below with its source or the word *assumption*. Each file's ``description`` repeats
what it uses and every choice made where EcoServe (arXiv 2502.05043) is silent. Running the
script twice writes identical files.
"""

from __future__ import annotations

import math
import sys
from pathlib import Path

import numpy as np
import yaml

from ecoopt.carbon import GPU_BOARD_KG, MEMORY_KG_PER_GB, trace_slots
from ecoopt.provisioning.profiles import cpu_profile, gpu_profile, roofline_gpu_profile
from ecoopt.provisioning.traces import rate_shape, size_classes

HERE = Path(__file__).resolve().parent

# --- models ------------------------------------------------------------------------------------
LLAMA_V3 = "meta-llama/Llama-3.1-8B-Instruct"  # ML.ENERGY v3 name (H100, B200)
LLAMA_V2 = "meta-llama/Meta-Llama-3.1-8B-Instruct"  # ML.ENERGY v2 name (A100-SXM4-40GB, H100)
LLAMA_PARAMS_B = 8.03
LLAMA_KV_B = 131_072.0  # 32 layers x 8 KV heads x 128 dims x (K, V) x 2 bytes (GQA, exact)
GEMMA = "google/gemma-2-2b-it"  # ML.ENERGY v2 (A100-SXM4-40GB, H100)
GEMMA_PARAMS_B = 2.61
GEMMA_KV_B = 106_496.0  # 26 layers x 4 KV heads x 256 dims x (K, V) x 2 bytes (exact)

# --- SLOs (assumptions: EcoServe's exact SLOs are not published) -------------------------------
ONLINE_TPOT_S = 0.05  # 20 tokens/s per stream, faster than reading speed
OFFLINE_TPOT_S = 0.2  # batch work: any configuration up to 200 ms per token (throughput-bound)

# --- GPUs: idle W per board, 8-GPU server price (assumptions, rounded list-price estimates) ----
IDLE_W = {"A100-SXM": 50.0, "H100-SXM": 70.0, "B200": 140.0, "A10": 20.0, "L4": 16.0}
PRICE_8GPU_USD = {"A100-SXM": 150_000.0, "H100-SXM": 280_000.0, "B200": 450_000.0}
# B200 has no bundled board figure: H100 SXM's 103 kg (80 GB HBM3) plus the extra HBM3e of
# a B200 (180 GB per GPU in the device table) at 0.24 kg/GB (ecoopt.carbon.MEMORY_KG_PER_GB).
B200_BOARD_KG = round(GPU_BOARD_KG["H100-SXM"] + (180 - 80) * MEMORY_KG_PER_GB["HBM3e"], 2)
# A10 has no bundled board figure: the A40's 81 kg (the same GA102 die, 48 GB GDDR6) less the
# 24 GB of GDDR6 the A10 lacks at 0.36 kg/GB.
A10_BOARD_KG = round(GPU_BOARD_KG["A40"] - (48 - 24) * MEMORY_KG_PER_GB["GDDR6"], 2)

# --- hosts ---------------------------------------------------------------------------------------
# Full: seeds.md §4's 8xH100 node, 2 TB DRAM and 22.7 TB SSD, two 56-core sockets; idle 450 W
# (assumption: ~64 DIMMs, 8 NVMe drives, two sockets, fans). Lean (Reduce): 512 GB DRAM and
# 3.84 TB SSD, same CPUs, idle 300 W (assumption). Embodied: ecoopt.carbon.host_embodied_kg.
FULL = {
    "name": "full",
    "cpu_cores": 112,
    "dram_gb": 2048.0,
    "ssd_gb": 22700.0,
    "idle_power_w": 450.0,
}
LEAN = {"name": "lean", "cpu_cores": 112, "dram_gb": 512.0, "ssd_gb": 3840.0, "idle_power_w": 300.0}
PUE = 1.2  # assumption: a modern hyperscale-class facility
USD_PER_KWH = 0.08  # assumption: industrial electricity price
PROMPT_EDGES = [1024, 4096]  # size classes of both services by prompt tokens
RATE_FLOOR = 0.1  # rate_shape floored at 10 % of its mean ("code" has an empty bin at 24 slots)


def r(x: float, digits: int = 4) -> float:
    """``x`` rounded to ``digits`` decimal places, as a float (short, stable YAML)."""
    return float(round(float(x), digits))


def shaped(service: str, slots: int, peak_rps: float) -> list[float]:
    """The service's trace shape (floored), scaled so its largest slot is ``peak_rps``."""
    shape = np.maximum(rate_shape(service, slots), RATE_FLOOR)
    return [r(v, 3) for v in peak_rps * shape / shape.max()]


def classes_of(service: str, edges: list[float] | None = None) -> list[dict]:
    """Request classes of a service from the trace; shares rounded, the last takes the rest."""
    out = size_classes(service, PROMPT_EDGES if edges is None else edges)
    shares = [round(c["share"], 6) for c in out]
    shares[-1] = round(1.0 - sum(shares[:-1]), 6)
    return [
        {
            "name": c["name"],
            "share": s,
            "prompt_tokens": r(c["prompt_tokens"], 1),
            "output_tokens": r(c["output_tokens"], 1),
        }
        for c, s in zip(out, shares)
    ]


def sku(name: str, gpu: str, gpus: int, hosts: list[dict], **extra: object) -> dict:
    """A SKU on site ``dc`` unless given; price scaled from the 8-GPU price by GPU count."""
    out: dict = {
        "name": name,
        "site": "dc",
        "gpu": gpu,
        "gpus": gpus,
        "gpu_idle_power_w": IDLE_W[gpu],
    }
    if gpu in ("B200", "A10"):
        out["gpu_embodied_kg"] = B200_BOARD_KG if gpu == "B200" else A10_BOARD_KG
    if gpu in PRICE_8GPU_USD:
        out["price_usd"] = PRICE_8GPU_USD[gpu] * gpus / 8
    out.update(extra)
    out["hosts"] = hosts
    return out


def measured_rows(workload: dict, skus: list[dict], model_of: dict, tpot: float) -> list[dict]:
    """One profile row per (class, SKU) with a measurement meeting the SLO."""
    rows = []
    for c in workload["classes"]:
        for s in skus:
            model, src = model_of[s["gpu"]]
            p = gpu_profile(
                model,
                s["gpu"],
                s["gpus"],
                output_tokens=c["output_tokens"],
                prompt_tokens=c["prompt_tokens"],
                tpot_slo_s=tpot,
                idle_power_w_per_gpu=s["gpu_idle_power_w"],
                source=src,
            )
            if p is not None:
                rows.append(profile_row(workload, c, s, p))
    return rows


def profile_row(workload: dict, c: dict, s: dict, p) -> dict:  # noqa: ANN001 - GpuProfile
    return {
        "workload": workload["name"],
        "class": c["name"],
        "hardware": s["name"],
        "rate_rps": r(p.rate_rps),
        "energy_j_per_request": r(p.energy_j_per_request),
        "source": p.note,
    }


def cpu_rows(workload: dict, params_b: float, kv_b: float) -> list[dict]:
    """Host-CPU profile rows (Reuse) for every class of an offline workload."""
    rows = []
    for c in workload["classes"]:
        p = cpu_profile(
            params_b,
            prompt_tokens=c["prompt_tokens"],
            output_tokens=c["output_tokens"],
            kv_bytes_per_token=kv_b,
        )
        rows.append(
            {
                "workload": workload["name"],
                "class": c["name"],
                "rate_rps_per_core": r(p.rate_rps_per_core, 8),
                "energy_j_per_request": r(p.energy_j_per_request, 2),
                "dram_gb": r(p.dram_gb, 2),
                "source": p.note,
            }
        )
    return rows


def offline_volume(rates: list[float], share: float, slot_h: float = 1.0) -> float:
    """Offline requests that make ``share`` of the service's total (online + offline) volume."""
    online = sum(rates) * 3600.0 * slot_h
    return float(round(online * share / (1.0 - share)))


class _Dumper(yaml.SafeDumper):
    """Plain YAML: no anchors and aliases for values the builder shares between entries."""

    def ignore_aliases(self, data: object) -> bool:
        return True


def static_site(intensity: float) -> dict:
    """The one data centre of the single-grid files: a fixed intensity, PUE and power price."""
    return {
        "name": "dc",
        "intensity_g_per_kwh": intensity,
        "pue": PUE,
        "electricity_usd_per_kwh": USD_PER_KWH,
    }


def write(out: Path, name: str, data: dict) -> None:
    text = "# Written by instances/provisioning/build_instances.py; do not edit by hand.\n"
    text += yaml.dump(
        {"problem": "provisioning", "schema_version": 1, "name": name, **data},
        sort_keys=False,
        width=100,
        allow_unicode=True,
        Dumper=_Dumper,
    )
    (out / f"{name}.yaml").write_text(text)


# --- 1. EcoServe's comparison at three grid intensities ------------------------------------------

ECOSERVE_MODELS = {
    "A100-SXM": (LLAMA_V2, "mlenergy-v2"),
    "H100-SXM": (LLAMA_V3, "mlenergy-v3"),
    "B200": (LLAMA_V3, "mlenergy-v3"),
}
CODE_PEAK_RPS, CONV_PEAK_RPS = 4000.0, 1500.0  # assumption: several 8-GPU servers at peak
CODE_OFFLINE, CONV_OFFLINE = 0.21, 0.45  # EcoServe's average offline shares (which is which: ours)


def ecoserve(ci: float) -> dict:
    slots = 24
    skus = [
        sku(
            f"{g.split('-')[0].lower()}x8",
            g,
            8,
            [FULL, LEAN],
            lifetimes_years=[4.0, 6.0],
            max_servers=20,
        )
        for g in ("A100-SXM", "H100-SXM", "B200")
    ]
    code = {
        "name": "code",
        "kind": "online",
        "rate_slots_rps": shaped("code", slots, CODE_PEAK_RPS),
        "tpot_slo_s": ONLINE_TPOT_S,
        "classes": classes_of("code"),
    }
    conv = {
        "name": "conv",
        "kind": "online",
        "rate_slots_rps": shaped("conv", slots, CONV_PEAK_RPS),
        "tpot_slo_s": ONLINE_TPOT_S,
        "classes": classes_of("conv"),
    }
    v_code = offline_volume(code["rate_slots_rps"], CODE_OFFLINE)
    v_conv = offline_volume(conv["rate_slots_rps"], CONV_OFFLINE)
    mean = {s: size_classes(s, [])[0] for s in ("code", "conv")}
    share_code = round(v_code / (v_code + v_conv), 6)
    batch = {
        "name": "batch",
        "kind": "offline",
        "volume_requests": v_code + v_conv,
        "release_slot": 0,
        "deadline_slot": slots,
        "tpot_slo_s": OFFLINE_TPOT_S,
        "classes": [
            {
                "name": s,
                "share": sh,
                "prompt_tokens": r(mean[s]["prompt_tokens"], 1),
                "output_tokens": r(mean[s]["output_tokens"], 1),
            }
            for s, sh in (("code", share_code), ("conv", round(1 - share_code, 6)))
        ],
    }
    profiles = measured_rows(code, skus, ECOSERVE_MODELS, ONLINE_TPOT_S)
    profiles += measured_rows(conv, skus, ECOSERVE_MODELS, ONLINE_TPOT_S)
    profiles += measured_rows(batch, skus, ECOSERVE_MODELS, OFFLINE_TPOT_S)
    description = (
        f"EcoServe's comparison (arXiv 2502.05043) at a static {ci:g} gCO2e/kWh, one of the "
        "paper's three grid intensities (17, 261, 501). 24 hourly slots. Model: "
        "Llama-3.1-8B-Instruct on every SKU, measured by ML.ENERGY (v2 for A100-SXM4-40GB, the "
        "only A100 measured; v3 for H100-SXM and B200; the two serving stacks differ, so A100 "
        "looks weaker than the hardware alone would make it). Profiles from "
        "ecoopt.provisioning.profiles.gpu_profile: online classes within a "
        f"{ONLINE_TPOT_S * 1000:g} ms TPOT SLO (assumption), offline within "
        f"{OFFLINE_TPOT_S * 1000:g} ms (assumption: batch work is throughput-bound); measured "
        "rows are rescaled to each class's mean output tokens, prompt length is not rescaled "
        "(library behaviour), so the short-output code classes get very high rates. Online "
        "services: the Azure 2023 'code' and 'conv' traces (Splitwise, CC BY 4.0); rate per "
        "slot = traces.rate_shape(service, 24) floored at 0.1 of its mean and scaled to a peak "
        f"of {CODE_PEAK_RPS:g} (code) and {CONV_PEAK_RPS:g} (conv) requests/s (assumption: "
        "several 8-GPU servers at peak); the shape is one hour of real burstiness stretched "
        "over 24 slots, not a diurnal curve. Size classes: traces.size_classes by prompt "
        f"tokens at {PROMPT_EDGES}, mean prompt and output tokens per class. Offline "
        f"batch: the paper's average offline shares, {CODE_OFFLINE:.0%} of the code service's "
        f"daily volume and {CONV_OFFLINE:.0%} of conv's (the assignment of share to service is "
        "ours), as one workload with a code-sized and a conv-sized class (each service's mean "
        "request), released at slot 0, deadline 24 h. SKUs: 8-GPU servers of A100-SXM, "
        "H100-SXM and B200, each with a full host (2 TB DRAM, 22.7 TB SSD, seeds.md §4) and a "
        "lean host (512 GB DRAM, 3.84 TB SSD), both 112 cores, idle 450 W and 300 W "
        "(assumptions), lifetimes 4 and 6 years (Recycle), at most 20 new servers each. GPU "
        "idle power per board: A100 50 W, H100 70 W, B200 140 W (assumptions). Embodied: "
        "ecoopt.carbon (boards A100 99 kg, H100 103 kg; B200 not bundled, given as "
        f"gpu_embodied_kg = {B200_BOARD_KG:g} kg = H100's 103 kg + 100 GB more HBM3e at "
        "0.24 kg/GB, 180 vs 80 GB per GPU; hosts 276.5 + 0.29/GB DRAM + 0.110/GB SSD). "
        "Prices (cost design point only; assumptions): 150k, 280k and 450k USD per 8-GPU "
        f"server, electricity {USD_PER_KWH} USD/kWh, PUE {PUE}. Reuse: host-CPU profile "
        "from profiles.cpu_profile (8.03 B parameters, exact GQA KV of 131,072 B/token, library "
        "defaults 4 GB/s and 3 W per core), 90 % of host cores free (library default)."
    )
    return {
        "description": description,
        "objective": "carbon",
        "horizon": {"slots": slots, "slot_h": 1.0},
        "sites": [static_site(ci)],
        "hardware": skus,
        "workloads": [code, conv, batch],
        "profiles": profiles,
        "cpu_profiles": cpu_rows(batch, LLAMA_PARAMS_B, LLAMA_KV_B),
    }


# --- 2. time shifting on a duck curve -----------------------------------------------------------

CISO_DAY = "2022-06-21T07:00Z"  # midnight PDT on the summer solstice: a deep solar duck curve


def ciso_day() -> dict:
    slots = 24
    skus = [
        sku(
            f"{g.split('-')[0].lower()}x8",
            g,
            8,
            [FULL, LEAN],
            lifetimes_years=[4.0, 6.0],
            max_servers=20,
            site="ciso",
        )
        for g in ("H100-SXM", "B200")
    ]
    conv = {
        "name": "conv",
        "kind": "online",
        "rate_slots_rps": shaped("conv", slots, CONV_PEAK_RPS),
        "tpot_slo_s": ONLINE_TPOT_S,
        "classes": classes_of("conv"),
    }
    mean = size_classes("conv", [])[0]
    batch = {
        "name": "batch",
        "kind": "offline",
        "volume_requests": offline_volume(conv["rate_slots_rps"], CONV_OFFLINE),
        "release_slot": 0,
        "deadline_slot": slots,
        "tpot_slo_s": OFFLINE_TPOT_S,
        "classes": [
            {
                "name": "conv",
                "prompt_tokens": r(mean["prompt_tokens"], 1),
                "output_tokens": r(mean["output_tokens"], 1),
            }
        ],
    }
    profiles = measured_rows(conv, skus, ECOSERVE_MODELS, ONLINE_TPOT_S)
    profiles += measured_rows(batch, skus, ECOSERVE_MODELS, OFFLINE_TPOT_S)
    ci = trace_slots("EIA930-CISO-2022", CISO_DAY, slots, 3600.0)
    description = (
        "Time shifting on California's duck curve: 24 hourly slots of the bundled EIA-930 CISO "
        f"2022 trace from {CISO_DAY} (midnight to midnight PDT on the summer solstice; "
        f"{ci.min():.0f} to {ci.max():.0f} gCO2e/kWh, cleanest around midday). Online: the Azure "
        "2023 'conv' trace shape (traces.rate_shape, 24 bins, floored at 0.1 of its mean; one "
        "hour of burstiness stretched over the day, not a diurnal curve) scaled to a peak of "
        f"{CONV_PEAK_RPS:g} requests/s (assumption), size classes by prompt tokens at "
        f"{PROMPT_EDGES} (traces.size_classes). Offline: a batch of conv-sized requests "
        f"(the trace's mean request) making {CONV_OFFLINE:.0%} of the service's daily volume "
        "(EcoServe's larger average offline share), released at slot 0, deadline 24 h. The "
        "performance design point runs it at a constant rate; the MILP may put it in the "
        "cleanest slots where the online fleet has room. SKUs, hosts, profiles, idle powers, "
        "embodied figures (B200 board derived from H100's by HBM capacity), prices, PUE and "
        "SLOs as in ecoserve_ci261.yaml: Llama-3.1-8B-Instruct measured by ML.ENERGY v3 on "
        "8-GPU H100-SXM and B200 servers, full (2 TB DRAM, 22.7 TB SSD) and lean (512 GB, "
        "3.84 TB) hosts, lifetimes 4 and 6 years; host-CPU profile from profiles.cpu_profile."
    )
    return {
        "description": description,
        "objective": "carbon",
        "horizon": {"slots": slots, "slot_h": 1.0},
        "sites": [
            {
                "name": "ciso",
                "intensity_trace": {"name": "EIA930-CISO-2022", "start": CISO_DAY},
                "pue": PUE,
                "electricity_usd_per_kwh": USD_PER_KWH,
            }
        ],
        "hardware": skus,
        "workloads": [conv, batch],
        "profiles": profiles,
        "cpu_profiles": cpu_rows(batch, LLAMA_PARAMS_B, LLAMA_KV_B),
    }


# --- 3. Reuse and Reduce -------------------------------------------------------------------------

MANY = {"cpu_cores": 192}  # two 96-core sockets (assumption: a current 2-socket server)
REUSE_ONLINE_SERVERS = 2.8  # online peak = 2.8 servers' worth: 3 servers, 0.2 spare at peak
REUSE_CPU_FILL = 0.25  # the offline volume beyond the GPUs' spare room = 25 % of the CPUs' room


def reuse_reduce() -> dict:
    slots, gpus = 24, 4
    full = {**FULL, **MANY}
    lean = {**LEAN, **MANY, "dram_gb": 256.0, "ssd_gb": 1920.0, "idle_power_w": 280.0}
    models = {"A100-SXM": (GEMMA, "mlenergy-v2")}
    skus = [
        sku("a100x4", "A100-SXM", gpus, [full, lean], lifetimes_years=[4.0, 6.0], max_servers=10)
    ]
    mean = size_classes("conv", [])[0]
    cls = [
        {
            "name": "all",
            "prompt_tokens": r(mean["prompt_tokens"], 1),
            "output_tokens": r(mean["output_tokens"], 1),
        }
    ]
    online = {
        "name": "chat",
        "kind": "online",
        "rate_slots_rps": [1.0] * slots,
        "tpot_slo_s": ONLINE_TPOT_S,
        "classes": cls,
    }
    batch = {
        "name": "batch",
        "kind": "offline",
        "volume_requests": 1.0,
        "release_slot": 0,
        "deadline_slot": slots,
        "tpot_slo_s": OFFLINE_TPOT_S,
        "classes": cls,
    }
    mu_on = measured_rows(online, skus, models, ONLINE_TPOT_S)[0]["rate_rps"]
    shape = np.maximum(rate_shape("conv", slots), RATE_FLOOR)
    online["rate_slots_rps"] = [r(v, 3) for v in REUSE_ONLINE_SERVERS * mu_on * shape / shape.max()]
    profiles = measured_rows(online, skus, models, ONLINE_TPOT_S)
    profiles += measured_rows(batch, skus, models, OFFLINE_TPOT_S)
    cpu = cpu_rows(batch, GEMMA_PARAMS_B, GEMMA_KV_B)
    # The volume: what the GPUs of the online fleet have spare over the day, plus a quarter of
    # what their host CPUs could serve (90 % of cores free, the library default).
    n = math.ceil(max(online["rate_slots_rps"]) / mu_on - 1e-9)
    mu_off = profiles[-1]["rate_rps"]
    spare = sum(n - x / mu_on for x in online["rate_slots_rps"]) * 3600.0 * mu_off
    cpu_room = n * 0.9 * full["cpu_cores"] * cpu[0]["rate_rps_per_core"] * 3600.0 * slots
    batch["volume_requests"] = float(round(spare + REUSE_CPU_FILL * cpu_room))
    description = (
        "EcoServe's Reuse and Reduce on a small model: Gemma-2-2B-it (2.61 B parameters, 5.2 GB "
        "of BF16 weights) measured by ML.ENERGY v2 on A100-SXM4-40GB, served on 4-GPU servers "
        "whose host has 192 cores (two 96-core sockets, assumption) in a full variant (2 TB "
        "DRAM, 22.7 TB SSD, idle 450 W) and a lean one (256 GB DRAM, 1.92 TB SSD, idle 280 W; "
        "assumptions); both hold the CPU serving instance (weights + KV of one request, "
        f"{cpu[0]['dram_gb']:g} GB, profiles.cpu_profile with Gemma-2-2B's exact KV of 106,496 "
        "B/token and the library's per-core defaults: 4 GB/s, 50 GFLOP/s, 3 W). Static "
        "261 gCO2e/kWh (EcoServe's middle intensity), 24 hourly slots, lifetimes 4 and 6 "
        "years. Online chat: the Azure 2023 'conv' trace shape (traces.rate_shape, floored at "
        "0.1 of its mean) with conv's mean request size, its peak set to "
        f"{REUSE_ONLINE_SERVERS:g} servers' worth at the {ONLINE_TPOT_S * 1000:g} ms TPOT rate, "
        "so 3 servers carry it. Offline batch (deadline 24 h, "
        f"{OFFLINE_TPOT_S * 1000:g} ms TPOT rate): a volume chosen to exceed what those 3 "
        "servers' GPUs have spare over the day by a quarter of what their host CPUs can serve "
        "(our construction, so that Reuse avoids a fourth server). A100 idle 50 W per board, "
        "price 75k USD per 4-GPU server, PUE 1.2, 0.08 USD/kWh (assumptions); embodied from "
        "ecoopt.carbon (A100 board 99 kg; hosts 276.5 + 0.29/GB DRAM + 0.110/GB SSD)."
    )
    return {
        "description": description,
        "objective": "carbon",
        "horizon": {"slots": slots, "slot_h": 1.0},
        "sites": [static_site(261.0)],
        "hardware": skus,
        "workloads": [online, batch],
        "profiles": profiles,
        "cpu_profiles": cpu,
    }


# --- 4. Mélange: least cost over GPU types, each size class on one type --------------------------

MELANGE_TPOT_S = 0.1  # assumption: a relaxed TPOT SLO, so that the 24 GB boards qualify
USD_PER_H = {"L4": 0.80, "A10": 1.10, "A100-SXM": 3.20, "H100-SXM": 6.90}  # 1-GPU instances
MELANGE_PEAK_RPS = {"code": 60.0, "conv": 40.0}  # assumption: a modest service


def melange_cost() -> dict:
    slots = 24
    vm = [{"name": "vm", "cpu_cores": 16, "dram_gb": 64.0, "ssd_gb": 500.0, "idle_power_w": 40.0}]
    skus = [
        sku(g.split("-")[0].lower(), g, 1, vm, price_usd_per_h=USD_PER_H[g], max_servers=50)
        for g in ("L4", "A10", "A100-SXM", "H100-SXM")
    ]
    for s in skus:
        s.pop("price_usd", None)  # rented by the hour, not bought
    workloads, profiles = [], []
    measured = {"A100-SXM": (LLAMA_V2, "mlenergy-v2"), "H100-SXM": (LLAMA_V2, "mlenergy-v2")}
    for service in ("code", "conv"):
        w = {
            "name": service,
            "kind": "online",
            "rate_slots_rps": shaped(service, slots, MELANGE_PEAK_RPS[service]),
            "tpot_slo_s": MELANGE_TPOT_S,
            "classes": [{**c, "splittable": False} for c in classes_of(service)],
        }
        workloads.append(w)
        profiles += measured_rows(w, skus[2:], measured, MELANGE_TPOT_S)
        for c in w["classes"]:
            for s in skus[:2]:
                p = roofline_gpu_profile(
                    LLAMA_PARAMS_B,
                    s["gpu"],
                    1,
                    prompt_tokens=c["prompt_tokens"],
                    output_tokens=c["output_tokens"],
                    tpot_slo_s=MELANGE_TPOT_S,
                    idle_power_w_per_gpu=s["gpu_idle_power_w"],
                    kv_bytes_per_token=LLAMA_KV_B,
                )
                if p is not None:
                    profiles.append(profile_row(w, c, s, p))
    profiles.sort(key=lambda p: (p["workload"], p["class"], p["hardware"]))
    description = (
        "Mélange-style (Griggs et al. 2024): least cost, each request-size class kept whole on "
        "one GPU type (splittable: false), 1-GPU cloud instances rented by the hour: L4 0.80, "
        "A10 1.10, A100-SXM4-40GB 3.20, H100-SXM 6.90 USD/h (assumptions, the order of 2024 "
        "on-demand prices). Llama-3.1-8B-Instruct: A100 and H100 measured by ML.ENERGY v2 (one "
        "serving stack for both), L4 and A10 by the library's roofline (profiles."
        "roofline_gpu_profile, exact GQA KV of 131,072 B/token, BF16 weights); measured rows "
        "are rescaled to each class's output tokens but not its prompt, the roofline accounts "
        f"for both. TPOT SLO {MELANGE_TPOT_S * 1000:g} ms (assumption: 50 ms would rule the L4 "
        "out, its weight read alone takes 54 ms). Online services: the Azure 2023 'code' and "
        "'conv' trace shapes (traces.rate_shape, 24 slots, floored at 0.1 of the mean) scaled "
        f"to peaks of {MELANGE_PEAK_RPS['code']:g} and {MELANGE_PEAK_RPS['conv']:g} requests/s "
        f"(assumption), size classes by prompt tokens at {PROMPT_EDGES}. Host of each "
        "instance: 16 cores, 64 GB DRAM, 500 GB SSD, 40 W idle; GPU idle L4 16 W, A10 20 W, "
        f"A100 50 W, H100 70 W (assumptions); electricity {USD_PER_KWH} USD/kWh, PUE {PUE}, a "
        "static 261 gCO2e/kWh for the carbon column; embodied: L4 31 kg, A100 99 kg, H100 "
        f"103 kg (ecoopt.carbon), A10 not bundled: {A10_BOARD_KG:g} kg = the A40's 81 kg (same "
        "GA102 die, 48 GB GDDR6) less 24 GB GDDR6 at 0.36 kg/GB. No offline work and one host "
        "variant, so the Reduce, Reuse and Recycle levers are off (they have nothing to act on)."
    )
    return {
        "description": description,
        "objective": "cost",
        "horizon": {"slots": slots, "slot_h": 1.0},
        "sites": [static_site(261.0)],
        "hardware": skus,
        "workloads": workloads,
        "profiles": profiles,
        "levers": {"reduce": False, "reuse": False, "rightsize": True, "recycle": False},
    }


# --- 5. a week on two grids ----------------------------------------------------------------------

WEEK_START = "2022-06-20T07:00Z"  # Monday midnight PDT, a summer week
WEEK_SITES = {"ciso": "EIA930-CISO-2022", "gb": "NESO-GB-2022"}
WEEK_MAX_SERVERS = {"ciso": 20, "gb": 3}  # assumption: the clean site is a small one
WEEK_GPUS = {"ciso": ("H100-SXM", "B200"), "gb": ("B200",)}
WEEK_LABELS = {"ciso": "California (EIA-930 CISO 2022)", "gb": "Great Britain (NESO 2022)"}
WEEK_PROMPT_EDGES = [1024]  # two size classes: a smaller model than the 24-slot files


def week_two_sites() -> dict:
    slots = 168
    skus = [
        sku(
            f"{g.split('-')[0].lower()}x8_{site}",
            g,
            8,
            [FULL, LEAN],
            lifetimes_years=[4.0, 6.0],
            max_servers=WEEK_MAX_SERVERS[site],
            site=site,
        )
        for site, gpus in WEEK_GPUS.items()
        for g in gpus
    ]
    day = np.maximum(rate_shape("conv", 24), RATE_FLOOR)
    rates = [r(v, 3) for v in np.tile(CONV_PEAK_RPS * day / day.max(), 7)]
    conv = {
        "name": "conv",
        "kind": "online",
        "rate_slots_rps": rates,
        "tpot_slo_s": ONLINE_TPOT_S,
        "classes": classes_of("conv", WEEK_PROMPT_EDGES),
    }
    mean = size_classes("conv", [])[0]
    batch = {
        "name": "batch",
        "kind": "offline",
        "volume_requests": offline_volume(rates, CONV_OFFLINE),
        "release_slot": 0,
        "deadline_slot": slots,
        "tpot_slo_s": OFFLINE_TPOT_S,
        "classes": [
            {
                "name": "conv",
                "prompt_tokens": r(mean["prompt_tokens"], 1),
                "output_tokens": r(mean["output_tokens"], 1),
            }
        ],
    }
    profiles = measured_rows(conv, skus, ECOSERVE_MODELS, ONLINE_TPOT_S)
    profiles += measured_rows(batch, skus, ECOSERVE_MODELS, OFFLINE_TPOT_S)
    ci = {k: trace_slots(v, WEEK_START, slots, 3600.0) for k, v in WEEK_SITES.items()}
    (a, b), (na, nb) = ci.values(), WEEK_LABELS.values()
    description = (
        f"A summer week (168 hourly slots from {WEEK_START}, Monday midnight PDT) on two grids: "
        f"{na} ({a.min():.0f}-{a.max():.0f} gCO2e/kWh) and {nb} ({b.min():.0f}-{b.max():.0f}), "
        f"the first the cleaner in {int((a < b).sum())} of the 168 slots. Any request may be "
        "served at either site (no network cost or latency modelled). Online: the Azure 2023 "
        "'conv' trace shape at 24 bins (traces.rate_shape, floored at 0.1 of its mean) repeated "
        f"for each of the 7 days (our choice: a daily pattern), peak {CONV_PEAK_RPS:g} "
        f"requests/s (assumption), size classes by prompt tokens at {WEEK_PROMPT_EDGES} (two, "
        "to keep the 168-slot model small). Offline: a weekly batch of conv-sized requests "
        f"making {CONV_OFFLINE:.0%} of the service's volume, released at slot 0, deadline the "
        "end of the week (our choice; EcoServe's deadline is 24 h, a weekly one lets the batch "
        "follow the cleaner grid and days). SKUs: 8-GPU H100-SXM and B200 servers in California "
        f"(at most {WEEK_MAX_SERVERS['ciso']} each) and 8-GPU B200 servers in Great Britain, "
        f"at most {WEEK_MAX_SERVERS['gb']} (assumption: the cleaner site is a small one, so "
        "the optimum uses both); full and lean hosts, lifetimes 4 and 6 years; profiles, idle "
        "powers, embodied figures (B200 derived from H100 by HBM capacity), prices, PUE and "
        "SLOs as in ecoserve_ci261.yaml (Llama-3.1-8B-Instruct, ML.ENERGY v3). Reuse is off "
        "and there is no CPU profile (our choice: the 8B model's host-CPU rate, 0.07 requests/s "
        "per host, never pays in the 24-slot files, and the CPU variables would slow the "
        "168-slot model). The design points rank SKUs by speed, energy or cost per request and "
        "do not see sites: between the identical B200 SKUs they take the first, California's."
    )
    return {
        "description": description,
        "objective": "carbon",
        "horizon": {"slots": slots, "slot_h": 1.0},
        "sites": [
            {
                "name": k,
                "intensity_trace": {"name": v, "start": WEEK_START},
                "pue": PUE,
                "electricity_usd_per_kwh": USD_PER_KWH,
            }
            for k, v in WEEK_SITES.items()
        ],
        "hardware": skus,
        "workloads": [conv, batch],
        "profiles": profiles,
        "levers": {"reduce": True, "reuse": False, "rightsize": True, "recycle": True},
    }


def main(out: Path = HERE) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for ci in (17, 261, 501):
        write(out, f"ecoserve_ci{ci}", ecoserve(float(ci)))
    write(out, "ciso_day_time_shift", ciso_day())
    write(out, "reuse_reduce", reuse_reduce())
    write(out, "melange_cost", melange_cost())
    write(out, "week_two_sites", week_two_sites())


if __name__ == "__main__":
    main(Path(sys.argv[1]) if len(sys.argv) > 1 else HERE)
