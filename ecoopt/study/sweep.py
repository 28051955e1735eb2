"""Sweeps: the MILP and every heuristic at each point of a grid of instance changes, as one
tidy DataFrame, written point by point so that an interrupted sweep loses no finished point.

``sweep(inst, over={"gpus[gpu0].intensity_g_per_kwh": [100, 400], "agents[*].arrival_rps*":
[0.5, 1.0]})`` runs ``ecoopt.compare`` at each of the 2 × 2 points (a key ending in ``*``
scales, ``ecoopt.study.paths``). Rows: one per point and method, with the point's values (one
column per path), ``point`` (its index in the grid), the compare columns (objective,
feasible, gap_pct, runtime_s, status, violations, the family's metrics) and ``instance``.

**Resumable.** With ``out`` (a CSV file), every finished point's rows are appended in one
write and flushed to disk before the next point starts; a point is finished when its rows
are complete (a last column ``done`` is 1). Re-running the same sweep with the same ``out``
reads the finished points back and runs only the others, so a sweep stopped by Ctrl-C or a
killed process resumes where it was. Points are keyed by the instance's name and the point's
values; a torn last line (a kill during the write) is cut off before appending.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import pandas as pd

from ..compare import compare
from ..errors import EcoOptError, InstanceError
from ..io import from_dict, to_dict
from ..progress import bar_with
from ..results import DEFAULT_MIP_GAP
from .paths import Change, PathError, apply

MAX_POINTS = 100_000


def grid(over: Mapping[str, Sequence[Any]]) -> list[list[Change]]:
    """The product of the value lists, in the order given; a key ending in ``*`` scales."""
    if not over:
        raise PathError("a sweep needs at least one path with values")
    axes = []
    for key, values in over.items():
        values = list(values)
        if not values:
            raise PathError(f"sweep path {key!r}: give at least one value")
        scale = key.endswith("*")
        path = key[:-1] if scale else key
        axes.append([Change(path, v, scale) for v in values])
    size = 1
    for a in axes:
        size *= len(a)
    if size > MAX_POINTS:
        raise PathError(f"the sweep has {size:,} points, above {MAX_POINTS:,}: give fewer values")
    return [list(p) for p in itertools.product(*axes)]


def point_key(instance_name: str, changes: list[Change]) -> str:
    """The key of a point in a results file: instance name and each path's value."""
    return json.dumps([instance_name, [[c.label, c.value] for c in changes]], sort_keys=True)


def _point_instance(
    base: dict, changes: list[Change], source: str, base_dir: Path, allow: list | None
) -> Any:
    data = apply(base, changes)
    where = ", ".join(f"{c.label}={c.value}" for c in changes)
    try:
        return from_dict(data, source=source, base_dir=base_dir, allow_paths=allow)
    except InstanceError as exc:
        raise PathError(f"sweep point {where}: {exc}") from None


def _finished(out: Path | None) -> pd.DataFrame:
    """The complete rows already in ``out`` (none if it does not exist); cuts a torn tail."""
    if out is None or not out.exists() or out.stat().st_size == 0:
        return pd.DataFrame()
    raw = out.read_bytes()
    if not raw.endswith(b"\n"):
        out.write_bytes(raw[: raw.rfind(b"\n") + 1])
    try:
        rows = pd.read_csv(out, dtype={"point_key": str}, keep_default_na=True)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise EcoOptError(f"{out}: not a sweep results file ({exc}); give another --out") from None
    if "done" not in rows.columns or "point_key" not in rows.columns:
        raise EcoOptError(f"{out}: not a sweep results file (no done/point_key columns)")
    return rows[rows["done"] == 1]


def _append(out: Path, rows: pd.DataFrame) -> None:
    header = not out.exists() or out.stat().st_size == 0
    text = rows.to_csv(index=False, header=header)
    with open(out, "a", encoding="utf-8") as fh:
        fh.write(text)
        fh.flush()
        os.fsync(fh.fileno())


def _rows(df: pd.DataFrame, changes: list[Change], index: int, key: str, name: str) -> pd.DataFrame:
    cols = {c.label: c.value for c in changes}
    front = pd.DataFrame({**{k: [v] * len(df) for k, v in cols.items()},
                          "point": index, "point_key": key, "instance": name})  # fmt: skip
    rows = pd.concat([front, df.reset_index(drop=True)], axis=1)
    rows["done"] = 1
    return rows


def run_point(
    base: dict,
    changes: list[Change],
    index: int,
    key: str,
    name: str,
    source: str,
    base_dir: Path,
    allow: list | None,
    opts: dict,
) -> pd.DataFrame:
    """One point's rows: the changed instance validated, then ``compare`` on it (a top-level
    function, so that process pools and Dask workers can run it)."""
    inst = _point_instance(base, changes, source, base_dir, allow)
    return _rows(compare(inst, **opts), changes, index, key, name)


