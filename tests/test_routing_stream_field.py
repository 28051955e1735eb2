"""routing's ``stream:`` field, the generated alternative to ``requests:``: each kind loads the
requests ``ecoopt.routing.streams.generate_stream`` gives, the same file the same requests;
every bad stream is one message naming its field (through ``ecoopt.load`` and the CLI's exit
code); a stream file solves, compares, simulates and dumps its stream; the bundled Azure file's
hindsight MILP is small and proved optimal."""

from __future__ import annotations

import copy
import json
import re
from pathlib import Path

import pytest
import yaml
from test_io_cli import run
from test_routing_files import GOOD

import ecoopt
from ecoopt.errors import InstanceError
from ecoopt.plans import plan_from_dict, plan_to_dict
from ecoopt.routing import checks, evaluate, streams
from ecoopt.routing.instance import MAX_REQUESTS
from ecoopt.routing.model import count_cells
from ecoopt.routing.simulate import simulate

BUNDLED = Path(__file__).resolve().parents[1] / "instances" / "routing" / "edge_llm_azure_conv.yaml"

#: GOOD with a second type, and a stream instead of its listed requests
BASE = copy.deepcopy(GOOD)
del BASE["requests"]
BASE["types"].append({"name": "chat", "slo_s": 2.0})
BASE["profiles"] += [
    {"node": "fast", "type": "chat", "batch": 1, "service_time_s": 0.3, "energy_j": 40},
    {"node": "green", "type": "chat", "batch": 1, "service_time_s": 0.6, "energy_j": 35},
]

KINDS = {
    "poisson": {"rate_per_s": 2.0, "horizon_s": 6.0, "types": ["task", "chat"], "seed": 3},
    "bursty": {
        "base_rate_per_s": 0.5,
        "burst_rate_per_s": 4.0,
        "horizon_s": 6.0,
        "mean_burst_s": 1.0,
        "mean_calm_s": 2.0,
        "types": {"task": 0.25, "chat": 0.75},
        "seed": 7,
    },
    "diurnal": {
        "mean_rate_per_s": 1.5,
        "horizon_s": 8.0,
        "period_s": 4.0,
        "amplitude": 0.9,
        "peak_at_s": 1.0,
        "types": ["chat"],
    },
    "azure": {"service": "conv", "start_s": 600.0, "duration_s": 3.0, "type_name": "chat"},
}


def with_stream(stream, **top):  # noqa: ANN001, ANN003, ANN201
    data = copy.deepcopy(BASE)
    data["stream"] = stream
    data.update(top)
    return data


def write(tmp_path: Path, data: dict, name: str = "s.yaml") -> Path:
    path = tmp_path / name
    path.write_text(yaml.safe_dump(data, sort_keys=False))
    return path


@pytest.mark.parametrize("kind", list(KINDS))
def test_each_kind_loads_the_requests_generate_stream_gives(tmp_path, kind):
    params = KINDS[kind]
    inst = ecoopt.load(write(tmp_path, with_stream({"kind": kind, **params})))
    s = streams.generate_stream(kind, **params)
    assert len(s) >= 3
    assert [r.arrival_s for r in inst.requests] == s.arrival_s.tolist()
    assert [r.type for r in inst.requests] == [s.types[k] for k in s.type_index]
    d = inst.data
    assert d.arrival_s.tolist() == s.arrival_s.tolist()
    assert [d.type_names[k] for k in d.rtype] == [s.types[k] for k in s.type_index]


def test_the_same_file_loads_the_same_requests_and_the_seed_changes_them(tmp_path):
    path = write(tmp_path, with_stream({"kind": "poisson", **KINDS["poisson"]}))
    a, b = ecoopt.load(path), ecoopt.load(path)
    assert a == b and a.requests == b.requests
    other = ecoopt.load(
        write(tmp_path, with_stream({"kind": "poisson", **KINDS["poisson"], "seed": 4}), "o.yaml")
    )
    assert other.requests != a.requests


