"""The published JSON Schema (docs/framework.schema.json) agrees with the engine's checks."""

import json
import tomllib
from pathlib import Path

import pytest

from fullvalue.engine.returns.framework import validate_framework
from fullvalue.errors import FullvalueError

jsonschema = pytest.importorskip("jsonschema")

SCHEMA = Path(__file__).resolve().parents[3] / "docs" / "framework.schema.json"


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def load(examples, name="pcc.toml"):
    return tomllib.loads((examples / name).read_text(encoding="utf-8"))


def test_schema_accepts_every_example(validator, examples):
    for path in sorted(examples.glob("*.toml")):
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        assert [e.message for e in validator.iter_errors(data)] == [], path
        validate_framework(data)


@pytest.mark.parametrize(
    "change",
    [
        lambda d: d.update(period="fortnight"),
        lambda d: d.update(year_start="4-1"),
        lambda d: d.update(year_start="02-29"),
        lambda d: d.pop("funder"),
        lambda d: d.update(colour="red"),
        lambda d: d.update(breakdowns=["postcode"]),
        lambda d: d.update(indicators=[]),
        lambda d: d["indicators"][0].update(measure="median"),
        lambda d: d["indicators"][0].update(codes=[]),
        lambda d: d["indicators"][0].pop("label"),
        lambda d: d["indicators"][0].update(id="Has Spaces"),
        lambda d: d["indicators"][-1].update(codes=["star.choices", "star.work"]),
    ],
)
def test_schema_and_engine_both_refuse(validator, examples, change):
    data = load(examples)
    change(data)
    assert list(validator.iter_errors(data)), "the schema accepts it"
    with pytest.raises(FullvalueError):
        validate_framework(data)
