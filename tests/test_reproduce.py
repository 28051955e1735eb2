"""``ecoopt reproduce``: computed verdicts, the report and the family pages' blocks kept in
step with the code, and bad input refused in one line."""

from __future__ import annotations

import math
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from ecoopt import reproduce as rp
from ecoopt.reproduce import Claim, Section

ROOT = Path(__file__).resolve().parents[1]
CMD = [sys.executable, "-m", "ecoopt.cli", "reproduce", "--quiet"]


def _run(*args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([*CMD, *args], capture_output=True, text=True, cwd=cwd, timeout=300)


# --- verdicts ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("claim", "verdict"),
    [
        (Claim("c", 100.0, 104.9, "i"), "agrees (within 5 %)"),
        (Claim("c", 100.0, 105.1, "i"), "differs (+5.1 %)"),
        (Claim("c", 0.0041, 0.00396, "i", tolerance=0.01), "differs (-3.4 %)"),
        (Claim("c", -85.0, -59.2, "i", points=True, tolerance=5.0), "differs (+25.8 points)"),
        (Claim("c", -35.0, -31.0, "i", points=True, tolerance=5.0), "agrees (within 5 points)"),
        (Claim("c", "yes", "yes", "i"), "agrees"),
        (Claim("c", "yes", "no", "i"), "differs"),
        (Claim("c", 1.0, math.nan, "i"), "differs"),
        (Claim("c", 4.0, 4.0, "i", verdict="not reproducible"), "not reproducible"),
        (Claim("c", 2.0, 2.0, "i", tolerance=None), "differs (+0.0 %)"),
    ],
)
def test_verdict_is_computed_from_the_figures(claim: Claim, verdict: str) -> None:
    assert claim.judged() == verdict


def test_table_lists_every_claim_with_its_note_and_escapes_pipes() -> None:
    s = Section("x", "X", "Paper", [Claim("a|b", 1.0, 1.0, "f.yaml", unit="g", note="why"),
                                    Claim("c", 2.0, 3.0, "g.yaml")])  # fmt: skip
    text = s.table()
    assert "| 1 | a\\|b | 1 g | 1 g | `f.yaml` | agrees (within 5 %) |" in text
    assert "| 2 | c | 2 | 3 | `g.yaml` | differs (+50.0 %) |" in text
    assert "\n1. why\n" in text and "\n2." not in text
    assert rp.summary_lines([s]) == ["x: 2 claims (1 agrees, 1 differs)"]


def test_readme_blocks_are_rewritten_and_stale_ones_found(tmp_path: Path) -> None:
    f = tmp_path / "R.md"
    f.write_text("a\n<!-- reproduce:x -->\nold\n<!-- /reproduce:x -->\nb\n", encoding="utf-8")
    assert rp.stale_blocks(f, {"x": "new\n"}) == ["x"]
    assert rp.stale_blocks(f, {"y": "new\n"}) == ["y"]  # a missing block is stale too
    assert rp.update_readme(f, {"x": "new\n", "y": "z\n"}) == ["x"]
    assert f.read_text() == "a\n<!-- reproduce:x -->\nnew\n<!-- /reproduce:x -->\nb\n"
    assert rp.stale_blocks(f, {"x": "new\n"}) == []


# --- the whole run -----------------------------------------------------------------------------


PAGES = sorted((ROOT / "docs" / "families").glob("*.md"))


@pytest.fixture(scope="module")
def run(tmp_path_factory: pytest.TempPathFactory) -> tuple[subprocess.CompletedProcess, Path]:
    """One ``ecoopt reproduce`` into a scratch folder, rewriting copies of the family pages."""
    tmp = tmp_path_factory.mktemp("reproduce")
    for page in PAGES:
        shutil.copy(page, tmp / page.name)
    proc = _run("--out", str(tmp / "out"), "--update", *(str(tmp / p.name) for p in PAGES))
    return proc, tmp


def test_the_committed_report_is_what_the_code_gives(run) -> None:  # noqa: ANN001
    proc, tmp = run
    assert proc.returncode == 0, proc.stderr
    committed = ROOT / "docs" / "reproduce"
    assert (tmp / "out" / rp.REPORT).read_text() == (committed / rp.REPORT).read_text(), (
        "docs/reproduce is stale: run `ecoopt reproduce --out docs/reproduce "
        "--update docs/families/*.md`"
    )
    figures = sorted(p.name for p in (tmp / "out").glob("*.png"))
    assert figures and figures == sorted(p.name for p in committed.glob("*.png"))
    for name in figures:
        assert f"![{name}]({name})" in (committed / rp.REPORT).read_text()


def test_the_family_pages_tables_are_what_the_code_gives(run) -> None:  # noqa: ANN001
    proc, tmp = run
    assert proc.stdout.count("rewrote 1 block(s)") == 4
    for page in PAGES:
        assert (tmp / page.name).read_text() == page.read_text(), (
            f"{page.name}'s reproduce block is stale: run `ecoopt reproduce --out "
            "docs/reproduce --update docs/families/*.md`"
        )
    guide = (ROOT / "docs" / "guides" / "reproducing.md").read_text()
    for line in proc.stdout.splitlines():
        if "claims (" in line:
            assert line in guide  # the printed summary the guide quotes


def test_every_family_with_a_paper_reports_and_verdicts_are_not_all_agreement(run) -> None:  # noqa: ANN001
    text = (ROOT / "docs" / "reproduce" / rp.REPORT).read_text()
    for title in ("(gpushare)", "(partition)", "(provisioning)", "(routing)"):
        assert title in text
    # honest by construction: claims that do not hold are reported as such
    assert "differs" in text and "not reproducible" in text
    assert "0.3096 s" in text  # the non-degenerate optimum, computed by the MILP


# --- bad input ---------------------------------------------------------------------------------


def test_a_missing_instances_folder_is_one_line(tmp_path: Path) -> None:
    proc = _run("--instances", str(tmp_path / "none"), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "--instances DIR" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_a_broken_reproduction_file_is_one_line_naming_it(tmp_path: Path) -> None:
    shutil.copytree(ROOT / "instances" / "gpushare", tmp_path / "gpushare")
    (tmp_path / "gpushare" / "paper_four_agents.yaml").write_text("problem: gpushare\nagents: 3\n")
    proc = _run("--instances", str(tmp_path), "--out", str(tmp_path / "o"))
    assert proc.returncode == 2
    assert "paper_four_agents.yaml" in proc.stderr and "agents" in proc.stderr
    assert proc.stderr.count("\n") == 1 and "Traceback" not in proc.stderr


def test_a_readme_without_markers_is_refused_before_the_run(tmp_path: Path) -> None:
    plain = tmp_path / "plain.md"
    plain.write_text("# nothing to rewrite\n")
    proc = _run("--out", str(tmp_path / "o"), "--update", str(plain))
    assert proc.returncode == 2 and "no <!-- reproduce:NAME --> block" in proc.stderr
    assert not (tmp_path / "o").exists()  # refused before anything ran
