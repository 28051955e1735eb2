"""Discrete-time fluid simulator: replay a workload trace under every allocation policy.

The static problem (``model``, ``heuristics``, ``evaluate``) decides once for mean rates. Here a
controller re-decides every control step from the rates it has observed, and a fluid queue per
agent carries the backlog from step to step, so overload shows up as growing queues and delays
instead of the tangent-continued M/M/1 curve.

Semantics
---------
Time
    Control step Δt = ``simulation.step_s`` (s). Horizon T steps: the ``steps`` argument, else
    ``simulation.steps``, else the length of the agents' ``arrival_trace_rps``, else 60.
Arrivals
    Agent i receives a_{i,t} = λ_{i,t}·Δt requests (fluid) in step t, spread evenly over the step:
    λ_{i,t} is its trace value (the trace is cycled when shorter than T) or, without a trace, the
    constant ``arrival_rps`` (req/s).
Control
    At step t the policy sees the observed rate: the mean of λ over the previous
    ``simulation.window_steps`` steps (at t = 0 the step-0 rate: the controller is assumed to
    know the initial rate). It is called on a copy of the instance whose agents have that constant
    ``arrival_rps``. ``milp`` re-solves the MILP (``ecoopt.solve``) every step; when the step has
    no MILP plan (infeasible, or no incumbent within ``milp_time_limit``) it falls back to the
    agents' minimum shares on the heuristics' placement and the step counts in
    ``infeasible_steps``. Every heuristic of ``HEURISTICS`` is called the same way. Shares on a
    slot that sum beyond its capacity (only the fallback can do this) are scaled down to fit.
Round robin
    Simulated as real whole-GPU time slicing: the heuristic's plan is used for placement only;
    on each slot the agents placed there take turns in file order, the active agent holding share
    1.0 (a whole GPU, ``max_share`` ignored) for one step and the others 0. A pool of S GPUs runs
    min(S, n) agents at a time.
Service and queue
    Service rate r_{i,t} = share·μ_i·speed (req/s), speed that of the GPU the agent sits on.
    Fluid FIFO queue: served_t = min(Q_t + a_t, r_t·Δt); Q_{t+1} = Q_t + a_t − served_t.
Latency of a request
    Fluid FIFO virtual delay plus a stochastic term. The cumulative arrival curve A(τ) and
    departure curve D(τ) are piecewise linear (D has one kink per step, where the queue empties);
    arrival mass at τ leaves at D⁻¹(A(τ)), delay D⁻¹(A(τ)) − τ. Arrivals are sampled at
    ``SAMPLES_PER_STEP`` midpoints per step, each weighted by its arrival mass. To this is added
    the M/M/1 delay ``physics.latency_s(share, λ_t, μ·speed, overload_rho)`` of the step in which
    the request is served when that step is stable (λ_t < r_t), else the plain service time
    1/r_t. Requests still queued at the horizon end are censored there (delay = end − arrival,
    no stochastic term: a lower bound); ``backlog_end_req`` reports how many. ``mean_latency_s``
    and ``p95_latency_s`` are over all requests of all agents, weighted by arrival mass (not by
    priority); NaN, with ``note`` "no requests arrived", when no request arrives at all.
Metrics
    throughput_rps = Σ served / (T·Δt); served_fraction = Σ served / Σ arrived;
    utilisation = Σ_t Σ_i served_{i,t}/(μ_i·speed) / Σ_t (GPUs powered at t)·Δt;
    cost_usd = Σ_t Σ_i share·price_usd_per_h·Δt/3600 (share-hour billing, as in ``physics``);
    carbon_g = Σ_t over slots of (idle power·P + (active − idle)·Σ shares)·Δt, P the GPUs the
    slot powers at t (``packing.powered_gpus``: enough for its load and one per GPU holding a
    model), at that step's intensity (``carbon.trace_slots`` of the GPU's ``intensity_trace``
    with slot Δt, else its static intensity) and PUE, plus the amortised embodied carbon of
    the P GPUs for Δt when ``embodied_kg`` > 0;
    decide_s = wall time the policy spent deciding, summed over steps (s).
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..carbon import embodied_share_g, operational_carbon_g, trace_slots
from ..errors import InstanceError, Problem
from ..progress import bar
from ..results import MILP
from ..solve import solve
from ..tolerance import REL
from .evaluate import Plan
from .heuristics import HEURISTICS, place
from .instance import GpuShareInstance, check_sim_size
from .packing import powered_gpus
from .physics import latency_s

SAMPLES_PER_STEP = 4
"""Arrival sample points per step for the latency distribution (midpoint rule)."""

DEFAULT_STEPS = 60
POLICIES: tuple[str, ...] = (MILP, *HEURISTICS)
COLUMNS = [
    "policy",
    "mean_latency_s",
    "p95_latency_s",
    "throughput_rps",
    "served_fraction",
    "backlog_end_req",
    "utilisation",
    "cost_usd",
    "carbon_g",
    "decide_s",
    "infeasible_steps",
    "note",
]


@dataclass
class SimTrace:
    """Per-step record of one policy over the horizon (T steps, n agents in file order).

    Request counts are fluid (``_req``), rates in req/s, times in s. ``backlog_req`` is the
    queue at the end of each step. The ``sample_*``/``*_delay_s`` arrays hold the arrival
    samples behind the latency statistics: ``SAMPLES_PER_STEP`` per step, rows in time order.
    """

    policy: str
    step_s: float
    agents: list[str]
    slot_names: list[str]
    slot: np.ndarray  # (T, n) index into slot_names
    share: np.ndarray  # (T, n) fraction of one GPU actually held
    observed_rps: np.ndarray  # (T, n) rate the policy saw
    service_rps: np.ndarray  # (T, n)
    arrivals_req: np.ndarray  # (T, n)
    served_req: np.ndarray  # (T, n)
    backlog_req: np.ndarray  # (T, n)
    decide_s: np.ndarray  # (T,)
    infeasible: np.ndarray  # (T,) bool: MILP fallback used
    cost_usd: np.ndarray  # (T,)
    carbon_g: np.ndarray  # (T,)
    busy_gpu_s: np.ndarray  # (T,) GPU-seconds of service performed
    hosting_gpu_s: np.ndarray  # (T,) GPU-seconds of the GPUs hosting agents
    sample_time_s: np.ndarray  # (T·K,) arrival time of each sample
    sample_req: np.ndarray  # (T·K, n) arrival mass of each sample
    fluid_delay_s: np.ndarray  # (T·K, n) FIFO virtual delay (censored at the horizon)
    latency_s: np.ndarray  # (T·K, n) fluid delay + stochastic term

    @property
    def horizon_s(self) -> float:
        return self.step_s * len(self.decide_s)

    def summary(self) -> dict[str, Any]:
        """One row of :func:`simulate`'s table (columns ``COLUMNS``)."""
        arrived = float(self.arrivals_req.sum())
        served = float(self.served_req.sum())
        w = self.sample_req.ravel()
        x = self.latency_s.ravel()
        mean = p95 = float("nan")
        if w.sum() > 0:
            mean = float(np.sum(w * x) / w.sum())
            order = np.argsort(x, kind="stable")
            cw = np.cumsum(w[order])
            p95 = float(x[order][np.searchsorted(cw, 0.95 * cw[-1])])
        hosting = float(self.hosting_gpu_s.sum())
        return {
            "policy": self.policy,
            "mean_latency_s": mean,
            "p95_latency_s": p95,
            "throughput_rps": served / self.horizon_s,
            "served_fraction": served / arrived if arrived > 0 else 1.0,
            "backlog_end_req": float(self.backlog_req[-1].sum()),
            "utilisation": float(self.busy_gpu_s.sum()) / hosting if hosting else 0.0,
            "cost_usd": float(self.cost_usd.sum()),
            "carbon_g": float(self.carbon_g.sum()),
            "decide_s": float(self.decide_s.sum()),
            "infeasible_steps": int(self.infeasible.sum()),
            # latency of no request is undefined: say so rather than leave a bare NaN
            "note": "" if w.sum() > 0 else "no requests arrived: latency undefined",
        }


