"""partition cuts: cover cuts (``ecoopt.cuts``) for the layers whose weights overflow a device,
and the period floor, a lower bound on the period of every plan (:func:`period_floor_s`)."""

from __future__ import annotations

from functools import partial
from typing import Any

import numpy as np

from ..cuts import cover
from ..lp import LinearProgram
from ..tolerance import fits_memory
from .evaluate import Plan
from .instance import PartitionData, PartitionInstance


def memory_cuts(
    inst: PartitionInstance, lp: LinearProgram, plan: Plan
) -> list[tuple[Any, Any, float]]:
    """For every device whose layers in ``plan`` overflow its memory, exactly in bytes:
    Σ_{l∈S} place[l,d] ≤ |S| − 1 (S the layers placed there)."""
    data = inst.data
    index = {n: j for j, n in enumerate(data.devices)}
    if any(d not in index for d in plan.device):
        return []
    dev = np.array([index[d] for d in plan.device])
    pl, pd = lp.meta["index"][:2]
    out = []
    for d in np.unique(dev):
        members = np.flatnonzero(dev == d)
        if fits_memory(data.param_bytes[members].sum(), data.memory_bytes[d]):
            continue
        pick = np.flatnonzero((pd == d) & np.isin(pl, members))
        out.append(cover(f"{data.devices[d]}", lp.vars["place"].cols[pick], len(members)))
    return out


# --- period floor: a lower bound on the period of every plan ------------------------------

#: relative back-off of the period floor, so that float rounding in its sums (≈ 1e-16 per
#: term) can never put it above a plan's period as the evaluator sums it; below the REL of
#: ``ecoopt.tolerance`` (1e-9), so a plan that meets the floor is still proven optimal
FLOOR_BACKOFF = 1e-12


def crossing_times_s(data: PartitionData) -> np.ndarray:
    """τ_e (s) per edge: the least time edge e's tensor can occupy a link, bytes_e / β with
    β the largest bandwidth of any link (∞ when there is no link between distinct devices)."""
    D = len(data.devices)
    linked = data.linked & ~np.eye(D, dtype=bool)
    if not linked.any():
        return np.full(len(data.edges), np.inf)
    beta = float(data.bandwidth[linked].max())
    return np.asarray(data.edge_bytes, dtype=float) / beta


def _edge_nodes(data: PartitionData) -> tuple[np.ndarray, np.ndarray]:
    """Both ends of every edge as node numbers: layers 0 … L−1, input L, output L+1."""
    L = len(data.layers)
    ends = np.array(data.edges, dtype=np.int64).reshape(-1, 2)
    return np.where(ends[:, 0] < 0, L, ends[:, 0]), np.where(ends[:, 1] >= L, L + 1, ends[:, 1])


def _roots(parent: np.ndarray) -> np.ndarray:
    """Every node's root in the forest ``parent`` (pointer jumping, O(n log n))."""
    r = parent.copy()
    while not np.array_equal(r[r], r):
        r = r[r]
    return r


def colocation_closure(
    data: PartitionData, tau: np.ndarray, theta: float
) -> tuple[np.ndarray, float]:
    r"""The finest grouping of the nodes that every plan of period ≤ θ keeps together, and the
    least bundle time that forced a merge (∞ if none): the grouping is the same for every
    θ' in [θ, that time).

    Start: every node alone, except ``input`` with ``output`` when source = sink. Merge any
    two groups A ≠ B whose bundle s_AB = Σ_{edges between A and B, either way} τ_e exceeds
    θ, until none does. Proof: let a plan have period P ≤ θ and let A, B each lie on one
    device. If a(A) ≠ a(B), every edge between A and B crosses the one link {a(A), a(B)}, so
    that link is busy ≥ Σ bytes_e / bandwidth ≥ s_AB > θ ≥ P, a contradiction: A ∪ B lies on
    one device too. The result is unique (the finest partition coarser than the start with
    no bundle > θ between groups; merges in any order reach it). Each round merges every
    such pair at once: O(L) rounds of O(E log E).
    """
    L = len(data.layers)
    u, v = _edge_nodes(data)
    parent = np.arange(L + 2)
    if data.source == data.sink:
        parent[L] = L + 1
    forced = np.inf
    while True:
        parent = _roots(parent)
        a, b = np.minimum(parent[u], parent[v]), np.maximum(parent[u], parent[v])
        cross = a != b
        key, where = np.unique(a[cross] * (L + 2) + b[cross], return_inverse=True)
        bundle = np.bincount(where, weights=tau[cross], minlength=len(key))
        big = bundle > theta
        if not big.any():
            return parent, forced
        forced = min(forced, float(bundle[big].min()))
        for x, y in zip(*np.divmod(key[big], L + 2)):
            rx, ry = _find(parent, int(x)), _find(parent, int(y))
            parent[max(rx, ry)] = min(rx, ry)


