"""Long lists of flat models validated column by column, with pydantic's verdict (issue 10).

Validating 10⁶ agents one model at a time costs pydantic's per-field Python hook
(``Strict._no_coercion``) about 20 µs an agent: most of a 10⁶-agent load. A *flat* model —
numbers, strings, booleans and tuples of numbers, constrained only by ge/gt/le/lt and
min_length, whose cross-field rules have a vectorised form (``Strict.rows_breaking_rules``) — can
have every rule checked once per column with numpy and its objects built in C-level loops, as
``model_construct`` builds one.

The verdict is one-sided. :func:`table_from_rows` returns models only when every row is one
that ``cls.model_validate`` accepts, and then the identical models (the same values of the same
types, in field order, with the same fields set); otherwise it returns ``None``. A row in doubt
(an ``int`` for a float beyond 2**53, a str subclass, a float for an int field) counts as
refused: it may be valid, but only pydantic says so. For a refused list, :func:`suspect_rows`
finds the rows in doubt; only those go to pydantic, whose errors (field path, stated range, fix)
are placed at their rows: the very errors validating the whole list gives. :func:`by_columns`
puts the three together as one field annotation. ``tests/test_rows.py`` holds both ways to the
same answers.
"""

from __future__ import annotations

import contextlib
import gc
import math
import types
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cache
from itertools import chain, islice, repeat
from operator import is_
from typing import Any, Union, get_args, get_origin

import annotated_types as at
import numpy as np
from pydantic import BaseModel, ValidationError, ValidationInfo, WrapValidator

#: exact Python types a column of each kind may hold (bool is not a number, a str subclass
#: is not a str); a row holding anything else goes to pydantic
_ACCEPTS: dict[str, frozenset[type]] = {
    "float": frozenset({float, int}),
    "int": frozenset({int}),
    "str": frozenset({str}),
    "bool": frozenset({bool}),
    "floats": frozenset({list, tuple}),
}
_SIMPLE = {float: "float", int: "int", str: "str", bool: "bool"}
_EXACT = 2.0**53  # every int below it is exactly a float
_NONE = type(None)
_MISSING = object()  # stands for a required field's absence: never admitted, never stored


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Python's cyclic garbage collector paused while objects are made in bulk (a parsed
    file, an instance, its arrays): they hold no cycles, and at 10⁶ agents the collector's
    repeated passes over the growing heap cost about as much as the work itself."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


@dataclass(frozen=True)
class FieldRule:
    """What one field of a flat model admits: a kind, None or not, a default, bounds."""

    name: str
    kind: str  # float | int | str | bool | floats (a tuple of floats)
    optional: bool
    default: Any  # _MISSING when required
    low: float = -math.inf
    low_in: bool = True
    high: float = math.inf
    high_in: bool = True
    min_length: int = 0


@dataclass
class Columns:
    """A validated table: one Python list per field (defaults filled, in field order), and
    numpy views for the model's vectorised cross-field rules."""

    n: int
    values: dict[str, list[Any]] = field(default_factory=dict)
    numbers: dict[str, np.ndarray] = field(default_factory=dict)  # float64, NaN where None
    missing: dict[str, np.ndarray] = field(default_factory=dict)  # True where None
    lengths: dict[str, np.ndarray] = field(default_factory=dict)  # tuple fields (0 for None)
    items: dict[str, np.ndarray] = field(default_factory=dict)  # tuple fields, concatenated
    #: fields whose stored values are not the rows' own (ints made floats, lists tuples)
    converted: set[str] = field(default_factory=set)


def _kind(annotation: Any) -> tuple[str, bool] | None:
    """(kind, optional) of a field annotation, or None for one this module does not check."""
    args = get_args(annotation)
    if get_origin(annotation) in (Union, types.UnionType):
        rest = [a for a in args if a is not _NONE]
        inner = _kind(rest[0]) if len(rest) == 1 and len(args) == 2 else None
        return None if inner is None or inner[1] else (inner[0], True)
    if get_origin(annotation) is tuple:
        return ("floats", False) if args == (float, ...) else None
    return (_SIMPLE[annotation], False) if annotation in _SIMPLE else None


