"""Roofline profiles of LLM serving on edge devices, per batch size.

A batch of ``b`` prompts, each of ``P`` prompt tokens and ``O`` output tokens, runs one prefill
and then ``O`` decode steps on one device (:func:`llm_profiles`). Its profile
(:class:`BatchProfile`) is the batch's service time, its energy above the device's idle power,
its memory, whether that fits, and what binds the decode step. These profiles reproduce the
edge-cluster finding of arXiv 2512.04088 (``reference/seeds.md`` §3) by themselves: energy per
prompt falls with batch size (the weights are read once a step whatever the batch) until the
saving per doubling is small (:func:`energy_knee`), and large batches do not fit the 8 GB Jetson
Orin NX. What the roofline gives is *not* the paper's batch-4 knee; see *Knee* below.

**Model** (from the bundled layer graphs, :func:`ecoopt.partition.graph.load_layer_graph`).
A model name is the stem shared by ``{model}_decode1_layers.csv`` and
``{model}_prefill{N}_layers.csv`` (``tinyllama_1.1b``, ``llama2_7b``, ``llama3_8b``;
:func:`model_names`); either full stem is accepted too. The two files are combined so:

* ``W`` = Σ ``param_bytes`` (the files are FP16, 2 B per parameter), ``× weight_bits / 16``;
  ``R`` = the same without the ``Embedding`` rows: the bytes a step *reads* (an embedding
  lookup reads ``b`` rows, not the table). TinyLlama-1.1B ``W`` = 2,200,096,768 B,
  ``R`` = 2,069,024,768 B; Llama-3-8B 16,060,522,496 / 15,009,849,344 B (FP16).
* ``kv`` = Σ ``kv_cache_bytes`` of the decode file (one token, FP16 K and V of every layer;
  equal to the prefill file's ÷ N): TinyLlama 22,528 B, Llama-2-7B 524,288, Llama-3-8B 131,072.
  The KV cache stays FP16 whatever ``weight_bits``.
* FLOPs of a forward pass over ``n`` tokens are taken as ``F(n) = α·n + β·n²``, the two
  coefficients fitted exactly through the decode file (``F(1)``) and the prefill file
  (``F(N)``, N = 512): ``β = (F(N) − N·F(1)) / (N² − N)``, ``α = F(1) − β``. ``β`` is the
  attention term (full ``n × n`` score matrices, as the files count them): TinyLlama
  183,744 FLOP (``4·layers·hidden`` = 180,224), Llama-3-8B 529,408 (524,288). A prompt's
  prefill costs ``F(P)``; a decode token attending to ``c`` tokens costs ``α + β·c``.
* activation allowance ``= b · P · a``, ``a`` the largest per-token tensor of the decode file
  (the logits, vocabulary × 2 B: TinyLlama 64,000 B, Llama-3-8B 256,512 B): a prefill that
  computes logits at every prompt position holds that much at once. Engines that keep only
  the last position's logits (vLLM, llama.cpp) need less; eager attention's score matrices
  (``heads · P² · 2`` B, one layer at a time) are not counted.

**Device** (``ecoopt/data/devices/device_specs_compiled.csv``; :func:`device_names`). Memory
``M`` (``memory_gb × 1e9``: the table's GB read as 10⁹ B, 7 % below the GiB the modules
have, on the safe side), bandwidth ``B`` (``mem_bw_GBps × 1e9``), dense FP16 peak ``C``
(``peak_fp16_dense_tflops × 1e12``, or :data:`DERIVED_FP16_DENSE_TFLOPS` where the table has
none), active power (``tdp_or_max_w``: the Orin NX 8 GB's 20 W mode, the RTX 2000 Ada's 70 W
board power) and idle power (:data:`IDLE_W`, else the table's ``idle_w_approx``, else
:data:`IDLE_FRACTION_DEFAULT` of the active power). Weights at 4 or 8 bits are weight-only
quantisation (dequantised to FP16 for the matrix products), so ``C`` stays the FP16 peak; no
allowance is made for quantisation scales (≈ 3 % of the weights at 4 bits, group 128).

**Roofline**, with ``η_B`` = :data:`BANDWIDTH_EFFICIENCY` (0.8) and ``η_C`` =
``ecoopt.provisioning.profiles.COMPUTE_EFFICIENCY`` (0.5, shared with provisioning)::

    decode step k = 0..O−1, context c_k = P + k cached tokens:
        t_k     = max((R + b·kv·c_k) / (B·η_B),  b·(α + β·(c_k + 1)) / (C·η_C))
    prefill = max(R / (B·η_B),  b·F(P) / (C·η_C))
    service_time_s = prefill + Σ_k t_k       (closed form: both terms are linear in k)
    energy_j       = (power_w − idle_w) · service_time_s
    memory_bytes   = W + b·kv·(P + O) + b·P·a
    fits           : memory_bytes <= 0.9 · (M − reserved)
    bound          : "compute" if Σ_k compute-term > Σ_k memory-term, else "memory"
                     (equivalently, at the mean context P + (O − 1)/2)

``O`` decode steps follow the prefill, as stated (engines emit the first token from the
prefill, so this is one step conservative). ``0.9`` is
``ecoopt.provisioning.profiles.MEMORY_USABLE`` (vLLM's default ``gpu_memory_utilization``);
``reserved`` is :data:`OS_RESERVED_BYTES` (1.5 GB) on a shared-memory SoC (``class`` =
``edge_soc``: the CPU, the OS and CUDA share the 8 GB of an Orin NX) and 0 on a discrete GPU,
whose host has its own RAM. Orin NX 8 GB: ``0.9 · (8e9 − 1.5e9)`` = 5.85e9 B usable; RTX 2000
Ada: ``0.9 · 16e9`` = 14.4e9 B. Not modelled: kernel-launch and framework overheads, CPU
tokenisation, DVFS below the power mode's clocks, and the power draw's dependence on the bound
(the device is taken at its full active power for the whole service time).

**Knee.** With prompts of 512 tokens and 128 output tokens, the roofline's knee
(:func:`energy_knee`, 10 % per doubling, batches 1, 2, 4, …) on the Orin NX 8 GB is batch 64
for TinyLlama-1.1B (FP16) and batch 8 for Llama-3-8B at 4 bits — not the paper's 4. Both are
the largest batch that fits: each doubling up to there still saves more than 10 % (TinyLlama
32 → 64: 17 %; Llama-3-8B 4 → 8: 26 %). A roofline has no per-batch cost but the weight read
(the one cost a batch shares) and the per-prompt work, so the saving per doubling falls only
slowly; memory, as the paper says, is what stops large batches. At 8 bits Llama-3-8B does not
fit the Orin NX at all (8.03 GB of weights). Llama-2-7B at 4 bits, whose multi-head KV cache
is 4× Llama-3-8B's per token, fits batch 4 at most, and that is its knee.
"""

