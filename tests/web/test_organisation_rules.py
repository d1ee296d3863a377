"""Organisation input rules: every problem named by field, hostile input refused."""

import pytest

from fullvalue.web.organisations.rules import (
    parse_organisation,
    rule_charity_has_charity_number,
    rule_sector_matches_legal_form,
)

VALID = {
    "name": "Harbour Lights Trust",
    "legal_form": "registered_charity",
    "sector": "voluntary",
    "identifiers": "GB-CHC-1092948; GB-COH-5238657",
    "annual_income": "£85,000",
    "regions": "North West; E12000007",
    "police_force_areas": "Merseyside",
    "led_by_women": "yes",
    "website": "https://harbour.example.org",
    "contact_email": "Info@Harbour.example.org",
}


def problems_by_field(data):
    parsed, problems = parse_organisation(data)
    assert parsed is None
    return {p.column: p.reason for p in problems}


def test_valid_input_is_normalised():
    parsed, problems = parse_organisation(VALID)
    assert problems == []
    assert parsed.identifiers == ("GB-CHC-1092948", "GB-COH-05238657")
    assert str(parsed.annual_income) == "85000"
    assert parsed.regions == ("E12000002", "E12000007")
    assert parsed.police_force_areas == ("merseyside",)
    assert parsed.led_by_women is True and parsed.led_by_disabled is False
    assert parsed.contact_email == "info@harbour.example.org"


def test_all_problems_are_collected_at_once():
    errors = problems_by_field(
        {
            "name": "",
            "legal_form": "limited partnership",
            "sector": "",
            "identifiers": "GB-CHC-12",
            "annual_income": "lots",
            "regions": "Atlantis",
            "led_by_women": "perhaps",
            "website": "javascript:alert(1)",
            "contact_email": "not-an-email",
            "contact_phone": "call me",
        }
    )
    assert set(errors) >= {
        "name",
        "legal_form",
        "sector",
        "identifiers",
        "annual_income",
        "regions",
        "led_by_women",
        "website",
        "contact_email",
        "contact_phone",
    }
    assert "6 or 7 digits" in errors["identifiers"]
    assert "Atlantis" in errors["regions"]


@pytest.mark.parametrize("income", ["-1", "NaN", "Infinity", "1e30", "12.345"])
def test_impossible_incomes_are_refused(income):
    assert "annual_income" in problems_by_field({**VALID, "annual_income": income})


def test_control_characters_are_refused():
    assert "name" in problems_by_field({**VALID, "name": "Evil\x00Corp"})


def test_duplicate_identifier_in_one_record():
    errors = problems_by_field({**VALID, "identifiers": "GB-CHC-1092948;gb-chc-1092948"})
    assert "listed twice" in errors["identifiers"]


def test_rule_sector_matches_legal_form():
    assert rule_sector_matches_legal_form("registered_charity", "voluntary") == []
    [pcc] = rule_sector_matches_legal_form("pcc", "voluntary")
    assert "public sector" in pcc.reason and pcc.column == "sector"
    [company] = rule_sector_matches_legal_form("private_company", "public")
    assert "private sector" in company.reason
    assert rule_sector_matches_legal_form("cic", "private") == []


def test_rule_charity_has_charity_number():
    assert rule_charity_has_charity_number("cio", ("GB-SC-SC043995",)) == []
    [missing] = rule_charity_has_charity_number("cio", ("GB-COH-05238657",))
    assert "charity number" in missing.reason and missing.column == "identifiers"
    assert rule_charity_has_charity_number("cic", ()) == []


def test_named_rules_carry_the_user_facing_text():
    assert rule_charity_has_charity_number.__doc__.startswith("A registered charity or CIO")
    assert rule_sector_matches_legal_form.__doc__.startswith("The sector must match")
    [problem] = rule_charity_has_charity_number("registered_charity", ())
    assert problem.reason.startswith(rule_charity_has_charity_number.text)
