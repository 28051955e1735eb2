"""The one tolerance rule: what "fits", "meets" and "equals" mean everywhere in ecoopt.

The pre-checks, the models' admissibility filters, the heuristics and the independent
evaluators all decide boundary cases with these functions, so the four can never disagree on
whether a plan is feasible.

* **Counts** (share units, layers, GPUs): exact integers.
* **Memory** (bytes): exact. A set of models fits when the sum of their bytes is ≤ the
  device's bytes; one byte over does not fit (:func:`fits_memory`). Byte counts are whole
  numbers far below 2**53, so float sums of them are exact.
* **Continuous limits** (latency and SLOs in s, periods, carbon in g, energy in J): a value meets
  a limit when ``value ≤ limit + REL·|limit|`` (:func:`within`), REL = 1e-9. This absorbs the
  rounding of sums computed in different orders (a model's row, an evaluator's bincount) and
  nothing a user could notice.
* **Grid** (a share on its GPU's unit grid of 1/U steps): within GRID = 1e-6 of a GPU of a grid
  point, ``|share − round(share·U)/U| ≤ GRID``: shares travel as floats (k/U, or a user's
  0.333334 for a third), so this is representation, not slack. Bounds such as ``min_share``
  round to units by the same rule.
* **Flows** (request rates of provisioning and the requests they serve): continuous
  quantities that a solver returns to its row tolerance, so a flow meets a demand, a volume
  or a capacity when within FLOW = 1e-6 relative (:func:`flow_within`, :func:`flow_equal`):
  ten times HiGHS's 1e-7 on rows scaled to 1, and a hundredth of the default MIP gap.
* **Objectives** (a model's value for a plan against the evaluator's): equal when
  ``|a − b| ≤ REL·max(|a|, |b|, scale)`` (:func:`agree`); ``scale`` is the size of the
  objective (e.g. a reference solution's value), so sums of terms that cancel are not held
  to a relative test on a tiny difference.

A solver works with tolerances of its own (HiGHS: about 1e-7 on rows, 1e-6 on integrality,
in the scaled model). Those never decide feasibility here: every plan a solver returns is
rounded to its integer decision and judged by the evaluator under this rule
(``ecoopt.verify``).
"""

from __future__ import annotations

import numpy as np

REL = 1e-9
"""Relative tolerance of continuous limits and of objective agreement."""

FLOW = 1e-6
"""Relative tolerance of continuous flows (request rates) against demands and capacities."""

GRID = 1e-6
"""How far (in GPUs) a float share may sit from its grid point and still be on it."""


def within(value, limit):  # noqa: ANN001, ANN201 - floats or arrays, broadcasting
    """``value ≤ limit`` up to REL relative (times, carbon, energy); ``inf`` limits always hold."""
    value = np.asarray(value, dtype=float)
    limit = np.asarray(limit, dtype=float)
    with np.errstate(invalid="ignore"):
        out = np.isposinf(limit) | (value <= limit + REL * np.abs(limit))
    return out if out.ndim else bool(out)


def flow_within(value, limit):  # noqa: ANN001, ANN201 - floats or arrays, broadcasting
    """``value ≤ limit`` up to FLOW relative to the limit (and FLOW absolute near 0)."""
    value = np.asarray(value, dtype=float)
    limit = np.asarray(limit, dtype=float)
    out = value <= limit + FLOW * np.maximum(np.abs(limit), 1.0)
    return out if out.ndim else bool(out)


def flow_equal(value, target):  # noqa: ANN001, ANN201 - floats or arrays, broadcasting
    """``value = target`` up to FLOW relative to the target (and FLOW absolute near 0)."""
    value = np.asarray(value, dtype=float)
    target = np.asarray(target, dtype=float)
    out = np.abs(value - target) <= FLOW * np.maximum(np.abs(target), 1.0)
    return out if out.ndim else bool(out)


def fits_memory(used_bytes, capacity_bytes):  # noqa: ANN001, ANN201
    """Exact: the bytes used are at most the bytes available (no slack at all)."""
    out = np.asarray(used_bytes, dtype=float) <= np.asarray(capacity_bytes, dtype=float)
    return out if out.ndim else bool(out)


def on_grid(share, units):  # noqa: ANN001, ANN201
    """Whether ``share`` is a whole number of 1/``units`` steps (up to GRID of a GPU)."""
    units = np.asarray(units, dtype=float)
    k = np.asarray(share, dtype=float) * units
    out = np.abs(k - np.round(k)) <= GRID * units
    return out if out.ndim else bool(out)


def agree(a: float, b: float, scale: float = 0.0) -> bool:
    """Two objective values are the same number, relative to the larger of them and ``scale``."""
    return abs(a - b) <= REL * max(abs(a), abs(b), abs(scale), 1e-300)
