"""Instance files may read only their own folder, the bundled models and folders allowed."""

from __future__ import annotations

import builtins
import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

import ecoopt
from ecoopt import paths

HEADER = (
    "idx,name,op,target,type,inputs,out_shape,out_elems,out_bytes_fp32,params,"
    "param_bytes_fp32,macs,flops\n"
)
ROWS = "0,x,placeholder,x,input,,1,1,10,0,0,0,0\n1,A,call_module,A,Linear,x,1,1,10,0,0,0,1e6\n"
SECRET = (
    "0,x,placeholder,x,input,,1,1,10,0,0,0,0\n"
    "1,A,call_module,A,Linear,x,1,1,10,0,0,0,API_KEY=sk-live\n"
)


def write_instance(folder: Path, model: dict) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    dev = {"name": "d0", "flops_per_s": 1e9, "active_power_w": 10, "memory_bytes": 1e9}
    data = {
        "problem": "partition",
        "model": model,
        "source": "d0",
        "sink": "d0",
        "devices": [{**dev, "intensity_g_per_kwh": 100}],
    }
    path = folder / "inst.yaml"
    path.write_text(yaml.safe_dump(data))
    return path


@pytest.fixture
def sandbox(tmp_path):
    (tmp_path / "other").mkdir()
    (tmp_path / "other" / "secret_layers.csv").write_text(HEADER + SECRET)
    (tmp_path / "other" / "ok_layers.csv").write_text(HEADER + ROWS)
    return tmp_path


@pytest.mark.parametrize(
    "model",
    [
        {"path": "../other/secret_layers.csv"},
        {"path": "/etc/passwd"},
        {"path": "/root/.ssh/id_rsa"},
        {"path": "/dev/zero"},
        {"name": "../other/secret"},
        {"name": "/etc/passwd"},
    ],
)
def test_paths_outside_are_refused_without_reading_them(sandbox, monkeypatch, model):
    inst_path = write_instance(sandbox / "inst", model)
    opened = []
    real_open = builtins.open

    def spy(file, *a, **kw):  # noqa: ANN001, ANN002, ANN003
        opened.append(str(file))
        return real_open(file, *a, **kw)

    monkeypatch.setattr(builtins, "open", spy)
    monkeypatch.setattr(os, "open", lambda *a, **kw: pytest.fail(f"os.open{a}"))
    with pytest.raises(ecoopt.InstanceError) as info:
        ecoopt.load(inst_path)
    msg = str(info.value)
    assert "model" in msg and "sk-live" not in msg
    assert ("outside" in msg) or ("bundled model name" in msg)
    assert all(o == str(inst_path) for o in opened), opened  # only the instance file itself


def test_a_symlink_out_of_the_folder_is_refused(sandbox):
    folder = sandbox / "inst"
    folder.mkdir()
    (folder / "link_layers.csv").symlink_to(sandbox / "other" / "secret_layers.csv")
    with pytest.raises(ecoopt.InstanceError, match="outside"):
        ecoopt.load(write_instance(folder, {"path": "link_layers.csv"}))


def test_allow_paths_opens_a_folder(sandbox):
    inst_path = write_instance(sandbox / "inst", {"path": "../other/ok_layers.csv", "fuse": False})
    inst = ecoopt.load(inst_path, allow_paths=[sandbox / "other"])
    assert inst.data.layers == ["A"]
    # errors about an allowed file quote it and its row: the user meant to pass it
    bad = write_instance(sandbox / "inst2", {"path": "../other/secret_layers.csv"})
    with pytest.raises(ecoopt.InstanceError, match="row 3 column flops"):
        ecoopt.load(bad, allow_paths=[sandbox / "other"])


def test_fifos_devices_and_huge_files_are_not_read(sandbox, monkeypatch):
    folder = sandbox / "inst"
    folder.mkdir()
    os.mkfifo(folder / "pipe_layers.csv")
    with pytest.raises(ecoopt.InstanceError, match="not a regular file"):
        ecoopt.load(write_instance(folder, {"path": "pipe_layers.csv"}))  # never blocks
    with pytest.raises(ecoopt.InstanceError, match="not a regular file"):
        ecoopt.load(write_instance(folder, {"path": "/dev/null"}), allow_paths=["/dev"])
    (folder / "big_layers.csv").write_text(HEADER + ROWS)
    monkeypatch.setattr(paths, "MAX_DATA_BYTES", 10)
    with pytest.raises(ecoopt.InstanceError, match="above the 10 a data file may have"):
        ecoopt.load(write_instance(folder, {"path": "big_layers.csv"}))


def test_cli_refuses_and_allows_by_flag(sandbox):
    inst_path = write_instance(sandbox / "inst", {"path": "../other/ok_layers.csv", "fuse": False})
    run = [sys.executable, "-m", "ecoopt.cli", "validate", str(inst_path)]
    r = subprocess.run(run, capture_output=True, text=True, timeout=120)
    assert r.returncode == 2 and "outside" in r.stderr and "Traceback" not in r.stderr
    assert len(r.stderr.strip().splitlines()) == 1
    r = subprocess.run(
        [*run, "--allow-path", str(sandbox / "other")], capture_output=True, text=True, timeout=120
    )
    assert r.returncode == 0, r.stderr
