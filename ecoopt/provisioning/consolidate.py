"""``carbon_fill``'s consolidation: which SKU serves each class, found by local search.

Each SKU is sized for the summed peak need of its classes, n_s = ⌈max_p Σ_{c on s} need[p,c,s]⌉
over P peak slots, and priced by its fleet (owned servers first, then new ones, inf beyond the
fleet limit); each class adds its own energy on its SKU. A move takes one class to another SKU,
or every class of one SKU to another; every pass makes the best improving move, until none
improves or 4·C passes have run.

All starts run at once, one row of each array per start, so a pass costs one set of numpy
calls for every start together. A move changes two SKUs, so a pass re-prices only those: the
two SKUs' fleets, each class's price of joining either, and the merges into or out of them:
O(B·((C + S)·P + C·S + S²)) per pass for B starts instead of O(B·(C·S + S²)·P) from scratch
(``tests/test_provisioning_consolidate.py`` checks the two agree after every move). The
benchmark ``benchmarks/provisioning_scale.py`` times ``carbon_fill`` as a whole.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

#: a move must lower the price by more than this to be made
IMPROVES = 1e-12


@dataclass
class FleetPrices:
    """Per start b and SKU s: the weighted metrics of n servers over the horizon,
    own·min(n, K) + new·max(n − K, 0), inf when max(n − K, 0) > cap (the fleet limit)."""

    own: np.ndarray  # (B, S) per owned server worth keeping
    kept: np.ndarray  # (B, S) owned servers worth keeping
    new: np.ndarray  # (B, S) per new server (0 where the SKU has no option)
    cap: np.ndarray  # (B, S) new servers allowed

    def __call__(self, n: np.ndarray, b: np.ndarray, s: np.ndarray) -> np.ndarray:
        """Price of ``n`` servers for starts ``b`` on SKUs ``s`` (index arrays broadcast to n)."""
        return self.at(b * self.own.shape[1] + s, n)

    def at(self, flat: np.ndarray, n: np.ndarray) -> np.ndarray:
        """Price of ``n`` servers at the flat indices b·S + s (``flat``: n's shape)."""
        K = self.kept.take(flat)
        extra = np.maximum(n - K, 0.0)
        out = self.own.take(flat) * np.minimum(n, K) + self.new.take(flat) * extra
        out[extra > self.cap.take(flat)] = np.inf
        return out


def _servers(load: np.ndarray) -> np.ndarray:
    """Whole servers for the peak of ``load`` (P, …) over its first axis, the peak slots
    (first: numpy reduces a leading axis many times faster than a short trailing one)."""
    return np.ceil(np.maximum(load.max(axis=0), 0.0) - 1e-9)


@dataclass
class _State:
    """Every start's assignment and the prices a pass compares (``consolidate``)."""

    sku: np.ndarray  # (B, C) SKU of each class
    onehot: np.ndarray  # (B, C, S) 1 where class c is on SKU s
    group: np.ndarray  # (P, B, S, S) group[p, b, s1, s2] = Σ_{c on s1} need[p, c, s2]
    load: np.ndarray  # (P, B, S) = group[p, b, s, s]
    base: np.ndarray  # (B, S) price of each SKU's fleet
    join: np.ndarray  # (B, C, S) price of SKU s2's fleet with class c added
    merge: np.ndarray  # (B, S, S) price of s2's fleet with every class of s1 added
    by_class: np.ndarray  # (C, P·S) the need, class first: one product per re-pricing
    at: tuple  # flat price indices b·S of _reprice's four parts, broadcastable


def _group_rows(onehot: np.ndarray, by_class: np.ndarray, P: int) -> np.ndarray:
    """(P, B, K, S) Σ_c onehot[b, k, c] · need[p, c, s] for onehot (B, K, C): one product."""
    B, K, C = onehot.shape
    return (onehot.reshape(B * K, C) @ by_class).reshape(B, K, P, -1).transpose(2, 0, 1, 3)


def _start(price: FleetPrices, need: np.ndarray, sku: np.ndarray) -> _State:
    P, C, S = need.shape
    B = len(sku)
    b, s = np.arange(B), np.arange(S)
    onehot = np.eye(S)[sku]
    by_class = np.ascontiguousarray(need.transpose(1, 0, 2)).reshape(C, -1)
    group = np.ascontiguousarray(_group_rows(onehot.transpose(0, 2, 1), by_class, P))
    load = np.ascontiguousarray(group[:, :, s, s])
    base = price(_servers(load), b[:, None], s[None])
    join = price(_servers(load[:, :, None] + need[:, None]), b[:, None, None], s[None, None])
    merge = price(_servers(load[:, :, None] + group), b[:, None, None], s[None, None])
    bS = b * S
    at = (
        bS[:, None],  # + pair: the pair's fleets (B, 2)
        np.broadcast_to(bS[None, :, None], (C, B, 1)),  # + pair: joins (C, B, 2)
        np.broadcast_to(bS[:, None, None] + s, (B, 2, S)).ravel(),  # merges out (B, 2, S)
        np.broadcast_to(bS[:, None, None], (B, S, 1)),  # + pair: merges into (B, S, 2)
    )
    return _State(sku, onehot, group, load, base, join, merge, by_class, at)


def _gains(st: _State, price: FleetPrices, need: np.ndarray, energy: np.ndarray) -> np.ndarray:
    """(B, C·S + S·S) the change in each start's price of each move, first of class c to
    SKU s2 (at c·S + s2), then of every class of s1 to s2 (at C·S + s1·S + s2); inf: no
    such move."""
    B, C = st.sku.shape
    S = need.shape[2]
    b, cls, s, sku, base = np.arange(B)[:, None], np.arange(C), np.arange(S), st.sku, st.base
    without = st.load[:, b, sku] - need[:, cls, sku]  # (P, B, C)
    moves = np.empty((B, C * S + S * S))
    one, every = moves[:, : C * S].reshape(B, C, S), moves[:, C * S :].reshape(B, S, S)
    with np.errstate(invalid="ignore"):
        leave = price(_servers(without), b, sku) - base[b, sku] - energy[b, cls, sku]
        np.add(st.join - base[:, None, :], leave[:, :, None] + energy, out=one)
        moved_e = st.onehot.transpose(0, 2, 1) @ energy
        moved_e -= (st.onehot * energy).sum(axis=1)[..., None]
        np.add(st.merge - base[:, None, :] - base[:, :, None], moved_e, out=every)
    one[b, cls, sku] = np.inf
    every[:, s, s] = np.inf
    empty = np.ones((B, S), dtype=bool)
    empty[b, sku] = False
    every[empty] = np.inf  # no class on s1: nothing to move
    moves[np.isnan(moves)] = np.inf
    return moves


def _move(st: _State, active: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Make move ``k`` (``_gains``' index) on each ``active`` start; returns (B, 2) the SKUs
    each move changed (from, to; (0, 0) for a start that did not move)."""
    C, S = st.sku.shape[1], st.base.shape[1]
    sku = st.sku
    one = k < C * S
    c, j = np.divmod(np.where(one, k, 0), S)
    s1, s2 = np.divmod(np.where(one, 0, k - C * S), S)
    src = np.where(one, sku[np.arange(len(sku)), c], s1)
    dst = np.where(one, j, s2)
    moving = np.where(one[:, None], np.arange(C)[None] == c[:, None], sku == s1[:, None])
    st.sku = np.where(moving & active[:, None], dst[:, None], sku)
    st.onehot = np.eye(S)[st.sku]
    return np.where(active[:, None], np.stack([src, dst], axis=1), 0)


def _reprice(st: _State, price: FleetPrices, need: np.ndarray, pair: np.ndarray) -> None:
    """After each start's move changed the SKUs ``pair`` (B, 2): their group rows and
    loads, then in one pricing their fleets, each class's price of joining them, and the
    merges out of and into them (a start that did not move is re-priced unchanged)."""
    P, C, S = need.shape
    B = len(pair)
    b2, s = np.arange(B)[:, None], np.arange(S)
    st.group[:, b2, pair] = _group_rows(st.onehot[b2, :, pair], st.by_class, P)
    load = st.group[:, b2, pair, pair]  # (P, B, 2)
    st.load[:, b2, pair] = load
    cols = (b2[:, :, None], s[None, :, None], pair[:, None, :])  # (B, S, 2): into the pair
    parts = (
        load,
        load[:, None] + need[:, :, pair],  # (P, C, B, 2)
        st.load[:, :, None] + st.group[:, b2, pair],  # (P, B, 2, S)
        load[:, :, None, :] + st.group[(slice(None), *cols)],  # (P, B, S, 2)
    )
    at = (st.at[0] + pair, st.at[1] + pair[None], st.at[2], st.at[3] + pair[:, None, :])
    peaks = _servers(np.concatenate([x.reshape(P, -1) for x in parts], axis=1))
    cost = price.at(np.concatenate([a.ravel() for a in at]), peaks)
    ends = np.cumsum([a.size for a in at])
    st.base[b2, pair] = cost[: ends[0]].reshape(B, 2)
    st.join[b2.T[:, :, None], np.arange(C)[:, None, None], pair[None]] = cost[
        ends[0] : ends[1]
    ].reshape(C, B, 2)
    st.merge[b2, pair] = cost[ends[1] : ends[2]].reshape(B, 2, S)
    st.merge[cols] = cost[ends[2] :].reshape(B, S, 2)


def consolidate(price: FleetPrices, need: np.ndarray, energy: np.ndarray, starts: np.ndarray):  # noqa: ANN201
    """Local search from each row of ``starts`` (B, C) (module docstring), with ``need``
    (P, C, S) servers per class and SKU in the peak slots and ``energy`` (B, C, S) each
    class's own weighted energy. Returns (B, C) the assignments reached and (B,) their
    prices (fleet + own energy; inf if a fleet limit is broken)."""
    B, C = starts.shape
    st = _start(price, need, starts.copy())
    value = np.full(B, np.inf)
    active = np.ones(B, dtype=bool)
    for _ in range(4 * C):
        moves = _gains(st, price, need, energy)
        k = moves.argmin(axis=1)  # the first best: a class's move before a merge on ties
        done = active & (moves[np.arange(B), k] >= -IMPROVES)
        value[done] = _value(st, energy)[done]
        active &= ~done
        if not active.any():
            return st.sku, value
        _reprice(st, price, need, _move(st, active, k))
    value[active] = _value(st, energy)[active]
    return st.sku, value


def _value(st: _State, energy: np.ndarray) -> np.ndarray:
    """(B,) fleet price plus own energy of every start's assignment."""
    b, cls = np.arange(len(st.sku))[:, None], np.arange(st.sku.shape[1])
    return st.base.sum(axis=1) + energy[b, cls, st.sku].sum(axis=1)