def _field_rule(name: str, info: Any) -> FieldRule | None:
    """The rule of one pydantic field, or None if it has anything beyond the known checks."""
    kind = _kind(info.annotation)
    plain = info.alias is None and info.validation_alias is None and info.default_factory is None
    if kind is None or not plain:
        return None
    bounds: dict[str, Any] = {}
    number = kind[0] in ("float", "int")
    for m in info.metadata:
        if isinstance(m, at.Ge | at.Gt) and number:
            low = m.ge if isinstance(m, at.Ge) else m.gt
            bounds.update(low=float(low), low_in=isinstance(m, at.Ge))  # type: ignore[arg-type]
        elif isinstance(m, at.Le | at.Lt) and number:
            high = m.le if isinstance(m, at.Le) else m.lt
            bounds.update(high=float(high), high_in=isinstance(m, at.Le))  # type: ignore[arg-type]
        elif isinstance(m, at.MinLen) and kind[0] == "str":
            bounds["min_length"] = m.min_length
        else:
            return None
    if kind[0] == "int" and max(map(abs, (bounds.get("low", 0), bounds.get("high", 0)))) >= _EXACT:
        return None  # int-to-float comparisons beyond 2**53 are not exact
    default = _MISSING if info.is_required() else info.default
    return FieldRule(name, kind[0], kind[1], default, **bounds)


@cache
def rules_of(cls: type[BaseModel]) -> tuple[FieldRule, ...] | None:
    """Every field's rule, in field order, when ``cls`` can be validated column-wise: no
    validators but ``Strict._no_coercion`` and the model validators its vectorised
    ``rows_breaking_rules`` covers, no aliases, factories, private attributes or post-init."""
    config = cls.model_config
    decorators = cls.__pydantic_decorators__
    covered = set(getattr(cls, "row_rules_cover", ()))
    plain = (
        config.get("extra") == "forbid"
        and not config.get("strict")
        and set(decorators.field_validators) <= {"_no_coercion"}
        and set(decorators.model_validators) <= covered
        and not (decorators.validators or decorators.root_validators)
        and not cls.__private_attributes__
        and cls.__pydantic_post_init__ is None
        and not cls.__pydantic_root_model__
    )
    if not plain:
        return None
    rules = tuple(_field_rule(name, info) for name, info in cls.model_fields.items())
    return None if any(r is None for r in rules) else rules  # type: ignore[return-value]


def _types_ok(values: list[Any], rule: FieldRule) -> set[type] | None:
    """The exact types in a column, if the rule admits them all."""
    kinds = set(map(type, values))
    allowed = _ACCEPTS[rule.kind] | ({_NONE} if rule.optional else set())
    return kinds if kinds <= allowed else None


def _within(v: np.ndarray, rule: FieldRule) -> np.ndarray:
    """Which values are finite and within the rule's bounds."""
    lo = v >= rule.low if rule.low_in else v > rule.low
    hi = v <= rule.high if rule.high_in else v < rule.high
    return np.isfinite(v) & lo & hi


def _inside(v: np.ndarray, rule: FieldRule) -> bool:
    return bool(np.all(_within(v, rule)))


def _floats(values: list[Any], none: bool) -> np.ndarray | None:
    """The column as float64 (None as NaN), or None if a value will not convert."""
    try:
        return np.array(values, dtype=float) if none else np.fromiter(values, float, len(values))
    except (OverflowError, TypeError, ValueError):
        return None


def _numbers(values: list[Any], rule: FieldRule, kinds: set[type], cols: Columns) -> bool:
    """Check a number column; store its float view, its None mask and (for floats given as
    ints) the values pydantic would store: ``float(v)``."""
    v = _floats(values, _NONE in kinds)
    if v is None:
        return False
    none = np.zeros(cols.n, bool)
    if _NONE in kinds:
        none = np.fromiter(map(is_, values, repeat(None)), bool, cols.n)
    given = v[~none]
    if not _inside(given, rule):
        return False
    if int in kinds and np.any(np.abs(given) >= _EXACT):
        return False  # an int this large compares with the bounds only inexactly as a float
    if rule.kind == "float" and int in kinds:  # pydantic stores float(v)
        out = v.tolist()
        for i in np.flatnonzero(none).tolist():
            out[i] = None
        values = out
        cols.converted.add(rule.name)
    cols.values[rule.name], cols.numbers[rule.name], cols.missing[rule.name] = values, v, none
    return True


