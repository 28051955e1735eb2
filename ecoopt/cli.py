"""The ecoopt command line: solve, compare, simulate, evaluate, export and validate instance
files, plot results, and print an instance file's schema.

stdout carries only what was asked for (a table, or JSON with ``--json``); progress, notes
and errors go to stderr. A user error prints one line naming the file and the field and exits
non-zero; never a traceback. Exit codes, the same for every command: 0 optimal (or ok), 1 proven
infeasible, 2 bad input or usage, 3 stopped with a feasible plan that is not proven optimal,
4 stopped with no plan. Output schemas: ``ecoopt.outputs``.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from pathlib import Path
from typing import Any

import pandas as pd

from . import __version__
from .compare import compare, result_row
from .errors import EcoOptError, InfeasibleError, printable
from .io import load
from .outputs import check_output, dumps, notes, records, table, write_csv, write_text
from .plans import plan_to_dict, read_plan
from .problems import MODULES, get_spec, spec_for
from .progress import bar, wanted
from .results import DEFAULT_MIP_GAP, INFEASIBLE
from .solve import solve


def _say(args: argparse.Namespace, text: str) -> None:
    """A side message (``wrote x.csv``) on stderr, unless ``--quiet``."""
    if not getattr(args, "quiet", False):
        print(text, file=sys.stderr)


def _outputs(args: argparse.Namespace, df: pd.DataFrame, data: Any) -> None:
    """Write ``--csv`` (the table) and ``--json`` (``data``) as asked."""
    if getattr(args, "csv", None):
        write_csv(df, args.csv)
        _say(args, f"wrote {args.csv}")
    if getattr(args, "json", False):
        print(dumps(data))


#: exit codes, one table for every command (DESIGN §8)
EXIT = {"optimal": 0, "infeasible": 1, "usage": 2, "feasible": 3, "none": 4}


def exit_code(res: Any) -> int:
    """0 optimal, 1 proven infeasible, 3 stopped with a feasible plan, 4 stopped with none."""
    if res.termination in INFEASIBLE:
        return EXIT["infeasible"]
    return EXIT[res.solution_status]


def _milp_status(path: str, df: pd.DataFrame) -> int:
    """compare's exit code for one file, from its MILP row (the infeasible are also said)."""
    milp = df.iloc[0]
    if milp["status"] in INFEASIBLE:
        print(printable(f"ecoopt: error: {path}: {milp['violations']}"), file=sys.stderr)
        return EXIT["infeasible"]
    if milp["status"] != "optimal":
        return EXIT["feasible"] if milp["feasible"] else EXIT["none"]
    return 0


def _print_compare(path: str, inst: Any, df: pd.DataFrame) -> None:
    sense = df.attrs["sense"]
    print(
        f"== {path}: {inst.name or Path(path).stem} — objective {df.attrs['objective']} "
        f"({sense}imise); gap_pct vs the MILP optimum, ≥ 0 means worse"
    )
    print(table(df))
    lines = notes(df)
    if lines:
        print("notes:\n" + "\n".join(lines))
    print()


def cmd_compare(args: argparse.Namespace) -> int:
    check_output(args.csv)
    frames, results, status = [], [], 0
    show = wanted(args.quiet)
    for path in bar(args.files, "files", show and len(args.files) > 1):
        inst = load(path, args.allow_path)
        methods = args.methods.split(",") if args.methods else None
        df = compare(
            inst,
            _objective(args, inst),
            methods=methods,
            time_limit=args.time_limit,
            mip_rel_gap=args.mip_gap,
            threads=args.threads,
            progress=show,
            solver=args.solver,
        )
        if not args.json:
            _print_compare(path, inst, df)
        plans = {
            m: None if p is None else plan_to_dict(inst, p) for m, p in df.attrs["plans"].items()
        }
        frames.append(df.assign(instance=str(path)))
        results.append(
            dict(instance=str(path), objective=df.attrs["objective"], sense=df.attrs["sense"])
            | {"rows": records(df), "plans": plans}
        )
        status = max(status, _milp_status(path, df))
    _outputs(args, pd.concat(frames, ignore_index=True), {"instances": results})
    return status


