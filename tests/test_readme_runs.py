"""The README's quick start, CLI examples and Python snippets run as written."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from ecoopt.cli import main

ROOT = Path(__file__).parents[1]
README = (ROOT / "README.md").read_text()
BLOCKS = re.findall(r"```(bash|python)\n(.*?)```", README, flags=re.S)


def ecoopt_commands() -> list[str]:
    """Every ``ecoopt …`` command of the README's bash blocks (the part after the install)."""
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
