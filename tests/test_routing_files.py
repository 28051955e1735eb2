"""routing files: each kind of bad file is one message naming its field and the fix; an
infeasible stream names the request; plans travel as named data; the CLI's solve, compare and
simulate (with its per-request log) run on a routing file."""

from __future__ import annotations

import copy

import pandas as pd
import pytest
import yaml
from test_io_cli import run

import ecoopt
from ecoopt.errors import InstanceError
from ecoopt.plans import plan_from_dict, plan_to_dict
from ecoopt.routing import HEURISTICS, evaluate

GOOD = {
    "problem": "routing",
    "slot_s": 0.1,
    "nodes": [
        {"name": "fast", "memory_bytes": 8e9, "intensity_g_per_kwh": 600},
        {"name": "green", "memory_bytes": 4e9, "intensity_g_per_kwh": 100},
    ],
    "types": [{"name": "task", "slo_s": 1.5}],
    "profiles": [
        {"node": "fast", "type": "task", "batch": 1, "service_time_s": 0.2, "energy_j": 30},
        {"node": "green", "type": "task", "batch": 1, "service_time_s": 0.5, "energy_j": 30},
        {"node": "green", "type": "task", "batch": 2, "service_time_s": 0.7, "energy_j": 45},
    ],
    "requests": [{"arrival_s": 0.0, "type": "task"}, {"arrival_s": 0.3, "type": "task"}],
}


def broken(path: str, value):  # noqa: ANN001, ANN201
    data = copy.deepcopy(GOOD)
    *head, last = path.split(".")
    node = data
    for key in head:
        node = node[int(key)] if key.isdigit() else node[key]
    node[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "words"),
    [
        ("profiles.0.node", "nowhere", ["profiles[0].node", "unknown node", "fast, green"]),
        ("profiles.0.type", "chat", ["profiles[0].type", "unknown type"]),
        ("requests.1.type", "chat", ["requests[1].type", "unknown type"]),
        ("profiles.2.batch", 1, ["profiles[2]", "a second profile"]),
        ("profiles.0.service_time_s", -1.0, ["service_time_s"]),
        ("requests.0.arrival_s", float("nan"), ["arrival_s"]),
        ("slot_s", 0.0, ["slot_s"]),
        ("horizon_s", 0.2, ["horizon_s", "last arrival"]),
        ("nodes.0.concurrency", 0, ["concurrency"]),
        ("nodes.1.intensity_hourly_g_per_kwh", [100.0], ["exactly one of"]),
    ],
)
def test_each_bad_file_is_one_message_naming_its_field(path, value, words):
    with pytest.raises(InstanceError) as err:
        ecoopt.from_dict(broken(path, value))
    text = str(err.value)
    assert "\n" not in text
    for w in words:
        assert w in text, text


def test_a_type_that_fits_no_node_is_named():
    data = copy.deepcopy(GOOD)
    for p in data["profiles"]:
        p["memory_bytes"] = 9e9  # more than either node holds
    with pytest.raises(InstanceError, match="requests of type 'task' fit no node"):
        ecoopt.from_dict(data)


def test_an_unservable_request_is_named_by_the_precheck():
    data = broken("types.0.slo_s", 0.15)  # no profile finishes within 0.15 s
    res = ecoopt.solve(ecoopt.from_dict(data))
    assert res.termination == "infeasible"
    assert "request 0 (task" in (res.explanation or "")


def test_plans_round_trip_as_named_data():
    inst = ecoopt.from_dict(GOOD)
    for name, method in HEURISTICS.items():
        plan = method(inst)
        back = plan_from_dict(inst, plan_to_dict(inst, plan))
        assert evaluate(inst, back).objective == pytest.approx(evaluate(inst, plan).objective)
        assert evaluate(inst, back).feasible == evaluate(inst, plan).feasible, name


def test_cli_solve_compare_and_simulate_run_on_a_routing_file(tmp_path):
    path = tmp_path / "r.yaml"
    path.write_text(yaml.safe_dump(GOOD))
    p = run("solve", str(path))
    assert p.returncode == 0, p.stderr
    assert "optimal" in p.stdout and "green" in p.stdout
    p = run("compare", str(path), "--quiet")
    assert p.returncode == 0, p.stderr
    assert "carbonedge_green" in p.stdout and "latency_p95_s" in p.stdout
    log = tmp_path / "requests.csv"
    p = run("simulate", str(path), "--requests-csv", str(log), "--quiet")
    assert p.returncode == 0, p.stderr
    assert "carbon_aware" in p.stdout
    rows = pd.read_csv(log)
    assert len(rows) == 9 * 2 and set(rows.columns) >= {"policy", "node", "latency_s"}
    p = run("simulate", str(path), "--policies", "nope")
    assert p.returncode == 2 and "unknown policy 'nope'" in p.stderr
