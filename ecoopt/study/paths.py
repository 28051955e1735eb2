"""Addresses of instance fields, for sweeps: ``gpus[h100_pjm].intensity_g_per_kwh``,
``agents[*].arrival_rps``, ``weights.carbon_g``, ``nodes[0].concurrency``.

A path is segments joined by ``.``; a segment is a field name, optionally followed by one
selector in brackets: ``[*]`` (every element of the list), ``[3]`` (the element at index 3) or
``[name]`` (the element whose ``name`` field is ``name``). A change either sets the addressed
field(s) to a value (``PATH=V``) or multiplies them by a factor (``PATH*=F``, for numbers).
Paths are applied to the instance as plain data (``ecoopt.io.to_dict``), and the result is
validated again like a file, so every value keeps the bounds of its field; a field left at
its default in the data can still be set (it is created), but a list element cannot.
"""

from __future__ import annotations

import copy
import math
import re
from dataclasses import dataclass
from typing import Any

from ..errors import EcoOptError

_SEGMENT = re.compile(r"^(?P<field>[A-Za-z_][A-Za-z0-9_]*)(?:\[(?P<select>[^\[\]]+)\])?$")
MAX_PATH = 300


class PathError(EcoOptError):
    """A sweep path or value that does not fit the instance: the message names the path."""


@dataclass(frozen=True)
class Change:
    """Set (``scale`` False) or multiply (``scale`` True) the fields at ``path`` by ``value``."""

    path: str
    value: Any
    scale: bool = False

    @property
    def label(self) -> str:
        return f"{self.path}*" if self.scale else self.path


def _segments(path: str) -> list[tuple[str, str | None]]:
    if not isinstance(path, str) or not 0 < len(path) <= MAX_PATH:
        raise PathError(f"sweep path {path!r}: give field names joined by '.', e.g. weights.x")
    out = []
    for part in path.split("."):
        m = _SEGMENT.match(part)
        if m is None:
            raise PathError(
                f"sweep path {path!r}: {part!r} is not a field name with an optional [*], "
                "[index] or [name] selector"
            )
        out.append((m["field"], m["select"]))
    return out


def _select(items: list, select: str, path: str, field: str) -> list:
    if select == "*":
        return list(items)
    if select.isdigit():
        k = int(select)
        if k >= len(items):
            raise PathError(f"sweep path {path!r}: {field} has {len(items)} elements, no [{k}]")
        return [items[k]]
    hits = [x for x in items if isinstance(x, dict) and x.get("name") == select]
    if not hits:
        names = [x.get("name") for x in items if isinstance(x, dict) and "name" in x][:8]
        raise PathError(f"sweep path {path!r}: no element of {field} is named {select!r} "
                        f"(names: {', '.join(map(str, names))})")  # fmt: skip
    return hits


def _targets(data: dict, path: str) -> list[tuple[dict, str]]:
    """The (mapping, key) pairs a path addresses in ``data``."""
    parts = _segments(path)
    here: list[Any] = [data]
    for i, (field, select) in enumerate(parts):
        last = i == len(parts) - 1
        nxt: list[Any] = []
        for node in here:
            if not isinstance(node, dict):
                raise PathError(f"sweep path {path!r}: {field!r} is inside a value, not a record")
            if select is None and last:
                nxt.append((node, field))
                continue
            if field not in node:
                if select is not None:
                    raise PathError(f"sweep path {path!r}: the instance has no list {field!r}")
                node[field] = {}
            value = node[field]
            if select is not None:
                if not isinstance(value, list):
                    raise PathError(f"sweep path {path!r}: {field!r} is not a list")
                value = _select(value, select, path, field)
                if last:
                    raise PathError(f"sweep path {path!r}: end it with a field of {field}'s "
                                    f"elements, e.g. {path}.name")  # fmt: skip
                nxt.extend(value)
            else:
                nxt.append(value)
        here = nxt
    return here


def apply(data: dict, changes: list[Change]) -> dict:
    """A copy of ``data`` with every change made (PathError on a path that does not fit)."""
    out = copy.deepcopy(data)
    for ch in changes:
        for node, key in _targets(out, ch.path):
            if ch.scale:
                old = node.get(key)
                if old is None:
                    raise PathError(
                        f"sweep path {ch.path!r}: {key} is not in the file (it is at its "
                        "default): set it with PATH=V instead of scaling it"
                    )
                if isinstance(old, bool) or not isinstance(old, int | float):
                    raise PathError(f"sweep path {ch.path!r}: {key} is {old!r}, not a number "
                                    "to scale (use PATH=V to set it)")  # fmt: skip
                node[key] = old * ch.value
            else:
                node[key] = ch.value
    return out


def parse_values(text: str) -> list[Any]:
    """``"1,2.5,abc"`` → [1, 2.5, "abc"]: numbers where they parse (finite), else strings."""
    values: list[Any] = []
    for raw in text.split(","):
        raw = raw.strip()
        if not raw:
            raise PathError(f"sweep values {text!r}: an empty value between commas")
        try:
            number = float(raw)
        except ValueError:
            values.append({"true": True, "false": False}.get(raw.lower(), raw))
            continue
        if not math.isfinite(number):
            raise PathError(f"sweep values {text!r}: {raw} is not a finite number")
        values.append(int(number) if raw.lstrip("+-").isdigit() else number)
    return values


def parse_set(text: str) -> tuple[str, bool, list[Any]]:
    """``PATH=V1,V2`` or ``PATH*=F1,F2`` → (path, scale, values)."""
    if "=" not in text:
        raise PathError(f"--set {text!r}: write PATH=V1,V2 (set) or PATH*=F1,F2 (scale)")
    path, values = text.split("=", 1)
    scale = path.endswith("*")
    path = path[:-1] if scale else path
    _segments(path)
    parsed = parse_values(values)
    if scale and any(isinstance(v, bool) or not isinstance(v, int | float) for v in parsed):
        raise PathError(f"--set {text!r}: a scale factor must be a number")
    return path, scale, parsed
