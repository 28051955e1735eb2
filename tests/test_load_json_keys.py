"""A JSON file is parsed once without jiter's repeated-key check when its colons and braces
show every key kept (``ecoopt.io._no_key_lost``); a file with a repeated key is still refused,
wherever the key stands, with the message it always had."""

from __future__ import annotations

import json

import jiter
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ecoopt
from ecoopt import io as eio

# keys and strings holding the bytes the count looks at: colons, backslashes, escapes
TEXTS = st.sampled_from(["a", "b", "a:b", "{", "x{:", "", "\\u003a", "\\u007b", "\\\\", 'q\\"'])


def _json_text(node) -> str:  # noqa: ANN001
    """Text of a node built by ``NODES``: a mapping is a list of (key, value) pairs, so it
    may repeat a key; a string is written as it stands (escapes included)."""
    kind, body = node
    if kind == "str":
        return f'"{body}"'
    if kind == "num":
        return json.dumps(body)
    if kind == "list":
        return "[" + ", ".join(map(_json_text, body)) + "]"
    return "{" + ", ".join(f'"{k}": {_json_text(v)}' for k, v in body) + "}"


def _repeats_a_key(node) -> bool:  # noqa: ANN001
    """Whether some mapping of the node names one key twice (as a parser reads the keys)."""
    kind, body = node
    if kind == "list":
        return any(map(_repeats_a_key, body))
    if kind != "map":
        return False
    keys = [json.loads(f'"{k}"') for k, _ in body]
    return len(set(keys)) < len(keys) or any(_repeats_a_key(v) for _, v in body)


LEAVES = st.one_of(st.tuples(st.just("str"), TEXTS), st.tuples(st.just("num"), st.integers(-5, 5)))
NODES = st.recursive(
    LEAVES,
    lambda kids: st.one_of(
        st.tuples(st.just("list"), st.lists(kids, max_size=4)),
        st.tuples(st.just("map"), st.lists(st.tuples(TEXTS, kids), max_size=4)),
    ),
    max_leaves=20,
)


@settings(max_examples=400, deadline=None)
@given(NODES)
def test_a_file_shown_to_keep_every_key_repeats_none(node):
    raw = _json_text(node).encode()
    data = jiter.from_json(raw)
    if eio._no_key_lost(eio._marks(raw), data):
        assert not _repeats_a_key(node)
    if not _repeats_a_key(node) and b"\\" not in raw:
        # without escapes, a file that repeats no key is shown so: parsed once
        assert eio._no_key_lost(eio._marks(raw), data)


def _rows_file(tmp_path, rows_text: list[str]):  # noqa: ANN001, ANN202
    """A gpushare file whose agents are the given JSON texts, more than OPENED_ROWS of them."""
    head = '{"problem": "gpushare", "gpus": [{"name": "g", "memory_bytes": 1e9, '
    head += '"idle_power_w": 1, "active_power_w": 2, "intensity_g_per_kwh": 10}], "agents": ['
    path = tmp_path / "rows.json"
    path.write_text(head + ",\n".join(rows_text) + "]}")
    return path


def _agent(i: int, extra: str = "") -> str:
    return f'{{"name": "a{i}", "throughput_rps": 10, "arrival_rps": 1{extra}}}'


ROWS = eio.OPENED_ROWS + 5


@pytest.mark.parametrize(
    ("extra", "key"),
    [
        (', "arrival_rps": 2', "arrival_rps"),  # in a row the count does not open
        (', "role": {"x": 1, "x": 2}', "x"),  # in a mapping nested in such a row
        (', "role": "t:{", "name": "b"', "name"),  # with a colon in a string
    ],
)
def test_a_repeated_key_in_a_long_list_of_rows_is_refused(tmp_path, extra, key):
    rows_text = [_agent(i) for i in range(ROWS)]
    rows_text[ROWS // 2] = _agent(ROWS // 2, extra)
    with pytest.raises(ecoopt.InstanceError, match=f"key '{key}' appears twice"):
        eio.read_file(_rows_file(tmp_path, rows_text))


def test_a_long_list_of_rows_without_repeats_is_parsed_once(tmp_path, monkeypatch):
    calls = []
    real = jiter.from_json

    def counted(raw, **kwargs):  # noqa: ANN001, ANN003, ANN202
        calls.append(kwargs.get("catch_duplicate_keys", False))
        return real(raw, **kwargs)

    monkeypatch.setattr(eio.jiter, "from_json", counted)
    path = _rows_file(tmp_path, [_agent(i) for i in range(ROWS)])
    inst = ecoopt.load(path)
    assert len(inst.agents) == ROWS and calls == [False]
    # a colon in a GPU's string (a trace's start) is one the count sees: still parsed once
    text = path.read_text().replace('"name": "g"', '"name": "g:1"')
    path.write_text(text)
    assert eio.read_file(path)["gpus"][0]["name"] == "g:1" and calls == [False, False]
    # a colon in a row the count does not open: parsed again, with jiter's check
    path.write_text(text.replace('"name": "a7"', '"name": "a:7"'))
    assert eio.read_file(path)["agents"][7]["name"] == "a:7" and calls[2:] == [False, True]