from __future__ import annotations

import math
import numbers
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

import pandas as pd

from ..partition.graph import available_models, load_layer_graph
from ..provisioning.profiles import COMPUTE_EFFICIENCY, MEMORY_USABLE

__all__ = [
    "BANDWIDTH_EFFICIENCY",
    "DERIVED_FP16_DENSE_TFLOPS",
    "DEVICE_ALIASES",
    "IDLE_FRACTION_DEFAULT",
    "IDLE_W",
    "OS_RESERVED_BYTES",
    "BatchProfile",
    "device_names",
    "energy_knee",
    "llm_profiles",
    "model_names",
    "profile_rows",
]

BANDWIDTH_EFFICIENCY = 0.8
"""Fraction of the datasheet memory bandwidth a decode step sustains (an assumption: streaming
reads reach roughly 70–90 % of the LPDDR5 / GDDR6 peak; not measured here)."""

OS_RESERVED_BYTES = 1.5e9
"""Bytes of a shared-memory SoC's memory held by the OS, the CPU side and the CUDA context,
B (an assumption for a headless JetPack image; a desktop image holds more)."""

DERIVED_FP16_DENSE_TFLOPS: dict[str, float] = {
    # 32 tensor cores x 256 dense FP16 FMA/clock x 2 FLOP x 765 MHz (the 8 GB module's top GPU
    # clock); cross-check: the 70 sparse INT8 TOPS are GPU 50 + DLA 20, and 50 / 2 / 2 = 12.5.
    # Core count and clock: NVIDIA's Orin NX module data, not in the table, not re-read here.
    "NVIDIA Jetson Orin NX 8GB": 32 * 256 * 2 * 765e6 / 1e12,
    # the table's 191.9 FP8 sparse tensor TFLOPS / 2 (sparsity) / 2 (FP8 -> FP16) = 47.975;
    # cross-check: 88 tensor cores x 128 FMA/clock x 2 FLOP x 2.13 GHz boost = 47.98.
    "NVIDIA RTX 2000 Ada 16GB": 191.9 / 4,
}
"""Dense FP16 tensor TFLOP/s derived for devices whose table row gives none (Orin NX 8 GB:
12.53376; RTX 2000 Ada: 47.975); how each is derived is in the source."""