def cmd_sweep(args: argparse.Namespace) -> int:
    from .study.paths import parse_set
    from .study.sweep import sweep

    check_output(args.csv)
    inst = load(args.file, args.allow_path)
    over = {}
    for text in args.set:
        path, scale, values = parse_set(text)
        over[path + ("*" if scale else "")] = values
    df = sweep(
        inst,
        over,
        methods=args.methods.split(",") if args.methods else None,
        objective=_objective(args, inst),
        out=args.out,
        progress=wanted(args.quiet),
        time_limit=args.time_limit,
        threads=args.threads,
        base_dir=Path(args.file).parent,
        allow_paths=args.allow_path,
        source=str(args.file),
        scheduler=args.scheduler,
        mip_rel_gap=args.mip_gap,
        solver=args.solver,
    )
    if args.json:
        print(dumps({"instance": str(args.file), "rows": records(df)}))
    else:
        keys = list(over) + ["method", "objective", "feasible", "gap_pct", "runtime_s"]
        print(df[keys].to_string(index=False))
    if args.csv:
        write_csv(df, args.csv)
    return 0


def cmd_pareto(args: argparse.Namespace) -> int:
    from .study.pareto import pareto

    check_output(args.csv)
    if args.solver != "highs":
        raise EcoOptError(f"--solver {args.solver}: pareto keeps its model in HiGHS; use highs")
    inst = load(args.file, args.allow_path)
    df = pareto(
        inst,
        args.x,
        args.y,
        args.points,
        methods=args.methods.split(",") if args.methods else None,
        time_limit=args.time_limit,
        threads=args.threads,
        mip_rel_gap=args.mip_gap,
        progress=wanted(args.quiet),
    )
    if args.json:
        print(dumps({"instance": str(args.file), "x": args.x, "y": args.y, "rows": records(df)}))
    else:
        print(f"== {args.file}: least {args.y} with {args.x} bounded (x = {args.x}, y = {args.y})")
        print(df.to_string(index=False))
    if args.csv:
        write_csv(df, args.csv)
    return 0


def _warm_start(args: argparse.Namespace, inst: Any) -> Any:
    """``--warm-start``: auto (default heuristic when feasible), none, a heuristic, a plan file."""
    choice = args.warm_start
    if choice == "auto":
        return None
    if choice == "none":
        return False
    if choice in spec_for(inst).heuristics:
        return choice
    if Path(choice).is_file():
        return read_plan(inst, choice)
    known = ", ".join(["auto", "none", *spec_for(inst).heuristics])
    raise EcoOptError(f"--warm-start {choice}: not a plan file nor one of {known}")


def _plan_text(inst: Any, res: Any) -> str:
    """The plan for people: the family's own text (``ProblemSpec.plan_text``), else its named
    schema as JSON."""
    spec = spec_for(inst)
    if spec.plan_text is not None:
        return spec.plan_text(inst, res.plan)
    return json.dumps(plan_to_dict(inst, res.plan), indent=2)


def cmd_solve(args: argparse.Namespace) -> int:
    check_output(args.csv)
    inst = load(args.file, args.allow_path)
    res = solve(
        inst,
        _objective(args, inst),
        time_limit=args.time_limit,
        mip_rel_gap=args.mip_gap,
        threads=args.threads,
        warm_start=_warm_start(args, inst),
        progress=wanted(args.quiet) and not args.verbose,
        verbose=args.verbose,
        solver=args.solver,
    )
    if args.log:
        write_text(res.log, args.log, "--log")
    if res.termination in INFEASIBLE and not args.json:
        raise InfeasibleError(f"{args.file}: {res.explanation}")
    data = res.to_dict() | {"instance": str(args.file)}
    data["plan"] = None if res.plan is None else plan_to_dict(inst, res.plan)
    if not args.json:
        print(res.summary())
        if res.plan is not None:
            print(_plan_text(inst, res))
    row = pd.DataFrame([result_row(res)]).assign(instance=str(args.file))
    _outputs(args, row, data)
    return exit_code(res)


def cmd_simulate(args: argparse.Namespace) -> int:
    check_output(args.csv)
    check_output(args.requests_csv, "--requests-csv")
    inst = load(args.file, args.allow_path)
    spec = spec_for(inst)
    if spec.simulate is None:
        raise EcoOptError(f"{args.file}: {inst.problem} has no simulator (simulate is for "
                          f"{', '.join(n for n in MODULES if get_spec(n).simulate)})")  # fmt: skip
    if args.requests_csv and not spec.simulate_requests:
        raise EcoOptError(f"{args.file}: {inst.problem}'s simulator keeps no per-request log")
    policies = args.policies.split(",") if args.policies else None
    extra = {"requests": True} if args.requests_csv else {}
    try:
        out = spec.simulate(inst, policies, steps=args.steps, progress=wanted(args.quiet), **extra)
        df, log = out if args.requests_csv else (out, None)
    except ValueError as exc:
        raise EcoOptError(f"{args.file}: {exc}") from None
    if not args.json:
        print(df.to_string(index=False, float_format=lambda v: f"{v:.4g}"))
    if log is not None:
        write_csv(log, args.requests_csv)
        _say(args, f"wrote {args.requests_csv}")
    _outputs(args, df, {"instance": str(args.file), "rows": records(df)})
    return 0


