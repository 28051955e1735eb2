"""Roofline profiles of LLM serving on edge devices (ecoopt.routing.profiles).

The figures asserted for TinyLlama-1.1B and Llama-3-8B are what the roofline gives with the
module's stated constants, not tuned to the paper: on the Orin NX 8 GB (512-token prompts, 128
output tokens) the 10 % knee is batch 64 for TinyLlama (FP16) and batch 8 for Llama-3-8B at 4
bits, in both cases the largest batch that fits, not the paper's batch 4.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecoopt.routing import profiles as rp
from ecoopt.routing.profiles import (
    BatchProfile,
    device_names,
    energy_knee,
    llm_profiles,
    model_names,
    profile_rows,
)

POW2 = [2**k for k in range(13)]  # 1 … 4096

# TinyLlama-1.1B, read off models/layer_graphs/tinyllama_1.1b_{decode1,prefill512}_layers.csv
TL_W = 2_200_096_768.0  # Σ param_bytes, B (FP16)
TL_EMB = 131_072_000.0  # param_bytes of model.embed_tokens, B
TL_KV = 22 * 1024.0  # Σ kv_cache_bytes of the decode file, B per token
TL_F1 = 2_069_880_256.0  # Σ flops of the decode file (one token), FLOP
TL_F512 = 1_107_852_001_280.0  # Σ flops of the prefill file (512 tokens), FLOP
TL_LOGITS = 64_000.0  # out_bytes of norm+lm_head in the decode file, B per token

# Orin NX 8 GB: table 102.4 GB/s, 8 GB, 20 W; derived 12.53376 TFLOP/s; stated idle 5 W
ORIN_BW = 102.4e9 * 0.8  # B/s at BANDWIDTH_EFFICIENCY
ORIN_FLOPS = 32 * 256 * 2 * 765e6 * 0.5  # FLOP/s at COMPUTE_EFFICIENCY
ORIN_USABLE = 0.9 * (8e9 - 1.5e9)  # B


def _tl_coefficients() -> tuple[float, float]:
    beta = (TL_F512 - 512 * TL_F1) / (512 * 512 - 512)
    return TL_F1 - beta, beta


def _by_hand_orin_tinyllama(b: int, p: int, o: int) -> dict:
    """The module docstring's formulas, step by step (a loop, not the closed form)."""
    alpha, beta = _tl_coefficients()
    read = TL_W - TL_EMB
    decode, mem_sum, comp_sum = 0.0, 0.0, 0.0
    for k in range(o):
        c = p + k
        t_mem = (read + b * TL_KV * c) / ORIN_BW
        t_comp = b * (alpha + beta * (c + 1)) / ORIN_FLOPS
        decode += max(t_mem, t_comp)
        mem_sum, comp_sum = mem_sum + t_mem, comp_sum + t_comp
    prefill = max(read / ORIN_BW, b * (alpha * p + beta * p * p) / ORIN_FLOPS)
    memory = TL_W + b * TL_KV * (p + o) + b * p * TL_LOGITS
    return {
        "service_time_s": prefill + decode,
        "energy_j": (20.0 - 5.0) * (prefill + decode),
        "memory_bytes": memory,
        "fits": memory <= ORIN_USABLE,
        "bound": "compute" if comp_sum > mem_sum else "memory",
    }


def _per_prompt(profiles: list[BatchProfile]) -> list[float]:
    return [pr.energy_j / pr.batch for pr in profiles]


def _largest_fitting(profiles: list[BatchProfile]) -> int:
    return max(pr.batch for pr in profiles if pr.fits)


# --- figures -------------------------------------------------------------------------------------


def test_model_figures_from_the_two_layer_graphs() -> None:
    llm = rp._llm("tinyllama_1.1b")
    alpha, beta = _tl_coefficients()
    assert (llm.weight_bytes, llm.read_bytes) == (TL_W, TL_W - TL_EMB)
    assert (llm.kv_bytes_per_token, llm.act_bytes_per_token) == (TL_KV, TL_LOGITS)
    assert (llm.alpha, llm.beta) == (alpha, beta)
    assert beta == 183_744.0  # ≈ 4 · 22 layers · 2048 hidden = 180,224
    assert model_names() == ["llama2_7b", "llama3_8b", "tinyllama_1.1b"]
    assert rp._model("tinyllama_1.1b_decode1") == rp._model("TinyLlama_1.1B_prefill512") == llm


