"""Every number an instance file gives has a stated range, checked at load time with the range
in the message; YAML numbers read as YAML 1.2 does; aliases cannot expand without bound."""

from __future__ import annotations

import typing

import pytest
from pydantic import BaseModel

import ecoopt
from ecoopt.gpushare.instance import GpuShareInstance
from ecoopt.partition.instance import PartitionInstance
from ecoopt.schema import _interval, _wants


def models_below(cls: type[BaseModel], seen: set | None = None) -> list[type[BaseModel]]:
    """``cls`` and every model class its fields hold (recursively)."""
    seen = set() if seen is None else seen
    if cls in seen:
        return []
    seen.add(cls)
    out = [cls]
    for field in cls.model_fields.values():
        for arg in typing.get_args(field.annotation) or (field.annotation,):
            inner = typing.get_args(arg) or (arg,)
            for t in inner:
                if isinstance(t, type) and issubclass(t, BaseModel):
                    out += models_below(t, seen)
    return out


@pytest.mark.parametrize("root", [GpuShareInstance, PartitionInstance])
def test_every_number_field_states_a_range(root):
    missing = []
    for cls in models_below(root):
        for name, field in cls.model_fields.items():
            if _wants(field.annotation) & {int, float} and name != "schema_version":
                if _interval(field.metadata) is None:
                    missing.append(f"{cls.__name__}.{name}")
    assert not missing, f"number fields without a stated range: {missing}"


def gpushare(**gpu):
    g = {"name": "g", "memory_bytes": 1e10, "idle_power_w": 50, "active_power_w": 250}
    return {
        "problem": "gpushare",
        "gpus": [{**g, "intensity_g_per_kwh": 100, **gpu}],
        "agents": [{"name": "a", "throughput_rps": 10, "arrival_rps": 1}],
    }


@pytest.mark.parametrize(
    "field, value, text",
    [
        ("memory_bytes", 1e308, "memory_bytes: 1e+308 is outside the stated range [1, 1e+15] B"),
        ("active_power_w", 1e308, "active_power_w: 1e+308 is outside the stated range"),
        ("intensity_g_per_kwh", 1e12, "[0, 3000] gCO2e/kWh"),
        ("pue", 0.5, "pue: 0.5 is outside the stated range [1, 5]"),
        ("lifetime_years", 1e-300, "[0.1, 50] years"),
        ("count", 10**9, "count: 1e+09 is outside the stated range [1, 100000]"),
    ],
)
def test_out_of_range_names_the_field_and_the_range(field, value, text):
    with pytest.raises(ecoopt.InstanceError, match="use a value within it") as info:
        ecoopt.from_dict(gpushare(**{field: value}))
    assert text in str(info.value)


def test_a_denormal_priority_is_refused():
    data = gpushare()
    data["agents"][0]["priority"] = 5e-324
    with pytest.raises(ecoopt.InstanceError, match=r"priority: 4.94066e-324 is outside"):
        ecoopt.from_dict(data)


def test_a_trace_value_out_of_range_names_its_index():
    data = gpushare()
    data["agents"][0] = {"name": "a", "throughput_rps": 10, "arrival_trace_rps": [1, 2, 1e308]}
    with pytest.raises(ecoopt.InstanceError, match=r"agents\[0\] \(a\)\.arrival_trace_rps\[2\]"):
        ecoopt.from_dict(data)


def test_yaml_exponents_are_numbers(tmp_path):
    """PyYAML (YAML 1.1) reads ``1e10`` as a string; ecoopt's loader reads it as YAML 1.2 does."""
    f = tmp_path / "e.yaml"
    f.write_text(
        "problem: gpushare\ngpus:\n- {name: g, memory_bytes: 8e10, idle_power_w: 5e1,\n"
        "   active_power_w: 2.5E+2, intensity_g_per_kwh: 1e2}\n"
        "agents:\n- {name: a, throughput_rps: 1e1, arrival_rps: 1e0}\n"
    )
    inst = ecoopt.load(f)
    assert inst.gpus[0].memory_bytes == 8e10 and inst.agents[0].throughput_rps == 10.0


def test_aliases_are_read_but_cannot_explode(tmp_path):
    ok = tmp_path / "ok.yaml"
    ok.write_text(
        "problem: gpushare\ngpus:\n- &g {name: g, memory_bytes: 1e10, idle_power_w: 1,\n"
        "   active_power_w: 2, intensity_g_per_kwh: 1}\n"
        "agents:\n- {name: a, throughput_rps: 1, arrival_rps: 0.5}\n"
    )
    assert ecoopt.load(ok).gpus[0].name == "g"
    lines = ["problem: gpushare", 'a0: &a0 ["lol", "lol", "lol", "lol", "lol", "lol", "lol"]']
    lines += [f"a{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 9)}]" for i in range(1, 9)]
    bomb = tmp_path / "bomb.yaml"
    bomb.write_text("\n".join(lines) + "\n")
    with pytest.raises(ecoopt.InstanceError, match="aliases .* expand to more than 2,000,000"):
        ecoopt.load(bomb)


def test_count_and_steps_are_bounded_before_allocation():
    with pytest.raises(ecoopt.InstanceError, match="placement slots"):
        data = gpushare(count=100_000)
        data["gpus"].append({**data["gpus"][0], "name": "h"})
        ecoopt.from_dict(data)
    data = gpushare()
    data["simulation"] = {"steps": 10**9}
    with pytest.raises(ecoopt.InstanceError, match=r"simulation.steps: 1e\+09 is outside"):
        ecoopt.from_dict(data)
    from ecoopt.gpushare.simulate import simulate

    inst = ecoopt.from_dict(gpushare())
    with pytest.raises(ValueError, match="steps: at most 100,000 simulation steps"):
        simulate(inst, steps=10**9)


def test_the_cli_guide_states_every_range():
    from pathlib import Path

    from ecoopt.schema import stated_ranges

    guide = (Path(__file__).parents[1] / "docs" / "guides" / "cli.md").read_text()
    for cls in (GpuShareInstance, PartitionInstance):
        for path, span in stated_ranges(cls):
            assert f"`{path}` | {span} |" in guide, f"docs/guides/cli.md lacks {path} {span}"
