"""The Right to Challenge: windows, expressions of interest, the 30-day clock, decisions, API."""

from __future__ import annotations

import datetime as dt

import pytest
from django.conf import settings

from fullvalue.domain.roles import Role
from fullvalue.errors import Conflict, FullvalueError, PermissionDenied
from fullvalue.web.accounts.models import Membership
from fullvalue.web.challenges import rules, selectors, services

TODAY = dt.date(2027, 1, 4)
GROUNDS = [
    "non-compliant",
    "inadequate-information",
    "unsuitable-body",
    "service-to-stop",
    "nhs-integrated",
    "procurement-under-way",
    "third-party-negotiations",
    "employee-led-published",
    "frivolous-vexatious",
    "breach-of-law",
]
ANSWERS = {
    "body_type": "charity",
    "area": "Preston",
    "finances": "Income £420,000; reserves of six months.",
    "capability": "We run two women's centres.",
    "outcomes": "Fewer women recalled to prison.",
    "social_value": "Local jobs for women with convictions.",
}


@pytest.fixture
def window(world, clock):
    """The world's commissioner opens a window for its women's service, 1 to 31 January."""
    clock["now"] = dt.datetime(2027, 1, 4, 10, tzinfo=dt.UTC)
    return services.window_publish(
        actor=world["commissioner"],
        data={
            "service": "Women's centre",
            "description": "A holistic service for women on community orders.",
            "opens_on": "2027-01-01",
            "closes_on": "2027-01-31",
            "min_days_to_procure": "30",
            "max_days_to_procure": "180",
        },
    )


def _submit(actor, window, today=TODAY, **changes):
    return services.interest_submit(
        actor=actor, window_id=window.id, data={**ANSWERS, **changes}, today=today
    )


def test_the_codelist_is_exactly_the_ten_statutory_grounds():
    assert list(rules.GROUNDS) == GROUNDS


def test_received_only_while_the_window_is_open_and_answers_have_stated_lengths(world, window):
    women = world["women"]
    with pytest.raises(FullvalueError) as early:
        _submit(women, window, today=dt.date(2026, 12, 31))
    assert early.value.problems[0].reason.startswith(rules.received_while_window_open.text)
    with pytest.raises(FullvalueError) as late:
        _submit(women, window, today=dt.date(2027, 2, 1))
    assert "closed on 31 January 2027" in late.value.problems[0].reason
    with pytest.raises(FullvalueError) as long:
        _submit(women, window, finances="x" * (services.LONG + 1))
    assert long.value.problems[0].column == "finances"
    with pytest.raises(FullvalueError) as mutual:  # a mutual states partners and governance
        _submit(women, window, body_type="employee-led")
    assert {p.column for p in mutual.value.problems} == {"partners", "governance"}
    interest = _submit(women, window)
    assert interest.received_on == TODAY and interest.body_id == women.organisation_id


def test_the_thirty_day_clock_flags_an_overdue_timetable_then_a_late_decision(world, window):
    interest = _submit(world["women"], window)
    day_30 = TODAY + dt.timedelta(days=30)
    assert selectors.overdue(interest, day_30) == []
    [late] = selectors.overdue(interest, day_30 + dt.timedelta(days=1))
    assert late.startswith(rules.timetable_within_thirty_days.text)
    assert "due by 3 February 2027" in late
    services.timetable_send(
        actor=world["commissioner"],
        interest_id=interest.id,
        decide_by="2027-03-01",
        today=day_30 + dt.timedelta(days=2),
    )
    interest = selectors.interest_get(interest.id)
    assert interest.decision_timetable_sent_on == day_30 + dt.timedelta(days=2)
    assert selectors.overdue(interest, dt.date(2027, 3, 1)) == []
    [decision_late] = selectors.overdue(interest, dt.date(2027, 3, 2))
    assert decision_late.startswith(rules.decided_when_promised.text)
    with pytest.raises(Conflict):
        services.timetable_send(
            actor=world["commissioner"], interest_id=interest.id, decide_by="2027-03-05"
        )


