"""One discrete-event simulator for every online routing policy.

Requests become visible at the first grid point at or after their arrival; the policy then
sends each to a node (in arrival order, each decision seeing the queues the previous ones left).
Each node keeps a queue per request type and runs up to ``concurrency`` batches at once. When a
lane is free at a grid point, the node starts a batch from the queue whose oldest request came
first, if the queue holds the policy's target batch size, or if waiting one more grid point
would break the oldest request's SLO or maximum wait, or if no more requests of that type will
arrive; the batch takes the queue's oldest requests, up to the largest batch size profiled for
the node and type, at the smallest profiled size that holds them, and waits while the node's
memory cannot hold it beside the running batches. The plan that results goes through the same
evaluator as the MILP's.

:class:`Simulation` runs it; :class:`ReferenceSimulation` is the straightforward loop it was
optimised from, kept so that tests and ``benchmarks/routing_scale.py`` check that both give
the same plan (``simulate_plan(..., reference=True)``).
"""

from __future__ import annotations

import heapq
import math
from bisect import bisect_left
from collections import deque
from dataclasses import dataclass, field

import numpy as np

from .arrays import TIME_EPS, RoutingData
from .evaluate import Plan


@dataclass
class NodeState:
    """What a policy may look at: per node, queued requests per type, the lanes' free times
    (s) and the memory held by running batches (requests in each running batch too)."""

    queues: list[list[deque]]  # [node][type] -> request indices, oldest first
    free_at: np.ndarray  # (N, most lanes): when each lane becomes free (inf: no such lane)
    running: list[list[tuple[float, float, int]]]  # [node] -> (end, memory, requests) heap
    queued: np.ndarray  # (N,) requests queued
    in_service: np.ndarray  # (N,) requests in running batches

    def outstanding(self) -> np.ndarray:
        return self.queued + self.in_service


@dataclass
class Tables:
    """Per (node, type): the profile rows by batch size (sorted), for the batcher."""

    sizes: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    rows: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)

    @classmethod
    def of(cls, d: RoutingData) -> Tables:
        t = cls()
        for n, k in set(zip(d.p_node.tolist(), d.p_type.tolist())):
            mine = np.flatnonzero((d.p_node == n) & (d.p_type == k))
            mine = mine[np.argsort(d.p_batch[mine])]
            t.sizes[(n, k)], t.rows[(n, k)] = d.p_batch[mine], mine
        return t

    def row_for(self, n: int, k: int, m: int) -> int:
        """The smallest profiled batch of (n, k) holding m requests (m ≤ the largest)."""
        sizes = self.sizes[(n, k)]
        return int(self.rows[(n, k)][np.searchsorted(sizes, m)])


