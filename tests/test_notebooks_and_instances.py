"""Every bundled instance compares cleanly; every notebook executes, and prints what its
committed copy (the page on the docs site) shows."""

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


def printed(nb: nbformat.NotebookNode) -> list[str]:
    """Per code cell, the text it printed or displayed (streams and ``text/plain``): what a
    reader of the rendered page reads. Images are left out: their bytes depend on the
    platform's font rendering, not on ecoopt."""
    cells = []
    for cell in nb.cells:
        if cell.cell_type == "code":
            parts = [_text(o) for o in cell.outputs]
            cells.append("\n".join(parts))
    return cells


def _text(output: nbformat.NotebookNode) -> str:
    if output.output_type == "stream":
        return output.text
    return output.get("data", {}).get("text/plain", "")


@pytest.mark.parametrize(
    "nb_path", sorted((ROOT / "notebooks").glob("*.ipynb")), ids=lambda p: p.stem
)
def test_notebook_executes_and_prints_what_is_committed(nb_path):
    committed = nbformat.read(nb_path, as_version=4)
    nb = nbformat.read(nb_path, as_version=4)
    NotebookClient(
        nb,
        timeout=300,
        kernel_name="python3",
        resources={"metadata": {"path": str(nb_path.parent)}},
    ).execute()
    for n, (old, new) in enumerate(zip(printed(committed), printed(nb))):
        assert new == old, (
            f"{nb_path.name}: code cell {n} now prints something else than the committed copy "
            "(the docs page); run `python scripts/run_notebooks.py` and commit the result"
        )
