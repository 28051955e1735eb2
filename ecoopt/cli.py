"""``ecoopt`` command line: solve, compare, simulate, validate instance files.

A user error (bad file, unknown objective, infeasible instance under ``validate``) prints one
line naming the file and the field, and exits non-zero; never a traceback. Exit codes, the same
for every command: 0 optimal (or ok), 1 proven infeasible, 2 bad input or usage, 3 stopped
with a feasible plan that is not proven optimal, 4 stopped with no plan.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from .compare import compare
from .errors import EcoOptError, InfeasibleError, printable
from .io import load
from .problems import spec_for
from .results import INFEASIBLE
from .solve import solve

SHOW = ["method", "objective", "feasible", "gap_pct", "runtime_s"]


def _table(df: pd.DataFrame) -> str:
    metrics = [c for c in df.columns if c not in SHOW + ["status", "violations"]]
    view = df[SHOW + metrics].copy()
    view["feasible"] = view["feasible"].map({True: "yes", False: "NO"})
    fmt = {c: (lambda v: f"{v:.4g}") for c in view.columns if view[c].dtype.kind == "f"}
    # gaps within float noise of zero print as 0.000, not -0.000; the CSV keeps raw values
    fmt["gap_pct"] = lambda v: (
        "-" if v is None or math.isnan(v) else f"{0.0 if abs(v) < 5e-10 else v:.3f}"
    )
    fmt["runtime_s"] = lambda v: f"{v:.2e}"
    return view.to_string(index=False, formatters=fmt)


def _notes(df: pd.DataFrame) -> list[str]:
    out = []
    for _, row in df.iterrows():
        if row["violations"]:
            out.append(f"  {row['method']}: infeasible — {row['violations']}")
        elif row["status"] not in ("heuristic", "optimal"):
            out.append(f"  {row['method']}: {row['status']}")
    return out


def cmd_compare(args: argparse.Namespace) -> int:
    check_output(args.csv)
    frames = []
    status = 0
    for path in args.files:
        inst = load(path, args.allow_path)
        df = compare(inst, _objective(args, inst), time_limit=args.time_limit)
        sense = df.attrs["sense"]
        print(
            f"== {path}: {inst.name or Path(path).stem} — objective {df.attrs['objective']} "
            f"({sense}imise); gap_pct vs the MILP optimum, ≥ 0 means worse"
        )
        print(_table(df))
        notes = _notes(df)
        if notes:
            print("notes:")
            print("\n".join(notes))
        print()
        frames.append(df.assign(instance=str(path)))
        milp = df.iloc[0]
        if milp["status"] in INFEASIBLE:
            print(printable(f"ecoopt: error: {path}: {milp['violations']}"), file=sys.stderr)
            status = max(status, EXIT["infeasible"])
        elif milp["status"] != "optimal":
            code = EXIT["feasible"] if milp["feasible"] else EXIT["none"]
            status = max(status, code)
    if args.csv:
        write_csv(pd.concat(frames, ignore_index=True), args.csv)
    return status


def check_output(path: str | None) -> None:
    """Refuse an output path whose folder does not exist, before any work is done."""
    if path is None:
        return
    folder = Path(path).resolve().parent
    if not folder.is_dir():
        raise EcoOptError(
            f"--csv {path}: folder {folder} does not exist; create it or choose another"
        )
    if Path(path).is_dir():
        raise EcoOptError(f"--csv {path}: is a folder; give a file name")


def write_csv(df: pd.DataFrame, path: str) -> None:
    """Write ``df``; an unwritable path is one line naming it, not an OS error without it."""
    try:
        df.to_csv(path, index=False)
    except OSError as exc:
        raise EcoOptError(
            f"--csv {path}: cannot write it ({exc.strerror or exc}); choose a writable file"
        ) from None
    print(f"wrote {path}")


#: exit codes, one table for every command (DESIGN §8)
EXIT = {"optimal": 0, "infeasible": 1, "usage": 2, "feasible": 3, "none": 4}


def exit_code(res: Any) -> int:
    """0 optimal, 1 proven infeasible, 3 stopped with a feasible plan, 4 stopped with none."""
    if res.termination in INFEASIBLE:
        return EXIT["infeasible"]
    return EXIT[res.solution_status]


def cmd_solve(args: argparse.Namespace) -> int:
    inst = load(args.file, args.allow_path)
    res = solve(
        inst,
        _objective(args, inst),
        time_limit=args.time_limit,
        mip_rel_gap=args.mip_gap,
        warm_start=False if args.no_warm_start else None,
    )
    if res.termination in INFEASIBLE and not args.json:
        raise InfeasibleError(f"{args.file}: {res.explanation}")
    if args.json:
        print(json.dumps(res.to_dict(), indent=2, default=_jsonable))
    else:
        print(res.summary())
        if res.plan is not None:
            ev = spec_for(inst).evaluate(inst, res.plan, res.objective_name)
            print(ev.per_agent.to_string(index=False) if hasattr(ev, "per_agent") else res.plan)
    return exit_code(res)


def cmd_simulate(args: argparse.Namespace) -> int:
    check_output(args.csv)
    inst = load(args.file, args.allow_path)
    if inst.problem != "gpushare":
        raise EcoOptError(f"{args.file}: simulate is available for gpushare instances only")
    from .gpushare.instance import check_sim_size
    from .gpushare.simulate import simulate

    if args.steps is not None:
        try:
            check_sim_size(args.steps, len(inst.agents), "--steps")
        except ValueError as exc:
            raise EcoOptError(f"{args.file}: {exc}") from None
    df = simulate(inst, steps=args.steps)
    print(df.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if args.csv:
        write_csv(df, args.csv)
    return 0


def cmd_validate(args: argparse.Namespace) -> int:
    """One line per file, every file: ok, infeasible (1) or malformed (2); the worst code wins."""
    status = 0
    for path in args.files:
        try:
            inst = load(path, args.allow_path)
        except EcoOptError as exc:
            print(printable(f"ecoopt: error: {exc}"), file=sys.stderr)
            status = EXIT["usage"]
            continue
        conflicts = spec_for(inst).precheck(inst)
        if conflicts:
            print(printable(f"{path}: infeasible: {' '.join(conflicts)}"), file=sys.stderr)
            status = max(status, EXIT["infeasible"])
        else:
            print(f"{path}: ok ({inst.problem})")
    return status


def _jsonable(obj: Any) -> Any:
    if hasattr(obj, "tolist"):
        return obj.tolist()
    return str(obj)


class UsageError(EcoOptError):
    """A command line argparse refuses (exit 2, one line)."""


class _Parser(argparse.ArgumentParser):
    """argparse, but a usage error is one line naming the option, not a usage block."""

    def error(self, message: str) -> None:  # type: ignore[override]
        raise UsageError(f"{self.prog}: {message} (see {self.prog} --help)")


def _seconds(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and value >= 0):
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds ≥ 0")
    return value


def _gap(text: str) -> float:
    value = float(text)
    if not (math.isfinite(value) and 0 <= value < 1):
        raise argparse.ArgumentTypeError(f"{text!r} is not a relative gap in [0, 1)")
    return value


def _steps(text: str) -> int:
    from .gpushare.instance import MAX_STEPS

    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{value:,} is not a step count ≥ 1")
    if value > MAX_STEPS:
        raise argparse.ArgumentTypeError(f"at most {MAX_STEPS:,} steps, got {value:,}")
    return value


for _f, _name in ((_seconds, "seconds"), (_gap, "gap"), (_steps, "steps")):
    _f.__name__ = _name  # argparse names the type in "invalid <type> value" messages


def _objective(args: argparse.Namespace, inst: Any) -> str | None:
    """``--objective`` checked against the instance's problem, named as the user typed it."""
    if args.objective is not None:
        try:
            spec_for(inst).check_objective(args.objective)
        except ValueError as exc:
            raise EcoOptError(f"--objective {args.objective}: {exc}") from None
    return args.objective


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ecoopt", description=__doc__.splitlines()[0])
    files = _Parser(add_help=False)
    files.add_argument(
        "--allow-path",
        action="append",
        default=[],
        metavar="DIR",
        help="also let instance files read data files under DIR (default: only the instance's "
        "own folder and the bundled models); repeatable",
    )
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser(
        "solve", parents=[files], help="solve one instance to proven optimality with HiGHS"
    )
    s.add_argument("file")
    s.add_argument("--objective")
    s.add_argument("--time-limit", type=_seconds)
    s.add_argument("--mip-gap", type=_gap, default=1e-4)
    s.add_argument("--json", action="store_true", help="print the Result as JSON")
    s.add_argument(
        "--no-warm-start",
        action="store_true",
        help="do not start HiGHS from the default heuristic's plan (started by default)",
    )
    s.set_defaults(func=cmd_solve)
    c = sub.add_parser(
        "compare", parents=[files], help="MILP vs every heuristic, one table per file"
    )
    c.add_argument("files", nargs="+")
    c.add_argument("--objective")
    c.add_argument("--time-limit", type=_seconds, default=60.0)
    c.add_argument("--csv", help="write all tables to this CSV file")
    c.set_defaults(func=cmd_compare)
    m = sub.add_parser(
        "simulate", parents=[files], help="replay every policy over the workload trace (gpushare)"
    )
    m.add_argument("file")
    m.add_argument("--steps", type=_steps)
    m.add_argument("--csv")
    m.set_defaults(func=cmd_simulate)
    v = sub.add_parser(
        "validate", parents=[files], help="check instance files and obvious infeasibility"
    )
    v.add_argument("files", nargs="+")
    v.set_defaults(func=cmd_validate)
    return p


