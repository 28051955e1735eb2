"""Carbon accounting: operational carbon, amortised embodied carbon, bundled grid-intensity traces.

Units used throughout (and in every name's suffix):

* energy in J, power in W, duration in s (rates are per hour, ``_g_per_h``);
* grid carbon intensity in gCO2e/kWh;
* carbon in g (gCO2e); embodied carbon of hardware in kg (kgCO2e); lifetimes in years.

``1 kWh = 3.6e6 J``. A year is taken as ``HOURS_PER_YEAR = 8760`` h (365 days; leap days are
ignored, as is usual for amortisation).

The component embodied-carbon figures (memory, SSD, GPU boards, host base) are the figures used
by the EcoServe authors' group (arXiv 2502.05043, 2025), quoted as figures; no code of
theirs is used. The hourly traces are described, with origin and licence, in
``ecoopt/data/SOURCES.md``.
"""

from __future__ import annotations

import functools
from importlib import resources
from importlib.resources.abc import Traversable

import numpy as np
import pandas as pd
from numpy.typing import ArrayLike

__all__ = [
    "GPU_BOARD_KG",
    "HOST_BASE_KG",
    "HOURS_PER_YEAR",
    "J_PER_KWH",
    "MEMORY_KG_PER_GB",
    "SSD_KG_PER_GB",
    "available_traces",
    "embodied_rate_g_per_h",
    "embodied_share_g",
    "host_embodied_kg",
    "load_trace",
    "operational_carbon_g",
    "power_carbon_rate_g_per_h",
    "resample_trace",
    "server_embodied_kg",
    "trace_slots",
]

J_PER_KWH: float = 3.6e6
"""Joules in one kilowatt-hour."""

HOURS_PER_YEAR: float = 8760.0
"""Hours in one (365-day) year, used to amortise embodied carbon over a lifetime in years."""

# --- component embodied carbon (EcoServe authors' figures, kgCO2e) ---------------------------

MEMORY_KG_PER_GB: dict[str, float] = {
    "HBM3e": 0.24,
    "HBM3": 0.24,
    "HBM2e": 0.24,
    "HBM2": 0.28,
    "DDR4": 0.29,
    "LPDDR5": 0.29,
    "GDDR6": 0.36,
}
"""Embodied carbon of memory, kgCO2e per GB, by memory technology."""

SSD_KG_PER_GB: dict[str, float] = {"device": 0.110, "nand_die": 0.010}
"""Embodied carbon of SSD storage, kgCO2e per GB: whole device, or bare NAND die only."""

GPU_BOARD_KG: dict[str, float] = {
    "H100-SXM": 103.0,
    "A100-SXM": 99.0,
    "L4": 31.0,
    "T4": 27.0,
    "V100": 59.0,
    "A40": 81.0,
}
"""Embodied carbon of one GPU board (die, memory, PCB, power delivery, cooling, +5 %), kgCO2e."""

HOST_BASE_KG: float = 276.5
"""Embodied carbon of a host server without DRAM and SSD (CPU die counted flat at 27), kgCO2e."""

_HOST_DRAM = "DDR4"


def _out(x: np.ndarray) -> float | np.ndarray:
    """Return a Python float for a 0-d result, the array otherwise."""
    return float(x) if x.ndim == 0 else x


def _lookup(table: dict[str, float], key: str, what: str) -> float:
    if key not in table:
        raise ValueError(f"unknown {what} {key!r}; known: {', '.join(sorted(table))}")
    return table[key]


def _pue(pue: ArrayLike) -> np.ndarray:
    p = np.asarray(pue, dtype=float)
    if np.any(~(p >= 1.0)):
        raise ValueError(f"PUE must be >= 1.0 (facility energy / IT energy), got {pue}")
    return p


def _check_nonneg(value: float, what: str) -> None:
    if value < 0:
        raise ValueError(f"{what} must be >= 0, got {value}")


# --- operational and amortised carbon ----------------------------------------------------------


