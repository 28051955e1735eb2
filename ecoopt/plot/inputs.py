"""``ecoopt plot``'s inputs: the CSVs other commands write, read as untrusted files.

Each check fails with one :class:`~ecoopt.errors.EcoOptError` naming the file, the column and
the fix: a missing or oversized file, one that is not CSV, a column missing, a value that is
not a number or a flag. Files are bounded (``MAX_CSV_BYTES``) before they are parsed.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import EcoOptError

MAX_CSV_BYTES = 50_000_000
#: the command whose CSV each kind of plot reads
MADE_BY = {
    "gaps": "ecoopt compare FILE --csv OUT.csv",
    "front": "ecoopt pareto FILE --x A --y B --csv OUT.csv",
    "sweep": "ecoopt sweep FILE --set ... --out OUT.csv (or --csv)",
}
#: the options each kind of plot takes (beside --out)
OPTIONS = {"sweep": ("x", "y", "by"), "timeline": ("policy", "steps")}
FLAGS = {"true": True, "false": False, "1": True, "0": False, "1.0": True, "0.0": False}


def read_csv(path: str | Path, kind: str, columns: Sequence[str]) -> pd.DataFrame:
    """The CSV at ``path`` for a ``kind`` plot, with ``columns`` present."""
    path = Path(path)
    fix = f"give a CSV written by `{MADE_BY[kind]}`"
    if not path.is_file():
        raise EcoOptError(f"{path}: no such file; {fix}")
    size = path.stat().st_size
    if size > MAX_CSV_BYTES:
        raise EcoOptError(f"{path}: {size:,} bytes, above the {MAX_CSV_BYTES:,} a plot reads; "
                          "filter the rows first")  # fmt: skip
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError, ValueError):
        raise EcoOptError(f"{path}: not a CSV file; {fix}") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise EcoOptError(f"{path}: no column {', '.join(missing)}; {fix}")
    if df.empty:
        raise EcoOptError(f"{path}: no rows; {fix}")
    return df


def numbers(df: pd.DataFrame, path: str | Path, *columns: str) -> pd.DataFrame:
    """``columns`` of ``df`` as floats; an empty cell is NaN (no value), anything else that
    is not a number an error naming the file, the column and the row (from 1, after the
    header)."""
    out = df.copy()
    for col in columns:
        text = df[col].str.strip()
        value = pd.to_numeric(text.where(text != "", None), errors="coerce")
        bad = value.isna() & (text != "") & ~text.str.lower().isin(("nan", "inf", "-inf"))
        if bad.any():
            row = int(bad.to_numpy().nonzero()[0][0])
            raise EcoOptError(f"{path}: column {col}, row {row + 1}: {text.iloc[row][:40]!r} "
                              "is not a number; fix or drop that row")  # fmt: skip
        out[col] = value.astype(float)
    return out


def flags(df: pd.DataFrame, path: str | Path, *columns: str, blank: bool = False) -> pd.DataFrame:
    """``columns`` of ``df`` as booleans (True/False, 1/0; an empty cell is ``blank``)."""
    out = df.copy()
    for col in columns:
        text = df[col].str.strip().str.lower()
        value = text.map(FLAGS)
        value[text == ""] = blank
        if value.isna().any():
            row = int(value.isna().to_numpy().nonzero()[0][0])
            raise EcoOptError(f"{path}: column {col}, row {row + 1}: {df[col].iloc[row][:40]!r} "
                              "is not True or False; fix or drop that row")  # fmt: skip
        out[col] = value.astype(bool)
    return out


def compare_csvs(paths: Sequence[str | Path]) -> pd.DataFrame:
    """``ecoopt compare --csv`` files as one gaps table; each row's instance is the stem of its
    ``instance`` column (the instance file compare read), else of the CSV file."""
    frames = []
    for path in paths:
        df = read_csv(path, "gaps", ("method", "gap_pct", "feasible"))
        df = flags(numbers(df, path, "gap_pct"), path, "feasible")
        if "instance" in df.columns:
            df["instance"] = [Path(v).stem if v else Path(path).stem for v in df["instance"]]
        else:
            df["instance"] = Path(path).stem
        frames.append(df)
    return pd.concat(frames, ignore_index=True)


def pareto_csv(path: str | Path) -> pd.DataFrame:
    """An ``ecoopt pareto --csv`` file as ``front``'s frame."""
    cols = ("kind", "method", "x", "y", "feasible", "status")
    df = read_csv(path, "front", cols)
    bad = sorted(set(df["kind"]) - {"front", "heuristic"})
    if bad:
        raise EcoOptError(f"{path}: column kind holds {bad[0][:40]!r}, not front or heuristic; "
                          f"give a CSV written by `{MADE_BY['front']}`")  # fmt: skip
    df = numbers(df, path, "x", "y")
    df = flags(df, path, "feasible")
    if "dominated" in df.columns:
        df = flags(df, path, "dominated")
    return df