IDLE_W: dict[str, float] = {
    "NVIDIA Jetson Orin NX 8GB": 5.0,
    "NVIDIA RTX 2000 Ada 16GB": 8.0,
}
"""Idle power assumed where the table gives none, W: Orin NX 8 GB module at idle in its 20 W
mode (a typical ``tegrastats`` VDD_IN reading), RTX 2000 Ada board at idle (a typical
``nvidia-smi`` reading for a 70 W Ada card). Neither is from a datasheet; pass ``idle_w``."""

IDLE_FRACTION_DEFAULT = 0.25
"""Idle power as a fraction of active power for a device with no stated idle figure."""

DEVICE_ALIASES: dict[str, str] = {
    "orin_nx_8gb": "NVIDIA Jetson Orin NX 8GB",
    "rtx_2000_ada": "NVIDIA RTX 2000 Ada 16GB",
}
"""Short device names. Any table name is also accepted case-insensitively, and as its slug
(lower case, ``NVIDIA`` dropped, runs of other characters as ``_``: ``jetson_orin_nx_8gb``)."""

MAX_BATCH = 4096
MAX_TOKENS = 1_000_000
WEIGHT_BITS = (4, 8, 16)
MAX_POWER_W = 5000.0


@dataclass(frozen=True)
class BatchProfile:
    """One batch of prompts on one device (formulas: module docstring, *Roofline*).

    Attributes
    ----------
    batch : int
        Prompts in the batch.
    service_time_s : float
        Prefill plus all ``O`` decode steps of the batch, s.
    energy_j : float
        Energy above the device's idle power for the whole batch, J.
    memory_bytes : float
        Weights + KV cache at the longest context (``P + O``) + activation allowance, B.
    fits : bool
        ``memory_bytes`` is at most the device's usable memory.
    bound : str
        ``"memory"`` or ``"compute"``: the larger of the decode step's two roofline terms,
        summed over the ``O`` steps.
    """

    batch: int
    service_time_s: float
    energy_j: float
    memory_bytes: float
    fits: bool
    bound: str

    @property
    def energy_j_per_prompt(self) -> float:
        """Energy above idle per prompt, J."""
        return self.energy_j / self.batch


class _Device(NamedTuple):
    name: str
    usable_bytes: float  # B
    bandwidth_bytes_per_s: float  # datasheet, B/s
    peak_flops: float  # dense FP16, FLOP/s
    power_w: float  # active, W
    idle_w: float  # W


class _Llm(NamedTuple):
    name: str
    weight_bytes: float  # all weights at FP16, B
    read_bytes: float  # weights a step reads at FP16 (no embedding table), B
    kv_bytes_per_token: float  # B
    alpha: float  # FLOP per token
    beta: float  # FLOP per token per token attended
    act_bytes_per_token: float  # B


# --- devices -------------------------------------------------------------------------------------


