"""partition on identical devices: the MILP with and without its symmetry rows, the
contiguous-stage DP against it, and how the MILP's time grows with layers and devices.

Run:  python benchmarks/partition_symmetry.py            (≈ 10-20 min on 2 cores)
      python benchmarks/partition_symmetry.py --quick    (≈ 30 s: VGG-16 on 4 devices)
      python benchmarks/partition_symmetry.py --only period --models resnet50   (one table)
      python benchmarks/partition_symmetry.py --only floor    (≈ 10 s: floor and moves, every model)

Instances: D identical devices on a full mesh of identical links; the input arrives on and the
result returns to dev0 (which is therefore pinned: the other D − 1 devices form one class of
interchangeable devices). Two settings, hard for the model on main (it stops at the time
limit on the period objective):

* ``edge``: Jetson Orin NX (the numbers of ``instances/partition/build_instances.py``: 10 % of
  17.5 dense FP16 TFLOP/s, 15 W, idle 5 W, 6 GB for weights) on 10 GbE links (1.25 GB/s,
  50 µs, 20 nJ/byte; assumption), 250 g/kWh (assumption, about CAISO's 2022 mean);
* ``dc``: A100 40 GB (the same file's numbers: 31.2 TFLOP/s effective, 350 W, idle 60 W, 38 GB,
  PUE 1.2, 99 kg embodied over 4 years) on 100 Gb/s InfiniBand-class links (12.5 GB/s, 5 µs,
  5 nJ/byte; assumption), 100 g/kWh (assumption).

Layer times are FLOPs / FLOP/s, without the roofline term (``memory_bandwidth_bytes_per_s``
not given, as in ``ecoopt.partition.generate``): with it, reading VGG-16's 411 MB fc6 weights
takes 4.0 ms on the Orin NX and 0.26 ms on the A100, more than an eighth of the whole model,
so that one layer sets the period on 8 devices and every variant proves it in seconds.

Models: VGG-16 unfused (a chain of 40 layers) and ResNet-50 fused (a DAG of 56 layers), from
``models/layer_graphs``. Every MILP runs through ``ecoopt.solve`` (threads 1, gap 1e-4, the
default warm start); "rows" is the default model (with ``device_order``, and for the period
objective ``transfer_busy`` and the period floor), "no rows" passes
``model_options={"break_symmetry": False}``. Times are wall-clock seconds of the whole solve
(``Result.total_s``) and move ±30 % with machine load. The DP's time is a ratio to the MILP's
time with rows, measured in the same run; its gap is to the MILP's optimum (or bound).
"""

from __future__ import annotations

import argparse
import math
import platform
import tempfile
import time
from pathlib import Path

import ecoopt
from ecoopt.compare import gap_pct
from ecoopt.errors import NotApplicable
from ecoopt.partition import evaluate
from ecoopt.partition.cuts import period_floor_s
from ecoopt.partition.model import period_scale_s
from ecoopt.partition.stages import pipeline_stages_dp, pipeline_stages_moves
from ecoopt.solve import highs_version

OBJECTIVES = ("carbon", "latency", "period", "weighted")
DEVICES = {
    "edge": {
        "flops_per_s": 0.10 * 17.5e12,
        "active_power_w": 15.0,
        "idle_power_w": 5.0,
        "memory_bytes": 6.0e9,
        "intensity_g_per_kwh": 250.0,
    },
    "dc": {
        "flops_per_s": 0.10 * 312e12,
        "active_power_w": 350.0,
        "idle_power_w": 60.0,
        "memory_bytes": 38.0e9,
        "pue": 1.2,
        "embodied_kg": 99.0,
        "lifetime_years": 4.0,
        "intensity_g_per_kwh": 100.0,
    },
}
LINKS = {
    "edge": {"bandwidth_bytes_per_s": 1.25e9, "latency_s": 5e-5, "energy_j_per_byte": 2e-8},
    "dc": {"bandwidth_bytes_per_s": 1.25e10, "latency_s": 5e-6, "energy_j_per_byte": 5e-9},
}
#: weighted: one second of latency weighs as much as 40 mg CO2e, which puts both terms of the
#: same order on these instances (assumption)
WEIGHTS = {"carbon_per_g": 1.0, "latency_per_s": 0.04}
VGG16_CSV = Path(__file__).resolve().parents[1] / "models" / "layer_graphs" / "vgg16_layers.csv"


