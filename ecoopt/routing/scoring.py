"""CarbonEdge's Algorithm 1, vectorised: many decisions per numpy call, the same decisions.

The rule (``ecoopt.routing.policies``, module docstring): over the nodes that serve the task's
type, skip node n if load_n = o_n / cap_n > ``load_filter`` (o_n its outstanding requests,
cap_n its lanes × largest batch) or it fails the static latency filter (``eligible``); score

    S_n = w_R·F_n + w_L·(1 − load_n) + w_P·1/(1 + a_n) + w_B·1/(1 + 2·o_n) + w_C·1/(1 + I_n·E_n),
    E_n = P_n·(1000·a_n)/3.6e6,

(F_n the share of free lanes, a_n the batch-1 service time, P_n the node power, I_n the grid
intensity), summed in this order, and pick the highest score, the first node on ties; if every
node is skipped, the least loaded (the first on ties). Every function here evaluates those
floating-point expressions in the same order as the one-at-a-time policy, so its choices are
the policy's, bit for bit, not approximations.

Two forms:

* :func:`decide` — T tasks at once, each with its own snapshot of the node state (arrays T × N):
  one elementwise pass, ``argmax`` (which returns the first maximum) per row.
* :func:`decide_run` — m consecutive same-type tasks visible at one grid point, decided one
  after the other. Between them only the chosen node's o changes (o_n → o_n + 1): F_n, a_n,
  P_n, I_n stay (lanes start batches, and the hour changes, only between grid points).

**Why the merge is exact.** Write f_n(j) for node n's score with o_n + j outstanding. S_L and
S_B fall as o grows and the weights are ≥ 0, so f_n is non-increasing in j; n's eligibility,
(o_n + j)/cap_n ≤ load_filter (division by a positive constant is monotone in IEEE arithmetic)
and its static filter, holds for a prefix j < L_n. Give each element of n's sequence the key
(−f_n(j), n, j). The sequential rule, with n holding j_n requests, picks among eligible nodes
the greatest f_n(j_n), the least n on ties: the least head key (−f_n(j_n), n). Every element
left in n's sequence has a key ≥ its head's (f non-increasing, j increasing), so the least
head is the least element left of the whole union: step i picks the union's i-th least key,
i.e. the m picks are the m least keys of the union (a k-way merge). Once the union is used up
every node is skipped, and stays skipped (loads only grow), so the rest go by the fallback;
least loaded is the same merge with the non-decreasing sequences (o_n + j)/cap_n and keys
(load, n, j). :func:`decide_run` builds the candidates (at most min(m, L_n) per node), sorts
them by those keys (``np.lexsort``) and takes the first m.
"""

from __future__ import annotations

import math

import numpy as np

#: tasks scored per numpy pass in :func:`decide` (bounds the temporaries' memory)
CHUNK = 1 << 11


def e_est(power_w: np.ndarray, avg_s: np.ndarray) -> np.ndarray:
    """CarbonEdge's E_est = P·(1000·avg_time_s)/3.6e6, as its paper writes it (W and ms)."""
    return power_w * (1000.0 * avg_s) / 3.6e6


def _score(w, free, load, avg, out, intensity, energy):  # noqa: ANN001, ANN202
    """S in the policy's order of operations (``sum`` of w_i·s_i from the left)."""
    s_c = 1.0 / (1.0 + intensity * energy)
    return (
        w[0] * free
        + w[1] * (1.0 - load)
        + w[2] * (1.0 / (1.0 + avg))
        + w[3] * (1.0 / (1.0 + 2.0 * out))
        + w[4] * s_c
    )


def decide(
    outstanding: np.ndarray,
    free: np.ndarray,
    capacity: np.ndarray,
    avg_s: np.ndarray,
    power_w: np.ndarray,
    intensity: np.ndarray,
    weights: tuple[float, ...],
    load_filter: float = 0.8,
    eligible: np.ndarray | None = None,
) -> np.ndarray:
    """The node (column) Algorithm 1 picks for each of T tasks, each with its own snapshot:
    ``outstanding`` and ``free`` (share of free lanes) (T, N); ``capacity``, ``avg_s``,
    ``power_w``, ``eligible`` (the static latency filter) (N,); ``intensity`` (N,) or (T, N).
    The terms that do not depend on the task (w_P·S_P, and w_C·S_C for one intensity per node)
    are computed once per node; + and × commute exactly in IEEE arithmetic, so the in-place
    sums below give the policy's floats."""
    outstanding = np.asarray(outstanding)
    T, N = outstanding.shape
    avg_s, intensity = np.asarray(avg_s, float), np.asarray(intensity, float)
    ok = np.ones(N, bool) if eligible is None else np.asarray(eligible, bool)
    w = weights
    const_p = w[2] * (1.0 / (1.0 + avg_s))
    const_c = w[4] * (1.0 / (1.0 + intensity * e_est(np.asarray(power_w, float), avg_s)))
    pick = np.empty(T, dtype=np.int64)
    for a in range(0, T, CHUNK):
        b = min(a + CHUNK, T)
        pick[a:b] = _decide_chunk(outstanding[a:b], free[a:b], capacity, const_p,
                                  const_c if const_c.ndim == 1 else const_c[a:b], w,
                                  load_filter, ok)  # fmt: skip
    return pick


