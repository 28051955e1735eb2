"""The array hand-off gives HiGHS exactly the LinearProgram's model.

HiGHS's own copy (``getLp()``, read back after ``passModel``) is compared with the
LinearProgram's blocks directly (triplets from each family, not ``row_arrays``), for the array
path (``pass_to_highs``) and the ``HighsLp`` one (``to_highs``, kept for export's names).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ecoopt
from ecoopt.gpushare.generate import generate
from ecoopt.highs import new_highs
from ecoopt.lp import INF, Labels, LinearProgram, pass_to_highs, to_highs
from ecoopt.problems import spec_for

INSTANCES = Path(__file__).resolve().parents[1] / "instances"


def _small_lp(sense: str) -> LinearProgram:
    """Two blocks, three families (ranged, equality, one-sided), negative entries, an offset."""
    lp = LinearProgram(name="small", sense=sense, objective_offset=2.5)
    x = lp.add_vars("x", ["a", "b", "c"], upper=np.array([4.0, INF, 1.0]), cost=[1.0, -2.0, 0.5])
    y = lp.add_vars("y", [0, 1], lower=-3.0, upper=3.0, integer=True, cost=[0.0, 7.0])
    lp.add_rows(
        "r1",
        ["p", "q"],
        [1, 0, 0, 1],
        [x.cols[0], y.cols[1], x.cols[2], x.cols[1]],
        [1.0, -1.5, 2.0, 0.25],
        lower=[-1.0, 0.0],
        upper=[5.0, INF],
    )
    lp.add_rows("r2", ["s"], [0, 0], [y.cols[0], x.cols[1]], [3.0, 1.0], lower=2.0, upper=2.0)
    return lp


def _models() -> list[tuple[str, LinearProgram]]:
    out = [("small_min", _small_lp("min")), ("small_max", _small_lp("max"))]
    cases = [
        ("gpushare_latency", generate(40, 3, seed=1, slo_fraction=0.5), "latency"),
        ("gpushare_pool_carbon", generate(60, 6, seed=3, pooled=True), "carbon"),
        ("gpushare_throughput", generate(25, 2, seed=2, share_units=7), "throughput"),
        ("partition", ecoopt.load(INSTANCES / "partition" / "carbonedge_mobilenet_v2.yaml"), None),
    ]
    for name, inst, objective in cases:
        out.append((name, spec_for(inst).formulate(inst, objective or inst.objective)))
    return out


MODELS = _models()


def _small_matrix_value() -> float:
    """HiGHS's option (highspy ≥ 1.16 answers (status, value), earlier ones the value)."""
    answer = new_highs().getOptionValue("small_matrix_value")
    return float(answer[1] if isinstance(answer, tuple) else answer)


def _triplets_of_lp(lp: LinearProgram) -> np.ndarray:
    """(row, col, value) of every entry, rows numbered family after family, sorted; without
    the entries HiGHS drops (|value| at most its ``small_matrix_value``, e.g. explicit zeros,
    which partition's flow rows carry)."""
    parts, offset = [], 0
    for fam in lp.families.values():
        parts.append(np.column_stack([fam.rows + offset, fam.cols, fam.vals]))
        offset += fam.size
    t = np.concatenate(parts) if parts else np.zeros((0, 3))
    t = t[np.abs(t[:, 2]) > _small_matrix_value()]
    return t[np.lexsort((t[:, 1], t[:, 0]))]


def _triplets_of_highs(model) -> np.ndarray:  # noqa: ANN001
    """(row, col, value) of HiGHS's matrix, whichever way it stores it, sorted."""
    import highspy

    a = model.a_matrix_
    start, index, value = np.asarray(a.start_), np.asarray(a.index_), np.asarray(a.value_)
    outer = np.repeat(np.arange(len(start) - 1), np.diff(start))
    rowwise = a.format_ == highspy.MatrixFormat.kRowwise
    rows, cols = (outer, index) if rowwise else (index, outer)
    t = np.column_stack([rows, cols, value]).astype(float)
    return t[np.lexsort((t[:, 1], t[:, 0]))]


def _read_back(lp: LinearProgram, scale: float, via: str):  # noqa: ANN202
    import highspy

    h = new_highs()
    status = pass_to_highs(h, lp, scale) if via == "arrays" else h.passModel(to_highs(lp, scale))
    assert status == highspy.HighsStatus.kOk
    return h.getLp()


@pytest.mark.parametrize("via", ["arrays", "highs_lp"])
@pytest.mark.parametrize(("name", "lp"), MODELS, ids=[m[0] for m in MODELS])
def test_highs_holds_the_linear_programs_model(name, lp, via):
    import highspy

    scale = 0.125  # a power of two: the scaled costs are exact
    got = _read_back(lp, scale, via)
    cost, lower, upper, integ = lp.column_arrays()
    assert (got.num_col_, got.num_row_) == (lp.num_cols, lp.num_rows)
    assert np.array_equal(np.asarray(got.col_cost_), cost * scale)
    assert np.array_equal(np.asarray(got.col_lower_), lower)
    assert np.array_equal(np.asarray(got.col_upper_), upper)
    lo = np.concatenate([f.lower for f in lp.families.values()])
    hi = np.concatenate([f.upper for f in lp.families.values()])
    assert np.array_equal(np.asarray(got.row_lower_), lo)
    assert np.array_equal(np.asarray(got.row_upper_), hi)
    assert got.offset_ == lp.objective_offset * scale
    maximise = got.sense_ == highspy.ObjSense.kMaximize
    assert maximise == (lp.sense == "max")
    kinds = [k == highspy.HighsVarType.kInteger for k in got.integrality_]
    assert kinds == [bool(i) for i in integ] or (not integ.any() and kinds == [])
    assert np.array_equal(_triplets_of_highs(got), _triplets_of_lp(lp))


def test_relaxation_is_the_same_model_without_integers():
    import highspy

    lp = MODELS[2][1]
    h = new_highs()
    assert pass_to_highs(h, lp, relax=True) == highspy.HighsStatus.kOk
    got = h.getLp()
    assert all(k == highspy.HighsVarType.kContinuous for k in got.integrality_)
    assert np.array_equal(_triplets_of_highs(got), _triplets_of_lp(lp))


def test_labels_are_built_only_when_read():
    inst = generate(40, 3, seed=1)
    lp = spec_for(inst).formulate(inst, "latency")
    labels = lp.vars["assign"].labels
    assert isinstance(labels, Labels) and "lazy" in repr(labels)
    ecoopt.solve(inst, "latency")  # a solve needs no label
    assert "lazy" in repr(labels)
    lv = lp.meta["levels"]
    names = inst.arrays.names
    assert labels[0] == (names[lv.agent[0]], inst.slots[lv.slot[0]].name, int(lv.units[0]))
    assert len(list(labels)) == len(labels) == len(lv.agent)
