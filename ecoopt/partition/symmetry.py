r"""Interchangeable devices: classes of devices that a relabelling swaps without changing anything.

Definition
    Devices d ≠ e are *interchangeable* when the transposition π = (d e) of the device axis
    leaves every array the model and the evaluator read (:class:`~.instance.PartitionData`)
    unchanged, exactly (bit for bit, no tolerance), and fixes the pinned devices:

    * per (layer, device): ``time_s[:, d] = time_s[:, e]``, likewise ``energy_j`` and
      ``carbon_g`` (layer times, active power, intensity or trace, PUE, embodied carbon);
    * per device: ``memory_bytes``, ``intensity``, ``pue``, ``idle_power_w``;
    * per (device, device[, edge]): A[π(x), π(y)] = A[x, y] for every x, y and A in
      ``linked``, ``bandwidth``, ``link_time``, ``link_energy_j``, ``link_carbon_g``, i.e.
      d and e have identical links to every third device and the d–e link is the same both ways;
    * d, e ∉ {source, sink}: a pinned end would move.

Why that suffices
    Write a plan as a: layers → devices. The evaluator's latency, energy, carbon and memory are
    sums of those arrays at (l, a(l)) and (a(k), a(l), edge); its period is the largest device
    busy time or undirected-link busy time, and π maps links to links (a link joins one
    unordered pair, so link ids are relabelled one to one). Hence π∘a is feasible iff a is, with
    the same value of every metric and so of every objective (carbon, latency, period,
    weighted) and the same SLO check. In the MILP, permuting ``place``, ``flow`` and ``used``/
    ``wait`` by π maps every row of :mod:`.model` onto a row of the same family (its
    coefficients are built from the same arrays, and Lmax_d, T_ref are invariant), so it maps
    feasible points to feasible points of equal objective.

Classes
    Interchangeability is an equivalence relation: if (d e) and (e f) are symmetries of the
    data, so is (d f) = (d e)(e f)(d e). So each device is compared with one representative of
    each class found so far, and every permutation within a class is a symmetry.
"""

from __future__ import annotations

import numpy as np

from .instance import PartitionData

_PER_LAYER = ("time_s", "energy_j", "carbon_g")
_PER_DEVICE = ("memory_bytes", "intensity", "pue", "idle_power_w")
_PER_PAIR = ("linked", "bandwidth", "link_time", "link_energy_j", "link_carbon_g")


def _same_device_data(data: PartitionData, d: int, e: int) -> bool:
    """The per-layer and per-device arrays agree exactly at d and e."""
    if any(not np.array_equal(getattr(data, a)[:, d], getattr(data, a)[:, e]) for a in _PER_LAYER):
        return False
    return all(getattr(data, a)[d] == getattr(data, a)[e] for a in _PER_DEVICE)


def _links_swap(data: PartitionData, d: int, e: int) -> bool:
    """A[π(x), π(y)] = A[x, y] for π = (d e), every pair array A: only rows and columns d, e
    change under π, so those are compared (O(D·E), not O(D²·E))."""
    D = len(data.devices)
    perm = np.arange(D)
    perm[[d, e]] = [e, d]
    for name in _PER_PAIR:
        a = getattr(data, name)
        if not np.array_equal(a[[e, d]][:, perm], a[[d, e]]):
            return False
        if not np.array_equal(a[perm][:, [e, d]], a[:, [d, e]]):
            return False
    return True


def interchangeable(data: PartitionData, d: int, e: int) -> bool:
    """True when swapping devices d and e maps the instance onto itself (module docstring)."""
    if d == e or {d, e} & {data.source, data.sink}:
        return False
    return _same_device_data(data, d, e) and _links_swap(data, d, e)


def device_classes(data: PartitionData) -> list[np.ndarray]:
    """The classes of interchangeable devices with at least two members, each as ascending
    device indices; classes in order of their first member.

    Each device is compared with one representative per class (the relation is an
    equivalence): O(D·K·(L + D·E)) for K classes.
    """
    classes: list[list[int]] = []
    pinned = {data.source, data.sink}
    for d in range(len(data.devices)):
        if d in pinned:
            continue
        home = next((c for c in classes if interchangeable(data, c[0], d)), None)
        if home is None:
            classes.append([d])
        else:
            home.append(d)
    return [np.array(c, dtype=np.int64) for c in classes if len(c) > 1]


def layer_ranking(data: PartitionData, members: np.ndarray) -> np.ndarray:
    """The layers in the order that ranks a class's devices: by decreasing compute time on
    the class (equal for all its members), ties by topological position. Any fixed order is
    valid; putting the longest layers first lets branching decide the bottleneck early (the
    decreasing order of bin packing)."""
    return np.argsort(-data.time_s[:, members[0]], kind="stable")


def canonical_devices(
    data: PartitionData, dev: np.ndarray, classes: list[np.ndarray]
) -> np.ndarray:
    """The plan ``dev`` (device index per layer) relabelled within each class so that the
    class's devices, in index order, host layers in order of the first layer (by
    :func:`layer_ranking`) each hosts, unused ones last: the one representative of its orbit
    that the MILP's ``device_order`` rows admit. Same objective and feasibility (module
    docstring)."""
    out = dev.copy()
    for members in classes:
        ranked = dev[layer_ranking(data, members)]
        used = ranked[np.isin(ranked, members)]
        _, first = np.unique(used, return_index=True)
        order = used[np.sort(first)].tolist()  # used members by their first ranked layer
        order += [int(m) for m in members if m not in order]
        relabel = dict(zip(order, members.tolist()))
        hosted = np.isin(dev, members)
        out[hosted] = [relabel[int(x)] for x in dev[hosted]]
    return out