def _executor(scheduler: Any):  # noqa: ANN202
    """``submit(fn, *args) -> future`` and ``as_completed(futures)`` of the executor asked for:
    ``None``/``"serial"`` (here, in order), ``"processes"`` (a local process pool), a
    ``dask.distributed.Client``, or a scheduler address for one."""
    if scheduler in (None, "serial"):
        return None
    if scheduler == "processes":
        from concurrent.futures import ProcessPoolExecutor, as_completed

        pool = ProcessPoolExecutor()
        return pool.submit, as_completed, pool.shutdown
    from distributed import Client, as_completed

    client = scheduler if isinstance(scheduler, Client) else Client(str(scheduler))
    close = (lambda: None) if client is scheduler else client.close
    return client.submit, as_completed, close


class _Status:
    """The progress line's figures: points done (with those read back), seconds per point
    since the start, and the best MILP objective so far (the least; the sense is not known
    here, so the greatest is shown too when they differ)."""

    def __init__(self, read_back: int) -> None:
        self.t0, self.done, self.read = time.perf_counter(), 0, read_back
        self.values: list[float] = []

    def __call__(self, rows: pd.DataFrame) -> dict:
        self.done += 1
        milp = rows[rows["method"] == "milp"]
        if len(milp) and bool(milp["feasible"].iloc[0]):
            self.values.append(float(milp["objective"].iloc[0]))
        out = {"s/point": f"{(time.perf_counter() - self.t0) / self.done:.2f}"}
        if self.read:
            out["resumed"] = self.read
        if self.values:
            out["MILP min"] = f"{min(self.values):.4g}"
            if max(self.values) != min(self.values):
                out["max"] = f"{max(self.values):.4g}"
        return out


def sweep(
    instance: Any,
    over: Mapping[str, Sequence[Any]],
    *,
    methods: list[str] | None = None,
    objective: str | None = None,
    out: str | Path | None = None,
    progress: bool = False,
    time_limit: float | None = 60.0,
    threads: int | None = 1,
    base_dir: str | Path = ".",
    allow_paths: list[str | Path] | None = None,
    source: str | None = None,
    scheduler: Any = None,
    mip_rel_gap: float = DEFAULT_MIP_GAP,
    solver: str = "highs",
) -> pd.DataFrame:
    """``compare`` at every point of the grid ``over`` (module docstring); ``out`` makes it
    resumable. ``base_dir`` and ``allow_paths`` are ``ecoopt.from_dict``'s: where relative
    paths inside the instance resolve (its file's folder) and which other folders it may read;
    ``source`` names the instance in messages (its file; default its name). ``scheduler``:
    where points run — ``None`` (here, in order), ``"processes"`` (local processes), a
    ``dask.distributed.Client`` or a scheduler's address; results are the same either way, and
    every finished point is written (by this process) as soon as it comes back.
    ``time_limit``, ``threads``, ``mip_rel_gap`` and ``solver`` are ``compare``'s."""
    points = grid(over)
    base = to_dict(instance)
    name = getattr(instance, "name", "") or "instance"
    target = Path(out) if out is not None else None
    done = _finished(target)
    have = set(done["point_key"]) if len(done) else set()
    frames = [done] if len(done) else []
    opts = dict(objective=objective, methods=methods, time_limit=time_limit, threads=threads,
                mip_rel_gap=mip_rel_gap, solver=solver)  # fmt: skip
    todo = [(i, ch, point_key(name, ch)) for i, ch in enumerate(points)]
    todo = [(i, ch, k) for i, ch, k in todo if k not in have]
    args = [(base, ch, i, k, name, source or name, Path(base_dir), allow_paths, opts)
            for i, ch, k in todo]  # fmt: skip
    status = _Status(len(have))
    for rows in bar_with(_results(args, scheduler), "points", progress, len(args), status):
        if target is not None:
            _append(target, rows)
        frames.append(rows)
    result = pd.concat(frames, ignore_index=True) if frames else pd.DataFrame()
    if len(result):
        result = result.sort_values("point", kind="stable", ignore_index=True)
    return result


def _results(args: list[tuple], scheduler: Any):  # noqa: ANN202
    """Each point's rows as it finishes (in order when serial)."""
    ex = _executor(scheduler)
    if ex is None:
        for a in args:
            yield run_point(*a)
        return
    submit, as_completed, close = ex
    try:
        futures = [submit(run_point, *a) for a in args]
        for fut in as_completed(futures):
            yield fut.result()
    finally:
        close()