def _slug(name: str) -> str:
    text = name.strip().lower().removeprefix("nvidia ")
    return re.sub(r"[^a-z0-9]+", "_", text).strip("_")


@lru_cache(maxsize=1)
def _devices() -> dict[str, _Device]:
    """Every table row with memory, bandwidth, active power and a dense FP16 peak (the table's
    or a derived one), by name."""
    path = resources.files("ecoopt") / "data" / "devices" / "device_specs_compiled.csv"
    with path.open("rb") as fh:
        table = pd.read_csv(fh, dtype=str, keep_default_na=False)
    out: dict[str, _Device] = {}
    for row in table.to_dict("records"):
        name = row["device"]
        num = {
            k: pd.to_numeric(row[k], errors="coerce")
            for k in ("memory_gb", "mem_bw_GBps", "peak_fp16_dense_tflops", "tdp_or_max_w")
        }
        if math.isnan(num["peak_fp16_dense_tflops"]):
            num["peak_fp16_dense_tflops"] = DERIVED_FP16_DENSE_TFLOPS.get(name, math.nan)
        if any(math.isnan(v) or v <= 0 for v in num.values()):
            continue
        power = float(num["tdp_or_max_w"])
        idle = pd.to_numeric(row["idle_w_approx"], errors="coerce")
        idle = IDLE_W.get(name, IDLE_FRACTION_DEFAULT * power if math.isnan(idle) else idle)
        reserved = OS_RESERVED_BYTES if row["class"] == "edge_soc" else 0.0
        out[name] = _Device(
            name=name,
            usable_bytes=MEMORY_USABLE * (float(num["memory_gb"]) * 1e9 - reserved),
            bandwidth_bytes_per_s=float(num["mem_bw_GBps"]) * 1e9,
            peak_flops=float(num["peak_fp16_dense_tflops"]) * 1e12,
            power_w=power,
            idle_w=float(idle),
        )
    return out


def device_names() -> list[str]:
    """Names of the devices the bundled table can profile, in table order.

    Returns
    -------
    list of str
        Table names (``"NVIDIA Jetson Orin NX 8GB"``, ``"NVIDIA RTX 2000 Ada 16GB"``, the
        datacenter GPUs with a dense FP16 figure, ``"NVIDIA Jetson Nano 4GB"``): every row with
        memory, bandwidth, active power and a dense FP16 peak (the table's or
        :data:`DERIVED_FP16_DENSE_TFLOPS`). Rows lacking one (other Jetsons, Raspberry Pis,
        mini PCs) are left out. :data:`DEVICE_ALIASES` and slugs are accepted as well.
    """
    return list(_devices())


def _device(device: object) -> _Device:
    known = _devices()
    if isinstance(device, str):
        key = _slug(device)
        key = _slug(DEVICE_ALIASES.get(key, key))
        for name, dev in known.items():
            if _slug(name) == key:
                return dev
    names = ", ".join(list(DEVICE_ALIASES) + list(known))
    raise ValueError(f"device must be one of {names}; got {device!r}.")


# --- models --------------------------------------------------------------------------------------


def _prefill_stems() -> dict[str, tuple[str, int]]:
    """Model name → (its prefill stem, that stem's prompt tokens), for models with both files."""
    stems = set(available_models())
    out: dict[str, tuple[str, int]] = {}
    for stem in sorted(stems):
        m = re.fullmatch(r"(.+)_prefill(\d+)", stem)
        if m and f"{m.group(1)}_decode1" in stems and int(m.group(2)) > 1:
            out.setdefault(m.group(1), (stem, int(m.group(2))))
    return out


def model_names() -> list[str]:
    """LLMs with a decode and a prefill layer graph in ``models/layer_graphs/``, sorted.

    Returns
    -------
    list of str
        E.g. ``["llama2_7b", "llama3_8b", "tinyllama_1.1b"]``.
    """
    return sorted(_prefill_stems())


