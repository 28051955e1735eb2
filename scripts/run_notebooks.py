"""Execute every notebook in ``notebooks/`` in place and save it with its outputs.

Usage (from anywhere, with the interpreter that has ecoopt and the test extras installed)::

    python scripts/run_notebooks.py                      # every notebooks/*.ipynb
    python scripts/run_notebooks.py notebooks/x.ipynb    # just these

Each notebook runs exactly as ``tests/test_notebooks_and_instances.py`` runs it: with nbclient,
the ``python3`` kernel and the notebook's own folder (``notebooks/``) as working directory. The
kernel must be this interpreter: jupyter_client starts a kernelspec whose command is a bare
``python`` with ``sys.executable``, and the script refuses a ``python3`` kernelspec that names
another interpreter. Nothing is fetched from the network; the kernel talks to this process over
loopback sockets only.

So that a re-run is not a diff by itself, what varies from run to run or machine to machine is
left out: per-cell execution timestamps (``metadata.execution``) are not recorded, and the
notebook's ``kernelspec`` and ``language_info`` are reduced to fields that do not depend on the
interpreter (no Python version). Outputs themselves are kept exactly as produced, and no cell
prints a wall time (gpushare_heuristic_gaps.ipynb drops ``simulate``'s ``decide_s``; speed is
the benchmarks' job), so a re-run prints the same text: ``tests/test_notebooks_and_instances.py``
executes each notebook and fails when a cell prints anything else than its committed copy.

HiGHS's banner never reaches a cell: ``ecoopt.highs.new_highs`` silences file descriptor 1
itself, which is where HiGHS writes inside a kernel too. The scan below would catch it.

A cell that raises stops the run (nbclient's ``CellExecutionError``) before that notebook is
written. After execution every output is scanned for what must never be committed: any
remaining HiGHS banner ("Running HiGHS", "Copyright") and Python tracebacks. A hit is reported,
the notebook is still written (so it can be looked at) and the exit code is 1.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import nbformat
from jupyter_client.kernelspec import KernelSpecManager
from nbclient import NotebookClient

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOKS = ROOT / "notebooks"
CELL_TIMEOUT_S = 1800  # per cell; the slowest cell takes seconds, so only a hang hits this
KERNELSPEC = {"display_name": "Python 3", "language": "python", "name": "python3"}
STABLE_LANGUAGE_INFO = ("name", "file_extension", "mimetype", "nbconvert_exporter")
BAD_TEXT = ("Running HiGHS", "Copyright", "Traceback (most recent call last)")


def check_kernel() -> None:
    """Exit unless the ``python3`` kernelspec starts this interpreter."""
    exe = KernelSpecManager().get_kernel_spec("python3").argv[0]
    bare = {"python", f"python{sys.version_info[0]}", "python{}.{}".format(*sys.version_info)}
    if exe not in bare and Path(exe).resolve() != Path(sys.executable).resolve():
        sys.exit(f"the python3 kernelspec runs {exe}, not this interpreter ({sys.executable})")


def execute(path: Path) -> nbformat.NotebookNode:
    """The notebook at ``path`` executed with its own folder as working directory."""
    nb = nbformat.read(path, as_version=4)
    NotebookClient(
        nb,
        timeout=CELL_TIMEOUT_S,
        kernel_name="python3",
        record_timing=False,  # no metadata.execution timestamps
        resources={"metadata": {"path": str(path.parent)}},
    ).execute()
    return nb


def normalise(nb: nbformat.NotebookNode) -> nbformat.NotebookNode:
    """Drop the metadata that changes between runs or interpreters; keep every output."""
    for cell in nb.cells:
        cell.metadata.pop("execution", None)
        cell.metadata.pop("ExecuteTime", None)  # written by some Jupyter extensions
    info = nb.metadata.get("language_info", {})
    nb.metadata["language_info"] = {k: info[k] for k in STABLE_LANGUAGE_INFO if k in info}
    nb.metadata["kernelspec"] = dict(KERNELSPEC)
    return nb


def output_text(output: nbformat.NotebookNode) -> str:
    """Every piece of text in one output: stream text, text/* data, traceback lines."""
    parts = [output.get("text", "")]
    parts += [v for k, v in output.get("data", {}).items() if k.startswith("text/")]
    parts += output.get("traceback", [])
    return "\n".join(p if isinstance(p, str) else "".join(p) for p in parts)


def problems(nb: nbformat.NotebookNode) -> list[str]:
    """Where an output holds the HiGHS banner or a traceback, as 'cell N: text'."""
    found = []
    for n, cell in enumerate(nb.cells):
        for output in cell.get("outputs", []):
            text = output_text(output)
            found += [f"cell {n}: output contains {bad!r}" for bad in BAD_TEXT if bad in text]
    return found


def serialise(nb: nbformat.NotebookNode) -> str:
    """The text nbformat.write would write (validated), ending in one newline."""
    nbformat.validate(nb)
    return nbformat.writes(nb).rstrip("\n") + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "notebooks", nargs="*", type=Path, help="notebooks to run (default: notebooks/*.ipynb)"
    )
    args = parser.parse_args(argv)
    paths = [p.resolve() for p in args.notebooks] or sorted(NOTEBOOKS.glob("*.ipynb"))
    check_kernel()
    status = 0
    for path in paths:
        nb = normalise(execute(path))
        text = serialise(nb)
        for problem in problems(nbformat.reads(text, as_version=4)):
            print(f"{path.name}: {problem}", file=sys.stderr)
            status = 1
        old = path.read_text(encoding="utf-8")
        path.write_text(text, encoding="utf-8")
        size = len(old.encode()), len(text.encode())
        print(f"{path.name}: {size[0]:,} -> {size[1]:,} bytes")
    return status


if __name__ == "__main__":
    sys.exit(main())
