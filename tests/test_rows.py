"""The column-wise route for long lists of flat models (``ecoopt.rows``) gives pydantic's answer.

It may only say "valid, and these are the models" for rows the ordinary validation accepts,
and then the very models it builds (values, their types, field order, fields set, repr);
otherwise it must step aside, so that every message is the ordinary one. Checked on random
seeded rows (hypothesis), on whole instances, and on the hostile corpus through the CLI.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import json

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from pydantic import Field, TypeAdapter, ValidationError
from test_hostile_corpus import MANIFEST, prepare, run_in_process

import ecoopt
from ecoopt import rows
from ecoopt.gpushare.generate import generate
from ecoopt.gpushare.instance import Agent, GpuShareInstance
from ecoopt.schema import Strict

ORDINARY = TypeAdapter(tuple[Agent, ...])  # pydantic, one model at a time
FIELDS = list(Agent.model_fields)


@contextlib.contextmanager
def ordinary_only():
    """Every list validated the ordinary way, row by row (the reference)."""
    real = rows.table_from_rows
    rows.table_from_rows = lambda cls, value: None
    try:
        yield
    finally:
        rows.table_from_rows = real


def assert_same_models(fast, slow):
    assert fast == slow
    for f, s in zip(fast, slow, strict=True):
        assert type(f) is type(s) and repr(f) == repr(s)
        assert list(f.__dict__) == list(s.__dict__)
        assert [type(v) for v in f.__dict__.values()] == [type(v) for v in s.__dict__.values()]
        if s.arrival_trace_rps is not None:
            assert [type(v) for v in f.arrival_trace_rps] == [float] * len(s.arrival_trace_rps)
        assert f.__pydantic_fields_set__ == s.__pydantic_fields_set__
        assert f.__pydantic_extra__ == s.__pydantic_extra__
        assert f.__pydantic_private__ == s.__pydantic_private__
        assert f.model_dump() == s.model_dump()


# -- strategies ------------------------------------------------------------------------------

EDGES = [0, 1, 0.0, -0.0, 1.0, 1e-6, 1e-3, 0.5, 1e3, 1e6, 1e7, 1e15, 5e-324, 2**53, 2**53 + 1]
NUMBER = st.one_of(
    st.sampled_from(EDGES),
    st.floats(min_value=-1.0, max_value=2e7),
    st.integers(min_value=-2, max_value=10**7),
    st.integers(min_value=2**52, max_value=2**70),
    st.just(10**400),
    st.floats(allow_nan=True, allow_infinity=True),
)
ANYTHING = st.one_of(
    NUMBER,
    st.booleans(),
    st.none(),
    st.text(max_size=3),
    st.binary(max_size=2),
    st.lists(NUMBER, max_size=3),
    st.tuples(NUMBER),
    st.dictionaries(st.text(max_size=2), NUMBER, max_size=1),
)
TRACE = st.lists(
    st.one_of(st.floats(0, 100), st.integers(0, 100), st.sampled_from([0, 1e7, -1.0, 2e7])),
    min_size=1,
    max_size=4,
)


@st.composite
def valid_row(draw):
    """A row the ordinary validation accepts: each optional field given or not."""
    row = {
        "name": draw(st.text(min_size=1, max_size=4)),
        "throughput_rps": draw(st.floats(1e-6, 1e7) | st.integers(1, 10**7)),
    }
    lo = draw(st.floats(0, 1))
    optional = {
        "role": st.text(max_size=3),
        "min_share": st.just(lo) | st.just(0),
        "max_share": st.floats(max(lo, 1e-9), 1) | st.just(1),
        "priority": st.floats(1e-3, 1e3) | st.integers(1, 1000),
        "latency_slo_s": st.floats(1e-6, 1e6) | st.none(),
        "memory_bytes": st.floats(0, 1e15) | st.integers(0, 10**12),
    }
    for key, values in optional.items():
        if draw(st.booleans()):
            row[key] = draw(values)
    if draw(st.booleans()):
        row["arrival_rps"] = draw(st.floats(0, 1e7) | st.integers(0, 10**7))
    else:
        row["arrival_trace_rps"] = draw(
            st.lists(st.floats(0, 1e7) | st.integers(0, 99), min_size=1, max_size=4)
        )
    return row


@st.composite
def any_row(draw):
    """A valid row with a few fields changed, removed or added: mostly invalid."""
    row = draw(valid_row())
    for _ in range(draw(st.integers(0, 2))):
        key = draw(st.sampled_from([*FIELDS, "bogus"]))
        action = draw(st.sampled_from(["set", "set", "drop", "trace"]))
        if action == "drop":
            row.pop(key, None)
        elif action == "trace":
            row["arrival_trace_rps"] = draw(TRACE | ANYTHING)
        else:
            row[key] = draw(ANYTHING)
    return row


# -- rows ------------------------------------------------------------------------------------


@given(st.lists(any_row(), min_size=1, max_size=5))
def test_the_column_route_accepts_only_what_pydantic_accepts_and_builds_the_same(table):
    fast = rows.validate_rows(Agent, table)
    try:
        slow = ORDINARY.validate_python(table)
    except ValidationError:
        assert fast is None
        return
    if fast is not None:
        assert_same_models(fast, slow)


@given(st.lists(valid_row(), min_size=1, max_size=6))
def test_valid_rows_take_the_column_route(table):
    fast = rows.validate_rows(Agent, table)
    assert fast is not None, "a plainly valid table was sent to the ordinary validation"
    assert_same_models(fast, ORDINARY.validate_python(table))


class Wide(Strict):
    """A float bounded beyond 2**53, where an int's float rounds onto the bound."""

    x: float = Field(ge=0, le=1e18)


