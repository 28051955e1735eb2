"""Latency, throughput, cost and carbon of one agent at one share: the physics every part shares.

Latency model (documented decision, seeds.md §2 leaves it open)
-------------------------------------------------------------
Agent i with share s of a GPU of speed v is an M/M/1 queue with service rate r = v·μ_i·s (req/s)
and arrivals λ_i, so its mean response time is

    W(s) = 1 / (r − λ)                                   if λ ≤ ρ_max · r
    W(s) = max( W* + W'(s*)·(s − s*),  W* + H/2 · (ρ − ρ_max) )   otherwise,

with s* = λ / (ρ_max·v·μ) the share at utilisation ρ_max (``overload_rho``, default 0.95),
W* = W(s*), ρ = λ / r and H = ``overload_horizon_s`` (default 60 s). Beyond ρ_max the curve
is the larger of its tangent and a fluid-backlog term: a queue gaining (λ − ρ_max·r) requests
per second for H seconds delays the average arrival by ≈ H/2 · (ρ − ρ_max). Both pieces are
convex and meet W at s*, so W stays finite, continuous, decreasing and **convex** in s (greedy
marginal allocation stays exact on one GPU), and heavier overload is always slower. Overloaded
shares are priced steeply but not infinitely (the paper's own four agents overload the GPU
under every policy). A latency SLO is met only at utilisation ≤ ρ_max. Shares with λ ≥ r are
flagged ``stable = False``; the fluid simulator (``simulate.py``) gives their real latency.

Power model: a GPU draws ``idle_power_w`` whenever it is powered (it hosts an agent; a pool
powers only the GPUs it needs, ``packing``), plus
(``active_power_w`` − ``idle_power_w``) × the share allocated (a held partition is kept busy by
batched decoding). Cost is billed per share-hour (serverless): share × ``price_usd_per_h``.
"""

from __future__ import annotations

import functools

import numpy as np

from ..carbon import embodied_rate_g_per_h, power_carbon_rate_g_per_h
from ..tolerance import GRID
from .instance import Slot


def unit_bounds(
    min_share: np.ndarray, max_share: np.ndarray, units: int | np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Smallest and largest whole number of units honouring [min_share, max_share] (≥ 1 unit).

    A bound within ``tolerance.GRID`` of a GPU of a grid point is on it: one rule for the MILP, the
    heuristics and the evaluator."""
    k_lo = np.maximum(1, np.ceil(min_share * units - GRID * units)).astype(np.int64)
    k_hi = np.floor(max_share * units + GRID * units).astype(np.int64)
    return k_lo, k_hi


def latency_s(
    share: np.ndarray | float,
    lam: np.ndarray | float,
    mu: np.ndarray | float,
    rho_max: float,
    horizon_s: float = 60.0,
) -> np.ndarray:
    """Mean response time (s): M/M/1 up to utilisation ``rho_max``, a convex overload model
    beyond it (module docstring). ``mu`` is the throughput at a whole GPU (times the GPU's
    speed); all array arguments broadcast. A share of 0 gives ``inf``.
    """
    share, lam, mu = np.broadcast_arrays(
        np.asarray(share, float), np.asarray(lam, float), np.asarray(mu, float)
    )
    s_star = lam / (rho_max * mu)
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        regular = 1.0 / (mu * share - lam)
        w_star = 1.0 / (mu * s_star - lam)  # = rho_max / (lam (1 - rho_max))
        slope = -mu * w_star**2
        tangent = w_star + slope * (share - s_star)
        # fluid backlog over the horizon: grows with the excess utilisation rho - rho_max,
        # so heavier overload is always slower (the tangent alone flattens as lam grows)
        backlog = w_star + 0.5 * horizon_s * (lam / (mu * share) - rho_max)
    out = np.where(share >= s_star, regular, np.maximum(tangent, backlog))
    return np.where(share <= 0, np.inf, out)


def served_rps(share: np.ndarray, lam: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Fluid throughput (req/s): min(λ, μ·s)."""
    return np.minimum(lam, mu * share)


@functools.lru_cache(maxsize=4096)
def slot_rates(slot: Slot) -> tuple[float, float, float, float]:
    """(fixed gCO2/h of one powered GPU: idle + embodied, gCO2/h per GPU-share, USD/h per
    GPU-share, speed). A pool pays the fixed rate once per GPU it powers (``packing``).

    Cached: a slot is frozen (its fields decide the rates), and the heuristics' local search
    asks once per move (17,706 times at N = 5,000, 1.1 s of its 1.9 s uncached)."""
    g = slot.gpu
    intensity = slot.intensity_g_per_kwh
    fixed = power_carbon_rate_g_per_h(g.idle_power_w, intensity, g.pue) + (
        embodied_rate_g_per_h(g.embodied_kg, g.lifetime_years) if g.embodied_kg > 0 else 0.0
    )
    per_share = power_carbon_rate_g_per_h(g.active_power_w - g.idle_power_w, intensity, g.pue)
    return float(fixed), float(per_share), float(g.price_usd_per_h), float(g.speed)
