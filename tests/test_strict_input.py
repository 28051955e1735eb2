"""Strict input: no silent coercion, no repeated keys, bounded gaps, one line from the CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest

import ecoopt

GPU = {"name": "g", "memory_bytes": 1e10, "idle_power_w": 50, "active_power_w": 250}
AGENT = {"name": "a", "throughput_rps": 10, "arrival_rps": 1}


def gpushare(agent=None, gpu=None):
    return {
        "problem": "gpushare",
        "gpus": [{**GPU, "intensity_g_per_kwh": 100, **(gpu or {})}],
        "agents": [{**AGENT, **(agent or {})}],
    }


@pytest.mark.parametrize(
    "agent, gpu, field",
    [
        ({"arrival_rps": True}, None, "arrival_rps"),
        ({"throughput_rps": "10"}, None, "throughput_rps"),
        ({"priority": False}, None, "priority"),
        (None, {"pooled": "yes"}, "pooled"),
        (None, {"pooled": 1}, "pooled"),
        (None, {"count": "2"}, "count"),
        (None, {"memory_bytes": True}, "memory_bytes"),
    ],
)
def test_no_silent_coercion(agent, gpu, field):
    with pytest.raises(ecoopt.InstanceError, match=field):
        ecoopt.from_dict(gpushare(agent, gpu))


def test_fuse_must_be_a_boolean():
    data = {
        "problem": "partition",
        "model": {"name": "resnet18", "fuse": "no"},
        "source": "d",
        "sink": "d",
        "devices": [
            {
                "name": "d",
                "flops_per_s": 1e9,
                "active_power_w": 5,
                "memory_bytes": 1e9,
                "intensity_g_per_kwh": 1,
            }
        ],
    }
    with pytest.raises(ecoopt.InstanceError, match="fuse.*true or false"):
        ecoopt.from_dict(data)


def test_repeated_keys_are_errors_with_both_lines(tmp_path):
    y = tmp_path / "dup.yaml"
    y.write_text("problem: gpushare\nobjective: latency\nobjective: carbon\n")
    with pytest.raises(ecoopt.InstanceError, match="'objective' appears twice, at lines 2 and 3"):
        ecoopt.load(y)
    j = tmp_path / "dup.json"
    j.write_text('{\n "problem": "gpushare",\n "problem": "partition"\n}\n')
    with pytest.raises(ecoopt.InstanceError, match="'problem' appears twice, at lines 2 and 3"):
        ecoopt.load(j)


def test_gap_outside_zero_one_is_refused():
    inst = ecoopt.from_dict(gpushare())
    with pytest.raises(ValueError, match=r"\[0, 1\)"):
        ecoopt.solve(inst, mip_rel_gap=5)


def test_deep_nesting_is_one_line_exit_2(tmp_path):
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    r = subprocess.run(
        [sys.executable, "-m", "ecoopt.cli", "validate", str(deep)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1, r.stderr
    assert "deep.json" in r.stderr and "nested too deeply" in r.stderr


def test_validate_reports_on_every_file(tmp_path):
    bad = tmp_path / "bad.yaml"
    bad.write_text("problem: gpushare\nobjective: latency\nobjective: carbon\n")
    import yaml

    good = tmp_path / "good.yaml"
    good.write_text(yaml.safe_dump(gpushare()))
    r = subprocess.run(
        [sys.executable, "-m", "ecoopt.cli", "validate", str(bad), str(good)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert r.returncode == 2 and "bad.yaml" in r.stderr and "good.yaml: ok" in r.stdout


def test_a_fifo_or_huge_instance_file_is_refused_unread(tmp_path, capsys):
    import os

    from ecoopt.cli import main
    from ecoopt.io import MAX_INSTANCE_BYTES

    fifo = tmp_path / "pipe.yaml"
    os.mkfifo(fifo)  # opening it for reading would block until a writer comes
    assert main(["validate", str(fifo)]) == 2
    assert "not a regular file" in capsys.readouterr().err
    big = tmp_path / "big.yaml"
    with open(big, "wb") as fh:
        fh.truncate(MAX_INSTANCE_BYTES + 1)
    assert main(["validate", str(big)]) == 2
    assert f"at most {MAX_INSTANCE_BYTES:,} are read" in capsys.readouterr().err
    assert MAX_INSTANCE_BYTES == 256 * 2**20  # room for 10⁶ agents (README, size limits)


def test_trace_values_are_numbers_not_strings_or_booleans():
    for bad, shown in (("1.5", "'1.5'"), (True, "True")):
        agent = {"arrival_rps": None, "arrival_trace_rps": [1.0, bad]}
        with pytest.raises(ecoopt.InstanceError) as info:
            ecoopt.from_dict(gpushare(agent))
        assert f"agents[0] (a).arrival_trace_rps[1]: write a number, not {shown}" in str(info.value)


def test_an_integer_beyond_any_float_is_refused_by_name():
    with pytest.raises(ecoopt.InstanceError) as info:
        ecoopt.from_dict(gpushare({"throughput_rps": 10**400}))
    assert (
        "agents[0] (a).throughput_rps: an integer of about 401 digits is outside the stated "
        "range [1e-06, 1e+07] requests/s (use a value within it)" in str(info.value)
    )
    with pytest.raises(ecoopt.InstanceError, match=r"arrival_trace_rps\[0\]: an integer of"):
        ecoopt.from_dict(gpushare({"arrival_rps": None, "arrival_trace_rps": [10**400]}))


@pytest.mark.parametrize(
    "name, text, problem",
    [
        ("huge.json", '{"problem": "gpushare", "x": 1' + "0" * 5000 + "}", "4,300 digits"),
        ("huge.yaml", "problem: gpushare\nx: 1" + "0" * 5000 + "\n", "4,300 digits"),
        ("date.yaml", "problem: gpushare\nname: 2022-13-45\n", "month must be in 1..12"),
    ],
)
def test_a_value_the_parser_cannot_make_is_one_line_naming_the_file(tmp_path, name, text, problem):
    path = tmp_path / name
    path.write_text(text)
    r = subprocess.run(
        [sys.executable, "-m", "ecoopt.cli", "validate", str(path)], capture_output=True, text=True
    )
    assert r.returncode == 2 and "Traceback" not in r.stderr
    assert f"{path}: (file): " in r.stderr and problem in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