def _decide_chunk(o, free, capacity, const_p, const_c, w, load_filter, ok):  # noqa: ANN001, ANN202
    load = np.divide(o, capacity)
    keep = load <= load_filter
    keep &= ok
    s = np.multiply(free, w[0])  # w_R·F
    part = np.subtract(1.0, load)
    part *= w[1]
    s += part  # + w_L·(1 − load)
    s += const_p  # + w_P·S_P
    np.multiply(o, 2.0, out=part)
    part += 1.0
    np.divide(1.0, part, out=part)
    part *= w[3]
    s += part  # + w_B·S_B
    s += const_c  # + w_C·S_C
    np.putmask(s, ~keep, -np.inf)
    p = np.argmax(s, axis=1)  # argmax: the first of equal scores
    none = ~keep.any(axis=1)
    if none.any():
        p[none] = np.argmin(load[none], axis=1)
    return p


def _candidates(o: np.ndarray, upto: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per node n the counts o_n, o_n + 1, …, upto_n − 1, flattened: (node, count)."""
    length = np.maximum(upto - o, 0)
    node = np.repeat(np.arange(len(o)), length)
    start = np.repeat(np.cumsum(length) - length, length)
    return node, np.repeat(o, length) + (np.arange(len(node)) - start)


def decide_run(
    outstanding: np.ndarray,
    free: np.ndarray,
    capacity: np.ndarray,
    avg_s: np.ndarray,
    power_w: np.ndarray,
    intensity: np.ndarray,
    weights: tuple[float, ...],
    m: int,
    load_filter: float = 0.8,
    eligible: np.ndarray | None = None,
) -> np.ndarray:
    """The nodes (columns) Algorithm 1 picks, in order, for m same-type tasks decided one after
    the other from the state (N,) arrays given, each adding one to its node's outstanding count
    (the merge of the module docstring). The candidates are a grid (node, j) of counts
    o_n + j, j < min(m, a generous bound floor(lf·cap_n) + 2 − o_n) (the exact filter decides),
    flattened node by node, so positions order ties by (node, count)."""
    o = np.asarray(outstanding, dtype=np.int64)
    cap = np.asarray(capacity, dtype=np.int64)
    w = weights
    avg_s, intensity = np.asarray(avg_s, float), np.asarray(intensity, float)
    width = min(m, int((np.floor(load_filter * cap).astype(np.int64) + 2 - o).max(initial=0)))
    if width <= 0:
        return _least_loaded_run(o, cap, m)
    cnt = o[:, None] + np.arange(width)[None, :]  # (N, width)
    load = cnt / cap[:, None]
    valid = load <= load_filter
    if eligible is not None:
        valid &= np.asarray(eligible, bool)[:, None]
    a = (w[0] * np.asarray(free, float))[:, None]  # w_R·F per node
    c_p = (w[2] * (1.0 / (1.0 + avg_s)))[:, None]
    c_c = (w[4] * (1.0 / (1.0 + intensity * e_est(np.asarray(power_w, float), avg_s))))[:, None]
    s = a + w[1] * (1.0 - load) + c_p + w[3] * (1.0 / (1.0 + 2.0 * cnt)) + c_c
    key = np.where(valid, -s, np.inf).ravel()
    take = min(m, int(valid.sum()))
    picks = _first_m(key, take) // width if take else np.zeros(0, dtype=np.int64)
    if take < m:
        o_after = o + np.bincount(picks, minlength=len(o))
        picks = np.concatenate([picks, _least_loaded_run(o_after, cap, m - take)])
    return picks


def _first_m(key: np.ndarray, m: int) -> np.ndarray:
    """Positions of the m least ``key``, ties in position order: candidates come node by node,
    counts rising, so this is the order by (key, node, count). Only those at most the m-th
    least (``np.partition``) are sorted, stably."""
    if len(key) > m:
        sel = np.flatnonzero(key <= np.partition(key, m - 1)[m - 1])
        return sel[np.argsort(key[sel], kind="stable")][:m]
    return np.argsort(key, kind="stable")


def _least_loaded_run(o: np.ndarray, cap: np.ndarray, m: int) -> np.ndarray:
    """m picks of the least loaded node (the first on ties), one after the other: the m least
    (load, node, count) of the sequences (o_n + j)/cap_n. All m on node a would reach load
    (o_a + m − 1)/cap_a, so the m-th least is at most λ = the least of those: only counts
    with load ≤ λ are candidates (a generous integer bound, checked exactly)."""
    level = ((o + m - 1) / cap).min()
    upto = np.minimum(o + m, np.floor(level * cap).astype(np.int64) + 2)
    node, cnt = _candidates(o, upto)
    load = cnt / cap[node]
    keep = load <= level
    node, cnt, load = node[keep], cnt[keep], load[keep]
    return node[_first_m(load, m)]


def decide_one(
    outstanding: list[int],
    free: list[float],
    capacity: list[int],
    const_p: list[float],
    const_c: list[float],
    weights: tuple[float, ...],
    load_filter: float,
    eligible: list[bool],
) -> int:
    """One decision in plain Python (quicker than numpy over ten nodes), the same floats:
    ``const_p[n]`` = w_P·1/(1 + a_n) and ``const_c[n]`` = w_C·S_C,n precomputed, ``free``
    the share of free lanes; indices are positions in these lists."""
    w_r, w_l, _, w_b, _ = weights
    best, pick, n = -math.inf, -1, -1
    for o, c, f, p, q, e in zip(outstanding, capacity, free, const_p, const_c, eligible):
        n += 1
        load = o / c
        if load <= load_filter and e:
            s = w_r * f + w_l * (1.0 - load) + p + w_b * (1.0 / (1.0 + 2.0 * o)) + q
            if s > best:  # strict: the first of equal scores
                best, pick = s, n
    if pick < 0:  # every node filtered: the least loaded, the first on ties
        least = math.inf
        for n, (o, c) in enumerate(zip(outstanding, capacity)):
            if o / c < least:
                least, pick = o / c, n
    return pick