def test_an_int_beyond_2_53_for_a_float_is_left_to_pydantic():
    over = [{"x": 10**18 + 1}]  # float(10**18 + 1) == 1e18: inside, but the int is not
    assert float(over[0]["x"]) == 1e18 and rows.validate_rows(Wide, over) is None
    with pytest.raises(ValidationError, match="outside the stated range"):
        TypeAdapter(tuple[Wide, ...]).validate_python(over)
    assert rows.validate_rows(Wide, [{"x": 10**18}]) is None  # exact, yet sent to pydantic
    assert rows.validate_rows(Wide, [{"x": 1e18}]) == (Wide(x=1e18),)


def test_rows_with_the_same_keys_share_one_fields_set_only_when_frozen():
    table = [{"name": f"a{i}", "throughput_rps": 1, "arrival_rps": 1} for i in range(3)]
    built = rows.validate_rows(Agent, table)
    assert built[0].__pydantic_fields_set__ is built[2].__pydantic_fields_set__
    copied = built[0].model_copy(update={"priority": 2.0})
    assert "priority" in copied.model_fields_set and "priority" not in built[1].model_fields_set


# -- whole instances -------------------------------------------------------------------------


def gpushare(agents):
    gpu = {"name": "g", "memory_bytes": 1e10, "idle_power_w": 50, "active_power_w": 250}
    return {"problem": "gpushare", "gpus": [{**gpu, "intensity_g_per_kwh": 100}], "agents": agents}


def answer(data):
    """The instance, or the error's text, for ``data``."""
    try:
        return ecoopt.from_dict(data)
    except ecoopt.InstanceError as exc:
        return str(exc)


@given(st.lists(st.one_of(valid_row(), any_row()), min_size=1, max_size=5))
def test_an_instance_reads_the_same_either_way(table):
    fast = answer(gpushare(table))
    with ordinary_only():
        slow = answer(gpushare(table))
    if isinstance(slow, str):
        assert fast == slow
    else:
        assert_same_models(fast.agents, slow.agents)
        assert fast == slow


class Name(str):
    """A str subclass: valid for pydantic, in doubt for the column route."""


@given(
    st.lists(valid_row(), min_size=20, max_size=40),
    st.lists(st.tuples(st.integers(0, 39), any_row() | st.just("str subclass")), max_size=4),
)
def test_a_long_list_with_rows_in_doubt_reads_the_same_either_way(table, odd):
    """Only the rows in doubt go to pydantic: its errors land at their rows' places, and
    rows in doubt that pass are merged in order."""
    table = [dict(row, name=f"a{i}") for i, row in enumerate(table)]
    for at, row in odd:
        at = min(at, len(table) - 1)
        table[at] = dict(table[at], name=Name(f"a{at}")) if row == "str subclass" else row
    fast = answer(gpushare(table))
    with ordinary_only():
        slow = answer(gpushare(table))
    if isinstance(slow, str):
        assert fast == slow
        assert pydantic_errors(gpushare(table)) == pydantic_errors(gpushare(table), True)
    else:
        assert_same_models(fast.agents, slow.agents)


def pydantic_errors(data, ordinary=False):
    """(type, loc, msg) of every error pydantic raises for ``data``, either way."""
    with ordinary_only() if ordinary else contextlib.nullcontext():
        try:
            GpuShareInstance.model_validate(data)
        except ValidationError as exc:
            return [(e["type"], e["loc"], e["msg"]) for e in exc.errors()]
    return []


def test_instance_rules_across_agents_read_the_same_either_way():
    twice = [{"name": "a", "throughput_rps": 1, "arrival_rps": 1}] * 2
    traces = [
        {"name": "a", "throughput_rps": 1, "arrival_trace_rps": [1, 2]},
        {"name": "b", "throughput_rps": 1, "arrival_trace_rps": [1]},
    ]
    for table in (twice, traces):
        fast = answer(gpushare(table))
        with ordinary_only():
            assert answer(gpushare(table)) == fast
        assert isinstance(fast, str) and ("agent" in fast)


@pytest.mark.parametrize("kwargs", [{}, {"trace_steps": 5}, {"pooled": True}])
def test_generate_builds_what_validation_of_its_rows_builds(kwargs):
    inst = generate(300, 3, seed=4, **kwargs)
    table = [{k: getattr(a, k) for k in a.model_fields_set} for a in inst.agents]
    assert_same_models(inst.agents, ORDINARY.validate_python(table))


