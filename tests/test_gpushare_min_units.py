"""``min_units`` (a vectorised binary search) equals the first admissible unit of the dense grid."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

import ecoopt
from ecoopt.gpushare.generate import generate
from ecoopt.gpushare.model import admissible, min_units


def dense_min_units(inst, g: int) -> np.ndarray:
    U = inst.slots[g].units_per_gpu
    ok = admissible(inst, g, np.arange(1, U + 1))
    return np.where(ok.any(axis=1), ok.argmax(axis=1) + 1, U + 1)


INSTANCES = [
    generate(n, m, seed=s, slo_fraction=f, share_units=u)
    for n, m, s, f, u in [
        (40, 3, 1, 0.5, 100),
        (25, 2, 2, 1.0, 7),
        (60, 4, 3, 0.8, 1000),
        (10, 1, 4, 1.0, 1),
    ]
]


@pytest.mark.parametrize(
    "inst",
    INSTANCES
    + [
        ecoopt.load(f)
        for f in sorted((Path(__file__).parents[1] / "instances" / "gpushare").glob("*.yaml"))
    ],
)
def test_binary_search_equals_the_dense_grid(inst):
    for g in range(len(inst.slots)):
        assert np.array_equal(min_units(inst, g), dense_min_units(inst, g))
