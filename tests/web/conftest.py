"""Fixtures for the commissioning-cycle tests: a settable clock and a cast of actors."""

from __future__ import annotations

import pytest
from django.utils import timezone

from fullvalue.domain.roles import Role
from fullvalue.web.contracts.services import contract_create
from tests.web.cycle import START
from tests.web.delivery_data import MECHANISM


@pytest.fixture
def clock(monkeypatch):
    """A settable clock for the whole application (deadlines are about time)."""
    state = {"now": START}
    monkeypatch.setattr(timezone, "now", lambda: state["now"])
    return state


@pytest.fixture
def world(make_member, actor_for):
    commissioner = make_member(
        Role.COMMISSIONER, legal_form="pcc", sector="public", annual_income=None
    )
    org = commissioner.organisation
    ev1 = make_member(Role.EVALUATOR, organisation=org)
    ev2 = make_member(Role.EVALUATOR, organisation=org)
    ev3 = make_member(Role.EVALUATOR, organisation=org)
    women = make_member(Role.PROVIDER_ADMIN, annual_income=420_000)
    mentors = make_member(Role.PROVIDER_ADMIN, annual_income=86_000)
    prime = make_member(Role.PROVIDER_ADMIN, annual_income=64_000_000)
    return {
        k: actor_for(v)
        for k, v in {
            "commissioner": commissioner,
            "ev1": ev1,
            "ev2": ev2,
            "ev3": ev3,
            "women": women,
            "mentors": mentors,
            "prime": prime,
        }.items()
    } | {"members": {"ev1": ev1, "ev2": ev2, "ev3": ev3}}


@pytest.fixture
def chain(make_member, actor_for):
    """A contract in delivery: its commissioner (two people), a prime, a sub-contractor."""
    c = make_member(Role.COMMISSIONER, legal_form="pcc", sector="public", annual_income=None)
    c2 = make_member(Role.COMMISSIONER, organisation=c.organisation)
    prime = make_member(Role.PROVIDER_ADMIN, annual_income=420_000)
    sub = make_member(Role.PROVIDER_ADMIN, annual_income=86_000)
    sub_staff = make_member(Role.PROVIDER_STAFF, organisation=sub.organisation)
    other = make_member(Role.PROVIDER_ADMIN)
    contract = contract_create(
        actor=actor_for(c),
        data={
            "title": "Women's centre",
            "provider_id": prime.organisation_id,
            "value": "450000",
            "mechanism_toml": MECHANISM,
            "start_date": "2025-04-01",
            "end_date": "2028-03-31",
        },
    )
    return {
        "contract": contract,
        **{
            k: actor_for(v)
            for k, v in {
                "c": c,
                "c2": c2,
                "prime": prime,
                "sub": sub,
                "sub_staff": sub_staff,
                "other": other,
            }.items()
        },
        "sub_org": sub.organisation,
    }