def pipeline(model: dict, setting: str, n_devices: int, base_dir: Path | None = None):  # noqa: ANN201
    """``model`` (a ModelRef dict) on ``n_devices`` identical devices of ``setting``."""
    names = [f"dev{j}" for j in range(n_devices)]
    data = {
        "problem": "partition",
        "name": f"{model.get('name') or model['path']}_{setting}_{n_devices}",
        "model": model,
        "source": "dev0",
        "sink": "dev0",
        "devices": [{"name": n, **DEVICES[setting]} for n in names],
        "links": [
            {"a": a, "b": b, **LINKS[setting]} for i, a in enumerate(names) for b in names[i + 1 :]
        ],
        "weights": WEIGHTS,
    }
    return ecoopt.from_dict(data, base_dir=base_dir)


def truncated_vgg16(n_layers: int, folder: Path) -> dict:
    """A ModelRef to VGG-16's first ``n_layers`` layers (a chain), written into ``folder``."""
    lines = VGG16_CSV.read_text().splitlines()
    path = folder / f"vgg16_first{n_layers}_layers.csv"
    path.write_text("\n".join(lines[: 2 + n_layers]) + "\n")  # header, input, n layers
    return {"path": path.name, "fuse": False}


def status(res) -> str:  # noqa: ANN001
    gap = "-" if res.gap is None else f"{100 * res.gap:.2g} %"
    return f"{res.termination} | {res.total_s:.2f} | {gap}"


def dp_cells(inst, objective: str, res) -> str:  # noqa: ANN001
    """DP gap to the MILP's optimum (to its incumbent, marked "inc.", when not proven) and
    the DP's time as a ratio to the MILP's."""
    t0 = time.perf_counter()
    try:
        plan = pipeline_stages_dp(inst, objective)
    except NotApplicable:
        return "n/a | n/a"
    seconds = time.perf_counter() - t0
    ev = evaluate(inst, plan, objective)
    gap = gap_pct(ev.objective, res.objective, "min") if ev.feasible else math.inf
    mark = "" if res.optimal else " inc."
    return f"{gap:.3g} %{mark} | {seconds / res.total_s:.2g}"


def main_table(models: list[dict], settings: list[str], n: int, limit: float) -> None:
    print(f"\n## {n} identical devices: MILP without / with the symmetry rows, and the DP\n")
    print(
        "| model | setting | objective | no rows: status | s | gap | rows: status | s | gap "
        "| DP gap | DP time / MILP time |"
    )
    print("|---|---|---|---|---:|---:|---|---:|---:|---:|---:|")
    for model in models:
        for setting in settings:
            inst = pipeline(model, setting, n)
            for objective in OBJECTIVES:
                plain = ecoopt.solve(
                    inst, objective, time_limit=limit, model_options={"break_symmetry": False}
                )
                rows = ecoopt.solve(inst, objective, time_limit=limit)
                print(
                    f"| {model['name']} ({len(inst.data.layers)}) | {setting} | {objective} | "
                    f"{status(plain)} | {status(rows)} | {dp_cells(inst, objective, rows)} |",
                    flush=True,
                )


def period_variants(models: list[dict], settings: list[str], n: int, limit: float) -> None:
    """The period objective under each of the three strengthenings alone, together, and with
    the old warm start (greedy_layer alone) or the plan of ``pipeline_stages_moves`` (the DP's
    plan improved by single-layer moves; not among the default heuristics, so passed as
    ``warm_start``); the period floor itself (s) and T_ref."""
    neither = {"break_symmetry": False, "transfer_busy": False, "period_floor": False}
    no_floor = {"period_floor": False}
    variants = {  # (model options, warm start); None: the default start (best of greedy, DP)
        "none (greedy start)": (neither, "greedy_layer"),
        "none": (neither, None),
        "transfer_busy only": ({**neither, "transfer_busy": True}, None),
        "device_order only": ({**neither, "break_symmetry": True}, None),
        "period_floor only": ({**neither, "period_floor": True}, None),
        "both, no floor": (no_floor, None),
        "all three": ({}, None),
        "all three, greedy start": ({}, "greedy_layer"),
        "all three, moves start": ({}, "moves"),
        "none, moves start": (neither, "moves"),
    }
    print(f"\n## period on {n} devices: which rows do it (status, s, gap)\n")
    print("| model | setting | " + " | ".join(variants) + " |")
    print("|---|---|" + "---|" * len(variants))
    for model in models:
        for setting in settings:
            inst = pipeline(model, setting, n)
            moves = pipeline_stages_moves(inst, "period")
            cells = [
                ecoopt.solve(
                    inst,
                    "period",
                    time_limit=limit,
                    model_options=o,
                    warm_start=moves if w == "moves" else w,
                )
                for o, w in variants.values()
            ]
            floor, t_ref = period_floor_s(inst.data), period_scale_s(inst.data)
            print(
                f"| {model['name']} (floor {1e3 * floor:.4g} ms = {floor / t_ref:.3g} T_ref) "
                f"| {setting} | "
                + " | ".join(f"{r.termination} {r.total_s:.1f} {_gap(r)}" for r in cells)
                + " |",
                flush=True,
            )


