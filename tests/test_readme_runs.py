"""The README's quick start, and the CLI examples and Python snippets of the README and of the
documentation's pages, run as written (a block that cannot run here, e.g. one naming a cluster,
is written as a ``{code-block}`` directive, which this test does not collect)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from ecoopt.cli import main

ROOT = Path(__file__).parents[1]
PAGES = [
    ROOT / "README.md",
    *sorted((ROOT / "docs").glob("[!_]*/*.md")),
    *sorted((ROOT / "docs").glob("*.md")),
]
BLOCKS = [
    b
    for page in PAGES
    for b in re.findall(r"```(bash|python)\n(.*?)```", page.read_text(), flags=re.S)
]


def ecoopt_commands() -> list[str]:
    """Every ``ecoopt …`` command of the pages' bash blocks (the part after the install)."""
    out = []
    for lang, body in BLOCKS:
        if lang != "bash":
            continue
        for line in body.splitlines():
            for part in line.split("&&"):
                part = part.strip().removeprefix(".venv/bin/")
                if part.startswith("ecoopt "):
                    out.append(part)
    return out


COMMANDS = ecoopt_commands()


def test_the_readme_has_commands_and_snippets():
    assert any("compare" in c for c in COMMANDS) and len(COMMANDS) >= 6
    assert any(lang == "python" for lang, _ in BLOCKS)


@pytest.mark.parametrize("command", COMMANDS)
def test_readme_command_runs(command, monkeypatch, capfd):
    monkeypatch.chdir(ROOT)
    words = shlex.split(command)
    target = None
    if ">" in words:  # a redirection of stdout into a file
        k = words.index(">")
        words, target = words[:k], words[k + 1]
    code = main(words[1:])
    out, err = capfd.readouterr()
    assert code in (0, 3), f"{command}: exit {code}: {err}"
    if target:
        Path(target).write_text(out)


@pytest.mark.parametrize("snippet", [b for lang, b in BLOCKS if lang == "python"])
def test_readme_python_runs(snippet, monkeypatch):
    monkeypatch.chdir(ROOT)
    exec(compile(snippet, "README.md", "exec"), {})
