"""A routing instance as arrays: requests (in file order), request types, nodes with their
hourly intensities, and the profiles that fit their node's memory (the only ones any plan may
use). Built once per instance (``RoutingInstance.data``)."""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from ..carbon import trace_slots
from .instance import Node, RoutingInstance

SECONDS_PER_YEAR = 365.0 * 24 * 3600
#: tolerance on times (s): a start this close to a bound is on it
TIME_EPS = 1e-9


@dataclass(frozen=True)
class RoutingData:
    node_names: list[str]
    type_names: list[str]
    slot_s: float
    horizon_s: float
    # requests, in file order
    arrival_s: np.ndarray  # (R,)
    rtype: np.ndarray  # (R,) type index
    deadline_s: np.ndarray  # (R,) arrival + the type's SLO
    start_by_s: np.ndarray  # (R,) arrival + the type's max wait (inf: none)
    # request types
    slo_s: np.ndarray  # (K,)
    max_wait_s: np.ndarray  # (K,) inf: none
    # nodes
    memory_bytes: np.ndarray  # (N,)
    lanes: np.ndarray  # (N,) batches at once
    idle_w: np.ndarray  # (N,)
    pue: np.ndarray  # (N,)
    embodied_g_per_busy_s: np.ndarray  # (N,) per lane-second of a running batch
    hourly_g_per_kwh: np.ndarray  # (N, H) intensity per hour from t = 0
    # profiles that fit their node's memory
    p_node: np.ndarray  # (P,)
    p_type: np.ndarray  # (P,)
    p_batch: np.ndarray  # (P,)
    p_service_s: np.ndarray  # (P,)
    p_energy_j: np.ndarray  # (P,)
    p_memory_bytes: np.ndarray  # (P,)

    @property
    def R(self) -> int:
        return len(self.arrival_s)

    @property
    def N(self) -> int:
        return len(self.node_names)

    @property
    def K(self) -> int:
        return len(self.type_names)

    def intensity(self, node: np.ndarray, t_s: np.ndarray) -> np.ndarray:
        """gCO2e/kWh of ``node`` at times ``t_s`` (the hour's value; held after the last hour)."""
        hour = np.clip(
            (np.asarray(t_s) // 3600.0).astype(np.int64), 0, self.hourly_g_per_kwh.shape[1] - 1
        )
        return self.hourly_g_per_kwh[node, hour]

    def batch_carbon_g(self, p: np.ndarray, start_s: np.ndarray) -> np.ndarray:
        """Operational carbon of profile rows ``p`` run from ``start_s`` (at the intensity in
        force at the start) plus their nodes' embodied carbon for the busy time."""
        n = self.p_node[p]
        kwh = self.p_energy_j[p] * self.pue[n] / 3.6e6
        return (
            kwh * self.intensity(n, start_s) + self.embodied_g_per_busy_s[n] * self.p_service_s[p]
        )


def _hourly(node: Node, hours: int) -> np.ndarray:
    if node.intensity_g_per_kwh is not None:
        return np.full(hours, float(node.intensity_g_per_kwh))
    if node.intensity_hourly_g_per_kwh is not None:
        given = np.asarray(node.intensity_hourly_g_per_kwh, dtype=float)
        return np.concatenate([given, np.full(max(hours - len(given), 0), given[-1])])[:hours]
    tr = node.intensity_trace
    assert tr is not None  # one of the three, by Node's validator
    return trace_slots(tr.name, tr.start, hours, 3600.0)


def _requests(inst: RoutingInstance, type_index: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    arrival = np.fromiter((r.arrival_s for r in inst.requests), float, len(inst.requests))
    rtype = np.fromiter((type_index[r.type] for r in inst.requests), np.int64, len(inst.requests))
    return arrival, rtype


def _profiles(inst: RoutingInstance, node_index: dict[str, int], type_index: dict[str, int]):  # noqa: ANN202
    rows = [
        p for p in inst.profiles if p.memory_bytes <= inst.nodes[node_index[p.node]].memory_bytes
    ]
    return {
        "p_node": np.array([node_index[p.node] for p in rows], dtype=np.int64),
        "p_type": np.array([type_index[p.type] for p in rows], dtype=np.int64),
        "p_batch": np.array([p.batch for p in rows], dtype=np.int64),
        "p_service_s": np.array([p.service_time_s for p in rows], dtype=float),
        "p_energy_j": np.array([p.energy_j for p in rows], dtype=float),
        "p_memory_bytes": np.array([p.memory_bytes for p in rows], dtype=float),
    }


def build_data(inst: RoutingInstance) -> RoutingData:
    node_index = {n.name: i for i, n in enumerate(inst.nodes)}
    type_index = {t.name: i for i, t in enumerate(inst.types)}
    arrival, rtype = _requests(inst, type_index)
    slo = np.array([t.slo_s for t in inst.types], dtype=float)
    wait = np.array([np.inf if t.max_wait_s is None else t.max_wait_s for t in inst.types])
    horizon = inst.horizon_s if inst.horizon_s is not None else float(arrival.max() + slo.max())
    hours = max(1, math.ceil((horizon + slo.max()) / 3600.0))
    lanes = np.array([n.concurrency for n in inst.nodes], dtype=np.int64)
    life_s = np.array([n.lifetime_years for n in inst.nodes]) * SECONDS_PER_YEAR
    embodied = np.array([n.embodied_kg for n in inst.nodes]) * 1000.0 / (life_s * lanes)
    return RoutingData(
        node_names=[n.name for n in inst.nodes],
        type_names=[t.name for t in inst.types],
        slot_s=inst.slot_s,
        horizon_s=horizon,
        arrival_s=arrival,
        rtype=rtype,
        deadline_s=arrival + slo[rtype],
        start_by_s=arrival + wait[rtype],
        slo_s=slo,
        max_wait_s=wait,
        memory_bytes=np.array([n.memory_bytes for n in inst.nodes], dtype=float),
        lanes=lanes,
        idle_w=np.array([n.idle_power_w for n in inst.nodes], dtype=float),
        pue=np.array([n.pue for n in inst.nodes], dtype=float),
        embodied_g_per_busy_s=embodied,
        hourly_g_per_kwh=np.array([_hourly(n, hours) for n in inst.nodes]),
        **_profiles(inst, node_index, type_index),
    )
