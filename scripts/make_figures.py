"""Regenerate the figures the studies guide (docs/guides/studies.md) shows, into ``docs/img/``.

Usage (from anywhere, with the interpreter that has ecoopt installed)::

    python scripts/make_figures.py              # every figure (about 25 s; the front dominates)
    python scripts/make_figures.py gaps_gpushare.png   # just these

Each figure is drawn by ``ecoopt.plot`` from a fresh run of the library (nothing is read from
earlier outputs) and saved by ``ecoopt.plot.save``: no date or software name in the metadata
and a fixed SVG hash salt, HiGHS with one thread. Regenerating therefore gives the same bytes
with the same matplotlib, FreeType and numbers; ``tests/test_plot.py`` regenerates
``gaps_gpushare.png`` and checks it is byte-identical to the committed file. The other two come
from deterministic solves as well, and regenerate byte for byte here (matplotlib 3.11.2); a
different matplotlib or FreeType may move pixels, so after an upgrade compare them by eye.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "img"
INSTANCES = ROOT / "instances"
GAPS_FILES = ("paper_four_agents", "paper_nondegenerate", "multi_gpu_three_grids",
              "generated_40_agents_4_gpus", "generated_300_agents_pool_30")  # fmt: skip
DPI = 90


def gaps_gpushare() -> object:
    """Each gpushare heuristic's gap to the MILP on five bundled files (symlog axis)."""
    import ecoopt
    from ecoopt import plot

    tables = {n: ecoopt.compare(ecoopt.load(INSTANCES / "gpushare" / f"{n}.yaml"), threads=1)
              for n in GAPS_FILES}  # fmt: skip
    ax = plot.gaps(tables, yscale="symlog")
    ax.set_title("gpushare: gap of each heuristic to the MILP optimum", fontsize=9)
    return ax.figure


def front_partition_slo() -> object:
    """The exact carbon–latency front of the CarbonEdge MobileNetV2 file with its 0.3 s SLO,
    5 points, and every heuristic's point."""
    from matplotlib.figure import Figure

    import ecoopt
    from ecoopt import plot

    inst = ecoopt.load(INSTANCES / "partition" / "carbonedge_mobilenet_v2_slo.yaml")
    df = ecoopt.pareto(inst, "latency", "carbon", 5, threads=1)
    ax = Figure(figsize=(7.0, 4.4), layout="constrained").add_subplot()
    plot.front(df, ax)
    ax.set_ylabel("carbon (g per inference)")
    ax.set_title("partition, carbonedge_mobilenet_v2_slo: least carbon per latency bound",
                 fontsize=9)  # fmt: skip
    return ax.figure


def timeline_gpushare_bursty() -> object:
    """``adaptive`` over the first 30 s of the 12-agent bursty trace: shares, backlogs and
    carbon per 1 s step."""
    import ecoopt
    from ecoopt import plot

    inst = ecoopt.load(INSTANCES / "gpushare" / "generated_12_agents_bursty_trace.yaml")
    return plot.timeline(plot.timeline_data(inst, "adaptive", steps=30), width=7.5)


FIGURES: dict[str, Callable[[], object]] = {
    "gaps_gpushare.png": gaps_gpushare,
    "front_partition_slo.png": front_partition_slo,
    "timeline_gpushare_bursty.png": timeline_gpushare_bursty,
}


def make(name: str, out_dir: Path = OUT) -> Path:
    """Draw figure ``name`` and write it into ``out_dir``."""
    from ecoopt.plot import save

    out_dir.mkdir(parents=True, exist_ok=True)
    return save(FIGURES[name](), out_dir / name, dpi=DPI)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", metavar="NAME",
                        help=f"figures to make (default: all): {', '.join(FIGURES)}")  # fmt: skip
    parser.add_argument("--out-dir", type=Path, default=OUT, help="default: docs/img")
    args = parser.parse_args(argv)
    unknown = [n for n in args.names if n not in FIGURES]
    if unknown:
        parser.error(f"unknown figure {unknown[0]!r}; choose among {', '.join(FIGURES)}")
    for name in args.names or list(FIGURES):
        path = make(name, args.out_dir)
        print(f"wrote {path} ({path.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