def floor_table(n: int) -> None:
    """The period floor and the moves heuristic on every bundled model (fused and not) on
    ``n`` edge devices: the floor as a multiple of T_ref (the relaxation's bound without it),
    its cost, and the moves plan's period above the floor, with its cost."""
    from ecoopt.partition.graph import available_models

    print(f"\n## Period floor and moves on {n} identical edge devices, every bundled model\n")
    print("| model | fused | L | E | floor / T_ref | floor ms | moves: period / floor | ms |")
    print("|---|---|---:|---:|---:|---:|---:|---:|")
    for name in available_models():
        for fuse in (True, False):
            inst = pipeline({"name": name, "fuse": fuse}, "edge", n)
            data = inst.data
            t0 = time.perf_counter()
            floor = period_floor_s(data)
            t1 = time.perf_counter()
            moves = evaluate(inst, pipeline_stages_moves(inst, "period"), "period").objective
            t2 = time.perf_counter()
            print(
                f"| {name} | {fuse} | {len(data.layers)} | {len(data.edges)} | "
                f"{floor / period_scale_s(data):.3g} | {1e3 * (t1 - t0):.0f} | "
                f"{moves / floor:.4g} | {1e3 * (t2 - t1):.0f} |",
                flush=True,
            )


def _gap(res) -> str:  # noqa: ANN001
    return "-" if res.gap is None else f"{100 * res.gap:.2g}%"


def growth_table(layer_counts: list[int], device_counts: list[int], limit: float) -> None:
    """MILP seconds (period, edge, rows) over truncated VGG-16 chains × device counts, and the
    growth per doubling of each."""
    print("\n## Growth: period, edge setting, VGG-16's first L layers on D devices (MILP s)\n")
    seconds: dict[tuple[int, int], float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for L in layer_counts:
            model = truncated_vgg16(L, Path(tmp))
            for D in device_counts:
                inst = pipeline(model, "edge", D, Path(tmp))
                res = ecoopt.solve(inst, "period", time_limit=limit)
                mark = "" if res.optimal else f" ({res.termination})"
                seconds[L, D] = res.total_s
                print(f"  L={L} D={D}: {res.total_s:.2f} s{mark}", flush=True)
    print("\n| L \\ D | " + " | ".join(map(str, device_counts)) + " | D doubled: × |")
    print("|---:|" + "---:|" * (len(device_counts) + 1))
    for L in layer_counts:
        row = [seconds[L, D] for D in device_counts]
        print(f"| {L} | " + " | ".join(f"{s:.2f}" for s in row) + f" | {_ratios(row)} |")
    cols = [_ratios([seconds[L, D] for L in layer_counts]) for D in device_counts]
    print("| L doubled: × | " + " | ".join(cols) + " | |")


def _ratios(times: list[float]) -> str:
    """Growth per doubling: t(2n) / t(n) for each consecutive pair."""
    return ", ".join(f"{b / a:.2g}" for a, b in zip(times, times[1:]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="VGG-16 on 4 devices, small growth")
    parser.add_argument("--time-limit", type=float, default=60.0, help="seconds per MILP")
    parser.add_argument(
        "--only",
        choices=("main", "period", "growth", "floor"),
        help="run one table of the full run: the main table, the period variants, growth or "
        "the period floor on every bundled model",
    )
    parser.add_argument(
        "--models", default="vgg16,resnet50", help="comma-separated: vgg16, resnet50 (full run)"
    )
    args = parser.parse_args()
    limit = min(args.time_limit, 10.0) if args.quick else args.time_limit
    vgg, resnet = {"name": "vgg16", "fuse": False}, {"name": "resnet50", "fuse": True}
    print(
        f"# partition on identical devices — {highs_version()}, Python "
        f"{platform.python_version()}, {platform.machine()}; time limit {limit:g} s"
    )
    if args.quick:
        main_table([vgg], ["edge"], 4, limit)
        growth_table([10, 20], [2, 4], limit)
        return
    models = [{"vgg16": vgg, "resnet50": resnet}[m] for m in args.models.split(",")]
    if args.only in (None, "main"):
        main_table(models, ["edge", "dc"], 8, limit)
    if args.only in (None, "period"):
        period_variants(models, ["edge", "dc"], 8, limit)
    if args.only in (None, "growth"):
        growth_table([10, 20, 40], [2, 4, 8, 16], limit)
    if args.only in (None, "floor"):
        floor_table(8)


if __name__ == "__main__":
    main()
