"""Request streams of the routing family: statistics of each generator, the Azure replay, checks.

Statistical tolerances are five standard deviations of the estimator at the sample size used,
derived in each test, so a correct generator fails with probability below 1e-6 per assertion;
the seeds are fixed, so the tests are deterministic anyway.
"""

from __future__ import annotations

import math
import time

import numpy as np
import pandas as pd
import pytest

from ecoopt.provisioning.traces import load_azure_trace
from ecoopt.routing.streams import (
    Stream,
    azure,
    bursty,
    diurnal,
    generate_stream,
    poisson,
)

# --- Poisson --------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2, 12345])
def test_poisson_count_and_interarrivals(seed: int) -> None:
    rate, horizon = 50.0, 2e4  # 1e6 expected arrivals
    t = poisson(rate, horizon, seed=seed).arrival_s
    n = len(t)
    assert abs(n - rate * horizon) <= 5 * math.sqrt(rate * horizon)  # Poisson count: sd sqrt(λT)
    assert t[0] >= 0 and t[-1] < horizon and (np.diff(t) >= 0).all()
    gaps = np.diff(t)
    # Exponential gaps of mean 1/λ: the sample mean has sd (1/λ)/sqrt(n); the sample CV of
    # exponentials has asymptotic sd 1/sqrt(n) (delta method: 2/n + 1/n - 2/n).
    assert abs(gaps.mean() * rate - 1.0) <= 5 / math.sqrt(n)
    assert abs(gaps.std() / gaps.mean() - 1.0) <= 5 / math.sqrt(n)


def test_poisson_million_arrivals_are_vectorised() -> None:
    # A guard against a per-request Python loop (which takes tens of seconds), not a benchmark:
    # about 0.1 s on a laptop, so the bound is generous.
    t0 = time.perf_counter()
    s = poisson(100.0, 1e4, seed=3)
    assert time.perf_counter() - t0 < 5.0
    assert abs(len(s) - 1e6) <= 5e3


def _dispersion(t: np.ndarray, horizon: float, width: float) -> float:
    counts, _ = np.histogram(t, bins=int(horizon / width), range=(0.0, horizon))
    return float(counts.var(ddof=1) / counts.mean())


def test_poisson_counts_are_not_overdispersed() -> None:
    # 1000 windows of 100 expected arrivals: the index of dispersion has sd about sqrt(2/999).
    s = poisson(1.0, 1e5, seed=4)
    assert abs(_dispersion(s.arrival_s, 1e5, 100.0) - 1.0) <= 5 * math.sqrt(2 / 999)


# --- bursty ---------------------------------------------------------------------------------

BASE, BURST, MEAN_BURST, MEAN_CALM, HORIZON = 1.0, 20.0, 10.0, 40.0, 1e5


def _mmpp_moments(width: float) -> tuple[float, float]:
    """Mean rate and index of dispersion of counts in a window of ``width`` s (MMPP-2).

    Var N(w) = λ̄ w + 2 Δλ² π_c π_b (r w − 1 + e^{−r w}) / r², r = 1/mean_calm + 1/mean_burst.
    """
    pb = MEAN_BURST / (MEAN_BURST + MEAN_CALM)
    mean = BASE * (1 - pb) + BURST * pb
    r = 1 / MEAN_CALM + 1 / MEAN_BURST
    extra = 2 * (BURST - BASE) ** 2 * pb * (1 - pb) * (r * width - 1 + math.exp(-r * width)) / r**2
    return mean, 1 + extra / (mean * width)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_bursty_long_run_mean_rate(seed: int) -> None:
    mean, idc = _mmpp_moments(HORIZON)  # 4.8 requests/s; IDC of the whole horizon ≈ 193
    s = bursty(BASE, BURST, HORIZON, mean_burst_s=MEAN_BURST, mean_calm_s=MEAN_CALM, seed=seed)
    assert mean == pytest.approx((BASE * MEAN_CALM + BURST * MEAN_BURST) / (MEAN_CALM + MEAN_BURST))
    sd = math.sqrt(mean * HORIZON * idc)  # about 9,600 of 480,000 requests (2 %)
    assert abs(len(s) - mean * HORIZON) <= 5 * sd
    assert s.arrival_s[0] >= 0 and s.arrival_s[-1] < HORIZON and (np.diff(s.arrival_s) >= 0).all()