def test_a_stream_file_solves_compares_simulates_and_dumps_its_stream(tmp_path):
    inst = ecoopt.from_dict(with_stream({"kind": "poisson", **KINDS["poisson"]}))
    res = ecoopt.solve(inst)
    assert res.optimal and evaluate(inst, res.plan).feasible
    table = ecoopt.compare(inst)
    assert table.iloc[0]["status"] == "optimal" and (table[table.feasible].gap_pct >= -1e-6).all()
    assert len(simulate(inst)) == 9
    back = plan_from_dict(inst, plan_to_dict(inst, res.plan))
    assert evaluate(inst, back).objective == pytest.approx(res.objective)
    out = tmp_path / "dumped.yaml"
    ecoopt.dump(inst, out)
    written = yaml.safe_load(out.read_text())
    assert "requests" not in written and written["stream"]["kind"] == "poisson"
    assert ecoopt.load(out) == inst


BAD = {
    "both": (
        with_stream({"kind": "poisson", **KINDS["poisson"]}, requests=GOOD["requests"]),
        ["requests:", "both requests and stream", "exactly one"],
    ),
    "neither": (copy.deepcopy(BASE), ["requests:", "neither requests nor stream", "exactly one"]),
    "unknown_kind": (
        with_stream({"kind": "weibull", "rate_per_s": 1.0}),
        ["stream.kind:", "unknown kind 'weibull'", "poisson, bursty, diurnal, azure"],
    ),
    "no_kind": (with_stream({"rate_per_s": 1.0, "horizon_s": 5.0}), ["stream.kind:", "missing"]),
    "not_a_mapping": (with_stream("poisson"), ["stream:", "write a mapping"]),
    "unknown_parameter": (
        with_stream({"kind": "poisson", "rate_rps": 2.0, "horizon_s": 5.0, "types": ["task"]}),
        ["stream.rate_rps:", "unknown key", "kind, rate_per_s, horizon_s"],
    ),
    "missing_parameter": (
        with_stream(
            {
                "kind": "bursty",
                "burst_rate_per_s": 2.0,
                "horizon_s": 5.0,
                "mean_burst_s": 1.0,
                "mean_calm_s": 1.0,
            }
        ),
        ["stream.base_rate_per_s:", "Field required"],
    ),
    "out_of_range": (
        with_stream({"kind": "poisson", "rate_per_s": -1.0, "horizon_s": 5.0, "types": ["task"]}),
        ["stream.rate_per_s:", "outside the stated range (0, 1e+06]"],
    ),
    "out_of_range_amplitude": (
        with_stream({"kind": "diurnal", "mean_rate_per_s": 1.0, "horizon_s": 5.0, "amplitude": 2}),
        ["stream.amplitude:", "outside the stated range [0, 1]"],
    ),
    "a_bool": (
        with_stream({"kind": "poisson", "rate_per_s": 1.0, "horizon_s": True, "types": ["task"]}),
        ["stream.horizon_s:", "write a number"],
    ),
    "unknown_type": (
        with_stream({"kind": "poisson", "rate_per_s": 1.0, "horizon_s": 5.0, "types": ["vision"]}),
        ["stream.types:", "unknown type 'vision'", "task, chat"],
    ),
    "a_type_not_a_string": (
        with_stream({"kind": "poisson", "rate_per_s": 1.0, "horizon_s": 5.0, "types": ["task", 3]}),
        ["stream.types[1]:", "non-empty string"],
    ),
    "a_type_twice": (
        with_stream(
            {"kind": "poisson", "rate_per_s": 1.0, "horizon_s": 5.0, "types": ["task"] * 2}
        ),
        ["stream.types:", "names type 'task' twice"],
    ),
    "too_many_types": (
        with_stream(
            {"kind": "poisson", "rate_per_s": 1.0, "horizon_s": 5.0, "types": ["t"] * 1000}
        ),
        ["stream.types:", "1 to 200 type names"],
    ),
    "shares": (
        with_stream(
            {"kind": "poisson", "rate_per_s": 1.0, "horizon_s": 5.0, "types": {"task": 0.5}}
        ),
        ["stream.types:", "sum to 0.5"],
    ),
    "azure_default_type": (
        with_stream({"kind": "azure", "service": "conv", "duration_s": 5.0}),
        ["stream.type_name:", "unknown type 'llm_conv'", "default for service 'conv'"],
    ),
    "azure_unknown_service": (
        with_stream({"kind": "azure", "service": "chat", "type_name": "chat"}),
        ["stream.service:", "'code' or 'conv'"],
    ),
    "azure_past_the_trace": (
        with_stream({"kind": "azure", "service": "code", "start_s": 3500.0, "type_name": "chat"}),
        ["stream.start_s:", "the last arrival of trace 'code'"],
    ),
    "too_many": (
        with_stream({"kind": "poisson", "rate_per_s": 1e3, "horizon_s": 1e4, "types": ["task"]}),
        ["stream.rate_per_s:", "expects 1e+07 requests", f"limit of {MAX_REQUESTS:,}"],
    ),
    "too_many_cycles": (
        with_stream(
            {
                "kind": "bursty",
                "base_rate_per_s": 0.0,
                "burst_rate_per_s": 0.1,
                "horizon_s": 1e7,
                "mean_burst_s": 1.0,
                "mean_calm_s": 1.0,
                "types": ["task"],
            }
        ),
        ["stream.horizon_s:", "burst-calm cycles"],
    ),
    "empty": (
        with_stream({"kind": "poisson", "rate_per_s": 1e-3, "horizon_s": 1.0, "types": ["task"]}),
        ["stream:", "generates 0 requests"],
    ),
    "horizon": (
        with_stream({"kind": "poisson", **KINDS["poisson"]}, horizon_s=1.0),
        ["horizon_s:", "before the last arrival"],
    ),
}


