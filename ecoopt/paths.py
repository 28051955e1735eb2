"""Which files an instance file may make ecoopt read: its own folder and the bundled models.

Trust model: an instance file is data from anyone. A path written in it (``model.path``)
resolves against the file's own folder and must land, after following every symlink, inside
that folder, inside the bundled ``models/`` or inside a folder the caller allows
(``ecoopt.load(path, allow_paths=[...])``, ``--allow-path DIR``). Anything else — an absolute
path elsewhere, ``..`` leaving the folder, a symlink out of it — is refused by name *before*
anything is opened or even looked up, so an error never tells whether a file outside exists,
let alone what it holds. Inside, only regular files of at most :data:`MAX_DATA_BYTES` are read
(no devices, FIFOs or sockets, which could hang or never end).
"""

from __future__ import annotations

import os
import stat
from collections.abc import Iterable
from pathlib import Path
from typing import Any

MAX_DATA_BYTES = 64 * 2**20
"""Largest data file (a layer-graph CSV) an instance may name: 64 MiB."""

_FIX = "put the file in the instance's folder, or allow its folder (allow_paths= / --allow-path)"


def bundled_models_dir() -> Path:
    """The installed copy of ``models/`` (``ecoopt._models``)."""
    from importlib.resources import files

    return Path(str(files("ecoopt"))) / "_models"


def confined(ref: str, base_dir: str | Path, allow: Iterable[str | Path] = ()) -> Path:
    """The real path of ``ref`` (as written in an instance) if it may be read, else ValueError.

    ``base_dir`` is the instance file's folder; ``allow`` are further folders the caller trusts.
    """
    base = Path(base_dir)
    target = Path(ref) if Path(ref).is_absolute() else base / ref
    real = Path(os.path.realpath(target))
    roots = [Path(os.path.realpath(d)) for d in (base, bundled_models_dir(), *allow)]
    if not any(real == r or real.is_relative_to(r) for r in roots):
        raise ValueError(
            f"{ref!r} is outside the instance's folder and the bundled models: not read ({_FIX})"
        )
    kind, detail = file_kind(real, MAX_DATA_BYTES)
    if kind == "missing":
        raise ValueError(f"{ref!r}: no such file (paths are relative to the instance file)")
    if kind in ("directory", "special"):
        raise ValueError(f"{ref!r} is not a regular file: not read (name a CSV file)")
    if kind == "too large":
        raise ValueError(
            f"{ref!r} has {detail:,} bytes, above the {MAX_DATA_BYTES:,} a data file may "
            "have: not read (trim the file)"
        )
    return real


def file_kind(path: str | Path, limit: int) -> tuple[str, Any]:
    """What ``path`` is, judged by ``stat`` alone (nothing is opened): ("ok", size),
    ("missing", reason), ("directory", None), ("special", None) for a FIFO, device or socket,
    or ("too large", size) beyond ``limit`` bytes. One rule for instance and data files."""
    try:
        info = os.stat(path)
    except OSError as exc:
        return "missing", exc.strerror or str(exc)
    if stat.S_ISDIR(info.st_mode):
        return "directory", None
    if not stat.S_ISREG(info.st_mode):
        return "special", None
    if info.st_size > limit:
        return "too large", info.st_size
    return "ok", info.st_size
