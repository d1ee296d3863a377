"""The published JSON Schema (docs/cba-case.schema.json) agrees with the engine."""

import copy
import json
import tomllib
from pathlib import Path

import pytest

from fullvalue.engine.cba import validate_case
from fullvalue.errors import FullvalueError

jsonschema = pytest.importorskip("jsonschema")

ROOT = Path(__file__).resolve().parents[3]
SCHEMA = ROOT / "docs" / "cba-case.schema.json"
EXAMPLE = ROOT / "examples" / "community-budget" / "case.toml"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


@pytest.fixture
def example():
    return tomllib.loads(EXAMPLE.read_text(encoding="utf-8"))


def test_schema_and_engine_accept_the_example(validator, example):
    assert [e.message for e in validator.iter_errors(example)] == []
    validate_case(example)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d["outcomes"][0].update(deadweight=1.5),
        lambda d: d["outcomes"][0].update(optimism_bias=-0.1),
        lambda d: d["outcomes"][0].pop("social"),
        lambda d: d["outcomes"][0]["numbers"].__setitem__(0, -1),
        lambda d: d["costs"][0]["amounts"].__setitem__(0, -1),
        lambda d: d.update(years=0),
        lambda d: d.update(colour="red"),
        lambda d: d["outcomes"][0].update(cashable="yes"),
    ],
)
def test_schema_and_engine_both_refuse(validator, example, change):
    data = copy.deepcopy(example)
    change(data)
    assert list(validator.iter_errors(data)) != []
    with pytest.raises(FullvalueError):
        validate_case(data)
