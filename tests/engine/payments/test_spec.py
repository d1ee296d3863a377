from datetime import timedelta
from decimal import Decimal

import pytest

from fullvalue.engine.payments.spec import (
    FeeForService,
    Reoffending,
    load_spec,
    parse_spec,
    validate_spec,
)
from fullvalue.errors import FullvalueError

GOOD = """
[contract]
name = "Test"

[[periods]]
name = "Q1"
start = 2025-04-01
end = 2025-06-30

[[periods]]
name = "Q2"
start = 2025-07-01
end = 2025-09-30

[[cohorts]]
name = "A"

[[components]]
type = "fee_for_service"
name = "fee"
amount = 1000
[components.volume]
measure = "starts"
expected = 100
lower = 0.9
upper = 1.1
unit_price = 10

[[components]]
type = "reoffending"
name = "reoffending"
measure = "binary"
cohort_hurdle = 0.10
overall_hurdle = 0.075
price_per_unit = 500
"""

BAD = """
[contract]
name = "Broken"

[[periods]]
name = "Q1"
start = 2025-04-01
end = 2025-06-30

[[periods]]
name = "Q2"
start = 2025-06-15
end = 2025-09-30

[[components]]
type = "outcome"
name = "job"
measure = "jobs"
price = -1200

[[components]]
type = "reoffending"
name = "reoffending"
measure = "binary"
cohort_hurdle = 1.5
price_per_unit = 500

[[components]]
type = "attachment"
name = "attachment"

[[components]]
type = "foundation"
name = "foundation"
amount = 100
offset_against = ["fee"]

[supply_chain]
prime = "Prime"
[[supply_chain.members]]
name = "Prime"
share = 0.8
[[supply_chain.members]]
name = "Local"
share = 0.4
"""


def test_good_spec_loads_into_frozen_dataclasses():
    spec = parse_spec(GOOD)
    fee = spec.component("fee")
    assert isinstance(fee, FeeForService)
    assert fee.volume is not None and fee.volume.expected == Decimal(100)
    reoffending = spec.component("reoffending")
    assert isinstance(reoffending, Reoffending)
    assert reoffending.cohort_hurdle == Decimal("0.10")
    assert reoffending.result == "reoffending_binary"
    assert spec.period_names() == ["Q1", "Q2"]
    with pytest.raises(AttributeError):
        spec.name = "changed"  # type: ignore[misc]


def test_every_problem_is_listed_with_its_path():
    """One bad spec, six problems, all reported together with the path to the field."""
    with pytest.raises(FullvalueError) as caught:
        parse_spec(BAD)
    error = caught.value
    assert error.code == "invalid-spec"
    found = {p.location: p.reason for p in error.problems}
    # overlapping periods
    assert "periods[1]" in found
    assert "cannot overlap" in found["periods[1]"]
    # a negative price
    assert "cannot be negative" in found["components[0].price"]
    # a hurdle outside 0-1
    assert "between 0 and 1" in found["components[1].cohort_hurdle"]
    # a missing part: an attachment fee with no price
    assert "neither price nor prices" in found["components[2]"]
    # a foundation payment recovered from something that is not an outcome component
    assert "components[3].offset_against[0]" in found
    # shares over 100%
    assert "120%" in found["supply_chain.members"]
    assert len(error.problems) == 6
    assert all(p.source == "<text>" for p in error.problems)


def test_missing_parts_are_named():
    with pytest.raises(FullvalueError) as caught:
        validate_spec({"contract": {}, "components": [{"type": "reoffending"}]})
    locations = {p.location for p in caught.value.problems}
    assert {
        "contract.name",
        "periods",
        "components[0].name",
        "components[0].price_per_unit",
        "components[0]",
    } <= locations