def _strings(values: list[Any], rule: FieldRule, kinds: set[type], cols: Columns) -> bool:
    given = [s for s in values if s is not None] if _NONE in kinds else values
    if rule.min_length and min(map(len, given), default=rule.min_length) < rule.min_length:
        return False
    cols.values[rule.name] = values
    return True


def _tuples(values: list[Any], rule: FieldRule, kinds: set[type], cols: Columns) -> bool:
    """Check a tuple-of-floats column: exact int/float items, finite; store tuples of floats."""
    seqs = [() if s is None else s for s in values]
    flat = list(chain.from_iterable(seqs))
    if not set(map(type, flat)) <= _ACCEPTS["float"]:
        return False
    items = _floats(flat, False)
    if items is None or not np.all(np.isfinite(items)) or np.any(np.abs(items) >= _EXACT):
        return False  # (a trace has no bounds of its own: the model's rules judge its values)
    missing = np.fromiter(map(is_, values, repeat(None)), bool, cols.n)
    if not missing.all():  # pydantic stores tuples of floats
        it = iter(items.tolist())
        values = [None if s is None else tuple(islice(it, len(s))) for s in values]
        cols.converted.add(rule.name)
    cols.values[rule.name], cols.missing[rule.name] = values, missing
    cols.lengths[rule.name] = np.fromiter(map(len, seqs), np.int64, cols.n)
    cols.items[rule.name] = items
    return True


_CHECKS = {"float": _numbers, "int": _numbers, "str": _strings, "bool": None, "floats": _tuples}


def _defaulted(rule: FieldRule, cols: Columns) -> None:
    """Views of a column no row gives (every row has the default, which pydantic does not
    validate either) for the model's cross-field rules; the models take it from the defaults."""
    n, default = cols.n, rule.default
    cols.missing[rule.name] = np.full(n, default is None)
    if rule.kind in ("float", "int"):
        cols.numbers[rule.name] = np.full(n, np.nan if default is None else float(default))
    elif rule.kind == "floats":
        one = np.asarray(default or (), dtype=float)
        cols.lengths[rule.name] = np.full(n, one.size, np.int64)
        cols.items[rule.name] = np.tile(one, n)


def check_columns(
    cls: type[BaseModel], columns: dict[str, list[Any]], n: int, cross_field: bool = True
) -> Columns | None:
    """Validate a table (field -> list of n values, None for an absent optional; a column
    not given takes the field's default) against ``cls``'s rules; None if a row may fail.
    ``cross_field=False`` checks each field alone (the rows' cross-field rules are left)."""
    rules = rules_of(cls)
    if rules is None:
        return None
    cols = Columns(n)
    for rule in rules:
        values = columns.get(rule.name)
        if values is None:
            if rule.default is _MISSING:
                return None
            _defaulted(rule, cols)
            continue
        kinds = _types_ok(values, rule)
        if kinds is None or len(values) != n:
            return None
        check = _CHECKS[rule.kind]
        if check is None:
            cols.values[rule.name] = values
        elif not check(values, rule, kinds, cols):
            return None
    if cross_field and cls.rows_breaking_rules(cols).any():  # type: ignore[attr-defined]
        return None
    return cols


@cache
def _dict_maker(cls: type[BaseModel]) -> Any:
    """A function of one value per field that returns ``{field: value}`` in field order,
    compiled once per model from its field names (identifiers the class declares, never
    input). A dict display makes a row's dict in one step: a third of ``dict(zip(...))``."""
    names = list(cls.model_fields)
    if not all(name.isidentifier() for name in names):
        raise ValueError(f"{cls.__name__}: field names must be identifiers")
    params = ", ".join(f"v{i}" for i in range(len(names)))
    items = ", ".join(f"{name!r}: v{i}" for i, name in enumerate(names))
    return eval(f"lambda {params}: {{{items}}}")  # noqa: S307 - names checked above


#: the four slots of a pydantic model, set as ``model_construct`` sets them (each setter is
#: the slot's own descriptor: half the time of ``object.__setattr__`` by name)
_SLOTS = ("__dict__", "__pydantic_fields_set__", "__pydantic_extra__", "__pydantic_private__")
_SETTERS = tuple(BaseModel.__dict__[slot].__set__ for slot in _SLOTS)