def _find(parent: np.ndarray, x: int) -> int:
    while parent[x] != x:
        x = int(parent[x])
    return x


def group_times_s(data: PartitionData, root: np.ndarray) -> np.ndarray | None:
    """p_C (s) per group C of nodes (:func:`colocation_closure`): the least compute time of C
    on one device that can hold it, i.e. whose memory fits C's weights (exact, in bytes) and
    that is the source if C holds ``input`` and the sink if C holds ``output``. None when
    some group has no such device (then no plan keeps every group together)."""
    L, D = data.time_s.shape
    groups, of = np.unique(root, return_inverse=True)
    time = np.zeros((len(groups), D))
    np.add.at(time, of[:L], data.time_s)
    weights = np.bincount(of[:L], weights=data.param_bytes, minlength=len(groups))
    ok = fits_memory(weights[:, None], data.memory_bytes[None, :])
    for node, pinned in ((L, data.source), (L + 1, data.sink)):
        ok[of[node]] &= np.arange(D) == pinned
    if not ok.any(axis=1).all():
        return None
    return np.where(ok, time, np.inf).min(axis=1)


def packing_floor_s(p: np.ndarray, n_devices: int) -> float:
    r"""A lower bound (s) on the largest device busy time when items of least times p (each
    whole on one of D devices) are placed, the bounds of P||Cmax:

    * max_C p_C (an item runs on some device);
    * Σ_C p_C / D (the busiest device has at least the mean);
    * for k ≥ 1 with kD + 1 ≤ n items, p_(kD−k+1) + … + p_(kD+1) (p sorted decreasing,
      1-based): among the kD + 1 largest items some device holds k + 1 (pigeonhole), and
      those sum to at least the k + 1 smallest of them.

    O(n log n).
    """
    p = np.sort(np.asarray(p, dtype=float))[::-1]
    best = max(float(p[0]), float(p.sum()) / n_devices)
    window = np.concatenate([[0.0], np.cumsum(p)])
    for k in range(1, (len(p) - 1) // n_devices + 1):
        best = max(best, float(window[k * n_devices + 1] - window[k * n_devices - k]))
    return best


def group_bundles(
    data: PartitionData, tau: np.ndarray, root: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(g, h, b): every ordered pair of distinct groups joined by an edge, as indices into the
    groups of ``np.unique(root)``, and their bundle b (s), Σ τ_e over the edges between them
    either way. Each unordered pair appears twice, once from each side."""
    u, v = _edge_nodes(data)
    _, of = np.unique(root, return_inverse=True)
    gu, gv = of[u], of[v]
    cross = gu != gv
    a, b = np.minimum(gu, gv)[cross], np.maximum(gu, gv)[cross]
    n = int(of.max()) + 1
    key, where = np.unique(a * n + b, return_inverse=True)
    bundle = np.bincount(where, weights=tau[cross], minlength=len(key))
    lo, hi = np.divmod(key, n)
    return np.concatenate([lo, hi]), np.concatenate([hi, lo]), np.concatenate([bundle] * 2)


def star_floor_s(p: np.ndarray, bundles, n_devices: int, theta: float) -> float:  # noqa: ANN001
    r"""max_H [p_H + c_H(θ)]: a lower bound on the period P = θ of a plan that keeps every
    group together, from the links around each group H.

    H runs on some device X. A neighbour group N_i (bundle b_i to H, least time c_i = p_{N_i})
    either runs on X too, adding c_i to X's busy time, or puts b_i on the link from X to its
    device; neighbours on one device share that link, so the neighbours off X are split
    among the D − 1 other devices with Σ b ≤ P on each. Hence (i) at most D − 1 of those with
    b_i > P/2 are off X, and (ii) Σ_{off X} b_i ≤ (D − 1)·P. c_H(θ) is the larger of the least
    Σ c_i to bring onto X for (i) (the cheapest surplus big ones) and for (ii) (the
    fractional knapsack, by c/b ascending), each a lower bound on what X must also run.
    Non-increasing in θ (what :func:`_interval_floor` needs): as θ grows (ii)'s excess
    shrinks, and (i)'s big set loses r members while the count to bring in falls by r; the
    k-th cheapest of the smaller set is at most the (k + r)-th of the larger, so the sum
    cannot rise. O(Σ_H deg H · log).
    """
    g, h, b = bundles
    best = 0.0
    order = np.argsort(g, kind="stable")
    g, h, b = g[order], h[order], b[order]
    starts = np.searchsorted(g, np.arange(len(p) + 1))
    for H in np.flatnonzero(starts[1:] > starts[:-1]):
        bh, ch = b[starts[H] : starts[H + 1]], p[h[starts[H] : starts[H + 1]]]
        best = max(best, float(p[H]) + _star_extra(bh, ch, n_devices - 1, theta))
    return best


def _star_extra(b: np.ndarray, c: np.ndarray, bins: int, theta: float) -> float:
    """c_H(θ) of :func:`star_floor_s` for one group: neighbours' bundles b, times c."""
    big = np.sort(c[b > theta / 2])
    surplus = len(big) - bins
    need_i = float(big[:surplus].sum()) if surplus > 0 else 0.0
    excess = float(b.sum()) - bins * theta
    need_ii = 0.0
    if excess > 0:
        pos = b > 0
        ratio_order = np.argsort(c[pos] / b[pos], kind="stable")
        bb, cc = b[pos][ratio_order], c[pos][ratio_order]
        before = np.concatenate([[0.0], np.cumsum(bb)[:-1]])
        take = np.clip((excess - before) / bb, 0.0, 1.0)
        need_ii = float((take * cc).sum())
    return max(need_i, need_ii)


def _group_floor_s(packed: float, p: np.ndarray, bundles, n_devices: int, theta: float) -> float:  # noqa: ANN001
    """F(θ) of :func:`period_floor_s` for fixed groups: packing and star bounds."""
    return max(packed, star_floor_s(p, bundles, n_devices, theta))


def _interval_floor(F, theta: float, next_theta: float) -> float | None:  # noqa: ANN001
    """inf {θ' ∈ [θ, θ⁺) : θ' ≥ F(θ')} for F non-increasing there (so the set is an up-set),
    or None when it is empty. Found by bisection; the value returned is the last θ' shown to
    lie outside the set (or θ itself), so it never exceeds the infimum: a valid bound."""
    if F(theta) <= theta:
        return theta
    hi = F(theta)
    if hi >= next_theta:
        hi = float(np.nextafter(next_theta, 0.0))
        if not hi > theta or F(hi) > hi:
            return None
    lo = theta
    while hi - lo > 1e-13 * hi:
        mid = 0.5 * (lo + hi)
        if F(mid) <= mid:
            hi = mid
        else:
            lo = mid
    return lo


def period_floor_s(data: PartitionData, max_steps: int | None = None) -> float:
    r"""A lower bound (s) on the period of every plan: the least θ with θ ≥ F(θ), where
    F(θ) is, for the groups of :func:`colocation_closure` at θ, the larger of
    :func:`packing_floor_s` and :func:`star_floor_s` (∞ if a group fits no device).

    Validity: a plan of period P keeps every group of the closure at θ = P on one device, so
    P ≥ F(P) (both bounds hold for such a plan): P is in S = {θ : θ ≥ F(θ)}, so P ≥ inf S.
    Computation: sweep θ upwards from 0; the closure is constant on [θ, θ⁺) (θ⁺ the least
    bundle that forced a merge) and F non-increasing there, so S ∩ [θ, θ⁺) is an up-set
    whose infimum :func:`_interval_floor` finds (bisection); the first non-empty one gives
    inf S, otherwise θ ← θ⁺. Each step strictly raises θ to a bundle time; after
    ``max_steps`` steps (default 4·(E + 1)) the θ reached is returned, still a valid bound
    (no smaller value is in S). 0 when the graph has no layer. Cost O(steps·L·E log E)
    plus ≈ 45 bisection steps of O(E log E) in the last interval.
    """
    L, D = data.time_s.shape
    if L == 0:
        return 0.0
    tau = crossing_times_s(data)
    theta = 0.0
    for _ in range(max_steps if max_steps is not None else 4 * (len(tau) + 1)):
        root, next_theta = colocation_closure(data, tau, theta)
        p = group_times_s(data, root)
        if p is not None:
            bundles = group_bundles(data, tau, root)
            at = partial(_group_floor_s, packing_floor_s(p, D), p, bundles, D)
            floor = _interval_floor(at, theta, next_theta)
            if floor is not None:
                return floor
        if not np.isfinite(next_theta):
            return theta
        theta = next_theta
    return theta
