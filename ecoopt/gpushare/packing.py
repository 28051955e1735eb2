"""Models onto the GPUs of a pool: an agent's weights live on one GPU, never spread over two.

A pooled slot (``pooled: true``) shares its compute: the agents' shares add up against the
pool's S GPUs, as the paper's G_total. Memory does not pool: each agent's model sits on one GPU
of the pool (its ``host``), and the models on a GPU must fit that GPU's memory, exactly in bytes
(``ecoopt.tolerance.fits_memory``). A pool powers the GPUs it needs, no more:

    powered = max(⌈Σ units / U⌉, number of GPUs hosting a model)

and only powered GPUs draw idle power (``physics.slot_rates`` gives the rate per GPU).
"""

from __future__ import annotations

import numpy as np

from ..tolerance import fits_memory

#: models × GPUs above which :func:`pack_models` no longer falls back to first-fit decreasing
#: (its O(N·S) scan) when dealing into the fewest GPUs fails: a few tenths of a second
FFD_CELLS = 4_000_000


def pack_models(
    memory: np.ndarray, gpu_bytes: float, n_gpus: int, *, powered: int = 0
) -> np.ndarray | None:
    """GPU index per model for a pool of ``n_gpus`` GPUs of ``gpu_bytes``, or None.

    1. **Deal** (O(N log N)): models by decreasing bytes go round-robin onto B GPUs, B the
       fewest that could hold the total, ⌈Σ bytes / gpu_bytes⌉. Dealt that way, two GPUs' loads
       differ by at most the largest model (the k-th model of GPU b is at least the k-th of
       GPU b+1, which is at least the (k+1)-th of GPU b), so the deal fits whenever
       Σ/B + max ≤ gpu_bytes; when it fits, B GPUs is the optimum.
    2. Otherwise **first-fit decreasing** (:func:`first_fit_decreasing`, ≤ 11/9·OPT + 6/9 GPUs)
       when N·S ≤ :data:`FFD_CELLS`; above that, the deal onto the fewest B ≥ ⌈Σ / (gpu_bytes −
       max)⌉ GPUs that holds it (guaranteed by the bound above), then FFD only if even that
       exceeds the pool.

    With ``powered`` = P > 0, the GPUs the pool powers anyway for its compute (⌈Σ units / U⌉),
    first the **split** of :func:`split_in_order` onto min(P, ``n_gpus``) GPUs (O(N), no sort):
    a pool powers max(P, GPUs hosting a model), so any packing onto ≤ P GPUs powers exactly P,
    as few as the fewest-GPU packing can. Then, if it overflows, the steps above.

    Models of 0 bytes go on GPU 0. None means the method found no packing, not that none exists.
    """
    memory = np.asarray(memory, dtype=float)
    if powered > 0 and len(memory):
        host = split_in_order(memory, gpu_bytes, min(int(powered), int(n_gpus)))
        if host is not None:
            return host
    heavy = memory > 0
    if not heavy.any():
        return np.zeros(len(memory), dtype=np.int64)
    biggest, total = float(memory.max()), float(memory[heavy].sum())
    if biggest > gpu_bytes or total > gpu_bytes * n_gpus:
        return None  # a model larger than a GPU, or more bytes than the pool: none exists
    fewest = max(1, int(np.ceil(total / gpu_bytes)))
    order = np.argsort(-memory)  # one sort for every deal
    host = _deal(memory, order, gpu_bytes, fewest) if fewest <= n_gpus else None
    if host is not None:
        return host
    if len(memory) * n_gpus <= FFD_CELLS or biggest >= gpu_bytes:
        return first_fit_decreasing(memory, gpu_bytes, n_gpus)
    enough = int(np.ceil(total / (gpu_bytes - biggest)))
    host = _deal(memory, order, gpu_bytes, enough) if enough <= n_gpus else None
    return host if host is not None else first_fit_decreasing(memory, gpu_bytes, n_gpus)


