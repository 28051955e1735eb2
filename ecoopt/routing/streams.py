"""Request streams for the routing family: which requests arrive when, of which type, how large.

A :class:`Stream` is the requests that arrive over a horizon: arrival time (s), request type
and, for LLM prompts, prompt and output tokens. Streams come from seeded generators
(:func:`poisson`, :func:`bursty`, :func:`diurnal`) or from the two bundled Azure LLM traces
(:func:`azure`); :func:`generate_stream` is the one entry point for instance files.

Parameters are untrusted (they come from instance files): every number is type-checked
(a ``bool`` or a string is not a number) and bounded before anything is allocated, and a bad
one raises ``ValueError`` with one sentence naming the parameter, what is wrong and the
allowed range.

Random draws use ``numpy.random.default_rng(seed)`` in a fixed order (arrival times first,
then types), so the same arguments give identical arrays, and changing only the type shares
or tokens leaves the arrival times unchanged.
"""

from __future__ import annotations

import inspect
import math
import reprlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import printable
from ..provisioning.traces import SERVICES, load_azure_trace

__all__ = [
    "KINDS",
    "MAX_EXPECTED_REQUESTS",
    "MAX_HORIZON_S",
    "MAX_RATE_PER_S",
    "Stream",
    "azure",
    "bursty",
    "diurnal",
    "generate_stream",
    "poisson",
]

MAX_RATE_PER_S = 1e6
"""Largest arrival rate a generator accepts, requests/s."""
MAX_HORIZON_S = 1e7
"""Longest horizon (and longest period or mean state duration) a generator accepts, s."""
MAX_EXPECTED_REQUESTS = 2e6
"""Largest expected number of requests (or thinning candidates) a generator allocates."""
MAX_CYCLES = 1e6
"""Largest expected number of burst-calm cycles of :func:`bursty` over its horizon."""
MAX_TYPES = 1000
"""Most request types a stream may have."""
MAX_NAME_CHARS = 200
"""Longest request-type name, characters."""
MAX_TOKENS = 10_000_000
"""Largest fixed prompt or output token count per type, tokens."""
MAX_SPEEDUP = 1e6
"""Largest replay speed-up of :func:`azure`."""
SHARE_TOL = 1e-9
"""How far the type shares may sum away from 1."""


# --- checks of untrusted parameters ---------------------------------------------------------


_REPR = reprlib.Repr()  # keyword arguments need Python 3.12
_REPR.maxlevel, _REPR.maxlist, _REPR.maxtuple, _REPR.maxdict = 2, 4, 4, 4
_REPR.maxstring = _REPR.maxother = 40


def _show(value: Any) -> str:
    """A short, printable rendering of a bad value for a one-line message.

    Bounded work whatever the value: containers show their first items only, and a huge int
    (whose decimal form Python may refuse to build) shows its size.
    """
    if isinstance(value, int) and not isinstance(value, bool) and value.bit_length() > 64:
        return f"an integer of {value.bit_length()} bits"
    try:
        text = _REPR.repr(value)
    except Exception:  # a foreign object whose repr fails still gets a message
        text = f"a {type(value).__name__}"
    return printable(text if len(text) <= 60 else text[:57] + "...")


def _g(x: float) -> str:
    """``1e6`` rather than ``1e+06`` in messages."""
    return f"{x:g}".replace("e+0", "e").replace("e+", "e").replace("e-0", "e-")


def _real(
    value: Any, name: str, lo: float, hi: float, *, lo_open: bool = False, unit: str = ""
) -> float:
    """``value`` as a float after checking it is a real number (not a bool) in ``[lo, hi]``.

    ``lo_open`` makes the lower end exclusive. Compared before any conversion, so a huge
    Python int is refused rather than overflowing.
    """
    need = f"a number in {'(' if lo_open else '['}{_g(lo)}, {_g(hi)}]{unit}"
    if isinstance(value, bool) or not isinstance(value, int | float | np.integer | np.floating):
        raise ValueError(
            f"{name} must be {need}, got {_show(value)} of type {type(value).__name__}"
        )
    if isinstance(value, float | np.floating) and not math.isfinite(value):
        raise ValueError(f"{name} must be {need}, got {_show(float(value))}")
    if value < lo or value > hi or (lo_open and value == lo):
        raise ValueError(f"{name} must be {need}, got {_show(value)}")
    return float(value)


