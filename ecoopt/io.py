"""Instance files in and out: YAML or JSON, ``problem:`` selects the family, validated on load.

Every problem in a file is reported at once, each naming its field
(``agents[2] (vision).min_share``) and a fix, in one :class:`~ecoopt.errors.InstanceError`.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import jiter
import numpy as np
import yaml
from pydantic import BaseModel, ValidationError

from .errors import InstanceError, Problem
from .paths import file_kind
from .problems import MODULES, get_spec
from .rows import collector_paused
from .schema import FieldProblem

_FIX = {
    "missing": "add this field",
    "extra_forbidden": "remove it or check its spelling",
    "literal_error": "use one of the values listed",
    "float_parsing": "write a number",
    "float_type": "write a number",
    "int_parsing": "write a whole number",
    "int_type": "write a whole number",
    "int_from_float": "write a whole number",
    "greater_than": "use a larger value",
    "greater_than_equal": "use a larger value",
    "less_than": "use a smaller value",
    "less_than_equal": "use a smaller value",
    "too_short": "add at least one entry",
    "string_type": "write a string",
    "bool_type": "write true or false",
    "bool_parsing": "write true or false",
    "tuple_type": "write a list",
    "model_type": "write a mapping of fields",
}


def _field_path(loc: tuple[Any, ...], data: Any) -> str:
    """Dotted path with list items named when they have a ``name``: agents[2] (vision).min_share."""
    out = ""
    node = data
    for part in loc:
        if isinstance(part, int):
            label = f"[{part}]"
            item = node[part] if isinstance(node, list | tuple) and part < len(node) else None
            if isinstance(item, dict) and isinstance(item.get("name"), str):
                label += f" ({item['name']})"
            out += label
            node = item
        else:
            out += ("." if out else "") + str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return out or "(top level)"


def from_dict(
    data: Any,
    source: str = "<dict>",
    base_dir: str | Path = ".",
    allow_paths: list[str | Path] | None = None,
) -> BaseModel:
    """Validate a mapping into its problem's typed, frozen instance.

    Paths inside it resolve against ``base_dir`` and may only reach files there, in the bundled
    models or in ``allow_paths`` (``ecoopt.paths``)."""
    if not isinstance(data, dict):
        raise InstanceError(
            source,
            [
                Problem(
                    "(top level)",
                    "must be a mapping of fields",
                    "start the file with 'problem: gpushare'",
                )
            ],
        )
    problem = data.get("problem")
    if problem is None:
        raise InstanceError(
            source,
            [Problem("problem", "missing", f"add 'problem:' with one of {', '.join(MODULES)}")],
        )
    if not isinstance(problem, str) or problem not in MODULES:
        raise InstanceError(
            source,
            [
                Problem(
                    "problem", f"unknown problem {problem!r}", f"use one of {', '.join(MODULES)}"
                )
            ],
        )
    spec = get_spec(problem)
    try:
        # base_dir resolves paths inside the instance (e.g. a model CSV) against the file
        context = {"base_dir": str(base_dir), "allow_paths": [str(p) for p in allow_paths or []]}
        context["columns"] = {}  # ecoopt.rows leaves lists validated column-wise there
        with collector_paused():
            return spec.instance_cls.model_validate(data, context=context)
    except ValidationError as exc:
        problems = []
        errors = exc.errors()
        for err in errors:
            loc = tuple(
                p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-"))
            )
            if err["type"] == "too_short" and any(
                len(e["loc"]) > len(err["loc"]) and e["loc"][: len(err["loc"])] == err["loc"]
                for e in errors
            ):
                continue  # pydantic re-reports a list whose items failed as too short
            problems.append(_problem(err, loc, data))
        raise InstanceError(source, problems) from None


def _problem(err: Any, loc: tuple[Any, ...], data: Any) -> Problem:
    """One pydantic error as a Problem; a :class:`FieldProblem` names the field below ``loc``."""
    path = _field_path(loc, data)
    found = (err.get("ctx") or {}).get("error")
    if isinstance(found, FieldProblem):
        sep = "" if path == "(top level)" else ("" if found.field.startswith("[") else ".")
        where = found.field if path == "(top level)" else f"{path}{sep}{found.field}"
        return Problem(where, found.message, found.fix)
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown key"
    return Problem(path, msg, _FIX.get(err["type"], ""))


class Unreadable(ValueError):
    """The file parses, but holds something an instance file may not: the message says what,
    ``fix`` what to do."""

    fix = "remove it"

    def __init__(self, message: str, fix: str | None = None):
        super().__init__(message)
        self.fix = fix or self.fix


class DuplicateKey(Unreadable):
    """A mapping in an instance file names the same key twice."""

    fix = "keep one of them"


#: values a YAML file's aliases may expand to (a file without aliases is bounded by its size)
MAX_EXPANDED_NODES = 2_000_000


def _expanded_size(root: yaml.Node) -> int:
    """Nodes in the document once every alias is written out (memoised over shared nodes)."""
    size: dict[int, int] = {}
    stack: list[tuple[yaml.Node, bool]] = [(root, False)]
    while stack:
        node, done = stack.pop()
        if id(node) in size:
            continue
        kids = _children(node)
        if done or not kids:
            total = 1 + sum(size.get(id(k), 0) for k in kids)
            size[id(node)] = min(total, MAX_EXPANDED_NODES + 1)
            continue
        stack.append((node, True))
        stack.extend((k, False) for k in kids if id(k) not in size)
    return size[id(root)]


def _children(node: yaml.Node) -> list[yaml.Node]:
    if isinstance(node, yaml.MappingNode):
        return [n for pair in node.value for n in pair]
    if isinstance(node, yaml.SequenceNode):
        return list(node.value)
    return []


_BASE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml's parser: ~5× faster


class _UniqueKeyLoader(_BASE_LOADER):  # type: ignore[misc, valid-type]
    """YAML's safe loader (libyaml's parser when installed), refusing a key repeated in one
    mapping (YAML keeps the last) and aliases that expand beyond ``MAX_EXPANDED_NODES``.
    libyaml stops at 1,000 levels of block nesting with a clean error."""

    may_alias = True  # read_file clears it when the text has no alias (*name) at all

    def get_single_data(self) -> Any:
        """A document whose aliases expand to more than ``MAX_EXPANDED_NODES`` is refused
        (a few aliases can stand for billions of nodes: the "billion laughs" file)."""
        node = self.get_single_node()
        if node is None:
            return None
        if self.may_alias and _expanded_size(node) > MAX_EXPANDED_NODES:
            raise Unreadable(
                f"its YAML aliases (*name) expand to more than {MAX_EXPANDED_NODES:,} values",
                "write the values out, or use fewer aliases",
            )
        return self.construct_document(node)

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict:
        seen: dict[Any, int] = {}
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            line = key_node.start_mark.line + 1
            if key in seen:
                raise DuplicateKey(f"key {key!r} appears twice, at lines {seen[key]} and {line}")
            seen[key] = line
        return super().construct_mapping(node, deep=deep)


# YAML 1.1 (PyYAML) reads ``1e9`` and ``1.5e-3`` as strings; YAML 1.2 and every user read them
# as numbers, so the loader does too (an exponent without a dot or a sign)
_UniqueKeyLoader.add_implicit_resolver(
    "tag:yaml.org,2002:float",
    re.compile(r"^[-+]?(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9_]+)[eE][-+]?[0-9]+$"),
    list("-+0123456789."),
)


def _unique_json_keys(text: str):  # noqa: ANN202
    """An ``object_pairs_hook`` refusing repeated keys; names the lines where the key stands."""

    def hook(pairs: list[tuple[str, Any]]) -> dict:
        out = dict(pairs)
        if len(out) == len(pairs):
            return out
        k = next(k for k, n in Counter(k for k, _ in pairs).items() if n > 1)
        needle = json.dumps(k)
        lines = [n + 1 for n, row in enumerate(text.splitlines()) if needle in row][:2]
        at = f", at lines {lines[0]} and {lines[1]}" if len(lines) == 2 else ""
        raise DuplicateKey(f"key {k!r} appears twice{at}")

    return hook


#: brackets of flow style ([ and {) a file may nest: instance files need a handful
MAX_DEPTH = 100


#: the bytes that give a file's structure: brackets, the colon after each key, the backslash
#: that starts an escape; :func:`_marks` counts them in one C pass
_MARK_BYTES = b"[]{}:\\"
_NOT_MARKS = bytes(b for b in range(256) if b not in _MARK_BYTES)
_STEP = np.zeros(256, dtype=np.int8)  # a bracket's step in nesting depth
_STEP[list(b"[{")], _STEP[list(b"]}")] = 1, -1


@dataclass(frozen=True)
class Marks:
    """A file's structural bytes, counted inside strings and outside alike: the deepest
    nesting of ``[``/``{``, and how many colons and backslashes it has."""

    depth: int
    colons: int
    backslashes: int


def _marks(raw: bytes) -> Marks:
    """The :class:`Marks` of a file's bytes in linear time, before a parser recurses: every
    other byte is dropped in one C pass, and only the few left are counted and summed."""
    kept = raw.translate(None, _NOT_MARKS)
    brackets = np.frombuffer(kept.translate(None, b":\\"), dtype=np.uint8)
    depth = int(np.cumsum(_STEP[brackets], dtype=np.int32).max(initial=0))  # (< 2**31 bytes)
    return Marks(depth, kept.count(b":"), kept.count(b"\\"))


#: a list of more mappings than this is counted as rows, not looked into, by _no_key_lost
OPENED_ROWS = 1_000


def _tally(data: Any) -> tuple[int, str]:
    """(keys, the strings seen, joined) of a parsed JSON document. A list of more than
    ``OPENED_ROWS`` mappings adds their keys (two C passes) without looking into them: the
    keys of a mapping nested in such a row, and its strings, are not counted."""
    keys = 0
    strings: list[str] = []
    stack: list[Any] = []
    items: Any = (data,)
    while True:
        for item in items:
            if type(item) is str:
                strings.append(item)
            elif type(item) is dict or type(item) is list:
                stack.append(item)
        if not stack:
            return keys, "".join(strings)
        node = stack.pop()
        if type(node) is dict:
            keys += len(node)
            strings += node
            items = node.values()
        elif len(node) > OPENED_ROWS and set(map(type, node)) == {dict}:
            keys, items = keys + sum(map(len, node)), ()
        else:
            items = node


def _no_key_lost(marks: Marks, data: Any) -> bool:
    """True only if ``data``, parsed from a file with these :class:`Marks`, kept every key
    of it, so that no key was repeated in a mapping (a repeated key is kept once).

    JSON writes one ``:`` per key outside strings, and a string holds a colon only as
    itself when the file has no backslash (no ``\\u003a``). The keys counted in ``data``
    and the colons of the strings seen (:func:`_tally`) are then at most the file's colons,
    each mapping counted keeping at most the keys its text has: only if every mapping with
    a key was counted, kept all its keys, and every string with a colon was seen do they
    add up to the file's colons. A dropped key (or the mapping it held) leaves the sum short.
    False when unsure. O(size)."""
    keys, strings = _tally(data)
    return marks.colons == keys + (0 if marks.backslashes else strings.count(":"))


def _load_json(raw: bytes, text: str | None, marks: Marks) -> Any:
    """JSON parsed by jiter (pydantic's Rust parser). A file whose every key is shown kept
    (:func:`_no_key_lost`, a fraction of the time jiter's own check takes) is done; any
    other is parsed again with jiter refusing a repeated key. Whatever jiter refuses (a
    repeated key, NaN, a lone surrogate, bad syntax, nesting past its limit) is parsed
    again by ``json.loads``, whose answer stands: the value, or the error with its lines.
    Where jiter accepts a document, ``json.loads`` gives the same value."""
    try:
        data = jiter.from_json(raw, cache_mode="keys", allow_inf_nan=False)
        if _no_key_lost(marks, data):
            return data
        del data
        return jiter.from_json(
            raw, cache_mode="keys", catch_duplicate_keys=True, allow_inf_nan=False
        )
    except ValueError:
        text = _text(raw) if text is None else text
        return json.loads(text, object_pairs_hook=_unique_json_keys(text))


_ALIAS = re.compile(r"(?:^|[\s\[{,:-])\*[^\s,\]}]")


def _load_yaml(text: str) -> Any:
    loader = _UniqueKeyLoader(text)
    loader.may_alias = _ALIAS.search(text) is not None
    try:
        return loader.get_single_data()
    finally:
        loader.dispose()


#: bytes an instance file may have: 256 MiB, room for MAX_AGENTS agents at ~180 bytes each
#: (a 10⁶-agent JSON file is 179 MB and peaks at 1.13 GiB loaded: benchmarks/validate_scale.py);
#: data files it names stay at ``paths.MAX_DATA_BYTES``
MAX_INSTANCE_BYTES = 256 * 2**20


def _check_readable(path: Path) -> None:
    """A regular file of at most ``MAX_INSTANCE_BYTES``, judged before it is opened."""
    kind, detail = file_kind(path, MAX_INSTANCE_BYTES)
    if kind == "ok":
        return
    problem = {
        "missing": (str(detail), "check the path"),
        "directory": ("a directory", "give an instance file"),
        "special": ("not a regular file", "give an instance file"),
    }.get(kind) or (
        f"{detail:,} bytes; at most {MAX_INSTANCE_BYTES:,} are read",
        "split the instance",
    )
    raise InstanceError(str(path), [Problem("(file)", *problem)])


def _text(raw: bytes) -> str:
    """The file's text as ``Path.read_text`` gives it: UTF-8, with ``\r\n`` and ``\r`` read
    as ``\n`` (so line numbers in messages count the same lines)."""
    text = raw.decode("utf-8")
    return text.replace("\r\n", "\n").replace("\r", "\n") if "\r" in text else text


def read_file(path: str | Path) -> Any:
    """Parse a YAML (.yaml/.yml) or JSON (.json) file; syntax errors become InstanceError.

    Only a regular file of at most ``MAX_INSTANCE_BYTES`` is opened: a FIFO, a device or a
    huge file is refused by name before it is read (it could block or exhaust memory)."""
    path = Path(path)
    _check_readable(path)
    try:
        raw = path.read_bytes()
        text = None if raw.isascii() else _text(raw)  # ASCII is UTF-8: decoded when needed
    except UnicodeDecodeError:
        raise InstanceError(
            str(path), [Problem("(file)", "not UTF-8 text", "save the file as UTF-8")]
        ) from None
    except OSError as exc:
        raise InstanceError(
            str(path), [Problem("(file)", exc.strerror or str(exc), "check the path")]
        ) from None
    marks = _marks(raw)
    if marks.depth > MAX_DEPTH:
        raise InstanceError(
            str(path),
            [
                Problem(
                    "(file)",
                    f"nested too deeply (more than {MAX_DEPTH} levels of brackets)",
                    "flatten the file",
                )
            ],
        )
    try:
        with collector_paused():
            if path.suffix.lower() == ".json":
                return _load_json(raw, text, marks)
            return _load_yaml(_text(raw) if text is None else text)
    except Unreadable as exc:
        raise InstanceError(str(path), [Problem("(file)", str(exc), exc.fix)]) from None
    except RecursionError:
        raise InstanceError(
            str(path), [Problem("(file)", "nested too deeply to read", "flatten the file")]
        ) from None
    except (json.JSONDecodeError, yaml.YAMLError) as exc:
        where = getattr(exc, "problem_mark", None)
        line = f" at line {where.line + 1}" if where is not None else ""
        if isinstance(exc, json.JSONDecodeError):
            line = f" at line {exc.lineno}"
        raise InstanceError(
            str(path),
            [
                Problem(
                    "(syntax)",
                    f"not valid {'JSON' if path.suffix == '.json' else 'YAML'}{line}",
                    "fix the file's syntax",
                )
            ],
        ) from None
    except ValueError as exc:  # a value the parser cannot make: a 5,000-digit integer, 2022-13-45
        raise InstanceError(str(path), [_unmakeable(exc)]) from None


def _unmakeable(exc: ValueError) -> Problem:
    """A value that parses but cannot be made: Python's 4,300-digit limit on integers, or
    a YAML timestamp that is no date."""
    if "integer string conversion" in str(exc):
        return Problem("(file)", "a number has more than 4,300 digits", "write plausible numbers")
    return Problem("(file)", f"a value cannot be read ({str(exc)[:80]})", "fix or quote it")


def load(path: str | Path, allow_paths: list[str | Path] | None = None) -> Any:
    """Load and validate an instance file (YAML or JSON) into its problem's typed instance.

    Files the instance names are read only from its own folder, the bundled models, or the
    folders in ``allow_paths`` (the trust model of ``ecoopt.paths``)."""
    source = str(path)
    return from_dict(read_file(path), source, Path(path).parent, allow_paths)


def to_dict(instance: BaseModel) -> dict[str, Any]:
    """The instance as plain data, omitting fields left at their defaults."""
    data = instance.model_dump(mode="json", exclude_defaults=True, by_alias=True)
    return {"problem": instance.problem, **data}  # problem first, always written


def dump(instance: BaseModel, path: str | Path) -> None:
    """Write an instance back as YAML or JSON (by suffix); ``load(dump(x)) == x``."""
    path = Path(path)
    data = to_dict(instance)
    if path.suffix.lower() == ".json":
        path.write_text(json.dumps(data, indent=2) + "\n")
    else:
        path.write_text(yaml.safe_dump(data, sort_keys=False, width=100))
