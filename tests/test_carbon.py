"""Tests of ecoopt.carbon: unit arithmetic, embodied golden values, bundled traces, slotting."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ecoopt import carbon as c

TRACES = [
    "EIA930-AZPS-2022",
    "EIA930-BPAT-2022",
    "EIA930-CISO-2022",
    "EIA930-ERCO-2022",
    "EIA930-MISO-2022",
    "EIA930-NYIS-2022",
    "EIA930-PJM-2022",
    "EIA930-SOCO-2022",
    "NESO-GB-2021",
    "NESO-GB-2022",
]

# Mean intensity of each bundled trace, gCO2e/kWh, as stated in ecoopt/data/SOURCES.md.
SOURCES_MEANS = {
    "EIA930-AZPS-2022": 575.0,
    "EIA930-BPAT-2022": 54.7,
    "EIA930-CISO-2022": 256.2,
    "EIA930-ERCO-2022": 347.2,
    "EIA930-MISO-2022": 440.6,
    "EIA930-NYIS-2022": 272.8,
    "EIA930-PJM-2022": 362.6,
    "EIA930-SOCO-2022": 423.2,
    "NESO-GB-2021": 184.1,
    "NESO-GB-2022": 182.3,
}


# --- operational carbon ---------------------------------------------------------------------


def test_constants() -> None:
    assert c.J_PER_KWH == 3.6e6
    assert c.HOURS_PER_YEAR == 8760.0


def test_operational_hand_values() -> None:
    # 1 kWh at 500 g/kWh with PUE 1.2 -> 600 g.
    out = c.operational_carbon_g(3.6e6, 500.0, pue=1.2)
    assert isinstance(out, float)
    assert out == pytest.approx(600.0)
    assert c.operational_carbon_g(1.8e6, 400.0) == pytest.approx(200.0)
    assert c.operational_carbon_g(0.0, 400.0) == 0.0


def test_operational_broadcasts() -> None:
    energy = np.array([[3.6e6], [7.2e6]])  # 1 and 2 kWh
    intensity = np.array([100.0, 200.0, 300.0])
    out = c.operational_carbon_g(energy, intensity, pue=np.array([1.0, 1.5, 2.0]))
    assert isinstance(out, np.ndarray)
    assert out.shape == (2, 3)
    np.testing.assert_allclose(out, [[100.0, 300.0, 600.0], [200.0, 600.0, 1200.0]])


def test_power_rate_hand_values() -> None:
    assert c.power_carbon_rate_g_per_h(1000.0, 400.0) == pytest.approx(400.0)
    assert c.power_carbon_rate_g_per_h(700.0, 261.0, pue=1.1) == pytest.approx(0.7 * 261 * 1.1)
    # One hour at constant power equals the operational carbon of that hour's energy.
    rate = c.power_carbon_rate_g_per_h(np.array([300.0, 700.0]), 501.0, pue=1.3)
    energy = c.operational_carbon_g(np.array([300.0, 700.0]) * 3600.0, 501.0, pue=1.3)
    np.testing.assert_allclose(rate, energy)


@pytest.mark.parametrize("pue", [0.99, 0.0, -1.0, [1.2, 0.9], float("nan")])
def test_pue_below_one_rejected(pue: float) -> None:
    with pytest.raises(ValueError, match="PUE must be >= 1.0"):
        c.operational_carbon_g(3.6e6, 500.0, pue=pue)
    with pytest.raises(ValueError, match="PUE must be >= 1.0"):
        c.power_carbon_rate_g_per_h(100.0, 500.0, pue=pue)


# --- amortised embodied carbon ----------------------------------------------------------------


def test_embodied_rate_and_share() -> None:
    # 35.04 kg over 4 years of 8760 h is exactly 1 g/h.
    assert c.embodied_rate_g_per_h(35.04, 4.0) == pytest.approx(1.0)
    assert c.embodied_share_g(35.04, 4.0, 3600.0) == pytest.approx(1.0)
    assert c.embodied_share_g(35.04, 4.0, 4 * 8760 * 3600.0) == pytest.approx(35_040.0)
    np.testing.assert_allclose(
        c.embodied_rate_g_per_h(np.array([87.6, 175.2]), np.array([1.0, 2.0])), [10.0, 10.0]
    )


@pytest.mark.parametrize("life", [0.0, -4.0])
def test_nonpositive_lifetime_rejected(life: float) -> None:
    with pytest.raises(ValueError, match="lifetime_years must be > 0"):
        c.embodied_rate_g_per_h(100.0, life)
    with pytest.raises(ValueError, match="lifetime_years must be > 0"):
        c.embodied_share_g(100.0, life, 3600.0)


def test_component_tables() -> None:
    assert c.MEMORY_KG_PER_GB == {
        "HBM3e": 0.24,
        "HBM3": 0.24,
        "HBM2e": 0.24,
        "HBM2": 0.28,
        "DDR4": 0.29,
        "LPDDR5": 0.29,
        "GDDR6": 0.36,
    }
    assert c.SSD_KG_PER_GB == {"device": 0.110, "nand_die": 0.010}
    assert c.GPU_BOARD_KG["H100-SXM"] == 103 and c.GPU_BOARD_KG["T4"] == 27
    assert c.HOST_BASE_KG == 276.5


# Golden values: 8×H100 node, 2,000 GB DRAM, 22,700 GB SSD, 4-year life, 80 % of 5.95 kW.
# Exact arithmetic gives the left-hand figures; seeds.md §4 quotes them rounded
# (3,355 / 1,084 kg host; 4,179 / 1,907 kg node; 119 / 54 g/h; 25 / 11 g/kWh), hence the
# tolerances: exact to 0.01 kg / 0.1 g/h, and within the quoted rounding of the seeds figures.
@pytest.mark.parametrize(
    ("ssd", "host", "node", "rate", "breakeven", "seeds"),
    [
        ("device", 3353.5, 4177.5, 119.2, 25.0, (3355, 4179, 119, 25)),
        ("nand_die", 1083.5, 1907.5, 54.4, 11.4, (1084, 1907, 54, 11)),
    ],
)
def test_embodied_golden_h100_node(
    ssd: str,
    host: float,
    node: float,
    rate: float,
    breakeven: float,
    seeds: tuple[float, float, float, float],
) -> None:
    h = c.host_embodied_kg(2000, 22_700, ssd=ssd)
    n = c.server_embodied_kg("H100-SXM", 8, 2000, 22_700, ssd=ssd)
    r = c.embodied_rate_g_per_h(n, 4.0)
    # Intensity at which 80 % of 5.95 kW emits as much per hour as the amortised node.
    ci = r / c.power_carbon_rate_g_per_h(0.8 * 5950.0, 1.0)
    assert h == pytest.approx(host, abs=0.01)
    assert n == pytest.approx(node, abs=0.01)
    assert r == pytest.approx(rate, abs=0.05)
    assert ci == pytest.approx(breakeven, abs=0.05)
    assert c.power_carbon_rate_g_per_h(4760.0, ci) == pytest.approx(r)
    seed_host, seed_node, seed_rate, seed_ci = seeds
    assert h == pytest.approx(seed_host, abs=2.0)
    assert n == pytest.approx(seed_node, abs=2.0)
    assert r == pytest.approx(seed_rate, abs=0.5)
    assert ci == pytest.approx(seed_ci, abs=0.5)


def test_unknown_component_keys() -> None:
    with pytest.raises(ValueError, match="unknown GPU 'B200'.*H100-SXM"):
        c.server_embodied_kg("B200", 8, 2000, 22_700)
    with pytest.raises(ValueError, match="unknown SSD accounting 'hdd'.*device, nand_die"):
        c.host_embodied_kg(2000, 22_700, ssd="hdd")
    with pytest.raises(ValueError, match="dram_gb must be >= 0"):
        c.host_embodied_kg(-1, 0)


# --- bundled traces -----------------------------------------------------------------------------


def test_available_traces() -> None:
    assert c.available_traces() == TRACES


@pytest.mark.parametrize("name", TRACES)
def test_trace_loads_complete(name: str) -> None:
    s = c.load_trace(name)
    year = int(name[-4:])
    hours = (pd.Timestamp(f"{year + 1}-01-01") - pd.Timestamp(f"{year}-01-01")) // pd.Timedelta(
        hours=1
    )
    assert len(s) == hours
    assert s.name == name
    assert s.dtype == np.float64
    assert isinstance(s.index, pd.DatetimeIndex) and str(s.index.tz) == "UTC"
    assert s.index[0] == pd.Timestamp(f"{year}-01-01", tz="UTC")
    assert (np.diff(s.index.to_numpy()) == np.timedelta64(1, "h")).all()
    assert not s.isna().any()
    assert s.min() > 10.0  # g/kWh, not kg/kWh
    assert s.mean() == pytest.approx(SOURCES_MEANS[name], abs=0.06)


@pytest.mark.parametrize(
    ("name", "mean"), [("EIA930-CISO-2022", 256), ("EIA930-BPAT-2022", 55), ("NESO-GB-2022", 182)]
)
def test_trace_means_as_published(name: str, mean: float) -> None:
    assert c.load_trace(name).mean() == pytest.approx(mean, abs=2.0)


def test_nan_hours_filled_linearly() -> None:
    s = c.load_trace("EIA930-PJM-2022")
    # Upstream PJM has no data 2022-03-13 07:00 .. 2022-03-14 04:00 UTC (22 h): a straight line.
    gap = s["2022-03-13 06:00":"2022-03-14 05:00"].to_numpy()
    assert len(gap) == 24
    np.testing.assert_allclose(np.diff(gap, 2), 0.0, atol=2e-3)  # values rounded to 1e-3
    ciso = c.load_trace("EIA930-CISO-2022")
    mid = ciso[pd.Timestamp("2022-01-05 10:00", tz="UTC")]
    around = ciso["2022-01-05 09:00":"2022-01-05 11:00"].to_numpy()
    assert mid == pytest.approx((around[0] + around[2]) / 2, abs=1e-3)


def test_load_trace_returns_copy() -> None:
    s = c.load_trace("NESO-GB-2022")
    first = s.iloc[0]
    s.iloc[0] = -1.0
    assert c.load_trace("NESO-GB-2022").iloc[0] == first


def test_unknown_trace_name() -> None:
    with pytest.raises(ValueError, match="unknown carbon-intensity trace 'CISO'.*EIA930-CISO-2022"):
        c.load_trace("CISO")
    with pytest.raises(ValueError, match="available: "):
        c.trace_slots("nope", "2022-01-01", 1, 3600.0)


# --- resampling and slots -----------------------------------------------------------------------


def test_resample_to_one_second_holds_values() -> None:
    s = c.load_trace("EIA930-CISO-2022").iloc[100:103]
    r = c.resample_trace(s, 1.0)
    assert len(r) == 3 * 3600
    assert r.index[0] == s.index[0] and r.index[1] - r.index[0] == pd.Timedelta(seconds=1)
    assert r.name == "EIA930-CISO-2022"
    np.testing.assert_array_equal(r.to_numpy(), np.repeat(s.to_numpy(), 3600))


def test_resample_to_four_hours_averages() -> None:
    s = c.load_trace("EIA930-CISO-2022")
    r = c.resample_trace(s, 4 * 3600.0)
    assert len(r) == 8760 // 4
    assert r.index[1] - r.index[0] == pd.Timedelta(hours=4)
    np.testing.assert_allclose(r.to_numpy(), s.to_numpy().reshape(-1, 4).mean(axis=1), rtol=1e-9)
    assert r.mean() == pytest.approx(s.mean())


def test_resample_non_multiple_slot_is_time_weighted() -> None:
    s = c.load_trace("NESO-GB-2022").iloc[:6]
    r = c.resample_trace(s, 1.5 * 3600)
    v = s.to_numpy()
    assert len(r) == 4
    assert r.iloc[0] == pytest.approx((v[0] + 0.5 * v[1]) / 1.5)
    assert r.iloc[1] == pytest.approx((0.5 * v[1] + v[2]) / 1.5)


def test_resample_naive_and_irregular_series() -> None:
    naive = pd.Series([1.0, 3.0], index=pd.to_datetime(["2022-01-01 00:00", "2022-01-01 01:00"]))
    r = c.resample_trace(naive, 1800.0)
    assert list(r) == [1.0, 1.0, 3.0, 3.0] and str(r.index.tz) == "UTC"
    irregular = pd.Series(
        [1.0, 2.0, 3.0], index=naive.index.append(pd.DatetimeIndex(["2022-01-02"]))
    )
    with pytest.raises(ValueError, match="regularly spaced"):
        c.resample_trace(irregular, 60.0)


@pytest.mark.parametrize("slot", [0.0, -1.0])
def test_slot_must_be_positive(slot: float) -> None:
    with pytest.raises(ValueError, match="slot_s must be > 0"):
        c.resample_trace(c.load_trace("NESO-GB-2022"), slot)
    with pytest.raises(ValueError, match="slot_s must be > 0"):
        c.trace_slots("NESO-GB-2022", "2022-01-01", 3, slot)


def test_trace_slots_alignment() -> None:
    s = c.load_trace("EIA930-CISO-2022")
    hour = s[pd.Timestamp("2022-06-01 00:00", tz="UTC")]
    x = c.trace_slots("EIA930-CISO-2022", "2022-06-01T00:00Z", 3600, 1.0)
    assert x.shape == (3600,)
    assert (x == hour).all()
    # Same instant written as a naive string or in another zone.
    np.testing.assert_array_equal(c.trace_slots(s, "2022-06-01 00:00", 3600, 1.0), x)
    np.testing.assert_array_equal(
        c.trace_slots(s, pd.Timestamp("2022-06-01 02:00", tz="Europe/Paris"), 3600, 1.0), x
    )
    # Half-hour slots from a half-hour offset: each slot takes the hour it starts in.
    y = c.trace_slots(s, "2022-06-01T00:30Z", 4, 1800.0)
    h = s["2022-06-01 00:00":"2022-06-01 02:00"].to_numpy()
    np.testing.assert_array_equal(y, [h[0], h[1], h[1], h[2]])
    # Long slots average, and agree with resample_trace.
    z = c.trace_slots(s, "2022-06-01T00:00Z", 6, 4 * 3600.0)
    np.testing.assert_allclose(z, c.resample_trace(s, 4 * 3600.0)["2022-06-01"].to_numpy())


def test_trace_slots_out_of_range() -> None:
    last = c.trace_slots("NESO-GB-2022", "2022-12-31T23:00Z", 1, 3600.0)
    assert last[0] == c.load_trace("NESO-GB-2022").iloc[-1]
    assert len(c.trace_slots("NESO-GB-2022", "2022-12-31T23:00Z", 0, 3600.0)) == 0
    with pytest.raises(ValueError, match="spans 2022-01-01 00:00:00\\+00:00 to 2023-01-01"):
        c.trace_slots("NESO-GB-2022", "2022-12-31T23:00Z", 2, 3600.0)
    with pytest.raises(ValueError, match="run outside trace 'NESO-GB-2022'"):
        c.trace_slots("NESO-GB-2022", "2021-12-31T23:59:59Z", 1, 1.0)
    with pytest.raises(ValueError, match="n_slots must be >= 0"):
        c.trace_slots("NESO-GB-2022", "2022-06-01", -1, 1.0)
