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
        at = b * self.own.shape[1] + s  # one flat index for the four gathers
        K = self.kept.take(at)
        extra = np.maximum(n - K, 0.0)
        out = self.own.take(at) * np.minimum(n, K) + self.new.take(at) * extra
        out[extra > self.cap.take(at)] = np.inf
        return out


def _servers(load: np.ndarray) -> np.ndarray:
    """Whole servers for the peak of ``load`` (P, …) over its first axis, the peak slots
    (first: numpy reduces a leading axis many times faster than a short trailing one)."""
    return np.ceil(np.maximum(load.max(axis=0), 0.0) - 1e-9)


@dataclass
class _State:
    """Every start's assignment and the prices a pass compares (``consolidate``)."""

    sku: np.ndarray  # (B, C) SKU of each class
    group: np.ndarray  # (P, B, S, S) group[p, b, s1, s2] = Σ_{c on s1} need[p, c, s2]
    load: np.ndarray  # (P, B, S) = group[p, b, s, s]
    base: np.ndarray  # (B, S) price of each SKU's fleet
    join: np.ndarray  # (B, C, S) price of SKU s2's fleet with class c added
    merge: np.ndarray  # (B, S, S) price of s2's fleet with every class of s1 added


def _start(price: FleetPrices, need: np.ndarray, sku: np.ndarray) -> _State:
    B, S = sku.shape[0], need.shape[2]
    b, s = np.arange(B), np.arange(S)
    group = np.eye(S)[sku].transpose(0, 2, 1) @ need[:, None]  # (P, B, S, S)
    load = group[:, :, s, s]
    base = price(_servers(load), b[:, None], s[None])
    join = price(_servers(load[:, :, None] + need[:, None]), b[:, None, None], s[None, None])
    merge = price(_servers(load[:, :, None] + group), b[:, None, None], s[None, None])
    return _State(sku, group, load, base, join, merge)


def _gains(st: _State, price: FleetPrices, need, energy, rows):  # noqa: ANN001, ANN202
    """For starts ``rows`` (R,): (R, C·S + S·S) the change in price of each move, first of
    class c to SKU s2 (at c·S + s2), then of every class of s1 to s2 (at C·S + s1·S + s2);
    inf: no such move."""
    C, S = st.sku.shape[1], need.shape[2]
    cls, s = np.arange(C), np.arange(S)
    sku, base, e = st.sku[rows], st.base[rows], energy[rows]
    r = np.arange(len(rows))[:, None]
    without = st.load[:, rows[:, None], sku] - need[:, cls, sku]  # (P, R, C)
    onehot = np.eye(S)[sku]  # (R, C, S)
    moves = np.empty((len(rows), C * S + S * S))
    one, every = moves[:, : C * S].reshape(-1, C, S), moves[:, C * S :].reshape(-1, S, S)
    with np.errstate(invalid="ignore"):
        leave = price(_servers(without), rows[:, None], sku) - base[r, sku] - e[r, cls, sku]
        np.add(st.join[rows] - base[:, None, :], leave[:, :, None] + e, out=one)
        moved_e = onehot.transpose(0, 2, 1) @ e - (onehot * e).sum(axis=1)[..., None]
        np.add(st.merge[rows] - base[:, None, :] - base[:, :, None], moved_e, out=every)
    one[r, cls, sku] = np.inf
    every[:, s, s] = np.inf
    empty = np.ones((len(rows), S), dtype=bool)
    empty[r, sku] = False
    every[empty] = np.inf  # no class on s1: nothing to move
    moves[np.isnan(moves)] = np.inf
    return moves


def _reprice(st: _State, price: FleetPrices, need: np.ndarray, rows, pair) -> None:  # noqa: ANN001
    """After a move on each start of ``rows`` (R,) that changed the SKUs ``pair`` (R, 2):
    their group rows, loads, fleets, join prices and merges into and out of them."""
    S = need.shape[2]
    r2, s = rows[:, None], np.arange(S)
    onehot = np.eye(S)[st.sku[rows]]  # (R, C, S)
    on_pair = onehot[np.arange(len(rows))[:, None], :, pair]  # (R, 2, C): classes on each
    st.group[:, r2, pair] = on_pair @ need[:, None]  # (P, R, 2, S)
    load = st.group[:, r2, pair, pair]  # (P, R, 2)
    st.load[:, r2, pair] = load
    st.base[r2, pair] = price(_servers(load), r2, pair)
    added = load[:, :, None, :] + need[:, :, pair].transpose(0, 2, 1, 3)  # (P, R, C, 2)
    at = (rows[:, None, None], np.arange(need.shape[1])[None, :, None], pair[:, None, :])
    st.join[at] = price(_servers(added), rows[:, None, None], pair[:, None, :])
    into = st.load[:, rows][:, :, None] + st.group[:, r2, pair]  # (P, R, 2, S): out of the pair
    st.merge[r2, pair] = price(_servers(into), rows[:, None, None], s[None, None])
    cols = (rows[:, None, None], s[None, :, None], pair[:, None, :])  # (R, S, 2): into the pair
    onto = load[:, :, None, :] + st.group[(slice(None), *cols)]
    st.merge[cols] = price(_servers(onto), rows[:, None, None], pair[:, None, :])


def consolidate(price: FleetPrices, need: np.ndarray, energy: np.ndarray, starts: np.ndarray):  # noqa: ANN201
    """Local search from each row of ``starts`` (B, C) (module docstring), with ``need``
    (P, C, S) servers per class and SKU in the peak slots and ``energy`` (B, C, S) each
    class's own weighted energy. Returns (B, C) the assignments reached and (B,) their
    prices (fleet + own energy; inf if a fleet limit is broken)."""
    B, C = starts.shape
    st = _start(price, need, starts.copy())
    value = np.full(B, np.inf)
    rows = np.arange(B)
    for _ in range(4 * C):
        moves = _gains(st, price, need, energy, rows)
        k = moves.argmin(axis=1)  # the first best: a class's move before a merge on ties
        done = moves[np.arange(len(rows)), k] >= -IMPROVES
        value[rows[done]] = _value(st, energy, rows[done])
        rows, k = rows[~done], k[~done]
        if not len(rows):
            return st.sku, value
        _reprice(st, price, need, rows, _move(st, rows, k))
    value[rows] = _value(st, energy, rows)
    return st.sku, value


def _move(st: _State, rows: np.ndarray, k: np.ndarray) -> np.ndarray:
    """Make move ``k`` (``_gains``' index) on each start of ``rows``; returns (R, 2) the SKUs
    each move changed (from, to)."""
    C, S = st.sku.shape[1], st.base.shape[1]
    sku = st.sku[rows]
    one = k < C * S
    c, j = np.divmod(np.where(one, k, 0), S)
    s1, s2 = np.divmod(np.where(one, 0, k - C * S), S)
    src = np.where(one, sku[np.arange(len(rows)), c], s1)
    dst = np.where(one, j, s2)
    moving = np.where(one[:, None], np.arange(C)[None] == c[:, None], sku == s1[:, None])
    st.sku[rows] = np.where(moving, dst[:, None], sku)
    return np.stack([src, dst], axis=1)


def _value(st: _State, energy: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """(R,) fleet price plus own energy of the assignments of starts ``rows``."""
    own = energy[rows[:, None], np.arange(energy.shape[1])[None], st.sku[rows]]
    return st.base[rows].sum(axis=1) + own.sum(axis=1)