class ReferenceSimulation:
    """The straightforward event loop (numpy state, every node released at every arrival grid
    point), kept as the reference :class:`Simulation` must match plan for plan; its policies
    decide with ``route``."""

    def __init__(self, d: RoutingData, policy) -> None:  # noqa: ANN001 - a policy object
        self.d, self.policy, self.tab = d, policy, Tables.of(d)
        N, K = d.N, d.K
        self.state = NodeState(
            queues=[[deque() for _ in range(K)] for _ in range(N)],
            free_at=np.where(np.arange(d.lanes.max())[None] < d.lanes[:, None], 0.0, np.inf),
            running=[[] for _ in range(N)],
            queued=np.zeros(N, dtype=np.int64),
            in_service=np.zeros(N, dtype=np.int64),
        )
        self.left_of_type = np.bincount(d.rtype, minlength=K)  # not yet visible
        self.batch_of = -np.ones(d.R, dtype=np.int64)
        self.batches: list[tuple[int, int, float]] = []  # node, size, start

    def grid(self, t: float) -> float:
        """The first grid point at or after t."""
        return float(np.ceil(t / self.d.slot_s - TIME_EPS) * self.d.slot_s) + 0.0  # not -0.0

    def run(self) -> Plan:
        d = self.d
        order = np.argsort(d.arrival_s, kind="stable")
        visible = np.ceil(d.arrival_s[order] / d.slot_s - TIME_EPS) * d.slot_s + 0.0
        wake: list[tuple[float, int]] = []  # (time, node)
        i = 0
        while i < len(order) or wake:
            t = min(visible[i] if i < len(order) else np.inf, wake[0][0] if wake else np.inf)
            if i < len(order) and visible[i] <= t + TIME_EPS:
                for n in range(d.N):  # batches ended by now leave the loads policies read
                    self._release(n, t)
            while i < len(order) and visible[i] <= t + TIME_EPS:
                r = int(order[i])
                self.left_of_type[d.rtype[r]] -= 1
                n = int(self.policy.route(self, r, t))
                self.state.queues[n][d.rtype[r]].append(r)
                self.state.queued[n] += 1
                heapq.heappush(wake, (t, n))
                i += 1
            while wake and wake[0][0] <= t + TIME_EPS:
                _, n = heapq.heappop(wake)
                nxt = self._serve(n, t)
                if nxt is not None:
                    heapq.heappush(wake, (nxt, n))
        return Plan(self.policy.name, self.batch_of, *self._batch_arrays())

    def _batch_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        b = self.batches
        return (np.array([x[0] for x in b], dtype=np.int64),
                np.array([x[1] for x in b], dtype=np.int64),
                np.array([x[2] for x in b], dtype=float))  # fmt: skip

    def _release(self, n: int, t: float) -> None:
        run = self.state.running[n]
        while run and run[0][0] <= t + TIME_EPS:
            self.state.in_service[n] -= heapq.heappop(run)[2]

    def _serve(self, n: int, t: float) -> float | None:
        """Start every batch node n should start at t; the next time it must look again."""
        self._release(n, t)
        while True:
            k = self._oldest_queue(n)
            if k is None:
                return None
            lane = int(np.argmin(self.state.free_at[n]))
            if self.state.free_at[n][lane] > t + TIME_EPS:
                return self.grid(self.state.free_at[n][lane])
            when = self._start_time(n, k, t)
            if when > t + TIME_EPS:
                return when
            if not self._start(n, k, lane, t):
                return self.grid(self.state.running[n][0][0])  # memory: after the next end

    def _oldest_queue(self, n: int) -> int | None:
        best, k_best = np.inf, None
        for k, q in enumerate(self.state.queues[n]):
            if q and self.d.arrival_s[q[0]] < best:
                best, k_best = self.d.arrival_s[q[0]], k
        return k_best

    def _start_time(self, n: int, k: int, t: float) -> float:
        """Now if the queue holds the target batch, if waiting would break its oldest request,
        or if no more of its type will come; else the last grid point it may wait to."""
        d, q = self.d, self.state.queues[n][k]
        sizes = self.tab.sizes[(n, k)]
        m = min(len(q), int(sizes[-1]))
        if m >= min(self.policy.target(n, k), int(sizes[-1])) or self.left_of_type[k] == 0:
            return t
        oldest = q[0]
        service = d.p_service_s[self.tab.row_for(n, k, m)]
        latest = min(d.deadline_s[oldest] - service, d.start_by_s[oldest])
        last = np.floor(latest / d.slot_s + TIME_EPS) * d.slot_s
        return max(t, float(last))

    def _start(self, n: int, k: int, lane: int, t: float) -> bool:
        d, q, st = self.d, self.state.queues[n][k], self.state
        m = min(len(q), int(self.tab.sizes[(n, k)][-1]))
        row = self.tab.row_for(n, k, m)
        held = sum(x[1] for x in st.running[n])
        if st.running[n] and held + d.p_memory_bytes[row] > d.memory_bytes[n] * (1 + 1e-9):
            return False
        end = t + float(d.p_service_s[row])
        reqs = [q.popleft() for _ in range(m)]
        self.batch_of[reqs] = len(self.batches)
        self.batches.append((n, int(d.p_batch[row]), t))
        st.free_at[n][lane] = end
        heapq.heappush(st.running[n], (end, float(d.p_memory_bytes[row]), m))
        st.queued[n] -= m
        st.in_service[n] += m
        return True


@dataclass
class FastState:
    """What a policy may look at in :class:`Simulation`, as plain Python lists (a node's few
    lanes are cheaper read one by one than through numpy): per node its queues per type, its
    lanes' free times (real lanes only), its running batches' (end, memory, requests) heap,
    its queued requests and its outstanding ones (queued + in running batches)."""

    queues: list[list[deque]]
    free_at: list[list[float]]
    running: list[list[tuple[float, float, int]]]
    queued: list[int]
    outstanding: list[int]


