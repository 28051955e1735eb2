"""Plans as data keyed by entity names: written by ``solve --json`` and ``compare --json``, read
back by ``ecoopt evaluate FILE PLAN`` and ``solve --warm-start PLAN``.

One schema per family, the problem's ``ProblemSpec.plan_to_dict`` / ``plan_from_dict``:

* gpushare: ``{"problem": "gpushare", "method": ..., "agents": {name: {"gpu": slot name,
  "share": fraction of one GPU, "host": GPU of a pool (0 outside pools)}}, "time_slice": bool}``;
* partition: ``{"problem": "partition", "method": ..., "layers": {layer name: device name}}``.

Entities are named, so a plan does not depend on the order of the instance's lists. Reading
one back checks that every entity appears exactly once and names the unknown and the missing;
whether the plan is feasible is the evaluator's judgement, as for every other plan.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from .errors import EcoOptError, listing


class PlanError(EcoOptError):
    """A plan file or dict that does not describe a plan of this instance."""


def entries_by_name(
    data: dict[str, Any], key: str, names: list[str], required: tuple[str, ...]
) -> list[Any]:
    """``data[key][name]`` for every name in ``names`` order; each must be there exactly once
    (and hold the ``required`` fields when entries are mappings)."""
    table = data.get(key)
    if not isinstance(table, dict):
        raise PlanError(f"{key}: missing or not a mapping of {key} by name")
    unknown = [n for n in table if n not in set(names)]
    missing = [n for n in names if n not in table]
    if unknown:
        raise PlanError(
            f"{key}: unknown name(s) {listing(unknown, 8)}; this instance has {listing(names, 8)}"
        )
    if missing:
        raise PlanError(f"{key}: missing {listing(missing, 8)} (a plan names every one)")
    rows = [table[n] for n in names]
    for n, row in zip(names, rows):
        if required and not (isinstance(row, dict) and all(f in row for f in required)):
            raise PlanError(f"{key}.{n}: needs the fields {', '.join(required)}")
    return rows


def plan_to_dict(instance: Any, plan: Any) -> dict[str, Any]:
    """The plan in its family's named schema (module docstring)."""
    from .problems import spec_for

    return spec_for(instance).plan_to_dict(instance, plan)


def plan_from_dict(instance: Any, data: Any, source: str = "<plan>") -> Any:
    """A plan from its named schema, or from a ``solve --json`` output holding one."""
    from .problems import spec_for

    if isinstance(data, dict) and isinstance(data.get("plan"), dict):
        data = data["plan"]  # a whole Result written by solve --json
    if not isinstance(data, dict):
        raise PlanError(f"{source}: a plan is a mapping (see ecoopt.plans)")
    if data.get("problem") not in (None, instance.problem):
        raise PlanError(
            f"{source}: a plan for {data.get('problem')!r}, not for a {instance.problem} instance"
        )
    try:
        return spec_for(instance).plan_from_dict(instance, data)
    except PlanError as exc:
        raise PlanError(f"{source}: {exc}") from None
    except (TypeError, ValueError) as exc:
        raise PlanError(f"{source}: {exc}") from None


def read_plan(instance: Any, path: str | Path) -> Any:
    """Read a plan file (JSON or YAML, a plan or a ``solve --json`` output)."""
    from .io import read_file

    return plan_from_dict(instance, read_file(path), str(path))
