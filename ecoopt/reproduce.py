"""``ecoopt reproduce``: every seed paper's claims beside our figures on the named instances.

Each problem family that reproduces a paper names in its :class:`ProblemSpec`'s ``reproduce``
a module whose ``reproduce(instances_dir) -> Section`` loads the bundled reproduction files (from
``instances/<family>/``), runs the same code a user runs (``compare``, the heuristics, the
simulators, the evaluator) and returns one :class:`Claim` per figure the paper states, with the
paper's figure, ours, the instance it is measured on, and the note on why they differ.

A claim's verdict is computed, never written by hand: two numbers *agree* when they are within
the claim's relative tolerance (stated in the table), otherwise the verdict says by how much
ours differ; a claim the paper's setup cannot support is *not reproducible*, with the reason.

:func:`write_report` writes ``REPRODUCE.md`` and each section's figures (PNG) into a folder;
:func:`readme_blocks` gives each section's Markdown for a page (the family pages),
between the markers ``<!-- reproduce:NAME -->`` and ``<!-- /reproduce:NAME -->``, which
:func:`update_readme` rewrites and :func:`stale_blocks` checks (a test runs it, so the pages'
tables cannot drift from the code). Nothing in the report depends on the machine: no
runtimes, no dates.
"""

from __future__ import annotations

import importlib
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .errors import EcoOptError
from .problems import MODULES, get_spec
from .progress import bar

REPORT = "REPRODUCE.md"
MARK = re.compile(
    r"<!-- reproduce:(?P<name>[a-z_]+) -->\n(?P<body>.*?)<!-- /reproduce:(?P=name) -->", re.S
)


@dataclass(frozen=True)
class Claim:
    """One figure a paper states and ours beside it.

    ``paper`` and ``ours`` are numbers (formatted with ``fmt``, in ``unit``) or words;
    ``tolerance`` is the relative difference within which two numbers agree (None: compare
    words, or set ``verdict``). ``verdict`` overrides the computed one (e.g. "not
    reproducible"); ``note`` says why the figures differ, or what we had to decide.
    """

    claim: str
    paper: float | str
    ours: float | str
    instance: str
    unit: str = ""
    fmt: str = ".4g"
    tolerance: float | None = 0.05
    #: the figures are percentages: the tolerance and the difference are in points
    points: bool = False
    verdict: str | None = None
    note: str = ""

    def cell(self, value: float | str) -> str:
        if isinstance(value, str):
            return value
        return (
            "—"
            if math.isnan(value)
            else f"{value:{self.fmt}}{' ' + self.unit if self.unit else ''}"
        )

    def judged(self) -> str:
        """The verdict: given, or computed from the two figures."""
        if self.verdict is not None:
            return self.verdict
        if isinstance(self.paper, str) or isinstance(self.ours, str):
            return "agrees" if str(self.paper) == str(self.ours) else "differs"
        if math.isnan(self.ours) or (self.paper == 0 and not self.points):
            return "differs"
        if self.points:
            diff, tol, say = self.ours - self.paper, self.tolerance, "points"
        else:
            diff, tol, say = (self.ours - self.paper) / abs(self.paper), self.tolerance, "%"
            diff, tol = 100 * diff, None if tol is None else 100 * tol
        if tol is not None and abs(diff) <= tol + 1e-9:
            return f"agrees (within {tol:g} {say})"
        return f"differs ({diff:+.1f} {say})"


@dataclass
class Section:
    """One paper's claims (``name``: the page block's name, e.g. ``gpushare``)."""

    name: str
    title: str
    paper: str
    claims: list[Claim]
    intro: str = ""
    #: file name (PNG) -> a function returning the matplotlib Figure
    figures: dict[str, Callable[[], Any]] = field(default_factory=dict)

    def table(self) -> str:
        """The claims as one Markdown table, then their notes as a numbered list."""
        lines = [
            "| # | the paper's claim | paper | ours | instance | verdict |",
            "|---:|---|---:|---:|---|---|",
        ]
        for i, c in enumerate(self.claims, 1):
            cells = [
                str(i),
                c.claim,
                c.cell(c.paper),
                c.cell(c.ours),
                f"`{c.instance}`",
                c.judged(),
            ]
            lines.append("| " + " | ".join(x.replace("|", "\\|") for x in cells) + " |")
        notes = [f"{i}. {c.note}" for i, c in enumerate(self.claims, 1) if c.note]
        return "\n".join(lines + ([""] + notes if notes else [])) + "\n"

    def markdown(self, figures: bool) -> str:
        head = f"**{self.paper}.** {self.intro}".rstrip() + "\n\n"
        pics = "".join(f"\n![{n}]({n})\n" for n in self.figures) if figures else ""
        return head + self.table() + pics