def operational_carbon_g(
    energy_j: ArrayLike, intensity_g_per_kwh: ArrayLike, pue: ArrayLike = 1.0
) -> float | np.ndarray:
    """Operational carbon of an amount of IT energy.

    Parameters
    ----------
    energy_j : float or array_like
        IT energy drawn, J.
    intensity_g_per_kwh : float or array_like
        Grid carbon intensity, gCO2e/kWh.
    pue : float or array_like, default 1.0
        Power usage effectiveness of the facility (dimensionless, >= 1).

    Returns
    -------
    float or numpy.ndarray
        Carbon, gCO2e: ``energy_j / 3.6e6 * intensity_g_per_kwh * pue``. Arguments broadcast
        as numpy arrays; a float when all arguments are scalars.

    Raises
    ------
    ValueError
        If any PUE is below 1.0.
    """
    p = _pue(pue)
    e = np.asarray(energy_j, dtype=float)
    ci = np.asarray(intensity_g_per_kwh, dtype=float)
    return _out(e * ci / J_PER_KWH * p)


def power_carbon_rate_g_per_h(
    power_w: ArrayLike, intensity_g_per_kwh: ArrayLike, pue: ArrayLike = 1.0
) -> float | np.ndarray:
    """Operational carbon rate of a constant power draw.

    Parameters
    ----------
    power_w : float or array_like
        IT power, W.
    intensity_g_per_kwh : float or array_like
        Grid carbon intensity, gCO2e/kWh.
    pue : float or array_like, default 1.0
        Power usage effectiveness (dimensionless, >= 1).

    Returns
    -------
    float or numpy.ndarray
        Carbon rate, gCO2e/h: ``power_w / 1000 * intensity_g_per_kwh * pue``.

    Raises
    ------
    ValueError
        If any PUE is below 1.0.
    """
    p = _pue(pue)
    w = np.asarray(power_w, dtype=float)
    ci = np.asarray(intensity_g_per_kwh, dtype=float)
    return _out(w * ci / 1000.0 * p)


def embodied_rate_g_per_h(embodied_kg: ArrayLike, lifetime_years: ArrayLike) -> float | np.ndarray:
    """Embodied carbon amortised linearly over a lifetime, as a rate.

    Parameters
    ----------
    embodied_kg : float or array_like
        Embodied carbon of the hardware, kgCO2e.
    lifetime_years : float or array_like
        Service lifetime, years of ``HOURS_PER_YEAR`` hours (> 0).

    Returns
    -------
    float or numpy.ndarray
        Amortised rate, gCO2e/h: ``embodied_kg * 1000 / (lifetime_years * 8760)``.

    Raises
    ------
    ValueError
        If any lifetime is not positive.
    """
    life = np.asarray(lifetime_years, dtype=float)
    if np.any(~(life > 0)):
        raise ValueError(f"lifetime_years must be > 0, got {lifetime_years}")
    return _out(np.asarray(embodied_kg, dtype=float) * 1000.0 / (life * HOURS_PER_YEAR))


def embodied_share_g(
    embodied_kg: ArrayLike, lifetime_years: ArrayLike, duration_s: ArrayLike
) -> float | np.ndarray:
    """Share of linearly amortised embodied carbon attributed to a duration of use.

    Parameters
    ----------
    embodied_kg : float or array_like
        Embodied carbon of the hardware, kgCO2e.
    lifetime_years : float or array_like
        Service lifetime, years (> 0).
    duration_s : float or array_like
        Duration of use, s.

    Returns
    -------
    float or numpy.ndarray
        Amortised embodied carbon, gCO2e.

    Raises
    ------
    ValueError
        If any lifetime is not positive.
    """
    rate = np.asarray(embodied_rate_g_per_h(embodied_kg, lifetime_years))
    return _out(rate * np.asarray(duration_s, dtype=float) / 3600.0)


# --- component embodied model -------------------------------------------------------------------


