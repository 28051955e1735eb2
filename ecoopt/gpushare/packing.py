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
