"""A (mixed-integer) linear programme held as numpy blocks: the one source of a model's maths.

Each problem writes its formulation once, as named variable blocks and named constraint
families (:class:`VarBlock`, :class:`RowBlock`), built vectorised from instance data. Two
back-ends consume the same blocks:

* :func:`pass_to_highs` hands the arrays to HiGHS in one array ``passModel`` call (the default
  solve path; ``benchmarks/solve_overhead.py`` measures it against a by-hand ``passModel`` of
  the same arrays), and
* :func:`to_pyomo` builds a ``pyomo.environ.ConcreteModel`` with one ``Var`` per variable block
  and one ``Constraint`` per family, named as the blocks are, for inspection, extension and
  solving through any Pyomo solver.

So there is never a second hand-written copy of the maths: Pyomo and HiGHS see the same rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

INF = float("inf")

#: HiGHS's codes in its array ``passModel``: row-wise matrix, objective senses
ROWWISE, MINIMIZE, MAXIMIZE = 2, 1, -1


class Labels(Sequence):
    """Labels of a block built only when something reads them (export, messages, Pyomo).

    A model of 10⁵ columns needs no tuple per column to be solved: ``len`` is known from the
    start, and ``make()`` runs once, on the first read, to give the list (which must have
    ``size`` entries).
    """

    def __init__(self, size: int, make: Callable[[], list[Any]]):
        self._size, self._make, self._items = int(size), make, None

    def _list(self) -> list[Any]:
        if self._items is None:
            items = list(self._make())
            if len(items) != self._size:
                raise RuntimeError(f"internal: {len(items)} labels made for {self._size}")
            self._items = items
        return self._items

    def __len__(self) -> int:
        return self._size

    def __getitem__(self, k):  # noqa: ANN001, ANN204 - int or slice, as a list's
        return self._list()[k]

    def __iter__(self) -> Iterator[Any]:
        return iter(self._list())

    def __eq__(self, other: object) -> bool:
        return list(self) == list(other) if isinstance(other, Sequence) else NotImplemented

    __hash__ = None  # type: ignore[assignment]  # mutable-equal, like a list

    def __reduce__(self):  # noqa: ANN204 - pickled and copied as the plain list it stands for
        return (list, (self._list(),))

    def __repr__(self) -> str:
        state = "built" if self._items is not None else "lazy"
        return f"Labels({self._size}, {state})"


def _labels(labels: Sequence[Any] | Labels) -> Sequence[Any]:
    """A block's labels as given: a lazy :class:`Labels` stays lazy, anything else a list."""
    return labels if isinstance(labels, Labels) else list(labels)


@dataclass
class VarBlock:
    """A block of variables sharing a name, e.g. ``assign[agent, gpu, level]``."""

    name: str
    labels: Sequence[Any]  # a list, or lazy :class:`Labels`
    lower: np.ndarray
    upper: np.ndarray
    integer: bool
    cost: np.ndarray
    offset: int
    doc: str = ""

    @property
    def size(self) -> int:
        return len(self.labels)

    @property
    def cols(self) -> np.ndarray:
        return np.arange(self.offset, self.offset + self.size)


@dataclass
class RowBlock:
    """A constraint family: ``lower ≤ A x ≤ upper`` for rows labelled by ``labels``.

    ``rows`` are local row numbers (0..len(labels)-1), ``cols`` global column numbers.
    ``elastic`` marks families that an infeasibility analysis may relax.
    """

    name: str
    labels: Sequence[Any]  # a list, or lazy :class:`Labels`
    rows: np.ndarray
    cols: np.ndarray
    vals: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    doc: str = ""
    elastic: bool = True

    @property
    def size(self) -> int:
        return len(self.labels)


def _nonzero_entries(rows, cols, vals) -> tuple[np.ndarray, np.ndarray, np.ndarray]:  # noqa: ANN001
    """The entries as int64/int64/float arrays, exact zeros left out (a coefficient of 0 is
    no entry: e.g. ``memory_fit`` of agents without a model), in their given order."""
    rows = np.asarray(rows, dtype=np.int64)
    cols = np.asarray(cols, dtype=np.int64)
    vals = np.asarray(vals, dtype=float)
    zero = vals == 0
    if zero.any():
        keep = ~zero
        rows, cols, vals = rows[keep], cols[keep], vals[keep]
    return rows, cols, vals