def test_device_figures_and_names() -> None:
    orin = rp._device("orin_nx_8gb")
    assert orin.name == "NVIDIA Jetson Orin NX 8GB"
    assert orin.peak_flops == pytest.approx(12.53376e12, rel=1e-12)
    assert (orin.usable_bytes, orin.power_w, orin.idle_w) == (ORIN_USABLE, 20.0, 5.0)
    rtx = rp._device("RTX_2000_ADA")
    assert rtx.peak_flops == pytest.approx(47.975e12, rel=1e-12)
    assert (rtx.usable_bytes, rtx.bandwidth_bytes_per_s, rtx.power_w) == (14.4e9, 224e9, 70.0)
    for alias in ("NVIDIA Jetson Orin NX 8GB", "nvidia jetson orin nx 8gb", "jetson_orin_nx_8gb"):
        assert rp._device(alias) == orin
    assert {"NVIDIA Jetson Orin NX 8GB", "NVIDIA RTX 2000 Ada 16GB"} <= set(device_names())


@pytest.mark.parametrize(("b", "o"), [(2, 3), (128, 3), (128, 1000), (1, 1)])
def test_hand_computed_small_case(b: int, o: int) -> None:
    """TinyLlama on the Orin NX, 4-token prompts; b = 128, O = 1000 starts compute-bound and
    crosses to memory-bound mid-way, so the closed form's crossing is exercised."""
    got = llm_profiles("orin_nx_8gb", "tinyllama_1.1b", [b], prompt_tokens=4, output_tokens=o)[0]
    want = _by_hand_orin_tinyllama(b, 4, o)
    assert got.batch == b
    for key in ("service_time_s", "energy_j", "memory_bytes"):
        assert getattr(got, key) == pytest.approx(want[key], rel=1e-9, abs=0), key
    assert (got.fits, got.bound) == (want["fits"], want["bound"])


def test_hand_computed_figures_of_batch_two() -> None:
    """b = 2, P = 4, O = 3: every term in numbers (memory-bound steps, weight-bound prefill)."""
    alpha, beta = _tl_coefficients()
    read = TL_W - TL_EMB
    steps = [(read + 2 * TL_KV * c) / ORIN_BW for c in (4, 5, 6)]
    assert all(s > 2 * (alpha + beta * (c + 1)) / ORIN_FLOPS for s, c in zip(steps, (4, 5, 6)))
    prefill = read / ORIN_BW  # 2·F(4) / FLOP/s = 1.32 ms < 25.3 ms weight read
    assert 2 * (alpha * 4 + beta * 16) / ORIN_FLOPS < prefill
    got = llm_profiles("orin_nx_8gb", "tinyllama_1.1b", [2], prompt_tokens=4, output_tokens=3)[0]
    assert got.service_time_s == pytest.approx(prefill + sum(steps), rel=1e-9, abs=0)
    assert got.service_time_s == pytest.approx(0.101034, rel=1e-5)  # 4 weight reads ≈ 25.26 ms
    assert got.memory_bytes == TL_W + 2 * TL_KV * 7 + 2 * 4 * TL_LOGITS
    assert got.bound == "memory" and got.fits


def test_sum_of_max_matches_a_loop() -> None:
    for a1, s1, a2, s2, n in [(5.0, -1.0, 0.0, 1.0, 9), (0.0, 2.0, 3.0, 0.5, 7), (1, 1, 1, 1, 4)]:
        want = sum(max(a1 + s1 * k, a2 + s2 * k) for k in range(n))
        assert rp._sum_of_max(a1, s1, a2, s2, n) == pytest.approx(want, rel=1e-12)


# --- the edge paper's finding --------------------------------------------------------------------


def test_tinyllama_on_orin_nx_energy_falls_to_a_knee_and_large_batches_do_not_fit() -> None:
    pr = llm_profiles("orin_nx_8gb", "tinyllama_1.1b", POW2, prompt_tokens=512, output_tokens=128)
    fitting = [p for p in pr if p.fits]
    e = _per_prompt(fitting)
    assert all(x > y for x, y in zip(e, e[1:]))  # strictly decreasing over fitting batches
    assert all(p.bound == "memory" for p in fitting)
    assert _largest_fitting(pr) == 64 and not any(p.fits for p in pr if p.batch > 64)
    assert energy_knee(pr) == 64  # not the paper's 4: 32 → 64 still saves 17 %
    assert e[0] == pytest.approx(51.45, rel=1e-3)  # J per prompt at b = 1
    assert e[-1] == pytest.approx(3.712, rel=1e-3)  # J per prompt at the knee, b = 64
    assert 1 - e[-1] / e[-2] == pytest.approx(0.170, abs=1e-3)
    assert energy_knee(pr, saving=0.2) == 32  # a stricter rule stops earlier