def test_bursty_counts_are_overdispersed() -> None:
    _, idc = _mmpp_moments(100.0)  # ≈ 178 for 100 s windows
    s = bursty(BASE, BURST, HORIZON, mean_burst_s=MEAN_BURST, mean_calm_s=MEAN_CALM, seed=5)
    measured = _dispersion(s.arrival_s, HORIZON, 100.0)
    assert measured > 10
    assert idc / 2 <= measured <= 2 * idc  # the estimator of a heavy-tailed variance: loose


def test_bursty_equal_rates_is_poisson_and_zero_base_is_on_off() -> None:
    s = bursty(2.0, 2.0, 5e4, mean_burst_s=5.0, mean_calm_s=5.0, seed=6)
    assert abs(len(s) - 1e5) <= 5 * math.sqrt(1e5)
    assert abs(_dispersion(s.arrival_s, 5e4, 50.0) - 1.0) <= 5 * math.sqrt(2 / 999)
    on_off = bursty(0.0, 10.0, 1e4, mean_burst_s=1.0, mean_calm_s=9.0, seed=7)
    assert abs(len(on_off) - 1e4) <= 5 * math.sqrt(1e4 * _on_off_idc())


def _on_off_idc() -> float:
    pb, r = 0.1, 1 / 9 + 1.0  # burst share, switching rate sum (1/s); mean rate 1/s
    return 1 + 2 * 10.0**2 * pb * (1 - pb) / (1.0 * r)  # long-window limit of the IDC, ≈ 17


def test_bursty_many_short_states() -> None:
    # 5e5 expected cycles: the sojourns are drawn in vectorised chunks, not one by one.
    s = bursty(1.0, 3.0, 1e5, mean_burst_s=0.1, mean_calm_s=0.1, seed=8)
    assert abs(len(s) - 2e5) <= 5 * math.sqrt(2e5 * 1.5)


# --- diurnal --------------------------------------------------------------------------------


