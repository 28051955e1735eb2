"""The notebooks are committed executed (``scripts/run_notebooks.py``), with clean outputs.

This reads the files as committed; ``test_notebooks_and_instances.py`` executes them afresh.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = sorted((ROOT / "notebooks").glob("*.ipynb"))
FORBIDDEN = ("Copyright", "Traceback (most recent call last)")  # HiGHS's banner; a traceback


def _text(output: nbformat.NotebookNode) -> str:
    parts = [output.get("text", ""), *output.get("traceback", [])]
    parts += [v for k, v in output.get("data", {}).items() if k.startswith("text/")]
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)


def test_there_are_notebooks():
    assert NOTEBOOKS


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_committed_executed(path):
    nb = nbformat.read(path, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    assert any(c.outputs for c in code), f"{path.name}: no code cell has outputs"
    unexecuted = [
        n for n, c in enumerate(nb.cells) if c.cell_type == "code" and c.execution_count is None
    ]
    assert not unexecuted, f"{path.name}: cells {unexecuted} have no execution_count"
    counts = [c.execution_count for c in code]
    assert counts == list(range(1, len(code) + 1)), f"{path.name}: run out of order: {counts}"


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_outputs_clean(path):
    nb = nbformat.read(path, as_version=4)
    for n, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            assert output.output_type != "error", f"{path.name}: cell {n} raised"
            text = _text(output)
            for bad in FORBIDDEN:
                assert bad not in text, f"{path.name}: cell {n} output contains {bad!r}"
