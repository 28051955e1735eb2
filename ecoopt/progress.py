"""Progress on long work, on stderr: tqdm bars for loops, HiGHS's own figures for the MILP.

tqdm is used rather than rich: it is a single small dependency already common in this field's
environments, writes to stderr, and turns itself into a no-op where asked. Bars are shown only
when asked for (``progress=True`` in the API; in the CLI when stderr is a terminal and
``--quiet`` is not given), so pipes, logs and tests stay clean.
"""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterable, Iterator
from typing import TypeVar

T = TypeVar("T")


def bar(items: Iterable[T], desc: str, enabled: bool, total: int | None = None) -> Iterator[T]:
    """``items`` with a stderr progress bar when ``enabled`` (it vanishes when done)."""
    if not enabled:
        yield from items
        return
    from tqdm import tqdm

    yield from tqdm(items, desc=desc, total=total, leave=False, file=sys.stderr, unit="")


def bar_with(
    items: Iterable[T], desc: str, enabled: bool, total: int | None, status: Callable[[T], dict]
) -> Iterator[T]:
    """:func:`bar` whose line also shows ``status(item)`` (e.g. best so far, seconds per
    point) after each item is consumed."""
    if not enabled:
        yield from items
        return
    from tqdm import tqdm

    with tqdm(total=total, desc=desc, leave=False, file=sys.stderr, unit="") as line:
        for item in items:
            yield item
            line.update(1)
            line.set_postfix(status(item))  # drawn now: update() alone waits out mininterval


def wanted(quiet: bool) -> bool:
    """The CLI's rule: progress when stderr is a terminal and ``--quiet`` was not given."""
    return not quiet and sys.stderr.isatty()