def _int(value: Any, name: str, lo: int, hi: int, *, shown_hi: str = "") -> int:
    """``value`` as an int after checking it is an integer (not a bool) in ``[lo, hi]``."""
    need = f"an integer in [{lo}, {shown_hi or (_g(hi) if hi >= 10**6 else hi)}]"
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise ValueError(
            f"{name} must be {need}, got {_show(value)} of type {type(value).__name__}"
        )
    if value < lo or value > hi:
        raise ValueError(f"{name} must be {need}, got {_show(value)}")
    return int(value)


def _name(value: Any, what: str) -> str:
    """A request-type name: a non-empty string of at most :data:`MAX_NAME_CHARS` characters."""
    if not isinstance(value, str) or not value or len(value) > MAX_NAME_CHARS:
        raise ValueError(
            f"{what} must be a non-empty string of at most {MAX_NAME_CHARS} characters, "
            f"got {_show(value)}"
        )
    return value


def _horizon(value: Any) -> float:
    return _real(value, "horizon_s", 0.0, MAX_HORIZON_S, lo_open=True, unit=" s")


def _rate(value: Any, name: str, *, zero_ok: bool = False) -> float:
    return _real(value, name, 0.0, MAX_RATE_PER_S, lo_open=not zero_ok, unit=" requests/s")


def _expected(count: float, what: str, fix: str) -> None:
    """Refuse a generator whose expected allocation exceeds :data:`MAX_EXPECTED_REQUESTS`."""
    if count > MAX_EXPECTED_REQUESTS:
        raise ValueError(
            f"the expected request count {what} is {_g(count)}, above the limit of "
            f"{_g(MAX_EXPECTED_REQUESTS)}; {fix}"
        )


def _rng(seed: Any) -> np.random.Generator:
    return np.random.default_rng(_int(seed, "seed", 0, 2**63 - 1, shown_hi="2**63 - 1"))


# --- type mix -------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Mix:
    """Validated request types: names, shares (sum 1) and fixed tokens per type."""

    names: tuple[str, ...]
    shares: np.ndarray
    prompt: np.ndarray
    output: np.ndarray

    def stream(self, rng: np.random.Generator, arrival_s: np.ndarray) -> Stream:
        """A stream of these arrivals, each request's type drawn independently by share."""
        if len(self.names) == 1:
            index = np.zeros(arrival_s.size, dtype=np.int64)
        else:
            cdf = np.cumsum(self.shares)
            cdf[int(np.flatnonzero(self.shares > 0)[-1]) :] = 1.0  # no draw past the last used type
            index = np.searchsorted(cdf, rng.random(arrival_s.size), side="right").astype(np.int64)
        return Stream(arrival_s, index, self.names, self.prompt[index], self.output[index])


def _type_names(types: Any) -> tuple[tuple[str, ...], list[Any] | None]:
    """Names of ``types`` and, for a mapping, its raw shares (``None`` for equal shares)."""
    fix = "a mapping of type name to share or a list of type names"
    if isinstance(types, str | bytes) or not isinstance(types, Mapping | Sequence):
        raise ValueError(f"types must be {fix}, got {_show(types)}")
    if not 1 <= len(types) <= MAX_TYPES:
        raise ValueError(f"types must hold 1 to {MAX_TYPES} request types, got {len(types)}")
    names = tuple(_name(t, "each name in types") for t in types)
    if len(set(names)) < len(names):
        dup = next(n for i, n in enumerate(names) if n in names[:i])
        raise ValueError(f"types must name each request type once, got {_show(dup)} twice")
    return names, (list(types.values()) if isinstance(types, Mapping) else None)