def cmd_plot(args: argparse.Namespace) -> int:
    """Draw a figure of other commands' CSVs, or of an instance's simulation (``ecoopt.plot``)."""
    from .plot import save
    from .plot.inputs import figure_for
    from .plot.style import FORMATS

    if Path(args.out).suffix.lower() not in FORMATS:
        raise EcoOptError(f"--out {args.out}: give a .png or .svg file (the suffix says which)")
    check_output(args.out, "--out")
    opts = dict(x=args.x, y=args.y, by=args.by, policy=args.policy, steps=args.steps)
    fig = figure_for(args.kind, args.inputs, allow_path=args.allow_path, **opts)
    save(fig, args.out)
    _say(args, f"wrote {args.out}")
    return 0


def cmd_evaluate(args: argparse.Namespace) -> int:
    """Judge a plan file (``solve --json`` output or a named plan) by the evaluator."""
    inst = load(args.file, args.allow_path)
    plan = read_plan(inst, args.plan)
    objective = _objective(args, inst) or inst.objective
    ev = spec_for(inst).evaluate(inst, plan, objective)
    data = {"instance": str(args.file), "plan": str(args.plan), "objective_name": objective}
    data |= ev.as_dict()
    if args.json:
        print(dumps(data))
    else:
        verdict = "feasible" if ev.feasible else "INFEASIBLE: " + "; ".join(ev.violations)
        print(f"{args.plan}: {objective} {ev.objective:.6g}, {verdict}")
        print(pd.Series(ev.metrics).to_string())
    return 0 if ev.feasible else EXIT["infeasible"]


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


def cmd_export(args: argparse.Namespace) -> int:
    """Write the model with readable names (``ecoopt.export``): ``assign(nlp,h100,25)``."""
    from .export import export_model

    inst = load(args.file, args.allow_path)
    path = export_model(inst, args.out, _objective(args, inst), args.format)
    print(f"wrote {path}", file=sys.stderr)
    return 0


def cmd_schema(args: argparse.Namespace) -> int:
    """Print the JSON Schema of an instance file of ``problem`` (for editors and validators)."""
    schema = get_spec(args.problem).instance_cls.model_json_schema()
    schema["$schema"] = "https://json-schema.org/draft/2020-12/schema"
    print(json.dumps(schema, indent=2))
    return 0


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


def _all_objectives() -> list[str]:
    names: dict[str, None] = {}
    for problem in MODULES:
        names.update(dict.fromkeys(get_spec(problem).objectives))
    return list(names)


def _common() -> dict[str, argparse.ArgumentParser]:
    """Option groups shared by the commands: files, solver, output."""
    files = _Parser(add_help=False)
    files.add_argument(
        "--allow-path",
        action="append",
        default=[],
        metavar="DIR",
        help="also let instance files read data files under DIR (the instance's own folder "
        "and the bundled models are always allowed); repeatable",
    )
    solver = _Parser(add_help=False)
    solver.add_argument(
        "--objective",
        choices=_all_objectives(),
        metavar="NAME",
        help="what to optimise (default: the file's objective); one of "
        + ", ".join(_all_objectives()),
    )
    solver.add_argument(
        "--time-limit",
        type=_seconds,
        metavar="S",
        help="HiGHS time limit, s (default: none for solve, 60 for compare)",
    )
    solver.add_argument(
        "--mip-gap",
        type=_gap,
        default=DEFAULT_MIP_GAP,
        metavar="GAP",
        help="relative MIP gap in [0, 1) that 'optimal' means (default: %(default)g)",
    )
    solver.add_argument(
        "--threads",
        type=int,
        default=1,
        metavar="N",
        help="HiGHS threads (default: %(default)s, repeatable results)",
    )
    solver.add_argument(
        "--solver",
        default="highs",
        metavar="NAME",
        help="highs (default), or a Pyomo solver name such as cbc, scip_direct, glpk, gurobi, "
        "solved through Pyomo when installed",
    )
    out = _Parser(add_help=False)
    out.add_argument("--json", action="store_true", help="print JSON on stdout instead of tables")
    out.add_argument("--csv", metavar="FILE", help="also write the table as CSV")
    out.add_argument("--quiet", action="store_true", help="no side messages on stderr")
    return {"files": files, "solver": solver, "out": out}