@pytest.mark.parametrize("case", list(BAD))
def test_each_bad_stream_is_one_message_naming_its_field(tmp_path, case):
    data, words = BAD[case]
    path = write(tmp_path, data)
    with pytest.raises(InstanceError) as err:
        ecoopt.load(path)
    text = str(err.value)
    assert "\n" not in text and "problems:" not in text, text
    assert text.startswith(f"{path}: "), text
    for w in words:
        assert w in text, (case, text)


def test_the_cli_refuses_each_bad_stream_file_with_one_line_and_exit_2(tmp_path):
    paths = [write(tmp_path, data, f"{case}.yaml") for case, (data, _) in BAD.items()]
    p = run("validate", *map(str, paths))
    assert p.returncode == 2 and "Traceback" not in p.stderr, p.stderr
    lines = p.stderr.strip().splitlines()
    assert len(lines) == len(BAD), p.stderr
    for line, (case, (_, words)) in zip(lines, BAD.items()):
        assert f"{case}.yaml" in line and words[0] in line, line
    good = write(tmp_path, with_stream({"kind": "azure", **KINDS["azure"]}), "good.yaml")
    p = run("solve", str(good))
    assert p.returncode == 0 and "optimal" in p.stdout, p.stderr


def test_too_many_expected_requests_are_refused_before_generating(monkeypatch):
    def never(*_, **__):  # noqa: ANN002, ANN003, ANN202
        raise RuntimeError("generated")

    monkeypatch.setattr(checks, "generate_stream", never)
    data, words = BAD["too_many"]
    with pytest.raises(InstanceError, match=re.escape(words[1])):
        ecoopt.from_dict(data)
    with pytest.raises(RuntimeError, match="generated"):  # the patch is in the path
        ecoopt.from_dict(with_stream({"kind": "poisson", **KINDS["poisson"]}))


def test_the_schema_shows_the_stream_field_and_its_kinds():
    p = run("schema", "routing")
    assert p.returncode == 0, p.stderr
    schema = json.loads(p.stdout)
    stream = schema["properties"]["stream"]
    assert "token counts" in stream["description"] and "not used" in stream["description"]
    assert {"PoissonStream", "BurstyStream", "DiurnalStream", "AzureStream"} <= set(schema["$defs"])
    assert "requests" not in schema["required"]
    poisson = schema["$defs"]["PoissonStream"]["properties"]
    assert poisson["rate_per_s"]["exclusiveMinimum"] == 0


def test_the_bundled_azure_file_is_a_small_milp_proved_optimal():
    inst = ecoopt.load(BUNDLED)
    raw = yaml.safe_load(BUNDLED.read_text())
    assert "requests" not in raw and raw["stream"]["kind"] == "azure"
    s = streams.generate_stream("azure", **{k: v for k, v in raw["stream"].items() if k != "kind"})
    assert [r.arrival_s for r in inst.requests] == s.arrival_s.tolist()
    assert count_cells(inst.data) < 20_000
    table = ecoopt.compare(inst, time_limit=60)
    milp = table.iloc[0]
    assert milp.method == "milp" and milp.status == "optimal" and milp.feasible
    feasible = table[table.feasible & (table.method != "milp")]
    assert len(feasible) >= 1 and (feasible.gap_pct >= -1e-6).all(), table