@lru_cache(maxsize=16)
def _llm(model: str) -> _Llm:
    """The model's figures from its two layer graphs (module docstring, *Model*)."""
    stem, n = _prefill_stems()[model]
    decode = load_layer_graph(f"{model}_decode1").graph.nodes(data=True)
    f1 = sum(d["flops"] for _, d in decode)
    fn = sum(d["flops"] for _, d in load_layer_graph(stem).graph.nodes(data=True))
    beta = (fn - n * f1) / (n * n - n)
    return _Llm(
        name=model,
        weight_bytes=sum(d["param_bytes"] for _, d in decode),
        read_bytes=sum(d["param_bytes"] for _, d in decode if d["type"] != "Embedding"),
        kv_bytes_per_token=sum(d["kv_cache_bytes"] for _, d in decode),
        alpha=f1 - beta,
        beta=beta,
        act_bytes_per_token=max(d["out_bytes"] for _, d in decode),
    )


def _model(model: object) -> _Llm:
    known = _prefill_stems()
    if isinstance(model, str):
        base = re.sub(r"_(decode1|prefill\d+)$", "", model.strip().lower())
        if base in known:
            return _llm(base)
    raise ValueError(f"model must be one of {', '.join(sorted(known))}; got {model!r}.")


# --- inputs --------------------------------------------------------------------------------------


def _is_int(value: object) -> bool:
    return isinstance(value, numbers.Integral) and not isinstance(value, bool)


def _int_in(value: object, name: str, low: int, high: int) -> int:
    if not _is_int(value) or not low <= value <= high:  # type: ignore[operator]
        raise ValueError(f"{name} must be an integer from {low:,} to {high:,}; got {value!r}.")
    return int(value)  # type: ignore[arg-type]


def _batches(batches: object) -> list[int]:
    if isinstance(batches, (str, bytes)) or not isinstance(batches, Sequence):
        raise ValueError(f"batches must be a sequence of integers from 1 to {MAX_BATCH:,}.")
    if not 1 <= len(batches) <= MAX_BATCH:
        raise ValueError(f"batches must hold from 1 to {MAX_BATCH:,} batch sizes.")
    for b in batches:
        if not _is_int(b) or not 1 <= b <= MAX_BATCH:
            raise ValueError(f"batches must be integers from 1 to {MAX_BATCH:,}; got {b!r}.")
    return [int(b) for b in batches]


def _watts(value: object, name: str, low: float, *, low_ok: bool) -> float:
    real = isinstance(value, numbers.Real) and not isinstance(value, bool)
    v = float(value) if real else math.nan  # type: ignore[arg-type]
    ok = math.isfinite(v) and (v >= low if low_ok else v > low) and v <= MAX_POWER_W
    if not ok:
        sign = ">=" if low_ok else ">"
        raise ValueError(
            f"{name} must be a number of watts {sign} {low:g} and <= {MAX_POWER_W:g}; "
            f"got {value!r}."
        )
    return v


def _powers(dev: _Device, power_w: float | None, idle_w: float | None) -> tuple[float, float]:
    """(active, idle) power, W: the caller's or the device's, idle below active."""
    power = dev.power_w if power_w is None else _watts(power_w, "power_w", 0.0, low_ok=False)
    idle = dev.idle_w if idle_w is None else _watts(idle_w, "idle_w", 0.0, low_ok=True)
    if idle >= power:
        raise ValueError(
            f"idle_w must be from 0 W to below power_w ({power:g} W) on {dev.name}; got {idle:g}."
        )
    return power, idle


# --- roofline ------------------------------------------------------------------------------------


def _series(a: float, s: float, lo: int, hi: int) -> float:
    """Σ_{k=lo}^{hi-1} (a + s·k)."""
    n = hi - lo
    return n * a + s * (hi * (hi - 1) - lo * (lo - 1)) / 2.0 if n > 0 else 0.0