def sweep_csv(path: str | Path, x: str, y: str, by: str | None) -> pd.DataFrame:
    """An ``ecoopt sweep`` results file as ``sweep``'s frame, checked for ``x``, ``y`` and
    ``by`` (an unknown one is named with the columns there are)."""
    df = read_csv(path, "sweep", ("point", "method", "feasible"))
    paths = list(df.columns[: list(df.columns).index("point")])
    for option, col in (("--x", x), ("--by", by)):
        if col is not None and col not in paths:
            raise EcoOptError(f"{path}: {option} {col}: no such swept path; the file's are "
                              f"{', '.join(paths) or 'none'}")  # fmt: skip
    if y not in df.columns:
        skip = {"point", "point_key", "instance", "method", "feasible", "status", "violations",
                "done", "objective", "gap_pct"}  # fmt: skip
        metrics = [c for c in df.columns if c not in skip and c not in paths]
        raise EcoOptError(f"{path}: --y {y}: no such column; try objective, gap_pct or one of "
                          f"{', '.join(metrics)}")  # fmt: skip
    df = numbers(df, path, x, y)
    if by is not None:
        df = _maybe_numbers(df, by)
    for other in paths:
        if other not in (x, by):
            df = _maybe_numbers(df, other)
    return flags(df, path, "feasible")


def _maybe_numbers(df: pd.DataFrame, col: str) -> pd.DataFrame:
    """A swept path's column as numbers when every value is one (a path may take names)."""
    value = pd.to_numeric(df[col], errors="coerce")
    if value.notna().all():
        df = df.copy()
        df[col] = value
    return df


def figure_for(kind: str, inputs: Sequence[str], **opts: Any) -> Any:
    """The figure ``ecoopt plot KIND INPUT...`` draws (``opts``: x, y, by, policy, steps,
    allow_path)."""
    from . import charts
    from .timeline import timeline, timeline_data

    for option, value in opts.items():
        users = [k for k, names in OPTIONS.items() if option in names]
        if value is not None and users and kind not in users:
            raise EcoOptError(f"--{option} is for plot {' and '.join(users)}, not plot {kind}")
    if kind != "gaps" and len(inputs) != 1:
        raise EcoOptError(f"plot {kind} reads one file, got {len(inputs)}")
    if kind == "gaps":
        return charts.gaps(compare_csvs(inputs)).figure
    if kind == "front":
        return charts.front(pareto_csv(inputs[0])).figure
    if kind == "sweep":
        if opts.get("x") is None:
            raise EcoOptError("plot sweep needs --x PATH, the swept path along the x axis")
        df = sweep_csv(inputs[0], opts["x"], opts.get("y") or "objective", opts.get("by"))
        try:
            return charts.sweep(df, opts["x"], opts.get("y") or "objective", opts.get("by")).figure
        except ValueError as exc:
            raise EcoOptError(f"{inputs[0]}: {exc}") from None
    from ..io import load

    inst = load(inputs[0], opts.get("allow_path"))
    try:
        return timeline(timeline_data(inst, opts.get("policy"), steps=opts.get("steps")))
    except ValueError as exc:
        raise EcoOptError(f"{inputs[0]}: {exc}") from None
