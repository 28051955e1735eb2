"""Execution profiles of LLM serving configurations: what one server sustains, at what energy.

A profile says how many requests per second one server of ``gpus_per_server`` GPUs sustains
within a time-per-output-token SLO, the GPU energy per request above the GPUs' idle power, and
the server's average GPU power. It comes from one of two places:

* **measurements** (:func:`gpu_profile`): the ML.ENERGY benchmark's configuration tables,
  bundled in ``ecoopt/data/llm_energy/`` (v3: H100 and B200; v2, an older serving stack:
  A100-SXM4-40GB and H100-80GB). Each row is one configuration (model, GPU, GPUs per replica,
  max batch) with its mean energy per request, output-token throughput, mean output length and
  TPOT.
* **a roofline** (:func:`roofline_gpu_profile`) for any GPU in ``ecoopt/data/devices/``.

GPU names are the keys of :data:`GPU_NAMES`, the one table mapping them to the device table and
to the labels the two measurement tables use.

**TPOT.** v2 gives the mean per request, ``Avg TPOT (s)``. v3 gives inter-token-latency
percentiles only; the median (``median_itl_ms / 1000``) is used because it is the statistic
closest to v2's mean (both describe a typical token, not the tail), so one ``tpot_slo_s`` means
the same thing for both sources. A tail SLO (p90/p99) would be stricter than either.

**Scaling to the caller's output length.** A row measured at ``L_row`` mean output tokens per
request is applied to requests of ``output_tokens`` tokens by keeping its token throughput and
power: rate per replica = ``tokens_per_s / output_tokens`` (= row request rate
``x L_row / output_tokens``), energy per request ``= E_row x output_tokens / L_row``. Prompt
length is not rescaled (the rows' prompt mix is the benchmark's), so ``prompt_tokens`` is
accepted for symmetry with the roofline and otherwise unused by measured profiles.

**Roofline.** One replica on ``tp`` GPUs running ``batch`` sequences of a dense model with
``P`` parameters (``bytes_per_param`` each), FP16 KV cache of ``kv`` bytes per token::

    decode step  = max(P · bytes_per_param / (mem_bw · tp),        # weights read once a step
                       2 · P · batch / (peak_fp16 · tp · 0.5))     # FLOPs at 50 % efficiency
    prefill      = batch · 2 · P · prompt / (peak_fp16 · tp · 0.5) # the batch's prompts
    rate         = batch / (output · step + prefill)               # requests/s
    fit          : P · bytes_per_param + batch · (prompt + output) · kv <= 0.9 · memory · tp
    SLO          : step <= tpot_slo_s
    power        = tp · (idle + (TDP − idle) · u),  u = time-weighted utilisation:
                   0.6 + 0.4 · compute-term / step while decoding, 1 while prefilling

and the batch is the largest that fits and meets the SLO. ``kv`` defaults to
:func:`mha_kv_bytes_per_token`. Decode reads of the KV cache are not in the step (optimistic at
long contexts); tensor-parallel communication is ignored. Against ML.ENERGY v3 (Llama-3.1-8B,
8xH100, 1000-token prompts, 400-token outputs, 50 ms): 177 vs 196 requests/s measured.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

import pandas as pd

__all__ = [
    "GPU_NAMES",
    "CpuProfile",
    "GpuNames",
    "GpuProfile",
    "cpu_profile",
    "gpu_profile",
    "measured_models",
    "mha_kv_bytes_per_token",
    "roofline_gpu_profile",
]


class GpuNames(NamedTuple):
    """What one GPU name stands for in each bundled table (``None``: not in that table)."""

    device: str | None  # ``device`` column of data/devices/gpu_specs.csv (roofline)
    mlenergy_v2: str | None  # ``GPU`` column of mlenergy_v2_llm_configs.csv
    mlenergy_v3: str | None  # ``gpu_model`` column of mlenergy_v3_llm_configs.csv


GPU_NAMES: dict[str, GpuNames] = {
    # Measured. v2's A100 rows are the 40 GB SXM4 board; "A100-SXM" means that board everywhere.
    "A100-SXM": GpuNames("NVIDIA A100 SXM4 40GB", "NVIDIA A100-SXM4-40GB", None),
    "H100-SXM": GpuNames("NVIDIA H100 SXM5 80GB", "NVIDIA H100 80GB HBM3", "H100"),
    "B200": GpuNames("NVIDIA B200 (HGX)", None, "B200"),
    # Roofline only.
    "A100-80GB": GpuNames("NVIDIA A100 SXM4 80GB", None, None),
    "A100-PCIe": GpuNames("NVIDIA A100 PCIe 40GB", None, None),
    "H100-PCIe": GpuNames("NVIDIA H100 PCIe 80GB", None, None),
    "A40": GpuNames("NVIDIA A40", None, None),
    "A10": GpuNames("NVIDIA A10", None, None),
    "L4": GpuNames("NVIDIA L4", None, None),
    "T4": GpuNames("NVIDIA T4", None, None),
    "V100": GpuNames("NVIDIA V100 SXM2 32GB", None, None),
}
"""GPU name → its row in the device table and its labels in ML.ENERGY v2 and v3.

