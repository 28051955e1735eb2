"""Request traces of two production LLM inference services (Azure, 2023) and shapes drawn from them.

The two bundled traces (``ecoopt/data/llm_traces/``, CC BY 4.0; Patel et al., "Splitwise",
ISCA 2024) each hold one hour of requests to an Azure LLM service on 2023-11-16 from about
18:15 UTC: ``"code"`` (a coding assistant: long prompts, short outputs) and ``"conv"``
(conversation). Each request has an arrival time, prompt (context) tokens and generated tokens.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources

import numpy as np
import pandas as pd

__all__ = ["SERVICES", "load_azure_trace", "rate_shape", "size_classes"]

SERVICES: tuple[str, ...] = ("code", "conv")
"""Names of the bundled services."""


def _check_service(service: str) -> None:
    if service not in SERVICES:
        raise ValueError(f"unknown service {service!r}; known: {', '.join(SERVICES)}")


@lru_cache(maxsize=2)
def _read(service: str) -> pd.DataFrame:
    name = f"AzureLLMInferenceTrace2023_{service}.csv.gz"
    with (resources.files("ecoopt") / "data" / "llm_traces" / name).open("rb") as fh:
        raw = pd.read_csv(fh, compression="gzip")
    t = pd.to_datetime(raw["TIMESTAMP"], format="%Y-%m-%d %H:%M:%S.%f")
    return pd.DataFrame(
        {
            "arrival_s": (t - t.iloc[0]).dt.total_seconds().to_numpy(),
            "prompt_tokens": raw["ContextTokens"].to_numpy(dtype=np.int64),
            "output_tokens": raw["GeneratedTokens"].to_numpy(dtype=np.int64),
        }
    )


def load_azure_trace(service: str) -> pd.DataFrame:
    """One service's requests, in arrival order.

    Parameters
    ----------
    service : str
        ``"code"`` (8,819 requests over 3,436 s) or ``"conv"`` (19,366 requests over 3,502 s).

    Returns
    -------
    pandas.DataFrame
        Columns ``arrival_s`` (float, s after the first request, which arrives at 0),
        ``prompt_tokens`` and ``output_tokens`` (int, tokens). A fresh copy on every call.

    Raises
    ------
    ValueError
        On an unknown service.
    """
    _check_service(service)
    return _read(service).copy()


def rate_shape(service: str, slots: int) -> np.ndarray:
    """The trace's arrival rate in ``slots`` equal bins over its span, normalised to mean 1.

    The span (first to last arrival, about one hour) is cut into ``slots`` equal bins and each
    bin's arrival count is divided by the mean count. The result is the real burstiness of one
    hour **stretched onto whatever horizon the caller maps the slots to**: with 24 slots read as
    hours, a minute-scale fluctuation becomes an hour-scale one. It is a shape, not a diurnal
    profile; multiply by a mean rate (requests/s) to get a demand trace.

    Parameters
    ----------
    service : str
        ``"code"`` or ``"conv"``.
    slots : int
        Number of bins, ≥ 1. A bin with no arrival is 0: ``"conv"`` has one from 1,174
        slots on (3 s bins), but ``"code"`` has silences of up to 217 s and an empty bin from
        18 slots on (at 24 slots one bin is 0 and one 0.09). Floor the shape if a
        model needs positive demand.

    Returns
    -------
    numpy.ndarray
        Shape ``(slots,)``, dimensionless, mean 1.

    Raises
    ------
    ValueError
        On an unknown service or ``slots`` < 1.
    """
    _check_service(service)
    if isinstance(slots, bool) or not isinstance(slots, int | np.integer) or slots < 1:
        raise ValueError(f"slots must be an int >= 1, got {slots!r}")
    t = _read(service)["arrival_s"].to_numpy()
    counts, _ = np.histogram(t, bins=int(slots), range=(0.0, float(t[-1])))  # last edge closed
    return counts / counts.mean()


def _buckets(values: np.ndarray, edges: list[float], label: str) -> tuple[np.ndarray, list[str]]:
    """Index of each value's bucket ``(e[i-1], e[i]]`` and the buckets' names."""
    e = [float(x) for x in edges]
    if any(b <= a for a, b in zip(e, e[1:])) or not all(np.isfinite(e)):
        raise ValueError(f"{label} edges must be finite and strictly increasing, got {edges!r}")
    if not e:
        return np.zeros(len(values), dtype=np.int64), [""]
    g = [str(int(x)) if x.is_integer() else repr(x) for x in e]  # exact: names parse back
    names = [f"{label}<={g[0]}"]
    names += [f"{a}<{label}<={b}" for a, b in zip(g, g[1:])]
    names.append(f"{label}>{g[-1]}")
    return np.searchsorted(np.asarray(e), values, side="left"), names


def size_classes(
    service: str, prompt_edges: list[float], output_edges: list[float] | None = None
) -> list[dict]:
    """Request size classes of a service: share of requests and mean sizes per bucket.

    Requests are bucketed by prompt tokens at ``prompt_edges`` (buckets ``p<=e0``,
    ``e0<p<=e1``, …, ``p>e_last``) and, if given, also by output tokens at ``output_edges``
    (``o<=…``; names joined by a comma, e.g. ``"p<=512,o>128"``). Empty buckets are dropped.

    Parameters
    ----------
    service : str
        ``"code"`` or ``"conv"``.
    prompt_edges : list of float
        Strictly increasing prompt-token edges; ``[]`` for no split by prompt.
    output_edges : list of float, optional
        Strictly increasing output-token edges; ``None`` or ``[]`` for no split by output.

    Returns
    -------
    list of dict
        One dict per non-empty bucket, in bucket order: ``name`` (str; ``"all"`` without any
        split), ``share`` (fraction of requests; shares sum to 1), ``prompt_tokens`` and
        ``output_tokens`` (mean tokens per request in the bucket).

    Raises
    ------
    ValueError
        On an unknown service or edges that are not strictly increasing.
    """
    _check_service(service)
    df = _read(service)
    p = df["prompt_tokens"].to_numpy()
    o = df["output_tokens"].to_numpy()
    ip, pnames = _buckets(p, prompt_edges, "p")
    io, onames = _buckets(o, output_edges or [], "o")
    key = ip * len(onames) + io
    classes = []
    for k in np.unique(key):  # sorted: prompt bucket first, then output bucket
        mask = key == k
        parts = [pnames[k // len(onames)], onames[k % len(onames)]]
        name = ",".join(x for x in parts if x) or "all"
        classes.append(
            {
                "name": name,
                "share": float(mask.sum()) / len(key),
                "prompt_tokens": float(p[mask].mean()),
                "output_tokens": float(o[mask].mean()),
            }
        )
    return classes
