"""Packing a pool's models onto the GPUs its compute powers anyway (``pack_models(powered=P)``).

A pool powers max(⌈Σ units / U⌉, GPUs hosting a model) GPUs, so a packing onto at most the P
GPUs the compute needs is as good as the fewest-GPU packing. These tests hold the O(N) split to
that: it packs whenever the sorted deal or first-fit decreasing does, every GPU fits exactly,
and the pool never powers more GPUs than with the packing found without ``powered``.
"""

from __future__ import annotations

import math

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from ecoopt.gpushare import HEURISTICS, evaluate
from ecoopt.gpushare.generate import generate
from ecoopt.gpushare.packing import _prefix_loads_fit, pack_models, powered_gpus, split_in_order


def check_packing(host: np.ndarray, memory: np.ndarray, gpu_bytes: float, n_gpus: int) -> None:
    assert host.dtype.kind == "i" and host.shape == memory.shape
    assert host.min(initial=0) >= 0 and host.max(initial=0) < n_gpus
    load = np.bincount(host, weights=memory, minlength=n_gpus)
    assert (load <= gpu_bytes).all()
    assert (host[memory <= 0] == 0).all()


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(0, 10), min_size=1, max_size=300),
    st.floats(1, 40),
    st.integers(1, 60),
    st.integers(0, 80),
)
def test_packing_onto_the_powered_gpus_never_powers_more(sizes, gpu_bytes, n_gpus, compute):
    memory = np.round(np.array(sizes, dtype=float), 3)
    before = pack_models(memory, gpu_bytes, n_gpus)
    host = pack_models(memory, gpu_bytes, n_gpus, powered=compute)
    if before is not None:
        assert host is not None  # packs whenever the packing without ``powered`` does
    if host is None:
        return
    check_packing(host, memory, gpu_bytes, n_gpus)
    units = 10 * min(compute, n_gpus)  # compute that powers min(compute, n_gpus) GPUs of 10
    if before is not None:
        assert powered_gpus(units, 10, host) <= powered_gpus(units, 10, before)


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.integers(0, 10**9), min_size=1, max_size=400),
    st.integers(1, 50),
    st.floats(0, 1e-3),
)
def test_split_fits_whenever_share_plus_largest_fits(sizes, n_gpus, slack):
    memory = np.array(sizes, dtype=float)
    gpu_bytes = (memory.sum() / n_gpus + memory.max()) * (1 + 1e-9 + slack)
    if gpu_bytes <= 0:
        return
    host = split_in_order(memory, gpu_bytes, n_gpus)
    assert host is not None  # the bound T + max ≤ gpu_bytes guarantees the split
    check_packing(host, memory, gpu_bytes, n_gpus)
    assert (np.diff(host[memory > 0]) >= 0).all()  # runs in file order


@settings(max_examples=300, deadline=None)
@given(
    st.lists(st.floats(0, 1e12), min_size=1, max_size=200),
    st.lists(st.integers(0, 200), max_size=20),
    st.floats(-1e-12, 1e-12),
)
def test_prefix_proof_never_accepts_a_run_that_overflows(sizes, cuts, nudge):
    memory = np.array(sizes, dtype=float)
    n = len(memory)
    bounds = np.array(sorted({0, n, *(min(c, n) for c in cuts)}), dtype=np.int64)
    runs = [memory[a:b] for a, b in zip(bounds[:-1], bounds[1:])]
    exact = max(math.fsum(r) for r in runs)
    gpu_bytes = exact * (1.0 + nudge) if exact > 0 else 1.0  # at the largest run's load
    terms = int(np.diff(bounds).max())
    if _prefix_loads_fit(np.cumsum(memory), bounds, gpu_bytes, terms):
        for r in runs:  # the exact sum and sums in two orders all fit
            assert math.fsum(r) <= gpu_bytes
            assert float(np.sum(r)) <= gpu_bytes and float(np.sum(r[::-1])) <= gpu_bytes
    if exact > 0:  # a generous GPU is proved from the prefixes alone
        assert _prefix_loads_fit(np.cumsum(memory), bounds, exact * 1.001 + 1.0, terms)


def test_split_refuses_a_run_that_overflows():
    # T = 10, max = 9: 3 + 9 land on GPU 0 (starts 0 and 3 < 10), 12 bytes on a GPU of 11
    memory = np.array([3.0, 9.0, 8.0])
    assert split_in_order(memory, 11.0, 2) is None
    assert split_in_order(memory, 12.0, 2) is not None


@settings(max_examples=20, deadline=None)
@given(st.integers(20, 3000), st.integers(0, 10_000), st.sampled_from(["adaptive", "static_equal"]))
def test_pool_plans_power_only_the_gpus_their_compute_needs(n, seed, method):
    inst = generate(n, max(2, n // 10), seed=seed, pooled=True)
    plan = HEURISTICS[method](inst)
    ev = evaluate(inst, plan)
    slot = inst.slots[0]
    units = int(np.round(plan.share * slot.units_per_gpu).sum())
    compute = -(-units // slot.units_per_gpu)
    fit = slot.gpu.memory_bytes >= inst.arrays.memory.sum() / compute + inst.arrays.memory.max()
    if fit:  # the split's guarantee: the models sit on the GPUs the compute powers
        assert ev.metrics["gpus_used"] == compute
        assert not [v for v in ev.violations if "memory" in v]
