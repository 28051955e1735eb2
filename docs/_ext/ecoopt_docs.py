"""Sphinx directives that render ecoopt's own metadata, so the pages cannot drift from the code.

``{ecoopt-fields} FAMILY``
    One table of every field of the family's instance file, walked from its JSON Schema
    (``instance_cls.model_json_schema()``, what ``ecoopt schema FAMILY`` prints): the field's
    path, type, whether it is required or its default, its range and its description.
``{ecoopt-methods} FAMILY [module.callable ...]``
    One table of the family's heuristics (``ProblemSpec.heuristics``, and any further method
    given by its dotted path after the family): name, the first paragraph of its docstring,
    and its ``Cost:`` and ``Misses:`` paragraphs (a method without them fails the build).
``{ecoopt-gaps} FAMILY``
    Every method's gap to the proven optimum on every bundled file, by ``ecoopt.compare``
    when the page is built (the MILP's row gives the optimum itself).

Both emit Markdown (MyST) parsed in place, so cross-references and math work inside them.
"""

from __future__ import annotations

import functools
import importlib
import inspect
import json
import re
from pathlib import Path
from typing import Any

from docutils import nodes
from docutils.statemachine import StringList
from sphinx.util.docutils import SphinxDirective

from ecoopt.problems import get_spec
from ecoopt.schema import unit_of

ROOT = Path(__file__).resolve().parents[2]


