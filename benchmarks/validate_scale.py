"""How loading and validating an instance file scales with its size (gpushare, N agents).

Run:  python benchmarks/validate_scale.py            (about 1 min on 2 cores, most of it the
                                                     100,000-agent YAML load, run once)
      python benchmarks/validate_scale.py --quick    (N ≤ 10,000, a few seconds)

For N = 1,000, 10,000 and 100,000 agents on four GPUs, the same instance is written as JSON and
as YAML (one agent per line, as in the bundled files) in a temporary folder. For each file:

* ``load s``: ``ecoopt.load(path)``, median of 3 (1 when a single run exceeds 5 s): read,
  parse, check repeated keys, validate every field;
* ``÷ json.loads``: that time over plain ``json.loads`` of the JSON text of the same instance,
  measured in the same run (median of 3): what ecoopt costs over the bare parser;
* ``÷ SafeLoader`` (YAML, N ≤ 10,000): over ``yaml.load(text, yaml.SafeLoader)`` of the same
  YAML text, the pure-Python parser ecoopt's loader extends (one run);
* ``÷ CSafeLoader`` (YAML, N ≤ 10,000): over ``yaml.load(text, yaml.CSafeLoader)``, libyaml's
  parser, when PyYAML has it (one run): what a C parser would leave;
* ``growth/decade``: load s at N over load s at N/10 (10 would be linear).

Then ``ecoopt validate`` in-process (``cli.main(["validate", path])``) on the 100,000-agent JSON.
The GPUs have 10,000 share units; validate's infeasibility pre-check finds each agent's
smallest admissible share by a binary search over them (``gpushare.model.min_units``).
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import statistics
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

import ecoopt
from ecoopt import cli

SIZES = [1_000, 10_000, 100_000]
C_LOADER = getattr(yaml, "CSafeLoader", None)
SLOW_S = 5.0  # a single run longer than this is not repeated


def instance(n: int, seed: int = 0) -> dict:
    """N agents on four GPU types, each a pool of four GPUs in 10,000 share units (so 160,000
    units hold one unit per agent up to N = 100,000); every value plausible; no SLO, so the
    instance passes the infeasibility pre-check."""
    rng = np.random.default_rng(seed)
    gpus = [
        {
            "name": f"gpu{g}",
            "count": 4,
            "pooled": True,
            "share_units": 10_000,
            "memory_bytes": 80.0e9,
            "idle_power_w": round(float(rng.uniform(40, 80)), 1),
            "active_power_w": round(float(rng.uniform(250, 700)), 1),
            "price_usd_per_h": round(float(rng.uniform(1.0, 3.0)), 2),
            "intensity_g_per_kwh": round(float(rng.uniform(50, 600)), 1),
        }
        for g in range(4)
    ]
    mu = np.round(np.exp(rng.uniform(np.log(20), np.log(200), n)), 3)
    lam = np.round(mu * rng.uniform(0.0001, 0.001, n), 4)
    pri = rng.integers(1, 4, n)
    mem = np.round(rng.uniform(0.5, 8.0, n) * 1e3, 0) * 1e3  # 0.5-8 MB: small models, all fit
    agents = [
        {
            "name": f"agent{i}",
            "throughput_rps": float(mu[i]),
            "min_share": 0.0,
            "max_share": 1.0,
            "priority": int(pri[i]),
            "arrival_rps": float(lam[i]),
            "memory_bytes": float(mem[i]),
        }
        for i in range(n)
    ]
    return {
        "problem": "gpushare",
        "schema_version": 1,
        "name": f"validate_scale_{n}",
        "objective": "latency",
        "gpus": gpus,
        "agents": agents,
    }


def yaml_text(data: dict) -> str:
    """Block style at the top, one flow mapping per GPU and per agent (as the bundled files)."""

    def flow(d: dict) -> str:
        return "{" + ", ".join(f"{k}: {json.dumps(v)}" for k, v in d.items()) + "}"

    head = {k: v for k, v in data.items() if k not in ("gpus", "agents")}
    out = [yaml.safe_dump(head, sort_keys=False).rstrip("\n"), "gpus:"]
    out += [f"  - {flow(g)}" for g in data["gpus"]]
    out.append("agents:")
    out += [f"  - {flow(a)}" for a in data["agents"]]
    return "\n".join(out) + "\n"


def timed(fn, repeats: int = 3):  # noqa: ANN001, ANN201
    """(median wall seconds of ``fn()`` over ``repeats`` runs, one if the first is slow; the
    last result)."""
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        times.append(time.perf_counter() - t0)
        if times[0] > SLOW_S:
            break
    return statistics.median(times), out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="N ≤ 10,000 only")
    args = ap.parse_args()
    sizes = [n for n in SIZES if not args.quick or n <= 10_000]
    print(
        f"# ecoopt {ecoopt.__version__}, Python {platform.python_version()}, "
        f"PyYAML {yaml.__version__}, {platform.machine()}, {platform.system()}"
    )
    rows = []
    t_start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ecoopt-validate-scale-") as tmp:
        folder = Path(tmp)
        paths = {}
        for n in sizes:
            data = instance(n)
            jtext = json.dumps(data, indent=1)
            ytext = yaml_text(data)
            (folder / f"agents_{n}.json").write_text(jtext)
            (folder / f"agents_{n}.yaml").write_text(ytext)
            assert json.loads(jtext) == data
            if n <= 10_000:  # the YAML says the same (the pure-Python parser is slow beyond)
                assert yaml.load(ytext, C_LOADER or yaml.SafeLoader) == data  # noqa: S506
            paths[n] = folder / f"agents_{n}.json"
            ref_json, _ = timed(lambda t=jtext: json.loads(t))
            for fmt, text in (("json", jtext), ("yaml", ytext)):
                path = folder / f"agents_{n}.{fmt}"
                load_s, inst = timed(lambda p=path: ecoopt.load(p))
                assert len(inst.agents) == n  # the file is valid
                ref_py = ref_c = None
                if fmt == "yaml" and n <= 10_000:
                    ref_py, _ = timed(lambda t=text: yaml.load(t, yaml.SafeLoader), 1)  # noqa: S506
                if fmt == "yaml" and n <= 10_000 and C_LOADER is not None:
                    ref_c, _ = timed(lambda t=text: yaml.load(t, C_LOADER), 1)  # noqa: S506
                rows.append(
                    {
                        "n": n,
                        "fmt": fmt,
                        "bytes": len(text.encode()),
                        "load_s": load_s,
                        "ref_json_s": ref_json,
                        "ref_py_s": ref_py,
                        "ref_c_s": ref_c,
                    }
                )
                print(f"  measured N={n:,} {fmt}: {load_s:.3f} s", file=sys.stderr, flush=True)

        print()
        print(
            "| N agents | format | file MB | load s | json.loads s | load ÷ json.loads "
            "| load ÷ SafeLoader | load ÷ CSafeLoader | growth/decade |"
        )
        print("|---:|---|---:|---:|---:|---:|---:|---:|---:|")
        prev: dict[str, float] = {}
        for r in rows:
            growth = f"{r['load_s'] / prev[r['fmt']]:.2f}" if r["fmt"] in prev else "-"
            prev[r["fmt"]] = r["load_s"]
            py = "-" if r["ref_py_s"] is None else f"{r['load_s'] / r['ref_py_s']:.2f}"
            c = "-" if r["ref_c_s"] is None else f"{r['load_s'] / r['ref_c_s']:.1f}"
            print(
                f"| {r['n']:,} | {r['fmt']} | {r['bytes'] / 1e6:.2f} | {r['load_s']:.3f} "
                f"| {r['ref_json_s']:.4f} | {r['load_s'] / r['ref_json_s']:.0f} | {py} | {c} "
                f"| {growth} |"
            )

        big = paths[max(sizes)]
        sink_out, sink_err = io.StringIO(), io.StringIO()

        def validate() -> None:
            with contextlib.redirect_stdout(sink_out), contextlib.redirect_stderr(sink_err):
                code = cli.main(["validate", str(big)])
            assert code == 0, sink_err.getvalue()

        v_s, _ = timed(validate)
        print(
            f"\n`ecoopt validate` in-process on the {max(sizes):,}-agent JSON "
            f"({big.stat().st_size / 1e6:.1f} MB): {v_s:.3f} s (load plus the infeasibility "
            "pre-check; median of 3, or one run if over 5 s)"
        )
    print(f"total benchmark time {time.perf_counter() - t_start:.0f} s")


if __name__ == "__main__":
    main()