def _sum_of_max(a1: float, s1: float, a2: float, s2: float, n: int) -> float:
    """Σ_{k=0}^{n-1} max(a1 + s1·k, a2 + s2·k), exactly: the two lines cross at most once."""
    d, e = a1 - a2, s1 - s2  # line 1 minus line 2 = d + e·k
    if e == 0:
        return _series(a1, s1, 0, n) if d >= 0 else _series(a2, s2, 0, n)
    if e > 0:  # line 1 is the larger from m on
        m = min(max(math.ceil(-d / e), 0), n)
        return _series(a2, s2, 0, m) + _series(a1, s1, m, n)
    m = min(max(math.floor(-d / e) + 1, 0), n)  # line 1 is the larger before m
    return _series(a1, s1, 0, m) + _series(a2, s2, m, n)


def _profile(
    llm: _Llm, dev: _Device, b: int, p: int, o: int, bits: int, span_w: float
) -> BatchProfile:
    """One batch's profile (formulas: module docstring, *Roofline*)."""
    bw = dev.bandwidth_bytes_per_s * BANDWIDTH_EFFICIENCY
    flops = dev.peak_flops * COMPUTE_EFFICIENCY
    read = llm.read_bytes * bits / 16
    kv = llm.kv_bytes_per_token
    # decode step k: memory term a_m + s_m·k, compute term a_c + s_c·k
    a_m, s_m = (read + b * kv * p) / bw, b * kv / bw
    a_c, s_c = b * (llm.alpha + llm.beta * (p + 1)) / flops, b * llm.beta / flops
    decode = _sum_of_max(a_m, s_m, a_c, s_c, o)
    prefill = max(read / bw, b * (llm.alpha * p + llm.beta * p * p) / flops)
    memory = llm.weight_bytes * bits / 16 + b * kv * (p + o) + b * p * llm.act_bytes_per_token
    compute_bound = _series(a_c, s_c, 0, o) > _series(a_m, s_m, 0, o)
    return BatchProfile(
        batch=b,
        service_time_s=prefill + decode,
        energy_j=span_w * (prefill + decode),
        memory_bytes=memory,
        fits=memory <= dev.usable_bytes,
        bound="compute" if compute_bound else "memory",
    )


def llm_profiles(
    device: str,
    model: str,
    batches: Sequence[int],
    *,
    prompt_tokens: int,
    output_tokens: int,
    weight_bits: int = 16,
    power_w: float | None = None,
    idle_w: float | None = None,
) -> list[BatchProfile]:
    """Roofline profile of one LLM on one device at each batch size.

    Formulas, figures and their sources: module docstring.

    Parameters
    ----------
    device : str
        A name of :func:`device_names`, a :data:`DEVICE_ALIASES` key (``"orin_nx_8gb"``,
        ``"rtx_2000_ada"``) or a slug, case-insensitive.
    model : str
        A name of :func:`model_names` (``"tinyllama_1.1b"``), or one of its layer-graph stems
        (``"tinyllama_1.1b_decode1"``); either way both files are used.
    batches : sequence of int
        Batch sizes (prompts per batch), 1 to 4,096 each, at most 4,096 of them; any order,
        profiled in the order given.
    prompt_tokens, output_tokens : int
        Tokens per prompt ``P`` and output tokens per prompt ``O``, 1 to 1,000,000 each.
    weight_bits : int
        Bits per weight: 16 (FP16), 8 or 4 (weight-only quantisation; KV stays FP16).
    power_w : float, optional
        Active power, W, in (0, 5000]; default the table's ``tdp_or_max_w`` (Orin NX 8 GB:
        20 W mode; RTX 2000 Ada: 70 W board). It scales the energy only: a lower power mode's
        lower clocks are not modelled, so the service time stays the full-power one.
    idle_w : float, optional
        Idle power, W, from 0 to below ``power_w``; default :data:`IDLE_W` (Orin NX 8 GB 5 W,
        RTX 2000 Ada 8 W), else the table's, else :data:`IDLE_FRACTION_DEFAULT` of active.

    Returns
    -------
    list of BatchProfile
        One per batch size, in the order of ``batches``.

    Raises
    ------
    ValueError
        An unknown device or model, or a number outside its range; the message names the
        argument and the range.
    """
    dev = _device(device)
    llm = _model(model)
    sizes = _batches(batches)
    p = _int_in(prompt_tokens, "prompt_tokens", 1, MAX_TOKENS)
    o = _int_in(output_tokens, "output_tokens", 1, MAX_TOKENS)
    if not _is_int(weight_bits) or weight_bits not in WEIGHT_BITS:
        raise ValueError(f"weight_bits must be 4, 8 or 16; got {weight_bits!r}.")
    power, idle = _powers(dev, power_w, idle_w)
    return [_profile(llm, dev, b, p, o, int(weight_bits), power - idle) for b in sizes]