def test_unknown_fields_and_types_are_problems():
    with pytest.raises(FullvalueError) as caught:
        validate_spec(
            {
                "contract": {"name": "x", "colour": "red"},
                "periods": [{"name": "P", "start": "2025-01-01", "end": "2024-01-01"}],
                "components": [
                    {"type": "bonus", "name": "b"},
                    {"type": "attachment", "name": "a", "price": "lots"},
                    {"type": "attachment", "name": "a", "price": 1, "cap": True},
                ],
            }
        )
    found = {p.location: p.reason for p in caught.value.problems}
    assert "not a field" in found["contract.colour"]
    assert "before it starts" in found["periods[0]"]
    assert "must be one of" in found["components[0].type"]
    assert "must be a number" in found["components[1].price"]
    assert "must be a number" in found["components[2].cap"]
    assert "used more than once" in found["components[1]"]


def test_overall_hurdle_cannot_exceed_cohort_hurdle_and_shares_must_reach_100():
    with pytest.raises(FullvalueError) as caught:
        validate_spec(
            {
                "contract": {"name": "x"},
                "periods": [{"name": "P", "start": "2025-01-01", "end": "2025-12-31"}],
                "components": [
                    {
                        "type": "reoffending",
                        "name": "r",
                        "cohort_hurdle": 0.05,
                        "overall_hurdle": 0.1,
                        "price_per_unit": 1,
                    },
                    {"type": "guaranteed", "name": "g1", "contract_value": 10, "share": 0.7},
                    {"type": "guaranteed", "name": "g2", "contract_value": 10, "share": 0.7},
                ],
                "supply_chain": {"prime": "Z", "members": [{"name": "A", "share": 0.5}]},
            }
        )
    found = {p.location: p.reason for p in caught.value.problems}
    assert "cannot be higher" in found["components[0]"]
    assert "at most one guaranteed" in found["components[2]"]
    assert "50%" in found["supply_chain.members"]
    assert "must be one of the supply-chain members" in found["supply_chain.prime"]


def test_unreadable_files_and_bad_toml(tmp_path):
    with pytest.raises(FullvalueError) as caught:
        load_spec(tmp_path / "missing.toml")
    assert caught.value.code == "not-found"
    bad = tmp_path / "bad.toml"
    bad.write_text("[contract\nname=", encoding="utf-8")
    with pytest.raises(FullvalueError) as caught:
        load_spec(bad)
    assert "not valid TOML" in caught.value.message


def test_every_example_is_a_valid_spec(examples):
    paths = sorted(examples.glob("*/contract.toml")) + sorted(examples.glob("*/mechanisms/*.toml"))
    assert len(paths) >= 7
    for path in paths:
        assert load_spec(path).components


def test_load_spec_reads_only_files_and_parse_spec_only_text(tmp_path):
    """A file's problems name the file; text is never mistaken for a path, nor a path for text."""
    path = tmp_path / "spec.toml"
    path.write_text(BAD, encoding="utf-8")
    with pytest.raises(FullvalueError) as caught:
        load_spec(path)
    assert {p.source for p in caught.value.problems} == {str(path)}
    with pytest.raises(FullvalueError) as caught:
        load_spec(str(tmp_path / "[odd] name.toml"))
    assert caught.value.code == "not-found"
    with pytest.raises(FullvalueError) as caught:
        parse_spec(str(path))
    assert caught.value.code == "invalid-spec"
    assert parse_spec(GOOD.strip()).period_names() == ["Q1", "Q2"]


def test_period_of_names_the_period_containing_a_day():
    """Q1 is 1 Apr-30 Jun, Q2 1 Jul-30 Sep: both ends belong to the period; other days to none."""
    spec = parse_spec(GOOD)
    q1, q2 = sorted(spec.periods, key=lambda p: p.start)
    assert spec.period_of(q1.start) == "Q1"
    assert spec.period_of(q1.end) == "Q1"
    assert spec.period_of(q2.start) == "Q2"
    assert spec.period_of(q2.end) == "Q2"
    assert spec.period_of(q1.start - timedelta(days=1)) is None
    assert spec.period_of(q2.end + timedelta(days=1)) is None