def test_diurnal_follows_the_cosine() -> None:
    mean, a, period, peak, horizon, bins = 10.0, 0.5, 1000.0, 250.0, 1e5, 20  # 100 periods
    s = diurnal(mean, horizon, period_s=period, amplitude=a, peak_at_s=peak, seed=9)
    assert abs(len(s) - mean * horizon) <= 5 * math.sqrt(mean * horizon)
    phase = ((s.arrival_s - peak) / period + 0.5 / bins) % 1.0  # bin 0 centred on the peak
    counts = np.bincount((phase * bins).astype(int), minlength=bins)
    # Bin k's mean: mean·T/B·(1 + a·sinc·cos(2πk/B)), sinc = sin(π/B)/(π/B); Poisson sd sqrt.
    sinc = math.sin(math.pi / bins) / (math.pi / bins)
    expected = mean * horizon / bins * (1 + a * sinc * np.cos(2 * np.pi * np.arange(bins) / bins))
    assert (np.abs(counts - expected) <= 5 * np.sqrt(expected)).all()
    ratio = counts[0] / counts[bins // 2]  # ≈ (1 + a)/(1 − a) = 3, 2.98 for 20 bins
    assert ratio == pytest.approx((1 + a * sinc) / (1 - a * sinc), rel=0.05)
    assert ratio == pytest.approx((1 + a) / (1 - a), rel=0.05)


def test_diurnal_zero_amplitude_is_flat_and_full_amplitude_empties_the_trough() -> None:
    flat = diurnal(5.0, 2e4, period_s=1000.0, amplitude=0.0, seed=10)
    assert abs(len(flat) - 1e5) <= 5 * math.sqrt(1e5)
    full = diurnal(5.0, 2e4, period_s=1000.0, amplitude=1.0, peak_at_s=0.0, seed=10)
    phase = (full.arrival_s / 1000.0) % 1.0
    near_trough = np.abs(phase - 0.5) < 0.01  # rate ≤ 5·(1 − cos(0.02π)) ≈ 0.02/s there
    assert near_trough.sum() < 0.001 * len(full)


# --- types and tokens -----------------------------------------------------------------------


def test_type_shares_and_tokens_are_honoured() -> None:
    shares = {"chat": 0.5, "code": 0.3, "vision": 0.2, "unused": 0.0}
    tokens = {"chat": (512, 128), "code": [2048, 32]}
    s = poisson(20.0, 1e4, types=shares, tokens=tokens, seed=11)
    assert s.types == tuple(shares)
    n = len(s)
    counts = np.bincount(s.type_index, minlength=4)
    for k, p in enumerate(shares.values()):  # binomial counts, 5 sigma
        assert abs(counts[k] - n * p) <= 5 * math.sqrt(n * p * (1 - p)) + 1e-12
    assert counts[3] == 0
    prompt = np.array([512, 2048, 0, 0])[s.type_index]
    output = np.array([128, 32, 0, 0])[s.type_index]
    assert np.array_equal(s.prompt_tokens, prompt) and np.array_equal(s.output_tokens, output)
    assert s.prompt_tokens.dtype == np.int64 and s.type_index.dtype == np.int64


def test_sequence_of_types_gets_equal_shares() -> None:
    s = poisson(10.0, 1e4, types=["a", "b", "c"], seed=12)
    n = len(s)
    counts = np.bincount(s.type_index, minlength=3)
    assert (np.abs(counts - n / 3) <= 5 * math.sqrt(n * (1 / 3) * (2 / 3))).all()
    assert not s.prompt_tokens.any() and not s.output_tokens.any()


# --- Azure ----------------------------------------------------------------------------------


def test_azure_conv_whole_trace() -> None:
    s = azure("conv")
    assert len(s) == 19_366 and s.types == ("llm_conv",)
    assert s.arrival_s[0] == 0.0 and s.arrival_s[-1] == pytest.approx(3502, abs=1)
    trace = load_azure_trace("conv")
    assert np.array_equal(s.prompt_tokens, trace["prompt_tokens"].to_numpy())
    assert np.array_equal(s.output_tokens, trace["output_tokens"].to_numpy())
    assert len(azure("code", type_name="coder")) == 8_819


def test_azure_window_and_speedup_shift_and_scale_exactly() -> None:
    t = load_azure_trace("conv")["arrival_s"].to_numpy()
    s = azure("conv", start_s=600.0, duration_s=300.0, speedup=2.0)
    mask = (t >= 600.0) & (t < 900.0)
    assert np.array_equal(s.arrival_s, (t[mask] - 600.0) / 2.0)
    assert np.array_equal(azure("conv", speedup=4.0).arrival_s, t / 4.0)
    assert len(s) == mask.sum() > 0 and s.arrival_s.max() < 150.0


def test_azure_max_requests_truncates() -> None:
    full = azure("conv", start_s=600.0)
    cut = azure("conv", start_s=600.0, max_requests=100)
    assert len(cut) == 100 and cut == full.head(100)
    assert len(azure("conv", max_requests=0)) == 0
    assert len(azure("code", max_requests=10**6)) == 8_819


# --- bad parameters -------------------------------------------------------------------------

P = {"kind": "poisson", "rate_per_s": 1.0, "horizon_s": 10.0}
B = {"kind": "bursty", "base_rate_per_s": 1.0, "burst_rate_per_s": 5.0, "horizon_s": 100.0}
B |= {"mean_burst_s": 1.0, "mean_calm_s": 4.0}
D = {"kind": "diurnal", "mean_rate_per_s": 1.0, "horizon_s": 100.0}
A = {"kind": "azure", "service": "conv"}

BAD = [
    (P | {"rate_per_s": "fast"}, "rate_per_s"),
    (P | {"rate_per_s": True}, "rate_per_s"),
    (P | {"rate_per_s": float("nan")}, "rate_per_s"),
    (P | {"rate_per_s": float("inf")}, "rate_per_s"),
    (P | {"rate_per_s": -1.0}, "rate_per_s"),
    (P | {"rate_per_s": 0}, "rate_per_s"),
    (P | {"rate_per_s": 10**400}, "rate_per_s"),
    (P | {"rate_per_s": None}, "rate_per_s"),
    (P | {"rate_per_s": 10**5000}, "rate_per_s"),  # too long for int -> str: shown by its size
    (P | {"rate_per_s": [1.0] * 10**6}, "rate_per_s"),  # shown by its first items
    (P | {"rate_per_s": np.bool_(True)}, "rate_per_s"),
    (P | {"horizon_s": 1e300}, "horizon_s"),
    (P | {"horizon_s": np.float64("nan")}, "horizon_s"),
    (P | {"rate_per_s": 1e6, "horizon_s": 1e7}, "shorten horizon_s or lower rate_per_s"),
    (P | {"seed": -1}, "seed"),
    (P | {"seed": 1.5}, "seed"),
    (P | {"types": {"a": 0.5, "b": 0.4}}, "shares in types must sum to 1"),
    (P | {"types": {"a": 1.5, "b": -0.5}}, "types['a'] (a share)"),
    (P | {"types": {"a": "half", "b": 0.5}}, "types['a'] (a share)"),
    (P | {"types": "task"}, "types must be"),
    (P | {"types": []}, "types must hold"),
    (P | {"types": ["a", "a"]}, "types must name each request type once"),
    (P | {"types": ["a", 3]}, "each name in types"),
    (P | {"tokens": {"nope": (1, 2)}}, "tokens must name only types"),
    (P | {"tokens": {"task": (1,)}}, "tokens['task']"),
    (P | {"tokens": {"task": (1.5, 2)}}, "tokens['task'] prompt_tokens"),
    (P | {"tokens": {"task": (1, 10**9)}}, "tokens['task'] output_tokens"),
    (P | {"rate": 1.0}, "'rate' is not a parameter"),
    ({"kind": "poisson", "rate_per_s": 1.0}, "needs the parameter horizon_s"),
    ({"kind": "markov"}, "kind"),
    (B | {"base_rate_per_s": -0.1}, "base_rate_per_s"),
    (B | {"burst_rate_per_s": 0.0}, "burst_rate_per_s"),
    (B | {"mean_burst_s": 0.0}, "mean_burst_s"),
    (B | {"mean_calm_s": float("-inf")}, "mean_calm_s"),
    (B | {"burst_rate_per_s": 1e5, "horizon_s": 1e3}, "max(base_rate_per_s, burst_rate_per_s)"),
    (B | {"horizon_s": 1e7, "base_rate_per_s": 0.01, "burst_rate_per_s": 0.1}, "cycles"),
    (D | {"amplitude": 1.5}, "amplitude"),
    (D | {"amplitude": False}, "amplitude"),
    (D | {"period_s": 0.0}, "period_s"),
    (D | {"period_s": 5e-324}, "period_s"),  # would overflow t / period
    (D | {"peak_at_s": float("nan")}, "peak_at_s"),
    (D | {"mean_rate_per_s": 1.5e6, "horizon_s": 1.0}, "mean_rate_per_s"),
    (D | {"mean_rate_per_s": 1e4, "horizon_s": 150.0}, "mean_rate_per_s × (1 + amplitude)"),
    (A | {"service": "chat"}, "service"),
    (A | {"service": ["conv"]}, "service"),
    (A | {"start_s": 4000.0}, "start_s"),
    (A | {"start_s": -1.0}, "start_s"),
    (A | {"duration_s": 0.0}, "duration_s"),
    (A | {"speedup": 0.0}, "speedup"),
    (A | {"speedup": "2"}, "speedup"),
    (A | {"max_requests": -1}, "max_requests"),
    (A | {"max_requests": 10.0}, "max_requests"),
    (A | {"type_name": ""}, "type_name"),
]


@pytest.mark.parametrize(("params", "names"), BAD, ids=[f"{i}-{n}" for i, (_, n) in enumerate(BAD)])
def test_bad_parameter_is_one_sentence_naming_it(params: dict, names: str) -> None:
    with pytest.raises(ValueError) as info:
        generate_stream(**params)
    message = str(info.value)
    assert names in message
    assert "\n" not in message and len(message) < 300


# --- determinism ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "params",
    [P | {"rate_per_s": 50.0}, B | {"types": ["x", "y"]}, D | {"amplitude": 0.9}, A],
    ids=["poisson", "bursty", "diurnal", "azure"],
)
def test_same_arguments_same_stream(params: dict) -> None:
    first, again = generate_stream(**params), generate_stream(**params)
    assert first == again and first is not again
    assert np.array_equal(first.arrival_s, again.arrival_s)
    if params["kind"] != "azure":
        assert generate_stream(**params | {"seed": 1}) != first