def test_quantised_llama3_on_orin_nx() -> None:
    kw = {"prompt_tokens": 512, "output_tokens": 128}
    pr = llm_profiles("orin_nx_8gb", "llama3_8b", POW2, weight_bits=4, **kw)
    e = _per_prompt([p for p in pr if p.fits])
    assert all(x > y for x, y in zip(e, e[1:]))
    assert _largest_fitting(pr) == 8 and energy_knee(pr) == 8
    assert e[0] == pytest.approx(108.45, rel=1e-3) and e[-1] == pytest.approx(31.49, rel=1e-3)
    assert not any(p.fits for p in llm_profiles("orin_nx_8gb", "llama3_8b", [1], **kw))  # FP16
    assert not any(
        p.fits for p in llm_profiles("orin_nx_8gb", "llama3_8b", [1], weight_bits=8, **kw)
    )


def test_quantised_llama2_knee_is_where_memory_stops() -> None:
    """Llama-2-7B's multi-head KV cache (524,288 B per token) leaves room for 4 prompts."""
    kw = {"prompt_tokens": 512, "output_tokens": 128, "weight_bits": 4}
    pr = llm_profiles("orin_nx_8gb", "llama2_7b", POW2, **kw)
    assert _largest_fitting(pr) == 4 and energy_knee(pr) == 4


@pytest.mark.parametrize(
    ("model", "bits", "orin", "rtx"), [("tinyllama_1.1b", 16, 64, 256), ("llama3_8b", 4, 8, 32)]
)
def test_rtx_2000_ada_fits_larger_batches(model: str, bits: int, orin: int, rtx: int) -> None:
    kw = {"prompt_tokens": 512, "output_tokens": 128, "weight_bits": bits}
    on_orin = llm_profiles("orin_nx_8gb", model, POW2, **kw)
    on_rtx = llm_profiles("rtx_2000_ada", model, POW2, **kw)
    assert (_largest_fitting(on_orin), _largest_fitting(on_rtx)) == (orin, rtx)


@pytest.mark.parametrize(("device", "flip"), [("orin_nx_8gb", 128), ("rtx_2000_ada", 256)])
def test_decode_turns_compute_bound_at_large_batch(device: str, flip: int) -> None:
    """Short contexts (128 + 128 tokens) leave memory for batches large enough that the FLOPs
    of the batch outgrow the weight read."""
    pr = llm_profiles(device, "tinyllama_1.1b", POW2[:10], prompt_tokens=128, output_tokens=128)
    bounds = {p.batch: p.bound for p in pr}
    assert [b for b, s in bounds.items() if s == "compute"][0] == flip
    assert all(s == ("compute" if b >= flip else "memory") for b, s in bounds.items())
    big = next(p for p in pr if p.batch == flip)
    assert big.fits
    e = _per_prompt(pr)
    assert e[-1] == pytest.approx(e[-2], rel=1e-9)  # compute-bound: no more to share


def test_weight_bits_and_power_arguments() -> None:
    kw = {"prompt_tokens": 64, "output_tokens": 32}
    f16, f8, f4 = (
        llm_profiles("orin_nx_8gb", "tinyllama_1.1b", [4], weight_bits=w, **kw)[0]
        for w in (16, 8, 4)
    )
    assert f16.memory_bytes - f8.memory_bytes == pytest.approx(TL_W / 2, rel=1e-12)
    assert f16.memory_bytes - f4.memory_bytes == pytest.approx(TL_W * 3 / 4, rel=1e-12)
    assert f4.service_time_s < f8.service_time_s < f16.service_time_s
    p15 = llm_profiles("orin_nx_8gb", "tinyllama_1.1b", [4], power_w=15.0, idle_w=3.0, **kw)[0]
    assert p15.energy_j == pytest.approx(12.0 * f16.service_time_s, rel=1e-12)
    assert p15.service_time_s == f16.service_time_s  # the power mode's clocks are not modelled


# --- knee rule and rows --------------------------------------------------------------------------


def _bp(batch: int, energy_j: float, fits: bool = True) -> BatchProfile:
    return BatchProfile(batch, 1.0, energy_j, 1.0, fits, "memory")


def test_energy_knee_rule() -> None:
    # per prompt: 10, 5, 4.6 (8 % saving), 2
    pr = [_bp(1, 10.0), _bp(2, 10.0), _bp(4, 18.4), _bp(8, 16.0)]
    assert energy_knee(pr) == 2
    assert energy_knee(pr, saving=0.05) == 8  # every doubling saves >= 5 %; 16 is not profiled
    assert energy_knee(list(reversed(pr)), saving=0.05) == 8
    assert energy_knee([_bp(1, 10.0), _bp(3, 3.0)]) == 1  # 2 is not profiled
    assert energy_knee([_bp(1, 10.0), _bp(2, 10.0, fits=False)]) == 1
    # exactly the saving goes on: 10 → 9 per prompt is a 10 % saving
    assert energy_knee([_bp(1, 10.0), _bp(2, 18.0), _bp(4, 36.0)], saving=0.1) == 2