def _models(cls: type[BaseModel], dicts: list[dict], fields_set: list[set[str]]) -> tuple:
    """Models of ``cls`` with these field dicts and fields sets, made as ``model_construct``
    makes one (its four slots set, no extra fields or private attributes), in C-level loops."""
    n = len(dicts)
    models = list(map(cls.__new__, repeat(cls, n)))
    for setter, values in zip(
        _SETTERS, (dicts, fields_set, repeat(None, n), repeat(None, n)), strict=True
    ):
        deque(map(setter, models, values), maxlen=0)
    return tuple(models)


def build(cls: type[BaseModel], cols: Columns, fields_set: list[set[str]]) -> tuple[Any, ...]:
    """The models of a validated table, made as ``model_construct`` makes one but per
    column, in C-level loops; a column no row gives takes the default."""
    n = cols.n
    columns = [
        cols.values[r.name] if r.name in cols.values else repeat(r.default, n)
        for r in rules_of(cls) or ()
    ]
    return _models(cls, list(map(_dict_maker(cls), *columns)), fields_set)


def _built_from_rows(cls: type[BaseModel], rows: list[dict], cols: Columns, fields_set: list):
    """:func:`build` for a table read from ``rows`` (dicts of field names): when every
    stored value is the row's own (no int made a float, no list a tuple), a model's dict is
    the defaults updated by its row, one C call a row (a third less than from columns)."""
    if cols.converted:
        return build(cls, cols, fields_set)
    defaults = {r.name: r.default for r in rules_of(cls) or ()}  # in field order
    return _models(cls, list(map(defaults.__or__, rows)), fields_set)


def fields_sets(
    cls: type[BaseModel], keys: list[tuple[str, ...]], distinct: dict | None = None
) -> list[set[str]]:
    """Each row's set of given fields. Rows of a frozen model that give the same keys share
    one set: pydantic never changes a frozen model's (``model_copy`` copies it first), and
    one set per row would cost half a microsecond and one more object for the collector.
    ``distinct``: the distinct key tuples, when the caller has them (``dict.fromkeys``)."""
    if not cls.model_config.get("frozen"):
        return list(map(set, keys))
    shared = {k: set(k) for k in (dict.fromkeys(keys) if distinct is None else distinct)}
    return list(map(shared.__getitem__, keys))


@dataclass(frozen=True)
class Table:
    """Models built from a validated table, with the table: what a ``by_columns`` field
    takes from ecoopt's own builders (the generator) without validating it again."""

    models: tuple[Any, ...]
    columns: Columns


def table_from_rows(cls: type[BaseModel], rows: Any) -> Table | None:
    """The models ``cls.model_validate`` makes of every row, with their columns, when every
    row passes; None when some row is not plainly valid (validate it the ordinary way).

    Rows must be plain dicts whose keys are all field names, each required field present."""
    rules = rules_of(cls)
    if rules is None or type(rows) is not list or not rows or set(map(type, rows)) != {dict}:
        return None
    given, keys, distinct = _row_keys(rows)
    if not given <= cls.model_fields.keys():
        return None  # a key that names no field
    n = len(rows)
    columns = {
        r.name: list(map(dict.get, rows, repeat(r.name, n), repeat(r.default, n)))
        for r in rules
        if r.name in given
    }
    cols = check_columns(cls, columns, n)  # a required field's absence shows as _MISSING
    if cols is None:
        return None
    fields_set = _rows_fields_sets(cls, rows, keys, distinct)
    return Table(_built_from_rows(cls, rows, cols, fields_set), cols)


def _row_keys(rows: list[dict]) -> tuple[set[str], list[tuple[str, ...]] | None, dict]:
    """(the keys some row gives, each row's keys, the distinct key tuples); the last two are
    None and {} when every row gives every one of those keys (the usual file): rows of one
    length whose keys together are that many, found in two C passes, no tuple per row."""
    lengths = set(map(len, rows))
    if len(lengths) == 1:
        given = set().union(*rows)
        if len(given) == lengths.pop():
            return given, None, {}
    keys = list(map(tuple, rows))
    distinct = dict.fromkeys(keys)
    return set(chain.from_iterable(distinct)), keys, distinct  # over each distinct one once