def test_types_do_not_change_arrival_times() -> None:
    one = poisson(5.0, 1e3, seed=13)
    mixed = poisson(5.0, 1e3, seed=13, types={"a": 0.2, "b": 0.8}, tokens={"a": (1, 1)})
    assert np.array_equal(one.arrival_s, mixed.arrival_s)


# --- Stream: head, window, to_frame ---------------------------------------------------------


def _mixed() -> Stream:
    return poisson(10.0, 100.0, types={"a": 0.5, "b": 0.5}, tokens={"b": (7, 3)}, seed=14)


def test_head() -> None:
    s = _mixed()
    h = s.head(10)
    assert len(h) == 10 and h.types == s.types
    assert np.array_equal(h.arrival_s, s.arrival_s[:10])
    assert np.array_equal(h.prompt_tokens, s.prompt_tokens[:10])
    assert s.head(len(s) + 5) == s and len(s.head(0)) == 0
    with pytest.raises(ValueError, match="n must be"):
        s.head(-1)


def test_window_shifts_and_round_trips() -> None:
    s = _mixed()
    w = s.window(20.0, 50.0)
    mask = (s.arrival_s >= 20.0) & (s.arrival_s < 50.0)
    assert np.array_equal(w.arrival_s, s.arrival_s[mask] - 20.0)
    assert np.array_equal(w.type_index, s.type_index[mask]) and w.types == s.types
    assert np.array_equal(w.output_tokens, s.output_tokens[mask])
    assert s.window(0.0, 100.0) == s and len(s.window(30.0, 30.0)) == 0
    left, right = s.window(0.0, 40.0), s.window(40.0, 100.0)
    glued = np.concatenate([left.arrival_s, right.arrival_s + 40.0])
    assert len(left) + len(right) == len(s) and np.allclose(glued, s.arrival_s, rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="end_s"):
        s.window(50.0, 20.0)
    with pytest.raises(ValueError, match="start_s"):
        s.window(float("nan"), 20.0)


