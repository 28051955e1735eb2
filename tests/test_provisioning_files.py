"""provisioning files: each kind of bad file is one message naming its field and the fix; plans
travel as named data; the CLI's compare prints the lever rows."""

from __future__ import annotations

import copy
import json

import pytest
from test_io_cli import run

import ecoopt
from ecoopt.errors import InstanceError
from ecoopt.plans import plan_from_dict, plan_to_dict
from ecoopt.provisioning.generate import generate

GOOD = {
    "problem": "provisioning",
    "horizon": {"slots": 2},
    "sites": [{"name": "grid", "intensity_g_per_kwh": 300}],
    "hardware": [
        {
            "name": "A",
            "site": "grid",
            "gpu": "H100-SXM",
            "gpus": 8,
            "gpu_idle_power_w": 70,
            "hosts": [
                {
                    "name": "full",
                    "cpu_cores": 112,
                    "dram_gb": 2048,
                    "ssd_gb": 22700,
                    "idle_power_w": 400,
                }
            ],
        },
    ],
    "workloads": [
        {"name": "chat", "kind": "online", "rate_rps": 5.0},
        {"name": "batch", "kind": "offline", "volume_requests": 1e4, "deadline_slot": 2},
    ],
    "profiles": [
        {"workload": "chat", "hardware": "A", "rate_rps": 10, "energy_j_per_request": 100},
        {"workload": "batch", "hardware": "A", "rate_rps": 20, "energy_j_per_request": 80},
    ],
}


def broken(path: str, value):  # noqa: ANN001, ANN201
    data = copy.deepcopy(GOOD)
    *head, last = path.split(".")
    node = data
    for key in head:
        node = node[int(key)] if key.isdigit() else node[key]
    if value is KeyError:
        del node[int(last) if last.isdigit() else last]
    else:
        node[int(last) if last.isdigit() else last] = value
    return data


@pytest.mark.parametrize(
    ("path", "value", "field", "words"),
    [
        (
            "profiles.0",
            {"workload": "chat", "hardware": "B", "rate_rps": 1, "energy_j_per_request": 1},
            "profiles[0].hardware",
            "unknown SKU",
        ),
        ("profiles", [GOOD["profiles"][1]], "workloads[0].classes[0]", "no profile"),
        ("workloads.0.rate_rps", -3.0, "workloads[0] (chat).rate_rps", "outside the stated range"),
        ("workloads.1.release_slot", 2, "workloads[1].deadline_slot", "not after the release"),
        ("workloads.1.deadline_slot", 5, "workloads[1].deadline_slot", "beyond the horizon"),
        ("hardware.0.site", "mars", "hardware[0].site", "unknown site"),
        ("hardware.0.gpu", "Z9", "hardware[0] (A).gpu_embodied_kg", "no bundled figure"),
        (
            "workloads.0.classes",
            [{"name": "a", "share": 0.5}],
            "workloads[0] (chat).classes",
            "add up to 1",
        ),
    ],
)
def test_bad_file_is_one_message_with_field_and_fix(path, value, field, words):
    with pytest.raises(InstanceError) as err:
        ecoopt.from_dict(broken(path, value), source="bad.yaml")
    text = str(err.value)
    assert text.startswith("bad.yaml: ") and field in text and words in text, text


def test_infeasible_instance_names_the_class_and_slot():
    data = broken("hardware.0.max_servers", 0)
    res = ecoopt.solve(ecoopt.from_dict(data))
    assert res.termination == "infeasible"
    assert "chat/all" in res.explanation and "slot 0" in res.explanation


def test_plans_round_trip_as_named_data():
    inst = generate(3, 3, 4, seed=2)
    res = ecoopt.solve(inst)
    named = json.loads(json.dumps(plan_to_dict(inst, res.plan)))
    back = plan_from_dict(inst, named)
    assert ecoopt.provisioning.evaluate(inst, back).objective == pytest.approx(res.objective)


def test_cli_compare_prints_design_points_and_lever_rows(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(GOOD))
    out = run("compare", str(path))
    assert out.returncode == 0, out.stderr
    for name in (
        "milp",
        "performance",
        "energy",
        "cost",
        "carbon_greedy",
        "carbon_fill",
        "milp_no_reduce",
        "milp_no_reuse",
        "milp_no_rightsize",
        "milp_no_recycle",
    ):
        assert name in out.stdout


def test_cli_solve_prints_the_fleet_and_where_requests_go(tmp_path):
    path = tmp_path / "p.json"
    path.write_text(json.dumps(GOOD))
    out = run("solve", str(path))
    assert out.returncode == 0, out.stderr
    assert (
        "optimal" in out.stdout and "servers:" in out.stdout and "chat/all: A 100.0 %" in out.stdout
    )