def _add_solve(sub: Any, g: dict) -> None:
    s = sub.add_parser(
        "solve",
        parents=[g["files"], g["solver"], g["out"]],
        help="solve one instance to proven, checked optimality with HiGHS",
    )
    s.add_argument("file", help="instance file (YAML or JSON)")
    s.add_argument(
        "--warm-start",
        default="auto",
        metavar="HOW",
        help="auto (the reference plan, the best default heuristic's, when feasible), none, a "
        "heuristic's name, or a plan file written by solve --json (default: %(default)s)",
    )
    s.add_argument(
        "--no-warm-start",
        dest="warm_start",
        action="store_const",
        const="none",
        help="same as --warm-start none",
    )
    s.add_argument("--log", metavar="FILE", help="write HiGHS's log to FILE")
    s.add_argument("--verbose", action="store_true", help="show HiGHS's log on stderr as it runs")
    s.set_defaults(func=cmd_solve)


def _add_compare(sub: Any, g: dict) -> None:
    c = sub.add_parser(
        "compare",
        parents=[g["files"], g["solver"], g["out"]],
        help="the MILP next to every heuristic, one table per file",
    )
    c.add_argument("files", nargs="+", help="instance files")
    c.add_argument("--methods", metavar="A,B", help="heuristics to run (default: all)")
    c.set_defaults(func=cmd_compare, time_limit=60.0)


def _add_sweep(sub: Any, g: dict) -> None:
    w = sub.add_parser(
        "sweep",
        parents=[g["files"], g["solver"], g["out"]],
        help="the MILP and every heuristic over a grid of instance changes",
    )
    w.add_argument("file", help="instance file")
    w.add_argument(
        "--set",
        action="append",
        required=True,
        metavar="PATH=V1,V2",
        help="values of a field, e.g. gpus[gpu0].intensity_g_per_kwh=100,400, or PATH*=F1,F2 to "
        "scale it (agents[*].arrival_rps*=0.5,1); repeat for a product grid",
    )
    w.add_argument("--methods", metavar="A,B", help="heuristics to run (default: all)")
    w.add_argument(
        "--out",
        metavar="FILE",
        help="results CSV, written point by point; re-running skips the points it holds",
    )
    w.add_argument(
        "--scheduler",
        metavar="WHERE",
        help="processes (local processes) or a Dask scheduler's address (tcp://host:8786); "
        "default: here, one point after another",
    )
    w.set_defaults(func=cmd_sweep, time_limit=60.0)
    f = sub.add_parser(
        "pareto",
        parents=[g["files"], g["solver"], g["out"]],
        help="the exact front of two objectives (ε-constraint), with every heuristic's point",
    )
    f.add_argument("file", help="instance file")
    f.add_argument("--x", required=True, metavar="NAME", help="the bounded objective")
    f.add_argument("--y", required=True, metavar="NAME", help="the optimised objective")
    f.add_argument("--points", type=int, default=11, metavar="N", help="front points (11)")
    f.add_argument("--methods", metavar="A,B", help="heuristics to place (default: all)")
    f.set_defaults(func=cmd_pareto, time_limit=60.0)


def _add_others(sub: Any, g: dict) -> None:
    m = sub.add_parser(
        "simulate",
        parents=[g["files"], g["out"]],
        help="replay every policy over the workload trace (gpushare) or stream (routing)",
    )
    m.add_argument("file", help="gpushare or routing instance file")
    m.add_argument(
        "--steps",
        type=_steps,
        metavar="T",
        help="control steps (default: the file's simulation.steps, the trace length, or 60)",
    )
    m.add_argument(
        "--policies", metavar="A,B", help="policies to run (default: every one the family has)"
    )
    m.add_argument(
        "--requests-csv",
        metavar="FILE",
        help="also write one row per request and policy (routing)",
    )
    m.set_defaults(func=cmd_simulate)
    e = sub.add_parser(
        "evaluate",
        parents=[g["files"]],
        help="judge a plan file (from solve --json) with the independent evaluator",
    )
    e.add_argument("file", help="instance file")
    e.add_argument("plan", help="plan file: solve --json output, or a plan in ecoopt.plans' schema")
    e.add_argument(
        "--objective",
        choices=_all_objectives(),
        metavar="NAME",
        help="objective to report (default: the file's)",
    )
    e.add_argument("--json", action="store_true", help="print JSON on stdout")
    e.set_defaults(func=cmd_evaluate)
    v = sub.add_parser(
        "validate", parents=[g["files"]], help="check instance files and obvious infeasibility"
    )
    v.add_argument("files", nargs="+", help="instance files")
    v.set_defaults(func=cmd_validate)
    x = sub.add_parser(
        "export", parents=[g["files"]], help="write an instance's model as an LP or MPS file"
    )
    x.add_argument("file", help="instance file")
    x.add_argument("out", help="model file to write (.lp or .mps)")
    x.add_argument("--format", choices=["lp", "mps"], help="default: from OUT's suffix")
    x.add_argument(
        "--objective", choices=_all_objectives(), metavar="NAME", help="default: the file's"
    )
    x.set_defaults(func=cmd_export)
    h = sub.add_parser("schema", help="print the JSON Schema of an instance file")
    h.add_argument("problem", choices=list(MODULES), help="problem family")
    h.set_defaults(func=cmd_schema)