# -- inputs ------------------------------------------------------------------------------------
def horizon_steps(inst: GpuShareInstance, steps: int | None = None) -> int:
    """T: ``steps``, else ``simulation.steps``, else the arrival traces' length, else 60.

    Bounded before anything is allocated: T ≤ ``MAX_STEPS`` and T × agents ≤
    ``MAX_SIM_CELLS`` (every per-step record is a T × agents array)."""
    if steps is not None:
        if isinstance(steps, bool) or not isinstance(steps, int | np.integer) or steps < 1:
            raise ValueError(f"steps must be a whole number ≥ 1, got {steps!r}")
        check_sim_size(int(steps), len(inst.agents), "steps")
        return int(steps)
    if inst.simulation.steps is not None:
        return inst.simulation.steps
    lengths = [len(a.arrival_trace_rps) for a in inst.agents if a.arrival_trace_rps]
    return lengths[0] if lengths else DEFAULT_STEPS


def arrival_rps(inst: GpuShareInstance, steps: int) -> np.ndarray:
    """(T, n) arrival rate per step, req/s: the trace cycled to T steps, else ``arrival_rps``."""
    cols = []
    for a in inst.agents:
        if a.arrival_trace_rps:
            cols.append(np.resize(np.asarray(a.arrival_trace_rps, dtype=float), steps))
        else:
            cols.append(np.full(steps, a.arrival_rps or 0.0))
    return np.column_stack(cols)