def _fail(message: str, code: int) -> int:
    print(f"ecoopt: error: {printable(message)}", file=sys.stderr)
    return code


def main(argv: list[str] | None = None) -> int:
    """Run one command; every failure is one printable line on stderr and an ``EXIT`` code."""
    try:
        args = parser().parse_args(argv)
    except UsageError as exc:
        return _fail(str(exc), EXIT["usage"])
    try:
        return int(args.func(args))
    except BrokenPipeError:  # output piped into e.g. `head`: stop quietly
        sys.stderr.close()
        return 0
    except InfeasibleError as exc:  # a valid file whose constraints conflict
        return _fail(str(exc), EXIT["infeasible"])
    except EcoOptError as exc:  # a malformed or inconsistent file
        return _fail(str(exc), EXIT["usage"])
    except OSError as exc:  # e.g. a folder given as the instance file
        where = f"{exc.filename}: {exc.strerror}" if exc.filename else str(exc)
        return _fail(where, EXIT["usage"])
    except ValueError as exc:  # an API-level refusal of an argument
        return _fail(str(exc), EXIT["usage"])
    except (MemoryError, RecursionError) as exc:  # last resort: a file too large or too deep
        what = "too deeply nested" if isinstance(exc, RecursionError) else "too large for memory"
        return _fail(f"the input is {what}; simplify or split it", EXIT["usage"])


if __name__ == "__main__":
    sys.exit(main())