def _shares(names: tuple[str, ...], raw: list[Any] | None) -> np.ndarray:
    if raw is None:
        return np.full(len(names), 1.0 / len(names))
    shares = np.array([_real(s, f"types[{n!r}] (a share)", 0.0, 1.0) for n, s in zip(names, raw)])
    if abs(shares.sum() - 1.0) > SHARE_TOL:
        raise ValueError(
            f"the shares in types must sum to 1 within {_g(SHARE_TOL)}, got {float(shares.sum())!r}"
        )
    return shares


def _tokens(names: tuple[str, ...], tokens: Any) -> tuple[np.ndarray, np.ndarray]:
    """Fixed (prompt, output) tokens per type, 0 where ``tokens`` does not name the type."""
    prompt = np.zeros(len(names), dtype=np.int64)
    output = np.zeros(len(names), dtype=np.int64)
    if tokens is None:
        return prompt, output
    if not isinstance(tokens, Mapping) or len(tokens) > len(names):
        raise ValueError(
            f"tokens must be a mapping of at most {len(names)} type names (those in types) to "
            f"[prompt_tokens, output_tokens], got {_show(tokens)}"
        )
    where = {n: i for i, n in enumerate(names)}
    for key, pair in tokens.items():
        if not isinstance(key, str) or key not in where:
            raise ValueError(
                f"tokens must name only types in types ({', '.join(names[:12])}), got {_show(key)}"
            )
        if isinstance(pair, str | bytes) or not isinstance(pair, Sequence) or len(pair) != 2:
            raise ValueError(
                f"tokens[{key!r}] must be a pair [prompt_tokens, output_tokens], got {_show(pair)}"
            )
        prompt[where[key]] = _int(pair[0], f"tokens[{key!r}] prompt_tokens", 0, MAX_TOKENS)
        output[where[key]] = _int(pair[1], f"tokens[{key!r}] output_tokens", 0, MAX_TOKENS)
    return prompt, output


def _mix(types: Any, tokens: Any) -> _Mix:
    names, raw = _type_names(types)
    return _Mix(names, _shares(names, raw), *_tokens(names, tokens))


# --- the stream -----------------------------------------------------------------------------


def _frozen(values: Any, dtype: type, name: str) -> np.ndarray:
    """A read-only 1-D view of ``values`` as ``dtype``; refuses other shapes or lossy casts."""
    arr = np.asarray(values)
    if arr.ndim != 1:
        raise ValueError(f"Stream.{name} must be one-dimensional, got shape {arr.shape}")
    integer, floating = np.issubdtype(arr.dtype, np.integer), np.issubdtype(arr.dtype, np.floating)
    if arr.size and dtype is np.int64 and not integer:
        raise ValueError(f"Stream.{name} must hold integers, got dtype {arr.dtype}")
    if arr.size and dtype is np.float64 and not (integer or floating):
        raise ValueError(f"Stream.{name} must hold real numbers, got dtype {arr.dtype}")
    if arr.size and integer and arr.dtype.kind == "u" and arr.max() > np.iinfo(np.int64).max:
        raise ValueError(f"Stream.{name} holds values too large for int64")
    view = arr.astype(dtype, copy=False).view()
    view.flags.writeable = False
    return view