def observed_rps(rates: np.ndarray, window: int) -> np.ndarray:
    """(T, n) rate seen at step t: mean of ``rates`` over steps [t − window, t); row 0 at t = 0."""
    T = len(rates)
    c = np.vstack([np.zeros(rates.shape[1]), np.cumsum(rates, axis=0)])
    t = np.arange(1, T)
    lo = np.maximum(0, t - window)
    out = rates.astype(float).copy()
    out[1:] = (c[t] - c[lo]) / (t - lo)[:, None]
    return out


def with_rates(inst: GpuShareInstance, rates: np.ndarray) -> GpuShareInstance:
    """A copy of ``inst`` whose agents have constant ``arrival_rps`` = ``rates`` and no trace.

    Built by validation rather than ``model_copy``: the copy would keep the cached ``arrays``
    (and thus the old rates).
    """
    data = inst.model_dump()
    for agent, rate in zip(data["agents"], rates, strict=True):
        agent["arrival_rps"] = float(rate)
        agent["arrival_trace_rps"] = None
    return GpuShareInstance.model_validate(data)


def intensity_per_step(inst: GpuShareInstance, steps: int) -> np.ndarray:
    """(T, slots) grid intensity per step, gCO2e/kWh (trace at slot length Δt, else static)."""
    dt = inst.simulation.step_s
    cols = []
    for s in inst.slots:
        tr = s.gpu.intensity_trace
        if tr is not None:
            try:
                cols.append(trace_slots(tr.name, tr.start, steps, dt))
            except ValueError as exc:
                raise InstanceError(
                    inst.name or "instance",
                    [
                        Problem(
                            f"gpus[{s.gpu_index}] ({s.gpu.name}).intensity_trace.start",
                            str(exc),
                            "start the trace earlier or simulate fewer steps",
                        )
                    ],
                ) from None
        else:
            cols.append(np.full(steps, float(s.gpu.intensity_g_per_kwh)))
    return np.column_stack(cols)


# -- one decision ------------------------------------------------------------------------------
def _decide(
    step_inst: GpuShareInstance, policy: str, objective: str, milp_time_limit: float
) -> tuple[Plan, bool]:
    """The policy's plan for one step and whether the MILP fell back to minimum shares."""
    if policy != MILP:
        return HEURISTICS[policy](step_inst, objective=objective), False
    res = solve(step_inst, objective, time_limit=milp_time_limit)
    if res.plan is not None:
        return res.plan, False
    where = place(step_inst)
    names = [step_inst.slots[g].name for g in where]
    return Plan("milp_fallback", names, step_inst.arrays.min_share.copy()), True


def _decisions(inst, policy, objective, obs, milp_time_limit):  # noqa: ANN001, ANN202
    """Per step: the policy's plan for the rates it observed -> (share, slot, host, decide
    seconds, fallback flags), round robin rotated, over-full slots scaled down."""
    T, n = obs.shape
    slots = inst.slots
    slot_of = {s.name: g for g, s in enumerate(slots)}
    scale = np.array([float(s.scale) for s in slots])
    share = np.zeros((T, n))
    where = np.zeros((T, n), dtype=np.int64)
    host = np.zeros((T, n), dtype=np.int64)
    decide = np.zeros(T)
    infeasible = np.zeros(T, dtype=bool)
    for t in range(T):
        step_inst = with_rates(inst, obs[t])
        tic = time.perf_counter()
        plan, infeasible[t] = _decide(step_inst, policy, objective, milp_time_limit)
        decide[t] = time.perf_counter() - tic
        where[t] = [slot_of[name] for name in plan.slot]
        host[t] = 0 if plan.host is None else plan.host
        s = _rotation(where[t], t, scale) if policy == "round_robin" else plan.share
        share[t] = _fit(np.asarray(s, dtype=float), where[t], scale)
    return share, where, host, decide, infeasible


