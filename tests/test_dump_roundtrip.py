"""``ecoopt.dump`` then ``ecoopt.load`` gives the same instance for every bundled file (aliased
fields such as provisioning's ``class`` are written by their file names, which ``to_dict``
once did not do: sweeps and dumps of provisioning files were refused)."""

from __future__ import annotations

from pathlib import Path

import pytest

import ecoopt
from ecoopt.io import read_file

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "instances").glob("*/*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
def test_dump_then_load_is_the_same_instance(path, tmp_path):
    inst = ecoopt.load(path)
    out = tmp_path / path.name
    ecoopt.dump(inst, out)
    # read back with the original folder as base, so relative paths inside still resolve
    again = ecoopt.from_dict(read_file(out), str(out), base_dir=path.parent)
    assert again.model_dump() == inst.model_dump()