@dataclass(frozen=True, eq=False, repr=False)
class Stream:
    """The requests arriving over a horizon, in arrival order.

    Attributes
    ----------
    arrival_s : numpy.ndarray
        Shape ``(R,)``, float, s; sorted ascending, ≥ 0.
    type_index : numpy.ndarray
        Shape ``(R,)``, int64, each request's index into ``types``.
    types : tuple of str
        Request type names (a type may have no request).
    prompt_tokens, output_tokens : numpy.ndarray
        Shape ``(R,)``, int64, tokens; 0 for non-LLM types.

    The arrays are read-only views. Construction checks shapes, order and ranges (O(R)) and
    raises ``ValueError`` on a violation. Two streams compare equal when every field is equal.
    """

    arrival_s: np.ndarray
    type_index: np.ndarray
    types: tuple[str, ...]
    prompt_tokens: np.ndarray
    output_tokens: np.ndarray

    def __post_init__(self) -> None:
        fields = {"arrival_s": np.float64, "type_index": np.int64}
        fields |= {"prompt_tokens": np.int64, "output_tokens": np.int64}
        for name, dtype in fields.items():
            object.__setattr__(self, name, _frozen(getattr(self, name), dtype, name))
        if not isinstance(self.types, list | tuple) or not 1 <= len(self.types) <= MAX_TYPES:
            raise ValueError(
                f"Stream.types must be a tuple of 1 to {MAX_TYPES} names, got {_show(self.types)}"
            )
        types = tuple(_name(t, "each name in Stream.types") for t in self.types)
        if len(set(types)) < len(types):
            raise ValueError(f"Stream.types must name each type once, got {_show(types)}")
        object.__setattr__(self, "types", types)
        self._check_values()

    def _check_values(self) -> None:
        r = self.arrival_s.size
        if {self.type_index.size, self.prompt_tokens.size, self.output_tokens.size} != {r}:
            raise ValueError("Stream arrays must all have the same length")
        t = self.arrival_s
        if r and (not np.isfinite(t).all() or t[0] < 0 or (np.diff(t) < 0).any()):
            raise ValueError("Stream.arrival_s must be finite, >= 0 and sorted ascending")
        if r and (self.type_index.min() < 0 or self.type_index.max() >= len(self.types)):
            raise ValueError(f"Stream.type_index must lie in [0, {len(self.types) - 1}]")
        if r and min(self.prompt_tokens.min(), self.output_tokens.min()) < 0:
            raise ValueError("Stream.prompt_tokens and Stream.output_tokens must be >= 0")

    def __len__(self) -> int:
        return int(self.arrival_s.size)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Stream):
            return NotImplemented
        arrays = ("arrival_s", "type_index", "prompt_tokens", "output_tokens")
        same = all(np.array_equal(getattr(self, a), getattr(other, a)) for a in arrays)
        return same and self.types == other.types

    __hash__ = None  # type: ignore[assignment]  # equal by value, arrays are not hashable

    def __repr__(self) -> str:
        span = f"{self.arrival_s[-1]:g} s" if len(self) else "0 s"
        return f"Stream({len(self)} requests, last at {span}, types={self.types!r})"

    def _take(self, lo: int, hi: int, shift_s: float = 0.0) -> Stream:
        t = self.arrival_s[lo:hi] - shift_s if shift_s else self.arrival_s[lo:hi]
        return Stream(
            t,
            self.type_index[lo:hi],
            self.types,
            self.prompt_tokens[lo:hi],
            self.output_tokens[lo:hi],
        )

    def to_frame(self) -> pd.DataFrame:
        """The requests as a table.

        Returns
        -------
        pandas.DataFrame
            One row per request: ``arrival_s`` (float, s), ``type`` (categorical whose
            categories are ``types``, in order), ``prompt_tokens`` and ``output_tokens`` (int64).
        """
        return pd.DataFrame(
            {
                "arrival_s": np.array(self.arrival_s),
                "type": pd.Categorical.from_codes(self.type_index, categories=list(self.types)),
                "prompt_tokens": np.array(self.prompt_tokens),
                "output_tokens": np.array(self.output_tokens),
            }
        )

    @classmethod
    def from_frame(cls, frame: pd.DataFrame) -> Stream:
        """The stream :meth:`to_frame` wrote (``Stream.from_frame(s.to_frame()) == s``).

        A categorical ``type`` column keeps its categories as ``types``; a plain one gives the
        types in order of first appearance.
        """
        kind = frame["type"]
        if isinstance(kind.dtype, pd.CategoricalDtype):
            codes, categories = kind.cat.codes.to_numpy(), kind.cat.categories
        else:
            codes, categories = pd.factorize(kind)  # first appearance order
        return cls(
            frame["arrival_s"].to_numpy(dtype=np.float64),
            np.asarray(codes, dtype=np.int64),
            tuple(str(c) for c in categories),
            frame["prompt_tokens"].to_numpy(),
            frame["output_tokens"].to_numpy(),
        )

    def head(self, n: int) -> Stream:
        """The first ``n`` requests (all of them if there are fewer); ``n`` an int ≥ 0."""
        return self._take(0, _int(n, "n", 0, 2**63 - 1, shown_hi="2**63 - 1"))

    def window(self, start_s: float, end_s: float) -> Stream:
        """The requests arriving in ``[start_s, end_s)``, times shifted so ``start_s`` is 0.

        Parameters
        ----------
        start_s, end_s : float
            Window ends, s, finite with ``0 <= start_s <= end_s``. Types are kept whole.
        """
        start = _real(start_s, "start_s", 0.0, MAX_HORIZON_S, unit=" s")
        end = _real(end_s, "end_s", start, MAX_HORIZON_S, unit=" s (at least start_s)")
        lo, hi = np.searchsorted(self.arrival_s, [start, end], side="left")
        return self._take(int(lo), int(hi), start)