def test_profile_rows_keep_fitting_batches_only() -> None:
    kw = {"prompt_tokens": 512, "output_tokens": 128}
    pr = llm_profiles("orin_nx_8gb", "tinyllama_1.1b", [1, 64, 128], **kw)
    rows = profile_rows("edge-1", "chat", pr)
    assert [r["batch"] for r in rows] == [1, 64]
    assert set(rows[0]) == {"node", "type", "batch", "service_time_s", "energy_j", "memory_bytes"}
    assert rows[1] == {
        "node": "edge-1",
        "type": "chat",
        "batch": 64,
        "service_time_s": pr[1].service_time_s,
        "energy_j": pr[1].energy_j,
        "memory_bytes": pr[1].memory_bytes,
    }


# --- bad input -----------------------------------------------------------------------------------

GOOD = {
    "device": "orin_nx_8gb",
    "model": "tinyllama_1.1b",
    "batches": [1, 2],
    "prompt_tokens": 16,
    "output_tokens": 16,
}


@pytest.mark.parametrize(
    ("change", "name"),
    [
        ({"device": "orin_nano_2gb"}, "device"),
        ({"device": 7}, "device"),
        ({"model": "gpt5"}, "model"),
        ({"model": "resnet50"}, "model"),
        ({"batches": [0]}, "batches"),
        ({"batches": [4097]}, "batches"),
        ({"batches": [2.0]}, "batches"),
        ({"batches": [True]}, "batches"),
        ({"batches": []}, "batches"),
        ({"batches": "1"}, "batches"),
        ({"batches": [1] * 4097}, "batches"),
        ({"prompt_tokens": 0}, "prompt_tokens"),
        ({"prompt_tokens": 1_000_001}, "prompt_tokens"),
        ({"prompt_tokens": 16.0}, "prompt_tokens"),
        ({"output_tokens": -1}, "output_tokens"),
        ({"output_tokens": 10**7}, "output_tokens"),
        ({"weight_bits": 2}, "weight_bits"),
        ({"weight_bits": 16.0}, "weight_bits"),
        ({"power_w": 0.0}, "power_w"),
        ({"power_w": math.nan}, "power_w"),
        ({"power_w": 1e6}, "power_w"),
        ({"idle_w": -1.0}, "idle_w"),
        ({"idle_w": 20.0}, "idle_w"),  # not below the 20 W active power
        ({"power_w": 10.0, "idle_w": 12.0}, "idle_w"),
        ({"idle_w": math.inf}, "idle_w"),
    ],
)
def test_bad_input_names_the_argument(change: dict, name: str) -> None:
    args = GOOD | change
    with pytest.raises(ValueError, match=rf"^{name} must ") as err:
        llm_profiles(args.pop("device"), args.pop("model"), args.pop("batches"), **args)
    assert str(err.value).endswith(".") and "\n" not in str(err.value)


@pytest.mark.parametrize(
    ("call", "name"),
    [
        (lambda: energy_knee([]), "profiles"),
        (lambda: energy_knee([_bp(1, 1.0, fits=False)]), "profiles"),
        (lambda: energy_knee([1, 2]), "profiles"),
        (lambda: energy_knee([_bp(1, 1.0)], saving=0.0), "saving"),
        (lambda: energy_knee([_bp(1, 1.0)], saving=1.5), "saving"),
        (lambda: energy_knee([_bp(1, 1.0)], saving=math.nan), "saving"),
        (lambda: profile_rows("", "chat", []), "node"),
        (lambda: profile_rows("n", "x" * 201, []), "request_type"),
        (lambda: profile_rows("n", "chat", [object()]), "profiles"),
    ],
)
def test_bad_knee_and_row_input_names_the_argument(call, name: str) -> None:
    with pytest.raises(ValueError, match=rf"^{name} must "):
        call()


# --- properties ----------------------------------------------------------------------------------


@given(
    device=st.sampled_from(["orin_nx_8gb", "rtx_2000_ada"]),
    model=st.sampled_from(["tinyllama_1.1b", "llama2_7b", "llama3_8b"]),
    bits=st.sampled_from([4, 8, 16]),
    p=st.integers(1, 8192),
    o=st.integers(1, 4096),
    batches=st.lists(st.integers(1, 4096), min_size=2, max_size=8, unique=True),
)
def test_monotone_in_batch(device, model, bits, p, o, batches) -> None:
    pr = llm_profiles(
        device, model, sorted(batches), prompt_tokens=p, output_tokens=o, weight_bits=bits
    )
    for a, b in zip(pr, pr[1:]):
        assert b.service_time_s >= a.service_time_s
        assert b.memory_bytes > a.memory_bytes
        ea, eb = a.energy_j / a.batch, b.energy_j / b.batch
        assert eb <= ea * (1 + 1e-12)
        if b.bound == "memory":  # some step still shares the weight read
            assert eb < ea
