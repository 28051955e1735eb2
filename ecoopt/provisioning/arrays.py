"""A provisioning instance as arrays: what the model, the heuristics and the evaluator share.

Index sets (all in file order):

* c — request classes, every workload's classes in turn (``cls_*`` arrays);
* s — SKUs (``hardware``); t — time slots of the horizon;
* h — host variants over all SKUs, (SKU, variant) pairs (``host_*``);
* o — options for new servers, (SKU, host variant, lifetime) triples the levers allow
  (``opt_*``); k — groups of owned servers, one per ``owned`` entry (``own_*``).

Per-horizon figures are totals over the horizon H = slots × slot_h hours: an option's idle
energy, amortised embodied carbon (kg × H / (lifetime × 8760 h)) and cost (price × H /
(lifetime × 8760 h) + rental $/h × H).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..carbon import GPU_BOARD_KG, HOURS_PER_YEAR, host_embodied_kg, trace_slots
from .instance import ProvisioningInstance, Site, slot_rates


@dataclass(frozen=True, eq=False)
class ProvisioningData:
    """The arrays of one instance (module docstring for the index sets); units in names."""

    T: int
    slot_h: float
    # classes
    cls_names: list[str]  # "workload/class"
    cls_workload: np.ndarray  # index into inst.workloads
    cls_online: np.ndarray  # bool
    demand_rps: np.ndarray  # (C, T) online rate per slot (0 for offline classes)
    volume: np.ndarray  # (C,) offline requests (0 for online)
    window: np.ndarray  # (C, T) bool: slots the class may be served in
    splittable: np.ndarray  # (C,) bool
    # SKUs
    sku_names: list[str]
    sku_site: np.ndarray  # index into inst.sites
    max_new: np.ndarray  # (S,) new servers at most
    intensity: np.ndarray  # (S, T) gCO2e/kWh of the SKU's site
    pue: np.ndarray  # (S,)
    usd_per_kwh: np.ndarray  # (S,)
    rate: np.ndarray  # (C, S) requests/s per server (0: no profile)
    energy_j: np.ndarray  # (C, S) J per request above idle
    # host variants (SKU, variant)
    host_names: list[str]  # "sku/host"
    host_sku: np.ndarray
    host_variant: np.ndarray  # variant index within its SKU
    host_idle_w: np.ndarray  # whole server idle power: GPUs + host
    host_embodied_kg: np.ndarray  # whole server: host + boards
    cpu_rate: np.ndarray  # (C, H) requests/s per server on its host CPUs (0: none)
    cpu_energy_j: np.ndarray  # (C,) J per request on CPUs above idle
    # options for new servers
    opt_names: list[str]  # "sku/host/4y"
    opt_host: np.ndarray  # index into host_*
    opt_sku: np.ndarray
    opt_years: np.ndarray
    opt_idle_kwh: np.ndarray  # (O,) idle energy over the horizon, PUE included
    opt_embodied_kg: np.ndarray  # (O,) amortised over the horizon
    opt_capex_usd: np.ndarray  # (O,) amortised purchase + rental over the horizon
    # owned servers
    own_names: list[str]  # "sku/host/owned#k"
    own_host: np.ndarray
    own_sku: np.ndarray
    own_count: np.ndarray
    own_usable: np.ndarray  # bool: recycle lever on
    own_idle_kwh: np.ndarray
    own_embodied_kg: np.ndarray

    @property
    def hours(self) -> float:
        return self.T * self.slot_h

    @property
    def C(self) -> int:
        return len(self.cls_names)

    @property
    def S(self) -> int:
        return len(self.sku_names)


def servers_per_rps(rate: np.ndarray) -> np.ndarray:
    """1 / rate where rate > 0, else 0: the servers one request/s takes (none where no
    profile exists; a load there is the evaluator's ``_check_where`` violation)."""
    out = np.zeros_like(rate, dtype=float)
    np.divide(1.0, rate, out=out, where=rate > 0)
    return out


def site_intensity(site: Site, slots: int, slot_h: float) -> np.ndarray:
    """gCO2e/kWh of ``site`` in each of ``slots`` slots of ``slot_h`` hours."""
    if site.intensity_g_per_kwh is not None:
        return np.full(slots, float(site.intensity_g_per_kwh))
    if site.intensity_slots_g_per_kwh is not None:
        return np.asarray(site.intensity_slots_g_per_kwh, dtype=float)
    tr = site.intensity_trace
    assert tr is not None  # one of the three (Site._one_intensity)
    return trace_slots(tr.name, tr.start, slots, slot_h * 3600.0)


def _classes(inst: ProvisioningInstance) -> dict:
    T = inst.horizon.slots
    names, wl, online, demand, volume, window, split = [], [], [], [], [], [], []
    for w_i, w in enumerate(inst.workloads):
        rates = slot_rates(w, T)
        span = np.zeros(T, dtype=bool)
        if w.kind == "online":
            span[:] = True
        else:
            span[w.release_slot : w.deadline_slot or T] = True
        for c in w.classes:
            names.append(f"{w.name}/{c.name}")
            wl.append(w_i)
            online.append(w.kind == "online")
            demand.append(rates * c.share)
            volume.append((w.volume_requests or 0.0) * c.share)
            window.append(span)
            split.append(c.splittable)
    return dict(
        cls_names=names,
        cls_workload=np.array(wl, dtype=np.int64),
        cls_online=np.array(online, dtype=bool),
        demand_rps=np.array(demand, dtype=float).reshape(len(names), T),
        volume=np.array(volume, dtype=float),
        window=np.array(window, dtype=bool).reshape(len(names), T),
        splittable=np.array(split, dtype=bool),
    )


def _profiles(inst: ProvisioningInstance, cls_names: list[str]) -> dict:
    """(C, S) rate and energy of the GPU profiles; CPU profiles per class."""
    c_of = {n: i for i, n in enumerate(cls_names)}
    s_of = {s.name: i for i, s in enumerate(inst.hardware)}
    C, S = len(cls_names), len(inst.hardware)
    rate, energy = np.zeros((C, S)), np.zeros((C, S))
    for p in inst.profiles:
        c, s = c_of[f"{p.workload}/{p.request_class}"], s_of[p.hardware]
        rate[c, s], energy[c, s] = p.rate_rps, p.energy_j_per_request
    per_core, cpu_energy, dram = np.zeros(C), np.zeros(C), np.full(C, np.inf)
    if inst.levers.reuse:
        for p in inst.cpu_profiles:
            c = c_of[f"{p.workload}/{p.request_class}"]
            per_core[c], cpu_energy[c], dram[c] = (
                p.rate_rps_per_core,
                p.energy_j_per_request,
                p.dram_gb,
            )
    return dict(rate=rate, energy_j=energy, per_core=per_core, cpu_energy_j=cpu_energy, dram=dram)


def _hosts(inst: ProvisioningInstance, per_core: np.ndarray, dram: np.ndarray) -> dict:
    names, sku, variant, idle, emb, cores, gb = [], [], [], [], [], [], []
    for s_i, s in enumerate(inst.hardware):
        board = s.gpu_embodied_kg if s.gpu_embodied_kg is not None else GPU_BOARD_KG.get(s.gpu, 0)
        for v_i, h in enumerate(s.hosts):
            names.append(f"{s.name}/{h.name}")
            sku.append(s_i)
            variant.append(v_i)
            idle.append(s.gpus * s.gpu_idle_power_w + h.idle_power_w)
            host = h.embodied_kg
            if host is None:
                host = host_embodied_kg(h.dram_gb, h.ssd_gb, inst.ssd_accounting)
            emb.append(host + s.gpus * board)
            cores.append(h.cpu_cores)
            gb.append(h.dram_gb)
    fits = np.array(gb)[None, :] >= dram[:, None]  # (C, H): the model fits in host DRAM
    cpu_rate = np.where(fits, per_core[:, None] * inst.cpu_free_share * np.array(cores), 0.0)
    return dict(
        host_names=names,
        host_sku=np.array(sku, dtype=np.int64),
        host_variant=np.array(variant, dtype=np.int64),
        host_idle_w=np.array(idle, dtype=float),
        host_embodied_kg=np.array(emb, dtype=float),
        cpu_rate=cpu_rate,
    )


def _options(inst: ProvisioningInstance, hosts: dict, pue: np.ndarray) -> dict:
    """New-server options the levers allow: Reduce off keeps each SKU's first host variant,
    Recycle off its first lifetime."""
    H = inst.horizon.slots * inst.horizon.slot_h
    names, host, sku, years, capex = [], [], [], [], []
    for h_i, (s_i, v_i) in enumerate(zip(hosts["host_sku"], hosts["host_variant"])):
        s = inst.hardware[s_i]
        if v_i > 0 and not inst.levers.reduce:
            continue
        for y in s.lifetimes_years if inst.levers.recycle else s.lifetimes_years[:1]:
            names.append(f"{hosts['host_names'][h_i]}/{y:g}y")
            host.append(h_i)
            sku.append(s_i)
            years.append(y)
            capex.append(s.price_usd * H / (y * HOURS_PER_YEAR) + s.price_usd_per_h * H)
    host_a = np.array(host, dtype=np.int64)
    years_a = np.array(years, dtype=float)
    return dict(
        opt_names=names,
        opt_host=host_a,
        opt_sku=np.array(sku, dtype=np.int64),
        opt_years=years_a,
        opt_idle_kwh=hosts["host_idle_w"][host_a] * H / 1000.0 * pue[np.array(sku, dtype=int)],
        opt_embodied_kg=hosts["host_embodied_kg"][host_a] * H / (years_a * HOURS_PER_YEAR),
        opt_capex_usd=np.array(capex, dtype=float),
    )


def _owned(inst: ProvisioningInstance, hosts: dict, pue: np.ndarray) -> dict:
    """Owned servers: usable only with Recycle on; embodied sunk (0) or amortised over the
    years left; no purchase cost (already paid)."""
    H = inst.horizon.slots * inst.horizon.slot_h
    index = {n: i for i, n in enumerate(hosts["host_names"])}
    names, host, count, emb = [], [], [], []
    for s in inst.hardware:
        for k, o in enumerate(s.owned):
            h_i = index[f"{s.name}/{o.host}"]
            names.append(f"{s.name}/{o.host}/owned#{k}")
            host.append(h_i)
            count.append(o.count)
            years = o.remaining_years if o.embodied == "amortised" else np.inf
            emb.append(hosts["host_embodied_kg"][h_i] * H / (years * HOURS_PER_YEAR))
    host_a = np.array(host, dtype=np.int64)
    sku = hosts["host_sku"][host_a]
    return dict(
        own_names=names,
        own_host=host_a,
        own_sku=sku,
        own_count=np.array(count, dtype=np.int64),
        own_usable=np.full(len(names), inst.levers.recycle),
        own_idle_kwh=hosts["host_idle_w"][host_a] * H / 1000.0 * pue[sku],
        own_embodied_kg=np.array(emb, dtype=float),
    )


def build_data(inst: ProvisioningInstance) -> ProvisioningData:
    """:class:`ProvisioningData` of ``inst`` (its ``data`` property calls this once)."""
    T, slot_h = inst.horizon.slots, inst.horizon.slot_h
    cls = _classes(inst)
    prof = _profiles(inst, cls["cls_names"])
    site_of = {s.name: i for i, s in enumerate(inst.sites)}
    sku_site = np.array([site_of[s.site] for s in inst.hardware], dtype=np.int64)
    ci = np.array([site_intensity(s, T, slot_h) for s in inst.sites]).reshape(len(inst.sites), T)
    pue = np.array([inst.sites[i].pue for i in sku_site], dtype=float)
    hosts = _hosts(inst, prof["per_core"], prof["dram"])
    return ProvisioningData(
        T=T,
        slot_h=slot_h,
        **cls,
        sku_names=[s.name for s in inst.hardware],
        sku_site=sku_site,
        max_new=np.array([s.max_servers for s in inst.hardware], dtype=np.int64),
        intensity=ci[sku_site],
        pue=pue,
        usd_per_kwh=np.array([inst.sites[i].electricity_usd_per_kwh for i in sku_site]),
        rate=prof["rate"],
        energy_j=prof["energy_j"],
        cpu_energy_j=prof["cpu_energy_j"],
        **hosts,
        **_options(inst, hosts, pue),
        **_owned(inst, hosts, pue),
    )