# --- generators -----------------------------------------------------------------------------


def _below(horizon: float) -> float:
    """The largest float below ``horizon``: uniform draws scaled to it may round up to it."""
    return float(np.nextafter(horizon, 0.0))


def _homogeneous(rng: np.random.Generator, rate: float, horizon: float) -> np.ndarray:
    """Poisson arrivals on ``[0, horizon)``: a Poisson count, then sorted uniform times.

    Given their count, the arrival times of a homogeneous Poisson process are distributed as
    sorted independent uniforms, so this is exact and needs no loop.
    """
    t = rng.uniform(0.0, horizon, int(rng.poisson(rate * horizon)))
    t.sort()
    return np.minimum(t, _below(horizon))


def poisson(
    rate_per_s: float,
    horizon_s: float,
    *,
    types: Mapping[str, float] | Sequence[str] = ("task",),
    seed: int = 0,
    tokens: Mapping[str, tuple[int, int]] | None = None,
) -> Stream:
    """Homogeneous Poisson arrivals on ``[0, horizon_s)``.

    Parameters
    ----------
    rate_per_s : float
        Arrival rate, requests/s, in (0, 1e6].
    horizon_s : float
        Horizon, s, in (0, 1e7]. ``rate_per_s * horizon_s`` must be at most 2e6.
    types : mapping of str to float, or sequence of str
        Request types with their shares (each in [0, 1], summing to 1 within 1e-9), or names
        with equal shares; each request's type is drawn independently by share. 1 to 1000.
    seed : int
        Seed of ``numpy.random.default_rng``, in [0, 2**63 - 1].
    tokens : mapping of str to (int, int), optional
        ``(prompt_tokens, output_tokens)`` fixed per type, each in [0, 1e7]; 0 for types not
        named.

    Returns
    -------
    Stream

    Raises
    ------
    ValueError
        On any parameter out of range or of the wrong type.
    """
    rate = _rate(rate_per_s, "rate_per_s")
    horizon = _horizon(horizon_s)
    _expected(rate * horizon, "rate_per_s × horizon_s", "shorten horizon_s or lower rate_per_s")
    mix = _mix(types, tokens)
    rng = _rng(seed)
    return mix.stream(rng, _homogeneous(rng, rate, horizon))