def test_a_rejection_needs_statutory_grounds_and_reasons(world, window):
    interest = _submit(world["women"], window)
    c = world["commissioner"]
    with pytest.raises(FullvalueError) as bare:
        services.decide(actor=c, interest_id=interest.id, data={"outcome": "rejected"})
    assert {p.column for p in bare.value.problems} == {"grounds", "reasons"}
    with pytest.raises(FullvalueError) as unknown:
        services.decide(
            actor=c,
            interest_id=interest.id,
            data={"outcome": "rejected", "grounds": ["too-small"], "reasons": "Small."},
        )
    assert "too-small is not a statutory ground" in unknown.value.problems[0].reason
    with pytest.raises(FullvalueError) as modified:
        services.decide(actor=c, interest_id=interest.id, data={"outcome": "modified"})
    assert modified.value.problems[0].column == "modifications"
    decided = services.decide(
        actor=c,
        interest_id=interest.id,
        data={
            "outcome": "rejected",
            "grounds": ["procurement-under-way", "inadequate-information"],
            "reasons": "A procurement started in December.",
        },
        today=dt.date(2027, 1, 20),
    )
    assert decided.outcome == "rejected" and decided.decided_on == dt.date(2027, 1, 20)
    with pytest.raises(Conflict):  # decided once
        services.decide(actor=c, interest_id=interest.id, data={"outcome": "accepted"})


def test_only_the_authority_decides_only_provider_admins_submit_and_it_is_audited(
    world, window, make_member, actor_for
):
    from fullvalue.web.audit.models import AuditEvent

    staff = actor_for(make_member(Role.PROVIDER_STAFF, organisation=Membership.objects.get(
        id=world["women"].membership_id).organisation))  # fmt: skip
    with pytest.raises(PermissionDenied, match="administrator acting for the relevant body"):
        _submit(staff, window)
    with pytest.raises(PermissionDenied):
        _submit(world["commissioner"], window)
    interest = _submit(world["women"], window)
    elsewhere = actor_for(make_member(Role.COMMISSIONER, legal_form="pcc", sector="public"))
    for outsider in (elsewhere, world["ev1"], world["mentors"]):
        with pytest.raises(PermissionDenied):
            services.decide(actor=outsider, interest_id=interest.id, data={"outcome": "accepted"})
        with pytest.raises(PermissionDenied):
            services.timetable_send(actor=outsider, interest_id=interest.id, decide_by="2027-02-01")
    services.decide(
        actor=world["commissioner"],
        interest_id=interest.id,
        data={"outcome": "modified", "modifications": "Start in Preston only."},
    )
    actions = set(
        AuditEvent.objects.filter(
            object_type="expression_of_interest", object_id=str(interest.id)
        ).values_list("action", flat=True)
    )
    assert actions == {"challenge.submit", "challenge.decide"}
    assert AuditEvent.objects.filter(
        action="challenge_window.create", object_id=str(window.id)
    ).exists()


def test_an_acceptance_links_only_the_authoritys_own_tender_and_gives_its_ocid(world, window):
    from fullvalue.web.programmes.services import programme_create
    from fullvalue.web.tendering.services import tender_create
    from tests.web.cycle import programme_data, tender_data

    c = world["commissioner"]
    tender = tender_create(
        actor=c, programme_id=programme_create(actor=c, data=programme_data()).id,
        data=tender_data(),
    )  # fmt: skip
    first, second = _submit(world["women"], window), _submit(world["mentors"], window)
    with pytest.raises(FullvalueError) as wrong:
        services.decide(
            actor=c, interest_id=first.id, data={"outcome": "accepted", "procurement": "999999"}
        )
    assert wrong.value.problems[0].column == "procurement"
    with pytest.raises(FullvalueError):  # a rejection starts nothing
        services.decide(
            actor=c,
            interest_id=first.id,
            data={"outcome": "rejected", "grounds": ["frivolous-vexatious"], "reasons": "x",
                  "procurement": str(tender.id)},
        )  # fmt: skip
    services.decide(
        actor=c, interest_id=first.id, data={"outcome": "accepted", "procurement": str(tender.id)}
    )
    services.decide(actor=c, interest_id=second.id, data={"outcome": "accepted"})
    accepted = selectors.interest_get(first.id)
    assert selectors.ocid_of(accepted) == f"{settings.OCID_PREFIX}-{tender.reference}"
    assert selectors.ocid_of(selectors.interest_get(second.id)) is None
    start, end = selectors.procurement_window(accepted)
    assert (end - start).days == 150


def test_the_api_is_public_and_exactly_shaped(client, world, window):
    pending = _submit(world["women"], window)
    rejected = _submit(world["mentors"], window)
    services.decide(
        actor=world["commissioner"],
        interest_id=rejected.id,
        data={"outcome": "rejected", "grounds": ["service-to-stop"], "reasons": "Ending."},
        today=dt.date(2027, 1, 10),
    )
    response = client.get("/api/v1/challenges?limit=1")
    assert response.status_code == 200, response.content
    body = response.json()
    assert set(body) == {"items", "next_cursor", "links"} and body["next_cursor"]
    [first] = body["items"]
    assert first == {
        "body": {"name": pending.body.name, "type": "Charity"},
        "service": "Women's centre",
        "received_on": "2027-01-04",
        "decision_timetable_sent_on": None,
        "decision": {
            "outcome": "pending",
            "decided_on": None,
            "grounds": [],
            "reasons": "",
            "ocid": None,
        },
    }
    [second] = client.get(body["links"]["next"]).json()["items"]
    assert second["decision"] == {
        "outcome": "rejected",
        "decided_on": "2027-01-10",
        "grounds": ["service-to-stop"],
        "reasons": "Ending.",
        "ocid": None,
    }