def host_embodied_kg(dram_gb: float, ssd_gb: float, ssd: str = "device") -> float:
    """Embodied carbon of a host server (without GPUs).

    ``HOST_BASE_KG + 0.29 * dram_gb + SSD_KG_PER_GB[ssd] * ssd_gb`` (DRAM counted as DDR4).

    Parameters
    ----------
    dram_gb : float
        Host DRAM, GB (>= 0).
    ssd_gb : float
        Host SSD capacity, GB (>= 0).
    ssd : {"device", "nand_die"}, default "device"
        SSD accounting: whole device (0.110 kg/GB) or bare NAND die (0.010 kg/GB).

    Returns
    -------
    float
        Embodied carbon, kgCO2e.

    Raises
    ------
    ValueError
        On an unknown ``ssd`` key or a negative size.
    """
    per_gb_ssd = _lookup(SSD_KG_PER_GB, ssd, "SSD accounting")
    _check_nonneg(dram_gb, "dram_gb")
    _check_nonneg(ssd_gb, "ssd_gb")
    return HOST_BASE_KG + MEMORY_KG_PER_GB[_HOST_DRAM] * dram_gb + per_gb_ssd * ssd_gb


def server_embodied_kg(
    gpu: str, n_gpus: int, dram_gb: float, ssd_gb: float, ssd: str = "device"
) -> float:
    """Embodied carbon of a GPU server: host plus ``n_gpus`` boards.

    Parameters
    ----------
    gpu : str
        GPU board, a key of ``GPU_BOARD_KG`` (e.g. ``"H100-SXM"``).
    n_gpus : int
        Number of GPU boards (>= 0).
    dram_gb : float
        Host DRAM, GB.
    ssd_gb : float
        Host SSD capacity, GB.
    ssd : {"device", "nand_die"}, default "device"
        SSD accounting, see :func:`host_embodied_kg`.

    Returns
    -------
    float
        Embodied carbon, kgCO2e.

    Raises
    ------
    ValueError
        On an unknown ``gpu`` or ``ssd`` key or a negative count or size.
    """
    board = _lookup(GPU_BOARD_KG, gpu, "GPU")
    _check_nonneg(n_gpus, "n_gpus")
    return host_embodied_kg(dram_gb, ssd_gb, ssd) + n_gpus * board


# --- carbon-intensity traces --------------------------------------------------------------------

_SUFFIX = ".csv.gz"


def _trace_dir() -> Traversable:
    return resources.files("ecoopt") / "data" / "carbon_intensity"


def available_traces() -> list[str]:
    """Names of the bundled hourly carbon-intensity traces, sorted.

    Returns
    -------
    list of str
        E.g. ``"EIA930-CISO-2022"``, ``"NESO-GB-2022"``.
    """
    names = (p.name for p in _trace_dir().iterdir())
    return sorted(n.removesuffix(_SUFFIX) for n in names if n.endswith(_SUFFIX))


@functools.lru_cache(maxsize=32)
def _read_trace(name: str) -> pd.Series:
    with (_trace_dir() / f"{name}{_SUFFIX}").open("rb") as fh:
        df = pd.read_csv(fh, compression="gzip")
    index = pd.DatetimeIndex(
        pd.to_datetime(df["timestamp"], format="%Y-%m-%dT%H:%M:%SZ", utc=True), name="timestamp"
    )
    return pd.Series(df["intensity_g_per_kwh"].to_numpy(dtype=float), index=index, name=name)


def load_trace(name: str) -> pd.Series:
    """Load a bundled hourly carbon-intensity trace.

    Parameters
    ----------
    name : str
        Trace name, one of :func:`available_traces`.

    Returns
    -------
    pandas.Series
        Intensity, gCO2e/kWh (float), on an hourly UTC ``DatetimeIndex``; each value holds
        from its timestamp to the next. ``Series.name`` is the trace name. A fresh copy.

    Raises
    ------
    ValueError
        If ``name`` is not a bundled trace.
    """
    known = available_traces()
    if name not in known:
        raise ValueError(f"unknown carbon-intensity trace {name!r}; available: {', '.join(known)}")
    return _read_trace(name).copy()


def _as_series(name_or_series: str | pd.Series) -> pd.Series:
    series = load_trace(name_or_series) if isinstance(name_or_series, str) else name_or_series
    if not isinstance(series.index, pd.DatetimeIndex):
        raise ValueError("a trace needs a DatetimeIndex")
    if series.index.tz is None:
        series = series.tz_localize("UTC")
    return series


def _step_s(series: pd.Series) -> float:
    """Native (regular) time step of a trace, s."""
    if len(series) < 2:
        raise ValueError("a trace needs at least two values to define its time step")
    diffs = np.asarray((series.index[1:] - series.index[:-1]).total_seconds())
    if np.any(diffs != diffs[0]) or diffs[0] <= 0:
        raise ValueError("a trace must be sorted and regularly spaced in time")
    return float(diffs[0])


