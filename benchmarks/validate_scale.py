"""How loading, validating and generating a gpushare instance scale with N agents.

Run:  python benchmarks/validate_scale.py            (about 3 min on 2 cores)
      python benchmarks/validate_scale.py --quick    (N ≤ 10,000, a few seconds)
      python benchmarks/validate_scale.py --json-only  (the JSON loads and peak memory only)

For N = 1,000 to 1,000,000 agents on four GPU pools, the same instance is written as JSON
(``indent=1``) and, up to N = 100,000, as YAML (one flow mapping per agent, as in the bundled
files) in a temporary folder. Every figure is wall seconds, the median of 3 runs (one run when a
run exceeds 5 s), measured in this run:

* ``load s``: ``ecoopt.load(path)``: read, check nesting, parse, refuse repeated keys,
  validate every field and rule;
* ``÷ json.loads``: load s over plain ``json.loads`` of the JSON text of the same instance
  (no repeated-key check, no validation): what ecoopt costs over the bare standard parser;
  ``CPU ÷ CPU``: the same for the CPU seconds of the two median runs (steadier than wall
  seconds on a shared machine, where both wait for a core);
* ``÷ CSafeLoader`` (YAML): over ``yaml.load(text, yaml.CSafeLoader)``, PyYAML's loader on
  libyaml's C parser, which ecoopt's YAML loader extends; ``compose share``: the part of that
  spent composing nodes (``yaml.compose``), the floor no constructor change can lower;
* ``growth/decade``: load s at N over load s at N/10 (10 is linear).

A 10⁶-agent JSON file is 179 MB, within the 256 MiB an instance file may have
(``ecoopt.io.MAX_INSTANCE_BYTES``); a file above it would be shown refused, then measured with
the limit lifted in this process only. Then: ``generate(N, 4)``;
the agents' arrays (seeded from the validated columns, and read back from 10⁶ models as an
instance validated the ordinary way would); the time to the message for a file with one bad
agent (pydantic validates the rows in doubt, for their messages); peak memory of a fresh
process that loads the largest JSON; ``ecoopt validate`` in-process on the 100,000-agent JSON.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import yaml

import ecoopt
import ecoopt.io as eio
from ecoopt import cli
from ecoopt.gpushare.generate import generate
from ecoopt.gpushare.instance import AgentArrays, GpuShareInstance

SIZES = [1_000, 10_000, 100_000, 1_000_000]
YAML_UP_TO = 100_000  # PyYAML composes ~10⁴ agents a second: 10⁶ would take minutes
C_LOADER = getattr(yaml, "CSafeLoader", None)
SLOW_S = 5.0  # a single run longer than this is not repeated


def instance(n: int, seed: int = 0) -> dict:
    """N agents on four GPU types, each a pool of four GPUs in 10,000 share units; every
    value plausible; no SLO, so the instance passes the infeasibility pre-check."""
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
    mu = np.round(np.exp(rng.uniform(np.log(20), np.log(200), n)), 3).tolist()
    lam = np.round(np.array(mu) * rng.uniform(0.0001, 0.001, n), 4).tolist()
    pri = rng.integers(1, 4, n).tolist()
    mem = (np.round(rng.uniform(0.5, 8.0, n) * 1e3, 0) * 1e3).tolist()  # 0.5-8 MB: all fit
    agents = [
        {
            "name": f"agent{i}",
            "throughput_rps": mu[i],
            "min_share": 0.0,
            "max_share": 1.0,
            "priority": pri[i],
            "arrival_rps": lam[i],
            "memory_bytes": mem[i],
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
    last result). ``timed.cpu`` keeps the CPU seconds of the median run: on a shared machine
    wall time is CPU time plus waiting for a core."""
    runs = []
    for _ in range(repeats):
        t0, c0 = time.perf_counter(), time.process_time()
        out = fn()
        runs.append((time.perf_counter() - t0, time.process_time() - c0))
        if runs[0][0] > SLOW_S:
            break
    runs.sort()
    timed.cpu = runs[len(runs) // 2][1]
    return runs[len(runs) // 2][0], out


@contextlib.contextmanager
def file_limit_lifted():
    """``MAX_INSTANCE_BYTES`` raised for this process only (a 10⁶-agent file is above it)."""
    real = eio.MAX_INSTANCE_BYTES
    eio.MAX_INSTANCE_BYTES = 2**31
    try:
        yield
    finally:
        eio.MAX_INSTANCE_BYTES = real


def refusal(path: Path) -> str:
    """The message ``ecoopt.load`` gives for a file above the instance-file limit."""
    try:
        ecoopt.load(path)
    except ecoopt.InstanceError as exc:
        return str(exc).replace(str(path), path.name)
    return "(not refused)"


def measure_json(n: int, path: Path) -> dict:
    """load s and json.loads s of one JSON file (the limit lifted when the file is above it)."""
    ref_s, ref_cpu = _json_loads_s(path.read_text())  # the text is freed before the load
    too_big = path.stat().st_size > eio.MAX_INSTANCE_BYTES
    with file_limit_lifted() if too_big else contextlib.nullcontext():
        load_s, inst = timed(lambda: ecoopt.load(path))
    assert len(inst.agents) == n  # the file is valid
    row = {"n": n, "fmt": "json", "bytes": path.stat().st_size, "load_s": load_s}
    row.update(cpu_s=timed.cpu, ref_s=ref_s, ref_cpu=ref_cpu, too_big=too_big)
    row["refusal"] = refusal(path) if too_big else ""
    return row


def _json_loads_s(text: str) -> tuple[float, float]:
    """(median wall s, its CPU s) of ``json.loads(text)``."""
    return timed(lambda: json.loads(text))[0], timed.cpu


def measure_yaml(n: int, path: Path) -> dict:
    """load s of one YAML file, and PyYAML's own load and compose of its text."""
    load_s, inst = timed(lambda: ecoopt.load(path))
    assert len(inst.agents) == n
    row = {"n": n, "fmt": "yaml", "bytes": path.stat().st_size, "load_s": load_s}
    row["cpu_s"] = timed.cpu
    text = path.read_text()
    if C_LOADER is not None:
        row["c_s"], _ = timed(lambda: yaml.load(text, C_LOADER))  # noqa: S506
        row["compose_s"], _ = timed(lambda: yaml.compose(text, C_LOADER))  # noqa: S506
    return row


def print_loads(rows: list[dict]) -> None:
    print(
        "| N agents | format | file MB | load s | (CPU s) | json.loads s | load ÷ json.loads "
        "| CPU ÷ CPU | load ÷ CSafeLoader | compose share | growth/decade |"
    )
    print("|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    prev: dict[str, float] = {}
    for r in rows:
        growth = f"{r['load_s'] / prev[r['fmt']]:.1f}" if r["fmt"] in prev else "-"
        prev[r["fmt"]] = r["load_s"]
        ref = f"{r['ref_s']:.3f}" if "ref_s" in r else "-"
        ratio = f"{r['load_s'] / r['ref_s']:.2f}" if "ref_s" in r else "-"
        cpu_ratio = f"{r['cpu_s'] / r['ref_cpu']:.2f}" if "ref_cpu" in r else "-"
        c = f"{r['load_s'] / r['c_s']:.2f}" if "c_s" in r else "-"
        share = f"{r['compose_s'] / r['c_s']:.2f}" if "c_s" in r else "-"
        mark = " ¹" if r.get("too_big") else ""
        print(
            f"| {r['n']:,}{mark} | {r['fmt']} | {r['bytes'] / 1e6:.1f} | {r['load_s']:.3f} "
            f"| {r['cpu_s']:.3f} | {ref} | {ratio} | {cpu_ratio} | {c} | {share} | {growth} |"
        )
    for r in rows:
        if r.get("too_big"):
            print(f"\n¹ above the instance-file limit; ecoopt.load refuses it: {r['refusal']}")
            print("  measured with ecoopt.io.MAX_INSTANCE_BYTES lifted in this process only.")


def measure_generate(sizes: list[int]) -> None:
    """generate(N, 4) for every N, and its growth per decade."""
    print("\n| N agents | generate(N, 4) s | (CPU s) | growth/decade |")
    print("|---:|---:|---:|---:|")
    prev = None
    for n in sizes:
        gen_s, inst = timed(lambda n=n: generate(n, 4))
        assert len(inst.agents) == n
        del inst
        growth = "-" if prev is None else f"{gen_s / prev:.1f}"
        prev = gen_s
        print(f"| {n:,} | {gen_s:.3f} | {timed.cpu:.3f} | {growth} |")


def measure_arrays(inst: GpuShareInstance) -> None:
    """The agents' arrays: seeded from the validated columns, or read back from the models."""
    seeded_s, _ = timed(lambda: inst.arrays)
    read_s, _ = timed(lambda: GpuShareInstance.arrays.func(inst))  # as with no columns
    assert isinstance(inst.arrays, AgentArrays)
    print(
        f"\narrays of {len(inst.agents):,} agents: {seeded_s:.4f} s when seeded from the "
        f"validated columns (every load and generate), {read_s:.3f} s read back from the "
        "models (an instance validated the ordinary way, e.g. from a tuple of Agents)"
    )


def measure_bad_file(folder: Path, data: dict) -> None:
    """Time to the message for a file whose one agent breaks a rule, in the middle."""
    n = len(data["agents"])
    bad = dict(data, agents=list(data["agents"]))
    bad["agents"][n // 2] = {**bad["agents"][n // 2], "min_share": 0.9, "max_share": 0.5}
    path = folder / f"bad_{n}.json"
    path.write_text(json.dumps(bad, indent=1))
    too_big = path.stat().st_size > eio.MAX_INSTANCE_BYTES
    t0 = time.perf_counter()
    with file_limit_lifted() if too_big else contextlib.nullcontext():
        try:
            ecoopt.load(path)
        except ecoopt.InstanceError as exc:
            message = str(exc).replace(str(path), path.name)
    wall = time.perf_counter() - t0
    print(
        f"\none agent of {n:,} breaking a rule (the rows in doubt validated by pydantic, "
        f"row by row, for their messages; the others by columns): {wall:.2f} s to `{message}`"
    )


def peak_memory(path: Path) -> None:
    """Peak resident memory (VmHWM) of a fresh process that imports ecoopt, then loads
    ``path``: before the load and at its end."""
    code = (
        "import sys, ecoopt, ecoopt.io as eio, ecoopt.gpushare\n"
        "def hwm():\n"
        "    lines = open('/proc/self/status').read().splitlines()\n"
        "    return int(next(x for x in lines if x.startswith('VmHWM')).split()[1])\n"
        "base = hwm()\n"
        "eio.MAX_INSTANCE_BYTES = 2**31\n"
        "inst = ecoopt.load(sys.argv[1])\n"
        "print(base, hwm())\n"
    )
    out = subprocess.run([sys.executable, "-c", code, str(path)], capture_output=True, text=True)
    base_kb, peak_kb = map(int, out.stdout.split())
    print(
        f"\npeak resident memory loading the {path.stat().st_size / 1e6:.0f} MB file in a fresh "
        f"process: {peak_kb / 2**20:.2f} GiB ({base_kb / 2**20:.2f} GiB with ecoopt imported, "
        "before the load)"
    )


def measure_validate(path: Path) -> None:
    sink_out, sink_err = io.StringIO(), io.StringIO()

    def validate() -> None:
        with contextlib.redirect_stdout(sink_out), contextlib.redirect_stderr(sink_err):
            code = cli.main(["validate", str(path)])
        assert code == 0, sink_err.getvalue()

    v_s, _ = timed(validate)
    print(
        f"\n`ecoopt validate` in-process on the {path.stat().st_size / 1e6:.1f} MB JSON: "
        f"{v_s:.3f} s (load plus the infeasibility pre-check; median of 3, or one run if "
        "over 5 s)"
    )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="N ≤ 10,000 only")
    ap.add_argument(
        "--json-only", action="store_true", help="only the JSON loads and the peak memory"
    )
    args = ap.parse_args()
    sizes = [n for n in SIZES if not args.quick or n <= 10_000]
    print(
        f"# ecoopt {ecoopt.__version__}, Python {platform.python_version()}, "
        f"PyYAML {yaml.__version__}, {platform.machine()}, {platform.system()}"
    )
    t_start = time.perf_counter()
    rows = []
    with tempfile.TemporaryDirectory(prefix="ecoopt-validate-scale-") as tmp:
        folder = Path(tmp)
        for n in sizes:
            data = instance(n)
            (folder / f"agents_{n}.json").write_text(json.dumps(data, indent=1))
            yaml_too = n <= YAML_UP_TO and not args.json_only
            if yaml_too:
                (folder / f"agents_{n}.yaml").write_text(yaml_text(data))
            del data  # measured with no other large object alive
            rows.append(measure_json(n, folder / f"agents_{n}.json"))
            print(f"  measured N={n:,} json", file=sys.stderr, flush=True)
            if yaml_too:
                rows.append(measure_yaml(n, folder / f"agents_{n}.yaml"))
                print(f"  measured N={n:,} yaml", file=sys.stderr, flush=True)
        big = folder / f"agents_{max(sizes)}.json"
        peak_memory(big)
        print_loads(rows)
        if not args.json_only:
            measure_the_rest(folder, sizes)
    print(f"\ntotal benchmark time {time.perf_counter() - t_start:.0f} s")
    print(f"(peak memory of this benchmark process: {_maxrss_gib():.2f} GiB)")


def measure_the_rest(folder: Path, sizes: list[int]) -> None:
    """generate, the arrays, a file with one bad agent, ``ecoopt validate``."""
    big = folder / f"agents_{max(sizes)}.json"
    measure_generate(sizes)
    with file_limit_lifted():
        measure_arrays(ecoopt.load(big))
    measure_bad_file(folder, instance(max(sizes)))
    measure_validate(folder / f"agents_{min(max(sizes), 100_000)}.json")


def _maxrss_gib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20


if __name__ == "__main__":
    main()