@dataclass
class LinearProgram:
    """Variables, constraint families and an objective sense; nothing solver-specific."""

    name: str
    sense: str = "min"  # "min" or "max"
    objective_offset: float = 0.0
    vars: dict[str, VarBlock] = field(default_factory=dict)
    families: dict[str, RowBlock] = field(default_factory=dict)
    #: problem-specific index arrays kept for reading a solution back (e.g. gpushare's levels)
    meta: dict[str, Any] = field(default_factory=dict)

    @property
    def num_cols(self) -> int:
        return sum(v.size for v in self.vars.values())

    @property
    def num_rows(self) -> int:
        return sum(r.size for r in self.families.values())

    def add_vars(
        self,
        name: str,
        labels: Sequence[Any],
        *,
        lower: float | np.ndarray = 0.0,
        upper: float | np.ndarray = INF,
        integer: bool = False,
        cost: float | np.ndarray = 0.0,
        doc: str = "",
    ) -> VarBlock:
        n = len(labels)
        block = VarBlock(
            name=name,
            labels=_labels(labels),
            lower=np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy(),
            upper=np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy(),
            integer=integer,
            cost=np.broadcast_to(np.asarray(cost, dtype=float), (n,)).copy(),
            offset=self.num_cols,
            doc=doc,
        )
        self.vars[name] = block
        return block

    def add_rows(
        self,
        name: str,
        labels: Sequence[Any],
        rows: np.ndarray,
        cols: np.ndarray,
        vals: np.ndarray,
        *,
        lower: float | np.ndarray = -INF,
        upper: float | np.ndarray = INF,
        doc: str = "",
        elastic: bool = True,
    ) -> RowBlock:
        n = len(labels)
        rows, cols, vals = _nonzero_entries(rows, cols, vals)
        block = RowBlock(
            name=name,
            labels=_labels(labels),
            rows=rows,
            cols=cols,
            vals=vals,
            lower=np.broadcast_to(np.asarray(lower, dtype=float), (n,)).copy(),
            upper=np.broadcast_to(np.asarray(upper, dtype=float), (n,)).copy(),
            doc=doc,
            elastic=elastic,
        )
        self.families[name] = block
        return block

    # -- assembled arrays ---------------------------------------------------------------------
    def column_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """(cost, lower, upper, integrality) over all columns in block order."""
        blocks = list(self.vars.values())
        if not blocks:
            empty = np.zeros(0)
            return empty, empty, empty, np.zeros(0, dtype=np.int32)
        cost = np.concatenate([b.cost for b in blocks])
        lower = np.concatenate([b.lower for b in blocks])
        upper = np.concatenate([b.upper for b in blocks])
        integ = np.concatenate([np.full(b.size, int(b.integer), dtype=np.int32) for b in blocks])
        return cost, lower, upper, integ

    def row_arrays(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """CSR matrix (starts, index, value) and (row lower, row upper) over all families."""
        offset = 0
        rows, cols, vals, lo, hi = [], [], [], [], []
        for fam in self.families.values():
            rows.append(fam.rows + offset)
            cols.append(fam.cols)
            vals.append(fam.vals)
            lo.append(fam.lower)
            hi.append(fam.upper)
            offset += fam.size
        if offset == 0:
            z = np.zeros(0)
            return np.zeros(1, dtype=np.int32), z.astype(np.int32), z, z, z
        r = np.concatenate(rows)
        index, value = np.concatenate(cols).astype(np.int32), np.concatenate(vals)
        if r.size and np.any(r[1:] < r[:-1]):  # families built row by row need no sort
            order = np.argsort(r, kind="stable")
            index, value = index[order], value[order]
        starts = np.zeros(offset + 1, dtype=np.int64)
        np.cumsum(np.bincount(r, minlength=offset), out=starts[1:])
        return starts.astype(np.int32), index, value, np.concatenate(lo), np.concatenate(hi)

    def objective_value(self, x: np.ndarray) -> float:
        """c·x + offset, block by block (no concatenated cost vector)."""
        total = sum(float(b.cost @ x[b.offset : b.offset + b.size]) for b in self.vars.values())
        return float(total + self.objective_offset)

    def values(self, x: np.ndarray, name: str) -> np.ndarray:
        block = self.vars[name]
        return x[block.offset : block.offset + block.size]


def objective_scale(lp: LinearProgram, reference: float | None = None) -> float:
    """Factor that brings the objective's optimum to order 1 for the solver.

    HiGHS's tolerances are absolute (about 1e-7 on rows and reduced costs, 1e-6 on the gap), so
    what must be of order 1 is the optimum itself, not merely the largest coefficient: on a
    latency model the largest coefficient belongs to a deeply overloaded share level, and
    scaling by it left optima of 3e-6, below the tolerances, where HiGHS stopped early and
    its bound crossed the true optimum. So the scale is ``1 / |reference|``, the value of a
    reference solution (``solve`` passes the default heuristic's evaluated objective: it
    bounds the optimum from the feasible side, usually within a small factor). Without one
    (no feasible reference, or a value of 0) the largest coefficient's size is used.

    Rows are scaled by each model (coefficients in GPUs, fractions of a device's memory or of
    an SLO), so they need nothing here. The absolute MIP gap is switched off by the adapter
    (``highs._configure``): only the relative gap asked for stops the search.
    """
    if reference is not None and math.isfinite(reference) and abs(reference) > 0:
        return 1.0 / abs(reference)
    cost, _, _, _ = lp.column_arrays()
    big = float(np.max(np.abs(cost), initial=0.0))
    return 1.0 / big if big > 0 else 1.0


@dataclass(frozen=True)
class HighsArrays:
    """``lp`` as the arrays of HiGHS's array ``passModel``: row-wise CSR, HiGHS's ints (int32).

    ``integrality`` has one code per column (0 continuous, 1 integer) even for an LP: HiGHS
    reads ``num_col`` entries from whatever array it is given.
    """

    cost: np.ndarray
    lower: np.ndarray
    upper: np.ndarray
    row_lower: np.ndarray
    row_upper: np.ndarray
    starts: np.ndarray
    index: np.ndarray
    value: np.ndarray
    integrality: np.ndarray
    sense: int
    offset: float

    def pass_args(self) -> tuple[Any, ...]:
        """The arguments of ``Highs.passModel(num_col, num_row, num_nz, a_format, sense,
        offset, costs, lower, upper, row_lower, row_upper, a_start, a_index, a_value,
        integrality)``, in that order."""
        return (
            len(self.cost),
            len(self.row_lower),
            len(self.value),
            ROWWISE,
            self.sense,
            self.offset,
            self.cost,
            self.lower,
            self.upper,
            self.row_lower,
            self.row_upper,
            self.starts,
            self.index,
            self.value,
            self.integrality,
        )


def highs_arrays(lp: LinearProgram, cost_scale: float = 1.0, *, relax: bool = False) -> HighsArrays:
    """The arrays HiGHS receives for ``lp``, objective (and offset) multiplied by ``cost_scale``;
    ``relax`` drops integrality (the LP relaxation)."""
    cost, lower, upper, integ = lp.column_arrays()
    starts, index, value, row_lo, row_hi = lp.row_arrays()
    return HighsArrays(
        cost=cost * cost_scale,
        lower=lower,
        upper=upper,
        row_lower=row_lo,
        row_upper=row_hi,
        starts=starts,
        index=index,
        value=value,
        integrality=np.zeros_like(integ) if relax else integ,
        sense=MAXIMIZE if lp.sense == "max" else MINIMIZE,
        offset=float(lp.objective_offset * cost_scale),
    )


def pass_to_highs(h: Any, lp: LinearProgram, cost_scale: float = 1.0, *, relax: bool = False):  # noqa: ANN201
    """Hand ``lp`` to the ``highspy.Highs`` ``h`` in one array ``passModel`` call (no Python
    loop over columns or entries); returns HiGHS's status."""
    return h.passModel(*highs_arrays(lp, cost_scale, relax=relax).pass_args())


def to_highs(lp: LinearProgram, cost_scale: float = 1.0) -> Any:
    """Return a ``highspy.HighsLp`` holding ``lp`` (the same arrays as :func:`pass_to_highs`),
    the objective multiplied by ``cost_scale``; for callers that attach names (``export``)."""
    import highspy

    arr = highs_arrays(lp, cost_scale)
    h = highspy.HighsLp()
    h.num_col_, h.num_row_ = len(arr.cost), len(arr.row_lower)
    h.col_cost_, h.col_lower_, h.col_upper_ = arr.cost, arr.lower, arr.upper
    h.row_lower_, h.row_upper_ = arr.row_lower, arr.row_upper
    h.offset_ = arr.offset
    h.sense_ = highspy.ObjSense.kMaximize if arr.sense == MAXIMIZE else highspy.ObjSense.kMinimize
    h.a_matrix_.format_ = highspy.MatrixFormat.kRowwise
    h.a_matrix_.num_col_, h.a_matrix_.num_row_ = h.num_col_, h.num_row_
    h.a_matrix_.start_, h.a_matrix_.index_, h.a_matrix_.value_ = arr.starts, arr.index, arr.value
    if arr.integrality.any():
        kinds = np.array([highspy.HighsVarType.kContinuous, highspy.HighsVarType.kInteger])
        h.integrality_ = kinds[arr.integrality].tolist()
    return h


def to_pyomo(lp: LinearProgram) -> Any:
    """Build a Pyomo ``ConcreteModel`` from ``lp``: ``m.<block>[label]`` and ``m.<family>[label]``.

    Variable blocks become ``Var`` components indexed by their labels; each constraint family
    becomes one ``Constraint`` indexed by its row labels; the objective is ``m.objective``.
    Each component's ``doc`` carries the family's mathematical statement.
    """
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

    m = pyo.ConcreteModel(name=lp.name)
    col_vars = _pyomo_vars(m, lp)
    _pyomo_constraints(m, lp, col_vars)
    cost, _, _, _ = lp.column_arrays()
    nz = np.flatnonzero(cost)
    obj_expr = (
        LinearExpression([float(cost[c]) * col_vars[c] for c in nz.tolist()]) + lp.objective_offset
    )
    m.objective = pyo.Objective(
        expr=obj_expr, sense=pyo.maximize if lp.sense == "max" else pyo.minimize
    )
    m._ecoopt_columns = col_vars  # column order, for reading a Pyomo solution back
    return m


def _pyomo_vars(m: Any, lp: LinearProgram) -> list[Any]:
    """One ``Var`` component per variable block on ``m``; returns the variables in column order."""
    import pyomo.environ as pyo

    col_vars: list[Any] = []
    for b in lp.vars.values():
        domain = pyo.Integers if b.integer else pyo.Reals
        if b.integer and np.all(b.lower >= 0) and np.all(b.upper <= 1):
            domain = pyo.Binary
        lower, upper = b.lower.tolist(), b.upper.tolist()
        labels = b.labels
        pos = {lab: k for k, lab in enumerate(labels)}

        def bounds(_m: Any, *idx: Any, _pos: dict = pos, _lo: list = lower, _hi: list = upper):
            k = _pos[idx[0] if len(idx) == 1 else idx]
            return (
                None if _lo[k] == -INF else _lo[k],
                None if _hi[k] == INF else _hi[k],
            )

        var = pyo.Var(labels, domain=domain, bounds=bounds, doc=b.doc)
        m.add_component(b.name, var)
        col_vars.extend(var[lab] for lab in labels)
    return col_vars


def _pyomo_constraints(m: Any, lp: LinearProgram, col_vars: list[Any]) -> None:
    """One ``Constraint`` component per row family on ``m``, indexed by its row labels."""
    import pyomo.environ as pyo
    from pyomo.core.expr.numeric_expr import LinearExpression

    for fam in lp.families.values():
        order = np.argsort(fam.rows, kind="stable")
        rows, cols, vals = fam.rows[order], fam.cols[order], fam.vals[order]
        bounds_at = np.searchsorted(rows, np.arange(fam.size + 1))
        exprs = {}
        for k, lab in enumerate(fam.labels):
            a, b_ = bounds_at[k], bounds_at[k + 1]
            expr = LinearExpression(
                [float(v) * col_vars[c] for c, v in zip(cols[a:b_].tolist(), vals[a:b_].tolist())]
            )
            lo = None if fam.lower[k] == -INF else float(fam.lower[k])
            hi = None if fam.upper[k] == INF else float(fam.upper[k])
            exprs[lab] = (lo, expr, hi)
        con = pyo.Constraint(
            fam.labels,
            rule=lambda _m, *idx, _e=exprs: _e[idx[0] if len(idx) == 1 else idx],
            doc=fam.doc,
        )
        m.add_component(fam.name, con)
