"""Cross-field checks of a provisioning instance, run when it is validated: every name refers to
something that exists, every class that must be served has somewhere to run, sizes are bounded
before any array is built. Each failure is one message with its field and its fix."""

from __future__ import annotations

from typing import TYPE_CHECKING

from ..schema import FieldProblem, require_unique
from .instance import MAX_CELLS

if TYPE_CHECKING:
    from .instance import ProvisioningInstance


def check_instance(inst: ProvisioningInstance) -> None:
    """Raise a :class:`~ecoopt.schema.FieldProblem` (or ValueError) for the first problem."""
    require_unique("sites", [s.name for s in inst.sites])
    require_unique("hardware", [s.name for s in inst.hardware])
    require_unique("workloads", [w.name for w in inst.workloads])
    _check_sites(inst)
    _check_workloads(inst)
    _check_profiles(inst)
    _check_served(inst)
    cells = sum(len(w.classes) for w in inst.workloads) * len(inst.hardware) * inst.horizon.slots
    if cells > MAX_CELLS:
        raise FieldProblem(
            "horizon.slots",
            f"classes × SKUs × slots must be at most {MAX_CELLS:,}, got {cells:,}",
            "use fewer or longer slots, or fewer SKUs",
        )


def _check_sites(inst: ProvisioningInstance) -> None:
    sites = {s.name for s in inst.sites}
    for k, s in enumerate(inst.hardware):
        if s.site not in sites:
            raise FieldProblem(
                f"hardware[{k}].site", f"unknown site {s.site!r}", f"use one of {sorted(sites)}"
            )
    T = inst.horizon.slots
    for k, s in enumerate(inst.sites):
        values = s.intensity_slots_g_per_kwh
        if values is not None and len(values) != T:
            raise FieldProblem(
                f"sites[{k}].intensity_slots_g_per_kwh",
                f"{len(values)} values for a horizon of {T} slots",
                "give one value per slot",
            )
        if s.intensity_trace is not None:
            _check_trace_covers(inst, k)


def _check_trace_covers(inst: ProvisioningInstance, k: int) -> None:
    from .arrays import site_intensity

    site = inst.sites[k]
    try:
        site_intensity(site, inst.horizon.slots, inst.horizon.slot_h)
    except ValueError as exc:
        raise FieldProblem(
            f"sites[{k}].intensity_trace",
            f"the trace does not cover the horizon ({str(exc)[:120]})",
            "start the trace earlier or shorten the horizon",
        ) from None


def _check_workloads(inst: ProvisioningInstance) -> None:
    T = inst.horizon.slots
    for k, w in enumerate(inst.workloads):
        if w.rate_slots_rps is not None and len(w.rate_slots_rps) != T:
            raise FieldProblem(
                f"workloads[{k}].rate_slots_rps",
                f"{len(w.rate_slots_rps)} values for a horizon of {T} slots",
                "give one rate per slot",
            )
        if w.kind == "offline":
            end = T if w.deadline_slot is None else w.deadline_slot
            if end > T:
                raise FieldProblem(
                    f"workloads[{k}].deadline_slot",
                    f"slot {end} is beyond the horizon of {T} slots",
                    f"use a deadline_slot of at most {T}",
                )
            if end <= w.release_slot:
                raise FieldProblem(
                    f"workloads[{k}].deadline_slot",
                    f"the deadline (slot {end}) is not after the release (slot {w.release_slot})",
                    "give a deadline_slot after release_slot",
                )


def _require_class(classes: set[tuple[str, str]], row, field: str) -> None:  # noqa: ANN001
    """A profile row names a workload and one of its classes."""
    if (row.workload, row.request_class) not in classes:
        raise FieldProblem(
            field,
            f"no class {row.request_class!r} in a workload {row.workload!r}",
            "name a workload and one of its classes",
        )


def _check_profiles(inst: ProvisioningInstance) -> None:
    classes = {(w.name, c.name) for w in inst.workloads for c in w.classes}
    kinds = {w.name: w.kind for w in inst.workloads}
    skus = {s.name for s in inst.hardware}
    seen: set[tuple[str, str, str]] = set()
    for k, p in enumerate(inst.profiles):
        _require_class(classes, p, f"profiles[{k}]")
        if p.hardware not in skus:
            raise FieldProblem(
                f"profiles[{k}].hardware",
                f"unknown SKU {p.hardware!r}",
                f"use one of {sorted(skus)}",
            )
        key = (p.workload, p.request_class, p.hardware)
        if key in seen:
            raise FieldProblem(
                f"profiles[{k}]", f"a second profile for {'/'.join(key)}", "keep one"
            )
        seen.add(key)
    cpu_seen: set[tuple[str, str]] = set()
    for k, p in enumerate(inst.cpu_profiles):
        _require_class(classes, p, f"cpu_profiles[{k}]")
        if kinds[p.workload] != "offline":
            raise FieldProblem(
                f"cpu_profiles[{k}]",
                f"{p.workload!r} is online; host CPUs serve offline work only (Reuse)",
                "remove it, or make the workload offline",
            )
        if (p.workload, p.request_class) in cpu_seen:
            raise FieldProblem(
                f"cpu_profiles[{k}]", "a second CPU profile for this class", "keep one"
            )
        cpu_seen.add((p.workload, p.request_class))


def _check_served(inst: ProvisioningInstance) -> None:
    """Every class with demand has a GPU profile (or, offline, a CPU profile)."""
    on_gpu = {(p.workload, p.request_class) for p in inst.profiles}
    on_cpu = {(p.workload, p.request_class) for p in inst.cpu_profiles}
    for k, w in enumerate(inst.workloads):
        busy = (w.volume_requests or 0) > 0 or (w.rate_rps or 0) > 0 or any(w.rate_slots_rps or ())
        for j, c in enumerate(w.classes):
            key = (w.name, c.name)
            if not busy or key in on_gpu or (key in on_cpu and c.splittable):
                continue
            raise FieldProblem(
                f"workloads[{k}].classes[{j}]",
                f"class {c.name!r} of {w.name!r} has no profile on any hardware "
                "(it fits on none, or none was given)",
                "add a profile for it under profiles, or hardware it fits on",
            )
