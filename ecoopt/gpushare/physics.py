"""Latency, throughput, cost and carbon of one agent at one share: the physics every part shares.

Latency model (documented decision, seeds.md §2 leaves it open)
-------------------------------------------------------------
Agent i with share s of a GPU of speed v is an M/M/1 queue with service rate r = v·μ_i·s (req/s)
and arrivals λ_i, so its mean response time is

    W(s) = 1 / (r − λ)                      if λ ≤ ρ_max · r   (utilisation at most ρ_max)
    W(s) = W(s*) + W'(s*) · (s − s*)         otherwise, with s* = λ / (ρ_max · v · μ)

i.e. beyond utilisation ``overload_rho`` (ρ_max, default 0.95) the curve is continued by its
tangent. This keeps W finite, continuous, decreasing and **convex** in s, so overloaded shares
are priced steeply but not infinitely (the paper's own four agents overload the GPU under every
policy), and greedy marginal allocation stays exact on one GPU. Shares with λ ≥ r are flagged
``stable = False``; the fluid simulator (``simulate.py``) gives their real, backlog-driven latency.

Power model: a GPU draws ``idle_power_w`` whenever it hosts an agent, plus
(``active_power_w`` − ``idle_power_w``) × the share allocated (a held partition is kept busy by
batched decoding). Cost is billed per share-hour (serverless): share × ``price_usd_per_h``.
"""

from __future__ import annotations

import numpy as np

from ..carbon import embodied_rate_g_per_h, power_carbon_rate_g_per_h
from .instance import Slot


def latency_s(
    share: np.ndarray | float,
    lam: np.ndarray | float,
    mu: np.ndarray | float,
    rho_max: float,
) -> np.ndarray:
    """Mean response time (s) of M/M/1 queues with tangent continuation beyond ``rho_max``.

    ``mu`` is the throughput at a whole GPU (already multiplied by the GPU's speed); all array
    arguments broadcast. A share of 0 gives ``inf``.
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
    out = np.where(share >= s_star, regular, tangent)
    return np.where(share <= 0, np.inf, out)


def served_rps(share: np.ndarray, lam: np.ndarray, mu: np.ndarray) -> np.ndarray:
    """Fluid throughput (req/s): min(λ, μ·s)."""
    return np.minimum(lam, mu * share)


def slot_rates(slot: Slot) -> tuple[float, float, float, float]:
    """(fixed gCO2/h: idle + embodied, gCO2/h per GPU-share, USD/h per GPU-share, speed)."""
    g = slot.gpu
    intensity = slot.intensity_g_per_kwh
    idle_w = g.idle_power_w * slot.scale
    fixed = power_carbon_rate_g_per_h(idle_w, intensity, g.pue) + slot.scale * (
        embodied_rate_g_per_h(g.embodied_kg, g.lifetime_years) if g.embodied_kg > 0 else 0.0
    )
    per_share = power_carbon_rate_g_per_h(g.active_power_w - g.idle_power_w, intensity, g.pue)
    return float(fixed), float(per_share), float(g.price_usd_per_h), float(g.speed)
