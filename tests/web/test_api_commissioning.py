"""The commissioning cycle through the JSON API, with its bad inputs."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.web.cycle import programme_data, tender_data

pytestmark = pytest.mark.django_db


@pytest.fixture
def tokens(world, api_token):
    from fullvalue.web.accounts.models import Membership

    out = {}
    for key in ("commissioner", "ev1", "ev2", "ev3", "women", "mentors", "prime"):
        membership = Membership.objects.get(id=world[key].membership_id)
        out[key] = {"HTTP_AUTHORIZATION": f"Bearer {api_token(membership)}"}
    return out


def post(client, url, body, who):
    return client.post(url, body, content_type="application/json", **who)


def bid_body(tender, price, sv=2, parties=None):
    quality = [c for c in tender["criteria"] if c["kind"] == "quality"]
    from fullvalue.web.tendering.models import PassFailQuestion

    questions = PassFailQuestion.objects.filter(tender_id=tender["id"])
    return {
        "contents": {
            "price": price,
            "answers": {str(c["id"]): "Our approach" for c in quality},
            "social_value": [
                {"measure": "Jobs", "unit": "job", "quantity": sv, "proxy_value": "12000"}
            ],
            "pass_fail": {str(q.id): True for q in questions},
            "declarations": {"exclusion_grounds": False},
        },
        "parties": parties or [],
    }


def test_cycle_through_the_api(client, world, tokens, clock):
    c, women, prime = tokens["commissioner"], tokens["women"], tokens["prime"]
    r = post(client, "/api/v1/programmes", programme_data(), c)
    assert r.status_code == 201, r.json()
    programme = r.json()

    bad = tender_data()
    bad["criteria"][0]["weight"] = "50"
    r = post(client, f"/api/v1/programmes/{programme['id']}/tenders", bad, c)
    assert r.status_code == 422 and "add up to 120" in str(r.json()["errors"])

    r = post(client, f"/api/v1/programmes/{programme['id']}/tenders", tender_data(), c)
    tender = r.json()
    assert r.status_code == 201 and tender["status"] == "draft"
    assert client.get(f"/api/v1/tenders/{tender['id']}").status_code == 404  # drafts are private
    assert post(client, f"/api/v1/tenders/{tender['id']}/publish", {}, c).status_code == 200
    r = client.put(
        f"/api/v1/tenders/{tender['id']}", tender_data(), content_type="application/json", **c
    )
    assert r.status_code == 409  # a published tender is amended, not edited
    tender = client.get(f"/api/v1/tenders/{tender['id']}").json()
    lot1 = tender["lots"][0]["id"]

    over = [
        {
            "organisation_id": world["women"].organisation_id,
            "role": "lead",
            "share_of_value": "1.5",
            "share_of_work": "1",
            "carries_working_capital": True,
        }
    ]
    r = post(client, f"/api/v1/lots/{lot1}/bids", bid_body(tender, "400000", parties=over), women)
    assert r.status_code == 422 and "between 0% and 100%" in str(r.json()["errors"])
    r = post(client, f"/api/v1/lots/{lot1}/bids", bid_body(tender, "410000", 6), women)
    assert r.status_code == 201
    mine = r.json()
    assert mine["contents"]["price"] == "410000.00"
    r = post(client, f"/api/v1/lots/{lot1}/bids", bid_body(tender, "380000", 2), prime)
    rival = r.json()

    # Sealed on every API path before the deadline.
    assert client.get(f"/api/v1/bids/{mine['id']}", **c).status_code == 403
    assert client.get(f"/api/v1/lots/{lot1}/bids", **c).json()["items"] == []
    assert client.get(f"/api/v1/lots/{lot1}/results", **c).status_code == 403
    assert client.get(f"/api/v1/bids/{mine['id']}", **prime).status_code == 403

    clock["now"] = dt.datetime(2027, 2, 11, tzinfo=dt.UTC)
    r = post(client, f"/api/v1/lots/{lot1}/bids", bid_body(tender, "1"), tokens["mentors"])
    assert r.status_code == 409  # late
    assert post(client, f"/api/v1/tenders/{tender['id']}/close", {}, c).status_code == 200
    assert len(client.get(f"/api/v1/lots/{lot1}/bids", **c).json()["items"]) == 2

    for key in ("ev1", "ev3"):
        r = post(
            client,
            f"/api/v1/tenders/{tender['id']}/panel",
            {"evaluator_membership_id": world[key].membership_id},
            c,
        )
        assert r.status_code == 201
    post(
        client, f"/api/v1/tenders/{tender['id']}/conflicts", {"has_conflict": False}, tokens["ev1"]
    )
    post(
        client,
        f"/api/v1/tenders/{tender['id']}/conflicts",
        {"has_conflict": True, "detail": "Former employee"},
        tokens["ev3"],
    )
    quality = [x for x in tender["criteria"] if x["kind"] == "quality"]
    body = [{"criterion_id": q["id"], "score": 3, "reason": "Sound"} for q in quality]
    r = post(client, f"/api/v1/bids/{mine['id']}/scores", body, tokens["ev3"])
    assert r.status_code == 403  # conflicted
    for bid, mark in ((mine, 4), (rival, 2)):
        scores = [{"criterion_id": q["id"], "score": mark, "reason": "Evidence"} for q in quality]
        assert (
            post(client, f"/api/v1/bids/{bid['id']}/scores", scores, tokens["ev1"]).status_code
            == 200
        )
        for q in quality:
            r = post(
                client,
                f"/api/v1/bids/{bid['id']}/consensus",
                {"criterion_id": q["id"], "score": mark, "reason": "Agreed"},
                c,
            )
            assert r.status_code == 200
    results = client.get(f"/api/v1/lots/{lot1}/results", **c).json()
    assert results["winner"] == mine["id"] and results["problems"] == []
    r = post(client, f"/api/v1/lots/{lot1}/award", {"notice_date": "2027-03-01"}, c)
    assert r.status_code == 201 and r.json()["standstill_ends_on"] == "2027-03-10"
    letter = client.get(f"/api/v1/bids/{rival['id']}/feedback", **prime).json()
    assert letter["successful"] is False and len(letter["lines"]) == 4
    pdf = client.get(f"/api/v1/bids/{rival['id']}/feedback?format=pdf", **prime)
    assert pdf["Content-Type"] == "application/pdf" and pdf.content.startswith(b"%PDF")
    assert client.get(f"/api/v1/bids/{rival['id']}/feedback", **women).status_code == 403


def test_risk_preview_endpoint(client):
    from pathlib import Path

    toml = (
        Path(__file__).resolve().parents[2]
        / "examples"
        / "womens-centre"
        / "mechanisms"
        / "pbr-100.toml"
    ).read_text()
    r = client.post(
        "/api/v1/risk-preview",
        {"mechanism_toml": toml, "runs": 500},
        content_type="application/json",
    )
    assert r.status_code == 200 and r.json()["warnings"]
    r = client.post(
        "/api/v1/risk-preview", {"mechanism_toml": "[contract]\n"}, content_type="application/json"
    )
    assert r.status_code == 422 and r["Content-Type"] == "application/problem+json"


def test_consortium_bid_drafted_confirmed_and_submitted_through_the_api(
    client, world, tokens, clock
):
    from fullvalue.web.programmes.services import programme_create
    from fullvalue.web.tendering.services import tender_create, tender_publish
    from tests.web.cycle import START

    c = world["commissioner"]
    programme = programme_create(actor=c, data=programme_data())
    made = tender_create(actor=c, programme_id=programme.id, data=tender_data())
    tender_publish(actor=c, tender_id=made.id, now=START)
    tender = client.get(f"/api/v1/tenders/{made.id}").json()
    lot = tender["lots"][0]["id"]
    women, mentors = world["women"].organisation_id, world["mentors"].organisation_id
    parties = [
        {
            "organisation_id": women,
            "role": "lead",
            "share_of_value": "0.8",
            "share_of_work": "0.8",
            "carries_working_capital": True,
        },
        {
            "organisation_id": mentors,
            "role": "subcontractor",
            "share_of_value": "0.2",
            "share_of_work": "0.2",
        },
    ]
    body = bid_body(tender, "400000", parties=parties)
    r = client.put(
        f"/api/v1/lots/{lot}/bids/draft", body, content_type="application/json", **tokens["women"]
    )
    assert r.status_code == 200, r.json()
    draft = r.json()
    assert draft["status"] == "draft" and draft["contents"]["price"] == "400000"
    # The partner reads the draft; the commissioner and a rival cannot.
    assert client.get(f"/api/v1/bids/{draft['id']}", **tokens["mentors"]).status_code == 200
    for who in ("commissioner", "prime"):
        assert client.get(f"/api/v1/bids/{draft['id']}", **tokens[who]).status_code == 403
    r = post(client, f"/api/v1/bids/{draft['id']}/submit", {}, tokens["women"])
    assert r.status_code == 422 and "has not confirmed its part" in str(r.json())
    r = post(client, f"/api/v1/bids/{draft['id']}/confirm", {}, tokens["mentors"])
    assert r.status_code == 200 and r.json()["confirmed"] is True
    r = post(client, f"/api/v1/bids/{draft['id']}/submit", {}, tokens["women"])
    assert r.status_code == 200, r.json()
    assert r.json()["status"] == "submitted" and r.json()["contents"]["price"] == "400000.00"
