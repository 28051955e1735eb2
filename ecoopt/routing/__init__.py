"""routing: which edge node serves each inference request, in which batch and when, so that
carbon (or energy, mean latency, a weighted sum) is least while SLOs, batch sizes, node
concurrency and memory hold — online, by the policies schedulers run (CarbonEdge's weighted
scoring, the edge-cluster paper's routers, round robin, least loaded, random), and in
hindsight, by the MILP every policy is measured against.

Parts: ``instance`` (+ ``checks``), ``arrays``, ``model`` (the hindsight MILP), ``policies``
and ``simulate`` (the online policies and their one simulator), ``rolling`` (the MILP window by
window, and ``online_milp``, our online policy built on it), ``evaluate`` (plan and
evaluator), ``plans`` (plans to and from the MILP and files), ``generate`` (seeded instances).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from ..errors import EcoOptError
from ..problems import ProblemSpec, register
from ..solve import ElasticReport
from .evaluate import Plan, evaluate
from .instance import OBJECTIVES, RoutingInstance
from .model import MAX_CELLS, build_cells, count_cells, formulate
from .plans import plan_from_named, plan_from_x, plan_to_named, plan_to_x
from .policies import POLICY_NAMES, make_policy, policy_doc
from .rolling import online_milp as rolling_online_milp
from .rolling import solve_rolling
from .simulate import simulate, simulate_plan
from .timeline import timeline


def _runner(name: str) -> Callable[..., Plan]:
    def run(inst: RoutingInstance, objective: str | None = None) -> Plan:
        return simulate_plan(inst.data, make_policy(inst, name))

    run.__name__ = name
    run.__doc__ = policy_doc(name)
    return run


def rolling_horizon(inst: RoutingInstance, objective: str | None = None) -> Plan:
    """The hindsight MILP window by window (``ecoopt.routing.rolling.solve_rolling``, windows
    of twice the longest SLO): for streams too long for the whole MILP.

    Cost: one MILP per window, each as hard as the hindsight MILP of that window's requests:
    exponential in the worst case, linear in the number of windows when each is small.

    Misses: batches across a window's edge, and capacity planned for a later window: each
    window is solved without looking past it."""
    return solve_rolling(inst, objective=objective).plan


def online_milp(inst: RoutingInstance, objective: str | None = None) -> Plan:
    """Our online policy: the MILP re-solved at each decision epoch over the requests seen so
    far, committing the batches that start now (``ecoopt.routing.rolling.online_milp``).

    Cost: one MILP per decision epoch over the requests waiting: the slowest method here
    (``benchmarks/routing_scale.py``), exponential in the worst case.

    Misses: what it cannot see, being online: requests not yet arrived, so batches planned
    now may be wrong once they come."""
    return rolling_online_milp(inst, objective=objective).plan


HEURISTICS: dict[str, Callable[..., Plan]] = {
    **{name: _runner(name) for name in POLICY_NAMES},
    "online_milp": online_milp,
    "rolling_horizon": rolling_horizon,
}


def _formulate(inst: RoutingInstance, objective: str | None = None):  # noqa: ANN202
    cells = count_cells(inst.data, split=(objective or inst.objective) == "latency_max")
    if cells > MAX_CELLS:
        raise EcoOptError(
            f"the hindsight MILP of this stream has {cells:,} cells (requests × profiles × grid "
            f"points), above {MAX_CELLS:,}: use a longer slot_s or fewer requests, run the "
            "heuristic rolling_horizon (ecoopt compare FILE --methods rolling_horizon), or "
            "simulate it"
        )
    return formulate(inst, objective)


def precheck(inst: RoutingInstance) -> list[str]:
    """Requests that no profile can serve within their SLO and maximum wait, whatever the
    other requests do."""
    d = inst.data
    cells = build_cells(d)
    has = np.zeros(len(cells["g_count"]), dtype=bool)
    has[cells["cg"]] = True
    out = []
    for g in np.flatnonzero(~has)[:5]:
        i = int(np.flatnonzero(cells["group_of"] == g)[0])
        k = d.rtype[i]
        out.append(
            f"request {i} ({d.type_names[k]}, arriving at {d.arrival_s[i]:.6g} s) cannot finish "
            f"within its {d.slo_s[k]:g} s SLO on any node: no profile is fast enough from the "
            "next grid point (raise slo_s, shorten slot_s, or add a faster node)."
        )
    return out


def explain(inst: RoutingInstance, report: ElasticReport | None) -> str:
    """Plain words for an infeasible stream."""
    found = precheck(inst)
    if found:
        return " ".join(found)
    if report is not None and report.families:
        names = ", ".join(report.families)
        return (
            f"the stream cannot be served within its SLOs: the constraint families {names} "
            "must be relaxed (more concurrency or memory, longer SLOs, more nodes)."
        )
    return "the stream cannot be served within its SLOs on these nodes."


def plan_text(inst: RoutingInstance, plan: Plan) -> str:
    """Per node: batches, requests and mean batch size."""
    d = inst.data
    lines = []
    for n in range(d.N):
        mine = np.flatnonzero(plan.batch_node == n)
        reqs = int(np.isin(plan.batch_of, mine).sum())
        if len(mine):
            lines.append(f"  {d.node_names[n]}: {len(mine)} batches, {reqs} requests "
                         f"(mean batch {reqs / len(mine):.2f})")  # fmt: skip
    unserved = int((plan.batch_of < 0).sum())
    if unserved:
        lines.append(f"  unserved: {unserved} requests")
    return "\n".join(lines)


SPEC = register(
    ProblemSpec(
        name="routing",
        instance_cls=RoutingInstance,
        objectives=OBJECTIVES,
        formulate=_formulate,
        plan_from_x=plan_from_x,
        plan_to_x=plan_to_x,
        evaluate=evaluate,
        heuristics=HEURISTICS,
        precheck=precheck,
        explain=explain,
        default_heuristics=("carbon_aware", "latency_aware", "least_loaded"),
        plan_to_dict=plan_to_named,
        plan_from_dict=plan_from_named,
        plan_text=plan_text,
        simulate=simulate,
        simulate_requests=True,
        reproduce="ecoopt.routing.reproduce",
        timeline=timeline,
        coefficient_fields={
            "serve_all": "requests",
            "batch_fill": "profiles[*].batch",
            "lanes": "nodes[*].concurrency",
            "memory_fit": "profiles[*].memory_bytes and nodes[*].memory_bytes",
            "batches": "profiles[*].energy_j, nodes[*] intensities, PUE and embodied_kg",
            "serve": "profiles[*].service_time_s and slot_s (latency)",
        },
    )
)

__all__ = [
    "HEURISTICS",
    "Plan",
    "RoutingInstance",
    "SPEC",
    "evaluate",
    "formulate",
    "simulate_plan",
]