@pytest.mark.parametrize(
    "kwargs, digest",
    [
        ({"n_agents": 40, "n_gpus": 4, "seed": 0}, "9e7ec30d31088d4d"),
        ({"n_agents": 300, "n_gpus": 30, "seed": 1, "pooled": True}, "1666e14021f4caa5"),
        ({"n_agents": 12, "n_gpus": 2, "seed": 3, "trace_steps": 120}, "fdaeeb3d01934ff9"),
        (
            {"n_agents": 200, "n_gpus": 2, "seed": 1, "min_share_total": 0.9, "slo_fraction": 0.9},
            "639631bf76523b36",
        ),
    ],
)
def test_a_seed_gives_the_instance_the_per_agent_generator_gave(kwargs, digest):
    """Digests of ``to_dict`` written by the generator before it was vectorised (a dict and
    a ``round`` per agent, one SLO dropped per pass)."""
    text = json.dumps(ecoopt.io.to_dict(generate(**kwargs)), sort_keys=True)
    assert hashlib.sha256(text.encode()).hexdigest()[:16] == digest


@given(
    st.lists(
        st.floats(0, 1e6) | st.sampled_from([0.0625, 2.675, 1.0005, 0.0005, 1234.5e6]), max_size=30
    ),
    st.sampled_from([3, 4, 2, -6]),
)
def test_vectorised_round_is_pythons_round(values, digits):
    from ecoopt.gpushare.generate import _rounded

    near_halves = [(k + 0.5) / 10.0**digits for k in range(0, 2000, 37)]
    v = np.array(values + near_halves + [np.nextafter(x, 0) for x in near_halves])
    assert _rounded(v, digits) == [round(float(x), digits) for x in v]


def per_agent_arrays(inst):
    """AgentArrays as they were first written: one property read per agent and field."""
    a = inst.agents
    slo = [x.latency_slo_s if x.latency_slo_s is not None else np.inf for x in a]
    return {
        "names": [x.name for x in a],
        "lam": np.array([x.rate_rps for x in a]),
        "mu": np.array([x.throughput_rps for x in a]),
        "min_share": np.array([x.min_share for x in a]),
        "max_share": np.array([x.max_share for x in a]),
        "priority": np.array([x.priority for x in a]),
        "slo": np.array(slo),
        "memory": np.array([x.memory_bytes for x in a]),
    }


def assert_same_arrays(arrays, reference):
    assert arrays.names == reference["names"]
    for name, want in reference.items():
        if name != "names":
            got = getattr(arrays, name)
            assert got.dtype == want.dtype and np.array_equal(got, want), name


@given(st.lists(valid_row(), min_size=1, max_size=6), st.integers(1, 5))
def test_arrays_are_what_reading_every_agent_gives(table, steps):
    for i, row in enumerate(table):  # unique names, traces of one length
        row["name"] = f"a{i}"
        if "arrival_trace_rps" in row:
            row["arrival_trace_rps"] = (row["arrival_trace_rps"] * steps)[:steps]
    seeded = ecoopt.from_dict(gpushare(table))
    assert "arrays" in seeded.__dict__  # taken from the columns
    with ordinary_only():
        read = ecoopt.from_dict(gpushare(table))
    assert "arrays" not in read.__dict__
    assert_same_arrays(seeded.arrays, per_agent_arrays(read))
    assert_same_arrays(read.arrays, per_agent_arrays(read))


@pytest.mark.parametrize("steps", [None, 1, 7, 120])
def test_generated_arrays_are_what_reading_every_agent_gives(steps):
    inst = generate(400, 3, seed=5, trace_steps=steps)
    assert_same_arrays(inst.arrays, per_agent_arrays(inst))


def test_instances_with_cached_arrays_compare_by_their_fields():
    a, b = generate(30, 2, seed=1), generate(30, 2, seed=1)
    assert a.arrays is not b.arrays and a == b
    assert a != generate(30, 2, seed=2)


# -- the hostile corpus ----------------------------------------------------------------------


def _run(case, tmp_path):
    tmp_path.mkdir()
    out, err = io.StringIO(), io.StringIO()
    argv = prepare(case, tmp_path)
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code, _ = run_in_process(argv)
    return (code if isinstance(code, int) else repr(code)), err.getvalue(), out.getvalue()


@pytest.mark.parametrize(
    "case", [c for c in MANIFEST if c["category"] != "cli"], ids=lambda c: c["id"]
)
def test_every_hostile_case_answers_the_same_either_way(case, tmp_path):
    fast = _run(case, tmp_path / "fast")
    with ordinary_only():
        slow = _run(case, tmp_path / "slow")
    fix = {str(tmp_path / "fast"): "{tmp}", str(tmp_path / "slow"): "{tmp}"}
    clean = [tuple(_replace(x, fix) for x in run) for run in (fast, slow)]
    assert clean[0] == clean[1]


def _replace(value, fix):
    if not isinstance(value, str):
        return value
    for old, new in fix.items():
        value = value.replace(old, new)
    return value
