"""Every bundled instance compares cleanly; every notebook executes."""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest
from nbclient import NotebookClient

import ecoopt

ROOT = Path(__file__).resolve().parents[1]
FILES = sorted((ROOT / "instances").glob("*/*.yaml"))


@pytest.mark.parametrize("path", FILES, ids=[f"{p.parent.name}/{p.stem}" for p in FILES])
def test_bundled_instance_compare(path):
    df = ecoopt.compare(ecoopt.load(path))
    assert df.iloc[0]["status"] == "optimal"
    feasible = df[df.feasible]
    assert (feasible.gap_pct >= -1e-6).all(), feasible[["method", "gap_pct"]]
    assert df.iloc[0]["feasible"]


@pytest.mark.parametrize(
    "nb_path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem
)
def test_notebook_executes(nb_path):
    nb = nbformat.read(nb_path, as_version=4)
    NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(nb_path.parent)}},
    ).execute()
