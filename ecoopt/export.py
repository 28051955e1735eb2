"""Write an instance's model as an LP or MPS file with readable names, through HiGHS.

The file holds exactly the LinearProgram that ``ecoopt.solve`` hands to HiGHS (see
``ecoopt.lp``), in the model's own units: the objective scaling that ``solve`` applies for
HiGHS's tolerances is *not* applied, so the file's optimum is ``Result.objective``.

Names. Column ``j`` of variable block ``b`` is named ``b(label)`` and row ``i`` of constraint
family ``f`` is named ``f(label)``, a tuple label written with commas: ``assign(nlp,h100,25)``,
``flow(input__conv1,orin_nx,rtx2000_ws)``, ``one_level(nlp)``. Square brackets, the form
Pyomo prints, cannot be used: HiGHS's LP writer accepts only letters, digits and
``!"#$%&(),.;?@_{}~`` in a name and, when any name breaks that rule, silently renames every
column ``c0, c1, …`` (or row ``r0, …``). The mapping, one rule for both formats:

* block and family names and each label part keep letters, digits, ``_`` and ``.``; every
  other character (space, ``-``, ``>``, ``:``, ``[``, ``]``, ``,``, ``(``, non-ASCII …) becomes
  ``_``, one for one (so ``input->conv1`` reads ``input__conv1``);
* ``(``, ``)`` and ``,`` are then only the structure of the name; the characters used are also
  legal in CPLEX's LP format and in free MPS (which forbids only spaces);
* a name the mapping makes equal to an earlier one gets ``~2``, ``~3`` … appended (``~`` never
  comes out of the mapping, so the result is unique); rows and columns are separate namespaces.

Section keywords. HiGHS's LP writer heads the integer sections ``bin``, ``gen`` and ``semi``;
CBC's LP reader knows none of them and would silently solve the LP relaxation, so they are
rewritten ``binary``, ``general`` and ``semi-continuous``, which HiGHS, SCIP and CBC all read.

Objective offset. HiGHS writes it in both formats and reads it back: in LP files as a constant
term of the objective (``obj: +1 x(a) … +5``), in MPS files as minus the RHS of the objective
row (``RHS_V  Obj  -5``, the CPLEX/Gurobi convention; a reader that ignores objective RHS
entries, as some do, loses it). Every bundled model has offset 0; the tests check a non-zero
one in both formats.

Solving the file elsewhere. Partition objectives are of order 1e-3 to 1e-7 (grams per
inference), near HiGHS's absolute tolerances: read back with HiGHS's defaults, the
EfficientNet-B0 model stops 4e-5 (relative) above its optimum. Solve such files with
``mip_abs_gap=0`` and ``mip_feasibility_tolerance=1e-9`` (``ecoopt.highs.TIGHT``), or scale the
objective, as ``ecoopt.solve`` does.
"""

from __future__ import annotations

import os
import shutil
import string
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from .errors import EcoOptError, printable
from .highs import new_highs
from .lp import LinearProgram, to_highs

#: file formats HiGHS writes, by the suffix that selects them
FORMATS = ("lp", "mps")

#: characters a name part keeps; everything else becomes ``_``
KEPT = frozenset(string.ascii_letters + string.digits + "_.")

#: what a name's repeats are told apart by (never produced by :func:`clean`)
REPEAT_MARK = "~"

#: HiGHS's short LP section keywords -> the long forms every LP reader knows. CBC's reader
#: (CoinLpIO) knows neither ``bin`` nor ``gen`` and would read the file as continuous, its
#: LP relaxation (151.6 instead of 193.9 gCO2/h on multi_gpu_three_grids)
LONG_SECTIONS = {"bin": "binary", "gen": "general", "semi": "semi-continuous"}


def clean(text: Any) -> str:
    """``str(text)`` with every character outside letters, digits, ``_`` and ``.`` as ``_``."""
    return "".join(c if c in KEPT else "_" for c in str(text))


def label_text(label: Any) -> str:
    """A label as it appears between the parentheses: tuple parts cleaned, joined by commas."""
    if isinstance(label, tuple):
        return ",".join(clean(part) for part in label)
    return clean(label)


def unique(names: Iterable[str]) -> list[str]:
    """``names`` in order, each repeat of an earlier name suffixed ``~2``, ``~3`` …

    Input names never contain ``~`` (they come from :func:`clean`), so no suffixed name can
    equal an unsuffixed one, and the counter skips any suffixed name already taken.
    """
    taken: set[str] = set()
    out: list[str] = []
    for name in names:
        candidate, k = name, 1
        while candidate in taken:
            k += 1
            candidate = f"{name}{REPEAT_MARK}{k}"
        taken.add(candidate)
        out.append(candidate)
    return out


def block_names(name: str, labels: Iterable[Any]) -> list[str]:
    """``name(label)`` for each label of one variable block or constraint family."""
    head = clean(name)
    return [f"{head}({label_text(label)})" for label in labels]


def model_names(lp: LinearProgram) -> tuple[list[str], list[str]]:
    """(column names, row names) of ``lp`` in HiGHS's column and row order, as written to files.

    Columns follow ``lp.vars`` (block by block, labels in order), rows follow ``lp.families``,
    exactly as :func:`ecoopt.lp.to_highs` lays them out.
    """
    cols = [n for b in lp.vars.values() for n in block_names(b.name, b.labels)]
    rows = [n for f in lp.families.values() for n in block_names(f.name, f.labels)]
    return unique(cols), unique(rows)


