"""Cover cuts: exact capacity in bytes where a solver's tolerances cannot see one byte.

HiGHS accepts a row violated by up to about 1e-9 of its scale. On a device of 93 GB, a plan one
byte over memory is 1e-11 over: HiGHS cannot tell it from a plan that fits, and then neither
proves infeasibility nor finds the true optimum. The evaluator can (memory is exact in bytes,
``ecoopt.tolerance``). So when the check finds a plan whose models on a device overflow its
memory, the problem names that set S of placement columns, and the cut

    Σ_{j ∈ S} x_j ≤ |S| − 1

("not all of them together there") is added and the model solved again. Every feasible plan
satisfies it (S does not fit), its coefficients are 1, so no tolerance blurs it, and the plan
that broke memory is cut off. Repeating this is exact: finitely many sets exist, and it stops
as soon as a plan passes (in practice after one or two rounds, at the boundary only).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .lp import LinearProgram

MAX_ROUNDS = 20
"""Rounds of cuts before ``solve`` gives up and reports what it has."""


def cover(label: Any, columns: np.ndarray, members: int) -> tuple[Any, np.ndarray, float]:
    """The cut 'not all ``members`` at once': Σ columns ≤ members − 1, where ``columns`` are
    the binaries that put any of the members there (each member sets at most one of them)."""
    columns = np.unique(np.asarray(columns, dtype=np.int64))
    return label, columns, float(members - 1)


def add_cuts(lp: LinearProgram, cuts: list[tuple[Any, np.ndarray, float]], round_: int) -> None:
    """Append the cuts as one family ``cover_cuts_<round>`` (not elastic: they are valid)."""
    rows = np.concatenate([np.full(len(c), k) for k, (_, c, _) in enumerate(cuts)])
    cols = np.concatenate([c for _, c, _ in cuts])
    lp.add_rows(
        f"cover_cuts_{round_}",
        [label for label, _, _ in cuts],
        rows,
        cols,
        np.ones(len(cols)),
        upper=np.array([rhs for _, _, rhs in cuts]),
        doc=__doc__ or "",
        elastic=False,
    )