class Simulation:
    """The event loop of :class:`ReferenceSimulation`, the same plan for every policy, with
    cheaper bookkeeping: Python scalars and lists instead of numpy, a heap of batch ends so
    that only nodes whose batches ended are released at an arrival grid point (releasing a
    node with none ended is a no-op), one wake per (time, node) (a second ``_serve`` of a node
    at the same time repeats the first's answer: nothing of that node changed in between), and
    the requests visible at a grid point handed to the policy at once (``route_visible``)."""

    def __init__(self, d: RoutingData, policy) -> None:  # noqa: ANN001 - a policy object
        self.d, self.policy, self.tab = d, policy, Tables.of(d)
        N, K = d.N, d.K
        lanes = d.lanes.tolist()
        self.state = FastState(
            queues=[[deque() for _ in range(K)] for _ in range(N)],
            free_at=[[0.0] * lanes[n] for n in range(N)],
            running=[[] for _ in range(N)],
            queued=[0] * N,
            outstanding=[0] * N,
        )
        self.left_of_type = np.bincount(d.rtype, minlength=K).tolist()  # not yet visible
        self.batch_of = [-1] * d.R
        self.batches: list[tuple[int, int, float]] = []  # node, size, start
        self.ends: list[tuple[float, int]] = []  # (end, node) of every batch not yet released
        self.wake: list[tuple[float, int]] = []  # (time, node), each pair once
        self.pending: set[tuple[float, int]] = set()
        self.rtype = d.rtype.tolist()
        self.arrival = d.arrival_s.tolist()
        self.deadline = d.deadline_s.tolist()
        self.start_by = d.start_by_s.tolist()
        self.service = d.p_service_s.tolist()
        self.p_batch = d.p_batch.tolist()
        self.p_memory = d.p_memory_bytes.tolist()
        self.memory = d.memory_bytes.tolist()
        self.sizes = {nk: v.tolist() for nk, v in self.tab.sizes.items()}
        self.rows = {nk: v.tolist() for nk, v in self.tab.rows.items()}
        self.target = [[policy.target(n, k) for k in range(K)] for n in range(N)]

    def grid(self, t: float) -> float:
        """The first grid point at or after t."""
        return math.ceil(t / self.d.slot_s - TIME_EPS) * self.d.slot_s + 0.0  # not -0.0

    def admit(self, r: int, n: int, t: float) -> None:
        """Queue request r, visible at t, on node n (the policy's decision)."""
        st = self.state
        st.queues[n][self.rtype[r]].append(r)
        st.queued[n] += 1
        st.outstanding[n] += 1
        self._wake(t, n)

    def _wake(self, t: float, n: int) -> None:
        if (t, n) not in self.pending:
            self.pending.add((t, n))
            heapq.heappush(self.wake, (t, n))

    def run(self) -> Plan:
        d, wake, ends = self.d, self.wake, self.ends
        order = np.argsort(d.arrival_s, kind="stable")
        visible = (np.ceil(d.arrival_s[order] / d.slot_s - TIME_EPS) * d.slot_s + 0.0).tolist()
        order = order.tolist()
        R, i = len(order), 0
        while i < R or wake:
            t = min(visible[i] if i < R else math.inf, wake[0][0] if wake else math.inf)
            if i < R and visible[i] <= t + TIME_EPS:
                while ends and ends[0][0] <= t + TIME_EPS:  # batches ended by now leave
                    self._release(heapq.heappop(ends)[1], t)  # the loads policies read
                j = i
                while j < R and visible[j] <= t + TIME_EPS:
                    self.left_of_type[self.rtype[order[j]]] -= 1
                    j += 1
                self.policy.route_visible(self, order[i:j], t)
                i = j
            while wake and wake[0][0] <= t + TIME_EPS:
                self.pending.discard(wake[0])
                _, n = heapq.heappop(wake)
                nxt = self._serve(n, t)
                if nxt is not None:
                    self._wake(nxt, n)
        batch_of = np.array(self.batch_of, dtype=np.int64)
        return Plan(self.policy.name, batch_of, *ReferenceSimulation._batch_arrays(self))

    def _release(self, n: int, t: float) -> None:
        run, st = self.state.running[n], self.state
        while run and run[0][0] <= t + TIME_EPS:
            st.outstanding[n] -= heapq.heappop(run)[2]

    def _serve(self, n: int, t: float) -> float | None:
        """Start every batch node n should start at t; the next time it must look again."""
        self._release(n, t)
        free = self.state.free_at[n]
        while True:
            k = self._oldest_queue(n)
            if k is None:
                return None
            first = min(free)
            if first > t + TIME_EPS:
                return self.grid(first)
            when = self._start_time(n, k, t)
            if when > t + TIME_EPS:
                return when
            if not self._start(n, k, free.index(first), t):
                return self.grid(self.state.running[n][0][0])  # memory: after the next end

    def _oldest_queue(self, n: int) -> int | None:
        best, k_best, arrival = math.inf, None, self.arrival
        for k, q in enumerate(self.state.queues[n]):
            if q and arrival[q[0]] < best:
                best, k_best = arrival[q[0]], k
        return k_best

    def _start_time(self, n: int, k: int, t: float) -> float:
        """As :meth:`ReferenceSimulation._start_time`."""
        q, sizes = self.state.queues[n][k], self.sizes[(n, k)]
        m = min(len(q), sizes[-1])
        if m >= min(self.target[n][k], sizes[-1]) or self.left_of_type[k] == 0:
            return t
        oldest = q[0]
        service = self.service[self.rows[(n, k)][bisect_left(sizes, m)]]
        latest = min(self.deadline[oldest] - service, self.start_by[oldest])
        return max(t, math.floor(latest / self.d.slot_s + TIME_EPS) * self.d.slot_s)

    def _start(self, n: int, k: int, lane: int, t: float) -> bool:
        st, q = self.state, self.state.queues[n][k]
        m = min(len(q), self.sizes[(n, k)][-1])
        row = self.rows[(n, k)][bisect_left(self.sizes[(n, k)], m)]
        run = st.running[n]
        mem = self.p_memory[row]
        if run and sum(x[1] for x in run) + mem > self.memory[n] * (1 + 1e-9):
            return False
        end = t + self.service[row]
        b = len(self.batches)
        for _ in range(m):
            self.batch_of[q.popleft()] = b
        self.batches.append((n, self.p_batch[row], t))
        st.free_at[n][lane] = end
        heapq.heappush(run, (end, mem, m))
        heapq.heappush(self.ends, (end, n))
        st.queued[n] -= m
        return True


