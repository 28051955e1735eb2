"""Exceptions that carry a message meant for the user: what is wrong, where, and what to do."""

from __future__ import annotations

import re
from dataclasses import dataclass

_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")


def printable(text: str) -> str:
    """``text`` with control characters written as escapes (``\\n``, ``\\x1b``): a key or value
    from a file cannot break an error line in two or send escape codes to a terminal."""
    return _CONTROL.sub(lambda m: repr(m.group())[1:-1], text)


class EcoOptError(Exception):
    """Base class of every error ecoopt raises on purpose (the CLI prints these as one line)."""


def listing(names: list[str], most: int = 12, total: int | None = None) -> str:
    """``a, b, c`` — or the first ``most`` and how many more, so a message stays one line.

    ``total``: how many names there are in all, when ``names`` holds only the first ones."""
    total = len(names) if total is None else total
    shown = ", ".join(names[:most])
    return shown if total <= most else f"{shown}, … ({total - most} more)"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an instance: the dotted field path, what is wrong, how to fix it."""

    field: str
    message: str
    fix: str = ""

    def __str__(self) -> str:
        text = f"{self.field}: {self.message}"
        return printable(f"{text} ({self.fix})" if self.fix else text)


class InstanceError(EcoOptError):
    """An instance file or dict is malformed or inconsistent; lists every problem found."""

    def __init__(self, source: str, problems: list[Problem]):
        self.source = source
        self.problems = problems
        n = len(problems)
        head = f"{source}: " + (f"{n} problems: " if n > 1 else "")
        super().__init__(head + "; ".join(str(p) for p in problems))


class InfeasibleError(EcoOptError):
    """The model has no feasible solution; the message names the conflicting constraints."""


class NotApplicable(EcoOptError):
    """A method does not apply to this instance (e.g. the chain DP on a branching graph)."""


class NotOptimalError(EcoOptError):
    """Raised by ``strict=True`` / ``Result.require_optimal()`` when optimality is not proven."""
