"""Tests of ecoopt.provisioning.traces: the bundled Azure traces, rate shapes, size classes."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from ecoopt.provisioning import traces as tr

# Data rows of the upstream CSVs (header excluded; the files end without a final newline, so
# `wc -l` reports one less than the line count).
ROWS = {"code": 8819, "conv": 19366}


@pytest.mark.parametrize("service", tr.SERVICES)
def test_load_azure_trace(service: str) -> None:
    df = tr.load_azure_trace(service)
    assert list(df.columns) == ["arrival_s", "prompt_tokens", "output_tokens"]
    assert len(df) == ROWS[service]
    t = df["arrival_s"].to_numpy()
    assert t[0] == 0.0 and np.all(np.diff(t) >= 0) and 3400 < t[-1] < 3600
    assert (df["prompt_tokens"] >= 1).all() and (df["output_tokens"] >= 1).all()
    df.loc[0, "prompt_tokens"] = -1  # a copy: the cached trace is untouched
    assert tr.load_azure_trace(service)["prompt_tokens"].iloc[0] > 0


def test_trace_golden_first_rows() -> None:
    # Upstream code CSV, rows 1-2: 2023-11-16 18:17:03.9799600,4808,10 and 18:17:04.0319600,3180,8.
    df = tr.load_azure_trace("code")
    assert df["prompt_tokens"].iloc[:2].tolist() == [4808, 3180]
    assert df["output_tokens"].iloc[:2].tolist() == [10, 8]
    assert df["arrival_s"].iloc[1] == pytest.approx(0.052, abs=1e-9)


@given(service=st.sampled_from(tr.SERVICES), slots=st.integers(1, 2000))
def test_rate_shape_mean_one(service: str, slots: int) -> None:
    r = tr.rate_shape(service, slots)
    assert r.shape == (slots,)
    assert r.mean() == pytest.approx(1.0, rel=1e-12)
    assert (r >= 0).all()
    counts = r * len(tr.load_azure_trace(service)) / slots
    assert np.allclose(counts, np.round(counts))  # whole arrivals per bin


@given(slots=st.integers(1, 1173))
def test_conv_rate_shape_positive(slots: int) -> None:
    assert (tr.rate_shape("conv", slots) > 0).all()


@given(slots=st.integers(1, 17))
def test_code_rate_shape_positive_at_coarse_bins(slots: int) -> None:
    assert (tr.rate_shape("code", slots) > 0).all()


def test_code_rate_shape_has_real_silences() -> None:
    # The code service is idle for up to 217 s: at 24 bins one is empty (as documented).
    r = tr.rate_shape("code", 24)
    assert (r == 0).sum() == 1 and r.max() > 2


def test_rate_shape_rejects_bad_slots() -> None:
    for bad in (0, -3, 2.5, True):
        with pytest.raises(ValueError, match="slots"):
            tr.rate_shape("conv", bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="unknown service 'chat'"):
        tr.rate_shape("chat", 24)


def _edges(draw_max: float) -> st.SearchStrategy[list[float]]:
    return st.lists(st.floats(1.0, draw_max), max_size=4, unique=True).map(sorted)


def _inside(value: float, name: str, label: str) -> bool:
    part = next((x for x in name.split(",") if label in x), None)
    if part is None:
        return True
    if part.startswith(f"{label}<="):
        return value <= float(part.split("<=")[1])
    if part.startswith(f"{label}>"):
        return value > float(part.split(">")[1])
    lo, hi = part.split(f"<{label}<=")
    return float(lo) < value <= float(hi)


@given(
    service=st.sampled_from(tr.SERVICES),
    prompt_edges=_edges(8000.0),
    output_edges=st.none() | _edges(1000.0),
)
def test_size_classes_shares_and_means(
    service: str, prompt_edges: list[float], output_edges: list[float] | None
) -> None:
    classes = tr.size_classes(service, prompt_edges, output_edges)
    assert sum(c["share"] for c in classes) == pytest.approx(1.0, rel=1e-12)
    assert all(c["share"] > 0 for c in classes)
    assert len({c["name"] for c in classes}) == len(classes)
    for c in classes:
        assert _inside(c["prompt_tokens"], c["name"], "p"), c
        assert _inside(c["output_tokens"], c["name"], "o"), c


def test_size_classes_golden() -> None:
    (whole,) = tr.size_classes("conv", [])
    df = tr.load_azure_trace("conv")
    assert whole["name"] == "all" and whole["share"] == 1.0
    assert whole["prompt_tokens"] == pytest.approx(df["prompt_tokens"].mean())
    classes = tr.size_classes("code", [512, 2048])
    assert [c["name"] for c in classes] == ["p<=512", "512<p<=2048", "p>2048"]
    code = tr.load_azure_trace("code")
    assert classes[0]["share"] == pytest.approx((code["prompt_tokens"] <= 512).mean())
    assert tr.size_classes("conv", [1e9])[0]["name"] == "p<=1000000000"  # empty p>1e9 dropped
    assert len(tr.size_classes("conv", [1e9])) == 1


def test_size_classes_rejects_unsorted_edges() -> None:
    with pytest.raises(ValueError, match="strictly increasing"):
        tr.size_classes("code", [2048, 512])
    with pytest.raises(ValueError, match="o edges"):
        tr.size_classes("code", [512], [100, 100])
    with pytest.raises(ValueError, match="finite"):
        tr.size_classes("code", [float("nan")])