def simulate_plan(d: RoutingData, policy, *, reference: bool = False) -> Plan:  # noqa: ANN001
    """The plan ``policy`` makes online on the stream of ``d`` (``reference``: by the
    straightforward :class:`ReferenceSimulation`, the same plan, slower)."""
    return (ReferenceSimulation if reference else Simulation)(d, policy).run()


#: the per-policy summary's columns (units in the names; carbon and energy over the stream)
COLUMNS = (
    "policy", "feasible", "carbon_g", "carbon_g_per_request", "energy_j", "latency_s",
    "latency_p50_s", "latency_p95_s", "latency_p99_s", "slo_attainment", "throughput_rps",
    "served", "dropped", "mean_batch", "decide_s",
)  # fmt: skip


def simulate(inst, policies: list[str] | None = None, *, progress: bool = False,
             requests: bool = False, **_: object):  # noqa: ANN001, ANN201  # fmt: skip
    """Replay the stream under each online policy (default all); one summary row per policy
    (``COLUMNS``), every plan judged by the evaluator. Returns a pandas DataFrame, or with
    ``requests`` (it, the :func:`request_log` of every policy's plan stacked)."""
    import time

    import pandas as pd

    from ..progress import bar
    from .evaluate import evaluate
    from .policies import MAKERS, POLICY_NAMES, make_policy

    names = list(policies) if policies is not None else list(POLICY_NAMES)
    unknown = [p for p in names if p not in MAKERS]
    if unknown:
        raise ValueError(f"unknown policy {unknown[0]!r}; choose among {', '.join(MAKERS)}")
    rows, logs = [], []
    for name in bar(names, "policies", progress):
        t0 = time.perf_counter()
        plan = simulate_plan(inst.data, make_policy(inst, name))
        took = time.perf_counter() - t0
        ev = evaluate(inst, plan)
        rows.append({"policy": name, "feasible": ev.feasible, **ev.metrics, "decide_s": took})
        if requests:
            logs.append(request_log(inst, plan))
    summary = pd.DataFrame(rows).reindex(columns=list(COLUMNS))
    return (summary, pd.concat(logs, ignore_index=True)) if requests else summary


def request_log(inst, plan: Plan):  # noqa: ANN001, ANN201
    """One row per request of ``plan``: its node, batch, start, finish, latency, and its share
    of the batch's energy and carbon (the batch's figures split evenly over its requests)."""
    import pandas as pd

    from .evaluate import profile_rows

    d = inst.data
    j = np.maximum(plan.batch_of, 0)
    served = plan.batch_of >= 0
    members = np.bincount(plan.batch_of[served], minlength=len(plan.batch_node))
    row = profile_rows(d, plan.batch_node[j], d.rtype, plan.batch_size[j])
    ok = served & (row >= 0)
    start = np.where(ok, plan.batch_start_s[j], np.nan)
    finish = np.where(ok, start + d.p_service_s[np.maximum(row, 0)], np.nan)
    share = np.where(ok, 1.0 / np.maximum(members[j], 1), 0.0)
    carbon = np.where(ok, d.batch_carbon_g(np.maximum(row, 0), np.nan_to_num(start)), 0.0)
    return pd.DataFrame({
        "policy": plan.method,
        "request": np.arange(d.R),
        "type": np.array(d.type_names)[d.rtype],
        "arrival_s": d.arrival_s,
        "node": np.where(ok, np.array(d.node_names)[plan.batch_node[j]], ""),
        "batch": np.where(served, plan.batch_of, -1),
        "batch_size": np.where(ok, plan.batch_size[j], 0),
        "start_s": start,
        "finish_s": finish,
        "latency_s": finish - d.arrival_s,
        "within_slo": (finish - d.arrival_s) <= d.slo_s[d.rtype] + TIME_EPS,
        "energy_j": np.where(ok, d.p_energy_j[np.maximum(row, 0)], 0.0) * share,
        "carbon_g": carbon * share,
    })  # fmt: skip