def _states(
    rng: np.random.Generator, horizon: float, mean_burst: float, mean_calm: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Sojourns of the two-state chain covering ``[0, horizon)``: starts, lengths, is-burst.

    The first state is drawn from the stationary law (burst with probability
    ``mean_burst / (mean_burst + mean_calm)``), so the process is stationary from t = 0.
    Sojourns are drawn in chunks of the expected count plus ten sigma; one chunk almost always
    suffices.
    """
    first_burst = bool(rng.random() < mean_burst / (mean_burst + mean_calm))
    cycles = horizon / (mean_burst + mean_calm)
    chunk = int(2.0 * cycles + 10.0 * math.sqrt(2.0 * cycles) + 16.0)
    ends, flags, last, offset = [], [], 0.0, 0
    while last < horizon:
        burst = (np.arange(offset, offset + chunk) % 2 == 0) == first_burst
        e = last + np.cumsum(rng.exponential(np.where(burst, mean_burst, mean_calm)))
        ends.append(e)
        flags.append(burst)
        last, offset = float(e[-1]), offset + chunk
    end = np.concatenate(ends)
    n = int(np.searchsorted(end, horizon, side="left")) + 1  # the first sojourn reaching it
    start = np.concatenate(([0.0], end[: n - 1]))
    return start, np.minimum(end[:n], horizon) - start, np.concatenate(flags)[:n]


def bursty(
    base_rate_per_s: float,
    burst_rate_per_s: float,
    horizon_s: float,
    *,
    mean_burst_s: float,
    mean_calm_s: float,
    types: Mapping[str, float] | Sequence[str] = ("task",),
    seed: int = 0,
    tokens: Mapping[str, tuple[int, int]] | None = None,
) -> Stream:
    """Bursty arrivals: a two-state Markov-modulated Poisson process (MMPP-2) on ``[0, horizon_s)``.

    A hidden state alternates between *calm* and *burst*. Sojourns are independent and
    exponential with means ``mean_calm_s`` and ``mean_burst_s`` (switching rates
    ``1/mean_calm_s`` calm→burst and ``1/mean_burst_s`` burst→calm); while calm, requests
    arrive as a Poisson process of rate ``base_rate_per_s``, while bursting of rate
    ``burst_rate_per_s``. The initial state is drawn from the stationary law, so the process is
    stationary and its mean rate at every t is

        (base · mean_calm_s + burst · mean_burst_s) / (mean_calm_s + mean_burst_s).

    Counts are over-dispersed (variance/mean > 1) whenever the two rates differ.

    Parameters
    ----------
    base_rate_per_s : float
        Calm rate, requests/s, in [0, 1e6] (0 gives an on-off source).
    burst_rate_per_s : float
        Burst rate, requests/s, in (0, 1e6]. ``max(base, burst) * horizon_s`` must be at most
        2e6.
    horizon_s : float
        Horizon, s, in (0, 1e7].
    mean_burst_s, mean_calm_s : float
        Mean sojourn in each state, s, in (0, 1e7]; ``horizon_s / (mean_burst_s +
        mean_calm_s)`` (expected cycles) must be at most 1e6.
    types, seed, tokens
        As in :func:`poisson`.

    Returns
    -------
    Stream

    Raises
    ------
    ValueError
        On any parameter out of range or of the wrong type.
    """
    base = _rate(base_rate_per_s, "base_rate_per_s", zero_ok=True)
    burst = _rate(burst_rate_per_s, "burst_rate_per_s")
    horizon = _horizon(horizon_s)
    mb = _real(mean_burst_s, "mean_burst_s", 0.0, MAX_HORIZON_S, lo_open=True, unit=" s")
    mc = _real(mean_calm_s, "mean_calm_s", 0.0, MAX_HORIZON_S, lo_open=True, unit=" s")
    fix = "shorten horizon_s or lower the rates"
    _expected(max(base, burst) * horizon, "max(base_rate_per_s, burst_rate_per_s) × horizon_s", fix)
    if horizon / (mb + mc) > MAX_CYCLES:
        raise ValueError(
            f"horizon_s / (mean_burst_s + mean_calm_s) is {_g(horizon / (mb + mc))} expected "
            f"burst-calm cycles, above the limit of {_g(MAX_CYCLES)}; shorten horizon_s or "
            "lengthen the mean state durations"
        )
    mix = _mix(types, tokens)
    rng = _rng(seed)
    start, length, in_burst = _states(rng, horizon, mb, mc)
    counts = rng.poisson(np.where(in_burst, burst, base) * length)
    t = np.repeat(start, counts) + rng.random(int(counts.sum())) * np.repeat(length, counts)
    t.sort()
    return mix.stream(rng, np.minimum(t, _below(horizon)))


def diurnal(
    mean_rate_per_s: float,
    horizon_s: float,
    *,
    period_s: float = 86400.0,
    amplitude: float = 0.5,
    peak_at_s: float = 50400.0,
    types: Mapping[str, float] | Sequence[str] = ("task",),
    seed: int = 0,
    tokens: Mapping[str, tuple[int, int]] | None = None,
) -> Stream:
    """Inhomogeneous Poisson arrivals with a cosine daily cycle, by thinning.

    The rate is ``rate(t) = mean_rate_per_s · (1 + amplitude · cos(2π (t − peak_at_s) /
    period_s))``. Candidates are drawn as a homogeneous Poisson process at the peak rate
    ``mean_rate_per_s · (1 + amplitude)`` and each is kept with probability
    ``rate(t) / peak rate`` (Lewis-Shedler thinning), which is exact.

    Parameters
    ----------
    mean_rate_per_s : float
        Mean rate over a period, requests/s, in (0, 1e6].
    horizon_s : float
        Horizon, s, in (0, 1e7]. ``mean_rate_per_s * (1 + amplitude) * horizon_s`` (expected
        candidates) must be at most 2e6.
    period_s : float
        Period of the cycle, s, in [0.001, 1e7]; default one day.
    amplitude : float
        Relative amplitude, in [0, 1]: the peak rate is ``mean · (1 + a)``, the trough
        ``mean · (1 − a)``.
    peak_at_s : float
        A time of peak rate, s, in [-1e7, 1e7]; default 50,400 s (14:00 when t = 0 is midnight).
    types, seed, tokens
        As in :func:`poisson`.

    Returns
    -------
    Stream

    Raises
    ------
    ValueError
        On any parameter out of range or of the wrong type.
    """
    mean = _rate(mean_rate_per_s, "mean_rate_per_s")
    horizon = _horizon(horizon_s)
    period = _real(period_s, "period_s", 1e-3, MAX_HORIZON_S, unit=" s")  # t/period stays finite
    a = _real(amplitude, "amplitude", 0.0, 1.0)
    peak = _real(peak_at_s, "peak_at_s", -MAX_HORIZON_S, MAX_HORIZON_S, unit=" s")
    what = "mean_rate_per_s × (1 + amplitude) × horizon_s"
    _expected(mean * (1.0 + a) * horizon, what, "shorten horizon_s or lower mean_rate_per_s")
    mix = _mix(types, tokens)
    rng = _rng(seed)
    t = _homogeneous(rng, mean * (1.0 + a), horizon)
    keep = rng.random(t.size) * (1.0 + a) < 1.0 + a * np.cos(2.0 * np.pi * (t - peak) / period)
    return mix.stream(rng, t[keep])


def azure(
    service: str,
    *,
    start_s: float = 0.0,
    duration_s: float | None = None,
    speedup: float = 1.0,
    type_name: str | None = None,
    max_requests: int | None = None,
) -> Stream:
    """Requests of a bundled Azure LLM trace (one hour, 2023), with their real token counts.

    The requests arriving in ``[start_s, start_s + duration_s)`` of the trace (trace time, s
    after its first request) are kept, at most ``max_requests`` of them (the first ones);
    their times are shifted so the window starts at 0, then divided by ``speedup``.

    Parameters
    ----------
    service : str
        ``"code"`` (8,819 requests over 3,436 s) or ``"conv"`` (19,366 over 3,502 s); see
        :func:`ecoopt.provisioning.traces.load_azure_trace`.
    start_s : float
        Window start in trace time, s, in [0, last arrival of the trace].
    duration_s : float, optional
        Window length in trace time, s, in (0, 1e7]; ``None`` for up to the trace's end.
    speedup : float
        Replay speed, in [0.001, 1e6]: 2 replays the window in half the time (twice the rate).
    type_name : str, optional
        Name of the single request type; default ``f"llm_{service}"``.
    max_requests : int, optional
        Keep at most this many requests, an int in [0, 1e9]; ``None`` for all.

    Returns
    -------
    Stream

    Raises
    ------
    ValueError
        On an unknown service or any parameter out of range or of the wrong type.
    """
    if not isinstance(service, str) or service not in SERVICES:
        known = ", ".join(repr(s) for s in SERVICES)
        raise ValueError(f"service must be one of {known}, got {_show(service)}")
    trace = load_azure_trace(service)
    t = trace["arrival_s"].to_numpy()
    span = f" s (the last arrival of trace {service!r})"
    start = _real(start_s, "start_s", 0.0, float(t[-1]), unit=span)
    hi = len(t)
    if duration_s is not None:
        duration = _real(duration_s, "duration_s", 0.0, MAX_HORIZON_S, lo_open=True, unit=" s")
        hi = int(np.searchsorted(t, start + duration, side="left"))
    speed = _real(speedup, "speedup", 1e-3, MAX_SPEEDUP)
    name = _name(f"llm_{service}" if type_name is None else type_name, "type_name")
    lo = int(np.searchsorted(t, start, side="left"))
    if max_requests is not None:
        hi = min(hi, lo + _int(max_requests, "max_requests", 0, 10**9))
    return Stream(
        (t[lo:hi] - start) / speed,
        np.zeros(max(hi - lo, 0), dtype=np.int64),
        (name,),
        trace["prompt_tokens"].to_numpy()[lo:hi],
        trace["output_tokens"].to_numpy()[lo:hi],
    )


KINDS: dict[str, Callable[..., Stream]] = {
    "poisson": poisson,
    "bursty": bursty,
    "diurnal": diurnal,
    "azure": azure,
}
"""Stream sources by the ``kind`` name :func:`generate_stream` takes."""


def generate_stream(kind: str, **params: Any) -> Stream:
    """One entry point for instance files: the stream of source ``kind`` with ``params``.

    Parameters
    ----------
    kind : str
        ``"poisson"``, ``"bursty"``, ``"diurnal"`` or ``"azure"``.
    **params
        The keyword parameters of that function (:func:`poisson`, :func:`bursty`,
        :func:`diurnal`, :func:`azure`), checked by name: an unknown or missing parameter is a
        ``ValueError`` listing the allowed ones, not a ``TypeError``.

    Returns
    -------
    Stream

    Raises
    ------
    ValueError
        On an unknown kind, an unknown or missing parameter, or a bad value.
    """
    if not isinstance(kind, str) or kind not in KINDS:
        raise ValueError(f"kind must be one of {', '.join(map(repr, KINDS))}, got {_show(kind)}")
    sig = inspect.signature(KINDS[kind])
    allowed = list(sig.parameters)
    unknown = [p for p in params if p not in sig.parameters]
    if unknown:
        raise ValueError(
            f"{_show(unknown[0])} is not a parameter of kind {kind!r}; allowed: "
            f"{', '.join(allowed)}"
        )
    required = [n for n, p in sig.parameters.items() if p.default is inspect.Parameter.empty]
    missing = [n for n in required if n not in params]
    if missing:
        raise ValueError(
            f"kind {kind!r} needs the parameter {missing[0]}; allowed: {', '.join(allowed)}"
        )
    return KINDS[kind](**params)
