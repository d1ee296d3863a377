"""Fixtures for the commissioning-cycle tests: a settable clock and a cast of actors."""

from __future__ import annotations

import pytest
from django.utils import timezone

from fullvalue.domain.roles import Role
from tests.web.cycle import START


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
