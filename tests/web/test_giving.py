"""360Giving: every grant made on Fullvalue, valid against the standard's own schemas."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator, FormatChecker
from referencing import Registry, Resource
from referencing.jsonschema import DRAFT202012

from fullvalue.domain.roles import Role
from fullvalue.web.contracts.services import contract_create

SCHEMAS = Path(__file__).parents[2] / "docs" / "standards" / "360giving"
URL = "/api/v1/360giving/grants.json"


def validator() -> Draft202012Validator:
    package = json.loads((SCHEMAS / "360-giving-package-schema.json").read_text())
    grant = json.loads((SCHEMAS / "360-giving-schema.json").read_text())
    ref = package["properties"]["grants"]["items"]["$ref"]
    # The standard's files name the 2020-12 dialect by an http address; say it outright.
    registry = Registry().with_resource(ref, Resource(contents=grant, specification=DRAFT202012))
    return Draft202012Validator(package, registry=registry, format_checker=FormatChecker())


@pytest.fixture
def grants(make_member, actor_for):
    commissioner = make_member(
        Role.COMMISSIONER, legal_form="pcc", sector="public", annual_income=None
    )
    charity = make_member(Role.PROVIDER_ADMIN, annual_income=40_000)
    made = [
        contract_create(
            actor=actor_for(commissioner),
            data={
                "title": title,
                "provider_id": charity.organisation_id,
                "value": value,
                "kind": "grant",
                "start_date": "2026-04-01",
                "end_date": "2027-03-31",
            },
        )
        for title, value in (("Kinship carers' support", "24000"), ("Peer mentors", "9500.50"))
    ]
    contract_create(  # a contract, not a grant: not published as one
        actor=actor_for(commissioner),
        data={"title": "Resettlement", "provider_id": charity.organisation_id, "value": "90000"},
    )
    return made, charity


def test_grants_are_published_valid_against_the_360giving_schemas(client, grants, settings):
    made, charity = grants
    settings.GIVING_PREFIX = "360G-example"
    response = client.get(URL)  # public: no token
    assert response.status_code == 200
    package = response.json()
    errors = sorted(validator().iter_errors(package), key=lambda e: list(e.path))
    assert not errors, [f"{list(e.path)}: {e.message}" for e in errors]
    assert [g["id"] for g in package["grants"]] == [f"360G-example-{c.id}" for c in made]
    first, second = package["grants"]
    assert (first["amountAwarded"], second["amountAwarded"]) == (24000, 9500.5)
    assert first["recipientOrganization"][0]["name"] == charity.organisation.name
    assert first["plannedDates"] == [{"startDate": "2026-04-01", "endDate": "2027-03-31"}]
    assert dt.date.fromisoformat(first["awardDate"]) == dt.date(2026, 4, 1)


def test_the_schema_check_would_catch_a_broken_grant():
    """The validator is not vacuous: a grant without its funder or with a text amount fails."""
    broken = {
        "grants": [
            {
                "id": "360G-x-1", "title": "t", "description": "d", "currency": "GBP",
                "amountAwarded": "24000", "awardDate": "2026-04-01",
                "recipientOrganization": [{"id": "GB-CHC-1", "name": "c"}],
            }
        ]
    }  # fmt: skip
    assert list(validator().iter_errors(broken))


def test_an_empty_register_is_said_plainly(client, db):
    package = client.get(URL).json()
    assert package["grants"] == [] and package["version"] == "1.4"