def _fluid_queue(arrivals: np.ndarray, capacity: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(T, n) served and backlog of fluid FIFO queues: served_t = min(Q_t + a_t, capacity_t)."""
    served = np.zeros(arrivals.shape)
    backlog = np.zeros(arrivals.shape)
    q = np.zeros(arrivals.shape[1])
    for t in range(len(arrivals)):
        served[t] = np.minimum(q + arrivals[t], capacity[t])
        q = q + arrivals[t] - served[t]
        backlog[t] = q
    return served, backlog


def _carbon_per_step(share, where, host, slots, intensity, dt):  # noqa: ANN001, ANN202
    """(T,) gCO2e per step: idle power of the powered GPUs, active power of the shares, at the
    step's intensity and PUE, plus the powered GPUs' embodied carbon; and (T, G) powered."""
    T = len(share)
    load = np.zeros((T, len(slots)))
    np.add.at(load, (np.arange(T)[:, None], where), share)
    powered = _powered(where, host, load, slots)
    idle = np.array([s.gpu.idle_power_w for s in slots])
    extra = np.array([s.gpu.active_power_w - s.gpu.idle_power_w for s in slots])
    power_w = idle * powered + (powered > 0) * extra * load
    pue = np.array([s.gpu.pue for s in slots])
    operational = operational_carbon_g(power_w * dt, intensity, pue)
    embodied = np.array(
        [
            embodied_share_g(s.gpu.embodied_kg, s.gpu.lifetime_years, dt)
            if s.gpu.embodied_kg > 0
            else 0.0
            for s in slots
        ]
    )
    return np.sum(operational + powered * embodied, axis=1), powered


def _powered(where: np.ndarray, host: np.ndarray, load: np.ndarray, slots: list) -> np.ndarray:  # noqa: ANN001
    """(T, G) GPUs powered per step: enough for the load, one per GPU holding a model
    (``packing.powered_gpus``; load in GPUs, rounded up past ``tolerance.REL``)."""
    out = np.zeros(load.shape)
    for t in range(len(where)):
        for g in np.unique(where[t]):
            on = where[t] == g
            units = slots[g].units_per_gpu
            used = int(np.ceil(load[t, g] * units * (1 - REL)))
            out[t, g] = min(slots[g].scale, powered_gpus(used, units, host[t][on]))
    return out


def _rotation(where: np.ndarray, t: int, scale: np.ndarray) -> np.ndarray:
    """Round-robin shares at step t: on each slot min(S, n) agents hold a whole GPU in turn."""
    share = np.zeros(len(where))
    for g in np.unique(where):
        idx = np.flatnonzero(where == g)
        m = min(int(scale[g]), len(idx))
        share[idx[(t * m + np.arange(m)) % len(idx)]] = 1.0
    return share


def _fit(share: np.ndarray, where: np.ndarray, scale: np.ndarray) -> np.ndarray:
    """Scale the shares on any over-full slot down to its capacity (``scale`` GPUs)."""
    load = np.bincount(where, weights=share, minlength=len(scale))
    factor = np.minimum(1.0, scale / np.maximum(load, 1e-300))
    return share * factor[where]


# -- latency -----------------------------------------------------------------------------------
def fifo_delays(
    arrivals: np.ndarray,
    served: np.ndarray,
    backlog: np.ndarray,
    rate: np.ndarray,
    step_s: float,
    k: int = SAMPLES_PER_STEP,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Fluid FIFO virtual delays of arrival samples, and the step serving each.

    Parameters
    ----------
    arrivals, served, backlog : (T, n) requests per step, and queue at each step's end.
    rate : (T, n) service rate, req/s.
    step_s : Δt, s.
    k : arrival samples per step (midpoints).

    Returns
    -------
    sample_time_s : (T·k,) arrival time of each sample, s.
    sample_req : (T·k, n) arrival mass of each sample, requests.
    delay_s : (T·k, n) D⁻¹(A(τ)) − τ, s; censored at T·Δt for requests never served.
    serve_step : (T·k, n) step in which each sample is served, T if never.
    """
    T, n = arrivals.shape
    lam = arrivals / step_s
    q0 = np.vstack([np.zeros(n), backlog[:-1]])
    d_end = np.cumsum(served, axis=0)
    d0 = d_end - served
    # Within a step D(τ) = min(D0 + r·(τ − t0), A(τ)): linear at rate r until the queue empties.
    with np.errstate(divide="ignore", invalid="ignore"):
        empty_at = np.where(rate > lam, np.clip(q0 / (rate - lam), 0.0, step_s), step_s)
    d_kink = np.minimum(d0 + rate * empty_at, d_end)
    t0 = (np.arange(T) * step_s)[:, None]
    end_t = np.broadcast_to(t0 + step_s, (T, n))
    knot_t = np.vstack([np.zeros(n), np.stack([t0 + empty_at, end_t], 1).reshape(2 * T, n)])
    knot_d = np.vstack([np.zeros(n), np.stack([d_kink, d_end], 1).reshape(2 * T, n)])

    frac = (np.arange(k) + 0.5) / k
    sample_t = ((np.arange(T)[:, None] + frac[None, :]) * step_s).ravel()
    a0 = np.cumsum(arrivals, axis=0) - arrivals
    level = (a0[:, None, :] + arrivals[:, None, :] * frac[None, :, None]).reshape(T * k, n)
    mass = np.repeat(arrivals / k, k, axis=0)

    # D⁻¹(y) = first time D reaches y: on the first knot j with D ≥ y, interpolate on the rising
    # segment (j − 1, j), which lies in step (j − 1) // 2. j past the last knot: never served.
    depart = np.empty_like(level)
    serve_step = np.empty(level.shape, dtype=np.int64)
    for i in range(n):
        d, tk = knot_d[:, i], knot_t[:, i]
        j = np.searchsorted(d, level[:, i], side="left")
        lo = np.clip(j - 1, 0, 2 * T - 1)
        with np.errstate(divide="ignore", invalid="ignore"):
            along = (level[:, i] - d[lo]) / (d[lo + 1] - d[lo])
            t_in = tk[lo] + along * (tk[lo + 1] - tk[lo])
        depart[:, i] = np.where(j > 2 * T, T * step_s, np.where(j == 0, 0.0, t_in))
        serve_step[:, i] = np.clip((j - 1) // 2, 0, T)
    delay = np.maximum(depart - sample_t[:, None], 0.0)
    return sample_t, mass, delay, serve_step


# -- the simulator -----------------------------------------------------------------------------
def simulate_policy(
    inst: GpuShareInstance,
    policy: str,
    *,
    steps: int | None = None,
    objective: str | None = None,
    milp_time_limit: float = 10.0,
) -> SimTrace:
    """Simulate one policy over the horizon (semantics in the module docstring).

    Parameters
    ----------
    inst : the instance; its agents' traces (or constant rates) drive the arrivals.
    policy : ``"milp"`` or a name in ``HEURISTICS``.
    steps : horizon in control steps; default from the instance (module docstring).
    objective : passed to the policy each step; default ``inst.objective``.
    milp_time_limit : HiGHS time limit per MILP step, s.

    Returns
    -------
    SimTrace
        Per-step shares, arrivals, service, backlog, cost and carbon, and latency samples.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown policy {policy!r}; choose from {', '.join(POLICIES)}")
    objective = objective or inst.objective
    T = horizon_steps(inst, steps)
    intensity = intensity_per_step(inst, T)  # checked before any step runs
    dt = inst.simulation.step_s
    n = len(inst.agents)
    slots = inst.slots
    lam = arrival_rps(inst, T)
    obs = observed_rps(lam, inst.simulation.window_steps)
    share, where, host, decide, infeasible = _decisions(
        inst, policy, objective, obs, milp_time_limit
    )
    speed = np.array([s.gpu.speed for s in slots])[where]
    mu = inst.arrays.mu * speed  # (T, n) req/s at a whole GPU
    rate = share * mu
    arrivals = lam * dt
    served, backlog = _fluid_queue(arrivals, rate * dt)
    sample_t, mass, fluid, serve_step = fifo_delays(arrivals, served, backlog, rate, dt)
    with np.errstate(divide="ignore", invalid="ignore"):
        mm1 = latency_s(share, lam, mu, inst.overload_rho, inst.overload_horizon_s)
        service_time = np.where(rate > 0, 1.0 / rate, 0.0)
    stochastic = np.vstack([np.where(lam < rate, mm1, service_time), np.zeros(n)])
    total = fluid + np.take_along_axis(stochastic, serve_step, axis=0)

    carbon, powered = _carbon_per_step(share, where, host, slots, intensity, dt)
    price = np.array([s.gpu.price_usd_per_h for s in slots])[where]

    return SimTrace(
        policy=policy,
        step_s=dt,
        agents=list(inst.arrays.names),
        slot_names=[s.name for s in slots],
        slot=where,
        share=share,
        observed_rps=obs,
        service_rps=rate,
        arrivals_req=arrivals,
        served_req=served,
        backlog_req=backlog,
        decide_s=decide,
        infeasible=infeasible,
        cost_usd=np.sum(share * price, axis=1) * dt / 3600.0,
        carbon_g=carbon,
        busy_gpu_s=np.sum(served / mu, axis=1),
        hosting_gpu_s=np.sum(powered, axis=1) * dt,
        sample_time_s=sample_t,
        sample_req=mass,
        fluid_delay_s=fluid,
        latency_s=total,
    )


def simulate(
    inst: GpuShareInstance,
    policies: list[str] | None = None,
    *,
    steps: int | None = None,
    objective: str | None = None,
    milp_time_limit: float = 10.0,
    progress: bool = False,
) -> pd.DataFrame:
    """Simulate every policy over the instance's workload trace; one row per policy.

    Parameters
    ----------
    inst : the instance (agents' ``arrival_trace_rps`` or constant ``arrival_rps``).
    policies : names among ``POLICIES`` (``milp`` and the heuristics); default all.
    steps, objective, milp_time_limit : see :func:`simulate_policy`.
    progress : a bar over the policies on stderr.

    Returns
    -------
    pandas.DataFrame
        Columns ``COLUMNS``: latencies in s, throughput in req/s, backlog in requests, cost in
        USD and carbon in gCO2e over the horizon, ``decide_s`` the total deciding time in s.
    """
    rows = [
        simulate_policy(
            inst, p, steps=steps, objective=objective, milp_time_limit=milp_time_limit
        ).summary()
        for p in bar(list(policies if policies is not None else POLICIES), "policies", progress)
    ]
    return pd.DataFrame(rows, columns=COLUMNS)


#: the panels of :func:`timeline`, in drawing order (each names its unit)
TIMELINE_PANELS = ("GPU share (GPUs)", "backlog (requests)", "carbon per step (gCO2e)")


def timeline_frame(trace: SimTrace) -> pd.DataFrame:
    """A :class:`SimTrace` as the tidy frame ``ecoopt.plot.timeline`` draws.

    Columns ``time_s, panel, series, value``, each series a step function holding ``value``
    from ``time_s`` (s) on: per agent its share of a GPU held during step t (``trace.share``,
    from t·Δt), per agent its backlog at the end of step t (``trace.backlog_req``, requests,
    from (t + 1)·Δt), and the gCO2e emitted during step t (``trace.carbon_g``, from t·Δt).
    """
    T, dt = len(trace.decide_s), trace.step_s
    start = np.arange(T) * dt
    share, backlog, carbon = TIMELINE_PANELS
    parts = [
        pd.DataFrame({"time_s": start, "panel": share, "series": a, "value": trace.share[:, i]})
        for i, a in enumerate(trace.agents)
    ]
    parts += [
        pd.DataFrame(
            {"time_s": start + dt, "panel": backlog, "series": a, "value": trace.backlog_req[:, i]}
        )
        for i, a in enumerate(trace.agents)
    ]
    per_step = {"time_s": start, "panel": carbon, "series": "carbon", "value": trace.carbon_g}
    parts.append(pd.DataFrame(per_step))
    df = pd.concat(parts, ignore_index=True)
    df.attrs.update(policy=trace.policy, horizon_s=trace.horizon_s)
    return df


def timeline(
    inst: GpuShareInstance, policy: str | None = None, *, steps: int | None = None
) -> pd.DataFrame:
    """One policy's run over the trace (:func:`simulate_policy`) as :func:`timeline_frame`.

    ``policy``: ``milp`` or a heuristic (default ``sqrt_waterfill``, the family's reference
    heuristic); ``steps`` as in :func:`simulate_policy`."""
    trace = simulate_policy(inst, policy or "sqrt_waterfill", steps=steps)
    df = timeline_frame(trace)
    df.attrs["instance"] = inst.name or ""
    return df


__all__ = [
    "POLICIES",
    "SimTrace",
    "fifo_delays",
    "simulate",
    "simulate_policy",
    "timeline",
    "timeline_frame",
]
