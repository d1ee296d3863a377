import json
from decimal import Decimal

import pytest

from fullvalue.engine.payments.cli import main
from fullvalue.engine.payments.sroi import (
    SroiModel,
    SroiOutcome,
    load_sroi_model,
    outcome_value,
    sroi,
    validate_sroi_model,
)
from fullvalue.errors import FullvalueError


def test_level_1_outputs_times_proxies():
    """10 × £300 + 5 × £200 = £4,000 on £1,000 invested: NPV £3,000, ratio £4.00 : £1."""
    model = SroiModel(
        "x",
        Decimal(1000),
        (SroiOutcome("a", Decimal(10), Decimal(300)), SroiOutcome("b", Decimal(5), Decimal(200))),
        level=1,
    )
    result = sroi(model)
    assert (result.present_value, result.net_present_value, result.ratio) == (
        Decimal("4000.00"),
        Decimal("3000.00"),
        Decimal("4.00"),
    )
    assert [s.assumption for s in result.sensitivity] == ["quantities", "financial proxies"]


def test_level_2_takes_off_deadweight_displacement_attribution():
    """£10,000 × (1 - 0.2) × (1 - 0.1) × (1 - 0.5) = £3,600."""
    outcome = SroiOutcome(
        "a",
        Decimal(1),
        Decimal(10000),
        deadweight=Decimal("0.2"),
        displacement=Decimal("0.1"),
        attribution=Decimal("0.5"),
    )
    assert outcome_value(outcome, 2, Decimal("0.035")).present_value == Decimal("3600.00")


def test_level_3_drops_off_and_discounts():
    """£1,000 a year for 2 years, drop-off 50%, 3.5%: 1000/1.035 + 500/1.035² = 966.18 + 466.76
    = £1,432.94."""
    outcome = SroiOutcome("a", Decimal(1), Decimal(1000), drop_off=Decimal("0.5"), duration=2)
    assert outcome_value(outcome, 3, Decimal("0.035")).present_value == Decimal("1432.94")


def test_example_model_and_its_sensitivity(examples):
    """Level 3 example: PV £370,468.02 on £150,000, ratio £2.47 : £1; each assumption moves the
    ratio in the expected direction."""
    result = sroi(load_sroi_model(examples / "sroi" / "womens-centre.toml"))
    assert result.level == 3
    assert result.present_value == Decimal("370468.02")
    assert result.ratio == Decimal("2.47")
    table = {s.assumption: s for s in result.sensitivity}
    assert table["deadweight"].ratio_low > result.ratio > table["deadweight"].ratio_high
    assert table["discount rate"].ratio_low > result.ratio > table["discount rate"].ratio_high
    assert table["duration"].ratio_low < result.ratio < table["duration"].ratio_high


def test_levels_are_inferred_and_missing_assumptions_noted(examples):
    level_1 = load_sroi_model(examples / "sroi" / "womens-centre-level-1.toml")
    assert level_1.level == 1 and not level_1.notes
    assert sroi(level_1).present_value == Decimal("400000.00")
    partial = validate_sroi_model(
        {
            "model": {"name": "m", "investment": 100},
            "outcomes": [{"name": "a", "quantity": 1, "proxy": 100, "deadweight": 0.5}],
        }
    )
    assert partial.level == 2
    assert partial.notes == (
        "a: displacement not given, taken as 0",
        "a: attribution not given, taken as 0",
    )


def test_bad_models_list_every_problem():
    with pytest.raises(FullvalueError) as caught:
        validate_sroi_model(
            {
                "model": {"investment": 0, "discount_rate": 3.5, "level": 4},
                "outcomes": [{"quantity": -1, "proxy": "x", "deadweight": 2, "duration": 0}],
            }
        )
    locations = {p.location for p in caught.value.problems}
    assert locations == {
        "model.name",
        "model.investment",
        "model.discount_rate",
        "outcomes[0].quantity",
        "outcomes[0].proxy",
        "outcomes[0].deadweight",
        "outcomes[0].duration",
        "model.level",
    }


def test_cli(capsys, examples):
    model = examples / "sroi" / "womens-centre.toml"
    assert main(["sroi", str(model), "--format", "json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["ratio"] == "2.47" and data["present_value"] == "370468.02"
    assert main(["sroi", str(model)]) == 0
    assert "SROI ratio          £2.47 : £1" in capsys.readouterr().out
    assert main(["sroi", "/nonexistent.toml"]) == 2
