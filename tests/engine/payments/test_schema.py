"""The published JSON Schema (docs/contract-spec.schema.json) agrees with the engine."""

import json
import tomllib
from datetime import date
from pathlib import Path

import pytest

jsonschema = pytest.importorskip("jsonschema")

SCHEMA = Path(__file__).resolve().parents[3] / "docs" / "contract-spec.schema.json"


def as_json(value):
    """TOML dates become ISO strings, as in the JSON form the schema describes."""
    if isinstance(value, dict):
        return {k: as_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [as_json(v) for v in value]
    if isinstance(value, date):
        return value.isoformat()
    return value


@pytest.fixture(scope="module")
def validator():
    schema = json.loads(SCHEMA.read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def test_schema_accepts_every_example(validator, examples):
    paths = sorted(examples.glob("*/contract.toml")) + sorted(examples.glob("*/mechanisms/*.toml"))
    for path in paths:
        data = as_json(tomllib.loads(path.read_text(encoding="utf-8")))
        errors = list(validator.iter_errors(data))
        assert errors == [], (path, [e.message for e in errors])


@pytest.mark.parametrize(
    ("change", "where"),
    [
        (lambda d: d["components"][0].update(price_per_unit=-1), "price_per_unit"),
        (lambda d: d["components"][0].update(cohort_hurdle=10), "cohort_hurdle"),
        (lambda d: d.pop("periods"), "periods"),
        (lambda d: d["components"][0].update(type="bonus"), "type"),
        (
            lambda d: (
                d["components"][0].pop("overall_hurdle") and d["components"][0].pop("cohort_hurdle")
            ),
            "hurdle",
        ),
        (lambda d: d["contract"].update(colour="red"), "colour"),
    ],
)
def test_schema_rejects_bad_specs(validator, examples, change, where):
    data = as_json(
        tomllib.loads((examples / "peterborough" / "contract.toml").read_text(encoding="utf-8"))
    )
    change(data)
    assert list(validator.iter_errors(data)), where