def _rows_fields_sets(cls: type[BaseModel], rows: list[dict], keys: Any, distinct: dict) -> list:
    """:func:`fields_sets` of rows read by :func:`_row_keys`."""
    if keys is not None:
        return fields_sets(cls, keys, distinct)
    given = set(rows[0])
    if cls.model_config.get("frozen"):
        return [given] * len(rows)  # one shared set, as fields_sets shares them
    return [set(given) for _ in rows]


def validate_rows(cls: type[BaseModel], rows: Any) -> tuple[Any, ...] | None:
    """``tuple(cls.model_validate(r) for r in rows)`` built column by column, or None when
    some row is not plainly valid (see :func:`table_from_rows`)."""
    table = table_from_rows(cls, rows)
    return None if table is None else table.models


# -- a list with invalid rows: only the rows in doubt go to pydantic -------------------------


def _suspect_values(values: list[Any], rule: FieldRule) -> np.ndarray:
    """Which values of one column the column route cannot vouch for (a boolean per row):
    a wrong type, a number outside its range or beyond exact comparison, a short string, a
    list holding anything but finite numbers. Only for a list already refused."""
    n = len(values)
    kinds = set(map(type, values))
    allowed = _ACCEPTS[rule.kind] | ({_NONE} if rule.optional else set())
    suspect = np.zeros(n, dtype=bool)
    if not kinds <= allowed:
        suspect = ~np.fromiter(map(allowed.__contains__, map(type, values)), bool, n)
    if rule.kind in ("float", "int"):
        suspect |= _suspect_numbers(values, rule, kinds, suspect)
    elif rule.kind == "str" and rule.min_length:
        short = [type(x) is str and len(x) < rule.min_length for x in values]
        suspect |= np.array(short, dtype=bool)
    elif rule.kind == "floats":
        seqs = [() if bad or x is None else x for x, bad in zip(values, suspect.tolist())]
        steps = np.fromiter(map(len, seqs), np.int64, n)
        flat = list(chain.from_iterable(seqs))
        ok = np.fromiter(map(_ACCEPTS["float"].__contains__, map(type, flat)), bool, len(flat))
        item = np.fromiter(map(_float_or_nan, flat, (~ok).tolist()), float, len(flat))
        bad_item = ~ok | ~np.isfinite(item) | ~(np.abs(item) < _EXACT)
        suspect[np.repeat(np.arange(n), steps)[bad_item]] = True
    return suspect


def _suspect_numbers(
    values: list[Any], rule: FieldRule, kinds: set[type], wrong_type: np.ndarray
) -> np.ndarray:
    """Numbers (of the right type) outside their range, and ints too large to compare."""
    n = len(values)
    v = _floats(values, True)  # one conversion when every value converts
    if v is None:
        v = np.fromiter(map(_float_or_nan, values, wrong_type.tolist()), float, n)
    v[wrong_type] = np.nan
    given = ~wrong_type
    if _NONE in kinds:
        given &= ~np.fromiter(map(is_, values, repeat(None)), bool, n)
    suspect = given & ~_within(v, rule)
    large = given & ~(np.abs(v) < _EXACT)
    if int in kinds and large.any():
        suspect |= large & np.fromiter(map(is_, map(type, values), repeat(int)), bool, n)
    return suspect


def _float_or_nan(value: Any, skip: bool = False) -> float:
    """``float(value)``, or NaN for None, a skipped value or an integer beyond any float."""
    if skip or value is None:
        return math.nan
    try:
        return float(value)
    except OverflowError:
        return math.nan


def suspect_rows(cls: type[BaseModel], rows: Any) -> np.ndarray | None:
    """For a list of dict rows that :func:`table_from_rows` refused: which rows it cannot
    vouch for, field by field and then by the cross-field rules of the others; None when
    the list is not one of plain dict rows (it all goes to pydantic then)."""
    rules = rules_of(cls)
    if rules is None or type(rows) is not list or not rows or set(map(type, rows)) != {dict}:
        return None
    n = len(rows)
    keys = list(map(tuple, rows))
    strange = {k for k in dict.fromkeys(keys) if not set(k) <= cls.model_fields.keys()}
    suspect = np.fromiter(map(strange.__contains__, keys), bool, n)
    for rule in rules:
        values = list(map(dict.get, rows, repeat(rule.name, n), repeat(rule.default, n)))
        suspect |= _suspect_values(values, rule)
    good = np.flatnonzero(~suspect)
    plain = [rows[i] for i in good.tolist()]
    m = len(plain)
    columns = {
        r.name: list(map(dict.get, plain, repeat(r.name, m), repeat(r.default, m))) for r in rules
    }
    cols = check_columns(cls, columns, m, cross_field=False) if plain else None
    if plain and cols is None:
        return None  # the two checks disagree: let pydantic judge every row
    if cols is not None:
        suspect[good[cls.rows_breaking_rules(cols)]] = True  # type: ignore[attr-defined]
    return suspect


