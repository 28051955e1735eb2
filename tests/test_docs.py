"""The documentation site: a strict build (every warning an error), its examples run, every
public callable documented, and every constraint family a model defines shown on its page."""

from __future__ import annotations

import importlib
import inspect
import re
import subprocess
import sys
from pathlib import Path

import pytest

import ecoopt
from ecoopt.problems import MODULES, get_spec

ROOT = Path(__file__).resolve().parents[1]
DOCS = ROOT / "docs"
PUBLIC = ["ecoopt", "ecoopt.study", "ecoopt.reproduce", "ecoopt.plot", *MODULES.values()]


def _sphinx(builder: str, out: Path) -> subprocess.CompletedProcess:
    cmd = [sys.executable, "-m", "sphinx", "-W", "--keep-going", "-E", "-q", "-b", builder,
           str(DOCS), str(out)]  # fmt: skip
    return subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, timeout=600)


def test_the_site_builds_strictly(tmp_path: Path) -> None:
    proc = _sphinx("html", tmp_path / "html")
    assert proc.returncode == 0, proc.stderr[-4000:]
    for page in ("index", "api", "families/routing", "guides/choosing", "reproduce/REPRODUCE",
                 "notebooks/routing_policies"):  # fmt: skip
        assert (tmp_path / "html" / f"{page}.html").exists(), page
    assert "known to miss" in (tmp_path / "html" / "families" / "gpushare.html").read_text()
    api = (tmp_path / "html" / "api.html").read_text()
    assert 'id="ecoopt.solve"' in api and 'id="ecoopt.routing.evaluate"' in api
    for family in MODULES:  # every generator, besides the families' __all__
        assert f'id="ecoopt.{family}.generate.generate"' in api, family


def test_every_example_on_the_site_runs(tmp_path: Path) -> None:
    proc = _sphinx("doctest", tmp_path / "doctest")
    assert proc.returncode == 0, (proc.stdout + proc.stderr)[-4000:]
    report = (tmp_path / "doctest" / "output.txt").read_text()
    assert re.search(r"[1-9]\d* tests?", report) and "0 failures in tests" in report


def _callables(module: str) -> list[tuple[str, object]]:
    mod = importlib.import_module(module)
    return [(f"{module}.{n}", getattr(mod, n)) for n in getattr(mod, "__all__", [])
            if callable(getattr(mod, n))]  # fmt: skip


@pytest.mark.parametrize("module", PUBLIC)
def test_every_public_callable_has_a_docstring(module: str) -> None:
    missing = [name for name, obj in _callables(module) if not (inspect.getdoc(obj) or "").strip()]
    assert not missing, f"no docstring: {missing}"


@pytest.mark.parametrize("family", list(MODULES))
def test_every_heuristic_and_the_generator_have_docstrings(family: str) -> None:
    spec = get_spec(family)
    missing = [n for n, fn in spec.heuristics.items() if not (fn.__doc__ or "").strip()]
    gen = importlib.import_module(f"ecoopt.{family}.generate").generate
    assert not missing and (gen.__doc__ or "").strip(), missing


def _docs_extension():  # noqa: ANN202
    sys.path.insert(0, str(DOCS / "_ext"))
    try:
        return importlib.import_module("ecoopt_docs")
    finally:
        sys.path.remove(str(DOCS / "_ext"))


@pytest.mark.parametrize("family", list(MODULES))
def test_every_heuristic_states_its_cost_and_what_it_misses(family: str) -> None:
    """The family page's methods table reads these paragraphs; a heuristic without them fails
    the build, and this test names it."""
    parts = _docs_extension().method_parts
    for name, fn in get_spec(family).heuristics.items():
        what, cost, misses = parts(name, fn)
        assert what and cost and misses, name
        assert "Cost:" not in what and "Misses:" not in cost, name


def test_method_parts_refuses_a_docstring_without_cost_or_misses() -> None:
    parts = _docs_extension().method_parts

    def bare() -> None:
        """Does a thing.

        Cost: O(1)."""

    with pytest.raises(ValueError, match="Misses:"):
        parts("bare", bare)
    bare.__doc__ = "Does :func:`~ecoopt.solve` and ``x | y``.\n\nCost: O(1).\n\nMisses: all."
    assert parts("bare", bare) == ("Does `solve` and `x \\| y`.", "O(1).", "all.")


def _model_rows(family: str) -> dict[str, str]:
    """Row family -> doc over the bundled files and docs/examples, every objective: what the
    pages' ``ecoopt-constraint`` directive draws from (``docs/_ext/ecoopt_docs.model_docs``)."""
    return _docs_extension().model_docs(family)["rows"]


def _literal_rows(family: str) -> set[str]:
    """Row-family names written as literals in the family's source: ``add_rows("name"`` and
    the names helpers pass on (``_capacity(lp, d, "gpu_capacity"``)."""
    text = "\n".join(p.read_text() for p in (ROOT / "ecoopt" / family).glob("*.py"))
    found = set(re.findall(r'add_rows\(\s*"(\w+)"', text))
    found |= set(re.findall(r'_(?:capacity|per_node_slot)\([^"\n]*"(\w+)"', text))
    return found


def shown_constraints(page: str, family: str) -> set[str]:
    """The constraint families a page shows through ``{ecoopt-constraint} FAMILY NAME ...``."""
    shown: set[str] = set()
    for args in re.findall(rf"```{{ecoopt-constraint}} {family} ([\w ]+)", page):
        shown |= set(args.split())
    return shown


def test_shown_constraints_reads_the_directives() -> None:
    page = "```{ecoopt-constraint} routing lanes memory_fit\n```\n```{ecoopt-constraint} x a\n```"
    assert shown_constraints(page, "routing") == {"lanes", "memory_fit"}


@pytest.mark.parametrize("family", list(MODULES))
def test_the_family_page_shows_every_constraint_its_model_defines(family: str) -> None:
    rows = _model_rows(family)
    page = (DOCS / "families" / f"{family}.md").read_text()
    shown = shown_constraints(page, family)
    assert set(rows) - shown == set(), f"docs/families/{family}.md lacks {set(rows) - shown}"
    unseen = _literal_rows(family) - set(rows)
    assert not unseen, f"{unseen}: no bundled file or docs/examples file exercises them"
    no_maths = [n for n, doc in rows.items() if ".. math::" not in doc]
    assert not no_maths, f"constraint docstrings without a .. math:: block: {no_maths}"
    assert shown - set(rows) == set()  # the build refuses these too


@pytest.mark.parametrize("path", sorted(DOCS.glob("examples/*/*.yaml")), ids=lambda p: p.stem)
def test_the_docs_example_files_solve_to_proven_optimality(path: Path) -> None:
    res = ecoopt.solve(ecoopt.load(path), time_limit=120)
    assert res.optimal, res.termination