def cmd_reproduce(args: argparse.Namespace) -> int:
    """Every seed paper's claims beside ours: ``REPRODUCE.md`` and its figures in ``--out``."""
    from . import reproduce as rp

    bare = [f for f in args.update if not rp.block_names(f)]
    if bare:
        raise EcoOptError(
            f"{bare[0]}: no <!-- reproduce:NAME --> block to rewrite; add "
            "the markers where each family's table goes (NAME: gpushare, ...)"
        )
    parts = rp.sections(args.instances, progress=wanted(args.quiet))
    path = rp.write_report(parts, args.out)
    for line in rp.summary_lines(parts):
        print(line)
    print(f"wrote {path}")
    blocks = rp.readme_blocks(parts)
    for name in args.update:
        done = rp.update_readme(name, blocks)
        print(f"rewrote {len(done)} block(s) of {name}: {', '.join(done)}")
    return 0


def _add_reproduce(sub: Any) -> None:
    r = sub.add_parser(
        "reproduce", help="run every seed paper's reproduction and write a Markdown report"
    )
    r.add_argument(
        "--instances",
        default="instances",
        metavar="DIR",
        help="the folder of bundled instance files (default: %(default)s)",
    )
    r.add_argument(
        "--out",
        default="reproduce",
        metavar="DIR",
        help="folder for REPRODUCE.md and its figures (default: %(default)s)",
    )
    r.add_argument(
        "--update",
        "--readme",
        dest="update",
        nargs="+",
        default=[],
        metavar="FILE",
        help="also rewrite these Markdown files' <!-- reproduce:NAME --> blocks from the report "
        "(the family pages: docs/families/*.md)",
    )
    r.add_argument("--quiet", action="store_true", help="no progress on stderr")
    r.set_defaults(func=cmd_reproduce)


def _add_plot(sub: Any, g: dict) -> None:
    from .plot import KINDS

    p = sub.add_parser(
        "plot",
        parents=[g["files"]],
        help="a figure (PNG or SVG) of compare, pareto or sweep CSVs, or a simulator's timeline",
    )
    p.add_argument("kind", choices=KINDS, help="gaps, front, sweep or timeline")
    p.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="gaps: compare --csv files; front: a pareto --csv file; sweep: a sweep --out or "
        "--csv file; timeline: an instance file (gpushare or routing)",
    )
    p.add_argument("--out", required=True, metavar="FILE", help="figure to write: .png or .svg")
    p.add_argument("--x", metavar="PATH", help="sweep: the swept path along the x axis")
    p.add_argument("--y", metavar="COLUMN", help="sweep: objective (default), gap_pct or a metric")
    p.add_argument("--by", metavar="PATH", help="sweep: a second swept path, one line style each")
    p.add_argument("--policy", metavar="NAME", help="timeline: the policy (default: the family's)")
    p.add_argument("--steps", type=_steps, metavar="T", help="timeline: control steps (gpushare)")
    p.add_argument("--quiet", action="store_true", help="no side messages on stderr")
    p.set_defaults(func=cmd_plot)


def parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ecoopt", description=__doc__.split("\n\n")[0].replace("\n", " "))
    p.add_argument("--version", action="version", version=f"ecoopt {__version__}")
    sub = p.add_subparsers(dest="command", required=True, metavar="COMMAND")
    g = _common()
    _add_solve(sub, g)
    _add_compare(sub, g)
    _add_sweep(sub, g)
    _add_others(sub, g)
    _add_reproduce(sub)
    _add_plot(sub, g)
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
