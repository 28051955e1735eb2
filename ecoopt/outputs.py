"""What the commands print and write: tables for people, JSON and CSV for programs.

One schema per output, the same from every command:

* **row** (``compare`` rows, the one row of ``solve --csv``): ``instance, method, objective,
  feasible, gap_pct, runtime_s, status, violations`` then the problem's metrics;
* **solve --json**: :meth:`Result.to_dict` plus ``instance`` and ``plan`` in the family's named
  schema (``ecoopt.plans``), readable back by ``ecoopt evaluate`` and ``solve --warm-start``;
* **compare --json**: ``{"instances": [{"instance", "objective", "sense", "rows": [row, ...],
  "plans": {method: named plan}}]}``;
* **simulate --json**: ``{"instance", "rows": [one per policy]}``.
* **plot**: a PNG or SVG file; the timeline it draws is ``ProblemSpec.timeline``'s tidy frame
  ``time_s, panel, series, value`` (``ecoopt.plot.timeline_data``).

Tables and CSV cells summarise long lists ("the first few, and N more"); JSON keeps all of it.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import pandas as pd

from .errors import EcoOptError

SHOW = ["method", "objective", "feasible", "gap_pct", "runtime_s"]
NOTE_ITEMS = 3  # entries of a "; "-joined list a table or CSV cell shows


def summarise(text: str, most: int = NOTE_ITEMS) -> str:
    """``a; b; c; d; e`` -> ``a; b; c; and 2 more``: a note that stays one short line."""
    parts = [p for p in str(text).split("; ") if p]
    if len(parts) <= most:
        return "; ".join(parts)
    return "; ".join(parts[:most]) + f"; and {len(parts) - most} more"


def table(df: pd.DataFrame) -> str:
    """The method table: fixed columns first, then the metrics, numbers to 4 significant digits."""
    metrics = [c for c in df.columns if c not in SHOW + ["status", "violations", "instance"]]
    view = df[SHOW + metrics].copy()
    view["feasible"] = view["feasible"].map({True: "yes", False: "NO"})
    fmt = {c: (lambda v: f"{v:.4g}") for c in view.columns if view[c].dtype.kind == "f"}
    # gaps within float noise of zero print as 0.000, not -0.000; JSON keeps raw values
    fmt["gap_pct"] = lambda v: (
        "-" if v is None or math.isnan(v) else f"{0.0 if abs(v) < 5e-10 else v:.3f}"
    )
    fmt["runtime_s"] = lambda v: f"{v:.2e}"
    return view.to_string(index=False, formatters=fmt)


def notes(df: pd.DataFrame) -> list[str]:
    """One summarised line per method that is infeasible or did not end as expected."""
    out = []
    for _, row in df.iterrows():
        if row["violations"]:
            out.append(f"  {row['method']}: infeasible — {summarise(row['violations'])}")
        elif row["status"] not in ("heuristic", "optimal"):
            out.append(f"  {row['method']}: {summarise(row['status'])}")
    return out


def for_csv(df: pd.DataFrame) -> pd.DataFrame:
    """The frame with long list cells summarised (status, violations, notes)."""
    out = df.copy()
    for col in ("status", "violations", "note"):
        if col in out.columns:
            out[col] = out[col].map(lambda v: summarise(v) if isinstance(v, str) else v)
    return out


def jsonable(obj: Any) -> Any:
    """numpy scalars and arrays as plain numbers and lists; NaN and infinities as null."""
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)


def dumps(data: Any) -> str:
    """Strict JSON (no NaN or Infinity, which ``json.loads`` elsewhere may refuse)."""
    return json.dumps(_finite(data), indent=2, default=jsonable, allow_nan=False)


def _finite(obj: Any) -> Any:
    if isinstance(obj, float):
        return obj if math.isfinite(obj) else None
    if isinstance(obj, dict):
        return {str(k): _finite(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_finite(v) for v in obj]
    if hasattr(obj, "tolist"):
        return _finite(obj.tolist())
    return obj


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    return [_finite(r) for r in df.to_dict(orient="records")]


def check_output(path: str | None, option: str = "--csv") -> None:
    """Refuse an output path whose folder does not exist, before any work is done."""
    if path is None:
        return
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise EcoOptError(
            f"{option} {path}: folder {folder} does not exist; create it or choose another"
        )
    if Path(path).is_dir():
        raise EcoOptError(f"{option} {path}: is a folder; give a file name")


def write_text(text: str, path: str, option: str) -> None:
    """Write ``text``; an unwritable path is one line naming it and the option."""
    try:
        Path(path).write_text(text)
    except OSError as exc:
        raise EcoOptError(
            f"{option} {path}: cannot write it ({exc.strerror or exc}); choose a writable file"
        ) from None


def write_csv(df: pd.DataFrame, path: str) -> None:
    write_text(for_csv(df).to_csv(index=False), path, "--csv")