def _renumbered(exc: ValidationError, rows: list[int], n: int) -> ValidationError | None:
    """``exc`` (from validating some of ``n`` rows) with each error at its row's place in
    the whole list. A tuple's "too short" (pydantic counts the rows that passed) is counted
    again over the whole list; any other error not at a row: None (validate the whole)."""
    errors = exc.errors()
    failed = {e["loc"][0] for e in errors if e["loc"] and isinstance(e["loc"][0], int)}
    moved: list[Any] = []
    for e in errors:
        if e["loc"] and isinstance(e["loc"][0], int):
            moved.append({"type": e["type"], "loc": (rows[e["loc"][0]], *e["loc"][1:])})
        elif e["type"] == "too_short" and not e["loc"]:
            if n - len(failed) >= e["ctx"]["min_length"]:
                continue
            moved.append({"type": e["type"], "loc": ()})
            e["ctx"] = {**e["ctx"], "actual_length": n - len(failed)}
        else:
            return None
        moved[-1]["input"] = e["input"]
        moved[-1] |= {"ctx": e["ctx"]} if "ctx" in e else {}
    try:
        return ValidationError.from_exception_data(exc.title, moved)
    except (KeyError, TypeError, ValueError):
        return None


def _mixed(model: type[BaseModel], rows: list[Any], ordinary: Any) -> tuple[Any, ...] | None:
    """A refused list with the rows in doubt validated by pydantic and the others column by
    column: pydantic's errors at their rows' places (the same errors as validating the whole
    list), or the models if the rows in doubt pass after all. None: validate it all."""
    suspect = suspect_rows(model, rows)
    if suspect is None or suspect.all() or not suspect.any():
        return None
    doubtful = np.flatnonzero(suspect).tolist()
    plain = np.flatnonzero(~suspect).tolist()
    table = table_from_rows(model, [rows[i] for i in plain])
    if table is None:
        return None
    try:
        judged = ordinary([rows[i] for i in doubtful])
    except ValidationError as exc:
        moved = _renumbered(exc, doubtful, len(rows))
        if moved is None:
            return None
        raise moved from None
    out: list[Any] = [None] * len(rows)
    for i, m in zip(plain, table.models):
        out[i] = m
    for i, m in zip(doubtful, judged):
        out[i] = m
    return tuple(out)


def by_columns(model: type[BaseModel], max_rows: int) -> WrapValidator:
    """Annotation for a ``tuple[model, ...]`` field (gpushare's agents): a plain list (or
    tuple, as ``model_dump`` gives) of at most ``max_rows`` dict rows is validated column by
    column, and a :class:`Table` is taken
    as it is. A list with rows in doubt has only those validated by pydantic (its errors
    placed at their rows); any other input goes to pydantic's ordinary validation, which
    words every message.

    When the validation context has a ``"columns"`` dict, the table is left there under the
    field's name, for the model's own validators (gpushare's arrays are read from it)."""

    def validate(value: Any, ordinary: Any, info: ValidationInfo) -> Any:
        table = None
        rows = list(value) if type(value) is tuple else value  # a model_dump gives a tuple
        if type(rows) is list and len(rows) <= max_rows:
            table = table_from_rows(model, rows)
            if table is None:
                mixed = _mixed(model, rows, ordinary)
                return ordinary(value) if mixed is None else mixed
        elif type(value) is Table and 0 < len(value.models) <= max_rows:
            table = value
        if table is None:
            return ordinary(value)
        if isinstance(info.context, dict) and isinstance(info.context.get("columns"), dict):
            info.context["columns"][info.field_name] = table.columns
        return table.models

    return WrapValidator(validate)