def file_format(path: Path, format: str | None) -> str:
    """The format asked for, else the one the suffix names; a ValueError for anything else."""
    fmt = (format if format is not None else path.suffix.lstrip(".")).lower()
    if fmt not in FORMATS:
        asked = f"format {format!r}" if format is not None else f"suffix {path.suffix!r}"
        raise ValueError(
            printable(
                f"cannot export {path}: unknown {asked}; choose one of "
                + ", ".join(f"'{f}'" for f in FORMATS)
                + " (format= or the file's suffix .lp / .mps)"
            )
        )
    return fmt


def named_highs_model(lp: LinearProgram) -> Any:
    """``to_highs(lp)`` (unscaled) with the names of :func:`model_names` and the model's name."""
    model = to_highs(lp)
    model.col_names_, model.row_names_ = model_names(lp)
    model.model_name_ = clean(lp.name)
    return model


def write_model_file(lp: LinearProgram, path: str | os.PathLike, format: str | None = None) -> Path:
    """Write ``lp`` to ``path`` as an LP or MPS file with readable names; returns the path.

    ``format`` (``"lp"`` or ``"mps"``) wins over the suffix, so ``model.txt`` can hold MPS.
    HiGHS writes the file (its banner kept off stdout); any HiGHS status other than ok, and any
    failure to create the file, is an :class:`EcoOptError` naming ``path``. The file appears
    whole or not at all: HiGHS writes into a scratch folder beside it, then one rename.
    """
    import highspy

    path = Path(path)
    fmt = file_format(path, format)
    h = new_highs()
    if h.passModel(named_highs_model(lp)) != highspy.HighsStatus.kOk:
        raise EcoOptError(
            printable(f"HiGHS refused the model {lp.name}; nothing was written to {path}")
        )
    _write_whole(h, path, fmt, expect_warning=lp.num_rows == 0 or lp.num_cols == 0)
    return path


def _write_whole(h: Any, path: Path, fmt: str, *, expect_warning: bool) -> None:
    """HiGHS's ``writeModel`` into a scratch folder beside ``path`` (named ``model.<fmt>``,
    since HiGHS picks the format by suffix), then ``os.replace`` onto ``path``.

    HiGHS answers a warning when it renames what it cannot write (the names here always pass
    its rules, so that is an error) and when a model has no rows or no columns at all (no
    names to write: ``expect_warning``).
    """
    import highspy

    allowed = {highspy.HighsStatus.kOk}
    if expect_warning:
        allowed.add(highspy.HighsStatus.kWarning)
    try:
        scratch = tempfile.mkdtemp(prefix=".ecoopt-export-", dir=path.parent)
    except OSError as exc:
        raise EcoOptError(
            printable(f"cannot write the model to {path}: {_why(exc, path)}")
        ) from None
    try:
        tmp = os.path.join(scratch, f"model.{fmt}")
        status = h.writeModel(tmp)
        if status not in allowed:
            raise EcoOptError(
                printable(f"HiGHS could not write the model to {path} (status {status.name})")
            )
        os.replace(long_section_keywords(tmp) if fmt == "lp" else tmp, path)
    except OSError as exc:
        raise EcoOptError(
            printable(f"cannot write the model to {path}: {_why(exc, path)}")
        ) from None
    finally:
        shutil.rmtree(scratch, ignore_errors=True)


def long_section_keywords(src: str) -> str:
    """Copy HiGHS's LP file ``src`` with its section keywords in their long forms
    (:data:`LONG_SECTIONS`); returns the copy's path, beside ``src``.

    HiGHS writes each keyword alone on a line from its first column, while the names listed
    under it, and continued lines, begin with a space, so a whole-line match is exact. Every
    reader tried takes the long forms: HiGHS, SCIP and CBC.
    """
    dst = f"{src}.long"
    with open(src, newline="") as fin, open(dst, "w", newline="") as fout:
        for line in fin:
            word = line.rstrip("\r\n")
            fout.write(LONG_SECTIONS[word] + line[len(word) :] if word in LONG_SECTIONS else line)
    return dst


def _why(exc: OSError, path: Path) -> str:
    """The cause of a failed write, in words that say what to change."""
    if isinstance(exc, FileNotFoundError):
        return f"folder {path.parent} does not exist (create it first)"
    if isinstance(exc, PermissionError):
        return f"no permission to write in {path.parent}"
    if isinstance(exc, IsADirectoryError):
        return "it is a folder (give a file name ending in .lp or .mps)"
    return exc.strerror or type(exc).__name__


def export_model(
    instance: Any,
    path: str | os.PathLike,
    objective: str | None = None,
    format: str | None = None,
) -> Path:
    """Formulate ``instance`` for ``objective`` (default: the instance's own) and write the
    model to ``path`` as an LP or MPS file with readable names; returns the path.

    ``format`` is ``"lp"`` or ``"mps"``; without it the suffix decides (``.lp``, ``.mps``);
    anything else is a ValueError naming the formats. The names, the objective offset and the
    units are described in this module's docstring. Reading the file back into HiGHS and
    solving it gives ``ecoopt.solve(instance).objective`` (the tests check every bundled
    instance, both formats). Failure to write is an :class:`EcoOptError` naming ``path``.
    """
    from .problems import spec_for

    path = Path(path)
    file_format(path, format)  # refuse a bad format before building the model
    spec = spec_for(instance)
    objective = objective or instance.objective
    spec.check_objective(objective)
    return write_model_file(spec.formulate(instance, objective), path, format)
