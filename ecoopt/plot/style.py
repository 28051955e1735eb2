"""What every ``ecoopt.plot`` figure shares: one colour and marker per method, axis labels,
a new Axes when none is given, and saving to PNG or SVG with reproducible bytes.

matplotlib is imported inside the functions, and figures are ``matplotlib.figure.Figure``
objects rather than pyplot's, so nothing here selects a backend, opens a window or keeps a
figure alive after its last reference (``ecoopt.routing.figures`` does the same).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..results import MILP
from ..routing.figures import MARKERS

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

#: the output formats, by file suffix
FORMATS = {".png": "png", ".svg": "svg"}
#: labels of names that carry no unit in themselves (columns with a unit suffix keep theirs)
LABELS = {
    "latency": "latency (s)",
    "period": "period (s)",
    "gap_pct": "gap to the MILP optimum (%)",
    "excess_pct": "excess over the front (%)",
}
MILP_STYLE = {"color": "black", "marker": "*"}


def method_styles(methods: Iterable[str]) -> dict[str, dict[str, Any]]:
    """Each method's ``color`` and ``marker``: the MILP black with a star, the others in order
    of first appearance through tab10 (tab20 past ten) and ``MARKERS``. Pass the same list
    (e.g. the compare table's methods) to every panel to keep them consistent."""
    from matplotlib import colormaps

    names = list(dict.fromkeys(str(m) for m in methods))
    others = [m for m in names if m != MILP]
    colours = colormaps["tab10" if len(others) <= 10 else "tab20"].colors
    out = {m: {"color": colours[k % len(colours)], "marker": MARKERS[k % len(MARKERS)]}
           for k, m in enumerate(others)}  # fmt: skip
    if MILP in names:
        out[MILP] = dict(MILP_STYLE)
    return out


def label(name: str) -> str:
    """An axis label for a column or objective ``name``: ``LABELS``' entry, else the name
    itself (a column such as ``carbon_g_per_h`` names its unit already); a scaled sweep path
    (ending in ``*``) says it is a factor."""
    if name.endswith("*"):
        return f"{name[:-1]} (× factor)"
    return LABELS.get(name, name)


def axes(ax: Axes | None, size: tuple[float, float] = (6.0, 3.6)) -> Axes:
    """``ax``, or the one Axes of a new ``Figure`` of ``size`` inches."""
    if ax is not None:
        return ax
    from matplotlib.figure import Figure

    return Figure(figsize=size, layout="constrained").add_subplot()


def save(fig: Figure | Axes, path: str | Path, *, dpi: float = 100) -> Path:
    """Write ``fig`` (a Figure, or an Axes' figure) to ``path``, PNG or SVG by its suffix.

    Reproducible: no date or software in the metadata and a fixed SVG hash salt, so the same
    figure gives the same bytes (with the same matplotlib and FreeType). Raises ValueError for
    another suffix."""
    from matplotlib import rc_context

    path = Path(path)
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise ValueError(f"{path}: give a .png or .svg file (the suffix sets the format)")
    figure = fig.get_figure() if not hasattr(fig, "savefig") else fig
    metadata = {"Software": None} if fmt == "png" else {"Date": None, "Creator": None}
    with rc_context({"svg.hashsalt": "ecoopt", "svg.fonttype": "path"}):
        figure.savefig(path, format=fmt, dpi=dpi, metadata=metadata)
    return path