v3's ``H100`` and v2's ``H100 80GB HBM3`` are both the SXM5 board (HBM3 is SXM-only)."""

COMPUTE_EFFICIENCY = 0.5
"""Fraction of peak dense FP16 FLOP/s a roofline replica achieves (decode and prefill)."""
MEMORY_USABLE = 0.9
"""Fraction of GPU memory for weights + KV cache (vLLM's default ``gpu_memory_utilization``)."""
KV_BYTES_PER_VALUE = 2.0
"""Bytes per stored K or V element (FP16/BF16 KV cache, whatever the weights' precision)."""
DECODE_UTILISATION_FLOOR = 0.6
"""Power utilisation ``(P - idle) / (TDP - idle)`` of a purely weight-bandwidth-bound decode
step; it rises linearly to 1 as the step becomes compute-bound. Calibrated on ML.ENERGY v3
(Llama-3.1-8B on one H100 at max batch 8: 486 W of a 700 W TDP, ~0.65 for an idle near 70 W);
prefill is taken as compute-bound, utilisation 1."""


@dataclass(frozen=True)
class GpuProfile:
    """What one GPU server sustains for one model within a TPOT SLO.

    Attributes
    ----------
    rate_rps : float
        Largest request rate one server sustains within the SLO, requests/s.
    energy_j_per_request : float
        GPU energy per request above the GPUs' idle power, J (idle is charged separately).
    power_w : float
        Average total GPU power of the server at ``rate_rps``, W (GPUs left over when the
        replicas do not fill the server are counted at idle).
    batch : int
        Max batch (``max_num_seqs`` / ``Max BS``) of the chosen configuration; for a roofline,
        the batch it assumes.
    source : str
        ``"mlenergy-v3"``, ``"mlenergy-v2"`` or ``"roofline"``.
    note : str
        One line: which measured row, or which roofline assumptions.
    """

    rate_rps: float
    energy_j_per_request: float
    power_w: float
    batch: int
    source: str
    note: str


@dataclass(frozen=True)
class CpuProfile:
    """Offline LLM work on host CPU cores (EcoServe's *Reuse*), per core.

    Attributes
    ----------
    rate_rps_per_core : float
        Requests/s per host CPU core, requests/s.
    energy_j_per_request : float
        Host energy per request above host idle, J.
    dram_gb : float
        Host DRAM one CPU serving instance needs (weights + KV of one request, + 10 %), GB.
    note : str
        One line: the assumptions.
    """

    rate_rps_per_core: float
    energy_j_per_request: float
    dram_gb: float
    note: str


# --- bundled tables ------------------------------------------------------------------------------


def _data_csv(name: str) -> pd.DataFrame:
    with (resources.files("ecoopt") / "data" / name).open("rb") as fh:
        return pd.read_csv(fh)


@lru_cache(maxsize=1)
def _measured() -> pd.DataFrame:
    """Both ML.ENERGY tables in one frame: source, task, model, gpu (the table's label),
    num_gpus, batch, tpot_s, tokens_per_s, output_len, energy_j (per request), power_w (one
    replica, all its GPUs)."""
    v3 = _data_csv("llm_energy/mlenergy_v3_llm_configs.csv")
    v2 = _data_csv("llm_energy/mlenergy_v2_llm_configs.csv")
    a = pd.DataFrame(
        {
            "source": "mlenergy-v3",
            "task": v3["task"],
            "model": v3["model_id"],
            "gpu": v3["gpu_model"],
            "num_gpus": v3["num_gpus"],
            "batch": v3["max_num_seqs"],
            "tpot_s": v3["median_itl_ms"] / 1000.0,
            "tokens_per_s": v3["output_throughput_tokens_per_sec"],
            "output_len": v3["avg_output_len"],
            "energy_j": v3["energy_per_request_joules"],
            "power_w": v3["avg_power_watts"],
        }
    )
    b = pd.DataFrame(
        {
            "source": "mlenergy-v2",
            "task": v2["task"],
            "model": v2["Model"],
            "gpu": v2["GPU"],
            "num_gpus": v2["TP"] * v2["PP"],
            "batch": v2["Max BS (reqs)"],
            "tpot_s": v2["Avg TPOT (s)"],
            "tokens_per_s": v2["Token tput (tok/s)"],
            "output_len": v2["Avg Output Tokens"],
            "energy_j": v2["Energy/req (J)"],
            # v2 has no power column: energy per request x requests per second.
            "power_w": v2["Energy/req (J)"] * v2["Token tput (tok/s)"] / v2["Avg Output Tokens"],
        }
    )
    return pd.concat([a, b], ignore_index=True)


@lru_cache(maxsize=1)
def _devices() -> pd.DataFrame:
    return _data_csv("devices/gpu_specs.csv").set_index("device")


def measured_models() -> list[str]:
    """Model ids (Hugging Face names, as the benchmark spells them) with measurements, sorted.

    Returns
    -------
    list of str
        E.g. ``"meta-llama/Llama-3.1-8B-Instruct"`` (v3) and
        ``"meta-llama/Meta-Llama-3.1-8B-Instruct"`` (v2): the two tables name models differently
        and share none.
    """
    return sorted(set(_measured()["model"]))


def _gpu_names(gpu: str) -> GpuNames:
    if gpu not in GPU_NAMES:
        raise ValueError(f"unknown GPU {gpu!r}; known: {', '.join(GPU_NAMES)}")
    return GPU_NAMES[gpu]


def _check(value: float, name: str, *, positive: bool = True) -> None:
    bad = not math.isfinite(value) or (value <= 0 if positive else value < 0)
    if bad:
        raise ValueError(f"{name} must be {'> 0' if positive else '>= 0'}, got {value!r}")


def _check_server(
    gpus_per_server: int,
    output_tokens: float,
    prompt_tokens: float,
    tpot_slo_s: float,
    idle_power_w_per_gpu: float,
) -> None:
    is_int = isinstance(gpus_per_server, int) and not isinstance(gpus_per_server, bool)
    if not is_int or gpus_per_server < 1:
        raise ValueError(f"gpus_per_server must be an int >= 1, got {gpus_per_server!r}")
    _check(output_tokens, "output_tokens")
    _check(prompt_tokens, "prompt_tokens", positive=False)
    _check(tpot_slo_s, "tpot_slo_s")
    _check(idle_power_w_per_gpu, "idle_power_w_per_gpu", positive=False)


# --- measured profiles ---------------------------------------------------------------------------


def _measured_rows(model: str, names: GpuNames, source: str) -> pd.DataFrame:
    """The rows of ``model`` on this GPU from ``source`` ("auto": v3 if it has any, else v2);
    of a v3 model measured on both tasks, the chat task's rows only."""
    table = _measured()
    if model not in set(table["model"]):
        raise ValueError(f"no measurements of model {model!r}; see measured_models()")
    labels = {"mlenergy-v3": names.mlenergy_v3, "mlenergy-v2": names.mlenergy_v2}
    if source not in (*labels, "auto"):
        raise ValueError(f"source must be 'auto', 'mlenergy-v3' or 'mlenergy-v2', got {source!r}")
    rows = table.iloc[:0]
    for src in labels if source == "auto" else [source]:
        rows = table[(table["source"] == src) & (table["model"] == model)]
        rows = rows[rows["gpu"] == labels[src]]
        if not rows.empty:
            break
    # Chat is the closer match to interactive serving; GPQA (long reasoning outputs) only for
    # models measured on nothing else.
    chat = rows[rows["task"] == "lm-arena-chat"]
    return chat if not chat.empty else rows


def gpu_profile(
    model: str,
    gpu: str,
    gpus_per_server: int,
    *,
    output_tokens: float,
    prompt_tokens: float,
    tpot_slo_s: float,
    idle_power_w_per_gpu: float,
    source: str = "auto",
) -> GpuProfile | None:
    """The measured configuration of ``model`` that serves most requests/s within the SLO.

    A row on ``num_gpus`` GPUs is one replica; a server holds ``gpus_per_server // num_gpus``
    replicas. Among the rows whose TPOT ≤ ``tpot_slo_s`` (v2 mean TPOT, v3 median ITL; see the
    module docstring) with at least one replica, the one of greatest server token throughput
    wins (ties: the lower energy per token). Rate and energy are scaled to ``output_tokens``
    (module docstring). Energy above idle = energy per request − idle power x replica GPUs ÷
    rate per replica, clipped at 0 (the note says so when clipped).

    Parameters
    ----------
    model : str
        A model id of :func:`measured_models`.
    gpu : str
        A key of :data:`GPU_NAMES` with measurements: ``"A100-SXM"`` (v2, 40 GB SXM4),
        ``"H100-SXM"`` (v3 and v2) or ``"B200"`` (v3).
    gpus_per_server : int
        GPUs in one server.
    output_tokens, prompt_tokens : float
        Mean output and prompt tokens per request (prompt: unused here, see module docstring).
    tpot_slo_s : float
        Largest acceptable time per output token, s.
    idle_power_w_per_gpu : float
        Idle power of one GPU, W.
    source : str
        ``"auto"`` (v3 where it has the model on this GPU, else v2), ``"mlenergy-v3"`` or
        ``"mlenergy-v2"``.

    Returns
    -------
    GpuProfile or None
        ``None`` when there is no measurement of the model on this GPU in ``source``, when no
        configuration fits in one server, or when none meets the SLO.
    """
    names = _gpu_names(gpu)
    _check_server(gpus_per_server, output_tokens, prompt_tokens, tpot_slo_s, idle_power_w_per_gpu)
    rows = _measured_rows(model, names, source)
    rows = rows[(rows["num_gpus"] <= gpus_per_server) & (rows["tpot_s"] <= tpot_slo_s)]
    if rows.empty:
        return None
    replicas = gpus_per_server // rows["num_gpus"]
    order = pd.DataFrame(
        {"tput": -replicas * rows["tokens_per_s"], "e": rows["energy_j"] / rows["output_len"]}
    ).sort_values(["tput", "e"], kind="stable")
    row = rows.loc[order.index[0]]
    return _profile_of_row(row, gpu, gpus_per_server, output_tokens, idle_power_w_per_gpu)


def _profile_of_row(
    row: pd.Series, gpu: str, gpus_per_server: int, output_tokens: float, idle_w: float
) -> GpuProfile:
    n = int(row["num_gpus"])
    replicas = gpus_per_server // n
    rate = float(row["tokens_per_s"]) / output_tokens
    energy = float(row["energy_j"]) * output_tokens / float(row["output_len"])
    above = energy - idle_w * n / rate
    power = replicas * float(row["power_w"]) + (gpus_per_server - replicas * n) * idle_w
    note = (
        f"{row['source']} {row['task']} {row['model']} on {n}x {gpu}, max batch "
        f"{int(row['batch'])}: TPOT {row['tpot_s'] * 1e3:.1f} ms, "
        f"{row['tokens_per_s']:.0f} tok/s, {row['output_len']:.0f} output tok/req; "
        f"{replicas} replica(s) per server"
    )
    if above < 0:
        note += "; energy above idle clipped to 0 (idle power exceeds the measured power)"
    return GpuProfile(
        rate_rps=replicas * rate,
        energy_j_per_request=max(above, 0.0),
        power_w=power,
        batch=int(row["batch"]),
        source=str(row["source"]),
        note=note,
    )


# --- roofline ------------------------------------------------------------------------------------


def mha_kv_bytes_per_token(params_billion: float) -> float:
    """KV-cache bytes per token of a dense multi-head-attention transformer, by rule of thumb.

    ``params ≈ 12 · layers · hidden²`` with ``hidden / layers = 128`` gives
    ``hidden = (128 · params / 12)^(1/3)``; K and V of every layer in FP16 take
    ``2 · layers · hidden · 2 = hidden² / 32`` bytes per token. Llama-2-7B: rule 540 kB, exact
    524 kB. Grouped-query models store less (Llama-3-8B: 131,072 B, a quarter of MHA): the
    rule is an upper bound for them; pass the exact figure where it is known.

    Parameters
    ----------
    params_billion : float
        Parameters, billions.

    Returns
    -------
    float
        Bytes per token of context.
    """
    hidden = (128.0 * params_billion * 1e9 / 12.0) ** (1.0 / 3.0)
    return 2.0 * (hidden / 128.0) * hidden * KV_BYTES_PER_VALUE


class _Work(NamedTuple):
    """The model and request sizes one roofline is drawn for."""

    params_billion: float
    bytes_per_param: float
    kv_bytes_per_token: float
    prompt_tokens: float
    output_tokens: float


def _work(
    params_billion: float,
    bytes_per_param: float,
    kv_bytes_per_token: float | None,
    prompt_tokens: float,
    output_tokens: float,
) -> _Work:
    _check(params_billion, "params_billion")
    _check(bytes_per_param, "bytes_per_param")
    _check(prompt_tokens, "prompt_tokens", positive=False)
    _check(output_tokens, "output_tokens")
    kv = (
        mha_kv_bytes_per_token(params_billion) if kv_bytes_per_token is None else kv_bytes_per_token
    )
    _check(kv, "kv_bytes_per_token")
    return _Work(params_billion, bytes_per_param, kv, prompt_tokens, output_tokens)


class _Replica(NamedTuple):
    rate_rps: float  # requests/s of one replica
    power_w: float  # average power of the replica's GPUs, W
    energy_j: float  # energy per request above idle, J
    step_s: float  # decode step time, s
    compute_bound: bool


def _device(gpu: str) -> pd.Series:
    device = _gpu_names(gpu).device
    if device is None or device not in _devices().index:
        raise ValueError(f"GPU {gpu!r} has no row in the device table")
    return _devices().loc[device]


def _times(w: _Work, dev: pd.Series, tp: int) -> tuple[float, float]:
    """(weight-read time of one decode step, s; FLOP/s of the replica at the stated efficiency)."""
    t_mem = w.params_billion * 1e9 * w.bytes_per_param / (float(dev["mem_bw_GBps"]) * 1e9 * tp)
    return t_mem, float(dev["peak_fp16_dense_tflops"]) * 1e12 * tp * COMPUTE_EFFICIENCY


def _replica_at_batch(w: _Work, dev: pd.Series, tp: int, batch: int, idle_w: float) -> _Replica:
    """Roofline of one replica on ``tp`` GPUs of ``dev`` running ``batch`` sequences (formulas:
    module docstring, *Roofline*)."""
    t_mem, flops = _times(w, dev, tp)
    t_comp = 2.0 * w.params_billion * 1e9 * batch / flops
    step = max(t_mem, t_comp)
    prefill = batch * 2.0 * w.params_billion * 1e9 * w.prompt_tokens / flops
    cycle = w.output_tokens * step + prefill
    util_decode = DECODE_UTILISATION_FLOOR + (1 - DECODE_UTILISATION_FLOOR) * t_comp / step
    busy = util_decode * w.output_tokens * step + prefill  # utilisation-weighted seconds
    span_w = (float(dev["tdp_or_max_w"]) - idle_w) * tp
    return _Replica(
        rate_rps=batch / cycle,
        power_w=idle_w * tp + span_w * busy / cycle,
        energy_j=span_w * busy / batch,
        step_s=step,
        compute_bound=t_comp > t_mem,
    )


def _batch_limits(w: _Work, dev: pd.Series, tp: int, tpot_slo_s: float) -> tuple[int, int]:
    """(largest batch whose weights + KV fit, largest batch whose decode step meets the SLO)."""
    weights = w.params_billion * 1e9 * w.bytes_per_param
    free = MEMORY_USABLE * float(dev["memory_gb"]) * 1e9 * tp - weights
    per_seq = w.kv_bytes_per_token * (w.prompt_tokens + w.output_tokens)
    b_mem = math.floor(free / per_seq) if free > 0 else 0
    t_mem, flops = _times(w, dev, tp)
    b_slo = math.floor(tpot_slo_s * flops / (2.0 * w.params_billion * 1e9))
    return b_mem, (b_slo if t_mem <= tpot_slo_s else 0)


def roofline_gpu_profile(
    params_billion: float,
    gpu: str,
    gpus_per_server: int,
    *,
    prompt_tokens: float,
    output_tokens: float,
    tpot_slo_s: float,
    idle_power_w_per_gpu: float,
    bytes_per_param: float = 2.0,
    kv_bytes_per_token: float | None = None,
) -> GpuProfile | None:
    """A roofline profile of a dense model on any GPU of the device table.

    Each tensor-parallel degree 1, 2, 4, … ≤ ``gpus_per_server`` (communication ignored) runs
    the largest batch that fits and meets the SLO; the degree of greatest server rate wins
    (ties: the smaller). Formulas and assumptions: module docstring, *Roofline*.

    Parameters
    ----------
    params_billion : float
        Parameters, billions (all read every decode step: a dense model).
    gpu : str
        A key of :data:`GPU_NAMES` (all have a device-table row).
    gpus_per_server : int
        GPUs in one server.
    prompt_tokens, output_tokens : float
        Mean prompt and output tokens per request.
    tpot_slo_s : float
        Largest acceptable decode step (time per output token), s.
    idle_power_w_per_gpu : float
        Idle power of one GPU, W (below the device's TDP).
    bytes_per_param : float
        Bytes per weight: 2 (FP16/BF16), 1 (FP8/INT8).
    kv_bytes_per_token : float, optional
        KV-cache bytes per token of context; default :func:`mha_kv_bytes_per_token`.

    Returns
    -------
    GpuProfile or None
        ``None`` when the weights do not fit in a whole server or no batch meets the SLO.
    """
    dev = _device(gpu)
    _check_server(gpus_per_server, output_tokens, prompt_tokens, tpot_slo_s, idle_power_w_per_gpu)
    if idle_power_w_per_gpu >= float(dev["tdp_or_max_w"]):
        raise ValueError(f"idle_power_w_per_gpu must be below the TDP of {gpu}")
    w = _work(params_billion, bytes_per_param, kv_bytes_per_token, prompt_tokens, output_tokens)
    best: tuple[float, int, int, int, _Replica] | None = None
    for tp in (2**k for k in range(gpus_per_server.bit_length())):  # 1, 2, 4, … <= server
        b_mem, b_slo = _batch_limits(w, dev, tp, tpot_slo_s)
        batch = min(b_mem, b_slo)
        if batch >= 1:
            r = _replica_at_batch(w, dev, tp, batch, idle_power_w_per_gpu)
            server_rate = (gpus_per_server // tp) * r.rate_rps
            if best is None or server_rate > best[0]:
                best = (server_rate, tp, batch, b_mem, r)
    if best is None:
        return None
    return _roofline_profile(best, gpu, gpus_per_server, idle_power_w_per_gpu)


def _roofline_profile(
    best: tuple[float, int, int, int, _Replica], gpu: str, gpus_per_server: int, idle_w: float
) -> GpuProfile:
    server_rate, tp, batch, b_mem, r = best
    replicas = gpus_per_server // tp
    note = (
        f"roofline {gpu} TP{tp} x{replicas}: batch {batch} "
        f"({'memory' if batch == b_mem else 'SLO'}-bound), step {r.step_s * 1e3:.2f} ms "
        f"({'compute' if r.compute_bound else 'weight-read'}-bound); compute efficiency "
        f"{COMPUTE_EFFICIENCY}, {MEMORY_USABLE:.0%} of memory usable, decode utilisation "
        f"{DECODE_UTILISATION_FLOOR}-1, prefill 1"
    )
    return GpuProfile(
        rate_rps=server_rate,
        energy_j_per_request=r.energy_j,
        power_w=replicas * r.power_w + (gpus_per_server - replicas * tp) * idle_w,
        batch=batch,
        source="roofline",
        note=note,
    )


# --- host CPUs -----------------------------------------------------------------------------------


def cpu_profile(
    params_billion: float,
    *,
    prompt_tokens: float,
    output_tokens: float,
    dram_bandwidth_gb_per_s_per_core: float = 4.0,
    watts_per_core: float = 3.0,
    bytes_per_param: float = 2.0,
    gflop_per_s_per_core: float = 50.0,
    kv_bytes_per_token: float | None = None,
) -> CpuProfile:
    """Offline inference of a dense model on host CPU cores, one request at a time.

    Decode is DRAM-bandwidth bound (each token streams the weights and the KV cache so far,
    ``prompt + output / 2`` tokens on average), prefill compute bound; in core-seconds (cores
    adding bandwidth and FLOP/s linearly)::

        core_s = output · (weights + kv · (prompt + output / 2)) / bandwidth_per_core
                 + 2 · params · prompt / flops_per_core

    rate per core = 1 / core_s; energy = ``watts_per_core · core_s``; DRAM = 1.1 x (weights +
    ``kv · (prompt + output)``).

    Parameters
    ----------
    params_billion : float
        Parameters, billions.
    prompt_tokens, output_tokens : float
        Mean prompt and output tokens per request.
    dram_bandwidth_gb_per_s_per_core : float
        Sustained DRAM bandwidth per core, GB/s (a socket's STREAM bandwidth ÷ its cores).
    watts_per_core : float
        Host power per busy core above host idle, W.
    bytes_per_param : float
        Bytes per weight.
    gflop_per_s_per_core : float
        Sustained prefill GEMM throughput per core, GFLOP/s (~30 % of an AVX-512 core's FP32
        peak; AMX cores reach more).
    kv_bytes_per_token : float, optional
        KV-cache bytes per token; default :func:`mha_kv_bytes_per_token`.
    """
    _check(dram_bandwidth_gb_per_s_per_core, "dram_bandwidth_gb_per_s_per_core")
    _check(watts_per_core, "watts_per_core")
    _check(gflop_per_s_per_core, "gflop_per_s_per_core")
    w = _work(params_billion, bytes_per_param, kv_bytes_per_token, prompt_tokens, output_tokens)
    weights, kv = params_billion * 1e9 * bytes_per_param, w.kv_bytes_per_token
    decode_s = output_tokens * (weights + kv * (prompt_tokens + output_tokens / 2))
    decode_s /= dram_bandwidth_gb_per_s_per_core * 1e9
    core_s = decode_s + 2.0 * params_billion * prompt_tokens / gflop_per_s_per_core  # + prefill
    kv_gb = kv * (prompt_tokens + output_tokens) / 1e9
    note = (
        f"host CPU, batch 1: decode DRAM-bound at {dram_bandwidth_gb_per_s_per_core} GB/s/core, "
        f"prefill at {gflop_per_s_per_core} GFLOP/s/core, {watts_per_core} W/core above idle"
    )
    return CpuProfile(
        rate_rps_per_core=1.0 / core_s,
        energy_j_per_request=watts_per_core * core_s,
        dram_gb=1.1 * (weights / 1e9 + kv_gb),
        note=note,
    )