def _type(prop: dict[str, Any]) -> str:
    if "$ref" in prop:
        return prop["$ref"].rsplit("/", 1)[-1]
    if "anyOf" in prop:
        return " or ".join(_type(p) for p in prop["anyOf"])
    if prop.get("type") == "array":
        return f"list of {_type(prop.get('items', {}))}" if prop.get("items") else "list"
    if "enum" in prop:
        return " \\| ".join(f"`{v}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{prop['const']}`"
    return prop.get("type", "any")


def _range(prop: dict[str, Any]) -> str:
    for p in [prop, *prop.get("anyOf", []), prop.get("items", {})]:
        lo = p.get("minimum", p.get("exclusiveMinimum"))
        hi = p.get("maximum", p.get("exclusiveMaximum"))
        if lo is not None or hi is not None:
            left = "(" if "exclusiveMinimum" in p else "["
            right = ")" if "exclusiveMaximum" in p else "]"
            low = "−∞" if lo is None else f"{lo:g}"
            high = "∞" if hi is None else f"{hi:g}"
            return f"{left}{low}, {high}{right}"
    return ""


def _refs(prop: dict[str, Any]) -> list[str]:
    found = [prop["$ref"]] if "$ref" in prop else []
    for sub in [*prop.get("anyOf", []), prop.get("items") or {}]:
        if sub:
            found += _refs(sub)
    return [r.rsplit("/", 1)[-1] for r in found]


def field_rows(schema: dict[str, Any]) -> list[tuple[str, str, str, str, str]]:
    """(path, type, required or default, range, description) of every field, depth first."""
    defs = schema.get("$defs", {})
    rows: list[tuple[str, str, str, str, str]] = []

    def walk(node: dict[str, Any], prefix: str, seen: tuple[str, ...]) -> None:
        required = set(node.get("required", []))
        for name, prop in node.get("properties", {}).items():
            path = f"{prefix}{name}"
            need = "required" if name in required else f"`{json.dumps(prop.get('default'))}`"
            text = (prop.get("description") or "").replace("|", "\\|").replace("\n", " ")
            rows.append((path, _type(prop), need, _range(prop), text))
            many = prop.get("type") == "array" or any(
                p.get("type") == "array" for p in prop.get("anyOf", [])
            )
            for ref in _refs(prop):
                if ref in defs and ref not in seen:
                    walk(defs[ref], f"{path}[*]." if many else f"{path}.", (*seen, ref))

    walk(schema, "", ())
    return rows


def _markdown_table(head: list[str], rows: list[tuple[str, ...]]) -> list[str]:
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    return lines + ["| " + " | ".join(r) + " |" for r in rows]


def _rst(lines: list[str]) -> list[str]:
    """``lines`` of reStructuredText wrapped for MyST (autodoc and docstrings are RST)."""
    return ["```{eval-rst}", *lines, "```"]


def _parse(directive: SphinxDirective, lines: list[str]) -> list[nodes.Node]:
    """``lines`` of MyST Markdown parsed in place of ``directive``."""
    box = nodes.container()
    source = directive.get_source_info()[0]
    directive.state.nested_parse(StringList(lines, source), directive.content_offset, box)
    return box.children


class _MarkdownDirective(SphinxDirective):
    required_arguments = 1

    def lines(self, family: str) -> list[str]:  # pragma: no cover - overridden
        raise NotImplementedError

    def run(self) -> list[nodes.Node]:
        family = self.arguments[0]
        try:
            get_spec(family)
        except Exception as exc:  # an unknown family is a build error, not a silent table
            raise self.error(f"unknown ecoopt family {family!r}: {exc}") from None
        return _parse(self, self.lines(family))


class FieldsDirective(_MarkdownDirective):
    def lines(self, family: str) -> list[str]:
        schema = get_spec(family).instance_cls.model_json_schema()
        rows = [(f"`{p}`", t, n, r, unit_of(p.rsplit(".", 1)[-1]), d)
                for p, t, n, r, d in field_rows(schema)]  # fmt: skip
        return _markdown_table(["field", "type", "default", "range", "unit", "meaning"], rows)


def _md(text: str) -> str:
    """One docstring paragraph as one Markdown table cell: RST roles and double backticks
    become code spans (``:func:`~a.b` `` → `` `b` ``), bars escaped, lines joined."""
    text = re.sub(r":[a-z]+:`(~?)([^`]+)`", _role_as_code, text)
    return " ".join(text.replace("``", "`").split()).replace("|", "\\|")


def _role_as_code(match: re.Match[str]) -> str:
    """A role's target as a code span: as written, or its last dotted part after ``~``."""
    target = "".join(match.group(2).split())
    return f"`{target.rsplit('.', 1)[-1] if match.group(1) else target}`"


def method_parts(name: str, fn: Any) -> tuple[str, str, str]:
    """(what it does, cost, what it misses) of one method, from its docstring: the first
    paragraph, and the paragraphs that start ``Cost:`` and ``Misses:``; ValueError when
    either is missing, so an undocumented heuristic fails the build."""
    paragraphs = inspect.cleandoc(getattr(fn, "__doc__", None) or "").split("\n\n")
    found = {}
    for label in ("Cost:", "Misses:"):
        hits = [p for p in paragraphs if p.startswith(label)]
        if not hits:
            raise ValueError(f"the docstring of method {name!r} has no {label!r} paragraph")
        found[label] = _md(hits[0].removeprefix(label))
    return _md(paragraphs[0]), found["Cost:"], found["Misses:"]


class MethodsDirective(_MarkdownDirective):
    """``{ecoopt-methods} FAMILY [module.callable ...]``: the family's heuristics, and any
    further methods named by their dotted path (a method that ``compare`` adds per instance)."""

    optional_arguments = 8

    def lines(self, family: str) -> list[str]:
        methods = dict(get_spec(family).heuristics)
        for path in self.arguments[1:]:
            module, attr = path.rsplit(".", 1)
            methods[attr] = getattr(importlib.import_module(module), attr)
        try:
            rows = [(f"`{n}`", *method_parts(n, fn)) for n, fn in methods.items()]
        except ValueError as exc:
            raise self.error(str(exc)) from None
        return _markdown_table(["method", "what it does", "cost", "known to miss"], rows)


class ObjectivesDirective(_MarkdownDirective):
    def lines(self, family: str) -> list[str]:
        spec = get_spec(family)
        rows = [(f"`{n}`", "minimise" if sense == "min" else "maximise")
                for n, sense in spec.objectives.items()]  # fmt: skip
        return _markdown_table(["objective", "sense"], rows)


class InstancesDirective(_MarkdownDirective):
    def lines(self, family: str) -> list[str]:
        import yaml

        rows = []
        for path in sorted((ROOT / "instances" / family).glob("*.yaml")):
            data = yaml.safe_load(path.read_text(encoding="utf-8"))
            text = " ".join(str(data.get("description", "")).split()).replace("|", "\\|")
            rows.append((f"`instances/{family}/{path.name}`", text))
        return _markdown_table(["file", "what it is"], rows)


@functools.cache
def gap_rows(family: str) -> tuple[list[str], list[tuple[str, ...]]]:
    """(file stems, one row per method): every method's gap to the proven optimum on every
    bundled file of ``family``, by ``ecoopt.compare`` when the page is built."""
    from ecoopt.compare import compare
    from ecoopt.io import load

    files = sorted((ROOT / "instances" / family).glob("*.yaml"))
    cells: dict[str, dict[str, str]] = {}
    for path in files:
        df = compare(load(path))
        for _, r in df.iterrows():
            if r["method"] == "milp":
                text = f"**{r['objective']:.4g}**" if r["feasible"] else "no plan"
            elif not r["feasible"]:
                text = "infeasible"
            else:
                text = f"{r['gap_pct']:+.1f} %".replace("-0.0 %", "+0.0 %")
            cells.setdefault(str(r["method"]), {})[path.stem] = text
    stems = [p.stem for p in files]
    rows = [(f"`{m}`", *(by.get(s, "—") for s in stems)) for m, by in cells.items()]
    return stems, rows


class GapsDirective(_MarkdownDirective):
    def lines(self, family: str) -> list[str]:
        stems, rows = gap_rows(family)
        return _markdown_table(["method", *(f"`{s}`" for s in stems)], rows)


def public_names(module: str) -> list[tuple[str, str]]:
    """(name, autodoc directive) of every public callable of ``module`` (its ``__all__``):
    classes as ``autoclass``, functions as ``autofunction``; data (e.g. ``HEURISTICS``) and
    ``__version__`` are left to the pages that describe them."""
    mod = importlib.import_module(module)
    out = []
    for name in getattr(mod, "__all__", []):
        obj = getattr(mod, name)
        if inspect.isclass(obj):
            out.append((name, "autoclass"))
        elif callable(obj):
            out.append((name, "autofunction"))
    return out


def heuristic_names(family: str) -> list[str]:
    """The dotted names of the family's heuristics that are module-level functions (the others,
    such as CarbonEdge's three modes, are closures over one that is)."""
    out = []
    for fn in get_spec(family).heuristics.values():
        name = f"{fn.__module__}.{fn.__qualname__}"
        if "<locals>" not in fn.__qualname__ and name not in out:
            out.append(name)
    return out


class HeuristicsApiDirective(SphinxDirective):
    """``{ecoopt-heuristics-api} FAMILY``: an autodoc entry for every heuristic function."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        names = heuristic_names(self.arguments[0])
        return _parse(self, _rst([x for n in names for x in (f".. autofunction:: {n}", "")]))


class ApiDirective(SphinxDirective):
    """``{ecoopt-api} MODULE``: an autodoc entry for every public callable of MODULE."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        module = self.arguments[0]
        try:
            names = public_names(module)
        except ImportError as exc:
            raise self.error(f"cannot import {module}: {exc}") from None
        return _parse(self, _rst([x for n, d in names for x in (f".. {d}:: {module}.{n}", "")]))


@functools.cache
def model_docs(family: str) -> dict[str, dict[str, str]]:
    """{"rows": {family name: doc}, "vars": {block name: doc}} of the family's models over
    every bundled instance file and example (``docs/examples/FAMILY``) and every objective
    (the docs are the constraint functions' docstrings, so the page shows the code's maths)."""
    from ecoopt.io import load

    spec = get_spec(family)
    rows: dict[str, str] = {}
    cols: dict[str, str] = {}
    files = [*sorted((ROOT / "instances" / family).glob("*.yaml")),
             *sorted((ROOT / "docs" / "examples" / family).glob("*.yaml"))]  # fmt: skip
    for path in files:
        inst = load(path)
        for objective in spec.objectives:
            try:
                lp = spec.formulate(inst, objective)
            except Exception:  # noqa: BLE001 - an objective a file cannot take
                continue
            for name, block in lp.families.items():
                rows.setdefault(name, block.doc or "")
            for name, block in lp.vars.items():
                cols.setdefault(name, block.doc or "")
    return {"rows": rows, "vars": cols}


class ConstraintDirective(SphinxDirective):
    """``{ecoopt-constraint} FAMILY NAME [NAME ...]``: the docstring of the function that adds
    row family NAME to FAMILY's model (several names sharing one docstring: shown once)."""

    required_arguments = 2
    optional_arguments = 10

    def run(self) -> list[nodes.Node]:
        family, names = self.arguments[0], self.arguments[1:]
        docs = model_docs(family)["rows"]
        missing = [n for n in names if n not in docs]
        if missing:
            raise self.error(f"{family} defines no constraint family {missing}; it has "
                             f"{sorted(docs)}")  # fmt: skip
        unique = dict.fromkeys(inspect.cleandoc(docs[n]) for n in names)
        return _parse(self, _rst([line for doc in unique for line in [*doc.splitlines(), ""]]))


class VariablesDirective(SphinxDirective):
    """``{ecoopt-variables} FAMILY``: every variable block of FAMILY's models and its doc."""

    required_arguments = 1

    def run(self) -> list[nodes.Node]:
        cols = model_docs(self.arguments[0])["vars"]
        rows = [(f"`{n}`", " ".join(d.split()).replace("|", "\\|")) for n, d in cols.items()]
        return _parse(self, _markdown_table(["variable", "meaning"], rows))


def setup(app: Any) -> dict[str, Any]:
    app.add_directive("ecoopt-constraint", ConstraintDirective)
    app.add_directive("ecoopt-variables", VariablesDirective)
    app.add_directive("ecoopt-api", ApiDirective)
    app.add_directive("ecoopt-objectives", ObjectivesDirective)
    app.add_directive("ecoopt-instances", InstancesDirective)
    app.add_directive("ecoopt-gaps", GapsDirective)
    app.add_directive("ecoopt-heuristics-api", HeuristicsApiDirective)
    app.add_directive("ecoopt-fields", FieldsDirective)
    app.add_directive("ecoopt-methods", MethodsDirective)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