def _checked_profiles(profiles: object) -> list[BatchProfile]:
    if isinstance(profiles, (str, bytes)) or not isinstance(profiles, Sequence):
        raise ValueError("profiles must be a sequence of BatchProfile.")
    if not all(isinstance(pr, BatchProfile) for pr in profiles):
        raise ValueError("profiles must hold only BatchProfile items (from llm_profiles).")
    return list(profiles)


def energy_knee(profiles: Sequence[BatchProfile], *, saving: float = 0.10) -> int:
    """The batch beyond which doubling the batch no longer saves energy per prompt.

    Rule: among the fitting profiles, sorted by batch, with ``e(b) = energy_j / b`` (J per
    prompt), the knee is the smallest fitting batch ``b`` for which either ``2b`` is not a
    fitting batch of ``profiles``, or ``e(b) − e(2b) < saving · e(b)``. With batches 1, 2, 4,
    … it is where a doubling first saves less than ``saving``, or the largest fitting batch.

    Parameters
    ----------
    profiles : sequence of BatchProfile
        Profiles of one device and model (:func:`llm_profiles`), at least one fitting.
    saving : float
        Relative saving of energy per prompt a doubling must reach to go on, in (0, 1).

    Returns
    -------
    int
        The knee batch, prompts.

    Raises
    ------
    ValueError
        If ``saving`` is outside (0, 1), ``profiles`` is not a sequence of
        :class:`BatchProfile`, or none fits.
    """
    real = isinstance(saving, numbers.Real) and not isinstance(saving, bool)
    if not real or not 0.0 < float(saving) < 1.0:
        raise ValueError(f"saving must be a fraction strictly between 0 and 1; got {saving!r}.")
    per_prompt = {pr.batch: pr.energy_j / pr.batch for pr in _checked_profiles(profiles) if pr.fits}
    if not per_prompt:
        raise ValueError("profiles must include at least one batch that fits the device memory.")
    for b in sorted(per_prompt):
        e, e2 = per_prompt[b], per_prompt.get(2 * b)
        if e2 is None or e - e2 < saving * e:
            return b
    raise AssertionError("unreachable: the largest fitting batch has no fitting double")


def profile_rows(node: str, request_type: str, profiles: Sequence[BatchProfile]) -> list[dict]:
    """Rows of an instance file's profile table, for the fitting batches only.

    Parameters
    ----------
    node : str
        Name of the edge node the profiles are for (non-empty, at most 200 characters).
    request_type : str
        Name of the request type (model and prompt shape), same limits.
    profiles : sequence of BatchProfile
        From :func:`llm_profiles`.

    Returns
    -------
    list of dict
        ``{"node", "type", "batch", "service_time_s" (s), "energy_j" (J above idle, whole
        batch), "memory_bytes" (B)}`` per fitting profile, in the order given.

    Raises
    ------
    ValueError
        An empty or overlong name, or ``profiles`` not a sequence of :class:`BatchProfile`.
    """
    for value, name in ((node, "node"), (request_type, "request_type")):
        if not isinstance(value, str) or not 1 <= len(value.strip()) <= 200:
            raise ValueError(f"{name} must be a non-empty name of at most 200 characters.")
    return [
        {
            "node": node,
            "type": request_type,
            "batch": pr.batch,
            "service_time_s": pr.service_time_s,
            "energy_j": pr.energy_j,
            "memory_bytes": pr.memory_bytes,
        }
        for pr in _checked_profiles(profiles)
        if pr.fits
    ]
