"""The model's numbers, checked before HiGHS sees them.

HiGHS works in double precision with absolute tolerances of about 1e-7: a matrix entry of 1e12
beside entries of order 1, a bound of 1e25 (which HiGHS reads as infinite from 1e20), or a cost
the objective scaling turned into 1e15 makes its answers meaningless, and on such models it has
been seen to call a plan optimal with no objective, or to spin past its time limit. The load-time
ranges (``ecoopt.schema``) keep a file's fields plausible; this is the second line, on what the
formulation makes of them, and its message names the constraint family, the entry and the
instance fields that set it (``ProblemSpec.coefficient_fields``).

Limits (all on the model HiGHS receives, objective scaled):

* matrix entries: finite, ``|a| ≤ MAX_MATRIX`` (rows are scaled to order 1 by each model);
* finite row and column bounds: ``|b| ≤ MAX_BOUND``;
* costs: finite, ``|c| ≤ MAX_COST`` times the reference plan's value (which is 1 after scaling).

Entries below HiGHS's ``small_matrix_value`` (1e-9) are left alone: HiGHS drops them, which
moves a row by less than its own tolerance, and the independent check catches the rest.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .errors import EcoOptError
from .lp import LinearProgram

MAX_MATRIX = 1e9
MAX_BOUND = 1e15
MAX_COST = 1e12


class IllConditioned(EcoOptError):
    """The formulation's numbers are beyond what HiGHS can solve reliably."""


def _fields(fields: dict[str, str], name: str) -> str:
    hint = fields.get(name)
    return f"; set by {hint}" if hint else ""


def _worst_row_entry(lp: LinearProgram, fields: dict[str, str]) -> str | None:
    """The first family with a non-finite or oversized entry, described for the user."""
    for name, fam in lp.families.items():
        k = _worst(fam.vals, MAX_MATRIX)
        if k is not None:
            row = fam.labels[int(fam.rows[k])] if len(fam.labels) else ""
            col = _column_label(lp, int(fam.cols[k]))
            return (
                f"constraint {name}[{row}] has coefficient {fam.vals[k]:.3g} on {col} "
                f"(at most {MAX_MATRIX:g}){_fields(fields, name)}"
            )
        found = _oversized_bound(f"constraint {name}", fam.labels, fam.lower, fam.upper)
        if found:
            return found + _fields(fields, name)
    return None


def _worst(values: np.ndarray, limit: float) -> int | None:
    """Index of the largest |value| when one is non-finite or beyond ``limit``, else None."""
    size = np.where(np.isfinite(values), np.abs(values), np.inf)
    k = int(np.argmax(size)) if size.size else 0
    return k if size.size and size[k] > limit else None


def _oversized_bound(what: str, labels: list, lower: np.ndarray, upper: np.ndarray) -> str | None:
    """The first finite bound beyond ``MAX_BOUND`` (HiGHS reads 1e20 as infinite), described."""
    for side, b in (("lower", lower), ("upper", upper)):
        over = np.isfinite(b) & (np.abs(b) > MAX_BOUND)
        if over.any():
            k = int(np.argmax(over))
            return f"{what}[{labels[k]}] has {side} bound {b[k]:.3g} (at most {MAX_BOUND:g})"
    return None


def _column_label(lp: LinearProgram, col: int) -> str:
    for name, block in lp.vars.items():
        if block.offset <= col < block.offset + block.size:
            return f"{name}[{block.labels[col - block.offset]}]"
    return f"column {col}"


def _worst_column(lp: LinearProgram, scale: float, fields: dict[str, str]) -> str | None:
    for name, block in lp.vars.items():
        cost = block.cost * scale
        k = _worst(cost, MAX_COST)
        if k is not None:
            return (
                f"variable {name}[{block.labels[k]}] costs {block.cost[k]:.3g}, "
                f"{abs(cost[k]):.3g} times the reference plan's objective (at most "
                f"{MAX_COST:g}){_fields(fields, name)}"
            )
        found = _oversized_bound(f"variable {name}", block.labels, block.lower, block.upper)
        if found:
            return found + _fields(fields, name)
    return None


def check_conditioning(lp: LinearProgram, scale: float, spec: Any, source: str = "") -> None:
    """Raise :class:`IllConditioned` naming the family, the entry and the fields behind it."""
    fields = getattr(spec, "coefficient_fields", None) or {}
    found = _worst_row_entry(lp, fields) or _worst_column(lp, scale, fields)
    if found:
        where = f"{source}: " if source else ""
        raise IllConditioned(
            f"{where}the model is ill-conditioned: {found} (bring those values closer to the "
            "others' magnitudes; ecoopt does not hand such a model to HiGHS)"
        )