def test_pages_register_export_and_the_authoritys_forms(client, signed_in, world, window, clock):
    interest = _submit(world["women"], window)
    body = signed_in(Membership.objects.get(id=world["mentors"].membership_id))
    assert "Women&#39;s centre</a>" in body.get("/dashboard/").content.decode()  # window open
    clock["now"] = dt.datetime(2027, 2, 10, 10, tzinfo=dt.UTC)  # the timetable is overdue
    assert "Women&#39;s centre</a>" not in body.get("/dashboard/").content.decode()  # closed
    page = client.get("/challenges/")
    assert page.status_code == 200
    text = page.content.decode()
    assert "Overdue" in text and "Waiting for a decision" in text and "pending" not in text
    csv = client.get("/challenges/?format=csv").content.decode()
    assert csv.splitlines()[0].startswith("Body,Kind of body,Authority")
    assert "has not been sent" in csv
    # The public sees the challenge but no decision form; the authority does.
    assert "Record the decision" not in client.get(f"/challenges/{interest.id}/").content.decode()
    authority = signed_in(Membership.objects.get(id=world["commissioner"].membership_id))
    dashboard = authority.get("/dashboard/").content.decode()
    assert "Overdue" in dashboard and "has not been sent" in dashboard
    assert "Record the decision" in authority.get(f"/challenges/{interest.id}/").content.decode()
    response = authority.post(
        f"/challenges/{interest.id}/",
        {"action": "decide", "outcome": "rejected", "reasons": "No."},
    )
    assert response.status_code == 400 and "statutory grounds" in response.content.decode()
    response = authority.post(
        f"/challenges/{interest.id}/",
        {"action": "decide", "outcome": "rejected", "grounds": ["breach-of-law"], "reasons": "No."},
    )
    assert response.status_code == 302
    shown = authority.get(f"/challenges/{interest.id}/").content.decode()
    assert "Accepting it would, or would be likely to, break the law" in shown
    assert "breach-of-law" not in shown


def test_a_window_is_published_by_a_commissioner_with_its_periods_in_order(world, clock):
    data = {
        "service": "Mentoring",
        "description": "Mentoring.",
        "opens_on": "2027-02-01",
        "closes_on": "2027-01-01",
        "min_days_to_procure": "90",
        "max_days_to_procure": "30",
    }
    with pytest.raises(PermissionDenied):
        services.window_publish(actor=world["women"], data=data)
    with pytest.raises(FullvalueError) as wrong:
        services.window_publish(actor=world["commissioner"], data=data)
    assert {p.column for p in wrong.value.problems} == {"closes_on", "max_days_to_procure"}
    assert all(
        p.reason.startswith(rules.window_periods_in_order.text) for p in wrong.value.problems
    )


def test_a_commissioner_publishes_a_window_on_its_page_and_a_body_submits_on_the_window(
    signed_in, world, clock
):
    clock["now"] = dt.datetime(2027, 1, 4, 10, tzinfo=dt.UTC)
    authority = signed_in(Membership.objects.get(id=world["commissioner"].membership_id))
    assert authority.get("/challenges/windows/new/").status_code == 200
    response = authority.post(
        "/challenges/windows/new/",
        {"service": "Mentoring", "description": "Peer mentoring.", "opens_on": "2027-01-01",
         "closes_on": "2027-03-31", "min_days_to_procure": "30", "max_days_to_procure": "90"},
    )  # fmt: skip
    assert response.status_code == 302
    window_page = response["Location"]
    assert "Submit the expression of interest" not in authority.get(window_page).content.decode()
    body = signed_in(Membership.objects.get(id=world["women"].membership_id))
    assert "Submit the expression of interest" in body.get(window_page).content.decode()
    refused = body.post(window_page, {**ANSWERS, "body_type": ""})
    assert (
        refused.status_code == 400
        and "Choose what kind of body you are" in refused.content.decode()
    )
    response = body.post(window_page, ANSWERS)
    assert response.status_code == 302
    assert "Received" in body.get(response["Location"]).content.decode()
