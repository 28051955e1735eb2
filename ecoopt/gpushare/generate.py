"""Seeded random gpushare instances with a size knob, for property tests and benchmarks.

Every number is drawn as one numpy vector and the agents are validated and built column by
column (``ecoopt.rows``), so 10⁶ agents take seconds, not the hours one dict and one pydantic
model per agent took. The draws and their order are those of the per-agent version, so a seed
gives the instance it always gave.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .. import rows
from ..io import collector_paused, from_dict
from .instance import Agent, GpuShareInstance

#: the fields a generated agent gives (its fields set), with an SLO or without
_GIVEN = ("name", "throughput_rps", "min_share", "max_share", "priority")


def generate(
    n_agents: int,
    n_gpus: int = 1,
    *,
    seed: int = 0,
    share_units: int = 100,
    pooled: bool = False,
    load: float = 0.8,
    min_share_total: float = 0.4,
    slo_fraction: float = 0.3,
    memory_gb: float = 80.0,
    objective: str = "latency",
    trace_steps: int | None = None,
) -> GpuShareInstance:
    """An instance with ``n_agents`` agents on ``n_gpus`` GPUs (one pool if ``pooled``).

    Offered load Σλ/μ is ``load`` × capacity; minimum shares sum to ``min_share_total`` ×
    capacity (on the unit grid); a ``slo_fraction`` of agents get a latency SLO that is
    attainable at 1.5 × their load share; agents' useful shares are capped (``max_share``) at a
    few times their load, as a scheduler would. Intensities, powers and prices vary per GPU.
    ``trace_steps`` adds a bursty per-step arrival trace (mean = the static rate).
    """
    rng = np.random.default_rng(seed)
    draws = _agent_draws(rng, n_agents, float(n_gpus), share_units, load, min_share_total)
    draws["has_slo"] = _keep_feasible(draws, rng.random(n_agents) < slo_fraction, n_gpus)
    draws["memory_bytes"] = rng.uniform(0.5, 8.0, n_agents) * 1e9
    gpus = _gpus(rng, n_gpus, pooled, share_units, memory_gb)
    bursts = rng.gamma(4.0, 0.25, (n_agents, trace_steps)) if trace_steps else None
    with collector_paused():
        data = {
            "problem": "gpushare",
            "name": f"generated_{n_agents}x{n_gpus}{'_pooled' if pooled else ''}_s{seed}",
            "objective": objective,
            "gpus": gpus,
            "agents": _agents(draws, bursts),
        }
        return from_dict(data, source=f"generate(seed={seed})")  # type: ignore[return-value]


def _agent_draws(
    rng: np.random.Generator, n: int, cap: float, units: int, load: float, min_total: float
) -> dict[str, np.ndarray]:
    """Throughputs, rates, share bounds, priorities and SLOs of ``n`` agents (one vector each)."""
    mu = np.exp(rng.uniform(np.log(20), np.log(200), n))
    mix = rng.dirichlet(np.full(n, 2.0))
    load_share = np.minimum(load * cap * mix, 0.9)  # λ/μ, at most 0.9 of one GPU
    lam = load_share * mu
    min_share = np.floor(min_total * cap * rng.dirichlet(np.full(n, 2.0)) * units) / units
    min_share = np.minimum(min_share, np.floor(load_share * units) / units)
    slo_share = 1.5 * load_share + 1.0 / units
    return {
        "mu": mu,
        "lam": lam,
        "min_share": min_share,
        "max_share": np.minimum(1.0, np.ceil((3 * load_share + 2 / units) * units) / units),
        "priority": rng.integers(1, 4, n).astype(float),
        "slo_share": slo_share,
        "slo": 1.0 / (mu * slo_share - lam),
    }


def _keep_feasible(draws: dict[str, np.ndarray], has_slo: np.ndarray, cap: float) -> np.ndarray:
    """Drop the largest SLO demands, in that order, until the guaranteed shares fit in 90 % of
    the capacity (bin packing may still bind across several GPUs).

    The k-th drop lowers the guaranteed total by a known amount, so the number of drops is
    found from a cumulative sum and confirmed on the total as computed directly (the rule the
    one-drop-at-a-time loop applied, which cost O(N²))."""
    min_share, slo_share = draws["min_share"], draws["slo_share"]
    order = np.argsort(-slo_share)

    def fits(k: int) -> bool:
        kept = has_slo.copy()
        kept[order[:k]] = False
        return bool(np.maximum(min_share, np.where(kept, slo_share, 0)).sum() <= 0.9 * cap)

    guaranteed = np.maximum(min_share, np.where(has_slo, slo_share, 0))
    saving = np.where(has_slo, guaranteed - min_share, 0.0)[order]
    after = guaranteed.sum() - np.concatenate(([0.0], np.cumsum(saving)))
    k = int(np.argmax(after <= 0.9 * cap)) if np.any(after <= 0.9 * cap) else len(order)
    while k > 0 and fits(k - 1):
        k -= 1
    while k < len(order) and not fits(k):
        k += 1
    kept = has_slo.copy()
    kept[order[:k]] = False
    return kept


def _gpus(rng: np.random.Generator, n: int, pooled: bool, units: int, memory_gb: float) -> list:
    """One GPU per unpooled GPU (or one pool of ``n``), with drawn powers, price and grid."""
    return [
        {
            "name": f"gpu{g}",
            "count": n if pooled else 1,
            "pooled": pooled,
            "share_units": units,
            "memory_bytes": memory_gb * 1e9,
            "idle_power_w": float(rng.uniform(40, 80)),
            "active_power_w": float(rng.uniform(250, 400)),
            "price_usd_per_h": round(float(rng.uniform(1.0, 3.0)), 2),
            "intensity_g_per_kwh": round(float(rng.uniform(50, 600)), 1),
        }
        for g in range(1 if pooled else n)
    ]


def _rounded(values: np.ndarray, digits: int) -> list[float]:
    """Python's ``round(v, digits)`` of every value, vectorised.

    ``round`` gives the double nearest to v rounded to ``digits`` decimals (half to even).
    With p = v·10^digits as computed, rint(p)/10^digits is that double (an integer over an
    exact power of ten, divided once), unless the product's own rounding carried p across a
    half: so values with p within two ulps of a half, or too large, take ``round`` itself."""
    v = values.ravel()
    power = 10.0 ** abs(digits)
    p = v * power if digits >= 0 else v / power
    m = np.rint(p)
    out = m / power if digits >= 0 else m * power
    whole = np.trunc(p)
    doubtful = ~(np.abs(np.abs(p - whole) - 0.5) > 2 * np.spacing(np.abs(p)))
    doubtful |= ~(np.abs(p) < 2.0**51)
    result = out.tolist()
    for i in np.flatnonzero(doubtful).tolist():
        result[i] = round(float(v[i]), digits)
    return result


def _agents(draws: dict[str, np.ndarray], bursts: np.ndarray | None) -> rows.Table | list:
    """The agents as validated models, built column by column; if a column breaks a rule
    (a bug here), the ordinary validation of the rows names it."""
    n = draws["mu"].size
    has_slo = draws["has_slo"]
    columns: dict[str, list[Any]] = {
        "name": list(map("agent{}".format, range(n))),
        "throughput_rps": _rounded(draws["mu"], 3),
        "min_share": draws["min_share"].tolist(),
        "max_share": draws["max_share"].tolist(),
        "priority": draws["priority"].tolist(),
        "latency_slo_s": [s if h else None for s, h in zip(_rounded(draws["slo"], 4), has_slo)],
        "memory_bytes": _rounded(draws["memory_bytes"], -6),
    }
    rate = "arrival_trace_rps" if bursts is not None else "arrival_rps"
    if bursts is None:
        columns[rate] = _rounded(draws["lam"], 3)
    else:
        values = _rounded(draws["lam"][:, None] * bursts, 3)
        steps = bursts.shape[1]
        columns[rate] = [values[i : i + steps] for i in range(0, n * steps, steps)]
    without = (*_GIVEN, rate, "memory_bytes")
    keys = [(*without, "latency_slo_s") if h else without for h in has_slo.tolist()]
    cols = rows.check_columns(Agent, columns, n)
    if cols is None:
        return _as_rows(columns, keys)
    return rows.Table(rows.build(Agent, cols, rows.fields_sets(Agent, keys)), cols)


def _as_rows(columns: dict[str, list[Any]], keys: list[tuple[str, ...]]) -> list[dict]:
    """The agents as the dicts the ordinary validation reads (only when a column is refused)."""
    return [{k: columns[k][i] for k in row} for i, row in enumerate(keys)]