def split_in_order(memory: np.ndarray, gpu_bytes: float, n_gpus: int) -> np.ndarray | None:
    """Models in file order cut into ``n_gpus`` consecutive runs, or None if a run overflows.

    With c_i the bytes of models 0 … i−1 and T = Σ bytes / B (B = ``n_gpus``), model i goes
    on GPU ⌊c_i / T⌋ (capped at B−1): each GPU takes the models that *start* in its stretch
    [b·T, (b+1)·T), so its load is below T + the largest model, and the split fits whenever
    T + max ≤ ``gpu_bytes``. The loads are proved to fit from the prefix sums
    (:func:`_prefix_loads_fit`) or, near the limit, summed again and checked by
    :func:`_sums_fit`, so that the evaluator's sum, in whatever order, fits exactly
    (:func:`~ecoopt.tolerance.fits_memory`). O(N + B log N): one cumulative sum, a binary
    search per GPU boundary, and near the limit one sum per run. Models of 0 bytes go on GPU 0.
    """
    B = int(n_gpus)
    if B < 1:
        return None
    ends = np.cumsum(memory)  # ends[i] = c_{i+1}
    total = float(ends[-1])
    if total <= 0:
        return np.zeros(len(memory), dtype=np.int64)
    # first model of GPU b ≥ 1: the first i with c_i ≥ b·T, i.e. one past the first end ≥ b·T
    firsts = np.searchsorted(ends, np.arange(1, B) * (total / B), side="left") + 1
    starts = np.concatenate([[0], np.minimum(firsts, len(memory))])
    bounds = np.append(starts, len(memory))
    counts, terms = np.diff(bounds), int(np.diff(bounds).max())
    if not _prefix_loads_fit(ends, bounds, gpu_bytes, terms):
        busy = counts > 0
        loads = np.zeros(B)
        loads[busy] = np.add.reduceat(memory, starts[busy])
        if not _sums_fit(loads, terms, gpu_bytes, memory, total):
            return None
    host = np.repeat(np.arange(B, dtype=np.int64), counts)
    if not bool(memory.all()):  # 0-byte models onto GPU 0
        host[memory <= 0] = 0
    return host


def _prefix_loads_fit(ends: np.ndarray, bounds: np.ndarray, gpu_bytes: float, terms: int) -> bool:
    """Whether every run [bounds[b], bounds[b+1]) fits ``gpu_bytes`` however it is summed,
    proved from the prefix sums ``ends`` alone (no second pass over the models); False means
    "not proved", and :func:`_sums_fit` then decides on the runs summed again.

    Any order of summing N non-negative floats errs by at most N·u·Σ (u = 2⁻⁵³), so each
    computed prefix is within N·u·total of the exact one and a run's load, the difference of
    two prefixes, within 2N·u·total, plus u·load for the subtraction. An exact load at most
    ``gpu_bytes``·(1 − 4·terms·u) (the margin of :func:`_sums_fit`) fits in every order.
    """
    n, total, u = len(ends), float(ends[-1]), 2.0**-53
    prefix = np.where(bounds > 0, ends[np.maximum(bounds - 1, 0)], 0.0)
    slack = 2.1 * n * u * total + u * gpu_bytes
    return bool(np.all(np.diff(prefix) + slack <= gpu_bytes * (1.0 - 4.0 * terms * u)))


def _sums_fit(
    loads: np.ndarray, terms: int, gpu_bytes: float, memory: np.ndarray, total: float
) -> bool:
    """Whether sums of at most ``terms`` non-negative floats, computed here as ``loads``, fit
    ``gpu_bytes`` however else they are summed.

    Any order of summing n non-negative floats is within (n−1)·2⁻⁵³ of the exact sum (relative),
    so a load under ``gpu_bytes``·(1 − 4n·2⁻⁵³) fits in every order. A load between that and
    ``gpu_bytes`` fits only when the sums are exact: whole bytes and a total below 2⁵³.
    """
    if bool(np.all(loads <= gpu_bytes * (1.0 - 4.0 * terms * 2.0**-53))):
        return True
    if not bool(np.all(fits_memory(loads, gpu_bytes))):
        return False
    return total < 2.0**53 and bool(np.all(memory == np.floor(memory)))


def _deal(
    memory: np.ndarray, order: np.ndarray, gpu_bytes: float, n_gpus: int
) -> np.ndarray | None:
    """Models in ``order`` (decreasing bytes) round-robin onto ``n_gpus`` GPUs; None if one
    overflows."""
    host = np.empty(len(memory), dtype=np.int64)
    host[order] = np.arange(len(memory)) % n_gpus
    host[memory <= 0] = 0
    load = np.bincount(host, weights=np.where(memory > 0, memory, 0.0), minlength=n_gpus)
    return host if bool(np.all(load <= gpu_bytes)) else None


def first_fit_decreasing(memory: np.ndarray, gpu_bytes: float, n_gpus: int) -> np.ndarray | None:
    """GPU index (0 … n_gpus−1) per model by first-fit decreasing, or None if one does not fit.

    Models of 0 bytes go on GPU 0. FFD packs into at most 11/9·OPT + 6/9 GPUs; a ``None`` does not
    prove that no packing exists (the MILP decides that).
    """
    memory = np.asarray(memory, dtype=float)
    host = np.zeros(len(memory), dtype=np.int64)
    free = np.full(n_gpus, float(gpu_bytes))
    for i in np.argsort(-memory, kind="stable"):
        if memory[i] <= 0:
            break
        fits = np.flatnonzero(memory[i] <= free)
        if len(fits) == 0:
            return None
        host[i] = fits[0]
        free[fits[0]] -= memory[i]
    return host


def powered_gpus(units_used: int, units_per_gpu: int, hosts: np.ndarray) -> int:
    """GPUs a slot must power: enough for its compute and one per GPU hosting a model."""
    if len(hosts) == 0:
        return 0
    compute = -(-int(units_used) // int(units_per_gpu))  # exact integer ceiling
    return max(compute, len(np.unique(hosts)), 1)
