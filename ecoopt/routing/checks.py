"""Cross-field checks of a routing instance, each one message naming the field and the fix."""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from ..errors import listing
from ..rows import Columns, build
from ..schema import FieldProblem
from .instance import MAX_REQUESTS, MAX_SLOTS, Request
from .streams import generate_stream

if TYPE_CHECKING:
    from .instance import RoutingInstance


def check_instance(inst: RoutingInstance) -> None:
    """Profiles name known nodes and types, once each; every requested type has a profile that
    fits some node's memory; requests name known types; the horizon holds every arrival and
    is covered by every hourly intensity list; the grid has at most MAX_SLOTS points."""
    _check_profiles(inst)
    _check_requests(inst)
    _check_horizon(inst)


def _check_profiles(inst: RoutingInstance) -> None:
    nodes = {n.name: n for n in inst.nodes}
    types = {t.name for t in inst.types}
    seen: set[tuple[str, str, int]] = set()
    for k, p in enumerate(inst.profiles):
        if p.node not in nodes:
            raise FieldProblem(
                f"profiles[{k}].node",
                f"unknown node {p.node!r}",
                f"use one of {listing(sorted(nodes))}",
            )
        if p.type not in types:
            raise FieldProblem(
                f"profiles[{k}].type",
                f"unknown type {p.type!r}",
                f"use one of {listing(sorted(types))}",
            )
        key = (p.node, p.type, p.batch)
        if key in seen:
            raise FieldProblem(
                f"profiles[{k}]",
                f"a second profile for node {p.node!r}, type {p.type!r}, batch {p.batch}",
                "keep one row per (node, type, batch)",
            )
        seen.add(key)


def _check_requests(inst: RoutingInstance) -> None:
    types = {t.name for t in inst.types}
    asked = {r.type for r in inst.requests}
    unknown = sorted(asked - types)
    if unknown:
        k = next(i for i, r in enumerate(inst.requests) if r.type == unknown[0])
        raise FieldProblem(
            f"requests[{k}].type",
            f"unknown type {unknown[0]!r}",
            f"use one of {listing(sorted(types))}",
        )
    nodes = {n.name: n for n in inst.nodes}
    fits = {p.type for p in inst.profiles if p.memory_bytes <= nodes[p.node].memory_bytes}
    for t in inst.types:
        if t.name in asked and t.name not in fits:
            raise FieldProblem(
                "profiles",
                f"requests of type {t.name!r} fit no node: no profile for it, or none within "
                "its node's memory_bytes",
                f"add a profile of type {t.name!r} on a node with enough memory",
            )


def _check_horizon(inst: RoutingInstance) -> None:
    last = max(r.arrival_s for r in inst.requests)
    horizon = inst.horizon_s if inst.horizon_s is not None else None
    if horizon is not None and last >= horizon:
        raise FieldProblem(
            "horizon_s",
            f"{horizon:g} s ends before the last arrival at {last:g} s",
            "raise horizon_s or drop the late requests",
        )
    span = horizon if horizon is not None else last + max(t.slo_s for t in inst.types)
    if span / inst.slot_s > MAX_SLOTS:
        raise FieldProblem(
            "slot_s",
            f"{inst.slot_s:g} s makes {span / inst.slot_s:.3g} grid points over {span:g} s "
            f"(at most {MAX_SLOTS:g})",
            "use a longer slot_s",
        )
    hours = math.ceil(span / 3600.0)
    for k, n in enumerate(inst.nodes):
        given = n.intensity_hourly_g_per_kwh
        if given is not None and len(given) < hours:
            raise FieldProblem(
                f"nodes[{k}].intensity_hourly_g_per_kwh",
                f"{len(given)} hours do not cover the {span:g} s horizon ({hours} hours)",
                "give one value per hour of the horizon",
            )


def stream_requests(inst: RoutingInstance) -> tuple[Request, ...]:
    """The requests ``inst.stream`` generates (``ecoopt.routing.streams.generate_stream``, the
    same ones for the same parameters), in arrival order; its type names must be declared
    types, and it must give 1 to MAX_REQUESTS requests."""
    spec = inst.stream
    assert spec is not None
    _check_stream_types(inst)
    try:
        s = generate_stream(spec.kind, **spec.model_dump(exclude={"kind"}))
    except ValueError as exc:  # a bound only the data states (the trace's last arrival)
        head, _, rest = str(exc).partition(" ")
        if head in type(spec).model_fields:
            raise FieldProblem(f"stream.{head}", rest) from None
        raise FieldProblem("stream", str(exc)) from None
    n = len(s)
    if not 1 <= n <= MAX_REQUESTS:
        raise FieldProblem(
            "stream",
            f"generates {n:,} requests (at least 1, at most {MAX_REQUESTS:,})",
            "change its rate, horizon or window",
        )
    names = [s.types[k] for k in s.type_index.tolist()]
    values = {"arrival_s": s.arrival_s.tolist(), "type": names}
    return build(Request, Columns(n, values=values), [{"arrival_s", "type"}] * n)


def _check_stream_types(inst: RoutingInstance) -> None:
    spec = inst.stream
    assert spec is not None
    declared = [t.name for t in inst.types]
    unknown = [n for n in spec.type_names() if n not in declared]
    if not unknown:
        return
    fix = f"use one of {listing(declared)}, or declare it in types"
    if spec.kind != "azure":
        raise FieldProblem("stream.types", f"unknown type {unknown[0]!r}", fix)
    given = "" if spec.type_name else f" (the default for service {spec.service!r})"
    raise FieldProblem("stream.type_name", f"unknown type {unknown[0]!r}{given}", fix)