def test_to_frame_round_trips() -> None:
    s = _mixed()
    f = s.to_frame()
    assert list(f.columns) == ["arrival_s", "type", "prompt_tokens", "output_tokens"]
    assert len(f) == len(s) and f["type"].cat.categories.tolist() == ["a", "b"]
    assert np.array_equal(f["arrival_s"].to_numpy(), s.arrival_s)
    assert (f["type"].astype(str).to_numpy() == np.array(s.types)[s.type_index]).all()
    assert Stream.from_frame(f) == s
    plain = f.assign(type=f["type"].astype(str))
    back = Stream.from_frame(plain)
    assert np.array_equal(np.array(back.types)[back.type_index], np.array(s.types)[s.type_index])
    f.loc[0, "prompt_tokens"] = 99  # the frame is a copy: the stream stays as it was
    assert Stream.from_frame(s.to_frame()) == s


def test_stream_arrays_are_read_only_and_checked() -> None:
    s = _mixed()
    with pytest.raises(ValueError):
        s.arrival_s[0] = 5.0
    t, z = np.array([0.0, 2.0, 1.0]), np.zeros(3, dtype=np.int64)
    with pytest.raises(ValueError, match="sorted"):
        Stream(t, z, ("a",), z, z)
    with pytest.raises(ValueError, match="type_index"):
        Stream(np.sort(t), z + 1, ("a",), z, z)
    with pytest.raises(ValueError, match="same length"):
        Stream(np.sort(t), z[:2], ("a",), z, z)
    with pytest.raises(ValueError, match="integers"):
        Stream(np.sort(t), z, ("a",), z + 0.5, z)
    with pytest.raises(ValueError, match="name each type once"):
        Stream(np.sort(t), z, ("a", "a"), z, z)
    with pytest.raises(ValueError, match=">= 0"):
        Stream(np.array([-1.0, 0.0, 1.0]), z, ("a",), z, z)
    empty = Stream(np.array([]), np.array([], dtype=np.int64), ("a",), z[:0], z[:0])
    assert len(empty) == 0 and len(empty.to_frame()) == 0
    assert isinstance(s.to_frame(), pd.DataFrame) and "requests" in repr(s)