def _utc(ts: str | pd.Timestamp) -> pd.Timestamp:
    t = pd.Timestamp(ts)
    return t.tz_localize("UTC") if t.tz is None else t.tz_convert("UTC")


def trace_slots(
    name_or_series: str | pd.Series, start: str | pd.Timestamp, n_slots: int, slot_s: float
) -> np.ndarray:
    """Intensities of ``n_slots`` consecutive time slots of ``slot_s`` seconds from ``start``.

    A slot no longer than the trace's native step takes the value in force at the slot's start
    (step-hold); a longer slot takes the time-weighted mean of the trace over the slot.

    Parameters
    ----------
    name_or_series : str or pandas.Series
        A bundled trace name or a regularly spaced intensity series, gCO2e/kWh (a naive index is
        read as UTC).
    start : str or pandas.Timestamp
        Start of the first slot; a naive timestamp is read as UTC.
    n_slots : int
        Number of slots (>= 0).
    slot_s : float
        Slot length, s (> 0).

    Returns
    -------
    numpy.ndarray
        Shape ``(n_slots,)``, intensity per slot, gCO2e/kWh.

    Raises
    ------
    ValueError
        If ``slot_s <= 0``, ``n_slots < 0``, or the slots run outside the trace's span.
    """
    if not slot_s > 0:
        raise ValueError(f"slot_s must be > 0, got {slot_s}")
    if n_slots < 0:
        raise ValueError(f"n_slots must be >= 0, got {n_slots}")
    series = _as_series(name_or_series)
    step_s = _step_s(series)
    first = series.index[0]
    end = series.index[-1] + pd.Timedelta(seconds=step_s)
    t0 = _utc(start)
    offset_s = (t0 - first).total_seconds()
    span_s = (end - first).total_seconds()
    tol = 1e-6  # s, absorbs float round-off in slot arithmetic
    if offset_s < -tol or offset_s + n_slots * slot_s > span_s + tol:
        raise ValueError(
            f"{n_slots} slots of {slot_s} s from {t0} run outside trace {series.name!r}, "
            f"which spans {first} to {end} (end exclusive)"
        )
    values = series.to_numpy(dtype=float)
    lo = (offset_s + slot_s * np.arange(n_slots)) / step_s  # slot starts, in native steps
    if slot_s <= step_s:
        idx = np.floor(lo + 1e-9).astype(np.int64)
        return values[np.clip(idx, 0, len(values) - 1)]
    # Time-weighted mean: difference of the (piecewise-linear) running integral, in steps.
    knots = np.arange(len(values) + 1, dtype=float)
    integral = np.concatenate(([0.0], np.cumsum(values)))
    width = slot_s / step_s
    return (np.interp(lo + width, knots, integral) - np.interp(lo, knots, integral)) / width


def resample_trace(series: pd.Series, slot_s: float) -> pd.Series:
    """Resample an intensity trace to slots of ``slot_s`` seconds, starting at its first stamp.

    Slots no longer than the native step repeat the value in force (step-hold, forward fill);
    longer slots take the time-weighted mean. Only whole slots inside the trace are returned.

    Parameters
    ----------
    series : pandas.Series
        Regularly spaced intensity, gCO2e/kWh, on a ``DatetimeIndex`` (naive is read as UTC).
    slot_s : float
        Slot length, s (> 0).

    Returns
    -------
    pandas.Series
        Intensity per slot, gCO2e/kWh, indexed by slot start (UTC); same name as ``series``.

    Raises
    ------
    ValueError
        If ``slot_s <= 0`` or the series is not regularly spaced.
    """
    if not slot_s > 0:
        raise ValueError(f"slot_s must be > 0, got {slot_s}")
    series = _as_series(series)
    step_s = _step_s(series)
    n = int(np.floor(len(series) * step_s / slot_s + 1e-9))
    first = series.index[0]
    values = trace_slots(series, first, n, slot_s)
    index = pd.date_range(first, periods=n, freq=pd.Timedelta(seconds=slot_s), name="timestamp")
    return pd.Series(values, index=index, name=series.name)
