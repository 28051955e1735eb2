"""``levels`` built from each agent's admissible range [min_units, k_hi] equals the triples of
the dense agents × units admissibility grid (``model.admissible``, the definition), in the
same order and with the same dtypes, on seeded random instances."""

from __future__ import annotations

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoopt.gpushare.generate import generate
from ecoopt.gpushare.model import Levels, admissible, levels


def dense_levels(inst) -> Levels:  # noqa: ANN001
    """The triples as the grid gives them: every (agent, units) the mask admits, per slot."""
    parts = []
    for g, slot in enumerate(inst.slots):
        k = np.arange(1, slot.units_per_gpu + 1)
        agent, at = np.nonzero(admissible(inst, g, k))
        parts.append((agent, np.full(len(agent), g), k[at], k[at] / slot.units_per_gpu))
    cat = [np.concatenate([p[j] for p in parts]) for j in range(4)]
    return Levels(agent=cat[0], slot=cat[1], units=cat[2], share=cat[3])


@settings(max_examples=60)
@given(
    n=st.integers(1, 60),
    gpus=st.integers(1, 5),
    pooled=st.booleans(),
    units=st.sampled_from([1, 3, 7, 10, 100, 1000]),
    slo_fraction=st.sampled_from([0.0, 0.3, 1.0]),
    memory_gb=st.sampled_from([2.0, 6.0, 80.0]),  # small GPUs: some models fit none
    load=st.sampled_from([0.3, 0.8, 1.5]),
    seed=st.integers(0, 10_000),
)
def test_levels_equal_the_dense_grid(n, gpus, pooled, units, slo_fraction, memory_gb, load, seed):
    inst = generate(
        n,
        gpus,
        seed=seed,
        pooled=pooled,
        share_units=units,
        slo_fraction=slo_fraction,
        memory_gb=memory_gb,
        load=load,
    )
    got, want = levels(inst), dense_levels(inst)
    for name in ("agent", "slot", "units", "share"):
        a, b = getattr(got, name), getattr(want, name)
        assert a.dtype == b.dtype, name
        assert np.array_equal(a, b), name


def test_some_agents_have_no_level_and_ranges_are_contiguous():
    """The comparison above covers the edge: agents admissible nowhere (a model bigger than
    every GPU) and agents whose SLO cuts the low end of their range."""
    inst = generate(60, 3, seed=5, slo_fraction=1.0, memory_gb=2.0)
    lv = levels(inst)
    on_first = lv.agent[lv.slot == 0]
    assert len(np.unique(on_first)) < len(inst.agents)  # some agents fit no GPU
    lo = inst.arrays.min_share * inst.slots[0].units_per_gpu
    first = np.array(
        [lv.units[(lv.slot == 0) & (lv.agent == i)].min() for i in np.unique(on_first)]
    )
    assert np.any(first > np.maximum(1, np.ceil(lo[np.unique(on_first)])))  # the SLO binds


@settings(max_examples=40, deadline=None)
@given(seed=st.integers(0, 10_000), n=st.integers(1, 60), gpus=st.integers(1, 6))
def test_agents_on_a_slot_are_the_unique_agents_of_its_levels(seed, n, gpus):
    """``model.agents_on`` relies on the levels' order (slot, then agent): it must equal
    ``np.unique`` of the slot's agents on every slot."""
    import numpy as np

    from ecoopt.gpushare.generate import generate
    from ecoopt.gpushare.model import agents_on, levels

    inst = generate(n, gpus, seed=seed, pooled=bool(seed % 2))
    lv = levels(inst)
    for g in range(len(inst.slots)):
        assert np.array_equal(agents_on(lv, g), np.unique(lv.agent[lv.slot == g]))
