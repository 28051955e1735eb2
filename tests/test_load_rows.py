"""The loader's shortcuts for long lists of rows build what pydantic builds: a model's dict
made as the defaults updated by its row, and one fields set for rows that all give the same
keys (only for a frozen model: an open model's set may be changed, so each row has its own)."""

from __future__ import annotations

import pytest
from pydantic import ConfigDict, TypeAdapter
from test_rows import assert_same_models

from ecoopt import rows
from ecoopt.gpushare.instance import Agent
from ecoopt.schema import Strict

ORDINARY = TypeAdapter(tuple[Agent, ...])


def _agents(n: int, **fields) -> list[dict]:  # noqa: ANN003
    return [
        {"name": f"a{i}", "throughput_rps": 10.0, "arrival_rps": 1.0, **fields} for i in range(n)
    ]


@pytest.mark.parametrize(
    "table",
    [
        _agents(4),  # every row the same keys, every value the row's own: dicts from rows
        _agents(4, priority=2),  # an int for a float: made a float, dicts from columns
        _agents(2) + [{"role": "r", **_agents(1)[0]}],  # rows with other keys
        [{"arrival_trace_rps": [1, 2.0], **_agents(1)[0]}] * 2,  # lists made tuples
        [{"priority": 3.0, "name": "b", "throughput_rps": 5.0, "arrival_rps": 0.0}],  # key order
    ],
)
def test_rows_build_what_pydantic_builds(table):
    table = [dict(r) for r in table]
    if "arrival_trace_rps" in table[0]:
        for r in table:
            del r["arrival_rps"]
    fast = rows.table_from_rows(Agent, table)
    assert fast is not None
    slow = ORDINARY.validate_python(table)
    assert_same_models(fast.models, slow)
    assert all(type(m.priority) is float for m in fast.models)


def test_rows_giving_the_same_keys_share_a_set_only_when_frozen():
    built = rows.validate_rows(Agent, _agents(3))
    assert built[0].__pydantic_fields_set__ is built[2].__pydantic_fields_set__

    class Open(Strict):
        model_config = ConfigDict(extra="forbid", frozen=False, allow_inf_nan=False)
        x: float = 0.0

    built = rows.validate_rows(Open, [{"x": 1.0}, {"x": 2.0}])
    assert built is not None and [m.x for m in built] == [1.0, 2.0]
    assert built[0].__pydantic_fields_set__ is not built[1].__pydantic_fields_set__
    built[0].__pydantic_fields_set__.discard("x")
    assert built[1].model_fields_set == {"x"}


def test_rows_of_one_length_with_other_keys_are_read_row_by_row():
    table = [
        {"name": "a", "throughput_rps": 1.0, "arrival_rps": 1.0},
        {"name": "b", "throughput_rps": 1.0, "arrival_trace_rps": [1.0]},
    ]
    fast = rows.table_from_rows(Agent, table)
    assert fast is not None
    assert [m.model_fields_set for m in fast.models] == [set(r) for r in table]
    assert_same_models(fast.models, ORDINARY.validate_python(table))


def test_a_model_dump_goes_column_by_column_and_round_trips(monkeypatch):
    """``model_dump`` gives the agents as a tuple of dicts: ``from_dict`` takes them column by
    column as it takes a file's list (it used to validate every value through pydantic, six
    times slower), and builds the same instance."""
    import ecoopt
    from ecoopt.gpushare.generate import generate

    inst = generate(200, 20, seed=3, pooled=True)
    data = inst.model_dump(exclude_none=True)
    assert type(data["agents"]) is tuple
    seen = []
    real = rows.table_from_rows

    def spy(cls, r):  # noqa: ANN001, ANN202
        seen.append(type(r))
        return real(cls, r)

    monkeypatch.setattr(rows, "table_from_rows", spy)
    again = ecoopt.from_dict(data, source="dump")
    assert list in seen
    assert again.model_dump(exclude_none=True) == data


def test_a_bad_row_in_a_tuple_is_worded_as_in_a_list():
    import ecoopt
    from ecoopt.gpushare.generate import generate

    data = generate(30, 3, seed=1, pooled=True).model_dump(exclude_none=True)
    bad = [dict(r) for r in data["agents"]]
    bad[7]["min_share"] = "0.5"
    messages = []
    for agents in (tuple(bad), list(bad)):
        with pytest.raises(ecoopt.errors.EcoOptError) as exc:
            ecoopt.from_dict({**data, "agents": agents}, source="dump")
        messages.append(str(exc.value))
    assert messages[0] == messages[1] and "agents[7]" in messages[0]