def method_value(table: Any, method: str, column: str) -> Any:
    """The ``column`` of ``method``'s row in an ``ecoopt.compare`` table."""
    return table.loc[table["method"] == method, column].iloc[0]


def sections(instances: Path | str = "instances", progress: bool = False) -> list[Section]:
    """Every family's reproduction, in registry order (``instances``: the folder holding
    ``<family>/`` of the bundled instance files)."""
    root = Path(instances)
    if not root.is_dir():
        raise EcoOptError(
            f"{root}: no instances folder here; run from the repository's root "
            "or pass --instances DIR (the folder holding gpushare/, partition/, ...)"
        )
    out = []
    for name in bar(list(MODULES), "papers", progress):
        module = get_spec(name).reproduce
        if module is not None:
            out.append(importlib.import_module(module).reproduce(root))
    return out


def summary_lines(parts: list[Section]) -> list[str]:
    """One line per paper: its claims counted by verdict (``ecoopt reproduce`` prints them)."""
    lines = []
    for s in parts:
        verdicts = [c.judged().split(" (")[0] for c in s.claims]
        counts = ", ".join(f"{verdicts.count(v)} {v}" for v in dict.fromkeys(verdicts))
        lines.append(f"{s.name}: {len(s.claims)} claims ({counts})")
    return lines


def report(parts: list[Section]) -> str:
    """``REPRODUCE.md``: every section with its figures."""
    head = (
        "# ecoopt reproduce: the seed papers' claims beside our figures\n\n"
        "Written by `ecoopt reproduce` (every figure computed by the library on the named "
        "instance file; a verdict *agrees* within the stated tolerance, otherwise it says "
        "by how much ours differ).\n"
    )
    body = "".join(f"\n## {s.title}\n\n{s.markdown(figures=True)}" for s in parts)
    return head + body


def write_report(parts: list[Section], out: Path | str) -> Path:
    """Write ``REPRODUCE.md`` and every section's figures (PNG) into ``out``; its path."""
    folder = Path(out)
    folder.mkdir(parents=True, exist_ok=True)
    for s in parts:
        for name, make in s.figures.items():
            fig = make()
            fig.savefig(folder / name, dpi=110, metadata={"Software": None})
    path = folder / REPORT
    path.write_text(report(parts), encoding="utf-8")
    return path


def readme_blocks(parts: list[Section]) -> dict[str, str]:
    """Each section's Markdown for a page (no figures), keyed by section name."""
    return {s.name: s.markdown(figures=False) for s in parts}


def update_readme(path: Path | str, blocks: dict[str, str]) -> list[str]:
    """Rewrite the marked blocks of the file at ``path``; the names rewritten."""
    text = Path(path).read_text(encoding="utf-8")
    done: list[str] = []

    def swap(m: re.Match) -> str:
        name = m["name"]
        if name not in blocks:
            return m[0]
        done.append(name)
        return f"<!-- reproduce:{name} -->\n{blocks[name]}<!-- /reproduce:{name} -->"

    Path(path).write_text(MARK.sub(swap, text), encoding="utf-8")
    return done


def block_names(path: Path | str) -> list[str]:
    """The names of the marked blocks in the file at ``path``."""
    return [m["name"] for m in MARK.finditer(Path(path).read_text(encoding="utf-8"))]


def stale_blocks(path: Path | str, blocks: dict[str, str]) -> list[str]:
    """Names of the sections whose block in the file differs from ``blocks`` or is missing."""
    found = {m["name"]: m["body"] for m in MARK.finditer(Path(path).read_text(encoding="utf-8"))}
    return [name for name, body in blocks.items() if found.get(name) != body]


__all__ = [
    "Claim",
    "block_names",
    "method_value",
    "Section",
    "readme_blocks",
    "report",
    "sections",
    "stale_blocks",
    "summary_lines",
    "update_readme",
    "write_report",
]
